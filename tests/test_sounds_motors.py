"""Motors and engines (server/sounds/motors.py) checked by their physics: hum lines, firing rates, spectra."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from server.sounds import motors
from server.sounds.synth import MODEL_FUNCS, SourceDescription, synthesize

SR = 16000


def _render(model: str, play: str = "x", seed: int = 0, seconds: float = 4.0, name: str = "thing",
            timbre: tuple[str, ...] = (), audioset: tuple[str, ...] = ()) -> np.ndarray:
    desc = SourceDescription(name, "metal", play, timbre, model=model, audioset=audioset)
    x, choice = synthesize(desc, seconds, seed=seed, sample_rate=SR)
    assert choice.model == model
    return x.astype(np.float64)


def _psd(x: np.ndarray, nperseg: int = SR) -> tuple[np.ndarray, np.ndarray]:
    return signal.welch(x, SR, nperseg=nperseg)  # 1 Hz bins with nperseg=SR


def test_every_motor_model_is_registered_with_its_classes():
    for name, (stems, func) in motors.MODELS.items():
        assert MODEL_FUNCS[name] is func
        assert stems and motors.AUDIOSET[name], name


@pytest.mark.parametrize("model", sorted(motors.MODELS))
def test_models_are_deterministic_per_seed_finite_and_fast(model):
    t0 = time.perf_counter()
    a = _render(model, seed=3, seconds=5.0)
    took = time.perf_counter() - t0
    b = _render(model, seed=3, seconds=5.0)
    c = _render(model, seed=4, seconds=5.0)
    assert np.isfinite(a).all() and np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert took < 0.6, (model, took)  # a 6-source scene of the slowest stays well under a second at 16 kHz


# ----------------------------------------------------------------------------------------------
# Transformer hum
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_transformer_hums_on_even_multiples_of_the_mains_up_to_kilohertz(seed):
    """Magnetostriction follows B^2: the strongest line between 80 and 400 Hz is 100 or 120 Hz, and the
    even harmonics of the mains stand 15 dB over the floor between them up to 1.5 kHz (a saturated core),
    while the odd multiples of the mains (150, 250 Hz ... for 50 Hz) do not."""
    x = _render("transformer_hum", "electrical humming", seed)
    f, pxx = _psd(x)
    low = (f > 80) & (f < 400)
    f_hum = f[low][np.argmax(pxx[low])]
    assert f_hum in (100.0, 120.0), f_hum
    mains = f_hum / 2
    for k in range(2, 31, 2):
        fk = k * mains
        if fk > 1500:
            break
        i = int(fk)
        line = pxx[i - 1 : i + 2].max()
        between = np.median(pxx[i + 10 : i + int(mains) - 10])
        assert 10 * np.log10(line / between) > 15, (seed, fk)
    odd = [pxx[int(k * mains) - 1 : int(k * mains) + 2].max() for k in (3, 5, 7)]
    even = [pxx[int(k * mains) - 1 : int(k * mains) + 2].max() for k in (2, 4, 6)]
    assert np.mean(odd) < 0.05 * np.mean(even), seed


def test_transformer_hum_lines_carry_most_of_the_power():
    """The hum's lines (multiples of the mains) carry 3/4 or more of the power from 150 Hz to 4 kHz: the
    cooling air (~14 dB under the hum) and the motor's knock (lines of its slower turn) are a floor."""
    x = _render("transformer_hum", "electrical humming", 1)
    f, pxx = _psd(x)
    mains = 50.0 if pxx[100] > pxx[120] else 60.0
    lines = np.zeros_like(f, bool)
    for k in range(1, 100):
        i = int(k * mains)
        if i + 2 >= len(f) or f[i] > 4000:
            break
        lines[i - 2 : i + 3] = True
    band = (f > 150) & (f < 4000)
    ratio_db = 10 * np.log10(pxx[band & lines].sum() / pxx[band & ~lines].sum())
    assert 4.8 < ratio_db < 25, ratio_db
