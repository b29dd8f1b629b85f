"""Spinning machinery (server/sounds/rotors.py) checked by its physics: blade-pass modulation, the motor's
hum line, a gear train's tooth-mesh rate, determinism and speed."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from server.sounds import rotors
from server.sounds.synth import MATERIALS, MODEL_FUNCS, Ctx, Params, SourceDescription, synthesize
from tests.helpers.analysis import band_share

SR = 16000


def _render(model: str, play: str = "x", seed: int = 0, seconds: float = 5.0, name: str = "thing",
            timbre: tuple[str, ...] = ()) -> np.ndarray:
    desc = SourceDescription(name, "plastic blades and motor", play, timbre, model=model)
    x, choice = synthesize(desc, seconds, seed=seed, sample_rate=SR)
    assert choice.model == model
    return x.astype(np.float64)


def _envelope_peak_hz(x: np.ndarray, lo: float, hi: float, fmin: float, fmax: float) -> float:
    """The strongest rate (Hz) in ``fmin``-``fmax`` at which the ``lo``-``hi`` Hz band's loudness swells."""
    sos = signal.butter(4, [lo, hi], "bandpass", fs=SR, output="sos")
    env = np.abs(signal.hilbert(signal.sosfiltfilt(sos, x)))
    spec = np.abs(np.fft.rfft((env - env.mean()) * np.hanning(len(env))))
    f = np.fft.rfftfreq(len(env), 1 / SR)
    band = (f >= fmin) & (f <= fmax)
    return float(f[band][np.argmax(spec[band])])


def _tick_rate_hz(x: np.ndarray, lo: float, hi: float, fmin: float, fmax: float) -> float:
    """The repetition rate (Hz) of the ``lo``-``hi`` Hz band's clicks: the highest autocorrelation peak of its
    loudness at a period of 1 / ``fmax`` to 1 / ``fmin`` s (the fundamental, not a harmonic of it)."""
    sos = signal.butter(4, [lo, hi], "bandpass", fs=SR, output="sos")
    env = np.abs(signal.hilbert(signal.sosfiltfilt(sos, x)))
    env = signal.sosfiltfilt(signal.butter(2, 60, fs=SR, output="sos"), env)
    env -= env.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(env, 2 * len(env))) ** 2)[: len(env)]
    a, b = int(SR / fmax), int(SR / fmin)
    return SR / (a + int(np.argmax(ac[a:b])))


def test_every_rotor_model_is_registered_with_its_classes():
    assert rotors.MODELS
    for name, (stems, func) in rotors.MODELS.items():
        assert MODEL_FUNCS[name] is func
        assert stems and rotors.AUDIOSET[name], name


@pytest.mark.parametrize("model", sorted(rotors.MODELS))
def test_models_are_deterministic_per_seed_finite_and_fast(model):
    _render(model, seed=0, seconds=0.5)  # warm
    t0 = time.perf_counter()
    a = _render(model, seed=3)
    took = time.perf_counter() - t0
    b = _render(model, seed=3)
    c = _render(model, seed=4)
    assert np.isfinite(a).all() and np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert took < 1.0, (model, took)  # ~0.1 s on an idle core: a 6-source scene stays near a second


def test_gear_mesh_rate_follows_the_teeth_and_refuses_an_impossible_train():
    # a 20 rev/s motor, single-start worm, 30-tooth wheel, 10-tooth pinion: 20 / 30 x 10 = 6.67 meshes/s
    assert rotors.gear_mesh_hz(20.0, 10, 30) == pytest.approx(20 / 3)
    assert rotors.gear_mesh_hz(20.0, 10, 30, worm_starts=2) == pytest.approx(40 / 3)
    with pytest.raises(ValueError, match="gear train"):
        rotors.gear_mesh_hz(0.0, 10, 30)
    with pytest.raises(ValueError, match="gear train"):
        rotors.gear_mesh_hz(20.0, 0, 30)


@pytest.mark.parametrize("rate", [4.0, 9.0])
def test_tooth_ticks_come_at_the_mesh_rate_high_and_short(rate):
    """One tick per tooth mesh (counted over 5 s within 5 %), each a click ringing 3-7.5 kHz: most of the
    power is above 2.5 kHz, and a tick has died 40 dB within 60 ms (10-30 ms ring times)."""
    ctx = Ctx(SR, 5 * SR, np.random.default_rng(1), Params(), MATERIALS["metal"])
    x = rotors._tooth_ticks(ctx, np.full(ctx.n, rate))
    env = np.abs(signal.hilbert(x))
    peaks, _ = signal.find_peaks(env, height=0.2 * env.max(), distance=int(0.6 * SR / rate))
    assert abs(len(peaks) - 5 * rate) <= max(1, 0.05 * 5 * rate), len(peaks)
    assert band_share(x, SR, 2500, 8000) > 0.8
    p = peaks[len(peaks) // 2]
    assert env[p + int(0.06 * SR): p + int(0.07 * SR)].max() < 0.01 * env[p]


@pytest.mark.parametrize("seed", range(4))
def test_desk_fan_air_swells_at_the_blade_pass_and_the_gears_tick_a_few_times_a_second(seed):
    """The airflow (150-600 Hz) swells at the blade-pass frequency, 3-5 blades x 13-25 rev/s = 39-125 Hz;
    the gear ticks (3-7.5 kHz) come 2.5-13 times a second (rev/s x pinion / wheel teeth); the motor's
    magnetostriction line at twice the mains frequency (100 or 120 Hz) stands 6 dB over its neighbourhood."""
    x = _render("desk_fan", "blades whirring", seed)
    bpf = _envelope_peak_hz(x, 150, 600, 30, 140)
    assert 39 <= bpf <= 125, bpf
    tick_rate = _tick_rate_hz(x, 3000, 7500, 2.0, 20)
    assert 2.5 <= tick_rate <= 13, tick_rate
    f, pxx = signal.welch(x, SR, nperseg=SR)
    hum = max(pxx[f == 100.0][0], pxx[f == 120.0][0])
    around = np.median(pxx[(f > 85) & (f < 135)])
    assert 10 * np.log10(hum / around) > 6


def test_desk_fan_ticks_sit_under_the_air():
    """The ticks are quiet next to the rush: under 15 % of the power is above 2.5 kHz."""
    for seed in range(3):
        assert band_share(_render("desk_fan", "blades whirring", seed), SR, 2500, 8000) < 0.15


@pytest.mark.parametrize("seed", range(3))
def test_compressor_hums_at_twice_the_mains_with_the_refrigerant_hissing_10_to_14_db_under(seed):
    """The motor's magnetostriction line (100 or 120 Hz) is the strongest below 400 Hz; the refrigerant's
    hiss holds 2-6 kHz, 10-14 dB under the rest (each part has unit RMS before the 0.2-0.3 mix: up to 2 dB
    more for the hum's own share of that band and the filters' skirts)."""
    x = _render("compressor_hum", "compressor humming", seed, timbre=("low", "humming", "steady"))
    f, pxx = signal.welch(x, SR, nperseg=SR)
    low = (f > 80) & (f < 400)
    assert f[low][np.argmax(pxx[low])] in (100.0, 120.0)
    hiss = pxx[(f >= 2000) & (f < 6000)].sum()
    rest = pxx[f < 2000].sum() + pxx[f >= 6000].sum()
    assert -15.0 < 10 * np.log10(hiss / rest) < -8.0


def test_compressor_refrigerant_gurgles_rather_than_hissing_steadily():
    """The hiss's level wanders (liquid and vapour slugs): its 2-6 kHz loudness over 50 ms frames varies by
    well over what a steady noise's does (a steady band noise: ~5 %)."""
    x = _render("compressor_hum", "compressor humming", 0)
    sos = signal.butter(4, [2500, 5500], "bandpass", fs=SR, output="sos")
    frames = signal.sosfiltfilt(sos, x)[: 5 * SR].reshape(100, -1)
    level = np.sqrt((frames**2).mean(axis=1))
    assert level.std() / level.mean() > 0.12
