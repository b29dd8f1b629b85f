"""``wave sounds`` end to end with the builtin backend: files, manifest, determinism, bad input, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from server.cli import main
from server.scene import SceneSpec
from server.sounds import generate as gen_mod
from server.sounds.generate import render_sounds

SEED_111 = Path("/work/shared/seed_examples/111_sound_source.json")
SCENE = {
    "scene_description": "A rainy street.",
    "mood_description": "calm",
    "sound_sources": [
        {"name": "bottle", "material": "glass", "box": [0.0, 0.5, 0.1, 0.7], "depth": 0.2,
         "variants": [{"play_method": "clink", "timbre": ["bright"], "mapping_to_music_instrument": "keyboard"}]},
        {"name": "rain", "material": "water", "ambience": True,
         "variants": [{"play_method": "rain falling", "timbre": ["soft"], "mapping_to_music_instrument": "drums"}]},
    ],
}


def scene_file(tmp_path, data=SCENE):
    p = tmp_path / "scene.json"
    p.write_text(json.dumps(data))
    return p


def test_cli_writes_sources_scene_and_manifest(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sounds", str(scene_file(tmp_path)), "-o", str(out), "--seconds", "2", "--seed", "3"]) == 0
    files = sorted(p.name for p in (out / "sources").iterdir())
    assert files == ["01_bottle.wav", "02_rain.wav"]
    for f in files:
        info = sf.info(str(out / "sources" / f))
        assert info.channels == 1 and info.samplerate == 48000 and info.frames == 2 * 48000
    scene, sr = sf.read(str(out / "scene.wav"), always_2d=True)
    assert scene.shape == (2 * 48000, 2) and np.abs(scene).max() <= 10 ** (-1 / 20) + 1e-4
    m = json.loads((out / "manifest.json").read_text())
    assert m["backend"] == "builtin" and m["seed"] == 3 and m["pan_law"] == "equal-power"
    b, r = m["sources"]
    assert b["synth"]["model"] == "strike" and b["synth"]["material"] == "glass"
    assert r["synth"]["model"] == "rain" and r["placement"]["ambience"] is True
    assert b["placement"]["x"] == pytest.approx(-0.9) and b["placement"]["depth"] == 0.2
    assert all(s["seconds_taken"] > 0 and "not music" in s["prompt"] for s in m["sources"])
    # the glass bottle at the left edge is louder on the left
    left, right = scene[:, 0], scene[:, 1]
    bottle, _ = sf.read(str(out / "sources" / "01_bottle.wav"))
    cl = abs(np.corrcoef(left, bottle)[0, 1])
    cr = abs(np.corrcoef(right, bottle)[0, 1])
    assert cl > 3 * cr, (cl, cr)
    assert "scene.wav" in capsys.readouterr().out


def test_same_seed_identical_files(tmp_path):
    spec = SceneSpec.load(SEED_111)
    render_sounds(spec, tmp_path / "a", seed=7, seconds=1.5)
    render_sounds(spec, tmp_path / "b", seed=7, seconds=1.5)
    render_sounds(spec, tmp_path / "c", seed=8, seconds=1.5)
    for f in ["scene.wav", *(f"sources/{p.name}" for p in (tmp_path / "a" / "sources").iterdir())]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a" / "scene.wav").read_bytes() != (tmp_path / "c" / "scene.wav").read_bytes()


def test_empty_source_list_is_refused_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    data = dict(SCENE, sound_sources=[])
    assert main(["sounds", str(scene_file(tmp_path, data)), "-o", str(out)]) == 1
    assert "no sound sources" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("args", [["--seconds", "0"], ["--seconds", "100000"], ["--candidates", "0"],
                                  ["--sample-rate", "100"]])
def test_bad_options_are_refused(tmp_path, capsys, args):
    out = tmp_path / "out"
    assert main(["sounds", str(scene_file(tmp_path)), "-o", str(out), *args]) == 1
    assert "error" in capsys.readouterr().err and not out.exists()


def test_missing_scene_file_is_an_input_error(tmp_path, capsys):
    assert main(["sounds", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_interrupted_run_leaves_no_half_written_files(tmp_path, monkeypatch):
    out = tmp_path / "out"
    spec = SceneSpec.from_data(SCENE)
    render_sounds(spec, out, seconds=1.0, seed=1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = gen_mod.synthesize

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(gen_mod, "synthesize", flaky)
    with pytest.raises(KeyboardInterrupt):
        render_sounds(spec, out, seconds=1.0, seed=2)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the previous result is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folders left beside it


@pytest.mark.slow
def test_image_input_goes_through_the_scene_reader(tmp_path):
    import server.scene as scene_pkg

    if not hasattr(scene_pkg, "read_scene"):
        pytest.skip("this build has no scene reader")
    skdata = pytest.importorskip("skimage.data")
    from PIL import Image

    img = tmp_path / "coffee.png"
    Image.fromarray(skdata.coffee()).save(img)
    out = tmp_path / "out"
    assert main(["sounds", str(img), "-o", str(out), "--seconds", "1"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["input"] == str(img) and len(m["sources"]) >= 1
    assert all((out / s["file"]).is_file() for s in m["sources"])


def test_make_takes_the_library_backend(tmp_path, monkeypatch):
    import types

    import server.make.pipeline as pipeline

    seen = {}

    def fake_make(image, out, st, force=False):
        seen["settings"] = st
        return types.SimpleNamespace(failures=[], arrangement={}, total_seconds=0.0)

    monkeypatch.setattr(pipeline, "make", fake_make)
    lib = tmp_path / "my sounds"
    lib.mkdir()
    assert main(["make", "-o", str(tmp_path / "o"), "--sound-backend", f"library:{lib}"]) == 0
    assert seen["settings"].sounds_backend == f"library:{lib}"
    assert main(["make", "-o", str(tmp_path / "o"), "--backends", "sounds=audioldm"]) == 0
    assert seen["settings"].sounds_backend == "audioldm"


def test_make_refuses_a_library_without_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["make", "-o", str(tmp_path / "o"), "--sound-backend", "library:"])
    assert "needs a folder: library:DIR" in capsys.readouterr().err
