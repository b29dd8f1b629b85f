"""Timbre models at 2048-sample blocks on one core: real-time factor, latency, and host overhead.

For each builtin model and the tiny random-weight RAVE model (acids-rave ``raspberry`` config,
exported with ``rave export --streaming``), measured in CPU time (``time.thread_time``, per thread),
not wall time, so other processes on a shared machine do not enter the figures:

- **bare**: ``model.run("forward", block)`` called back to back in a loop (``torch.inference_mode``,
  one torch thread): the model's cost as a benchmark of the model alone sees it.
- **host**: :class:`server.timbre.stream.StreamingTimbre` in live mode, fed one block at a time; after
  each ``process()`` the driver waits (untimed) until the worker has finished that chunk, so no block
  is late and the worker never queues. Per block:
  - *model*: CPU time inside the model's own methods, measured on the worker thread around each
    module call (``ModelRunner(clock=time.thread_time)``);
  - *audio thread*: CPU time of ``process()`` as it runs live (``profile`` off: copy in, chunk
    hand-over, copy out), less the hand-over, which is measured in the profiled half of the round
    (medians per block of both);
  - *worker*: the worker's CPU time per chunk outside the model's methods (input/output copies,
    channel matching, tensor wrapping, latent-control path, dry/wet delay line, bookkeeping);
  - *hand-off*: the worker's CPU time spent waking up in ``queue.get()`` (kernel + GIL), the fixed
    price of running inference off the audio thread.

**Host overhead** = (audio thread + worker) / model, both from the same run; hand-off is reported
beside it and in a second ratio. Rounds alternate bare and host; the table gives medians over rounds,
and the overhead's range across rounds. The model's cost inside the host is higher than back to back
(cold caches after the idle gap between blocks: also true of a bare model paced in real time), so the
host's overhead is divided by the model's cost in the same run, not by the bare loop.
Latency is the processor's reported latency (buffering + the model's measured latency).
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

BLOCK = 2048
ROUNDS = 7
LIVE_BLOCKS = 40


def _bare(model, x, n):
    """CPU seconds per block of the bare model call, back to back."""
    import torch

    model.reset_state()
    with torch.inference_mode():
        t0 = time.thread_time()
        for i in range(n):
            model.run("forward", torch.from_numpy(x[None, :, i * BLOCK : (i + 1) * BLOCK]))
        return (time.thread_time() - t0) / n


def _host(st, x, n):
    """One round of the live processor: the worker's stats and the audio thread's CPU per block.

    First ``n`` blocks with ``profile`` on (the worker's split into model / host / hand-off, and the audio
    thread's hand-over cost per block), then ``n`` more with it off, timing ``process()`` as it runs live.
    The audio thread's figure is the median ``process()`` less the median hand-over (medians: a block
    preempted by another process does not swing them), so the profiling clocks are not counted as host work.
    """
    st.reset()  # fresh counters (and model copies) for this round

    def feed(i0):
        cpu, handoff = [], []
        for i in range(i0, i0 + n):
            h0 = st.audio_handoff_cpu_s
            t0 = time.thread_time()
            st.process(x[:, i * BLOCK : (i + 1) * BLOCK])
            cpu.append(time.thread_time() - t0)
            handoff.append(st.audio_handoff_cpu_s - h0)
            while st.chunks_done < i + 1:  # untimed: let the worker finish this chunk
                time.sleep(0.0002)
        return statistics.median(cpu), statistics.median(handoff)

    st.profile = True
    _, handoff_audio = feed(0)
    s = st.stats()
    assert s["late_blocks"] <= 1, s  # the first output block is due before any chunk is done
    st.profile = False
    audio, _ = feed(n)
    return {"audio": audio - handoff_audio, "model": s["model_cpu_ms"] / 1e3,
            "worker": s["host_worker_cpu_ms"] / 1e3, "handoff": s["handoff_cpu_ms"] / 1e3 + handoff_audio}


def _live(model, x):
    """Real-time paced, live mode (no waiting): late blocks over LIVE_BLOCKS blocks."""
    from server.timbre.stream import StreamingTimbre

    st = StreamingTimbre(model)
    st.prepare(model.sr, BLOCK, 1)
    block_s = BLOCK / model.sr
    t_next = time.perf_counter()
    for i in range(LIVE_BLOCKS):
        st.process(x[:, i * BLOCK : (i + 1) * BLOCK])
        t_next += block_s
        time.sleep(max(0.0, t_next - time.perf_counter()))
    time.sleep(block_s)
    stats = st.stats()
    st.close()
    return stats["late_blocks"]


def measure(model, n: int, rounds: int = ROUNDS) -> dict:
    """Interleaved bare / host rounds on one model; medians (seconds per block) and overhead range."""
    from server.timbre.stream import StreamingTimbre

    x = (np.random.default_rng(0).standard_normal((1, (2 * n + 2) * BLOCK)) * 0.1).astype(np.float32)
    st = StreamingTimbre(model, profile=True)
    st.prepare(model.sr, BLOCK, 1)
    _bare(model, x, 5)  # warm the bare model's graphs too
    bare, host = [], []
    try:
        for _ in range(rounds):
            bare.append(_bare(model, x, n))
            host.append(_host(st, x, n))
        stats = st.stats()
    finally:
        st.close()
    med = {k: statistics.median(h[k] for h in host) for k in host[0]}
    over = [(h["audio"] + h["worker"]) / h["model"] for h in host]
    over_all = [(h["audio"] + h["worker"] + h["handoff"]) / h["model"] for h in host]
    return {"bare": statistics.median(bare), **med, "overhead": statistics.median(over),
            "overhead_range": (min(over), max(over)), "overhead_all": statistics.median(over_all),
            "latency_samples": stats["latency_samples"], "latency_ms": stats["latency_ms"], "x": x}


def run() -> str:
    import torch

    from server.paths import REPO_ROOT
    from server.timbre.builtin import BUILTIN_DIR, ROLES
    from server.timbre.model import NNModel
    from server.timbre.rave import build_random_model

    torch.set_num_threads(1)
    models = [(f"builtin {r}", NNModel.load(BUILTIN_DIR / f"{r}.ts"), 200) for r in ROLES]
    rave = build_random_model(REPO_ROOT / ".tools" / "cache" / "rave-raspberry-random-seed0.ts")
    models.append(("RAVE raspberry (random weights)", NNModel.load(rave), 100))
    rows = []
    for name, model, n in models:
        r = measure(model, n)
        r["late"] = _live(model, r.pop("x"))
        rows.append((name, model.sr, r))
    lines = [
        "## Timbre: builtin models and a tiny RAVE model, 2048-sample blocks, one torch thread",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared, busy). CPU time per "
        f"2048-sample block (`time.thread_time` on each thread), medians of {ROUNDS} interleaved bare / host "
        "rounds (`python -m bench timbre`); definitions in `bench/bench_timbre.py` and below.",
        "",
        "| model | sr | bare loop ms/block | × real time (bare) | model in host ms/block | host: audio thread µs "
        "| host: worker µs | **host overhead** (range) | hand-off µs | overhead incl. hand-off "
        "| live: late blocks | latency (samples / ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, sr, r in rows:
        lo, hi = r["overhead_range"]
        lines.append(
            f"| {name} | {sr} | {1e3 * r['bare']:.3f} | {BLOCK / sr / r['bare']:.0f}× | {1e3 * r['model']:.3f} | "
            f"{1e6 * r['audio']:.1f} | {1e6 * r['worker']:.1f} | **{100 * r['overhead']:.1f} %** "
            f"({100 * lo:.1f}–{100 * hi:.1f}) | {1e6 * r['handoff']:.1f} | {100 * r['overhead_all']:.1f} % | "
            f"{r['late']}/{LIVE_BLOCKS} | {r['latency_samples']} / {r['latency_ms']:.1f} |"
        )
    lines += [
        "",
        "Host overhead = (audio-thread CPU in `process()` + the worker's CPU per chunk outside the model's "
        "methods) ÷ the CPU time inside the model's methods in the same run. Hand-off = the worker's CPU "
        "spent waking up for each chunk (kernel + GIL), reported apart: it is a fixed cost per chunk of "
        "keeping inference off the audio thread, not work on the samples. 'Bare loop' calls the model back "
        "to back; inside the host the same calls cost more because caches go cold in the idle gap between "
        "blocks, as they would for a bare model paced in real time. 'Live' = real-time paced, no waiting.",
        "",
        "Targets: every builtin model ≥ 10× real time on one core; host overhead < 5 % of the model's time. "
        "Latency = one 2048-sample block of double buffering + the model's own latency "
        "(builtin: its 256-sample convolution partition; RAVE: its cached convolutions).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
