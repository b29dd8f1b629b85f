"""Clean-up of a source sound before it becomes an instrument.

Mono mix, resampling to the build rate, DC removal, silence trimming, edge fades and peak
normalisation, with refusal of sounds that cannot make an instrument (silence, too short, NaN).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import signal

from ..audio.resample import resample
from ..errors import InputError

log = logging.getLogger(__name__)

SILENCE_DB = -60.0  # below the peak: what counts as silence when trimming
CLIP_LEVEL = 0.9999  # 16-bit full scale is 0.99997


def remove_dc(x: np.ndarray, sr: int, cutoff: float = 10.0) -> np.ndarray:
    """High-pass at ``cutoff`` Hz (zero phase) after subtracting the mean."""
    x = x - np.mean(x)
    if len(x) > 64:
        sos = signal.butter(2, cutoff, btype="highpass", fs=sr, output="sos")
        x = signal.sosfiltfilt(sos, x, padlen=min(len(x) - 1, 3 * sr // int(cutoff) if cutoff else 0))
    return x


def trim_silence(x: np.ndarray, sr: int, threshold_db: float = SILENCE_DB) -> tuple[int, int]:
    """Start and end indices of the part louder than ``threshold_db`` below the peak (2 ms frames).

    Works on frame maxima only, so a 10-minute file is trimmed in a fraction of a second.
    """
    x = np.asarray(x)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak <= 0:
        return 0, 0
    hop = max(1, int(0.002 * sr))
    n = len(x) // hop
    frames = np.abs(x[: n * hop]).reshape(n, hop).max(axis=1) if n else np.zeros(0)
    if len(x) > n * hop:
        frames = np.r_[frames, np.max(np.abs(x[n * hop :]))]
    loud = np.nonzero(frames > peak * 10 ** (threshold_db / 20))[0]
    if len(loud) == 0:
        return 0, 0
    start = max(0, int(loud[0]) * hop - int(0.001 * sr))
    return start, min(len(x), (int(loud[-1]) + 1) * hop)


def fade(x: np.ndarray, sr: int, fade_in_s: float = 0.001, fade_out_s: float = 0.01) -> np.ndarray:
    """Raised-cosine fades at both edges, so no sample starts or stops with a step."""
    x = np.array(x, dtype=np.float64)
    n_in = min(len(x) // 4, max(1, int(fade_in_s * sr)))
    n_out = min(len(x) // 4, max(1, int(fade_out_s * sr)))
    if n_in > 0:
        x[:n_in] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(n_in) / n_in)
    if n_out > 0:
        x[-n_out:] *= 0.5 + 0.5 * np.cos(np.pi * (np.arange(n_out) + 1) / n_out)
    return x


def normalize(x: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    peak = np.max(np.abs(x))
    return x * (10 ** (peak_db / 20) / peak) if peak > 0 else x


def clipped_fraction(a: np.ndarray) -> float:
    """Fraction of samples in runs of 3+ consecutive samples at full scale (one peak at 1.0 is no clip)."""
    if a.size == 0:
        return 0.0
    full = np.abs(a) >= CLIP_LEVEL
    run = full[:, 2:] & full[:, 1:-1] & full[:, :-2]
    return float(run.sum() / a.size)


def _check_length(seconds: float, min_seconds: float, what: str) -> None:
    if seconds < min_seconds:
        raise InputError(
            f"{what}: only {1000 * seconds:.1f} ms of sound above {SILENCE_DB:.0f} dB once silence is trimmed; "
            f"at least {1000 * min_seconds:.0f} ms is needed to build an instrument"
        )


def prepare(
    audio: np.ndarray,
    sr: int,
    *,
    target_sr: int,
    min_seconds: float,
    max_seconds: float | None = None,
    what: str = "sound",
) -> tuple[np.ndarray, dict]:
    """Clean a source sound: returns mono float64 at ``target_sr`` and facts about it.

    Raises :class:`InputError` for NaN/inf, digital silence, or a sound shorter than ``min_seconds``
    once silence is trimmed. A sound longer than ``max_seconds`` is cut (logged, recorded in the facts).
    """
    a = np.asarray(audio)  # float32 stays float32 until the used part is cut (10-minute files)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{what}: the audio contains NaN or infinite samples; re-export it as plain PCM")
    x = a.reshape(-1) if a.ndim == 1 else (a[0] if a.shape[0] == 1 else a.mean(axis=0, dtype=np.float64))
    facts: dict = {"source_sample_rate": int(sr), "source_seconds": round(len(x) / sr, 4)}
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak < 10 ** (-90 / 20):
        raise InputError(
            f"{what}: the sound is silent (peak below -90 dBFS); give a sound with audible content"
        )
    # Trim before resampling so long silences cost nothing; cut overly long sounds early.
    # The median is a DC estimate that a short click does not move (on at most ~1M points).
    dc = float(np.median(x[:: max(1, len(x) // 1_000_000)]))
    s, e = trim_silence(x - dc if dc else x, sr)
    x = x[s:e]
    _check_length(len(x) / sr, min_seconds, what)
    if max_seconds is not None and len(x) > max_seconds * sr:
        log.info("%s: using the first %.1f s of %.1f s", what, max_seconds, len(x) / sr)
        facts["cut_to_seconds"] = max_seconds
        x = x[: int(max_seconds * sr)]
    x = np.asarray(x, dtype=np.float64)
    used = a[..., s : s + len(x)]  # clipping is judged on the part that is used
    clipped = clipped_fraction(used.reshape(-1, used.shape[-1]) if used.ndim > 1 else used[None, :])
    facts["clipped_fraction"] = round(clipped, 5)
    if clipped > 0.001:
        log.warning(
            "%s: %.1f%% of samples are clipped; the instrument keeps the distortion", what, 100 * clipped
        )
    x = resample(x, sr, target_sr)
    x = remove_dc(x, target_sr)
    s, e = trim_silence(x, target_sr)
    x = x[s:e]
    _check_length(len(x) / target_sr, min_seconds, what)
    x = normalize(fade(x, target_sr))
    facts["seconds"] = round(len(x) / target_sr, 4)
    return x, facts
