"""The builtin synthesiser checked by its physics: decay times, partial ratios, spectra, stationarity."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from server.errors import ConfigError
from server.scene import SceneSpec
from server.sounds.synth import (
    MATERIALS,
    SOUND_MODELS,
    Ctx,
    Params,
    SourceDescription,
    _bubble,
    apply_timbre,
    describe,
    single_strike,
    synthesize,
)

SR = 48000
SEED_111 = "/work/shared/seed_examples/111_sound_source.json"


def t60_schroeder(x: np.ndarray, sr: int) -> float:
    """Decay time from Schroeder backward integration: T60 = 2 x (time from -5 dB to -35 dB)."""
    e = np.cumsum((x.astype(np.float64) ** 2)[::-1])[::-1]
    edc = 10 * np.log10(e / e[0] + 1e-30)
    i5 = int(np.argmax(edc <= -5))
    i35 = int(np.argmax(edc <= -35))
    return 2.0 * (i35 - i5) / sr


def spectral_peaks(x: np.ndarray, sr: int, k: int, fmin: float = 50.0) -> np.ndarray:
    """Frequencies of the ``k`` strongest spectral peaks (parabolic interpolation), ascending."""
    n = len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(n)))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    peaks, _ = signal.find_peaks(spec, distance=max(1, int(30 / (sr / n))))
    peaks = peaks[freqs[peaks] > fmin]
    top = peaks[np.argsort(spec[peaks])[::-1][:k]]
    out = []
    for p in top:
        a, b, c = np.log(spec[p - 1 : p + 2] + 1e-30)
        out.append((p + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n)
    return np.sort(np.asarray(out))


def test_metal_rings_long_and_inharmonic_wood_is_short():
    metal = single_strike("metal", f0=500.0, seconds=4.0)
    wood = single_strike("wood", f0=500.0, seconds=1.0)
    t_metal, t_wood = t60_schroeder(metal, SR), t60_schroeder(wood, SR)
    assert t_metal > 1.0, t_metal
    assert t_wood < 0.25, t_wood
    assert t_metal / t_wood > 8
    # the strongest partials of the metal strike sit at the table's inharmonic ratios, not at integers
    peaks = spectral_peaks(metal, SR, 4)
    ratios = peaks / peaks[0]
    assert peaks[0] == pytest.approx(500.0, rel=0.01)
    assert any(abs(r - round(r)) > 0.15 for r in ratios[1:]), ratios
    table = np.asarray(MATERIALS["metal"].ratios)
    for r in ratios:
        assert np.min(np.abs(table - r) / table) < 0.01, (r, table)


def test_glass_clink_is_higher_and_brighter_than_a_wooden_knock():
    glass = single_strike("glass", seconds=1.0)
    wood = single_strike("wood", seconds=1.0)

    def centroid(x):
        s = np.abs(np.fft.rfft(x))
        f = np.fft.rfftfreq(len(x), 1 / SR)
        return float((s * f).sum() / s.sum())

    assert centroid(glass) > 2.5 * centroid(wood)
    assert t60_schroeder(glass, SR) > 3 * t60_schroeder(wood, SR)


def test_minnaert_bubble_pitch():
    """van den Doel's bubble: f0 = 3 / r Hz (r in metres), rising by ~10 % per decay time constant."""
    ctx = Ctx(SR, SR, np.random.default_rng(0), Params(), MATERIALS["wood"])
    b = _bubble(ctx, 0.003)

    def zc_freq(x):
        return (np.diff(np.signbit(x)) != 0).sum() / 2 / (len(x) / SR)

    start = zc_freq(b[: int(0.01 * SR)])
    later = zc_freq(b[int(0.03 * SR) : int(0.05 * SR)])
    assert start == pytest.approx(1000.0 * (1 + 0.1 * 87.1 * 0.005), rel=0.05)
    assert later > 1.2 * start


def _frame_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    return 10 * np.log10((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-20)


def test_rain_is_broadband_and_stationary():
    rain, choice = synthesize(SourceDescription("rain", "water", "rain falling on the street"), 4.0, seed=3)
    assert choice.model == "rain"
    # broadband: every octave band from 250 Hz to 8 kHz within 15 dB of the loudest
    f, pxx = signal.welch(rain, SR, nperseg=4096)
    bands = [pxx[(f >= lo) & (f < 2 * lo)].sum() for lo in (250, 500, 1000, 2000, 4000, 8000)]
    db = 10 * np.log10(bands)
    assert db.max() - db.min() < 15, db
    # stationary: 100 ms levels vary by less than 1.5 dB (std), unlike a struck object
    levels = _frame_db(rain[SR // 10 : -SR // 10], SR // 10)
    assert levels.std() < 1.5, levels.std()
    knock, _ = synthesize(SourceDescription("door", "wood", "knock"), 4.0, seed=3)
    assert _frame_db(knock, SR // 10).std() > 5


def test_same_seed_same_sound_other_seed_differs():
    d = SourceDescription("palm trees", "leafy fronds", "breeze rustling fronds", ("airy", "soft"))
    a, _ = synthesize(d, 2.0, seed=11)
    b, _ = synthesize(d, 2.0, seed=11)
    c, _ = synthesize(d, 2.0, seed=12)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.05


def test_tables_choose_models_for_the_seed_sources():
    spec = SceneSpec.load(SEED_111)
    chosen = {s.name: describe(SourceDescription.from_source(s)) for s in spec.sound_sources}
    assert chosen["cathedral bell tower"].model == "bell"
    assert chosen["palm trees"].model == "rustle"
    assert chosen["metal barricades"].model == "rattle" and chosen["metal barricades"].material == "metal"
    assert chosen["stroller"].model == "rolling"
    assert chosen["plastic shopping bag"].model == "crinkle"
    assert set(SOUND_MODELS) >= {c.model for c in chosen.values()}


def test_unknown_material_gets_the_default_and_still_sounds():
    x, choice = synthesize(SourceDescription("thing", "unobtainium", "zap"), 1.0)
    assert not choice.material_known and choice.material == "wood" and choice.model == "strike"
    assert np.isfinite(x).all() and np.abs(x).max() > 0.5


def test_timbre_words_move_the_spectrum():
    def centroid(words):
        x, _ = synthesize(SourceDescription("pan", "metal", "struck with a spoon", words), 2.0, seed=4)
        f, p = signal.welch(x, SR, nperseg=4096)
        return float((f * p).sum() / p.sum())

    assert centroid(("bright",)) > 1.3 * centroid(("dull",))
    low, used = apply_timbre(["low rumble"])
    assert used == ("low rumble",) and low.pitch == pytest.approx(0.5) and low.brightness < 0.5


def test_every_model_renders_finite_normalised_audio_quickly():
    """Each model's cost is linear in length (5 s of the slowest, murmur, takes ~0.8 s here)."""
    worst = 0.0
    for model in SOUND_MODELS:
        t0 = time.perf_counter()
        x, choice = synthesize(SourceDescription("thing", "wood", "x"), 2.0, model=model, seed=1)
        worst = max(worst, time.perf_counter() - t0)
        assert choice.model == model
        assert x.dtype == np.float32 and len(x) == 2 * SR and np.isfinite(x).all()
        assert np.abs(x).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3), model
    assert worst < 1.5  # 6 sources x 5 s of the slowest model stay under the 10 s target


@pytest.mark.parametrize("seconds", [0, -1, 1e6, float("nan"), "long"])
def test_absurd_durations_are_refused(seconds):
    with pytest.raises(ConfigError, match="seconds"):
        synthesize(SourceDescription("rain"), seconds)


def test_unknown_model_or_material_override_is_refused():
    with pytest.raises(ConfigError, match="known"):
        synthesize(SourceDescription("x"), 1.0, model="theremin")
    with pytest.raises(ConfigError, match="known"):
        single_strike("cheese")


def test_mains_hum_sits_on_the_mains_frequency_and_its_harmonics():
    """Magnetostriction hums at twice the mains frequency (100 or 120 Hz), with harmonics of the mains."""
    for seed in range(3):
        x, choice = synthesize(SourceDescription("refrigerator", "metal", "electric hum", ("low",)), 3.0, seed=seed)
        assert choice.model == "hum"
        f, pxx = signal.welch(x, SR, nperseg=SR)  # 1 Hz bins
        low = (f > 40) & (f < 400)
        f_peak = f[low][np.argmax(pxx[low])]
        assert f_peak in (100.0, 120.0), f_peak
        mains = f_peak / 2
        floor = np.median(pxx[low])
        for k in (1, 2, 4, 6):  # the mains line and the even harmonics of B^2
            i = int(round(k * mains))
            assert pxx[i - 1 : i + 2].max() > 100 * floor, (seed, k)


def test_idling_engine_pulses_at_its_firing_rate():
    """A four-stroke engine at idle (550-1000 rpm, 4-8 cylinders) fires 18-67 times a second: the loudness
    envelope is periodic at that rate."""
    for seed in range(3):
        x, choice = synthesize(SourceDescription("car", "metal", "engine idling", ("low rumble",)), 3.0, seed=seed)
        assert choice.model == "engine"
        env = signal.resample_poly(np.abs(x.astype(np.float64)), 1, 48)  # 1 kHz envelope
        env = env - env.mean()
        ac = np.correlate(env, env, "full")[len(env) - 1 :]
        ac /= ac[0]
        lags = np.arange(len(ac))
        window = (lags >= 1000 // 67) & (lags <= 1000 // 18)
        lag = lags[window][np.argmax(ac[window])]
        assert ac[lag] > 0.3, (seed, ac[lag])
        assert 18 <= 1000 / lag <= 67, (seed, 1000 / lag)


def _levels_db(x: np.ndarray, win_s: float) -> np.ndarray:
    w = int(win_s * SR)
    n = len(x) // w
    return 10 * np.log10((x[: n * w].astype(np.float64).reshape(n, w) ** 2).mean(axis=1) + 1e-20)


def test_room_tone_is_steady_and_falls_with_frequency():
    x, choice = synthesize(SourceDescription("room tone", "still air in a room", "quiet room ambience", ("soft",)), 5.0)
    assert choice.model == "room"
    levels = _levels_db(x, 0.5)[1:-1]  # no gusts: half-second levels within a couple of dB
    assert levels.max() - levels.min() < 3.0, levels
    f = np.fft.rfftfreq(len(x), 1 / SR)
    power = np.abs(np.fft.rfft(x)) ** 2
    bands = [10 * np.log10(power[(f >= lo) & (f < 2 * lo)].mean()) for lo in (100, 400, 1000, 4000)]
    assert all(a > b + 3 for a, b in zip(bands[:-1], bands[1:], strict=True)), bands  # ventilation noise: falls with frequency


def test_scrape_level_follows_push_and_pause_bouts():
    x, choice = synthesize(SourceDescription("chair", "wood", "dragged across the floor", ("rough",)), 5.0, seed=0)
    assert choice.model == "scrape"
    levels = _levels_db(x, 0.05)
    active = levels > levels.max() - 30
    edges = np.diff(np.r_[0, active.astype(int), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_bouts = [(s, e) for s, e in zip(starts, ends, strict=True) if (e - s) * 0.05 >= 0.4]
    assert len(long_bouts) >= 2, list(zip(starts, ends, strict=True))  # pushes of 0.5-1.5 s ...
    assert 0.15 < 1 - active.mean() < 0.7  # ... with pauses between them
    # stick-slip at hundreds to thousands of slips per second: the energy sits well above the floor's rumble
    f = np.fft.rfftfreq(len(x), 1 / SR)
    power = np.abs(np.fft.rfft(x)) ** 2
    assert (power * f).sum() / power.sum() > 1000


@pytest.mark.parametrize("seed", [0, 1])
def test_rattle_impacts_cluster_in_bouts_and_ring_high(seed):
    x, choice = synthesize(SourceDescription("metal barricades", "steel tubing", "light rattle as they are adjusted",
                                             ("clanky",)), 5.0, seed=seed)
    assert choice.model == "rattle"
    hp = signal.sosfilt(signal.butter(2, 1000, "high", fs=SR, output="sos"), x)
    env = np.abs(hp)[: len(hp) // 240 * 240].reshape(-1, 240).max(axis=1)  # 5 ms peaks
    peaks, _ = signal.find_peaks(env, height=0.1 * env.max(), distance=2)
    gaps = np.diff(peaks) * 0.005
    assert len(peaks) >= 10
    assert np.median(gaps) < 0.06  # impacts come fast within a bout ...
    assert gaps.max() > 0.3  # ... and bouts are separated by quiet
    assert gaps.std() / gaps.mean() > 1.5  # clustered: far burstier than a Poisson stream (CV = 1)
    f = np.fft.rfftfreq(len(x), 1 / SR)
    power = np.abs(np.fft.rfft(x)) ** 2
    assert (power * f).sum() / power.sum() > 1000  # steel tubes ring in the kHz


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_footsteps_fall_at_a_walking_cadence_heel_then_sole(seed):
    x, choice = synthesize(SourceDescription("officer", "leather boots", "footsteps on stone pavement"), 6.0, seed=seed)
    assert choice.model == "footsteps"
    env = np.abs(x)[: len(x) // 48 * 48].reshape(-1, 48).max(axis=1)  # 1 ms peaks
    steps, _ = signal.find_peaks(env, height=0.12 * env.max(), distance=300)  # heel strikes, >= 0.3 s apart
    gaps = np.diff(steps) / 1000.0
    assert 1.5 <= 1 / np.median(gaps) <= 2.3, gaps  # 1.5-2.3 steps per second ...
    assert 0.02 < gaps.std() / gaps.mean() < 0.2  # ... with a natural spread, not a metronome
    # each heel strike is followed 60-120 ms later by the sole coming down: a second, weaker contact
    seconds = [env[s + 50:s + 130].max() / env[s] for s in steps[:-1]]
    assert np.median(seconds) > 0.2
    # between the steps a quiet floor of outdoor noise, not digital silence
    assert 1e-4 < np.percentile(env, 5) / env.max() < 0.05


def test_footsteps_on_floorboards_knock_lower_than_on_paving():
    """The surface named in the play method shapes each contact: wooden floorboards knock lower than stone
    paving (spectral centroid above the body's thump, 300 Hz and up)."""

    def centroid(play_method: str) -> float:
        cs = []
        for seed in range(3):
            x, choice = synthesize(SourceDescription("officer", "leather boots", play_method), 4.0, seed=seed)
            assert choice.model == "footsteps"
            f, pxx = signal.welch(x, SR, nperseg=4096)
            band = f > 300
            cs.append((f[band] * pxx[band]).sum() / pxx[band].sum())
        return float(np.mean(cs))

    stone, wood = centroid("footsteps on stone pavement"), centroid("footsteps on a wooden floor")
    assert wood < 0.85 * stone, (wood, stone)


def test_wind_is_low_frequency_turbulence_that_swells_with_gusts():
    """Wind in the open: power falls with frequency (turbulence, f^-5/3 above a low corner), and the level
    swells and drops with gusts lasting seconds."""
    for seed in range(3):
        x, choice = synthesize(SourceDescription("wind", "moving air", "wind blowing across open space"), 6.0,
                               seed=seed)
        assert choice.model == "wind"
        f, pxx = signal.welch(x, SR, nperseg=8192)
        low, mid, high = (pxx[(f >= lo) & (f < hi)].mean() for lo, hi in ((100, 200), (1000, 2000), (4000, 8000)))
        assert 10 * np.log10(low / mid) > 5, seed
        assert 10 * np.log10(mid / high) > 6, seed
        rms = np.sqrt([np.mean(c**2) for c in np.array_split(x.astype(np.float64), 12)])  # 0.5 s windows
        assert 20 * np.log10(rms.max() / rms.min()) > 6, seed
