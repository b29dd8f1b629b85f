"""Offline timbre transfer aligned with its input: a role's sound through an nn~ model, the model's
latency removed, so the instrument built from the result starts where the sound starts.

Large blocks: the per-block cost dominates with the builtin models (8192 ran 2.6x faster than 2048
here). The latency is measured once with one such block (:func:`server.timbre.transfer.measure_latency`)
and cut from the output, which is what ``transfer(align=True)`` does with a slower 0.5 s probe.
"""

from __future__ import annotations

import os

import numpy as np

TIMBRE_BLOCK = 8192
TAIL_S = 0.5  # the model's ring-out kept after the input's end


def aligned_transfer(audio: np.ndarray, sr: int, model_path: str | os.PathLike[str], *, block: int = TIMBRE_BLOCK,
                     tail: float = TAIL_S) -> tuple[np.ndarray, dict]:
    """``audio`` (float32 ``(channels, frames)`` at ``sr``) through the ``.ts`` model at ``model_path``,
    same rate out, shifted back by the model's latency: ``frames + tail * sr`` frames. Returns the audio
    and ``{"model_sr", "latency_samples"}`` (latency at the model's rate)."""
    from .model import NNModel
    from .transfer import measure_latency, transfer

    m = NNModel.load(model_path)
    latency = measure_latency(m, "forward", block=block, seconds=block / m.sr)
    y = transfer(audio, sr, m, block=block, align=False, tail=tail + latency / m.sr)
    shift = int(round(latency * sr / m.sr))
    y = y[:, shift : shift + audio.shape[1] + int(tail * sr)]
    return np.ascontiguousarray(y), {"model_sr": m.sr, "latency_samples": latency}
