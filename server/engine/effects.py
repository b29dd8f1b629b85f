"""Pedalboard effect chains on the Processor contract, and the master chain.

pedalboard plugins keep their state between ``process(..., reset=False)`` calls, so a board driven
block by block gives the same result as one call over the whole signal: the live engine and the
offline renderer share these objects.
"""

from __future__ import annotations

import numpy as np
import pedalboard

from ..errors import ConfigError


class PedalboardProcessor:
    """Run a ``pedalboard.Pedalboard`` block by block.

    Threads: build and edit the board from the control thread *before* publishing it to the audio
    thread; the live engine swaps whole processors rather than mutating a running board.
    """

    def __init__(self, board: pedalboard.Pedalboard | list | None = None) -> None:
        if board is None:
            board = pedalboard.Pedalboard([])
        elif not isinstance(board, pedalboard.Pedalboard):
            board = pedalboard.Pedalboard(list(board))
        self.board = board
        self.sample_rate = 48000

    @property
    def latency_samples(self) -> int:
        return 0

    def prepare(self, sample_rate: int, max_block: int, channels: int) -> None:
        self.sample_rate = int(sample_rate)
        self.board.reset()

    def process(self, block: np.ndarray) -> np.ndarray:
        if len(self.board) == 0:
            return block
        return self.board.process(block, self.sample_rate, reset=False)

    def reset(self) -> None:
        self.board.reset()


def master_chain(
    *,
    limiter: bool = True,
    threshold_db: float = -1.0,
    release_ms: float = 120.0,
    reverb: float = 0.0,
    gain_db: float = 0.0,
) -> PedalboardProcessor:
    """The master bus: input gain, optional reverb (``reverb`` = wet level 0-1), a gentle limiter.

    The limiter is a fast, high-ratio compressor at ``threshold_db`` followed by a safety clip just
    under full scale. It leaves anything below the threshold untouched (JUCE's ``Limiter``, which
    pedalboard exposes, adds a first compression stage at -10 dB and make-up gain, so it changes
    the level of quiet material; we do not use it).
    """
    if not 0.0 <= reverb <= 1.0:
        raise ConfigError(f"reverb wet level must be 0-1, got {reverb}")
    if not -60.0 <= gain_db <= 40.0:
        raise ConfigError(f"gain must be -60..+40 dB, got {gain_db}")
    if not -30.0 <= threshold_db <= 0.0:
        raise ConfigError(f"limiter threshold must be -30..0 dBFS, got {threshold_db}")
    plugins: list = []
    if gain_db:
        plugins.append(pedalboard.Gain(gain_db=gain_db))
    if reverb > 0:
        plugins.append(pedalboard.Reverb(room_size=0.45, damping=0.5, wet_level=0.33 * reverb, dry_level=1.0, width=1.0))
    if limiter:
        plugins.append(pedalboard.Compressor(threshold_db=threshold_db, ratio=20.0, attack_ms=0.5, release_ms=release_ms))
        plugins.append(pedalboard.Clipping(threshold_db=-0.1))
    return PedalboardProcessor(pedalboard.Pedalboard(plugins))
