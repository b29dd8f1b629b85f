"""Stateful rational resampling for streams, and a model runner that works at another sample rate.

:class:`StreamResampler` is a causal polyphase FIR (Kaiser-windowed sinc, scipy ``firwin``): feed
any number of samples, get every output sample whose inputs have arrived. Its delay is
``taps // 2`` samples of the up-sampled rate. :class:`ResamplingRunner` puts one before and one
after a :class:`~server.timbre.transfer.ModelRunner`, with FIFOs for the model's block multiple,
so a stream at the engine's rate can drive a model at its own rate; it adds a fixed latency.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .transfer import LatentControls, ModelRunner


class StreamResampler:
    """Causal polyphase resampler from ``sr_in`` to ``sr_out`` for ``channels`` channels."""

    def __init__(self, sr_in: int, sr_out: int, channels: int, *, half_taps_per_phase: int = 16) -> None:
        from scipy.signal import firwin

        frac = Fraction(int(sr_out), int(sr_in))
        self.up, self.down = frac.numerator, frac.denominator
        n_taps = 2 * half_taps_per_phase * max(self.up, self.down) + 1
        cutoff = 0.95 / max(self.up, self.down)  # of Nyquist of the up-sampled rate
        h = firwin(n_taps, cutoff, window=("kaiser", 8.0)) * self.up
        J = int(math.ceil(n_taps / self.up))
        hp = np.zeros(J * self.up)
        hp[:n_taps] = h
        self.poly = hp.reshape(J, self.up).T.astype(np.float64)  # poly[p, j] = h[p + j*up]
        self.J = J
        self.delay_out = (n_taps // 2) / self.down  # in output samples
        self.channels = channels
        self.hist = np.zeros((channels, J), np.float64)  # last J inputs (index offset base)
        self.n_in = 0  # input samples consumed so far
        self.n_out = 0  # output samples produced so far

    def process(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.hist, x.astype(np.float64)], axis=1)  # buf[:, J + i] = input n_in + i
        total_in = self.n_in + x.shape[1]
        # output n needs input index floor(n*down/up) <= total_in - 1
        last = (total_in * self.up - 1) // self.down  # largest n with n*down < total_in*up
        n = np.arange(self.n_out, last + 1)
        if n.size:
            m = n * self.down
            p = m % self.up
            i0 = m // self.up - self.n_in + self.J  # position in buf
            idx = i0[:, None] - np.arange(self.J)[None, :]
            win = buf[:, idx]  # (channels, n_out, J)
            y = np.einsum("cnj,nj->cn", win, self.poly[p])
        else:
            y = np.zeros((self.channels, 0))
        self.hist = buf[:, -self.J :]
        self.n_in = total_in
        self.n_out = last + 1
        return y.astype(np.float32)


class ResamplingRunner:
    """Runs a model at ``model.sr`` for a stream at ``sr``: fixed input and output chunk sizes.

    ``run_block(x)`` takes ``chunk`` samples at ``sr`` and returns ``chunk`` samples at ``sr``; the
    output is delayed by :attr:`fifo_latency` samples (prefilled silence) plus the filters' delay.
    """

    def __init__(self, runner: ModelRunner, sr: int, chunk: int) -> None:
        self.runner = runner
        self.model = runner.model
        self.in_channels = runner.in_channels
        ch_in, ch_out = runner.in_channels, runner.out_channels
        msr = runner.model.sr
        self.to_model = StreamResampler(sr, msr, ch_in)
        self.from_model = StreamResampler(msr, sr, ch_out)
        self.mblock = runner.multiple * max(1, round(chunk * msr / sr / runner.multiple))
        self.chunk = chunk
        self.q_in = np.zeros((ch_in, 0), np.float32)
        # enough silence that a chunk is always available: one model block + one chunk + filter slack
        self.fifo_latency = int(math.ceil(self.mblock * sr / msr)) + chunk + 64
        self.q_out = np.zeros((ch_out, self.fifo_latency), np.float32)

    def run_block(self, x: np.ndarray, controls: LatentControls | None = None) -> np.ndarray:
        self.q_in = np.concatenate([self.q_in, self.to_model.process(x)], axis=1)
        while self.q_in.shape[1] >= self.mblock:
            y = self.runner.run_block(self.q_in[:, : self.mblock], controls)
            self.q_in = self.q_in[:, self.mblock :]
            self.q_out = np.concatenate([self.q_out, self.from_model.process(y)], axis=1)
        out = self.q_out[:, : self.chunk]
        if out.shape[1] < self.chunk:  # cannot happen with the prefill; keep the contract anyway
            out = np.pad(out, ((0, 0), (0, self.chunk - out.shape[1])))
        self.q_out = self.q_out[:, self.chunk :]
        return out
