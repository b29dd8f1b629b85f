"""Engines by kind: the firing rate (from the exhaust pulses' envelope) is the one the physics gives."""

import numpy as np
import pytest

from server.sounds.synth import SourceDescription, _lowpass, engine_kind, synthesize

SR = 16000


def _render(classes: tuple[str, ...], seed: int = 0, seconds: float = 5.0) -> np.ndarray:
    desc = SourceDescription("engine", "steel", "engine running", model="engine", audioset=classes)
    return synthesize(desc, seconds, seed=seed, sample_rate=SR)[0].astype(np.float64)


def _firing_hz(x: np.ndarray) -> float:
    """Rate of the exhaust pulses: the strongest line of the envelope's spectrum between 20 and 120 Hz
    (below 20 Hz lie the cycle-to-cycle lope and the cylinders' differences)."""
    env = _lowpass(np.abs(x), 200, SR)
    spec = np.abs(np.fft.rfft((env - env.mean()) * np.hanning(len(env))))
    f = np.fft.rfftfreq(len(env), 1 / SR)
    band = (f >= 20) & (f <= 120)
    return float(f[band][np.argmax(spec[band])])


@pytest.mark.parametrize("cls,kind", [("Idling", "idle"), ("Accelerating, revving, vroom", "rev"),
                                      ("Lawn mower", "light"), ("Truck", "heavy"),
                                      ("Traffic noise, roadway noise", "traffic")])
def test_kind_from_class(cls, kind):
    assert engine_kind(SourceDescription("x", audioset=(cls,))) == kind


def test_small_two_stroke_fires_faster_than_a_diesel():
    light = np.median([_firing_hz(_render(("Lawn mower",), seed=s)[SR:3 * SR]) for s in range(3)])
    heavy = np.median([_firing_hz(_render(("Heavy engine (low frequency)",), seed=s)[SR:3 * SR]) for s in range(3)])
    assert 38 <= light <= 62  # 2500-3500 rpm, one firing per turn
    assert 25 <= heavy <= 38  # 6 cylinders at 550-700 rpm, one firing per two turns each
    assert light > 1.3 * heavy


def test_revving_sweeps_the_firing_rate_up_and_back():
    x = _render(("Accelerating, revving, vroom",), seed=1, seconds=6.0)
    rates = [_firing_hz(x[i:i + SR // 2]) for i in range(0, len(x) - SR // 2, SR // 4)]
    assert max(rates) > 2.5 * min(rates)  # idle ~800-1000 rpm, peaks 3500-5500 rpm


def test_traffic_swells_as_vehicles_pass():
    x = _render(("Traffic noise, roadway noise",), seed=2, seconds=8.0)
    frames = x[: len(x) // (SR // 4) * (SR // 4)].reshape(-1, SR // 4)
    level = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12)
    assert level.max() - np.median(level) > 3.0  # a pass-by stands out of the bed
