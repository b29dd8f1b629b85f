"""Root pitch of a sound: pYIN with a confidence, refined to a fraction of a cent by harmonic peaks.

Pitched sounds: librosa's pYIN gives the fundamental and the probability each frame is voiced;
the median voiced f0 is then refined on a long zero-padded spectrum, fitting the peaks of its
first harmonics. Unpitched sounds (low voicing): the strongest spectral peak that stays put over
time becomes the root, and the estimate says so (``method="spectral_peak"``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from .prep import resample

log = logging.getLogger(__name__)

A4 = 440.0
PYIN_SR = 22050
FMIN, FMAX = 30.0, 2100.0
VOICED_MIN = 0.5  # fraction of analysed frames that must be voiced to call a sound pitched
PROB_MIN = 0.3  # and their mean voiced probability


def hz_to_midi(f: float) -> float:
    return 69.0 + 12.0 * np.log2(f / A4)


def midi_to_hz(m: float) -> float:
    return A4 * 2.0 ** ((m - 69.0) / 12.0)


@dataclass(frozen=True)
class PitchEstimate:
    freq: float  # Hz
    confidence: float  # 0-1: mean voiced probability (pitched) or peak stability (spectral peak)
    method: str  # "pyin" or "spectral_peak"
    pitched: bool

    @property
    def midi(self) -> float:
        return hz_to_midi(self.freq)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["midi"] = round(float(self.midi), 3)
        d["freq"] = round(self.freq, 4)
        d["confidence"] = round(self.confidence, 3)
        return d


def _analysis_segment(x: np.ndarray, sr: int, seconds: float = 1.5) -> np.ndarray:
    """The part after the attack (skip 30 ms), at most ``seconds`` long."""
    start = min(int(0.03 * sr), len(x) // 4)
    return x[start : start + int(seconds * sr)]


def _peak_near(freqs: np.ndarray, mag: np.ndarray, f: float, tol: float) -> tuple[float, float] | None:
    """Parabolic-interpolated peak within ``f*(1±tol)``: (frequency, magnitude)."""
    lo, hi = np.searchsorted(freqs, [f * (1 - tol), f * (1 + tol)])
    if hi - lo < 3:
        return None
    i = lo + int(np.argmax(mag[lo:hi]))
    if i <= 0 or i >= len(mag) - 1:
        return None
    a, b, c = np.log(mag[i - 1 : i + 2] + 1e-20)
    den = a - 2 * b + c
    p = 0.5 * (a - c) / den if den < 0 else 0.0
    return float(freqs[i] + p * (freqs[1] - freqs[0])), float(np.exp(b - 0.25 * (a - c) * p))


def _spectrum(x: np.ndarray, sr: int, pad: int = 8) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    nfft = 1 << int(np.ceil(np.log2(max(n, 16) * pad)))
    mag = np.abs(np.fft.rfft(x * np.hanning(n), nfft))
    return np.fft.rfftfreq(nfft, 1.0 / sr), mag


def refine_f0(x: np.ndarray, sr: int, f0: float, harmonics: int = 6) -> float:
    """Refine ``f0`` from the interpolated peaks of its first ``harmonics`` partials (weighted fit).

    Partials more than 40 dB under the strongest one are ignored; if none is found, ``f0`` is kept.
    """
    seg = x[: int(min(len(x), max(0.5 * sr, 40 * sr / f0)))]
    freqs, mag = _spectrum(seg, sr)
    found = []
    for k in range(1, harmonics + 1):
        if k * f0 > 0.45 * sr:
            break
        pk = _peak_near(freqs, mag, k * f0, 0.03 / np.sqrt(k) + 0.01)
        if pk is not None:
            found.append((k, pk[0], pk[1]))
    if not found:
        return f0
    top = max(m for _, _, m in found)
    if found[0][0] == 1 and found[0][2] >= 0.1 * top:
        # A clear fundamental: its own peak. Fitting upper partials would bias stiff-string
        # (piano-like) sounds sharp, whose partials run above k * f0.
        return found[0][1]
    good = [(k, f, m) for k, f, m in found if m > top * 0.01]
    w = np.array([m for _, _, m in good])
    est = np.array([f / k for k, f, _ in good])
    return float(np.sum(w * est) / np.sum(w))


def strongest_stable_peak(x: np.ndarray, sr: int) -> tuple[float, float]:
    """Frequency of the spectral peak with the largest median magnitude over time, and its stability.

    Stability is the fraction of frames in which that bin is within 10 dB of the frame's maximum.
    """
    n_fft = 8192 if sr > 30000 else 4096
    hop = n_fft // 4
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    spec = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = (freqs >= 25) & (freqs <= 5000)
    med = np.median(spec, axis=0) * band
    i = int(np.argmax(med))
    stable = float(np.mean(spec[:, i] > 0.316 * spec[:, band].max(axis=1)))
    f, _ = _peak_near(*_spectrum(x[: min(len(x), 2 * sr)], sr), freqs[i], 0.02) or (freqs[i], 0.0)
    return f, stable


def estimate_root(x: np.ndarray, sr: int) -> PitchEstimate:
    """Estimate the root frequency of a mono sound (float array at ``sr``)."""
    import librosa

    seg = _analysis_segment(np.asarray(x, dtype=np.float64), sr)
    y = resample(seg, sr, PYIN_SR).astype(np.float32)
    if len(y) < 4096:
        y = np.pad(y, (0, 4096 - len(y)))
    f0, voiced, prob = librosa.pyin(
        y, fmin=FMIN, fmax=FMAX, sr=PYIN_SR, frame_length=4096, hop_length=512, center=False
    )
    # Judge voicing on the frames that carry sound (a decaying tone fades into the noise floor).
    rms = librosa.feature.rms(y=y, frame_length=4096, hop_length=512, center=False)[0]
    n = min(len(rms), len(voiced))
    loud = rms[:n] > 0.05 * rms[:n].max()
    voiced_frac = float(np.mean(voiced[:n][loud])) if loud.any() else 0.0
    conf = float(np.mean(prob[:n][loud])) if loud.any() else 0.0
    if voiced_frac >= VOICED_MIN and conf >= PROB_MIN and np.any(np.isfinite(f0[:n][loud & voiced[:n]])):
        coarse = float(np.nanmedian(f0[:n][loud & voiced[:n]]))
        est = PitchEstimate(refine_f0(seg, sr, coarse), conf, "pyin", True)
        log.info("root pitch %.2f Hz (MIDI %.2f), pYIN confidence %.2f", est.freq, est.midi, conf)
        return est
    f, stability = strongest_stable_peak(seg, sr)
    log.info(
        "sound is unpitched (%.0f%% voiced frames); using its strongest stable spectral peak %.2f Hz",
        100 * voiced_frac,
        f,
    )
    return PitchEstimate(f, stability, "spectral_peak", False)
