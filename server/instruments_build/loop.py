"""Sustain loops: flatten the decay, pick loop points at matching zero crossings, crossfade the seam.

The loop end is fixed near the end of the sample at a rising zero crossing; the loop start is the
rising zero crossing, about ``target`` seconds earlier, whose neighbourhood correlates best with
the neighbourhood of the end. The last ``xfade`` samples before the end are then crossfaded with
the samples before the start, so playback wraps from ``loop_end - 1`` to ``loop_start`` exactly as
it goes from ``loop_start - 1`` to ``loop_start``: no step, no click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GUARD = 64  # samples kept after the loop end (SF2 wants >= 8; interpolating players read ahead)
MAX_FLATTEN_DB = 30.0


@dataclass(frozen=True)
class Loop:
    start: int
    end: int  # exclusive
    correlation: float
    crossfade: int

    @property
    def length(self) -> int:
        return self.end - self.start


def rms_envelope(x: np.ndarray, win: int) -> np.ndarray:
    """Moving RMS over ``win`` samples, centred, one value per sample."""
    win = max(1, int(win))
    c = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    half = win // 2
    idx = np.arange(len(x))
    lo = np.clip(idx - half, 0, len(x))
    hi = np.clip(idx + half + 1, 0, len(x))
    return np.sqrt(np.maximum((c[hi] - c[lo]) / np.maximum(hi - lo, 1), 1e-20))


def flatten_from(x: np.ndarray, start: int, win: int) -> np.ndarray:
    """From ``start`` on, divide out the decay so the level stays that of ``start`` (capped gain)."""
    env = rms_envelope(x, win)
    y = np.array(x, dtype=np.float64)
    ref = env[start]
    gain = np.clip(ref / env[start:], 10 ** (-MAX_FLATTEN_DB / 20), 10 ** (MAX_FLATTEN_DB / 20))
    y[start:] *= gain
    return y


def rising_zero_crossings(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    lo, hi = max(1, lo), min(len(x), hi)
    seg = x[lo - 1 : hi]
    return lo + np.nonzero((seg[:-1] < 0) & (seg[1:] >= 0))[0]


def _ncc(x: np.ndarray, a: np.ndarray, b: int, w: int) -> np.ndarray:
    """Normalised correlation of x[a_i-w:a_i+w] (each candidate) with x[b-w:b+w]."""
    ref = x[b - w : b + w]
    ref = ref - ref.mean()
    wins = np.stack([x[i - w : i + w] for i in a])
    wins = wins - wins.mean(axis=1, keepdims=True)
    den = np.sqrt((wins**2).sum(axis=1) * (ref**2).sum()) + 1e-20
    return (wins @ ref) / den


def find_loop(x: np.ndarray, sr: int, *, period: float | None, target: float = 0.4) -> Loop:
    """Choose loop points in the second half of ``x`` (see module doc). ``period`` in samples or None."""
    n = len(x)
    w = int(max(0.004 * sr, 2 * (period or 0)))
    w = min(w, n // 16)
    end_hi = n - GUARD - w - 1
    length = int(min(target * sr, 0.4 * n))
    if period:
        length = max(int(round(length / period) * period), int(round(period)))
    cands_end = rising_zero_crossings(x, end_hi - int(0.02 * sr), end_hi)
    if len(cands_end) == 0:
        cands_end = np.array([end_hi])
    best = (-2.0, 0, 0)
    for end in (int(e) for e in cands_end[-8:]):  # the last few zero crossings: keep the best pair
        start, corr = _best_start(x, end, length, period, w)
        if corr > best[0]:
            best = (corr, start, end)
    corr, start, end = best
    xfade = int(min(0.1 * sr, 0.5 * (end - start), start))
    return Loop(start, end, corr, xfade)


def _best_start(x: np.ndarray, end: int, length: int, period: float | None, w: int) -> tuple[int, float]:
    n = len(x)
    span = max(int(0.15 * length), int(2 * (period or 0)), 16)
    lo = max(w + 1, end - length - span)
    hi = max(lo + 1, min(end - length + span, end - max(16, length // 2)))
    cands = rising_zero_crossings(x, lo, hi)
    if len(cands) == 0:
        cands = np.arange(lo, hi, max(1, (hi - lo) // 64))
    cands = cands[(cands - w >= 0) & (cands + w <= n)]
    if len(cands) == 0:
        return max(w, end - length), 0.0
    scores = _ncc(x, cands, end, w)
    i = int(np.argmax(scores))
    return int(cands[i]), float(scores[i])


def crossfade_loop(x: np.ndarray, loop: Loop) -> np.ndarray:
    """Blend the ``crossfade`` samples before the loop end into those before the loop start, then
    write ``GUARD`` samples after the end that continue from the start, faded out."""
    y = np.array(x, dtype=np.float64)
    s, e, c = loop.start, loop.end, loop.crossfade
    if c > 0:
        t = (np.arange(c) + 1) / c
        if loop.correlation > 0.7:  # coherent: linear keeps the level
            a, b = 1 - t, t
        else:  # incoherent (noise): equal power
            a, b = np.cos(0.5 * np.pi * t), np.sin(0.5 * np.pi * t)
        y[e - c : e] = a * y[e - c : e] + b * y[s - c : s]
    tail = y[s : s + GUARD].copy()
    tail *= np.linspace(1.0, 0.0, len(tail))
    return np.concatenate([y[:e], tail])


def make_sustain(
    x: np.ndarray, sr: int, freq: float | None, *, target: float = 0.4
) -> tuple[np.ndarray, Loop]:
    """Flatten the decay of ``x`` from its middle on, find and crossfade a loop; returns (audio, loop)."""
    period = sr / freq if freq else None
    n = len(x)
    flat_start = int(0.45 * n)
    win = int(max(0.02 * sr, 3 * (period or 0)))
    y = flatten_from(x, flat_start, win)
    loop = find_loop(y, sr, period=period, target=target)
    return crossfade_loop(y, loop), loop
