"""Stereo scene mixer: place each source where it is in the picture.

Two pan laws, chosen by name from :data:`PAN_LAWS`:

* ``equal-power`` (default): ``gL = cos(θ)``, ``gR = sin(θ)`` with ``θ = (x + 1)·π/4`` and ``x`` the box
  centre in [-1, 1]; loudness follows box area as power (``+10·log10(area / largest area)`` dB, floored at
  -18 dB). A centred source is -3 dB in each channel; total power is constant across the image.
* ``seed``: the stereo seed's equations. Loudness ∝ box area (``A = area / largest area``), position
  gains ``0.5·(1 ∓ x)``, combined with weights ``w1 = w2 = 0.5``:
  ``gL = w1·A + w2·0.5·(1 - x)``, ``gR = w1·A + w2·0.5·(1 + x)``.

Depth (0 near .. 1 far), when known, attenuates (``-12·depth`` dB) and low-passes (cut-off
``16 kHz · 0.08**depth``, so 16 kHz near and 1.3 kHz at the far end) the source. Ambience sources (no box)
are spread wide: the left and right channels get two decorrelated versions of the source (random-phase
all-pass FIRs), at -3 dB each. Sources are loudness-normalised (ITU-R BS.1770 integrated loudness, to
``-23 LUFS``) before the gains apply, and the sum is scaled down, never clipped, if it would exceed -1 dBFS.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal

from ..errors import ConfigError

log = logging.getLogger(__name__)

TARGET_LUFS = -23.0
PEAK_CEILING_DB = -1.0
AREA_FLOOR_DB = -18.0
DEPTH_ATTEN_DB = 12.0


# ----------------------------------------------------------------------------------------------
# Loudness (ITU-R BS.1770-4)
# ----------------------------------------------------------------------------------------------
def _k_weighting(sr: int) -> np.ndarray:
    """K-weighting as second-order sections for any rate (pre-filter shelf + RLB high-pass)."""
    # Shelf, from the BS.1770 analogue prototype (as in pyloudnorm's derivation)
    G, Q, fc = 3.99984385397, 0.7071752369554193, 1681.9744509555319
    K = math.tan(math.pi * fc / sr)
    Vh = 10 ** (G / 20)
    Vb = Vh**0.4996667741545416
    a0 = 1 + K / Q + K * K
    shelf = [(Vh + Vb * K / Q + K * K) / a0, 2 * (K * K - Vh) / a0, (Vh - Vb * K / Q + K * K) / a0,
             1.0, 2 * (K * K - 1) / a0, (1 - K / Q + K * K) / a0]
    Q2, fc2 = 0.5003270373253953, 38.13547087613982
    K = math.tan(math.pi * fc2 / sr)
    a0 = 1 + K / Q2 + K * K
    hp = [1.0, -2.0, 1.0, 1.0, 2 * (K * K - 1) / a0, (1 - K / Q2 + K * K) / a0]
    return np.array([shelf, hp])


def integrated_loudness(audio: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS of ``(frames,)`` or ``(channels, frames)`` audio (-inf for silence)."""
    x = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    y = signal.sosfilt(_k_weighting(sr), x, axis=-1)
    block, step = int(0.4 * sr), int(0.1 * sr)
    if y.shape[-1] < block:
        y = np.pad(y, ((0, 0), (0, block - y.shape[-1])))
    starts = np.arange(0, y.shape[-1] - block + 1, step)
    csum = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y * y, axis=-1)], axis=-1)
    ms = (csum[:, starts + block] - csum[:, starts]) / block  # (channels, blocks)
    power = ms.sum(axis=0)
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(power)
    gated = power[lk > -70.0]
    if gated.size == 0:
        return float("-inf")
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = power[(lk > -70.0) & (lk > rel)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def normalize_loudness(audio: np.ndarray, sr: int, target: float = TARGET_LUFS) -> np.ndarray:
    """Scale to ``target`` LUFS; silence stays silent."""
    lufs = integrated_loudness(audio, sr)
    if not np.isfinite(lufs):
        return np.asarray(audio, np.float32)
    return (np.asarray(audio, np.float64) * 10 ** ((target - lufs) / 20)).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Placement
# ----------------------------------------------------------------------------------------------
@dataclass
class Placement:
    """Where one source sits in the stereo scene (written to the manifest)."""

    x: float  # box centre, -1 left .. 1 right
    area: float  # box area relative to the largest box in the scene, 0..1
    depth: float | None
    ambience: bool
    gain_left: float
    gain_right: float
    lowpass_hz: float | None

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _pan_equal_power(x: float, area: float) -> tuple[float, float]:
    theta = (x + 1.0) * math.pi / 4.0
    level = 10 ** (max(10 * math.log10(max(area, 1e-9)), AREA_FLOOR_DB) / 20)
    return level * math.cos(theta), level * math.sin(theta)


def _pan_seed(x: float, area: float, w1: float = 0.5, w2: float = 0.5) -> tuple[float, float]:
    return w1 * area + w2 * 0.5 * (1 - x), w1 * area + w2 * 0.5 * (1 + x)


PAN_LAWS = {"equal-power": _pan_equal_power, "seed": _pan_seed}


def place_sources(sources: Sequence, pan_law: str = "equal-power") -> list[Placement]:
    """Placements for scene sources (objects with ``box``, ``depth``, ``ambience``)."""
    if pan_law not in PAN_LAWS:
        raise ConfigError(f"unknown pan law {pan_law!r}; use one of: {', '.join(PAN_LAWS)}")
    areas = []
    for s in sources:
        box = getattr(s, "box", None)
        areas.append(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0) if box is not None else None)
    known = [a for a in areas if a]
    biggest = max(known) if known else 1.0
    out = []
    for s, a in zip(sources, areas, strict=True):
        box = getattr(s, "box", None)
        ambience = bool(getattr(s, "ambience", False)) or box is None
        depth = getattr(s, "depth", None)
        if box is None:
            x, rel = 0.0, 1.0 if not known else 0.5
        else:
            x = float(np.clip((box[0] + box[2]) - 1.0, -1.0, 1.0))  # centre (x0+x1)/2 mapped to [-1, 1]
            rel = (a / biggest) if a else 0.0
        if ambience and box is None:
            g = 10 ** (-3 / 20) * (1.0 if pan_law == "equal-power" else 0.5 * (1 + rel))
            gl = gr = g
        else:
            gl, gr = PAN_LAWS[pan_law](x, rel)
        lp = None
        if depth is not None:
            att = 10 ** (-DEPTH_ATTEN_DB * float(depth) / 20)
            gl, gr = gl * att, gr * att
            lp = 16000.0 * 0.08 ** float(depth)
        out.append(Placement(x, rel, None if depth is None else float(depth), ambience and box is None,
                             float(gl), float(gr), lp))
    return out


def _decorrelators(sr: int, seed: int = 7, ms: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Two random-phase, flat-magnitude FIRs (all-pass-like) for a wide ambience image."""
    rng = np.random.default_rng(seed)
    n = int(ms * 1e-3 * sr) | 1
    firs = []
    for _ in range(2):
        spec = np.exp(2j * np.pi * rng.random(n // 2 + 1))
        spec[0], spec[-1] = 1.0, 1.0
        h = np.fft.irfft(spec, n)
        h *= np.hanning(n) ** 0.25
        h /= np.sqrt((h * h).sum())
        firs.append(h)
    return firs[0], firs[1]


def mix_scene(sources: Sequence[np.ndarray], placements: Sequence[Placement], sr: int,
              *, target_lufs: float = TARGET_LUFS) -> tuple[np.ndarray, dict]:
    """Mix mono sources to stereo ``(2, frames)`` float32; returns the mix and a summary for the manifest."""
    if len(sources) != len(placements):
        raise ConfigError(f"{len(sources)} sources but {len(placements)} placements")
    frames = max((len(s) for s in sources), default=0)
    mix = np.zeros((2, max(frames, 1)))
    dl, dr = _decorrelators(sr)
    for audio, pl in zip(sources, placements, strict=True):
        x = normalize_loudness(np.asarray(audio, np.float64).reshape(-1), sr, target_lufs).astype(np.float64)
        if pl.lowpass_hz is not None and pl.lowpass_hz < 0.45 * sr:
            x = signal.sosfilt(signal.butter(2, pl.lowpass_hz, fs=sr, output="sos"), x)
        if pl.ambience:
            left = signal.fftconvolve(x, dl)[: len(x)]
            right = signal.fftconvolve(x, dr)[: len(x)]
        else:
            left = right = x
        mix[0, : len(x)] += pl.gain_left * left
        mix[1, : len(x)] += pl.gain_right * right
    peak = float(np.abs(mix).max())
    ceiling = 10 ** (PEAK_CEILING_DB / 20)
    scale = ceiling / peak if peak > ceiling else 1.0
    mix *= scale
    summary = {"peak_dbfs": round(20 * math.log10(max(peak * scale, 1e-12)), 2),
               "scaled_down_db": round(-20 * math.log10(scale), 2) if scale < 1 else 0.0,
               "loudness_lufs": round(integrated_loudness(mix, sr), 2) if frames else None}
    return mix.astype(np.float32), summary
