"""``prepare / process / reset``: one engine, two drivers.

Every stage that runs live implements :class:`Processor`. ``wave render`` drives the engine's graph
in "freewheel" mode (as fast as it can, block by block: server/render/render.py); the live audio
callback drives the very same objects at the sound card's pace. Blocks are float32 numpy arrays shaped ``(channels, frames)``.

Threading: ``prepare`` and ``reset`` are called from the control thread while the processor is not
in a live graph; ``process`` is called from the audio thread only and must not block or load files.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Processor(Protocol):
    latency_samples: int

    def prepare(self, sample_rate: int, max_block: int, channels: int) -> None: ...

    def process(self, block: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...
