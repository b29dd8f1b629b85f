"""The live stream resampler: soxr's ``ResampleStream`` (server/timbre/resample.py, HQ) against the
causal polyphase FIR it replaced (a Kaiser-windowed sinc from ``scipy.signal.firwin``, 16 taps per
phase each side; kept here as the reference, verbatim but for its name).

Per rate pair, mono, 512-sample blocks over 10 s of noise: CPU time per second of audio (median of
rounds, ``time.thread_time``), alias rejection (a tone above the lower Nyquist frequency, out/in in dB),
pass-band level at 0.8 × the lower Nyquist (dB), and the latency each way: the FIR's fixed group delay;
for soxr, the most output it holds back (:func:`server.timbre.resample.max_lag`), which the runner's FIFO
prefill covers. Then :class:`ResamplingRunner`'s total (both ways, FIFOs, model block) beside the FIR
runner's old ``fifo_latency`` + both FIR delays.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from fractions import Fraction

import numpy as np

PAIRS = [(48000, 44100), (44100, 48000), (48000, 16000), (16000, 48000)]
BLOCK = 512
SECONDS = 10.0
ROUNDS = 5


class FirStreamResampler:
    """The former ``server.timbre.resample.StreamResampler`` (scipy firwin taps), for comparison."""

    def __init__(self, sr_in: int, sr_out: int, channels: int, *, half_taps_per_phase: int = 16) -> None:
        from scipy.signal import firwin

        frac = Fraction(int(sr_out), int(sr_in))
        self.up, self.down = frac.numerator, frac.denominator
        n_taps = 2 * half_taps_per_phase * max(self.up, self.down) + 1
        cutoff = 0.95 / max(self.up, self.down)
        h = firwin(n_taps, cutoff, window=("kaiser", 8.0)) * self.up
        J = int(math.ceil(n_taps / self.up))
        hp = np.zeros(J * self.up)
        hp[:n_taps] = h
        self.poly = hp.reshape(J, self.up).T.astype(np.float64)
        self.J = J
        self.delay_out = (n_taps // 2) / self.down
        self.channels = channels
        self.hist = np.zeros((channels, J), np.float64)
        self.n_in = 0
        self.n_out = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.hist, x.astype(np.float64)], axis=1)
        total_in = self.n_in + x.shape[1]
        last = (total_in * self.up - 1) // self.down
        n = np.arange(self.n_out, last + 1)
        if n.size:
            m = n * self.down
            p = m % self.up
            i0 = m // self.up - self.n_in + self.J
            idx = i0[:, None] - np.arange(self.J)[None, :]
            y = np.einsum("cnj,nj->cn", buf[:, idx], self.poly[p])
        else:
            y = np.zeros((self.channels, 0))
        self.hist = buf[:, -self.J :]
        self.n_in = total_in
        self.n_out = last + 1
        return y.astype(np.float32)


def _cpu_per_second(make, x: np.ndarray, sr: int) -> float:
    r = make()
    t0 = time.thread_time()
    for i in range(0, x.shape[1], BLOCK):
        r.process(x[:, i : i + BLOCK])
    return (time.thread_time() - t0) / (x.shape[1] / sr)


def _level_db(make, f: float, sr: int, sr_out: int) -> float:
    """Output/input RMS in dB of a tone at ``f``, past the start-up transient."""
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)[None, :]
    r = make()
    y = np.concatenate([r.process(x[:, i : i + BLOCK]) for i in range(0, sr, BLOCK)], axis=1)[0]
    y = y[sr_out // 4 : 3 * len(y) // 4].astype(np.float64)
    return 10 * np.log10(max(np.mean(y**2), 1e-30) / 0.125)


def measure(sr_in: int, sr_out: int) -> dict:
    from server.timbre.resample import StreamResampler, max_lag

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((1, int(SECONDS * sr_in))) * 0.2).astype(np.float32)
    makers = {"soxr": lambda: StreamResampler(sr_in, sr_out, 1), "fir": lambda: FirStreamResampler(sr_in, sr_out, 1)}
    cpu = {k: [] for k in makers}
    for _ in range(ROUNDS):  # interleaved
        for k, make in makers.items():
            cpu[k].append(_cpu_per_second(make, x, sr_in))
    nyq = min(sr_in, sr_out) / 2
    alias_f = min(sr_in / 2 * 0.95, nyq * 1.35)  # above the lower Nyquist, below the input's
    return {
        "pair": f"{sr_in / 1000:g} → {sr_out / 1000:g} kHz",
        **{f"cpu_{k}": statistics.median(v) * 1000 for k, v in cpu.items()},
        **{f"alias_{k}": _level_db(m, alias_f, sr_in, sr_out) if sr_out < sr_in else None for k, m in makers.items()},
        **{f"pass_{k}": _level_db(m, 0.8 * nyq, sr_in, sr_out) for k, m in makers.items()},
        "alias_f": alias_f,
        "lat_soxr": max_lag(sr_in, sr_out),
        "lat_fir": FirStreamResampler(sr_in, sr_out, 1).delay_out,
    }


def runner_latencies(sr: int, msr: int, chunk: int, multiple: int = 1) -> tuple[int, float]:
    """(soxr runner latency, FIR runner's fifo_latency + both FIR delays), in samples at ``sr``."""
    from server.timbre.resample import max_lag

    B = multiple * max(1, round(chunk * msr / sr / multiple))
    new = int(math.ceil((max_lag(sr, msr) + B - 1) * sr / msr + max_lag(msr, sr)))
    old = math.ceil(B * sr / msr) + chunk + 64 + FirStreamResampler(sr, msr, 1).delay_out * sr / msr \
        + FirStreamResampler(msr, sr, 1).delay_out
    return new, old


def run() -> str:
    rows = [measure(a, b) for a, b in PAIRS]
    out = ["## Live stream resampler: soxr against the former FIR", "",
           f"`python -m bench resample` on {platform.node() or 'this machine'} ({os.cpu_count()} cores, load "
           f"average {os.getloadavg()[0]:.1f}): mono, {BLOCK}-sample blocks, {SECONDS:g} s of noise, median of "
           f"{ROUNDS} interleaved rounds of CPU time (`time.thread_time`). Alias: a tone above the lower Nyquist "
           "frequency, output/input; pass: a tone at 0.8 × the lower Nyquist. Lag: soxr's most held-back output "
           "(covered by the runner's FIFO prefill); the FIR's group delay.", "",
           "| rate | CPU ms/s soxr | CPU ms/s FIR | alias soxr | alias FIR | pass soxr | pass FIR | lag soxr | lag FIR |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        alias = ("—", "—") if r["alias_soxr"] is None else (f"{r['alias_soxr']:.0f} dB", f"{r['alias_fir']:.0f} dB")
        out.append(f"| {r['pair']} | {r['cpu_soxr']:.2f} | {r['cpu_fir']:.2f} | {alias[0]} | {alias[1]} | "
                   f"{r['pass_soxr']:+.2f} dB | {r['pass_fir']:+.2f} dB | {r['lat_soxr']:.0f} | {r['lat_fir']:.0f} |")
    out += ["", "Runner latency (both ways, the model's own latency not included), samples at the stream rate:", "",
            "| stream → model | chunk | soxr runner (exact) | FIR runner (FIFO + filters) |", "|---|---|---|---|"]
    for sr, msr, chunk, mult in [(48000, 44100, 512, 1), (48000, 16000, 512, 1), (44100, 48000, 512, 1),
                                 (48000, 44100, 2048, 2048)]:
        new, old = runner_latencies(sr, msr, chunk, mult)
        out.append(f"| {sr / 1000:g} → {msr / 1000:g} kHz | {chunk}{' (model blocks of 2048)' if mult > 1 else ''} | "
                   f"{new} ({new / sr * 1000:.1f} ms) | {old:.0f} ({old / sr * 1000:.1f} ms) |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(run())
