"""Machines, tools, appliances and vehicles checked by their physics: a kettle whistle's rising pitch, a siren's
sweep, a phone's ring cadence, a clock's pendulum beat, a helicopter's blade rate; every model deterministic,
finite and peak-normalised."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from server.sounds import machines
from server.sounds.synth import (
    MATERIALS,
    MODEL_FUNCS,
    Ctx,
    Params,
    SourceDescription,
    choose_model,
    synthesize,
)

SR = 48000


def ctx_for(name: str, play: str, seconds: float, seed: int = 0, sr: int = SR) -> Ctx:
    return Ctx(sr, int(seconds * sr), np.random.default_rng(seed), Params(), MATERIALS["metal"], None,
               SourceDescription(name, "", play))


def peak_track(x: np.ndarray, sr: int, lo: float, hi: float, nfft: int = 4096, hop: int = 512):
    """Times (s) and frequency (Hz) of the strongest STFT peak between lo and hi, per frame (parabolic)."""
    f, t, z = signal.stft(x, fs=sr, nperseg=nfft, noverlap=nfft - hop)
    mag = np.abs(z)
    band = (f >= lo) & (f <= hi)
    idx = np.flatnonzero(band)
    sub = mag[band]
    k = np.argmax(sub, axis=0)
    k = np.clip(k, 1, sub.shape[0] - 2)
    cols = np.arange(sub.shape[1])
    a, b, c = (np.log(sub[k - 1, cols] + 1e-20), np.log(sub[k, cols] + 1e-20), np.log(sub[k + 1, cols] + 1e-20))
    off = 0.5 * (a - c) / (a - 2 * b + c + 1e-20)
    freq = (idx[k] + off) * (f[1] - f[0])
    level = 20 * np.log10(sub[k, cols] + 1e-20)
    return t, freq, level


def envelope(x: np.ndarray, sr: int, ms: float = 5.0) -> np.ndarray:
    n = max(int(ms * 1e-3 * sr), 1)
    e = np.sqrt(np.convolve(x**2, np.ones(n) / n, mode="same"))
    return e


def on_segments(x: np.ndarray, sr: int, thresh_db: float = -25.0, min_gap: float = 0.08):
    """(start, end) seconds of the stretches where the 5 ms envelope is within thresh_db of its peak,
    with gaps shorter than min_gap bridged."""
    e = envelope(x, sr)
    on = 20 * np.log10(e / e.max() + 1e-12) > thresh_db
    d = np.diff(on.astype(int), prepend=0, append=0)
    starts, ends = np.flatnonzero(d == 1) / sr, np.flatnonzero(d == -1) / sr
    segs: list[list[float]] = []
    for s, e_ in zip(starts, ends, strict=True):
        if segs and s - segs[-1][1] < min_gap:
            segs[-1][1] = e_
        else:
            segs.append([s, e_])
    return segs


# ------------------------------------------------------------------------------------------------------
def test_kettle_whistle_rises_in_pitch():
    for seed in (0, 1, 2):
        x = machines.m_kettle(ctx_for("kettle", "boiling and whistling", 6.0, seed))
        t, f, level = peak_track(x, SR, 500, 3500)
        onset = t[np.argmax(level > level.max() - 20)]  # the whistle starts to sound
        assert 0.5 < onset < 2.5, onset
        late = (t > onset + 0.2) & (t < 5.8)
        f_late, t_late = f[late], t[late]
        # the whistle's pitch rises with the steam flow: monotonic, and by more than a minor third
        rho = np.corrcoef(t_late, f_late)[0, 1]
        assert rho > 0.9, (seed, rho)
        first, last = np.median(f_late[:10]), np.median(f_late[-10:])
        assert 1200 * np.log2(last / first) > 300, (seed, first, last)
        assert 600 < first < last < 3000


@pytest.mark.parametrize("mode", ["wail", "yelp"])
def test_siren_sweeps_its_range_at_its_rate(mode):
    lo, hi, period = machines.SIREN_MODES[mode]
    play = {"wail": "siren wailing", "yelp": "siren yelping"}[mode]
    ctx = ctx_for("police car", play, 10.0)
    assert machines.siren_mode(ctx) == mode
    x = machines.m_siren(ctx)
    hop = 256 if mode == "yelp" else 1024
    t, f, _ = peak_track(x, SR, 0.8 * lo, 1.2 * hi, nfft=2048, hop=hop)
    f = f[(t > 0.2) & (t < 9.8)]
    # range: the sweep reaches its ends (within 4 %)
    assert abs(np.percentile(f, 1) / lo - 1) < 0.04, np.percentile(f, 1)
    assert abs(np.percentile(f, 99) / hi - 1) < 0.04, np.percentile(f, 99)
    # rate: the pitch track repeats with the pattern's period (autocorrelation peak)
    g = np.log(f) - np.log(f).mean()
    ac = np.correlate(g, g, mode="full")[g.size - 1:]
    frame = hop / SR
    lags = np.arange(ac.size) * frame
    search = (lags > 0.5 * period) & (lags < 1.5 * period)
    measured = lags[search][np.argmax(ac[search])]
    assert abs(measured / period - 1) < 0.05, (measured, period)


def test_two_tone_siren_alternates_a_fourth():
    ctx = ctx_for("ambulance", "two-tone siren", 6.0)
    assert machines.siren_mode(ctx) == "hilo"
    x = machines.m_siren(ctx)
    t, f, _ = peak_track(x, SR, 350, 700, nfft=4096, hop=512)
    lo, hi, _ = machines.SIREN_MODES["hilo"]
    near_lo = np.abs(1200 * np.log2(f / lo)) < 20
    near_hi = np.abs(1200 * np.log2(f / hi)) < 20
    assert near_lo.mean() > 0.35 and near_hi.mean() > 0.35  # half the time on each tone
    assert (near_lo | near_hi).mean() > 0.9


def test_phone_rings_in_the_british_cadence():
    ctx = ctx_for("telephone", "ringing", 7.0)
    cad = machines.phone_cadence(ctx)
    assert cad == machines.RING_CADENCES["uk"]
    x = machines.m_phone_ring(ctx)
    segs = [s for s in on_segments(x, SR, thresh_db=-20) if s[1] < 6.9]  # whole rings only
    durs = np.array([e - s for s, e in segs])
    starts = np.array([s for s, _ in segs])
    assert len(segs) >= 4, segs
    # rings of 0.4 s (plus the gongs' short ring-out), starting 0.6 s apart in pairs, pairs 3 s apart
    assert np.all((durs > 0.35) & (durs < 0.6)), durs
    gaps = np.diff(starts)
    assert np.allclose(gaps[0::2], 0.6, atol=0.03), gaps
    assert np.allclose(gaps[1::2], 2.4, atol=0.03), gaps
    # inside a ring the clapper strikes the gongs 40 times a second (20 Hz current, one strike on each gong
    # per cycle): the contacts' clicks, above the gongs' modes (> 16 kHz), come 25 ms apart
    s, e = segs[0]
    clicks = signal.sosfilt(signal.butter(8, 16000, "high", fs=SR, output="sos"), x[int(s * SR):int(e * SR)])
    env = envelope(clicks, SR, ms=0.5)
    strikes, _ = signal.find_peaks(env, height=0.05 * env.max(), distance=int(0.015 * SR))
    assert len(strikes) >= 14
    assert np.all(np.abs(np.diff(strikes) / SR - 0.025) < 0.001), np.diff(strikes) / SR


@pytest.mark.parametrize("name,play,lo,hi", [
    # a pendulum of 0.16-1 m beats twice per period 2 pi sqrt(L / g): every 0.40-1.0 s
    ("wall clock", "ticking", np.pi * np.sqrt(0.16 / 9.81), np.pi * np.sqrt(1.0 / 9.81)),
    ("alarm clock", "ticking seconds", 0.995, 1.005),  # a quartz movement steps once a second
    ("grandfather clock", "ticking", 0.995, 1.005),  # a longcase clock's seconds pendulum (0.994 m)
])
def test_clock_ticks_at_its_pendulum_beat(name, play, lo, hi):
    beats = []
    for seed in (0, 1, 2):
        x = machines.m_clock(ctx_for(name, play, 8.0, seed))
        e = envelope(x, SR, ms=1.0)
        peaks, _ = signal.find_peaks(e, height=0.3 * e.max(), distance=int(0.3 * SR))
        intervals = np.diff(peaks) / SR
        beat = float(np.median(intervals))
        assert len(peaks) >= 7
        assert lo - 0.005 < beat < hi + 0.005, (seed, beat)
        assert np.all(np.abs(intervals - beat) < 0.005), intervals  # an escapement is regular
        beats.append(beat)
        # tick and tock differ: alternate beats have different spectra (centroid)
        cents = []
        for p in peaks[:6]:
            seg = x[p:p + int(0.02 * SR)]
            s = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
            f = np.fft.rfftfreq(seg.size, 1 / SR)
            cents.append((s * f).sum() / s.sum())
        even, odd = np.mean(cents[0::2]), np.mean(cents[1::2])
        assert abs(even / odd - 1) > 0.02
    if name == "wall clock":  # pendulums of different lengths: clocks beat at different rates
        assert max(beats) - min(beats) > 0.05, beats


def test_helicopter_blade_slap_at_the_rotor_rate():
    for seed in (0, 1, 2):
        blades, main, tail = machines.helicopter_rates(ctx_for("helicopter", "flying", 6.0, seed))
        assert 10 <= main <= 30 and 4.5 * main <= tail <= 6.0 * main
        x = machines.m_helicopter(ctx_for("helicopter", "flying", 6.0, seed))
        env = envelope(signal.sosfilt(signal.butter(2, [80, 1500], "band", fs=SR, output="sos"), x), SR, ms=3.0)
        env = signal.resample_poly(env, 1, 48)  # 1 kHz
        spec = np.abs(np.fft.rfft((env - env.mean()) * np.hanning(env.size)))
        freqs = np.fft.rfftfreq(env.size, 1 / 1000)
        band = (freqs > 5) & (freqs < 40)
        measured = freqs[band][np.argmax(spec[band])]
        assert abs(measured / main - 1) < 0.12, (seed, measured, main)  # Doppler moves it by up to ~10 %


@pytest.mark.parametrize("model", sorted(machines.MODELS))
def test_every_machine_is_deterministic_finite_and_normalised(model):
    desc = SourceDescription("thing", "metal", "in use", model=model)
    a, choice = synthesize(desc, 2.0, seed=3)
    b, _ = synthesize(desc, 2.0, seed=3)
    c, _ = synthesize(desc, 2.0, seed=4)
    assert choice.model == model
    assert a.shape == (2 * SR,) and np.isfinite(a).all()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(20 * np.log10(np.abs(a).max()) + 1.0) < 0.01
    assert np.sqrt(np.mean(a**2)) > 10 ** (-45 / 20)  # not silence


def test_registered_with_the_synthesiser():
    for name in machines.MODELS:
        assert MODEL_FUNCS[name] is machines.MODELS[name][1]
    assert set(machines.AUDIOSET) == set(machines.MODELS)


@pytest.mark.parametrize("name,play,model", [
    ("vacuum cleaner", "vacuuming the carpet", "vacuum"),
    ("washing machine", "spin cycle", "washing_machine"),
    ("kettle", "boiling and whistling", "kettle"),
    ("blender", "blending fruit", "blender"),
    ("hair dryer", "blowing", "hair_dryer"),
    ("saw", "sawing a plank", "saw"),
    ("hammer", "hammering nails", "hammer"),
    ("power drill", "drilling a hole", "drill"),
    ("typewriter", "typing", "typewriter"),
    ("grandfather clock", "ticking", "clock"),
    ("telephone", "ringing", "phone_ring"),
    ("doorbell", "ding dong", "doorbell"),
    ("camera", "shutter clicking", "shutter"),
    ("toilet", "flushing", "flush"),
    ("kitchen sink", "water running", "tap"),
    ("police car", "siren wailing", "siren"),
    ("car", "horn honking", "car_horn"),
    ("train", "horn blowing", "train"),
    ("airplane", "flying overhead", "aircraft"),
    ("helicopter", "rotor thumping", "helicopter"),
    ("motorcycle", "revving", "motorcycle"),
    ("bicycle", "ringing the bell", "bicycle_bell"),
])
def test_descriptions_choose_their_machine(name, play, model):
    assert choose_model(SourceDescription(name, "", play))[0] == model


def test_machine_stems_do_not_take_the_older_models_cases():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.bench_sounds import CASES

    for name, material, play, _timbre, _ok in CASES:
        chosen = choose_model(SourceDescription(name, material, play))[0]
        assert chosen not in machines.MODELS and chosen != "gm_instrument", (name, chosen)


def test_room_reverberation_decays_at_its_rt60():
    from server.sounds.machines import _room

    for rt60 in (0.4, 1.5):
        ctx = ctx_for("room", "", 4.0)
        dry = np.zeros(ctx.n)
        dry[100] = 1.0
        wet = _room(ctx, dry, rt60, 0.5, floor_db=-200.0) - dry
        # Schroeder backward integration: T60 = 2 x (time from -5 dB to -35 dB)
        e = np.cumsum((wet**2)[::-1])[::-1]
        edc = 10 * np.log10(e / e[0] + 1e-30)
        measured = 2.0 * (np.argmax(edc <= -35) - np.argmax(edc <= -5)) / SR
        assert abs(measured / rt60 - 1) < 0.15, (rt60, measured)
        assert np.abs(wet[:100 + int(0.003 * SR)]).max() < 1e-8  # no reflection before 3 ms


@pytest.mark.parametrize("rate", [8000, 96000])
def test_every_machine_renders_at_other_sample_rates(rate):
    for model in machines.MODELS:
        x, _ = synthesize(SourceDescription("thing", "metal", "in use", model=model), 1.0, seed=1, sample_rate=rate)
        assert x.shape == (rate,) and np.isfinite(x).all(), model
        assert np.sqrt(np.mean(x**2)) > 10 ** (-45 / 20), model


def test_siren_sweep_does_not_depend_on_the_sample_rate():
    lo, hi, _ = machines.SIREN_MODES["wail"]
    for rate in (16000, 96000):
        x = machines.m_siren(ctx_for("police car", "siren wailing", 6.0, sr=rate))
        t, f, _ = peak_track(x, rate, 0.8 * lo, 1.2 * hi, nfft=2048 * rate // 48000, hop=1024 * rate // 48000)
        assert abs(np.percentile(f, 1) / lo - 1) < 0.04 and abs(np.percentile(f, 99) / hi - 1) < 0.04


def test_horns_car_pair_a_third_apart_and_a_low_foghorn():
    car = ctx_for("car", "horn honking", 5.0)
    ship = ctx_for("ship", "ship horn", 5.0)
    assert machines.horn_kind(car) == "car" and machines.horn_kind(ship) == "fog"
    assert machines.horn_kind(ctx_for("fire truck", "air horn blast", 1.0)) == "air"
    x = machines.m_car_horn(car)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    f = np.fft.rfftfreq(x.size, 1 / SR)
    band = (f > 330) & (f < 700)
    peaks, _ = signal.find_peaks(spec[band], distance=int(20 / (f[1] - f[0])))
    top2 = np.sort(f[band][peaks[np.argsort(spec[band][peaks])[-2:]]])
    assert 380 <= top2[0] <= 440, top2
    assert abs(1200 * np.log2(top2[1] / top2[0]) - 400) < 60, top2  # a major third (+-0.5 semitone)
    y = machines.m_car_horn(ship)
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    band = (f > 50) & (f < 1000)
    low = (f > 70) & (f < 160)
    assert 80 <= f[low][np.argmax(spec[low])] <= 150
    assert spec[low].max() > 0.3 * spec[band].max()  # the fundamental is strong: a low horn


@pytest.mark.parametrize("module", ["server.sounds.machines", "server.sounds.instruments"])
def test_family_module_imports_first_in_a_fresh_process(module):
    import subprocess
    import sys
    from pathlib import Path

    code = f"import {module}; from server.sounds.synth import MODEL_FUNCS; assert 'vacuum' in MODEL_FUNCS"
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


def test_filling_vessel_resonance_rises():
    for seed in (0, 1):
        filled = machines.m_tap(ctx_for("bathtub", "tub filling", 5.0, seed))
        plain = machines.m_tap(ctx_for("sink", "water running", 5.0, seed))  # the same water, no vessel
        f, t, zf = signal.stft(filled, fs=SR, nperseg=4096, noverlap=3072)
        _, _, zp = signal.stft(plain, fs=SR, nperseg=4096, noverlap=3072)
        measured = []
        for a, b in ((0.4, 1.2), (3.6, 4.4)):
            sel = (t > a) & (t < b)
            colour = (np.abs(zf[:, sel]) ** 2).mean(axis=1) / ((np.abs(zp[:, sel]) ** 2).mean(axis=1) + 1e-20)
            band = (f > 200) & (f < 3000)
            measured.append(f[band][np.argmax(np.convolve(colour, np.ones(5) / 5, mode="same")[band])])
        # the air column above the water shortens: its quarter-wave resonance c / 4L rises (L 0.2-0.35 m falling
        # by 70 % over the clip: ~1.9x between these two windows)
        assert 1.6 < measured[1] / measured[0] < 2.3, (seed, measured)
        assert 343 / (4 * 0.36) < measured[0] < 343 / (4 * 0.18), measured


def test_ratchet_clicks_in_strokes():
    x = machines.m_clock(ctx_for("pencil sharpener", "crank turned", 5.0))
    env = envelope(x, SR, ms=0.5)
    clicks, _ = signal.find_peaks(env, height=0.2 * env.max(), distance=int(0.01 * SR))
    gaps = np.diff(clicks) / SR
    inside = gaps[gaps < 0.15]  # within a stroke
    assert len(inside) > 20
    assert 1 / 45 < np.median(inside) < 1 / 15, np.median(inside)  # 20-40 teeth a second, slower at the ends
    assert np.sum(gaps > 0.15) >= 2  # pauses between strokes


def test_steam_chuffs_quicken_with_the_wheels():
    x = machines._chuffs(ctx_for("steam train", "chuffing", 6.0, 2))
    env = envelope(x, SR, ms=40.0)
    beats, _ = signal.find_peaks(env, prominence=0.2 * env.max(), distance=int(0.1 * SR))
    gaps = np.diff(beats) / SR
    # four beats per turn of 1.5-2 m driving wheels at 3 m/s at the start (0.39-0.52 s apart) ...
    assert 0.3 < gaps[0] < 0.6, gaps
    # ... and at ~8 m/s by the end: the beats come ~2.7 times faster
    assert 2.0 < gaps[0] / np.median(gaps[-4:]) < 3.3, gaps


def test_digital_alarm_beeps_in_fours():
    x = machines.m_phone_ring(ctx_for("digital alarm clock", "beeping", 4.0))
    segs = on_segments(x, SR, thresh_db=-20, min_gap=0.02)
    starts = np.array([s for s, _ in segs])
    gaps = np.diff(starts)
    assert np.allclose(gaps[:3], 0.125, atol=0.005), gaps  # 8 beeps a second ...
    assert abs(gaps[3] - 0.625) < 0.01, gaps  # ... in bursts of four, 0.5 s of silence between
    t, f, _ = peak_track(x, SR, 1000, 8000)
    assert 2500 <= np.median(f[_ > _.max() - 10]) <= 4000


def test_escaping_steam_hisses_above_2_khz():
    x = machines.m_kettle(ctx_for("espresso maker", "steam wand hissing", 3.0))
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1 / SR)
    assert power[(f > 2000) & (f < 12000)].sum() > 0.8 * power.sum()
    assert power[f < 1000].sum() < 0.05 * power.sum()
