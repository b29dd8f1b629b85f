"""Sounds with no clear pitch: a melodic build refuses them (suggesting --role drums or --force-pitch) or,
asked to, imposes a pitch with a tuned resonator and says so; the root is measured on the audio that
becomes the samples, and the notes hold +-5 cents of the root the build reports (sfizz and FluidSynth);
the work of pitch shifting does not grow with a far-away root."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from server.cli import main
from server.errors import ConfigError, InputError
from server.instruments_build import build_instrument, make_instrument
from server.instruments_build.pitch import hz_to_midi, midi_to_hz, parse_note
from tests.test_build_players import (
    FLUIDSYNTH,
    SFIZZ,
    SR,
    harmonic_tone,
    note_f0,
    render_fluidsynth,
    render_sfizz,
    rms_db,
    write_midi,
)


def noise_burst(sr: int = 48000, seconds: float = 1.5) -> np.ndarray:
    """Band-passed (400-3000 Hz) noise with a fast attack and an exponential decay: a rustle, a splash."""
    rng = np.random.default_rng(11)
    t = np.arange(int(seconds * sr)) / sr
    sos = signal.butter(4, [400, 3000], "bandpass", fs=sr, output="sos")
    n = signal.sosfilt(sos, rng.standard_normal(len(t)))
    return 0.5 * n / np.abs(n).max() * np.exp(-3 * t) * np.minimum(1, t / 0.005)


def water_drop(sr: int = 48000, seconds: float = 1.2) -> np.ndarray:
    """A bubble's chirp: a sinusoid gliding up an octave and a half (700 -> 2000 Hz) as it decays, twice."""
    t = np.arange(int(0.4 * sr)) / sr
    f = 700 * (2000 / 700) ** (t / 0.4)
    drop = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-9 * t) * np.minimum(1, t / 0.002)
    x = np.zeros(int(seconds * sr))
    for start in (0.0, 0.55):
        k = int(start * sr)
        x[k : k + len(drop)] += drop[: len(x) - k]
    return 0.6 * x


SOURCES = {"noise burst": noise_burst, "water drop": water_drop}


@pytest.mark.parametrize("name", list(SOURCES))
def test_a_sound_with_no_stable_pitch_is_refused_for_melodic_roles(name):
    x = SOURCES[name]()
    with pytest.raises(InputError, match="no stable pitch") as exc:
        make_instrument(x, 48000, "keyboard", name="x", key_range=(60, 62))
    msg = str(exc.value)
    assert "--role drums" in msg and "--force-pitch" in msg and "\n" not in msg
    # the same sound makes a drum kit
    assert make_instrument(x, 48000, "drums", name="x").zones


def test_parse_note():
    assert parse_note("A4") == pytest.approx(69.0)
    assert parse_note("C#3") == pytest.approx(49.0)
    assert parse_note("Eb2") == pytest.approx(39.0)
    assert parse_note("60") == pytest.approx(60.0)
    assert parse_note("440Hz") == pytest.approx(69.0)
    assert parse_note("261.63 hz") == pytest.approx(60.0, abs=0.01)
    for bad in ("H4", "", "12kHz", "200"):
        with pytest.raises(ConfigError, match="note"):
            parse_note(bad)


@pytest.fixture(scope="module")
def forced(tmp_path_factory):
    root = tmp_path_factory.mktemp("forced")
    out = {}
    for name, make in SOURCES.items():
        wav = root / f"{name.replace(' ', '_')}.wav"
        sf.write(str(wav), make(), 48000, subtype="PCM_24")
        out[name] = build_instrument(
            wav,
            "keyboard",
            name=wav.stem,
            sfz_dir=root / "sfz",
            sf2_dir=root / "sf2",
            step=6,
            force_pitch=True,
        )
    return out


@pytest.mark.parametrize("name", list(SOURCES))
def test_force_pitch_imposes_a_tuned_resonator_and_reports_it(forced, name):
    pitch = forced[name].instruments["keyboard"].info["pitch"]
    assert pitch["method"] == "resonator" and pitch["imposed"]
    # the root reported is measured on the resonated audio and agrees with the resonator's tuning
    assert abs(100 * (pitch["midi"] - pitch["target_midi"])) < 3.0
    assert pitch["target_midi"] == round(pitch["target_midi"])
    assert "resonator" in pitch["summary"]


@pytest.mark.peer
@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
@pytest.mark.parametrize("name", list(SOURCES))
def test_notes_of_an_unpitched_source_hold_5_cents_of_the_reported_root(forced, name, tmp_path):
    """The tuning test of test_build_players, on sounds with no clear pitch of their own."""
    res = forced[name]
    keys = [36, 48, 60, 67, 72, 84, 96]
    mid = write_midi(tmp_path / "notes.mid", [(k, 100, 1.5 * i, 0.8) for i, k in enumerate(keys)])
    errors = {}
    for player, audio in (
        ("sfizz", render_sfizz(res.sfz["keyboard"], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth(res.sf2, mid, tmp_path / "f.wav")),
    ):
        for i, k in enumerate(keys):
            seg = audio[int((1.5 * i + 0.15) * SR) : int((1.5 * i + 0.75) * SR)]
            assert rms_db(seg) > -50, f"{player}: key {k} is silent"
            errors[(player, k)] = 100 * (hz_to_midi(note_f0(seg, SR, k)) - k)
    assert max(abs(e) for e in errors.values()) < 5.0, {k: round(v, 2) for k, v in errors.items()}


def test_force_pitch_to_a_named_note():
    inst = make_instrument(noise_burst(), 48000, "bass", name="x", key_range=(40, 44), force_pitch="A2")
    pitch = inst.info["pitch"]
    assert pitch["target_midi"] == 45
    assert abs(pitch["freq"] - 110.0) < 110.0 * (2 ** (2 / 1200) - 1)


def test_a_pitched_sound_ignores_force_pitch():
    inst = make_instrument(
        harmonic_tone(220.0, 1.5, 48000), 48000, "bass", name="x", key_range=(44, 46), force_pitch=True
    )
    assert inst.info["pitch"]["method"] == "pyin" and not inst.info["pitch"].get("imposed")


def test_root_is_measured_on_the_audio_that_becomes_the_samples():
    """0.8 s at 300 Hz, then 1.2 s at 336 Hz: the keyboard samples are the first 1.0 s, so the root is 300."""
    sr = 48000
    a, b = harmonic_tone(300.0, 0.8, sr, decay=0.2), harmonic_tone(336.0, 1.2, sr, decay=0.2)
    x = np.r_[a, b * np.abs(a[-2000:]).max() / np.abs(b[:2000]).max()]
    inst = make_instrument(x, sr, "keyboard", name="x", key_range=(60, 62))
    pitch = inst.info["pitch"]
    assert abs(pitch["freq"] - 300.0) < 300.0 * (2 ** (3 / 1200) - 1), pitch
    assert pitch["analysed_seconds"] <= 1.0


def test_pitch_shift_work_does_not_grow_with_the_interval(monkeypatch):
    """Rubber Band's work is proportional to the audio it reads and writes; both stay within the
    sample's own length for shifts of -60 to +60 semitones (a spurious 47 Hz root made 90x before)."""
    import pedalboard

    from server.instruments_build.multisample import shift_pitch

    frames = []
    real = pedalboard.time_stretch

    def spy(x, sr, factor, *a, **k):
        y = real(x, sr, factor, *a, **k)
        frames.append((x.shape[-1], y.shape[-1]))
        return y

    monkeypatch.setattr(pedalboard, "time_stretch", spy)
    sr = 48000
    x = harmonic_tone(110.0, 1.0, sr)
    for semis in (-60.0, -12.0, 1.5, 12.0, 36.0, 60.0):
        y = shift_pitch(x, sr, semis)
        assert abs(len(y) - len(x)) <= 0.01 * len(x)
        n_in, n_out = frames[-1]
        assert max(n_in, n_out) <= 1.02 * len(x), (semis, n_in, n_out)
    # and the shift is exact: +12 semitones of 110 Hz is 220 Hz (measured, to 1 cent)
    y = shift_pitch(x, sr, 12.0)
    f = note_f0(y[int(0.1 * sr) : int(0.9 * sr)], sr, 57)
    assert abs(1200 * np.log2(f / midi_to_hz(57))) < 1.0


def test_cli_says_what_was_done(tmp_path, capsys):
    wav = tmp_path / "grass.wav"
    sf.write(str(wav), noise_burst(), 48000)
    base = [
        "build",
        str(wav),
        "--role",
        "bass",
        "--sfz-dir",
        str(tmp_path / "sfz"),
        "--sf2-dir",
        str(tmp_path / "sf2"),
        "--step",
        "12",
    ]
    assert main(base) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--role drums" in err[0] and "--force-pitch" in err[0], err
    assert not (tmp_path / "sfz").exists() or not any((tmp_path / "sfz").iterdir())
    assert main([*base, "--force-pitch", "E2"]) == 0
    out = capsys.readouterr().out
    assert "resonator" in out and "E2" in out
    assert (tmp_path / "sf2" / "grass.sf2").is_file()


def test_force_pitch_values_are_checked_before_any_work(tmp_path, capsys):
    from server.instruments_build.pitch import force_pitch_key

    assert force_pitch_key(None) is False and force_pitch_key(True) is True
    assert force_pitch_key(60) == 60 and force_pitch_key("A4") == 69 and force_pitch_key(64.4) == 64
    for bad in ("C8", "A0", 20, "H4"):
        with pytest.raises(ConfigError):
            force_pitch_key(bad)
    wav = tmp_path / "x.wav"
    sf.write(str(wav), noise_burst(), 48000)
    with pytest.raises(ConfigError, match="C1 and C7"):
        build_instrument(wav, "bass", name="x", sfz_dir=tmp_path / "o", force_pitch="C8")
    assert not (tmp_path / "o").exists()
    assert (
        main(["build", str(wav), "--role", "bass", "--force-pitch", "C9", "--sfz-dir", str(tmp_path / "o")])
        == 1
    )
    assert "C1 and C7" in capsys.readouterr().err


@pytest.mark.parametrize("seconds", [0.25, 0.4, 0.7])
def test_short_sounds_get_their_own_root(seconds):
    """A short source is all sample: its root comes from a few hundred ms (a bell's, not a subharmonic)."""
    from server.instruments_build.pitch import estimate_root
    from server.instruments_build.prep import prepare
    from tests.test_build_players import bell

    sr = 48000
    for src, f in ((bell(392.0, seconds, sr), 392.0), (harmonic_tone(55.0, seconds, sr, decay=3), 55.0)):
        x, _ = prepare(src, sr, target_sr=sr, min_seconds=0.1)
        est = estimate_root(x, sr)
        assert est.method == "pyin" and abs(1200 * np.log2(est.freq / f)) < 1.0, (seconds, f, est)
    x, _ = prepare(noise_burst(sr, seconds), sr, target_sr=sr, min_seconds=0.1)
    assert estimate_root(x, sr).method == "none"


def test_default_imposed_note_keeps_the_pitch_class_near_the_middle_of_the_range():
    from server.instruments_build.pitch import PitchEstimate, resonator_target

    for f in (30.0, 812.0, 5000.0):
        est = PitchEstimate(f, 0.0, "none", False)
        for lo, hi in ((21, 108), (28, 55), (100, 108), (0, 10)):
            k = resonator_target(est, lo, hi)
            assert 24 <= k <= 96
            assert (k - round(est.midi)) % 12 == 0  # the same pitch class as the strongest partial
            if 24 <= (lo + hi) // 2 <= 96:
                assert abs(k - (lo + hi) // 2) <= 12
