"""`wave scene --device`: the same checked flag as `wave make`/`wave sounds`, reaching the VLM/BLIP loader (and,
through WAVE_DEVICE, the detectors); the scene models' dtypes come from the registry."""

from __future__ import annotations

import json

import pytest

from server.make.cli import BUNDLED_PHOTO
from server.scene import vlm

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_scene_models import tiny_blip  # noqa: E402,F401  (a folder laid out like the published BLIP)

from tests.helpers.models import _clean  # noqa: E402,F401 (an autouse fixture)


def test_scene_models_take_the_registrys_dtype(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert vlm.auto_device_dtype("cuda:1", model="blip") == ("cuda:1", torch.bfloat16)
    assert vlm.auto_device_dtype("auto", model="qwen2.5-vl") == ("cuda", torch.bfloat16)  # auto = not given
    assert vlm.auto_device_dtype("mps", model="blip") == ("mps", torch.float16)  # Metal: half, not bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert vlm.auto_device_dtype("cuda", model="blip") == ("cuda", torch.float16)
    monkeypatch.setenv("WAVE_DEVICE", "cpu")  # what an exported --device cpu says to every later stage
    assert vlm.auto_device_dtype("auto", model="blip") == ("cpu", torch.float32)


def test_wave_scene_device_reaches_the_blip_loader(tiny_blip, tmp_path, _clean, capsys):  # noqa: F811
    """`wave scene PHOTO --backend blip --model DIR --device cpu` loads BLIP on the CPU in float32 (the
    process cache's key says so) and exports WAVE_DEVICE for the detectors."""
    import os

    from server.cli import main

    path, _net, _proc = tiny_blip
    out = tmp_path / "scene.json"
    rc = main(["scene", str(BUNDLED_PHOTO), "--backend", "blip", "--model", str(path), "--device", "CPU",
               "-o", str(out)])
    err = capsys.readouterr().err
    keys = [k for k in _clean.keys() if k.backend == "blip"]
    assert [(k.checkpoint, k.device, k.dtype) for k in keys] == [(str(path), "cpu", "float32")], err
    assert os.environ.get("WAVE_DEVICE") == "cpu"
    assert rc == 0 and "sound_sources" in json.loads(out.read_text())


def test_wave_scene_device_is_checked_before_any_work(monkeypatch, capsys, tmp_path):
    from server.cli import main

    with pytest.raises(SystemExit):
        main(["scene", str(BUNDLED_PHOTO), "--device", "gpu"])
    assert "use auto, cpu, cuda, cuda:N" in capsys.readouterr().err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["scene", str(BUNDLED_PHOTO), "--backend", "blip", "--device", "cuda", "-o",
                 str(tmp_path / "s.json")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no CUDA GPU" in err
    assert not (tmp_path / "s.json").exists()
