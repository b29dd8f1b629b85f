"""Streaming processor: never blocks the audio thread, counts late blocks, control swaps, Processor contract."""

from __future__ import annotations

import time

import numpy as np

from server.engine.processor import Processor
from server.timbre.builtin import BUILTIN_DIR
from server.timbre.model import NNModel
from server.timbre.stream import StreamingTimbre
from server.timbre.transfer import transfer
from tests.helpers.offline import render_offline

SR = 48000


def _burst(seconds=1.0):
    x = np.zeros((2, int(seconds * SR)), np.float32)
    x[:, 500:3000] = np.random.default_rng(3).standard_normal((2, 2500)) * 0.3
    return x


def test_is_a_processor_and_renders_offline_stereo():
    st = StreamingTimbre("builtin:guitar", freewheel=True)
    assert isinstance(st, Processor)
    x = _burst()
    y = render_offline(st, x.shape[1], sample_rate=SR, channels=2, block=1024, source=x)
    st.close()
    ref = transfer(x, SR, NNModel.load(BUILTIN_DIR / "guitar.ts"), align=False)
    D = st.buffer_latency
    np.testing.assert_allclose(y[:, D:], ref[:, : x.shape[1] - D], atol=1e-6, rtol=0)


def test_slow_model_never_blocks_and_counts_late_blocks(monkeypatch):
    """A model 3x slower than real time: process() still returns at once, with silence, counted."""
    st = StreamingTimbre("builtin:keyboard", fallback="silence")
    st.prepare(SR, 1024, 1)
    block_s = 1024 / SR
    for r in st._runners:  # every model call, whichever path the worker takes, sleeps first
        orig, orig_bound = r._call, r.bound_method

        def slow(method, x, _orig=orig):
            time.sleep(3 * block_s)
            return _orig(method, x)

        def slow_bound(controls, _orig=orig_bound):
            fn = _orig(controls)

            def call(x):
                time.sleep(3 * block_s)
                return fn(x)

            return None if fn is None else call

        r._call, r.bound_method = slow, slow_bound
    worst = 0.0
    outs = []
    x = _burst(0.5)[:1]
    for i in range(0, x.shape[1] - 1024, 1024):
        t0 = time.perf_counter()
        outs.append(st.process(x[:, i : i + 1024]))
        worst = max(worst, time.perf_counter() - t0)
        time.sleep(block_s)
    st.close()
    assert worst < 0.005  # 5 ms, while the model takes 64 ms per block
    assert st.late_blocks >= len(outs) // 2
    assert all(np.isfinite(o).all() for o in outs)


def test_real_time_pacing_has_no_late_blocks_and_reports_latency():
    st = StreamingTimbre("builtin:bass")
    st.prepare(SR, 2048, 1)
    x = _burst(0.6)[:1]
    outs = []
    for i in range(0, x.shape[1] - 2048, 2048):
        outs.append(st.process(x[:, i : i + 2048]))
        time.sleep(2048 / SR)
    stats = st.stats()
    st.close()
    assert stats["late_blocks"] == 0
    assert stats["latency_samples"] == 2048 + st.model_latency
    assert 40 < stats["latency_ms"] < 55
    assert stats["real_time_factor"] < 0.5
    y = np.concatenate(outs, axis=1)[0]
    onset = int(np.argmax(np.abs(y) > 1e-4))
    assert abs(onset - (500 + stats["latency_samples"])) <= 2  # first non-zero sample = latency


def test_dry_wet_swap_from_control_thread():
    st = StreamingTimbre("builtin:keyboard", freewheel=True)
    st.prepare(SR, 512, 1)
    st.set_controls(dry_wet=0.0)
    x = _burst(0.3)[:1]
    outs = [st.process(x[:, i : i + 512]) for i in range(0, x.shape[1] - 512, 512)]
    st.close()
    y = np.concatenate(outs, axis=1)
    lat = st.latency_samples
    # fully dry: the input, delayed by the reported latency
    np.testing.assert_allclose(y[:, lat:], x[:, : y.shape[1] - lat], atol=1e-6)


def test_note_change_from_control_thread_retunes():
    """set_attribute('note') while streaming: the worker applies it; the new pitch is within 10 cents."""
    st = StreamingTimbre("builtin:keyboard", freewheel=True)
    st.prepare(SR, 2048, 1)
    st.set_attribute("note", 69.0)
    x = np.zeros((1, SR), np.float32)
    x[0, 100:2500] = np.random.default_rng(5).standard_normal(2400) * 0.3
    outs = [st.process(x[:, i : i + 2048]) for i in range(0, x.shape[1] - 2048, 2048)]
    st.reset()  # fresh model copies keep the note
    outs = [st.process(x[:, i : i + 2048]) for i in range(0, x.shape[1] - 2048, 2048)]
    st.close()
    y = np.concatenate(outs, axis=1)[0, st.latency_samples :]
    seg = y[2400:40000].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    freqs = np.fft.rfftfreq(8 * len(seg), 1 / SR)
    band = (freqs > 420) & (freqs < 460)
    f = freqs[band][np.argmax(spec[band])]
    assert abs(1200 * np.log2(f / 440.0)) < 10


def test_stream_at_another_rate_resamples():
    """A 44.1 kHz stream drives the 48 kHz builtin bass: the note stays in tune (cents), latency reported."""
    sr = 44100
    st = StreamingTimbre("builtin:bass")
    st.freewheel = True
    st.prepare(sr, 1024, 1)
    assert st.resampling
    x = np.zeros((1, sr), np.float32)
    x[0, 300:2500] = np.random.default_rng(7).standard_normal(2200) * 0.3
    outs = [st.process(x[:, i : i + 1024]) for i in range(0, x.shape[1] - 1024, 1024)]
    st.close()
    y = np.concatenate(outs, axis=1)[0]
    onset = int(np.argmax(np.abs(y) > 1e-4))
    assert abs(onset - (300 + st.latency_samples)) <= 3  # first non-zero sample = reported latency
    seg = y[st.latency_samples + 3000 : st.latency_samples + 35000].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    freqs = np.fft.rfftfreq(8 * len(seg), 1 / sr)
    band = (freqs > 75) & (freqs < 90)
    f = freqs[band][np.argmax(spec[band])]
    assert abs(1200 * np.log2(f / 82.4069)) < 10  # E2, the bass model's default note
    assert st.late_blocks == 0


def test_dry_line_longer_than_a_chunk_and_cpu_accounting():
    # 128-sample chunks, model latency 257 samples: the dry delay line spans three chunks
    st = StreamingTimbre("builtin:bass", freewheel=True, profile=True)
    st.prepare(SR, 128, 1)
    assert st.model_latency > 2 * st.chunk
    st.set_controls(dry_wet=0.0)
    x = _burst(0.2)[:1]
    outs = [st.process(x[:, i : i + 128]) for i in range(0, x.shape[1] - 128, 128)]
    s = st.stats()
    st.close()
    y = np.concatenate(outs, axis=1)
    lat = st.latency_samples
    np.testing.assert_allclose(y[:, lat:], x[:, : y.shape[1] - lat], atol=1e-6)
    # the worker splits its CPU time into the model's own calls and the host's work around them
    assert s["model_cpu_ms"] > 0 and s["host_worker_cpu_ms"] >= 0
    assert s["handoff_cpu_ms"] >= 0 and s["audio_handoff_cpu_ms"] >= 0
    assert s["model_cpu_ms"] + s["host_worker_cpu_ms"] <= s["compute_mean_ms"] * 1.5 + 1.0


def test_blocks_of_any_size_up_to_max_block_equal_the_offline_transfer():
    """Hosts may call with fewer frames than max_block (a partial JACK period, the end of a file): chunks fill
    across calls and the output is still the offline transfer delayed by the buffering, sample for sample."""
    model = NNModel.load(BUILTIN_DIR / "keyboard.ts")
    x = _burst(0.6)[:1]
    st = StreamingTimbre(model, freewheel=True)
    st.prepare(SR, 1000, 1)
    assert st.chunk == 1000 and st.buffer_latency == 1000
    sizes = [1000, 1, 999, 300, 700, 517, 483, 1000, 64, 936]
    outs, pos, i = [], 0, 0
    while pos < x.shape[1]:
        n = min(sizes[i % len(sizes)], x.shape[1] - pos)
        outs.append(st.process(x[:, pos : pos + n]))
        pos, i = pos + n, i + 1
    st.close()
    y = np.concatenate(outs, axis=1)
    ref = transfer(x, SR, model.fresh(), align=False)
    D = st.buffer_latency
    assert np.abs(y[:, :D]).max() == 0.0
    full = (x.shape[1] // 1000) * 1000 - D  # output samples whose chunk was complete before the file ended
    np.testing.assert_allclose(y[:, D : D + full], ref[:, :full], atol=1e-6, rtol=0)
