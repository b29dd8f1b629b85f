"""Physics of the animal sounds changed at stop 24 (server/sounds/animals.py), measured on the rendered audio."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from tests.helpers.sounds import calls, render

SR = 48000


def longest_burst(x: np.ndarray, threshold_db: float = -20.0) -> np.ndarray:
    bursts = [(a, b) for a, b in calls(x, threshold_db, 0.1) if b - a > 0.3]
    assert bursts, "no burst longer than 0.3 s"
    a, b = max(bursts, key=lambda ab: ab[1] - ab[0])
    return x[int(a * SR): int(b * SR)]


def modulation_index(seg: np.ndarray, lo: float, hi: float, window_s: float = 0.2) -> float:
    """How deeply the amplitude envelope (Hilbert, low-passed at 1 kHz, read at 4 kHz) beats at its strongest
    rate between ``lo`` and ``hi`` Hz: that component's amplitude over the envelope's mean (1 = full
    modulation), the median over windows of ``window_s`` (the rate drifts)."""
    env = signal.sosfiltfilt(signal.butter(2, 1000, fs=SR, output="sos"), np.abs(signal.hilbert(seg)))[:: SR // 4000]
    w = int(window_s * 4000)
    win = np.hanning(w)
    f = np.fft.rfftfreq(8192, 1 / 4000)
    band = (f > lo) & (f < hi)
    out = []
    for i in range(0, len(env) - w, w):
        e = env[i: i + w]
        spec = np.abs(np.fft.rfft((e - e.mean()) * win, 8192))
        out.append(2 * spec[band].max() / win.sum() / e.mean())
    return float(np.median(out))


# ------------------------------------------------------------------------------------------------ rattle
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_rattles_knocks_bunch_within_each_swing_so_it_beats_at_the_knock_rate(seed):
    """The segments' knocks of one swing fall within ~ 3 ms, under the 5-8 ms half-cycle of a tail shaken 60-100
    times a second: the envelope beats at 120-200 knocks a second (modulation index > 0.45), not a steady
    hiss (knocks spread over 8 ms overlap the next swing's: index ~ 0.2-0.3)."""
    seg = longest_burst(render("hiss", "rattlesnake", "tail rattling", seed=seed))
    assert modulation_index(seg, 110, 210) > 0.45
