"""Timbre models at 2048-sample blocks on one core: real-time factor, latency, and host overhead.

For each builtin model and the tiny random-weight RAVE model (acids-rave ``raspberry`` config,
exported with ``rave export --streaming``), interleaved rounds, best kept:
- bare: ``model.forward`` called in a loop (``torch.inference_mode``, one torch thread);
- host: :class:`server.timbre.stream.StreamingTimbre` in freewheel mode driven block by block
  (chunk hand-off to the worker thread, latent-control path, output copy) — wall time per block.
Overhead = host / bare − 1. Latency is the processor's reported latency (buffering + the model's
measured latency: first output sample that an impulse changes).
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np

BLOCK = 2048
ROUNDS = 5
LIVE_BLOCKS = 40


def _bare(model, x, n):
    import torch

    model.reset_state()
    with torch.inference_mode():
        t0 = time.perf_counter()
        for i in range(n):
            model.run("forward", torch.from_numpy(x[:, i * BLOCK : (i + 1) * BLOCK]).unsqueeze(0))
        return (time.perf_counter() - t0) / n


def _host(st, x, n):
    t0 = time.perf_counter()
    for i in range(n):
        st.process(x[:, i * BLOCK : (i + 1) * BLOCK])
    return (time.perf_counter() - t0) / n


def _live(model, x):
    """Real-time paced, live mode (no waiting): audio-thread time per process() call, late blocks."""
    from server.timbre.stream import StreamingTimbre

    st = StreamingTimbre(model)
    st.prepare(model.sr, BLOCK, 1)
    block_s = BLOCK / model.sr
    spent = []
    t_next = time.perf_counter()
    for i in range(LIVE_BLOCKS):
        t0 = time.perf_counter()
        st.process(x[:, i * BLOCK : (i + 1) * BLOCK])
        spent.append(time.perf_counter() - t0)
        t_next += block_s
        time.sleep(max(0.0, t_next - time.perf_counter()))
    stats = st.stats()
    st.close()
    return float(np.median(spent)), stats["late_blocks"]


def run() -> str:
    import torch

    from server.paths import REPO_ROOT
    from server.timbre.builtin import BUILTIN_DIR, ROLES
    from server.timbre.model import NNModel
    from server.timbre.rave import build_random_model
    from server.timbre.stream import StreamingTimbre

    torch.set_num_threads(1)
    models = [(f"builtin {r}", NNModel.load(BUILTIN_DIR / f"{r}.ts"), 200) for r in ROLES]
    rave = build_random_model(REPO_ROOT / ".tools" / "cache" / "rave-raspberry-random-seed0.ts")
    models.append(("RAVE raspberry (random weights)", NNModel.load(rave), 100))
    rows = []
    for name, model, n in models:
        sr = model.sr
        x = (np.random.default_rng(0).standard_normal((1, (n + 2) * BLOCK)) * 0.1).astype(np.float32)
        st = StreamingTimbre(model, freewheel=True)
        st.prepare(sr, BLOCK, 1)
        _bare(model, x, 5)  # warm the bare model's graphs too
        bare, host = [], []
        for _ in range(ROUNDS):
            bare.append(_bare(model, x, n))
            host.append(_host(st, x, n))
        stats = st.stats()
        st.close()
        b, h = min(bare), min(host)
        block_s = BLOCK / sr
        live_ms, late = _live(model, x)
        rows.append((name, sr, b, h, block_s, stats, live_ms, late))
    lines = [
        "## Timbre: builtin models and a tiny RAVE model, 2048-sample blocks, one torch thread",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared, busy); best of "
        f"{ROUNDS} interleaved rounds (`python -m bench timbre`).",
        "",
        "| model | sr | bare ms/block | × real time (bare) | host ms/block | host overhead | "
        "worker ms/block | live: audio-thread ms/block | live: late blocks | latency (samples / ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, sr, b, h, block_s, s, live_ms, late in rows:
        lines.append(
            f"| {name} | {sr} | {1000 * b:.2f} | {block_s / b:.0f}× | {1000 * h:.2f} | {100 * (h / b - 1):+.1f} % | "
            f"{s['compute_mean_ms']:.2f} | {1000 * live_ms:.3f} | {late}/{LIVE_BLOCKS} | "
            f"{s['latency_samples']} / {s['latency_ms']:.1f} |"
        )
    lines += [
        "",
        "host = freewheel (offline) drive: the audio thread hands each block to the worker and waits for "
        "it, so the overhead includes the thread hand-off; in live mode the audio thread never waits and "
        "spends only the 'audio-thread' time per block (copies), the model runs on the worker.",
        "",
        "Targets: every builtin model ≥ 10× real time on one core; host overhead < 5 % of the model's time. "
        "Latency = one 2048-sample block of double buffering + the model's own latency "
        "(builtin: its 256-sample convolution partition; RAVE: its cached convolutions).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
