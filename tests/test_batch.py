"""``wave batch`` on a local Ray with 2 CPUs: failure isolation, resume, a killed worker, equality
with ``wave make``, and models loaded once per actor. One Ray session is shared by the module."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="wave batch needs the `batch` extra (pip install ray)")

from server.batch.inputs import collect_inputs, name_items  # noqa: E402
from server.batch.runner import run_batch  # noqa: E402
from server.make.pipeline import STAGES, MakeSettings, make  # noqa: E402

PHOTO = Path(__file__).resolve().parent.parent / "server" / "make" / "data" / "coffee.jpg"
# fast make options (as `--seconds 1 --step 12 --no-timbre --no-scene-layer`)
SETTINGS = MakeSettings(seconds=1.0, step=12, timbre=False, layer_scene=False)

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory) -> Path | None:
    """A Hugging Face hub cache holding a tiny random-weight BLIP captioner under the default checkpoint's
    name (config from tests/data/model_configs/blip, widths shrunk), so `--backends scene=blip` runs its
    real loading code offline. None when transformers is not installed."""
    try:
        import torch
        from transformers import (
            BertTokenizerFast,
            BlipConfig,
            BlipForConditionalGeneration,
            BlipImageProcessor,
            BlipProcessor,
        )
    except ImportError:
        return None
    from server.scene.vlm import DEFAULT_BLIP

    real = json.loads((Path(__file__).parent / "data" / "model_configs" / "blip" / "config.json").read_text())
    rv, rp = real["vision_config"], real["processor"]
    cache = tmp_path_factory.mktemp("hub")
    repo = cache / ("models--" + DEFAULT_BLIP.replace("/", "--"))
    snap = repo / "snapshots" / ("0" * 40)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "cat", "cup", "on", "table",
             "the", "objects", "in", "this", "picture", "are", "photograph", "rain", "street"]
    (snap / "vocab.txt").write_text("\n".join(words) + "\n")
    tok = BertTokenizerFast(vocab_file=str(snap / "vocab.txt"))
    tok.add_special_tokens({"bos_token": rp["bos_token"], "additional_special_tokens": ["[ENC]"]})
    vocab = len(tok)
    cfg = BlipConfig(
        text_config=dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=64, bos_token_id=vocab - 2,
                         sep_token_id=tok.sep_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=rv["image_size"], patch_size=rv["patch_size"]),
        projection_dim=32,
    )
    torch.manual_seed(0)
    BlipForConditionalGeneration(cfg).eval().save_pretrained(snap)
    BlipProcessor(image_processor=BlipImageProcessor(size=rp["size"]), tokenizer=tok).save_pretrained(snap)
    return cache


@pytest.fixture(scope="module")
def ray_session(hub_cache):
    if not ray.is_initialized():
        from server.batch.runner import warm_jit

        warm_jit()  # as connect() does: numba's cache complete before any worker starts
        env = {"HF_HUB_CACHE": str(hub_cache), "HF_HUB_OFFLINE": "1"} if hub_cache else {}
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": env})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """5 inputs: 3 different small photos, a byte-identical copy of one in another folder, a corrupt file."""
    from PIL import Image, ImageOps

    d = tmp_path_factory.mktemp("images")
    im = Image.open(PHOTO).convert("RGB")
    im.thumbnail((240, 240))
    im.save(d / "cafe.jpg", quality=90)
    ImageOps.mirror(im).save(d / "mirror.png")
    im.crop((0, 0, im.width * 3 // 4, im.height)).save(d / "crop.jpg", quality=90)
    (d / "more").mkdir()
    shutil.copy(d / "cafe.jpg", d / "more" / "cafe.jpg")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" + bytes(range(256)) * 8)
    return d


def _fingerprints() -> dict[str, str]:
    from server.make import pipeline

    pipeline._code_cache.clear()
    return {s: pipeline.code_fingerprint(s) for s in STAGES}


@pytest.fixture(scope="module")
def first_batch(ray_session, images, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    items = name_items(collect_inputs([images]))
    code = _fingerprints()
    res = run_batch(items, out, SETTINGS, workers=2, progress=False)
    return out, items, res, code


def test_inputs_names_and_errors(images, tmp_path):
    from server.errors import InputError

    items = name_items(collect_inputs([images, images / "cafe.jpg"]))  # a path given twice is made once
    assert sorted(i.name for i in items) == ["broken", "cafe", "cafe-2", "crop", "mirror"]
    lst = tmp_path / "list.csv"
    lst.write_text(f"path\n{images / 'crop.jpg'}\n{images / 'mirror.png'}\n", "utf-8")
    assert [p.name for p in collect_inputs([lst])] == ["crop.jpg", "mirror.png"]
    with pytest.raises(InputError, match="no such image, folder or list"):
        collect_inputs([tmp_path / "nowhere"])


def test_four_sets_one_error(first_batch):
    out, items, res, _ = first_batch
    summary = json.loads((out / "batch.json").read_text())
    assert (summary["images_total"], summary["done"], summary["failed"], summary["sets"]) == (5, 4, 1, 4)
    by_name = {r["name"]: r for r in summary["images"]}
    bad = by_name["broken"]
    assert bad["status"] == "failed" and bad["error"].startswith("scene: InputError:") and "broken.jpg" in bad["error"]
    assert not (out / "broken").exists()
    for name in ("cafe", "cafe-2", "crop", "mirror"):
        r = by_name[name]
        assert r["status"] == "done" and r["stages_run"] == list(STAGES) and r["seconds"] > 0
        rec = json.loads((out / name / "make.json").read_text())
        assert all(rec["stages"][s]["status"] in ("done", "cached") for s in STAGES)  # scene: made by the actor
        assert (out / name / "song.wav").is_file() and (out / name / "report.html").is_file()
    assert not (out / ".staging").exists()  # nothing unfinished is left
    page = (out / "index.html").read_text()
    for name in ("cafe", "cafe-2", "crop", "mirror"):
        assert f"href='{name}/report.html'" in page and f"src='{name}/song.wav'" in page
    assert page.count("<audio") == 4 and page.count("data:image/jpeg;base64,") == 4
    assert "scene: InputError" in page and "broken.jpg" in page


def test_models_loaded_once_per_actor(first_batch):
    out, _, res, _ = first_batch
    actors = json.loads((out / "batch.json").read_text())["actors"]
    assert len(actors) == 2 and sum(a["images"] for a in actors) == 5
    assert max(a["images"] for a in actors) >= 2  # an actor served several images...
    for a in actors:
        assert a["model_loads"] == {"builtin:ssd-mobilenet-v2": 1, "builtin:efficientnet-lite3": 1}  # ...loading once
    assert len({a["pid"] for a in actors}) == 2


def test_rerun_does_no_work(first_batch):
    out, items, _, code = first_batch
    before = {n: (out / n / "make.json").stat().st_mtime_ns for n in ("cafe", "cafe-2", "crop", "mirror")}
    res = run_batch(items, out, SETTINGS, workers=2, progress=False)
    if _fingerprints() != code:
        pytest.skip("WAVE's stage code changed while this test ran (a shared tree): the cache rightly redid work")
    by_name = {r["name"]: r for r in res.images}
    for name, mtime in before.items():
        assert by_name[name]["status"] == "cached" and by_name[name]["stages_run"] == []
        assert (out / name / "make.json").stat().st_mtime_ns == mtime  # the published set was not touched
    assert by_name["broken"]["status"] == "failed"
    assert res.to_dict()["sets"] == 4


def test_a_failing_stage_fails_the_image_and_keeps_the_published_set(first_batch, tmp_path):
    """--song with a corrupt MIDI file: the song stage fails on every image, each is reported failed with
    that stage's error line, and each published set stays the complete one it was."""
    from dataclasses import replace

    out, items, _, _ = first_batch
    bad_midi = tmp_path / "broken.mid"
    bad_midi.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01" + b"\xff" * 40)
    good = [i for i in items if i.name in ("cafe", "crop")]
    before = {i.name: (out / i.name / "song.wav").read_bytes() for i in good}
    res = run_batch(good, out, replace(SETTINGS, song=str(bad_midi)), workers=2, progress=False)
    for r in res.images:
        assert r["status"] == "failed" and r["error"].startswith("song: "), r
        assert (out / r["name"] / "song.wav").read_bytes() == before[r["name"]]
        assert (out / ".staging" / r["name"] / "make.json").is_file()  # kept, so a fixed rerun resumes
    summary = json.loads((out / "batch.json").read_text())
    assert summary["failed"] == 2 and summary["sets"] == 0


def test_set_equals_wave_make(first_batch, tmp_path):
    out, _, _, code = first_batch
    src = sorted(Path(json.loads((out / "batch.json").read_text())["images"][0]["image"]).parent.glob("crop.jpg"))[0]
    alone = tmp_path / "crop"
    make(src, alone, SETTINGS, progress=None)
    if _fingerprints() != code:
        pytest.skip("WAVE's stage code changed while this test ran")
    made = out / "crop"
    files = sorted(p.relative_to(made).as_posix() for p in made.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(alone).as_posix() for p in alone.rglob("*") if p.is_file())
    from server.audio.io import read_audio

    wavs = [f for f in files if f.endswith(".wav")]
    assert "song.wav" in wavs and len(wavs) >= 4
    for f in wavs:
        a, sra = read_audio(made / f)
        b, srb = read_audio(alone / f)
        assert sra == srb and a.shape == b.shape and np.array_equal(a, b), f
    for f in files:
        if f.endswith((".json", ".html", ".wav")):
            continue
        assert (made / f).read_bytes() == (alone / f).read_bytes(), f  # SF2, SFZ, MIDI, samples
    assert json.loads((made / "scene.json").read_text()) == json.loads((alone / "scene.json").read_text())
    ka = {s: r["key"] for s, r in json.loads((made / "make.json").read_text())["stages"].items()}
    kb = {s: r["key"] for s, r in json.loads((alone / "make.json").read_text())["stages"].items()}
    assert ka == kb


def _ray_processes(title: str) -> list:
    import psutil

    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        if " ".join(p.info.get("cmdline") or []).startswith(title):
            found.append(p)
    return found


def test_killed_workers_still_finish(ray_session, images, tmp_path):
    """SIGKILL a model actor's process while it works, then a CPU task's worker process: Ray restarts
    the actor and retries the task once, each resumes from make's cache, and every image is made."""
    out = tmp_path / "out"
    items = [i for i in name_items(collect_inputs([images])) if i.name in ("cafe", "mirror")]
    killed: dict[str, int] = {}

    def kill_first(title: str, wait: float) -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if _ray_processes(title):
                time.sleep(wait)  # let it get into the pipeline's stages
                for p in _ray_processes(title)[:1]:
                    os.kill(p.pid, signal.SIGKILL)
                    killed[title] = p.pid
                return
            time.sleep(0.1)

    def killer() -> None:
        kill_first("ray::ModelWorker.run", 0.5)
        kill_first("ray::cpu_stages", 2.0)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    res = run_batch(items, out, SETTINGS, workers=2, progress=False)
    t.join(5)
    assert set(killed) == {"ray::ModelWorker.run", "ray::cpu_stages"}, killed
    assert [r["status"] for r in res.images] == ["done", "done"], [r.get("error") for r in res.images]
    for it in items:
        rec = json.loads((out / it.name / "make.json").read_text())
        assert all(rec["stages"][s]["status"] in ("done", "cached") for s in STAGES)
        assert (out / it.name / "song.wav").is_file()
    assert not (out / ".staging").exists()


def test_changed_option_redoes_only_the_stages_it_affects(first_batch):
    from dataclasses import replace

    out, items, _, code = first_batch
    mirror = [i for i in items if i.name == "mirror"]
    old_scene = (out / "mirror" / "scene.json").stat().st_mtime_ns
    res = run_batch(mirror, out, replace(SETTINGS, layer_scene=True), workers=2, progress=False)
    if _fingerprints() != code:
        pytest.skip("WAVE's stage code changed while this test ran")
    (r,) = res.images
    assert r["status"] == "done" and r["stages_run"] == ["song", "report"]
    rec = json.loads((out / "mirror" / "make.json").read_text())
    assert rec["settings"]["layer_scene"] is True
    assert (out / "mirror" / "scene.json").stat().st_mtime_ns == old_scene  # copied with its time, not remade
    assert not (out / ".staging" / "mirror").exists()


def test_model_backend_loads_once_per_actor(ray_session, hub_cache, images, tmp_path):
    """`--backends scene=blip` with the tiny captioner: each actor loads it (and the builtin detector and
    classifier) once, however many images it serves."""
    if hub_cache is None:
        pytest.skip("transformers is not installed (the models extra)")
    from dataclasses import replace

    items = [i for i in name_items(collect_inputs([images])) if i.name in ("cafe", "crop", "mirror")]
    res = run_batch(items, tmp_path / "out", replace(SETTINGS, scene_backend="blip"), workers=2, progress=False)
    assert [r["status"] for r in res.images] == ["done"] * 3, [r["error"] for r in res.images]
    assert sorted(a["images"] for a in res.actors) == [1, 2]
    for a in res.actors:
        blip = {k: n for k, n in a["model_loads"].items() if "blip" in k}
        assert list(blip.values()) == [1], a
        assert a["model_loads"]["builtin:ssd-mobilenet-v2"] == 1
    scene = json.loads((tmp_path / "out" / "crop" / "make.json").read_text())["settings"]
    assert scene["scene_backend"] == "blip"


def test_cli_reuses_the_sets_and_reports_the_failure(first_batch, images, capsys):
    from server.cli import main

    out, _, _, _ = first_batch
    rc = main(["batch", str(images), "-o", str(out), "--seconds", "1", "--step", "12", "--no-timbre",
               "--no-scene-layer", "--no-progress"])
    text = capsys.readouterr().out
    assert rc == 1  # one image failed
    assert "failed: broken (" in text and "4 sets (" in text and "1 failed" in text
    assert not (out / ".staging").exists()  # the sets left unfinished by the failing --song resumed


@pytest.mark.parametrize("args, message", [
    (["nowhere.jpg"], "no such image, folder or list"),
    (["IMAGES", "--workers", "0"], "--workers 0: give 1 or more"),
    (["IMAGES", "--address", "headnode"], "use auto, HOST:PORT or ray://HOST:PORT"),
    (["IMAGES", "--seconds", "99"], "outside 0.5-30 s"),
])
def test_cli_refuses_bad_input_before_any_work(images, tmp_path, capsys, args, message):
    from server.cli import main

    args = [str(images) if a == "IMAGES" else a for a in args]
    assert main(["batch", *args, "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_interrupted_image_resumes_from_its_staging_folder(ray_session, images, tmp_path):
    """A batch stopped after an image's model stages leaves OUT/.staging/<name> and no OUT/<name>; the
    next batch runs only the stages still missing."""
    from server.batch.work import model_stages, staging_dir

    out = tmp_path / "out"
    (it,) = [i for i in name_items(collect_inputs([images])) if i.name == "crop"]
    code = _fingerprints()
    pre = model_stages(str(it.path), str(out), it.name, SETTINGS)  # what the actor had done when it stopped
    assert pre["ok"] and pre["ran"] == ["scene"]
    assert (staging_dir(out, it.name) / "scene.json").is_file() and not (out / it.name).exists()
    res = run_batch([it], out, SETTINGS, workers=2, progress=False)
    if _fingerprints() != code:
        pytest.skip("WAVE's stage code changed while this test ran")
    (r,) = res.images
    assert r["status"] == "done" and r["stages_run"] == list(STAGES[1:])
    assert (out / it.name / "report.html").is_file() and not (out / ".staging").exists()
