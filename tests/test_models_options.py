"""--device and the checkpoint options: parsed and checked in one place, carried by the environment into every
stage and child process, and reaching the backend that loads the model (on the CPU here)."""

from __future__ import annotations

import pytest

from server.errors import ConfigError, InputError
from server.models.options import (
    ModelOptions,
    check_device,
    current_options,
    options_from_args,
    resolve_device,
)
from server.models.registry import dtype_on

torch = pytest.importorskip("torch")

from tests.helpers import models as _models  # noqa: E402

_clean, published_audioldm, published_clap = _models._clean, _models.published_audioldm, _models.published_clap


@pytest.mark.parametrize("text,want", [("auto", "auto"), ("CPU", "cpu"), ("cuda", "cuda"), ("cuda:3", "cuda:3"),
                                       ("mps", "mps"), (None, "auto")])
def test_device_names(text, want):
    assert check_device(text) == want


@pytest.mark.parametrize("text", ["gpu", "cuda:x", "tpu", "", "cuda:"])
def test_bad_device_names_say_what_works(text):
    with pytest.raises(ConfigError, match="use auto, cpu, cuda, cuda:N"):
        check_device(text)


def test_auto_picks_cuda_when_present_else_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu" and resolve_device(None) == "cpu"
    with pytest.raises(ConfigError, match="no CUDA GPU is available here; use --device cpu"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="Metal"):
        resolve_device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ConfigError, match="2 CUDA GPU"):
        resolve_device("cuda:2")
    monkeypatch.setenv("WAVE_DEVICE", "cpu")  # what an exported --device cpu says to every later stage
    assert resolve_device("auto") == "cpu"


@pytest.mark.parametrize("model,device,dtype", [
    ("audioldm2", "cuda", "float16"), ("audioldm", "cuda:1", "float16"), ("qwen2.5-vl", "cuda", "bfloat16"),
    ("blip", "cuda", "bfloat16"), ("clip", "cuda", "float32"), ("clap-ranker", "cuda", "float32"),
    ("qwen2.5-vl", "mps", "float16"), ("clip", "mps", "float32"), ("audioldm2", "cpu", "float32"),
    ("cvssp/audioldm2", "cuda", "float16"), ("some/unknown", "cuda", "float32")])
def test_gpu_dtype_per_backend_from_the_registry(model, device, dtype):
    assert dtype_on(model, device) == dtype


def test_options_travel_through_the_environment():
    opts = ModelOptions(device="cpu", sound_model="/m/audioldm", clap_model="/m/clap", v2a_mapper="/m/map.pt")
    env = opts.to_env()
    assert env == {"WAVE_DEVICE": "cpu", "WAVE_SOUND_MODEL": "/m/audioldm", "WAVE_CLAP_MODEL": "/m/clap",
                   "WAVE_V2A_MAPPER": "/m/map.pt"}
    assert ModelOptions.from_env(env) == opts
    assert ModelOptions().to_env() == {}  # auto and defaults leave the environment alone
    with pytest.raises(ConfigError, match="WAVE_DEVICE='gpu'"):
        ModelOptions.from_env({"WAVE_DEVICE": "gpu"})
    with pytest.raises(ConfigError, match="unknown model option.*colour"):
        ModelOptions.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="sound-model is empty"):
        ModelOptions(sound_model=" ")
    # flags given on a command line win over the environment's, the rest are kept
    base = ModelOptions.from_env(env)
    assert ModelOptions(device="auto", clap_model="/x").over(base) == ModelOptions(
        device="cpu", sound_model="/m/audioldm", clap_model="/x", v2a_mapper="/m/map.pt")


def test_make_flags_reach_the_sounds_backend(tmp_path, monkeypatch):
    """`wave make --device cpu --sound-model DIR --clap-model DIR2` exports the options; the sounds stage's
    generator (built inside make's render_sounds, which is given no options) loads exactly those."""
    import argparse

    from server.make.cli import prepare_models, register
    from server.sounds.generate import build_generator

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["make", "--device", "cpu", "--sound-model", str(tmp_path / "ldm"), "--clap-model",
                              str(tmp_path / "clap"), "--scene-backend", "builtin"])
    assert args.scene_backend == "builtin"
    prepare_models("audioldm", options_from_args(args))
    assert current_options() == ModelOptions(device="cpu", sound_model=str(tmp_path / "ldm"),
                                             clap_model=str(tmp_path / "clap"))
    gen = build_generator("audioldm")
    assert (gen.model_id, gen.device, gen._ranker_arg) == (str(tmp_path / "ldm"), "cpu", str(tmp_path / "clap"))
    with pytest.raises(SystemExit):
        parser.parse_args(["make", "--device", "gpu"])


def test_a_gpu_asked_for_on_a_machine_without_one_is_one_line(monkeypatch, capsys, tmp_path):
    from server.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["make", "--device", "cuda", "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no CUDA GPU" in err and "--device cpu" in err
    assert not (tmp_path / "o").exists()
    assert main(["make", "--sound-backend", "v2a", "-o", str(tmp_path / "o")]) == 1
    assert "needs a trained mapper: --v2a-mapper" in capsys.readouterr().err
    with pytest.raises(InputError, match="no such V2A mapper file"):
        ModelOptions(v2a_mapper=str(tmp_path / "nope.pt")).mapper_path()


@pytest.mark.slow
def test_wave_sounds_options_reach_the_pipeline(published_audioldm, published_clap, tmp_path, capsys, _clean):
    import json

    from server.cli import main
    from server.scene import SceneSpec

    scene = tmp_path / "scene.json"
    SceneSpec.from_data({"scene_description": "a farm", "mood_description": "calm", "sound_sources": [
        {"name": "cow", "material": "animal",
         "variants": [{"play_method": "mooing", "timbre": ["low"], "mapping_to_music_instrument": "bass"}]}]}
    ).save(scene)
    out = tmp_path / "snd"
    rc = main(["sounds", str(scene), "-o", str(out), "--backend", "audioldm", "--sound-model", str(published_audioldm),
               "--clap-model", str(published_clap), "--device", "cpu", "--steps", "2", "--candidates", "2",
               "--seconds", "0.2", "--sample-rate", "16000"])
    assert rc == 0, capsys.readouterr().err
    m = json.loads((out / "manifest.json").read_text())
    assert m["model"]["id"] == str(published_audioldm) and m["model"]["clap"] == str(published_clap)
    assert (m["model"]["device"], m["model"]["dtype"]) == ("cpu", "float32")
    keys = {k.backend: k for k in _clean.keys()}
    assert keys["audioldm"].checkpoint == str(published_audioldm) and keys["clap-ranker"].checkpoint == str(published_clap)
    assert {k.device for k in keys.values()} == {"cpu"}
    assert None not in [c["clap_score"] for c in m["sources"][0]["candidates"]]

