"""Shared by the timbre tests: stream a sound through a StreamingTimbre block by block."""

from __future__ import annotations

import numpy as np

from server.timbre.stream import StreamingTimbre


def stream_through(model, x: np.ndarray, sr: int, block: int, *, tail: int | None = None) -> tuple[np.ndarray, StreamingTimbre]:
    """Feed ``x`` (channels, frames) to a freewheeling StreamingTimbre in ``block``-frame blocks, the last one
    zero-padded, plus ``tail`` frames of silence (default: two blocks) so the latency is flushed.

    Returns the concatenated output and the (closed) processor, whose counters and latencies stay readable.
    """
    tail = 4 * block if tail is None else tail
    st = StreamingTimbre(model, freewheel=True)
    st.prepare(sr, block, x.shape[0])
    outs = []
    try:
        for i in range(0, x.shape[1] + tail, block):
            blk = np.zeros((x.shape[0], block), np.float32)
            seg = x[:, i : i + block]
            blk[:, : seg.shape[1]] = seg
            outs.append(st.process(blk))
    finally:
        st.close()
    return np.concatenate(outs, axis=1), st
