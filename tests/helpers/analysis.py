"""Measurements used by the tests: band levels, alignment, onsets, pitch (formerly server/audio/analysis.py;
nothing in the package needs them).

Kept small and formula-driven so a test's expectation never comes from the code under test.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def to_mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=0) if x.ndim == 2 else x


def db(x: float | np.ndarray, floor: float = 1e-12) -> float | np.ndarray:
    return 20.0 * np.log10(np.maximum(np.abs(x), floor))


def rms_db(x: np.ndarray) -> float:
    return float(db(np.sqrt(np.mean(np.square(to_mono(x)))) if np.size(x) else 0.0))


def third_octave_centres(fmin: float = 25.0, fmax: float = 20000.0) -> np.ndarray:
    """IEC 61260 base-ten third-octave band centres between ``fmin`` and ``fmax``."""
    k = np.arange(-17, 14)
    f = 1000.0 * 10 ** (k / 10)
    return f[(f >= fmin) & (f <= fmax)]


def third_octave_levels(x: np.ndarray, sr: int, frame: int = 1024, hop: int | None = None,
                        fmin: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """Levels (dB, power) of third-octave bands in frames of ``frame`` samples (21 ms at 48 kHz).

    Returns ``(centres, levels[frames, bands])``; bands are summed from a Hann-windowed STFT.
    """
    hop = hop or frame
    mono = to_mono(x)
    f, _, z = signal.stft(mono, fs=sr, window="hann", nperseg=frame, noverlap=frame - hop, boundary=None,
                          padded=False)
    power = np.abs(z) ** 2
    centres = third_octave_centres(fmin, min(20000.0, sr / 2 / 2 ** (1 / 6)))
    levels = np.empty((power.shape[1], len(centres)))
    for i, fc in enumerate(centres):
        lo, hi = fc / 2 ** (1 / 6), fc * 2 ** (1 / 6)
        sel = (f >= lo) & (f < hi)
        levels[:, i] = 10 * np.log10(power[sel].sum(axis=0) + 1e-20) if sel.any() else -200.0
    return centres, levels


def align(ref: np.ndarray, x: np.ndarray, max_lag: int) -> int:
    """Lag (samples) by which ``x`` trails ``ref``, from the cross-correlation peak within ±max_lag."""
    a, b = to_mono(ref), to_mono(x)
    n = min(len(a), len(b))
    c = signal.correlate(b[:n], a[:n], mode="full", method="fft")
    mid = n - 1
    window = c[mid - max_lag : mid + max_lag + 1]
    return int(np.argmax(window)) - max_lag


def null_residual_db(ref: np.ndarray, x: np.ndarray, max_lag: int = 4800) -> tuple[float, int, float]:
    """Align ``x`` to ``ref``, fit the best gain, and return (residual dB relative to ref, lag, gain)."""
    lag = align(ref, x, max_lag)
    a, b = to_mono(ref), to_mono(x)
    if lag >= 0:
        b = b[lag:]
    else:
        a = a[-lag:]
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    g = float(np.dot(a, b) / max(np.dot(b, b), 1e-20))
    res = a - g * b
    return float(10 * np.log10(np.sum(res**2) / max(np.sum(a**2), 1e-20))), lag, g


def onsets(x: np.ndarray, sr: int, threshold_db: float = -50.0, min_gap: float = 0.05) -> np.ndarray:
    """Sample positions where the signal first rises above ``threshold_db`` (dBFS, per sample) after
    at least ``min_gap`` seconds below it. Meant for sparse test signals, not for music."""
    env = np.abs(to_mono(x))
    above = env > 10 ** (threshold_db / 20)
    idx = np.flatnonzero(above)
    if idx.size == 0:
        return idx
    gap = int(min_gap * sr)
    starts = [idx[0]]
    for prev, cur in zip(idx[:-1], idx[1:], strict=True):
        if cur - prev > gap:
            starts.append(cur)
    return np.array(starts)


def f0_autocorr(x: np.ndarray, sr: int, fmin: float = 25.0, fmax: float = 4200.0) -> float:
    """Fundamental frequency of a steady tone by autocorrelation with parabolic peak refinement."""
    y = to_mono(x)
    y = y - y.mean()
    n = len(y)
    spec = np.fft.rfft(y * np.hanning(n), 2 * n)
    ac = np.fft.irfft(np.abs(spec) ** 2)[:n]
    lo, hi = int(sr / fmax), min(int(sr / fmin), n - 2)
    seg = ac[lo:hi]
    k = int(np.argmax(seg)) + lo
    # prefer the first peak within 90 % of the maximum (avoids octave-down errors)
    peaks, _ = signal.find_peaks(seg)
    good = [p + lo for p in peaks if seg[p] >= 0.9 * seg.max()]
    if good:
        k = good[0]
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom else 0.0
    return sr / (k + shift)


def centroid_hz(x: np.ndarray, sr: int) -> float:
    """Spectral centroid (Hz) of ``x``'s power spectrum (no window)."""
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return float((f * spec).sum() / spec.sum())


def band_share(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Share of ``x``'s power between ``lo`` (inclusive) and ``hi`` (exclusive) Hz."""
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(f >= lo) & (f < hi)].sum() / spec.sum())


def peak_hz(x: np.ndarray, sr: int, lo: float, hi: float, pad: int = 1) -> float:
    """The strongest spectral peak of ``x`` between ``lo`` and ``hi`` Hz (Hann window, zero-padded ``pad`` times),
    interpolated by a parabola on the log magnitude."""
    n = len(x) * pad
    X = np.abs(np.fft.rfft(x * np.hanning(len(x)), n)) + 1e-20
    hz = np.fft.rfftfreq(n, 1 / sr)
    band = np.flatnonzero((hz >= lo) & (hz <= hi))
    k = int(band[np.argmax(X[band])])
    a, b, c = np.log(X[k - 1 : k + 2])
    return float((k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n)


def cents(f: float, ref: float) -> float:
    return 1200.0 * float(np.log2(f / ref))


def midi_to_hz(key: float) -> float:
    return 440.0 * 2 ** ((key - 69) / 12)
