"""`wave models` on an empty cache and `wave models fetch --from` a local fake hub folder (no network)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from server.cli import main
from server.errors import ConfigError, InputError
from server.models import registry


def _fake_repo(root: Path, checkpoint: str, payload: bytes = b"\0" * 4096) -> Path:
    repo = root / checkpoint
    (repo / "unet").mkdir(parents=True)
    (repo / "model_index.json").write_text(json.dumps({"_class_name": "AudioLDM2Pipeline"}))
    (repo / "unet" / "config.json").write_text("{}")
    (repo / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(payload)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")  # a git clone's metadata is not copied
    return repo


def test_list_on_an_empty_cache(tmp_path, capsys):
    assert main(["models", "--cache-dir", str(tmp_path), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    for m in registry.MODELS:
        assert m.name in out and m.checkpoint in out
    assert out.count(" no ") >= len(registry.MODELS) and "not cached:" in out and str(tmp_path) in out
    assert main(["models", "--cache-dir", str(tmp_path), "--json", "--device", "cuda"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [m.name for m in registry.MODELS]
    assert all(not r["cached"] and r["size_bytes"] is None and r["device"] == "cuda" for r in rows)
    by = {r["name"]: r for r in rows}
    assert by["audioldm2"]["dtype"] == "float16" and by["qwen2.5-vl"]["dtype"] == "bfloat16"


def test_fetch_from_a_local_hub_mirror_lays_out_the_hub_cache(tmp_path, capsys):
    hub, cache = tmp_path / "hub", tmp_path / "cache"
    _fake_repo(hub, "cvssp/audioldm2")
    assert main(["models", "--cache-dir", str(cache), "fetch", "audioldm2", "--from", str(hub)]) == 0
    snap = registry.cached_snapshot("cvssp/audioldm2", cache)
    assert snap is not None and snap.parent.parent == cache / "models--cvssp--audioldm2"
    weights = snap / "unet" / "diffusion_pytorch_model.safetensors"
    assert weights.is_symlink() and weights.resolve().parent.name == "blobs" and weights.stat().st_size == 4096
    assert not (snap / ".git").exists()
    # huggingface_hub itself finds the file where from_pretrained would look, offline
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache("cvssp/audioldm2", "unet/config.json", cache_dir=str(cache))
    assert found is not None and Path(found).read_text() == "{}"
    capsys.readouterr()
    assert main(["models", "--cache-dir", str(cache), "--json", "--device", "cpu"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "audioldm2")
    assert row["cached"] and row["size_bytes"] == 4096 + len('{"_class_name": "AudioLDM2Pipeline"}') + 2
    # fetching again is idempotent; a changed mirror gives a new revision that refs/main follows
    registry.fetch("audioldm2", source=hub, cache_dir=cache)
    (hub / "cvssp/audioldm2/unet/diffusion_pytorch_model.safetensors").write_bytes(b"\1" * 10)
    snap2 = registry.fetch("cvssp/audioldm2", source=hub, cache_dir=cache)
    assert snap2 != snap and registry.cached_snapshot("cvssp/audioldm2", cache) == snap2
    assert not [p for p in (cache / "models--cvssp--audioldm2").rglob("*.partial")]


def test_fetch_refuses_clearly(tmp_path, capsys):
    with pytest.raises(ConfigError, match="unknown model 'audioldm3'; use one of: audioldm2"):
        registry.fetch("audioldm3", source=tmp_path)
    with pytest.raises(InputError, match="cvssp/audioldm2/"):
        registry.fetch("audioldm2", source=tmp_path, cache_dir=tmp_path / "c")
    (tmp_path / "cvssp" / "audioldm2").mkdir(parents=True)
    (tmp_path / "cvssp" / "audioldm2" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a model repository"):
        registry.fetch("audioldm2", source=tmp_path, cache_dir=tmp_path / "c")
    # the CLI refuses a bad name before fetching the good ones
    _fake_repo(tmp_path / "hub", "laion/clap-htsat-unfused")
    rc = main(["models", "--cache-dir", str(tmp_path / "c2"), "fetch", "clap-ranker", "nope", "--from",
               str(tmp_path / "hub")])
    assert rc == 1 and "unknown model 'nope'" in capsys.readouterr().err
    assert registry.cached_snapshot("laion/clap-htsat-unfused", tmp_path / "c2") is None


def test_hf_env_decides_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert registry.hub_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hc"))
    assert registry.hub_cache_dir() == tmp_path / "hc"
    assert os.fspath(registry.hub_cache_dir(tmp_path / "x")) == os.fspath(tmp_path / "x")


def test_download_skips_weights_loading_never_reads():
    files = ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.bin",
             "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
             "vae/diffusion_pytorch_model.bin", "text_encoder/model.safetensors", "text_encoder/flax_model.msgpack",
             "text_encoder/tf_model.h5", "tokenizer/vocab.json", "training_args.bin",
             "vocoder/model.fp16.safetensors", "vocoder/pytorch_model.bin"]
    ignore = registry.ignore_patterns(files)
    import fnmatch

    kept = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in ignore)]
    assert "unet/diffusion_pytorch_model.bin" not in kept  # its folder has safetensors
    assert "vae/diffusion_pytorch_model.bin" in kept  # the only weights of that folder
    assert "unet/diffusion_pytorch_model.safetensors" in kept and "text_encoder/model.safetensors" in kept
    assert not any(f.endswith((".msgpack", ".h5")) for f in kept)
    assert {"model_index.json", "unet/config.json", "tokenizer/vocab.json", "training_args.bin"} <= set(kept)
    # variants are not what from_pretrained reads without variant=: dropped where plain weights exist, and a
    # plain .bin is kept when the folder's only safetensors are a variant
    assert "unet/diffusion_pytorch_model.fp16.safetensors" not in kept
    assert "vocoder/pytorch_model.bin" in kept and "vocoder/model.fp16.safetensors" not in kept
