"""Reading and writing audio files with validation at the boundary.

Arrays are float32, shaped ``(channels, frames)`` as in pedalboard and the engine contract.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ConfigError, InputError
from ..paths import atomic_path

# Subtype names the CLI accepts, mapped to libsndfile's.
WAV_FORMATS = {"16": "PCM_16", "24": "PCM_24", "float": "FLOAT", "32": "PCM_32"}
MAX_SECONDS = 30 * 60


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def read_audio(
    path: str | os.PathLike[str],
    *,
    mono: bool = False,
    max_seconds: float = MAX_SECONDS,
) -> tuple[np.ndarray, int]:
    """Read an audio file into float32 ``(channels, frames)`` and its sample rate.

    Refuses files that are missing, not audio, empty, longer than ``max_seconds`` or contain NaN/inf,
    with a message that names the file and what would work.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(f"{path}: not a readable audio file (WAV, FLAC, AIFF or OGG expected): {exc}") from exc
    if info.frames == 0:
        raise InputError(f"{path}: the file holds no audio frames")
    if info.frames / info.samplerate > max_seconds:
        raise InputError(
            f"{path}: {info.frames / info.samplerate:.0f} s is longer than the {max_seconds:.0f} s this stage "
            "accepts; trim it first"
        )
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    audio = np.ascontiguousarray(data.T)
    if not np.all(np.isfinite(audio)):
        raise InputError(f"{path}: the audio contains NaN or infinite samples")
    if mono and audio.shape[0] > 1:
        audio = audio.mean(axis=0, keepdims=True)
    return audio, int(sr)


def write_audio(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    sample_rate: int,
    *,
    fmt: str = "24",
) -> Path:
    """Write ``audio`` (``(channels, frames)`` or ``(frames,)``) atomically as WAV.

    ``fmt`` is one of ``16``, ``24``, ``32`` (integer PCM) or ``float``. Integer formats are clipped
    to [-1, 1]; NaNs are refused rather than written.
    """
    if fmt not in WAV_FORMATS:
        raise ConfigError(f"WAV format {fmt!r} is not one of {', '.join(WAV_FORMATS)}")
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ConfigError(f"audio must be (channels, frames), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise InputError("refusing to write audio that contains NaN or infinite samples")
    subtype = WAV_FORMATS[fmt]
    if subtype != "FLOAT":
        a = np.clip(a, -1.0, 1.0)
    path = Path(path)
    with atomic_path(path, suffix=".wav") as tmp:
        sf.write(str(tmp), a.T, int(sample_rate), subtype=subtype, format="WAV")
    return path
