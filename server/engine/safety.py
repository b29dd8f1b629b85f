"""The safety stage at the end of the graph: what reaches the speakers is finite, free of DC and
under a hard ceiling, whatever a model, a plugin or a client did upstream.

A Processor (``prepare / process / reset``), run on the audio thread after the master limiter:

1. **Non-finite guard.** A block holding NaN or ±inf is replaced by silence and counted; the
   stages that may hold poisoned state (the limiter, the master chain) are reset by the caller
   (:meth:`Engine.process`), so one bad sample never latches the output (pedalboard's limiter keeps
   NaN in its state for good).
2. **DC blocker.** A first-order high-pass at :data:`DC_HZ` (JUCE's first-order IIR through
   pedalboard, −3 dB at 5 Hz, −0.26 dB at 20 Hz), the classic DC trap: a model that drifts to a
   constant offset is pulled back to zero within a few tens of milliseconds instead of pushing the
   cones out. (It was scipy's ``lfilter``: the same filter, but importing scipy.signal costs a
   render ~1 s of CPU and 70 MiB, and it ran at half the speed.)
3. **Hard ceiling.** Samples are clipped at :data:`CEILING` (−0.3 dBFS): the last line behind the
   limiter, for the sample the limiter's look-ahead let through.

Checking a block for non-finite values costs one reduction (its sum is non-finite iff a sample is,
or iff the values are absurdly large, which is garbage too): no temporary array per block.
"""

from __future__ import annotations

import math

import numpy as np

CEILING = 10 ** (-0.3 / 20)  # linear, -0.3 dBFS
DC_HZ = 5.0  # DC blocker corner


def finite(block: np.ndarray) -> bool:
    """True when every sample of ``block`` is finite (one reduction, no temporary)."""
    return math.isfinite(float(block.sum()))


class SafetyStage:
    """Non-finite guard, DC blocker and hard ceiling. Audio thread only (``process``); ``faults``
    is read by the control side."""

    latency_samples = 0

    def __init__(self, ceiling: float = CEILING, dc_hz: float = DC_HZ) -> None:
        self.ceiling = float(ceiling)
        self.dc_hz = float(dc_hz)
        self.faults = 0  # blocks replaced by silence because they held non-finite samples
        self._hp = None
        self._sr = 48000.0

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        import pedalboard  # imported here, never in the callback

        self._sr = float(sample_rate)
        self._hp = pedalboard.HighpassFilter(cutoff_frequency_hz=self.dc_hz)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Return the safe block (float32, same shape ``(channels, frames)``); ``block`` may be modified."""
        if not finite(block):
            self.faults += 1
            block = np.zeros_like(block)
            self._hp.reset()
        y = self._hp.process(np.asarray(block, dtype=np.float32), self._sr, reset=False)
        np.clip(y, -self.ceiling, self.ceiling, out=y)
        return y

    def reset(self) -> None:
        if self._hp is not None:
            self._hp.reset()
