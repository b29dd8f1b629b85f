"""The live resampler (soxr's stream) and the runner that drives a model at its own rate: pitch in cents,
level in dB, the reported latency against the measured one, any block size giving the same signal,
anti-aliasing, and no scipy on the live path.

The model is a real nn~ TorchScript export (nn_tilde) that returns its input, at the rate under test, so
what comes out is the two resamplers and the runner's FIFOs alone."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from server.timbre.model import NNModel
from server.timbre.resample import ResamplingRunner, StreamResampler
from server.timbre.transfer import ModelRunner

PAIRS = [(48000, 44100), (48000, 16000), (44100, 48000)]  # (stream rate, model rate)


def _identity_model(tmp_path, sr: int, ratio: int = 1) -> NNModel:
    import nn_tilde

    class Identity(nn_tilde.Module):
        def __init__(self) -> None:
            super().__init__(sr=sr)
            self.register_method("forward", 1, ratio, 1, ratio, test_method=False)

        @torch.jit.export
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    path = tmp_path / f"identity_{sr}_{ratio}.ts"
    torch.jit.script(Identity()).save(str(path))
    return NNModel.load(path)


def _run(runner: ResamplingRunner, x: np.ndarray) -> np.ndarray:
    C = runner.chunk
    n = x.shape[1] - x.shape[1] % C
    return np.concatenate([runner.run_block(x[:, i : i + C]) for i in range(0, n, C)], axis=1)


def _sine(f: float, sr: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * f * t)).astype(np.float32)[None, :]


def _freq(y: np.ndarray, sr: int) -> float:
    """Frequency of the strongest partial: zero-padded FFT peak, refined by a parabola (≪ 1 cent)."""
    seg = y.astype(np.float64) * np.hanning(len(y))
    spec = np.abs(np.fft.rfft(seg, 16 * len(seg)))
    k = int(np.argmax(spec))
    a, b, c = np.log(spec[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / (16 * len(seg))


def _db(a: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.asarray(a, np.float64) ** 2))


@pytest.mark.parametrize("sr,msr", PAIRS)
def test_a_sine_keeps_its_pitch_level_and_the_reported_latency(tmp_path, sr, msr):
    runner = ResamplingRunner(ModelRunner(_identity_model(tmp_path, msr)), sr, 512)
    D = runner.latency_samples
    assert isinstance(D, int) and D > 0
    x = _sine(440.0, sr, 1.5)
    y = _run(runner, x)[0]
    n = len(y) - D
    steady = slice(sr // 4, n)  # past the filters' start-up transient
    assert abs(1200 * np.log2(_freq(y[D:][steady], sr) / 440.0)) < 0.5
    assert abs(_db(y[D:][steady]) - _db(x[0, steady])) < 0.05
    # on the reported latency the output nulls against the input: a one-sample error would leave -31 dB
    null = _db(y[D:][steady] - x[0, steady]) - _db(x[0, steady])
    assert null < -60, f"null {null:.1f} dB at the reported latency {D}"
    for off in (-1, 1):
        assert _db(y[D + off :][sr // 4 : n - 1] - x[0, sr // 4 : n - 1]) > -40
    # cross-correlation of a band-limited noise burst peaks on the reported latency
    rng = np.random.default_rng(1)
    burst = np.zeros((1, sr), np.float32)
    noise = np.cumsum(rng.standard_normal(sr // 4)) * 0.01  # brown noise: below every Nyquist here
    burst[0, 1000 : 1000 + sr // 4] = (noise - noise.mean()) * np.hanning(sr // 4)
    runner.reset()
    yb = _run(runner, burst)[0]
    n_fft = 2 * len(yb)
    xc = np.fft.irfft(np.fft.rfft(yb, n_fft) * np.conj(np.fft.rfft(burst[0, : len(yb)], n_fft)), n_fft)
    assert abs(int(np.argmax(xc[: len(yb)])) - D) <= 1  # the lag at which the output matches the input
    assert runner.underruns == 0


@pytest.mark.parametrize("sr,msr", PAIRS)
def test_blocks_of_any_size_give_the_same_signal(tmp_path, sr, msr):
    model = _identity_model(tmp_path, msr)
    rng = np.random.default_rng(2)
    x = np.zeros((1, sr), np.float32)
    x[:, : sr // 4] = np.cumsum(rng.standard_normal((1, sr // 4)), axis=1) * 0.01
    outs = {}
    for chunk in (1, 333, 1024, 8192):
        runner = ResamplingRunner(ModelRunner(model), sr, chunk)
        y = _run(runner, x[:, : sr // 4] if chunk == 1 else x)  # one sample per call: the noise only
        outs[chunk] = y[:, runner.latency_samples :]
    n = min(y.shape[1] for y in outs.values())
    assert n > sr // 10
    for chunk in (1, 333, 1024):
        np.testing.assert_allclose(outs[chunk][:, :n], outs[8192][:, :n], atol=1e-6, rtol=0)


def test_the_stream_resampler_is_time_aligned_whatever_the_blocks():
    sr, msr = 48000, 16000
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, sr // 2)) * 0.2).astype(np.float32)
    whole = StreamResampler(sr, msr, 2).process(x)
    for size in (1, 333, 1024):
        r = StreamResampler(sr, msr, 2)
        y = np.concatenate([r.process(x[:, i : i + size]) for i in range(0, x.shape[1], size)], axis=1)
        n = min(y.shape[1], whole.shape[1])
        assert n > msr // 3
        np.testing.assert_allclose(y[:, :n], whole[:, :n], atol=1e-6, rtol=0)
    # an impulse comes out on its own time at the new rate (soxr removes its filter's delay)
    r = StreamResampler(sr, msr, 1)
    imp = np.zeros((1, sr), np.float32)
    imp[0, 3000] = 1.0
    y = r.process(imp)[0]
    assert int(np.argmax(np.abs(y))) == 1000


def test_content_above_the_models_nyquist_is_filtered_out(tmp_path):
    """11 kHz into a 16 kHz model would alias to 5 kHz: the anti-alias filter keeps it 100 dB down."""
    sr = 48000
    runner = ResamplingRunner(ModelRunner(_identity_model(tmp_path, 16000)), sr, 512)
    x = _sine(11000.0, sr, 1.0)
    y = _run(runner, x)[0][runner.latency_samples + sr // 4 :]
    assert _db(y) - _db(x) < -100
    # and a tone inside the pass band comes through flat
    runner.reset()
    x = _sine(6000.0, sr, 1.0)
    y = _run(runner, x)[0][runner.latency_samples + sr // 4 :]
    assert abs(_db(y) - _db(x[0, sr // 4 :])) < 0.1


def test_model_block_multiple_and_stereo(tmp_path):
    """A model that takes blocks of 512 samples at 44.1 kHz under a 48 kHz stereo stream (one runner per
    channel, as the streaming processor groups them): every block is a multiple, latency as reported."""
    sr, msr = 48000, 44100
    model = _identity_model(tmp_path, msr, ratio=512)
    runner = ResamplingRunner(ModelRunner(model), sr, 1024)
    assert runner.mblock % 512 == 0
    D = runner.latency_samples
    x = _sine(1000.0, sr, 1.0)
    y = _run(runner, x)[0]
    steady = slice(sr // 4, len(y) - D)
    assert _db(y[D:][steady] - x[0, steady]) - _db(x[0, steady]) < -60


def test_reset_gives_a_clean_state(tmp_path):
    sr = 48000
    runner = ResamplingRunner(ModelRunner(_identity_model(tmp_path, 16000)), sr, 256)
    x = _sine(300.0, sr, 0.3)
    a = _run(runner, x)
    runner.reset()
    b = _run(runner, x)
    np.testing.assert_array_equal(a, b)


def test_the_live_path_imports_no_scipy():
    code = ("import sys, numpy as np\n"
            "from server.timbre.resample import StreamResampler\n"
            "r = StreamResampler(48000, 44100, 2)\n"
            "r.process(np.zeros((2, 4096), np.float32))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("sr,msr", [(48000, 16000), (44100, 48000)])
def test_the_streaming_processor_reports_the_resampled_latency_exactly(tmp_path, sr, msr):
    """Through :class:`StreamingTimbre` (buffering + runner + a model of latency 0): the output nulls
    against the input on ``latency_samples``, host blocks smaller than the chunk included."""
    from server.timbre.stream import StreamingTimbre

    st = StreamingTimbre(_identity_model(tmp_path, msr), freewheel=True)
    st.prepare(sr, 256, 1)
    assert st.resampling and st.model_latency == st._runners[0].latency_samples
    x = _sine(523.25, sr, 1.0)
    outs = [st.process(x[:, i : i + 200]) for i in range(0, x.shape[1] - 200, 200)]
    st.close()
    y = np.concatenate(outs, axis=1)[0]
    L = st.latency_samples
    steady = slice(sr // 4, len(y) - L)
    assert _db(y[L:][steady] - x[0, steady]) - _db(x[0, steady]) < -60


@pytest.mark.parametrize("sr,msr,chunk", [(48000, 16000, 333), (44100, 48000, 64), (48000, 44100, 1000)])
def test_the_fifo_never_runs_dry_over_a_minute(tmp_path, sr, msr, chunk):
    """The prefill bound holds over a minute of odd chunk sizes (the phases of chunk, model block and
    soxr's internal blocks all come round), so the latency stays the one reported."""
    runner = ResamplingRunner(ModelRunner(_identity_model(tmp_path, msr)), sr, chunk)
    x = np.zeros((1, chunk), np.float32)
    low = runner.latency_samples
    for _ in range(60 * sr // chunk):
        runner.run_block(x)
        low = min(low, len(runner.q_out))
    assert runner.underruns == 0 and low >= 0
