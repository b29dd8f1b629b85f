"""Physics of the animal calls rebuilt for issue 12 (server/sounds/animals.py): pitch range and contour, call
length and rhythm, roughness, measured on the rendered audio (pitch from autocorrelation, level in dB)."""

from __future__ import annotations

import numpy as np
import pytest

from server.sounds.synth import SourceDescription, synthesize

SR = 48000


def render(model: str, name: str, play: str, seconds: float = 5.0, seed: int = 0) -> np.ndarray:
    x, choice = synthesize(SourceDescription(name, "", play), seconds, seed=seed, model=model)
    assert choice.model == model
    return x.astype(np.float64)


def level_db(x: np.ndarray, hop_s: float = 0.01) -> np.ndarray:
    """RMS level (dB re the loudest frame) in frames of ``hop_s``."""
    hop = int(hop_s * SR)
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1)) + 1e-12
    return 20 * np.log10(rms / rms.max())


def calls(x: np.ndarray, threshold_db: float = -20.0, gap_s: float = 0.06) -> list[tuple[float, float]]:
    """(start, end) s of the stretches louder than ``threshold_db``, bridging gaps under ``gap_s``."""
    on = level_db(x) > threshold_db
    segs: list[list[float]] = []
    for i in np.flatnonzero(on):
        t = i * 0.01
        if segs and t - segs[-1][1] <= gap_s:
            segs[-1][1] = t + 0.01
        else:
            segs.append([t, t + 0.01])
    return [(a, b) for a, b in segs]


def f0_track(x: np.ndarray, fmin: float, fmax: float, frame_s: float = 0.04, min_level_db: float = -15.0
             ) -> list[tuple[float, float, float]]:
    """(time s, f0 Hz, periodicity 0..1) of every frame within ``min_level_db`` of the loudest, from the
    autocorrelation peak between 1/fmax and 1/fmin (periodicity = that peak over the lag-0 value)."""
    n = int(frame_s * SR)
    frames = x[: len(x) // n * n].reshape(-1, n)
    level = np.sqrt((frames ** 2).mean(axis=1)) + 1e-12
    loud = 20 * np.log10(level / level.max()) > min_level_db
    lo, hi = int(SR / fmax), int(SR / fmin)
    out = []
    for i in np.flatnonzero(loud):
        fr = frames[i] - frames[i].mean()
        ac = np.correlate(fr, fr, "full")[n - 1:]
        lag = lo + int(np.argmax(ac[lo:hi]))
        out.append(((i + 0.5) * frame_s, SR / lag, float(ac[lag] / (ac[0] + 1e-12))))
    return out


# ------------------------------------------------------------------------------------------------ roar
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lion_roar_is_a_long_call_sweeping_up_to_150_230_hz_and_falling(seed):
    x = render("roar", "lion", "roaring", seed=seed)
    roars = [(a, b) for a, b in calls(x, -25.0, 0.15) if b - a > 0.3]
    assert 1 <= len(roars) <= 3, roars  # one roar every 3-4 s
    assert all(1.0 <= b - a <= 2.3 for a, b in roars), roars  # 1.5-2.1 s, the quiet ends under the threshold
    a, b = roars[0]
    seg = x[int(a * SR): int(b * SR)]
    track = [(t, f, r) for t, f, r in f0_track(seg, 40, 400, min_level_db=-12.0) if r > 0.3]
    assert len(track) >= 10, track
    f = np.array([f for _, f, _ in track])
    peak = float(np.percentile(f, 90))
    assert 140 < peak < 240, peak  # the peak f0 of a lion's roar, not a subharmonic
    times = np.array([t for t, _, _ in track])
    late = f[times > times.max() - 0.3]
    assert 1200 * np.log2(peak / np.median(late)) > 300, (peak, late)  # falls by over 3 semitones at the end


@pytest.mark.parametrize("seed", [0, 1])
def test_roar_is_rough_not_a_clean_tone(seed):
    """The big cat's irregular vocal folds and the turbulent noise: voiced (periodicity over 0.3) but far from a
    clean tone (a pure pulse train measures ~ 1.0)."""
    track = f0_track(render("roar", "lion", "roaring", seed=seed), 40, 400, min_level_db=-10.0)
    r = np.median([r for _, _, r in track])
    assert 0.3 < r < 0.9, r


def test_tiger_roars_higher_than_a_bear():
    def peak(name):
        track = [f for _, f, r in f0_track(render("roar", name, "roaring", seed=1), 40, 400, min_level_db=-12.0)
                 if r > 0.3]
        return float(np.percentile(track, 90))

    assert 1200 * np.log2(peak("tiger") / peak("bear")) > 500  # x1.1 against x0.7: ~ 7.8 semitones


def test_hippo_honks_in_a_run_after_a_wheeze():
    x = render("roar", "hippopotamus", "grunting honks", seed=0)
    honks = [(a, b) for a, b in calls(x, -20.0, 0.05) if b - a > 0.08]
    assert len(honks) >= 4, honks
    assert all(b - a < 0.6 for a, b in honks), honks  # short honks, not a roar
