"""``prepare / process / reset``: one engine, two drivers.

Every stage that runs live implements :class:`Processor`. The offline renderer drives a chain
in "freewheel" mode (as fast as it can, block by block); the live audio callback drives the very
same objects at the sound card's pace. Blocks are float32 numpy arrays shaped ``(channels, frames)``.

Threading: ``prepare`` and ``reset`` are called from the control thread while the processor is not
in a live graph; ``process`` is called from the audio thread only and must not block or load files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Processor(Protocol):
    latency_samples: int

    def prepare(self, sample_rate: int, max_block: int, channels: int) -> None: ...

    def process(self, block: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


def render_offline(
    processor: Processor,
    frames: int,
    *,
    sample_rate: int,
    channels: int = 2,
    block: int = 1024,
    source: np.ndarray | None = None,
    progress: Sequence | None = None,
) -> np.ndarray:
    """Drive ``processor`` in freewheel mode for ``frames`` output frames and return the result.

    ``source`` (``(channels, frames)``) feeds the processor's input; silence otherwise (instruments).
    ``progress`` is an optional tqdm-like object with ``update(n)``.
    """
    processor.prepare(sample_rate, block, channels)
    out = np.zeros((channels, frames), dtype=np.float32)
    silence = np.zeros((channels, block), dtype=np.float32)
    pos = 0
    while pos < frames:
        n = min(block, frames - pos)
        if source is not None:
            inp = np.zeros((channels, n), dtype=np.float32)
            seg = source[:, pos : pos + n]
            inp[:, : seg.shape[1]] = seg
        else:
            inp = silence[:, :n]
        out[:, pos : pos + n] = processor.process(inp)
        pos += n
        if progress is not None:
            progress.update(n)
    return out
