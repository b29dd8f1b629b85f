"""Streaming timbre transfer: an nn~ model as a ``prepare / process / reset`` Processor.

The audio thread never runs the model. ``process()`` copies the incoming block into a
preallocated chunk; every full chunk (``M`` samples, a multiple of the model's ratio) is handed to
a persistent worker thread through a slot ring and a ``SimpleQueue.put_nowait`` (never blocks). The
worker (one torch thread, ``torch.inference_mode()``) runs the model and publishes the result by
writing the chunk's sequence number after its samples. ``process()`` outputs the chunk that was due
``D`` samples ago; if it is not published yet, it outputs silence (or repeats the last block) and
counts a late block. ``D = M`` when the host block is ``M`` (double buffering: the worker has one
block period), ``2M - max_block`` for smaller host blocks.

In ``freewheel`` mode (offline rendering) ``process()`` waits for the worker instead, so the output
is deterministic and equals :func:`server.timbre.transfer.transfer` (``align=False``) delayed by
``D`` samples — sample for sample.

Threads: ``__init__``, ``prepare``, ``reset``, ``close`` on the control / loader thread;
``process`` on the audio thread only; ``set_controls`` from any thread (one reference store).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import queue
import threading
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .model import NNModel
from .resample import ResamplingRunner
from .transfer import LatentControls, ModelRunner, _match_channels, measure_latency

log = logging.getLogger(__name__)


def _load(model: str | Path | NNModel) -> NNModel:
    if isinstance(model, NNModel):
        return model
    from .builtin import resolve_model

    return NNModel.load(resolve_model(model))


def _warm_up(runner: ModelRunner, block: int, n: int) -> None:
    """Run ``n`` silent blocks (TorchScript profiles and optimises its first calls), then reset state."""
    import torch

    x = np.zeros((runner.in_channels, block), np.float32)
    rng = torch.get_rng_state()
    with torch.inference_mode():
        for _ in range(n):
            runner.run_block(x)
    torch.set_rng_state(rng)
    runner.model.reset_state()


class StreamingTimbre:
    """Run an nn~ / RAVE model on a live stream (see the module docstring).

    ``model``: an :class:`NNModel`, a ``.ts`` path, ``builtin:<role>`` or a role name.
    ``method``: ``forward`` (default), ``latent`` (encode → controls → decode) or any audio→audio
    method. ``controls``: latent bias/scale, temperature, dry/wet (swap with :meth:`set_controls`).
    ``fallback``: ``"silence"`` or ``"last"`` when a block is late. ``profile``: also time the audio
    thread's side of the chunk hand-over (two CPU-clock reads per chunk; see :meth:`stats`); the
    attribute may be switched between blocks.
    """

    def __init__(
        self,
        model: str | Path | NNModel,
        method: str = "forward",
        *,
        controls: LatentControls | None = None,
        freewheel: bool = False,
        warmup_blocks: int = 3,
        fallback: str = "silence",
        slots: int = 8,
        seed: int = 0,
        profile: bool = False,
    ) -> None:
        if fallback not in ("silence", "last"):
            raise ConfigError(f"fallback {fallback!r} must be 'silence' or 'last'")
        self.model = _load(model)
        self.method = method
        self.controls = controls or LatentControls()
        self.freewheel = freewheel
        self.warmup_blocks = int(warmup_blocks)
        self.fallback = fallback
        self.n_slots = max(3, int(slots))
        self.seed = int(seed)
        self.profile = bool(profile)  # may be switched between blocks (a benchmark alternates it)
        ModelRunner(self.model, method, self.controls)  # validates method and controls now
        self.latency_samples = 0
        self.model_latency = 0
        self.buffer_latency = 0
        self._thread: threading.Thread | None = None
        self._attr_changes: queue.SimpleQueue = queue.SimpleQueue()
        self._attr_state: dict[str, tuple] = {}
        self._queue: queue.SimpleQueue | None = None
        self.sample_rate = 0
        self.max_block = 0
        self.channels = 0
        self.error = ""  # the first exception the model raised in the worker (its chunks are then silence)
        self.errors = 0
        self._reset_counters()

    # -- control thread ------------------------------------------------------------------------
    def set_controls(self, **changes) -> None:
        """Replace the latent controls (``bias``, ``scale``, ``temperature``, ``dry_wet``); any thread."""
        self.controls = dataclasses.replace(self.controls, **changes)

    def set_attribute(self, name: str, *values) -> None:
        """Set an nn~ attribute (e.g. ``set_attribute("note", 45.0)``); any thread.

        The change is published as one reference swap and applied by the worker before its next
        chunk, so the model is never touched while it runs.
        """
        if name not in self.model.attributes:
            raise ConfigError(f"model {self.model.name} has no attribute {name!r}; it has {self.model.attributes}")
        self._attr_state[name] = values  # kept for reset()/prepare(), which build fresh model copies
        self._attr_changes.put_nowait((name, values))

    def prepare(self, sample_rate: int, max_block: int, channels: int) -> None:
        """Measure latency, warm up, start the worker. A stream rate other than the model's ``sr`` is
        resampled in the worker (soxr each way, :mod:`.resample`), at the cost of extra latency."""
        if max_block < 1 or channels < 1:
            raise ConfigError(f"max_block {max_block} and channels {channels} must be >= 1")
        self.close()
        self.sample_rate, self.max_block, self.channels = int(sample_rate), int(max_block), int(channels)
        probe = ModelRunner(self.model, self.method, self.controls)
        self.resampling = self.sample_rate != self.model.sr
        mult = 1 if self.resampling else probe.multiple
        self.chunk = mult * int(math.ceil(max_block / mult))
        self.buffer_latency = self.chunk if max_block == self.chunk else 2 * self.chunk - max_block
        path = "latent" if probe._use_latent(self.controls) else self.method
        if self.resampling:
            # the resampling runner's own latency is exact (soxr is time-aligned, its FIFO prefilled);
            # the model's is measured at its own rate, in its own blocks, and converted
            runner = self._make_runner(self.model, path, LatentControls())
            at_model_rate = measure_latency(self.model, path, block=runner.mblock)
            self.model_latency = runner.latency_samples + round(at_model_rate * self.sample_rate / self.model.sr)
        else:
            self.model_latency = measure_latency(self.model, path, block=self.chunk)
        self.latency_samples = self.buffer_latency + self.model_latency
        self._start()

    def _make_runner(self, model: NNModel, method: str | None = None, controls=None, clock=None):
        runner = ModelRunner(model, method or self.method, controls or self.controls, clock=clock)
        if self.sample_rate != model.sr:
            return ResamplingRunner(runner, self.sample_rate, self.chunk)
        return runner

    def reset(self) -> None:
        """Clean state (fresh model copies, counters, buffers); control thread, stream stopped."""
        if self.sample_rate:
            self.close()
            self._start()

    def close(self) -> None:
        """Stop the worker thread (waits for it); control thread."""
        q, t = self._queue, self._thread
        self._queue, self._thread = None, None
        if q is not None:
            q.put(None)
        if t is not None:
            t.join(timeout=10)

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    def _reset_counters(self) -> None:
        self.blocks = 0
        self.late_blocks = 0
        self.compute_s = 0.0
        self.compute_max_s = 0.0
        self.compute_cpu_s = 0.0
        self.handoff_cpu_s = 0.0
        self.audio_handoff_cpu_s = 0.0
        self.chunks_done = 0

    def _start(self) -> None:
        import torch

        self._reset_counters()
        ch, M, S = self.channels, self.chunk, self.n_slots
        probe = ModelRunner(self.model, self.method, self.controls)
        groups = ch if probe.in_channels == 1 else 1
        self._runners = []
        for _ in range(groups):
            model = self.model.fresh()
            for name, values in self._attr_state.items():
                model.set_attribute(name, *values)
            _warm_up(self._make_runner(model), M, self.warmup_blocks)
            # clean resampler FIFOs after the warm-up; the worker's CPU clock times the model's calls
            self._runners.append(self._make_runner(model, clock=time.thread_time))
        torch.manual_seed(self.seed)
        # the input slots double as the dry delay line and the model's input: the worker reads chunk k
        # in place (no copy), and chunks k-H+1 .. k stay in their slots until chunk k+S overwrites the
        # first of them, S = slots + H chunks later (the worker is then that late and the chunk dropped)
        L = self.model_latency
        self._history_chunks = H = L // M + 2
        self._n_in = S_in = S + H
        self._fill = 0
        self._in_slots = np.zeros((S_in, ch, M), np.float32)
        self._out_slots = np.zeros((S, ch, M), np.float32)
        self._out_seq = [-1] * S  # a list: item stores are atomic and reads cost no numpy scalar
        self._submitted = 0
        self._pos = 0  # input samples received
        self._last = np.zeros((ch, self.max_block), np.float32)
        # tensor views made once: (1, ch, M) per input and output slot, so a chunk costs no wrapping
        self._in_t = [torch.from_numpy(self._in_slots[j : j + 1]) for j in range(S_in)]
        self._out_t = [torch.from_numpy(self._out_slots[j : j + 1]) for j in range(S)]
        self._in_views, self._out_views = list(self._in_slots), list(self._out_slots)  # (ch, M) views, made once
        r0 = self._runners[0]
        self._direct = (groups == 1 and isinstance(r0, ModelRunner)  # not a ResamplingRunner
                        and r0.in_channels == ch and r0.out_channels == ch)
        self._wake = threading.Event()
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, args=(self._queue,), name="timbre-worker", daemon=True)
        self._thread.start()

    # -- worker thread ---------------------------------------------------------------------------
    def _dry(self, k: int) -> np.ndarray:
        """Input samples ``[kM - L, kM - L + M)``: the dry signal aligned with chunk ``k``'s output."""
        M, L, S_in = self.chunk, self.model_latency, self._n_in
        h = np.concatenate([self._in_slots[j % S_in] if j >= 0 else np.zeros_like(self._in_slots[0])
                            for j in range(k - self._history_chunks + 1, k + 1)], axis=1)
        end = h.shape[1] - L
        return h[:, end - M : end]

    def _work(self, q: queue.SimpleQueue) -> None:
        import torch

        torch.set_num_threads(1)
        ch, S, S_in = self.channels, self.n_slots, self._n_in
        in_slots, out_slots, in_t, out_t, out_seq = self._in_slots, self._out_slots, self._in_t, self._out_t, self._out_seq
        runners, attr_changes = self._runners, self._attr_changes
        direct, r0 = self._direct, self._runners[0]
        clock, perf = time.thread_time, time.perf_counter
        bound_for, bound = None, None  # the model's method, bound once per controls object (no latent path)
        w_end = None
        with torch.inference_mode():
            while True:
                # one CPU-clock reading ends a chunk and starts the wait for the next (each costs a syscall)
                w0 = clock() if w_end is None else w_end
                k = q.get()
                c0 = clock()
                self.handoff_cpu_s += c0 - w0  # CPU spent waking up (blocked time is free)
                w_end = None
                if k is None:
                    return
                if k <= self._submitted - S_in:  # its slot was refilled before we got to it
                    self._wake.set()
                    continue
                t0 = perf()
                c = self.controls
                try:
                    while not attr_changes.empty():
                        name, values = attr_changes.get_nowait()
                        for r in runners:
                            r.model.set_attribute(name, *values)
                    slot = k % S
                    if direct and c.dry_wet >= 1.0:  # the model's channels are the stream's: tensors in and out
                        if c is not bound_for:
                            bound_for, bound = c, r0.bound_method(c)
                        if bound is not None:  # the plain method: called with no wrapper, timed here
                            m0 = clock()
                            yt = bound(in_t[k % S_in])
                            r0.model_time += clock() - m0
                        else:
                            yt = r0.run_tensor(in_t[k % S_in], c)
                        out_seq[slot] = -1
                        out_t[slot].copy_(yt)  # the model's tensor is freed now: its memory stays warm for the next call
                    else:
                        x = in_slots[k % S_in]
                        if direct:
                            y = runners[0].run_tensor(in_t[k % S_in], c).numpy()[0]
                        elif len(runners) == 1:
                            y = _match_channels(runners[0].run_block(_match_channels(x, runners[0].in_channels), c), ch)
                        else:
                            y = np.concatenate([r.run_block(x[i : i + 1], c) for i, r in enumerate(runners)], axis=0)
                            if y.shape[0] != ch:
                                y = y[:ch]
                        if c.dry_wet < 1.0:  # the dry chunk delayed by the model latency
                            y = c.dry_wet * y + (1.0 - c.dry_wet) * self._dry(k)
                        out_seq[slot] = -1
                        out_slots[slot] = y
                    out_seq[slot] = k  # publish after the samples
                except Exception as exc:  # a model that raises: its chunk is silence, the worker goes on
                    self.errors += 1
                    if not self.error:
                        self.error = f"{self.model.name}: {type(exc).__name__}: {exc}"
                        log.error("timbre model failed (its output is muted): %s", self.error)
                    slot = k % S
                    out_seq[slot] = -1
                    out_slots[slot] = 0.0
                    out_seq[slot] = k
                dt = perf() - t0
                self.compute_s += dt
                if dt > self.compute_max_s:
                    self.compute_max_s = dt
                self.chunks_done += 1
                w_end = clock()  # the bookkeeping above counts as the host's work
                self.compute_cpu_s += w_end - c0
                if self.freewheel:  # only a freewheeling process() waits for the worker: a hand-off back
                    self._wake.set()

    # -- audio thread ----------------------------------------------------------------------------
    def _wait_for(self, slot: int, chunk: int) -> None:
        """Freewheel only: wait until the worker has published ``chunk`` (or has stopped)."""
        while self._out_seq[slot] != chunk and self._thread is not None and self._thread.is_alive():
            self._wake.wait(0.01)
            self._wake.clear()

    def process(self, block: np.ndarray) -> np.ndarray:
        ch, n = block.shape
        if ch != self.channels or n > self.max_block:
            raise ConfigError(f"block {block.shape} does not fit prepare({self.channels} channels, "
                              f"max_block {self.max_block})")
        M, fill = self.chunk, self._fill
        # 1. input: straight into the input slot of the chunk being filled (n <= M, so at most one chunk
        # completes per call); a full chunk is handed to the worker
        k = min(M - fill, n)
        slot_in = self._in_views[self._submitted % self._n_in]
        if k == M:  # the usual case, a whole chunk per block: one copy
            slot_in[:] = block
        else:
            slot_in[:, fill : fill + k] = block[:, :k]
        fill += k
        if fill == M:
            seq = self._submitted
            self._submitted = seq + 1
            q = self._queue
            if q is not None:
                if not self.profile:
                    q.put_nowait(seq)
                else:  # profile: the CPU the hand-over costs this thread (waking the worker: a futex call)
                    t0 = time.thread_time()
                    q.put_nowait(seq)
                    self.audio_handoff_cpu_s += time.thread_time() - t0
            fill = n - k
            if fill:
                self._in_views[self._submitted % self._n_in][:, :fill] = block[:, k:]
        self._fill = fill
        # 2. output: stream samples [start, start + n) of the model output, D samples behind input
        start = self._pos - self.buffer_latency
        self._pos += n
        late = False
        if n == M and start >= 0 and start % M == 0:  # the usual case: exactly one published chunk
            chunk = start // M
            slot = chunk % self.n_slots
            if self.freewheel:
                self._wait_for(slot, chunk)
            if self._out_seq[slot] == chunk:
                out = self._out_views[slot].copy()
            else:
                late = True
                out = self._last.copy() if self.fallback == "last" else np.zeros((ch, n), np.float32)
        else:
            out = np.zeros((ch, n), np.float32)
            j = 0
            while j < n:
                s = start + j
                if s < 0:
                    j = min(n, j - s)
                    continue
                chunk, off = divmod(s, M)
                k = min(M - off, n - j)
                slot = chunk % self.n_slots
                if self.freewheel:
                    self._wait_for(slot, chunk)
                if self._out_seq[slot] == chunk:
                    out[:, j : j + k] = self._out_slots[slot, :, off : off + k]
                else:
                    late = True
                    if self.fallback == "last":
                        out[:, j : j + k] = self._last[:, :k]
                j += k
        self.blocks += 1
        if late:
            self.late_blocks += 1
        if self.fallback == "last":
            self._last[:, :n] = out
        return out

    # -- reporting --------------------------------------------------------------------------------
    def stats(self) -> dict:
        done = max(1, self.chunks_done)
        chunk_s = self.chunk / self.sample_rate if self.sample_rate else 0.0
        mean = self.compute_s / done
        model_cpu = sum(getattr(r, "runner", r).model_time for r in getattr(self, "_runners", ()))
        return {
            "blocks": self.blocks,
            "late_blocks": self.late_blocks,
            "chunk": self.chunk,
            "latency_samples": self.latency_samples,
            "latency_ms": 1000.0 * self.latency_samples / self.sample_rate if self.sample_rate else 0.0,
            "model_latency": self.model_latency,
            "buffer_latency": self.buffer_latency,
            "compute_mean_ms": 1000.0 * mean,
            "compute_max_ms": 1000.0 * self.compute_max_s,
            # worker CPU time per chunk: inside the model's methods, and the host's own work around them
            # (copies, channel matching, tensor wrapping, latent controls, dry/wet line, resampling)
            "model_cpu_ms": 1000.0 * model_cpu / done,
            "host_worker_cpu_ms": 1000.0 * (self.compute_cpu_s - model_cpu) / done,
            "handoff_cpu_ms": 1000.0 * self.handoff_cpu_s / done,  # the worker's wake-up per chunk
            # the audio thread's side of the hand-over per chunk (measured with profile=True)
            "audio_handoff_cpu_ms": 1000.0 * self.audio_handoff_cpu_s / done,
            "real_time_factor": (mean / chunk_s) if chunk_s else 0.0,
        }
