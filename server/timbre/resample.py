"""Stream resampling for live timbre models, on soxr (the package's one resampler; whole clips go through
:func:`server.audio.resample.resample`).

:class:`StreamResampler` wraps ``soxr.ResampleStream`` (HQ: 20-bit, linear phase): feed any number of
samples, get every output sample soxr has finished. soxr removes its filter's delay, so the output is
*time-aligned* — output sample ``n`` is the signal at time ``n / sr_out`` — but it comes out in bursts:
after ``n`` input samples it has given ``n * sr_out / sr_in - lag`` samples, the lag swinging between
~100 and a few thousand samples with soxr's internal blocks (:func:`max_lag`, measured).

:class:`ResamplingRunner` puts one before and one after a :class:`~server.timbre.transfer.ModelRunner`,
with FIFOs for the model's block and the bursts, so a stream at the engine's rate drives a model at its
own rate. Its output FIFO starts with :attr:`ResamplingRunner.latency_samples` samples of silence, enough
that it never runs dry (the bound below); since everything else is time-aligned, that prefill *is* the
runner's latency, exact and constant (the model's own latency comes on top).

Threads: construct, :meth:`~ResamplingRunner.reset` on the control / loader thread; ``run_block`` on the
one thread that runs the model (the timbre worker). No scipy; per block, soxr allocates its outputs and
nothing else does.
"""

from __future__ import annotations

import functools
import logging
import math

import numpy as np

from .transfer import LatentControls, ModelRunner

log = logging.getLogger(__name__)

QUALITY = "HQ"  # 20-bit, pass band flat to 91 % of the lower Nyquist frequency; VHQ doubles the lag


@functools.lru_cache(maxsize=64)
def max_lag(sr_in: int, sr_out: int, quality: str = QUALITY) -> float:
    """The most output samples soxr's stream holds back, ``n * sr_out / sr_in - produced``, over one
    second fed one sample at a time. Feeding one sample per call is the worst case: measured for
    48k↔44.1k, 48k↔16k, 44.1k↔16k, 48k↔22.05k, every block size from 7 to 8192 over 60 s stays at
    or under it (e.g. 48k→44.1k 841.1, 44.1k→48k 1006.5, 48k→16k 585.7, 16k→48k 1757 samples).
    Cached per rate pair (0.1–0.4 s to measure)."""
    import soxr

    s = soxr.ResampleStream(sr_in, sr_out, 1, dtype="float32", quality=quality)
    one = np.zeros(1, np.float32)
    ratio = sr_out / sr_in
    produced, worst = 0, 0.0
    for n in range(1, int(sr_in) + 1):
        produced += len(s.resample_chunk(one))
        worst = max(worst, n * ratio - produced)
    return worst


class StreamResampler:
    """``sr_in`` → ``sr_out`` for ``channels`` channels, block by block, time-aligned (see the module)."""

    def __init__(self, sr_in: int, sr_out: int, channels: int, *, quality: str = QUALITY) -> None:
        import soxr

        self.sr_in, self.sr_out, self.channels, self.quality = int(sr_in), int(sr_out), int(channels), quality
        self._soxr = soxr.ResampleStream(self.sr_in, self.sr_out, self.channels, dtype="float32", quality=quality)
        self._frames = np.zeros((0, self.channels), np.float32)  # (frames, channels) staging for soxr

    def process(self, x: np.ndarray) -> np.ndarray:
        """``x``: ``(channels, n)`` float32 → ``(channels, m)`` float32, ``m`` whatever soxr has finished
        (a view of soxr's fresh output array)."""
        if self.channels == 1:
            y = self._soxr.resample_chunk(np.ascontiguousarray(x[0], np.float32))
            return y[None, :]
        n = x.shape[1]
        if self._frames.shape[0] < n:
            self._frames = np.zeros((n, self.channels), np.float32)
        frames = self._frames[:n]
        frames[:] = x.T
        return self._soxr.resample_chunk(frames).T

    def reset(self) -> None:
        """Forget the stream (same rates)."""
        self._soxr.clear()


class _Fifo:
    """A (channels, n) float32 FIFO in one preallocated buffer: push copies in, ``take`` returns a view
    valid until the next push. Grows (and logs) only if a push does not fit."""

    def __init__(self, channels: int, capacity: int) -> None:
        self.buf = np.zeros((channels, max(1, capacity)), np.float32)
        self.start = self.end = 0

    def __len__(self) -> int:
        return self.end - self.start

    def clear(self, silence: int = 0) -> None:
        """Empty, then ``silence`` zero samples."""
        if silence > self.buf.shape[1]:
            self.buf = np.zeros((self.buf.shape[0], silence), np.float32)
        self.buf[:, :silence] = 0.0
        self.start, self.end = 0, silence

    def push(self, y: np.ndarray) -> None:
        n = y.shape[1]
        if self.end + n > self.buf.shape[1]:
            size = len(self)
            if size + n > self.buf.shape[1]:
                grown = np.zeros((self.buf.shape[0], 2 * (size + n)), np.float32)
                log.debug("resampler FIFO grown to %d samples", grown.shape[1])
                grown[:, :size] = self.buf[:, self.start : self.end]
                self.buf = grown
            else:
                self.buf[:, :size] = self.buf[:, self.start : self.end]
            self.start, self.end = 0, size
        self.buf[:, self.end : self.end + n] = y
        self.end += n

    def take(self, n: int) -> np.ndarray:
        v = self.buf[:, self.start : self.start + n]
        self.start += n
        return v


class ResamplingRunner:
    """Runs a model at ``model.sr`` for a stream at ``sr``: fixed input and output chunk sizes.

    ``run_block(x)`` takes ``chunk`` samples at ``sr`` and returns ``chunk`` samples at ``sr``, delayed by
    exactly :attr:`latency_samples` (plus the model's own latency). The bound: after ``k`` chunks the
    model-rate FIFO has had ``k·chunk·msr/sr − lag₁`` samples, the model has run all but fewer than one
    block ``B`` of them, and the way back has given all but ``lag₂``; so the output FIFO never runs dry
    with ``latency = ceil((lag₁ + B − 1)·sr/msr + lag₂)``, ``lag`` = :func:`max_lag` of each direction.
    With 512-sample chunks: a 48 kHz stream on a 44.1 kHz model 2433 samples (50.7 ms), on a 16 kHz
    model 4024 (83.8 ms); 44.1 kHz on 48 kHz 2277 (51.6 ms); 2048-sample chunks on the 44.1 kHz tiny RAVE
    3970 (82.7 ms), on a 44.1 kHz model taking blocks of 2048 4151 (86.5 ms).
    """

    def __init__(self, runner: ModelRunner, sr: int, chunk: int) -> None:
        self.runner = runner
        self.model = runner.model
        self.in_channels = runner.in_channels
        ch_in, ch_out = runner.in_channels, runner.out_channels
        msr = int(runner.model.sr)
        sr, chunk = int(sr), int(chunk)
        self.sr, self.chunk = sr, chunk
        self.to_model = StreamResampler(sr, msr, ch_in)
        self.from_model = StreamResampler(msr, sr, ch_out)
        self.mblock = runner.multiple * max(1, round(chunk * msr / sr / runner.multiple))
        lag_in, lag_out = max_lag(sr, msr), max_lag(msr, sr)
        self.latency_samples = int(math.ceil((lag_in + self.mblock - 1) * sr / msr + lag_out))
        self.fifo_latency = self.latency_samples  # the former name
        # room for a model block plus soxr's largest burst each side; a push beyond grows the FIFO
        self.q_in = _Fifo(ch_in, self.mblock + int(math.ceil((chunk + 2 * lag_in * sr / msr) * msr / sr)) + 8)
        self.q_out = _Fifo(ch_out, self.latency_samples + chunk + int(math.ceil(self.mblock * sr / msr + 2 * lag_out)) + 8)
        self.q_out.clear(self.latency_samples)
        self.underruns = 0  # never, by the bound; counted should soxr ever lag more than measured

    def run_block(self, x: np.ndarray, controls: LatentControls | None = None) -> np.ndarray:
        self.q_in.push(self.to_model.process(x))
        B = self.mblock
        while len(self.q_in) >= B:
            y = self.runner.run_block(self.q_in.take(B), controls)
            self.q_out.push(self.from_model.process(y))
        n = min(self.chunk, len(self.q_out))
        out = np.empty((self.q_out.buf.shape[0], self.chunk), np.float32)
        out[:, :n] = self.q_out.take(n)
        if n < self.chunk:  # keeps the block contract; the latency is then no longer exact
            out[:, n:] = 0.0
            self.underruns += 1
            log.warning("resampling runner ran dry (%d of %d samples); soxr lagged more than measured", n, self.chunk)
        return out

    def reset(self) -> None:
        """Clean state: resamplers forgotten, FIFOs back to the prefill (the model's state is the
        caller's)."""
        self.to_model.reset()
        self.from_model.reset()
        self.q_in.clear()
        self.q_out.clear(self.latency_samples)
