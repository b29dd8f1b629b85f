"""Measurements of a built instrument's sustain loops (only tests use them)."""

from __future__ import annotations

import numpy as np

from server.instruments_build.loop import Loop


def seam_jump(x: np.ndarray, loop: Loop) -> float:
    """Size of the step when playback wraps, relative to the largest step inside the loop (1 = ordinary)."""
    inner = np.max(np.abs(np.diff(x[loop.start : loop.end]))) + 1e-20
    return float(abs(x[loop.start] - x[loop.end - 1]) / inner)
