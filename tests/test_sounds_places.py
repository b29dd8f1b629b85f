"""Places and flames: the core ambience models' variants checked by their physics (a gas burner's roar puffing at
the flame's flicker rate, its sputter clicks), not by ear."""

import time

import numpy as np
import pytest
from scipy import signal, stats

from server.sounds.synth import SourceDescription, fire_kind, synthesize

SR = 48000


def _fire(name: str, play: str, seed: int = 0, seconds: float = 5.0) -> np.ndarray:
    x, choice = synthesize(SourceDescription(name, "flame", play, model="fire"), seconds, seed=seed, sample_rate=SR)
    assert choice.model == "fire"
    return x.astype(np.float64)


def _band(x: np.ndarray, lo: float | None, hi: float) -> np.ndarray:
    sos = signal.butter(4, [lo, hi] if lo else hi, btype="band" if lo else "low", fs=SR, output="sos")
    return signal.sosfilt(sos, x)


def _flicker_db(x: np.ndarray) -> float:
    """How much more the sub-400 Hz roar's envelope moves at 5-15 Hz than at 25-45 Hz (dB)."""
    env = np.abs(signal.hilbert(_band(x, None, 400.0)))
    env = signal.decimate(signal.decimate(env, 10), 10)  # 480 Hz
    f, pe = signal.welch(env - env.mean(), SR / 100, nperseg=512)
    return float(10 * np.log10(pe[(f >= 5) & (f < 15)].mean() / pe[(f >= 25) & (f < 45)].mean()))


@pytest.mark.parametrize("name,play,kind", [
    ("stove", "burner flame roaring", "burner"), ("blowtorch", "gas torch hissing", "burner"),
    ("stove", "pan sizzling", "wood"), ("pot", "sizzling on the hob", "wood"), ("fireplace", "flames roaring", "wood"),
    ("candle", "flame flickering", "wood"), ("lighter", "flame hissing", "burner"), ("lighter", "flint wheel", "burner"),
    ("camping stove", "pan sizzling", "wood"),
])
def test_fire_kind_from_the_play_method(name, play, kind):
    assert fire_kind(SourceDescription(name, "", play)) == kind


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_gas_burner_roars_low_and_puffs_at_the_flicker_rate(seed):
    """A gas flame's combustion noise is low-frequency heavy and puffs at the flame's flicker rate (~10 Hz): the
    sub-400 Hz share is 2-5x a log fire's, and its envelope moves > 4 dB more at 5-15 Hz than at 25-45 Hz (a log
    fire's roar wanders at ~2 Hz: within 2 dB)."""
    burner = _fire("stove", "burner flame roaring", seed)
    logs = _fire("fireplace", "logs crackling", seed)

    def low_share(x):
        f, p = signal.welch(x, SR, nperseg=4096)
        return p[f < 400].sum() / p[f > 20].sum()

    assert 2.0 < low_share(burner) / low_share(logs) < 5.0
    assert 0.08 < low_share(burner) < 0.2
    assert _flicker_db(burner) > 4.0
    assert abs(_flicker_db(logs)) < 2.5


def test_a_burner_sputters_in_sharp_clicks():
    """Dust and droplets flashing in the flame: 1-10 kHz clicks decaying in 1-3 ms stand far out of the gas hiss
    (the band's kurtosis, 3 for the hiss alone, above 50)."""
    for seed in range(3):
        hi = _band(_fire("stove", "burner flame roaring", seed), 1000.0, 10000.0)
        assert stats.kurtosis(hi, fisher=False) > 50


def test_burner_is_deterministic_and_quick():
    t0 = time.perf_counter()
    a = _fire("stove", "burner flame roaring", seed=4)
    assert time.perf_counter() - t0 < 0.6
    assert np.array_equal(a, _fire("stove", "burner flame roaring", seed=4))
    assert not np.array_equal(a, _fire("stove", "burner flame roaring", seed=5))
    assert np.isfinite(a).all() and np.abs(a).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_crickets_carrier_falls_within_each_pulse(seed):
    """Each pulse is one closing stroke of the wings, the scraper slowing down the file: the carrier falls by 6 %
    from the pulse's start to its end, so between the early and the late part of its loud middle (0.3 -> 0.7 of
    the pulse) it is 1-4 % lower, in every pulse (a steady carrier was heard as an electronic beep)."""
    x, choice = synthesize(SourceDescription("cricket", "wings", "chirping", ("sparse",), model="insects"), 4.0,
                           seed=seed, sample_rate=SR)
    assert choice.model == "insects"
    a = signal.hilbert(_band(x.astype(np.float64), 2500.0, 9000.0))
    env = np.abs(a)[1:]
    inst = np.diff(np.unwrap(np.angle(a))) * SR / (2 * np.pi)
    edges = np.flatnonzero(np.diff((env > 0.3 * env.max()).astype(int)))
    falls = []
    for s0, e0 in zip(edges[::2] + 1, edges[1::2] + 1, strict=False):
        m = e0 - s0
        if m < 100:
            continue
        falls.append(np.median(inst[e0 - m // 3:e0 - m // 10]) / np.median(inst[s0 + m // 10:s0 + m // 3]) - 1)
    assert len(falls) > 10
    assert -0.04 < np.median(falls) < -0.01, np.median(falls)
    assert np.percentile(falls, 90) < 0, falls


def test_walkers_step_at_adult_cadences():
    """Adults walking at 1.2-1.6 m/s take 1.75-2.15 steps a second (each walker its own pace): the median heel
    strike interval of each of six walkers within that band, and not all at one pace."""
    rates = []
    for seed in range(6):
        x, choice = synthesize(SourceDescription("person", "", "footsteps"), 6.0, seed=seed, sample_rate=SR)
        assert choice.model == "footsteps"
        env = np.abs(x)[: len(x) // 48 * 48].reshape(-1, 48).max(axis=1)  # 1 ms peaks
        steps, _ = signal.find_peaks(env, height=0.12 * env.max(), distance=300)
        rates.append(1 / np.median(np.diff(steps) / 1000.0))
    assert all(1.65 < r < 2.25 for r in rates), rates  # the band, with the steps' natural spread
    assert max(rates) - min(rates) > 0.1, rates


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grit_under_a_sole_crunches_rather_than_crackles(seed):
    """Grit crushed under the heel and sole is a dense burst of even grains (tens a step) ticking at 1.5-3 kHz,
    not a few sparse heavy-tailed spikes (a fire's crackle): most 1 ms slots of the loaded ~40-140 ms hold a
    grain, the loudest grain is within a few times the median one, and the energy sits in 1.5-3 kHz."""
    from server.sounds.synth import MATERIALS, Ctx, Params, _grit_crunch

    rng = np.random.default_rng(seed)
    ctx = Ctx(SR, int(0.35 * SR), rng, Params(), MATERIALS["stone"])
    x = _grit_crunch(ctx, ctx.n, 0.1, soft=False)
    env = np.abs(x)[: len(x) // 48 * 48].reshape(-1, 48).max(axis=1)  # 1 ms peaks
    active = env > 0.05 * env.max()
    assert 30 < active.sum() < 200, active.sum()  # ms of crunch: heel 30-60 ms, sole 40-80 ms (with ring)
    assert env[active].max() / np.median(env[active]) < 8  # even grains, no lone crackle
    f, p = signal.welch(x, SR, nperseg=2048)
    band = p[(f >= 1400) & (f <= 3200)].sum() / p.sum()
    assert band > 0.7, band
