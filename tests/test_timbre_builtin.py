"""Builtin timbre models: export round trip, block-size invariance, pitch in cents, extremes, streaming."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from timbre_helpers import stream_through

from server.timbre.builtin import BUILTIN_DIR, PARTITION, ROLES, build_module, export_builtin, roundtrip_check
from server.timbre.model import NNModel
from server.timbre.transfer import LatentControls, transfer
from tests.helpers.analysis import peak_hz

SR = 48000


def noise_burst(seconds: float = 2.0, burst: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros((1, int(seconds * SR)), np.float32)
    n = int(burst * SR)
    x[0, 1000 : 1000 + n] = rng.standard_normal(n).astype(np.float32) * 0.3
    return x


def impact(seconds: float = 2.0) -> np.ndarray:
    """A knock: a 2 ms decaying click."""
    x = np.zeros((1, int(seconds * SR)), np.float32)
    t = np.arange(96) / SR
    x[0, 500:596] = (np.exp(-t / 0.0005) * 0.8).astype(np.float32)
    return x


def f0_fft(y: np.ndarray, expect: float) -> float:
    """Strongest spectral peak within a semitone of ``expect`` over the ringing second (8x zero-padding)."""
    seg = y[int(0.05 * SR) : int(1.05 * SR)].astype(np.float64)
    return peak_hz(seg, SR, expect * 2 ** (-1 / 12), expect * 2 ** (1 / 12), pad=8)


def f0_yin(y: np.ndarray, expect: float) -> float:
    """Independent estimate: librosa's YIN, median over the ringing part."""
    import librosa

    seg = y[int(0.05 * SR) : int(1.0 * SR)]
    f = librosa.yin(seg, fmin=expect / 1.5, fmax=expect * 1.5, sr=SR, frame_length=4096)
    return float(np.median(f))


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)


@pytest.fixture(scope="module")
def models() -> dict[str, NNModel]:
    return {role: NNModel.load(BUILTIN_DIR / f"{role}.ts") for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
def test_export_roundtrip_every_method(role, tmp_path):
    path = export_builtin(role, tmp_path / f"{role}.ts", check=False)
    module = build_module(role)
    worst = roundtrip_check(module, torch.jit.load(str(path)), atol=1e-6)
    assert worst <= 1e-6
    m = NNModel.load(path)
    assert set(m.methods) == {"encode", "decode", "forward"}
    assert all([i.in_channels, i.in_ratio, i.out_channels, i.out_ratio] == [1, 1, 1, 1] for i in m.methods.values())
    assert m.sr == SR and m.attributes == ["note", "decay"]
    assert path.stat().st_size < 100_000


@pytest.mark.parametrize("role", ROLES)
def test_committed_file_matches_script(role, models):
    """instruments/builtin/<role>.ts behaves exactly like the module the script builds now."""
    module = build_module(role)
    worst = roundtrip_check(module, models[role].fresh().module, atol=1e-6)
    assert worst <= 1e-6


@pytest.mark.parametrize("role", ROLES)
def test_block_size_invariance(role, models):
    x = noise_burst(0.5)
    ref = None
    for block in (1024, 333, 64, 2048, 4096):
        m = models[role].fresh()
        ys = [m.run("forward", torch.from_numpy(x[:, i : i + block]).unsqueeze(0))[0].numpy()
              for i in range(0, x.shape[1], block)]
        y = np.concatenate(ys, axis=1)
        if ref is None:
            ref = y
        np.testing.assert_array_equal(y, ref)
    assert np.abs(ref).max() > 1e-3


@pytest.mark.parametrize(
    ("role", "note"),
    [("keyboard", 60), ("keyboard", 72), ("keyboard", 45), ("bass", 40), ("bass", 33), ("guitar", 52), ("guitar", 64)],
)
@pytest.mark.parametrize("excite", ["noise", "impact"])
def test_pitch_within_10_cents(role, note, excite, models):
    m = models[role].fresh()
    m.set_attribute("note", float(note))
    x = noise_burst() if excite == "noise" else impact()
    y = transfer(x, SR, m)[0]
    expect = 440 * 2 ** ((note - 69) / 12)
    assert np.abs(y).max() > 1e-3
    assert abs(cents(f0_fft(y, expect), expect)) <= 10
    assert abs(cents(f0_yin(y, expect), expect)) <= 10


def test_output_is_resonant_not_dry(models):
    """The burst lasts 50 ms; the keyboard rings for a second (level in dB 0.5 s after the burst)."""
    y = transfer(noise_burst(), SR, models["keyboard"].fresh())[0]
    early = 20 * np.log10(np.sqrt(np.mean(y[1000:3400] ** 2)))
    late = 20 * np.log10(np.sqrt(np.mean(y[24000:26400] ** 2)) + 1e-12)
    assert late > early - 30  # still ringing, within 30 dB
    dry = transfer(noise_burst(), SR, models["keyboard"].fresh(), controls=LatentControls(dry_wet=0.0))[0]
    assert np.sqrt(np.mean(dry[24000:26400] ** 2)) < 1e-6


@pytest.mark.parametrize("role", ROLES)
def test_finite_at_extreme_settings(role, models):
    x = noise_burst(0.3)
    for note, decay, ctl in [
        (0.0, 100.0, LatentControls(bias=(1e3,), scale=(1e3,), temperature=100.0)),
        (127.0, 0.001, LatentControls(bias=(-1e3,), scale=(0.0,), temperature=0.0)),
        (60.0, 1.0, LatentControls(scale=(1e6,), temperature=1e3)),
    ]:
        m = models[role].fresh()
        m.set_attribute("note", note)
        m.set_attribute("decay", decay)
        y = transfer(x, SR, m, controls=ctl)
        assert np.isfinite(y).all() and np.abs(y).max() <= 1.0 + 1e-6


@pytest.mark.parametrize("role", ROLES)
def test_streaming_equals_offline(role, models):
    """Freewheel streaming = offline transfer delayed by the buffering latency, exactly."""
    x = noise_burst(1.0)
    m = models[role]
    off = transfer(x, SR, m, align=False)
    s, st = stream_through(m, x, SR, 512)
    D = st.buffer_latency
    assert D == 512 and st.model_latency in (PARTITION, PARTITION + 1)  # drums pass the dry transient
    assert st.latency_samples == D + st.model_latency
    np.testing.assert_allclose(s[:, D : D + x.shape[1]], off, atol=1e-6, rtol=0)
    assert np.abs(s[:, :D]).max() == 0.0
    assert st.late_blocks == 0
