"""A tiny random-weight RAVE model built with acids-rave (its own venv), exported with
`rave export --streaming --channels 1`, cached under .tools/cache/: loads, runs offline and streaming.

Streaming (freewheel) output equals the offline output delayed by the buffering latency to 1e-5
(same torch RNG seed: RAVE's decoder adds noise).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from timbre_helpers import stream_through

from server.paths import REPO_ROOT
from server.timbre.model import NNModel
from server.timbre.transfer import LatentControls, measure_latency, transfer

pytestmark = pytest.mark.slow

CACHE = REPO_ROOT / ".tools" / "cache"


@pytest.fixture(scope="module")
def rave_model() -> NNModel:
    from server.timbre.rave import build_random_model

    path = build_random_model(CACHE / "rave-raspberry-random-seed0.ts", config="raspberry", seed=0)
    return NNModel.load(path)


def _sound(sr: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-t * 3)
    return x[None, :].astype(np.float32)


def test_contract(rave_model):
    m = rave_model
    assert m.sr == 44100 and m.has_latent
    assert {"encode", "decode", "forward"} <= set(m.methods)
    enc = m.methods["encode"]
    assert enc.in_channels == 1 and enc.out_ratio == 2048 and m.latent_dim >= 1
    assert m.block_multiple("latent") == 2048


def test_offline_runs_and_aligns(rave_model):
    x = _sound(rave_model.sr)
    y = transfer(x, rave_model.sr, rave_model)
    assert y.shape == x.shape and np.isfinite(y).all() and np.abs(y).max() > 0
    y2 = transfer(x, 48000, rave_model)  # file rate differs: resampled both ways
    assert y2.shape == x.shape and np.isfinite(y2).all()


def test_streaming_equals_offline(rave_model):
    sr = rave_model.sr
    x = _sound(sr)
    off = transfer(x, sr, rave_model, align=False)
    s, st = stream_through(rave_model, x, sr, 2048, tail=4096)
    D = st.buffer_latency
    assert D == 2048 and st.late_blocks == 0
    np.testing.assert_allclose(s[:, D : D + x.shape[1]], off, atol=1e-5, rtol=0)
    assert st.model_latency == measure_latency(rave_model, block=2048)


def test_latent_controls_change_output_and_stay_finite(rave_model):
    sr = rave_model.sr
    x = _sound(sr, 0.5)
    base = transfer(x, sr, rave_model)
    moved = transfer(x, sr, rave_model, controls=LatentControls(bias=(2.0,)))
    assert np.abs(moved - base).max() > 1e-4
    for ctl in (LatentControls(bias=(1e3,), scale=(1e3,), temperature=10.0), LatentControls(scale=(0.0,))):
        y = transfer(x, sr, rave_model, controls=ctl)
        assert np.isfinite(y).all()
    torch.manual_seed(0)
