"""A complete `wave rave dataset` → `wave rave train` run (preprocess → train → export) on the CPU.

The smallest settings that still run every stage of acids-rave's pipeline: 9 soundfont notes
(3 keys × 3 velocities, 4 s each) cut into 45 examples of 32768 samples, the `raspberry` config
with an 8-dimensional latent (its 16-band STFT needs a window >= 32768 samples; RAVE's validation
PCA needs at least LATENT_SIZE latent frames: 1 validation example × 16 frames), 2 training steps
at batch 2 with a validation and checkpoint after each, then `rave export --streaming --channels 1`.
About 25 s on 2 cores. The tool venv (.tools/rave-venv) is built once by the setup script if missing,
as for test_timbre_rave.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from timbre_helpers import stream_through

from server.cli import main as wave_main
from server.errors import ConfigError, InputError
from server.timbre.model import NNModel
from server.timbre.transfer import transfer

pytestmark = pytest.mark.slow

STEPS = 2
N_SIGNAL = 32768
LATENT = 8
SR = 44100


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("rave-data")
    assert wave_main(["rave", "dataset", "--role", "keyboard", "-o", str(data), "--step", "24"]) == 0
    return data


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    from server.timbre.rave import ensure_rave_venv, train

    ensure_rave_venv()
    work = tmp_path_factory.mktemp("rave-work")
    events: list[tuple[str, int, int]] = []
    path = train("keyboard", data_dir, out_dir=work / "run", models_dir=work / "models", config="raspberry",
                 overrides=[f"LATENT_SIZE={LATENT}"], max_steps=STEPS, val_every=1, batch=2, gpu=-1, workers=0,
                 n_signal=N_SIGNAL, sr=SR, progress=lambda *e: events.append(e))
    return path, work, events


def test_dataset_is_audible_notes(data_dir):
    from server.audio.io import read_audio

    files = sorted(data_dir.glob("keyboard_*.wav"))
    assert [f.name for f in files[:3]] == ["keyboard_036_040.wav", "keyboard_036_080.wav", "keyboard_036_120.wav"]
    assert len(files) == 9  # keys 36, 60, 84 × velocities 40, 80, 120
    for f in files:
        x, sr = read_audio(f)
        assert sr == SR and x.shape == (1, 4 * SR)
        assert 1e-3 < np.abs(x).max() <= 1.0


def test_train_reports_every_stage_and_step(trained):
    path, work, events = trained
    stages = [e for e in events if e[0] != "train"]
    assert stages == [("preprocess", 0, 1), ("preprocess", 1, 1), ("export", 0, 1), ("export", 1, 1)]
    steps = [done for stage, done, total in events if stage == "train" and total == STEPS]
    assert steps == list(range(0, STEPS + 1))  # 0 at launch, then one report per step
    log = (work / "run" / "train.log").read_text()
    assert "wave-preflight examples=45 train=44 val=1" in log
    for stage in ("preprocess", "train", "export"):
        assert (work / "run" / f"{stage}.log").is_file()


def test_checkpoint_holds_the_trained_steps(trained):
    path, work, _ = trained
    ckpts = sorted((work / "run" / "runs").glob("keyboard_*/version_*/checkpoints/*.ckpt"))
    assert ckpts, "training wrote no checkpoint"
    ck = torch.load(ckpts[-1], map_location="cpu", weights_only=False)
    # Lightning's global_step: the run stopped at max_steps, one step per batch in RAVE's phase 1
    assert ck["global_step"] == STEPS
    assert (work / "run" / "runs" / ckpts[-1].parents[2].name / "config.gin").is_file()


def test_export_follows_the_nn_tilde_contract(trained):
    path, _, _ = trained
    assert path.name == "keyboard_streaming.ts" and path.stat().st_size > 0
    assert not list(path.parent.glob(".*"))  # no scratch files left beside the export
    m = NNModel.load(path)
    assert m.sr == SR and m.has_latent
    assert {"encode", "decode", "forward"} <= set(m.methods)
    enc, dec, fwd = m.methods["encode"], m.methods["decode"], m.methods["forward"]
    assert (enc.in_channels, enc.in_ratio, enc.out_ratio) == (1, 1, 2048)  # 16 PQMF bands × 4·4·4·2
    assert 1 <= enc.out_channels <= LATENT  # latent dims kept by the export's fidelity (PCA) cut
    assert (dec.in_channels, dec.in_ratio, dec.out_channels, dec.out_ratio) == (enc.out_channels, 2048, 1, 1)
    assert (fwd.in_channels, fwd.out_channels) == (1, 1)


def test_export_runs_offline_and_streaming(trained):
    path, _, _ = trained
    m = NNModel.load(path)
    t = np.arange(SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-3 * t))[None, :].astype(np.float32)
    off = transfer(x, SR, m, align=False)
    assert off.shape == x.shape and np.isfinite(off).all()

    s, st = stream_through(m, x, SR, 2048, tail=4096)
    D = st.buffer_latency
    assert D == 2048 and st.late_blocks == 0
    y = s[:, D : D + x.shape[1]]
    assert np.isfinite(y).all()
    rms = float(np.sqrt(np.mean(y**2)))
    assert rms > 1e-4, f"streaming output is silent (RMS {rms:.2e})"
    np.testing.assert_allclose(y, off, atol=1e-5, rtol=0)  # streaming = offline, delayed by D


def test_preflight_refuses_a_batch_larger_than_the_data(data_dir, tmp_path):
    from server.timbre.rave import train

    with pytest.raises(ConfigError, match=r"44 training example\(s\) but batch size 64.*--batch 44"):
        train("keyboard", data_dir, out_dir=tmp_path / "w", models_dir=tmp_path / "m", config="raspberry",
              overrides=[f"LATENT_SIZE={LATENT}"], max_steps=1, batch=64, gpu=-1, workers=0, n_signal=N_SIGNAL)
    assert not (tmp_path / "m").exists() or not list((tmp_path / "m").iterdir())


def test_wrapper_validates_its_arguments(data_dir, tmp_path):
    from server.timbre.rave import export_run, train

    with pytest.raises(InputError, match="does not exist"):
        train("keyboard", tmp_path / "nope")
    with pytest.raises(ConfigError, match="max_steps 0"):
        train("keyboard", data_dir, max_steps=0)
    with pytest.raises(ConfigError, match="n_signal 1000"):
        train("keyboard", data_dir, n_signal=1000)
    with pytest.raises(ConfigError, match="val_every 5 must be between 1 and max_steps 2"):
        train("keyboard", data_dir, max_steps=2, val_every=5)
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        train("keyboard", data_dir, overrides=["LATENT_SIZE"])
    with pytest.raises(InputError, match="no config.gin"):
        export_run(tmp_path, tmp_path / "out", "x")
