"""The package's one sample-rate converter: soxr (libsoxr), offline, whole arrays.

``resample(x, sr_in, sr_out)`` converts along one axis of a mono or multichannel float array and keeps its
dtype (float32 or float64; anything else comes back float64). The output has exactly
``round(n * sr_out / sr_in)`` samples (half up) and is aligned with the input: soxr removes its filter's delay,
so a round trip returns the signal on the same samples. Rates need not be integers, so a sampler's pitch
shift is ``resample(x, ratio, 1.0)`` (read ``ratio`` times faster).

Quality is soxr's recipe: ``"VHQ"`` (the default: 28-bit precision, stop band > 170 dB, pass band flat to
91 % of the lower Nyquist frequency), ``"HQ"`` (20-bit), ``"MQ"``, ``"LQ"`` and ``"QQ"`` (cubic, no
anti-alias filter; only for previews). Live timbre models stream through soxr's own stream
(:class:`server.timbre.resample.StreamResampler`, block by block); this one is for whole clips.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import InputError

QUALITIES = ("VHQ", "HQ", "MQ", "LQ", "QQ")


def _rate(value: float, name: str) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise InputError(f"resample: {name}={value!r} is not a number; give a sample rate in Hz, e.g. 48000") from None
    if not math.isfinite(r) or r <= 0:
        raise InputError(f"resample: {name}={value!r} must be a positive finite rate, e.g. 44100 or 48000")
    return r


def out_length(n: int, sr_in: float, sr_out: float) -> int:
    """``round(n * sr_out / sr_in)``, half up, exact for integer rates."""
    if float(sr_in).is_integer() and float(sr_out).is_integer():
        return int(Fraction(n * int(sr_out), int(sr_in)) + Fraction(1, 2))
    return int(math.floor(n * float(sr_out) / float(sr_in) + 0.5))


def resample(x: np.ndarray, sr_in: float, sr_out: float, *, quality: str = "VHQ", axis: int = -1) -> np.ndarray:
    """``x`` resampled from ``sr_in`` to ``sr_out`` along ``axis`` (time; -1 is the package's
    ``(channels, frames)`` layout). Returns a new array of the input's float dtype, float64 for any other.
    Thread-safe; allocates; not for the audio callback."""
    sr_in = _rate(sr_in, "sr_in")
    sr_out = _rate(sr_out, "sr_out")
    q = str(quality).upper()
    if q not in QUALITIES:
        raise InputError(f"resample: quality={quality!r} is not one of {', '.join(QUALITIES)} (VHQ is the best)")
    a = np.asarray(x)
    if a.ndim not in (1, 2):
        raise InputError(f"resample: audio must be 1-D or 2-D (channels, frames), not shape {a.shape}")
    if not -a.ndim <= axis < a.ndim:
        raise InputError(f"resample: axis={axis} is out of range for a {a.ndim}-D array (use -1 or 0)")
    dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    a = a.astype(dtype, copy=False)
    if sr_in == sr_out:
        return np.array(a, copy=True)
    time_last = a.ndim == 2 and axis % 2 == 1
    frames = a.T if time_last else a  # soxr wants (frames, channels)
    n = frames.shape[0]
    want = out_length(n, sr_in, sr_out)
    if n == 0:
        y = np.zeros((0,) + frames.shape[1:], dtype)
    else:
        import soxr

        y = soxr.resample(np.ascontiguousarray(frames), sr_in, sr_out, quality=q)
        if len(y) > want:
            y = y[:want]
        elif len(y) < want:
            y = np.concatenate([y, np.zeros((want - len(y),) + y.shape[1:], dtype)])
    y = y.astype(dtype, copy=False)
    return np.ascontiguousarray(y.T) if time_last else y
