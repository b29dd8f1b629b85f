"""The master limiter of ``wave render``'s graph (:class:`server.live.engine.Engine` takes it as ``limiter``).

pedalboard plugins keep their state between ``process(..., reset=False)`` calls, so a board driven
block by block gives the same result as one call over the whole signal, whatever the block size.
"""

from __future__ import annotations

import pedalboard

THRESHOLD_DB = -1.0
RELEASE_MS = 120.0
CLIP_DB = -0.1


def master_limiter(threshold_db: float = THRESHOLD_DB, release_ms: float = RELEASE_MS) -> pedalboard.Pedalboard:
    """A gentle limiter: a fast (0.5 ms), 20:1 compressor at ``threshold_db`` and a clip at −0.1 dBFS.

    Below the threshold it is exactly transparent: no gain, no colour. JUCE's ``Limiter``, which
    pedalboard also exposes, is not: it adds a first 4:1 stage from −10 dBFS and make-up gain
    (+4.75 dB on a −26 dBFS sine at a −1 dB threshold), so it changes the level and dynamics of
    quiet material. Call ``process(block, sample_rate, reset=False)`` block by block on the audio
    thread; ``reset()`` from the control side (or after a fault).
    """
    return pedalboard.Pedalboard([
        pedalboard.Compressor(threshold_db=threshold_db, ratio=20.0, attack_ms=0.5, release_ms=release_ms),
        pedalboard.Clipping(threshold_db=CLIP_DB),
    ])
