"""The v2a sounds backend end to end: `wave sounds scene.json --backend v2a` and `wave make --sound-backend v2a`
load CLIP, the mapper, AudioLDM and CLAP from folders laid out like the published checkpoints (random weights,
no hub) through the model cache, once per process, and hear each source from its own box of the picture."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from test_sounds_diffusion import _roberta_tokenizer, published_audioldm  # noqa: E402,F401

from server.cli import main  # noqa: E402
from server.models import cache as cache_mod  # noqa: E402
from server.models.cache import ModelCache  # noqa: E402
from server.models.options import ModelOptions  # noqa: E402
from server.scene import SceneSpec  # noqa: E402
from server.sounds import v2a  # noqa: E402
from server.sounds.generate import render_sounds  # noqa: E402
from tests.helpers.threads import one_torch_thread as _one_torch_thread  # noqa: E402,F401 (autouse fixture)

CONFIGS = Path(__file__).parent / "data" / "model_configs"
CLAP_DIM = 32  # the published AudioLDM's CLAP text projection (shrunk) = the space the mapper maps into


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    """Each test counts loads in its own process-wide cache; no model options leak in from the environment."""
    cache = ModelCache(budget="4G")
    monkeypatch.setattr(cache_mod, "_DEFAULT", cache)
    for var in ("WAVE_DEVICE", "WAVE_SOUND_MODEL", "WAVE_CLAP_MODEL", "WAVE_CLIP_MODEL", "WAVE_V2A_MAPPER"):
        monkeypatch.setenv(var, "")  # recorded, so what a test exports is undone after it
        monkeypatch.delenv(var)
    return cache


@pytest.fixture(scope="module")
def audible_audioldm(published_audioldm, tmp_path_factory):  # noqa: F811
    """The published-layout AudioLDM folder with its vocoder's output layer scaled up: random weights give
    ~1e-10 waveforms, which 24-bit files store as silence and the later stages cannot build instruments from."""
    import shutil

    from transformers import SpeechT5HifiGan

    folder = tmp_path_factory.mktemp("cvssp_audioldm_audible") / "audioldm"
    shutil.copytree(published_audioldm, folder)
    voc = SpeechT5HifiGan.from_pretrained(folder / "vocoder")
    with torch.no_grad():
        voc.conv_post.weight.mul_(3e9)
        voc.conv_post.bias.zero_()
    voc.save_pretrained(folder / "vocoder")
    return folder


@pytest.fixture(scope="module")
def published_clip(tmp_path_factory):
    """A folder laid out like openai/clip-vit-base-patch32 (CLIPModel + CLIPImageProcessor), widths shrunk."""
    from test_models_v2a import _tiny_clip

    enc = _tiny_clip()
    folder = tmp_path_factory.mktemp("openai_clip")
    enc.model.save_pretrained(folder)
    enc.processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def published_clap32(tmp_path_factory):
    """laion/clap-htsat-unfused's layout (tests/data/model_configs/clap) with the AudioLDM fixture's width."""
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        ClapTextConfig,
    )

    real = json.loads((CONFIGS / "clap" / "components.json").read_text())
    a, t, fe = real["model"]["audio_config"], real["model"]["text_config"], real["feature_extractor"]
    torch.manual_seed(0)
    text = ClapTextConfig(hidden_size=16, intermediate_size=37, num_attention_heads=2, num_hidden_layers=1,
                          vocab_size=1000, projection_dim=CLAP_DIM, max_position_embeddings=t["max_position_embeddings"],
                          bos_token_id=0, eos_token_id=2, pad_token_id=1, layer_norm_eps=1e-5)
    audio = ClapAudioConfig(spec_size=a["spec_size"], window_size=a["window_size"], num_mel_bins=a["num_mel_bins"],
                            depths=[1, 1], num_attention_heads=[2, 2], hidden_size=32, patch_embeds_hidden_size=16,
                            patch_stride=a["patch_stride"], patch_size=a["patch_size"], projection_dim=CLAP_DIM,
                            intermediate_size=37, enable_fusion=a["enable_fusion"])
    model = ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=CLAP_DIM))
    folder = tmp_path_factory.mktemp("laion_clap")
    model.eval().save_pretrained(folder)
    feat = ClapFeatureExtractor(feature_size=fe["feature_size"], sampling_rate=fe["sampling_rate"],
                                hop_length=fe["hop_length"], fft_window_size=fe["fft_window_size"],
                                max_length_s=fe["max_length_s"], truncation=fe["truncation"], padding=fe["padding"])
    ClapProcessor(feature_extractor=feat, tokenizer=_roberta_tokenizer()).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def mapper_file(tmp_path_factory, published_clip, published_clap32):
    """A mapper trained (briefly) between the CLIP and CLAP folders, as `wave v2a train` writes it."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 24)).astype(np.float32)
    y = rng.standard_normal((32, CLAP_DIM)).astype(np.float32)
    res = v2a.train_mapper(x, y, hidden=32, layers=1, epochs=2, seed=0)
    path = tmp_path_factory.mktemp("mapper") / "mapper.pt"
    v2a.save_mapper(res.mapper, path, clip=str(published_clip), clap=str(published_clap32))
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """Four coloured quadrants, so each source's box sees a different picture."""
    from PIL import Image

    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[:60, :80], rgb[:60, 80:], rgb[60:, :80], rgb[60:, 80:] = (220, 30, 30), (30, 220, 30), (30, 30, 220), \
        (220, 220, 30)
    path = tmp_path_factory.mktemp("photo") / "market.png"
    Image.fromarray(rgb).save(path)
    return path


def _six() -> SceneSpec:
    boxes = [[0.0, 0.0, 0.45, 0.45], [0.55, 0.0, 1.0, 0.45], [0.0, 0.55, 0.45, 1.0], [0.55, 0.55, 1.0, 1.0],
             [0.3, 0.3, 0.7, 0.7], None]
    names = ["bell", "kettle", "drum", "bicycle", "glass", "street"]
    roles = ["keyboard", "bass", "drums", "guitar", None, None]
    sources = []
    for name, box, role in zip(names, boxes, roles, strict=True):
        s = {"name": name, "material": "metal",
             "variants": [{"play_method": "struck", "timbre": ["bright"], "mapping_to_music_instrument": role}]}
        if box is None:
            s["ambience"] = True
        else:
            s["box"] = box
        sources.append(s)
    return SceneSpec.from_data({"scene_description": "a market", "mood_description": "busy", "sound_sources": sources})


def _fast(monkeypatch, steps: int = 2) -> None:
    import dataclasses

    from server.sounds import diffusion as dmod

    monkeypatch.setitem(dmod.BACKENDS, "audioldm", dataclasses.replace(dmod.BACKENDS["audioldm"], steps=steps))


def test_six_sources_load_each_model_once_and_hear_their_own_boxes(audible_audioldm, mapper_file, photo,
                                                                    published_clip, published_clap32, tmp_path,
                                                                    monkeypatch, _fresh_cache):
    _fast(monkeypatch)
    models = ModelOptions(device="cpu", sound_model=str(audible_audioldm), v2a_mapper=str(mapper_file))
    spec = _six()
    m = render_sounds(spec, tmp_path / "a", backend="v2a", image=photo, models=models, candidates=2, seconds=0.2,
                      sample_rate=16000)
    cache = _fresh_cache
    assert sorted(k.backend for k in cache.keys()) == ["audioldm", "clap-audio", "clip", "v2a-mapper"]
    assert all(n == 1 for n in cache.loads.values()), cache.loads
    assert {k.device for k in cache.keys()} == {"cpu"} and {k.dtype for k in cache.keys()} == {"float32"}
    # a second render (a second image of the same run, a role variant) reuses every loaded model
    render_sounds(spec, tmp_path / "b", backend="v2a", image=photo, models=models, candidates=1, seconds=0.2,
                  sample_rate=16000)
    assert len(cache.loads) == 4 and all(n == 1 for n in cache.loads.values())

    model = m["model"]
    assert m["backend"] == "v2a" and model["mapper"] == str(mapper_file) and model["image"] == str(photo)
    assert model["clip"] == str(published_clip) and model["clap"] == str(published_clap32)  # from the mapper
    assert model["audioldm"] == str(audible_audioldm) == model["id"]
    assert (model["device"], model["dtype"], model["steps"]) == ("cpu", "float32", 2)
    srcs = m["sources"]
    assert [s["picture"]["crop"] for s in srcs] == ["box with context"] * 5 + ["whole picture"]
    assert srcs[5]["picture"]["crop_pixels"] == [160, 120]
    assert all("rank_prompt" not in s for s in srcs)  # no text step
    for s in srcs:
        cos = [c["clap_cosine"] for c in s["candidates"]]
        assert len(cos) == 2 and cos == sorted(cos, reverse=True) and all(-1 <= c <= 1 for c in cos)
    import soundfile as sf

    waves = [sf.read(tmp_path / "a" / s["file"])[0] for s in srcs]
    levels = [20 * np.log10(np.sqrt(np.mean(w**2))) for w in waves]
    assert [len(w) for w in waves] == [3200] * 6 and all(-60 < db < 0 for db in levels), levels
    # each box is its own condition: the quadrants' sounds differ, and their candidates score differently
    # against their own mapped pictures
    assert all(not np.allclose(waves[i], waves[j], atol=1e-3) for i in range(4) for j in range(i))
    best = [s["candidates"][0]["clap_cosine"] for s in srcs]
    assert len(set(best[:4])) == 4, best


def test_wave_sounds_v2a_from_the_command_line(audible_audioldm, mapper_file, photo, tmp_path, capsys,
                                               _fresh_cache):
    scene = tmp_path / "scene.json"
    _six().save(scene)
    out = tmp_path / "snd"
    rc = main(["sounds", str(scene), "-o", str(out), "--backend", "v2a", "--image", str(photo), "--v2a-mapper",
               str(mapper_file), "--sound-model", str(audible_audioldm), "--device", "cpu", "--steps", "2",
               "--candidates", "1", "--seconds", "0.2", "--sample-rate", "16000"])
    assert rc == 0, capsys.readouterr().err
    m = json.loads((out / "manifest.json").read_text())
    assert m["backend"] == "v2a" and m["model"]["steps"] == 2 and len(m["sources"]) == 6
    assert all(n == 1 for n in _fresh_cache.loads.values()) and len(_fresh_cache.loads) == 4


@pytest.mark.parametrize("case", ["missing", "corrupt", "unset", "damaged"])
def test_a_bad_mapper_is_one_line_naming_the_file_before_any_model_loads(case, photo, tmp_path, capsys,
                                                                        mapper_file, _fresh_cache):
    scene = tmp_path / "scene.json"
    _six().save(scene)
    bad = tmp_path / "mapper.pt"
    if case == "corrupt":
        bad.write_bytes(b"\x00not a torch file")
    elif case == "damaged":  # a real mapper file whose weights were cut
        data = torch.load(mapper_file, weights_only=True)
        data["state_dict"] = {k: v for i, (k, v) in enumerate(data["state_dict"].items()) if i % 2}
        torch.save(data, bad)
    args = ["sounds", str(scene), "-o", str(tmp_path / "out"), "--backend", "v2a", "--image", str(photo)]
    if case != "unset":
        args += ["--v2a-mapper", str(bad)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "wave v2a train" in err
    if case != "unset":
        assert str(bad) in err
    else:
        assert "--v2a-mapper" in err
    want = {"missing": "no such V2A mapper file", "corrupt": "not a V2A mapper file",
            "damaged": "do not fit", "unset": "needs a trained mapper"}[case]
    assert want in err
    assert [k.backend for k in _fresh_cache.keys()] == []  # refused before CLIP or AudioLDM were loaded
    assert not (tmp_path / "out").exists()


def test_v2a_without_the_picture_says_so(mapper_file, tmp_path, capsys):
    scene = tmp_path / "scene.json"
    _six().save(scene)
    assert main(["sounds", str(scene), "-o", str(tmp_path / "o"), "--backend", "v2a", "--v2a-mapper",
                 str(mapper_file)]) == 1
    assert "--image PHOTO" in capsys.readouterr().err


def test_wave_make_with_the_v2a_backend(audible_audioldm, mapper_file, photo, tmp_path, capsys, monkeypatch,
                                        _fresh_cache):
    """The whole pipeline on the photo with --sound-backend v2a: the sounds stage reads the photo it was given,
    every model loads once for all sources and role variants, and sounds.json says what was used."""
    _fast(monkeypatch)
    out = tmp_path / "make"
    rc = main(["make", str(photo), "-o", str(out), "--sound-backend", "v2a", "--v2a-mapper", str(mapper_file),
               "--sound-model", str(audible_audioldm), "--device", "cpu", "--no-timbre", "--seconds", "0.5"])
    assert rc == 0, capsys.readouterr().err
    snd = json.loads((out / "sounds.json").read_text())
    assert snd["backend"] == "v2a" and snd["model"]["image"] == str(photo)
    assert snd["model"]["mapper"] == str(mapper_file) and snd["model"]["device"] == "cpu"
    assert all(n == 1 for n in _fresh_cache.loads.values()), _fresh_cache.loads
    scene_models = {"ssd-mobilenet-v2", "efficientnet-lite3"}  # the builtin scene stage's detector and classifier
    v2a_loads = [k for k in _fresh_cache.loads if k.backend not in scene_models]
    assert len(v2a_loads) == 4, _fresh_cache.loads  # CLIP, mapper, AudioLDM, CLAP: once for every source
    assert (out / "report.html").is_file()
