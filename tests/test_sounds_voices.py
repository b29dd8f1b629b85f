"""Voices (the murmur model): speech rhythm, pitch and pauses measured on the rendered audio."""

import numpy as np

from server.sounds.synth import SourceDescription, _lowpass, synthesize

SR = 16000


def _render(timbre: tuple[str, ...], seed: int = 0, seconds: float = 8.0) -> np.ndarray:
    desc = SourceDescription("people", "voices", "talking", timbre, model="murmur")
    return synthesize(desc, seconds, seed=seed, sample_rate=SR)[0].astype(np.float64)


def _syllable_rate(x: np.ndarray) -> float:
    """Peak of the modulation spectrum of the 20 Hz envelope between 1 and 12 Hz."""
    env = _lowpass(np.abs(x), 20, SR)[:: SR // 100]  # 100 Hz envelope
    env = env - env.mean()
    spec = np.abs(np.fft.rfft(env * np.hanning(len(env))))
    f = np.fft.rfftfreq(len(env), 1 / 100)
    band = (f >= 1) & (f <= 12)
    return float(f[band][np.argmax(spec[band])])


def test_one_talker_speaks_in_syllables_with_pauses():
    rates = [_syllable_rate(_render(("sparse", "occasional"), seed=s)) for s in range(3)]
    assert 2.5 <= np.median(rates) <= 8.0  # 4-6 syllables a second
    x = _render(("sparse", "occasional"), seed=0)
    hop = SR // 20
    level = 20 * np.log10(np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)) + 1e-9)
    assert np.mean(level < level.max() - 30) > 0.08  # pauses between phrases


def test_voice_pitch_in_the_speech_range():
    x = _render(("sparse", "occasional"), seed=1)
    import librosa

    f0, voiced, _ = librosa.pyin(x.astype(np.float32), fmin=60, fmax=400, sr=SR, frame_length=1024)
    f0 = f0[voiced & np.isfinite(f0)]
    assert f0.size > 50
    assert 80 <= np.median(f0) <= 300


def test_crowd_is_denser_than_one_talker():
    """A crowd keeps talking: far fewer silent moments than one person."""
    def quiet_share(x):
        hop = SR // 20
        level = 20 * np.log10(np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)) + 1e-9)
        return np.mean(level < level.max() - 30)

    assert quiet_share(_render(("bustling", "dense"), seed=2)) < 0.5 * max(quiet_share(_render(("sparse", "occasional"), seed=2)), 0.02)


def test_mobile_ringtone_is_a_two_tone_trill_in_a_ring_cadence():
    desc = SourceDescription("phone", "glass and plastic", "ringtone", model="phone_ring",
                             audioset=("Ringtone", "Telephone"))
    x = synthesize(desc, 6.0, seed=0, sample_rate=SR)[0].astype(np.float64)
    hop = SR // 200  # 5 ms
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    on = rms > 0.3 * rms.max()
    assert 0.25 < on.mean() < 0.45  # 1 s on, 2 s off
    win = 256
    peaks = []
    for i in range(0, len(x) - win, hop):
        if on[min(i // hop, len(on) - 1)]:
            seg = x[i:i + win] * np.hanning(win)
            f = np.fft.rfftfreq(4096, 1 / SR)[np.argmax(np.abs(np.fft.rfft(seg, 4096)))]
            peaks.append(f)
    peaks = np.asarray(peaks)
    lo, hi = np.percentile(peaks, 10), np.percentile(peaks, 90)
    assert 800 <= lo <= 1500 and 1.15 < hi / lo < 1.45  # two tones 3-5 semitones apart
    switches = np.sum(np.abs(np.diff(peaks > (lo + hi) / 2)))
    assert 14 * 0.8 <= switches / (on.sum() * hop / SR) <= 20 * 1.3  # the tone changes 14-20 times a second


def test_humming_is_one_voice_singing_scale_notes_through_the_nose():
    import librosa

    desc = SourceDescription("person", "human body and voice", "humming voice", ("warm", "soft"), model="murmur",
                             audioset=("Human voice",))
    x = synthesize(desc, 8.0, seed=3, sample_rate=SR)[0].astype(np.float64)
    f0, voiced, _ = librosa.pyin(x.astype(np.float32), fmin=80, fmax=600, sr=SR, frame_length=2048)
    f0 = f0[voiced & np.isfinite(f0)]
    assert f0.size > 100
    semis = 12 * np.log2(f0 / np.median(f0))
    steady = np.abs(semis - np.round(semis)) < 0.3  # on a scale note (glides between notes are off it)
    assert steady.mean() > 0.6
    assert len(set(np.round(semis[steady]).astype(int))) >= 3  # a tune, not one drone
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    assert spec[f > 3000].sum() / spec.sum() < 0.02  # the closed mouth: little above 3 kHz
