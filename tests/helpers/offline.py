"""Drive one :class:`server.engine.processor.Processor` offline, block by block (tests only: the
package's own offline driver is the engine's, in server/render/render.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from server.engine.processor import Processor


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
