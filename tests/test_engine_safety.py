"""The safety stage on its own: its DC blocker's response measured with sines, and its cost at import."""

import subprocess
import sys

import numpy as np
import pytest

from server.engine.safety import CEILING, SafetyStage

SR = 48000


def _gain_db(stage: SafetyStage, hz: float, seconds: float = 4.0) -> float:
    t = np.arange(int(seconds * SR)) / SR
    x = (0.25 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    block = np.stack([x, x])
    out = np.concatenate([stage.process(block[:, i:i + 512].copy()) for i in range(0, block.shape[1], 512)], axis=1)
    half = out.shape[1] // 2  # after the filter settled
    return 20 * np.log10(np.sqrt(np.mean(out[0, half:] ** 2)) / np.sqrt(np.mean(x[half:] ** 2)))


@pytest.mark.parametrize("hz,expect_db,tol", [(5.0, -3.0, 0.4), (20.0, -0.26, 0.15), (1000.0, 0.0, 0.02)])
def test_dc_blocker_is_a_first_order_high_pass_at_5_hz(hz, expect_db, tol):
    stage = SafetyStage()
    stage.prepare(SR, 512)
    assert abs(_gain_db(stage, hz) - expect_db) < tol


def test_a_dc_offset_decays_and_the_ceiling_holds():
    stage = SafetyStage()
    stage.prepare(SR, 512)
    block = np.full((2, 512), 0.5, np.float32)
    outs = [stage.process(block.copy()) for _ in range(int(0.5 * SR / 512))]
    assert abs(outs[-1]).max() < 0.01  # pulled back to zero within half a second
    loud = stage.process(np.full((2, 512), 4.0, np.float32))
    assert abs(loud).max() <= CEILING + 1e-6


def test_preparing_the_stage_does_not_import_scipy_signal():
    """scipy.signal costs a render ~1 s of CPU and 70 MiB to import; the last stage of every graph needs none."""
    code = ("import sys; from server.engine.safety import SafetyStage; s = SafetyStage(); s.prepare(48000, 512); "
            "import numpy as np; s.process(np.zeros((2, 512), np.float32)); print('scipy.signal' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_live_master_limiter_is_transparent_below_its_threshold_as_in_wave_render():
    """One master live, in a bounce and in ``wave render``: a -26 dBFS tone leaves the live engine's default
    limiter at -26 dBFS (JUCE's Limiter, the old live default, raised it by +4.75 dB)."""
    from server.live.effects import EffectChain
    from server.live.engine import Engine, Snapshot

    eng = Engine(Snapshot(strips=(), master_fx=EffectChain()), sample_rate=SR, block=512)
    t = np.arange(SR) / SR
    x = (10 ** (-26 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    block = np.stack([x, x])
    y = np.concatenate([eng._limiter.process(block[:, i:i + 512].copy(), SR, reset=False)
                        for i in range(0, SR, 512)], axis=1)
    level = 20 * np.log10(np.sqrt(np.mean(y[0, SR // 2:] ** 2)))
    assert abs(level - (-26.0)) < 0.05, level
