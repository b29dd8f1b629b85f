"""`wave make` end to end on the bundled photo with the real builtin stages (no mocks): every output,
each role audible in the song, tempo/key as the mood said, same seed -> identical files, the cache,
failure isolation, and the report in headless Chromium."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time

import mido
import numpy as np
import pytest

from server.audio.io import read_audio
from server.errors import ConfigError
from server.make import MakeSettings, arrange, make
from server.make.cli import BUNDLED_PHOTO
from server.make.pipeline import STAGES
from server.midi.roles import ROLES
from server.render import RenderSettings, render_song
from tests.helpers.arrange import solo

pytestmark = pytest.mark.slow
SETTINGS = dict(seconds=2.0, step=6)  # smaller than the demo's (3 s, 4) to keep the test quick


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12))


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("make") / "coffee"
    t0 = time.perf_counter()
    res = make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS), progress=None)
    return res, time.perf_counter() - t0


def test_every_output(first):
    res, _ = first
    out = res.out_dir
    for p in ("scene.json", "scene.wav", "sounds.json", "song.mid", "song.wav", "report.html", "make.json",
              "instruments/coffee.sf2"):
        assert (out / p).is_file() and (out / p).stat().st_size > 0, p
    assert all(r.status == "done" for r in res.stages.values())
    assert res.failures == []
    manifest = json.loads((out / "sounds.json").read_text())
    for s in manifest["sources"]:
        audio, sr = read_audio(out / s["file"])
        assert sr == 48000 and audio.shape == (1, 2 * sr) and _db(audio) > -60
    scene, _ = read_audio(out / "scene.wav")
    assert scene.shape[0] == 2
    built = res.stages["build"].info["build"]["instruments"]
    assert set(built) == set(ROLES)  # two sources with two variants each fill all four roles
    for role in built:
        assert (out / "sfz_out" / "coffee" / f"{role}.sfz").is_file()
        assert (out / "timbre" / f"{role}.wav").is_file()
        assert (out / "demos" / f"scale_{role}.wav").is_file()
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2 + len(manifest["sources"])
    for src in html.split('<audio controls preload="none" src="')[1:]:
        assert (out / src.split('"', 1)[0]).is_file()  # every player's file is beside the report
    rec = json.loads((out / "make.json").read_text())
    assert set(rec["stages"]) == {"scene", "sounds", "timbre", "build", "song", "report"}


def test_each_role_plays_in_the_song(first):
    """Each role rendered solo with the image's set is well above silence, and the song's pitched roles
    really come from the set (their level changes when the set is swapped for the GM font)."""
    res, _ = first
    out = res.out_dir
    mf = mido.MidiFile(out / "song.mid")
    st = RenderSettings(sample_rate=24000, raw=True, tail=0.5, progress=False)
    for role in ROLES:
        alone = arrange.to_song(solo(mf, role))
        with_set = render_song(alone, instrument_set=out / "instruments" / "coffee.sf2", settings=st)
        gm = render_song(alone, settings=st)
        # level like the General MIDI font's render of the same part (a silent role reads -240 dB)
        assert _db(with_set) > _db(gm) - 12, (role, _db(with_set), _db(gm))
        n = min(with_set.shape[1], gm.shape[1])
        diff = _db(with_set[:, :n] - gm[:, :n]) - _db(gm[:, :n])
        assert diff > -10, f"{role}: the set's render is the GM one ({diff:.1f} dB)"


def test_tempo_and_key_follow_the_mood(first):
    res, _ = first
    arr = res.arrangement
    spec_mood = json.loads((res.out_dir / "scene.json").read_text())["mood"]
    assert arr["valence"] == pytest.approx(spec_mood["valence"], abs=1e-4)
    # the song is composed for the picture: mode from valence, tempo from arousal in the genre's range
    from server.compose.genres import GENRES
    from server.compose.mood import MODE_FAMILY, mode_for

    assert arr["chosen_by"] == "composer" and arr["genre"] in GENRES
    assert arr["modal_key"].endswith(mode_for(spec_mood["valence"]))
    assert arr["mode"] == MODE_FAMILY[mode_for(spec_mood["valence"])]
    lo, hi = GENRES[arr["genre"]].bpm
    assert arr["bpm"] == pytest.approx(lo + (hi - lo) * spec_mood["arousal"], abs=0.01)
    song = arrange.to_song(mido.MidiFile(res.out_dir / "song.mid"))
    assert song.tempo_changes[0][1] == pytest.approx(arr["bpm"], rel=1e-5)
    assert arrange.estimate_key(arrange.song_pitch_weights(song)).name == arr["key"]


def test_cache_and_determinism(first, tmp_path):
    res, t_first = first
    # second run without --force: every stage reused, >= 10x faster
    t0 = time.perf_counter()
    again = make(BUNDLED_PHOTO, res.out_dir, MakeSettings(**SETTINGS), progress=None)
    t_again = time.perf_counter() - t0
    assert all(r.status == "cached" for r in again.stages.values())
    assert t_again * 10 <= t_first, (t_again, t_first)
    # same seed, fresh folder, forced: identical files
    other = tmp_path / "coffee"
    make(BUNDLED_PHOTO, other, MakeSettings(**SETTINGS), force=True, progress=None)
    files = [p.relative_to(res.out_dir) for p in res.out_dir.rglob("*")
             if p.is_file() and p.suffix in (".wav", ".sf2", ".sfz", ".mid") or p.name == "scene.json"]
    assert len(files) > 20
    for rel in files:
        a = hashlib.sha256((res.out_dir / rel).read_bytes()).hexdigest()
        b = hashlib.sha256((other / rel).read_bytes()).hexdigest()
        assert a == b, rel


def test_changed_setting_reruns_later_stages(first, tmp_path):
    res, _ = first
    out = tmp_path / "c"
    shutil.copytree(res.out_dir, out)
    again = make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS, layer_scene=False, scale_demos=False), progress=None)
    status = {k: r.status for k, r in again.stages.items()}
    assert status == {"scene": "cached", "sounds": "cached", "timbre": "cached", "build": "cached",
                      "song": "done", "report": "done"}


def test_stop_after_runs_the_stages_up_to_one_and_keeps_the_later_ones(first, tmp_path):
    """make(stop_after=STAGE) (how `wave batch` runs the model stages in its actor): the stages up to STAGE,
    progress for those only; the later stages' records stay in make.json, so the next full run reuses them."""
    res, _ = first
    out = tmp_path / "c"
    shutil.copytree(res.out_dir, out)
    seen = []
    part = make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS), stop_after="timbre",
                progress=lambda i, stage, status, seconds, note: seen.append((stage, status)))
    assert {k: r.status for k, r in part.stages.items()} == {"scene": "cached", "sounds": "cached", "timbre": "cached"}
    assert seen == [("scene", "cached"), ("sounds", "cached"), ("timbre", "cached")]
    assert set(json.loads((out / "make.json").read_text())["stages"]) == set(STAGES)
    again = make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS), progress=None)
    assert {r.status for r in again.stages.values()} == {"cached"}
    with pytest.raises(ConfigError, match="scene, sounds, timbre, build, song, report"):
        make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS), stop_after="mix", progress=None)


def test_genre_and_song_options(first, tmp_path, monkeypatch):
    """--genre re-composes (only song and report re-run); --song plays that file fitted to the mood; without
    music21 the mood's demo song plays and the report says why."""
    res, _ = first
    out = tmp_path / "g"
    shutil.copytree(res.out_dir, out)
    st = dict(SETTINGS, scale_demos=False)
    rock = make(BUNDLED_PHOTO, out, MakeSettings(**st, genre="rock"), progress=None)
    assert {k: r.status for k, r in rock.stages.items()}["build"] == "cached"
    assert rock.stages["song"].status == "done"
    assert rock.arrangement["genre"] == "rock" and rock.arrangement["chosen_by"] == "composer"
    assert "rock" in (out / "report.html").read_text() and "piano-roll" in (out / "report.html").read_text()
    demo = arrange.DEMO_SONGS["major"]
    given = make(BUNDLED_PHOTO, out, MakeSettings(**st, song=str(demo)), progress=None)
    assert given.arrangement["chosen_by"] == "--song" and given.arrangement["song"] == str(demo)
    song = arrange.to_song(mido.MidiFile(out / "song.mid"))
    assert song.tempo_changes[0][1] == pytest.approx(given.arrangement["bpm"], rel=1e-5)
    from server.errors import MissingDependencyError

    def no_music21(*a, **k):
        raise MissingDependencyError("the composer needs music21 (pip install music21)")

    monkeypatch.setattr(arrange, "compose_plan", no_music21)
    fallback = make(BUNDLED_PHOTO, out, MakeSettings(**st, genre="jazz"), progress=None)
    assert fallback.arrangement["chosen_by"] == "mood"
    assert any(f["what"] == "composer" and "music21" in f["error"] for f in fallback.failures)
    with pytest.raises(ConfigError, match="genre"):
        make(BUNDLED_PHOTO, out, MakeSettings(**st, genre="polka"), progress=None)


def test_changed_stage_code_reruns_that_stage_and_later_ones(first, tmp_path, monkeypatch):
    """An upgraded builder (its source files hash differently) must not reuse the old instruments."""
    from server.make import pipeline

    res, _ = first
    out = tmp_path / "c"
    shutil.copytree(res.out_dir, out)
    real = pipeline.code_fingerprint
    monkeypatch.setattr(pipeline, "code_fingerprint", lambda stage: real(stage) + ("-new" if stage == "build" else ""))
    again = make(BUNDLED_PHOTO, out, MakeSettings(**SETTINGS), progress=None)
    status = {k: r.status for k, r in again.stages.items()}
    assert status == {"scene": "cached", "sounds": "cached", "timbre": "cached", "build": "done",
                      "song": "done", "report": "done"}


def test_code_fingerprint_follows_the_stage_files(tmp_path, monkeypatch):
    from server.make import pipeline

    prints = {stage: pipeline.code_fingerprint(stage) for stage in pipeline.STAGES}
    assert len(set(prints.values())) == len(prints)  # each stage hashes its own files
    pkg = tmp_path / "server"
    (pkg / "build").mkdir(parents=True)
    (pkg / "build" / "a.py").write_text("x = 1\n")
    (tmp_path / "instruments" / "builtin").mkdir(parents=True)
    (tmp_path / "instruments" / "builtin" / "bass.ts").write_bytes(b"model v1")
    monkeypatch.setattr(pipeline, "_PKG", pkg)
    monkeypatch.setattr(pipeline, "STAGE_CODE", {"build": ("build",), "timbre": ("../instruments/builtin",)})
    monkeypatch.setattr(pipeline, "_code_cache", {})
    before = {stage: pipeline.code_fingerprint(stage) for stage in ("build", "timbre")}
    (pkg / "build" / "a.py").write_text("x = 2\n")  # an upgraded builder
    (tmp_path / "instruments" / "builtin" / "bass.ts").write_bytes(b"model v2")  # a rebuilt model
    (pkg / "build" / "notes.txt").write_text("not code")
    pipeline._code_cache.clear()
    after = {stage: pipeline.code_fingerprint(stage) for stage in ("build", "timbre")}
    assert after["build"] != before["build"] and after["timbre"] != before["timbre"]
    (pkg / "build" / "notes.txt").write_text("still not code")
    pipeline._code_cache.clear()
    assert pipeline.code_fingerprint("build") == after["build"]


def test_failed_source_and_role_are_skipped(first, tmp_path, monkeypatch):
    """A source whose synthesis fails is reported and left out; a role whose timbre model is missing is
    reported and the set is built from the others."""
    from server.make import pipeline
    from server.scene import SceneSpec
    from server.sounds import generate

    res, _ = first
    real = generate.synthesize

    def failing(desc, *a, **k):
        if desc.name == "table":
            raise RuntimeError("synthesiser crashed on purpose")
        return real(desc, *a, **k)

    monkeypatch.setattr(generate, "synthesize", failing)
    ctx = {"image": BUNDLED_PHOTO, "out": tmp_path, "failures": [], "settings": MakeSettings(**SETTINGS),
           "spec": SceneSpec.load(res.out_dir / "scene.json")}
    outputs, info = pipeline._sounds(ctx)
    assert [f["what"] for f in ctx["failures"]] == ["source 2 'table'"]
    assert "RuntimeError" in ctx["failures"][0]["error"]
    names = [s["name"] for s in ctx["manifest"]["sources"]]
    cup = ctx["spec"].sound_sources[0].name  # the coffee cup, as the scene names it ("espresso", "cup")
    assert names == [cup, "room tone"] and (tmp_path / "scene.wav").is_file()
    # the cup takes over the table's roles through more variants: all four roles still have a sound
    assert set(ctx["role_sounds"]) == set(ROLES)
    assert all(p.is_file() and generate.slugify(cup) in p.name for p in ctx["role_sounds"].values())
    monkeypatch.undo()

    ctx["failures"] = []
    ctx["settings"] = MakeSettings(**SETTINGS, timbre_models={"guitar": str(tmp_path / "missing.ts")})
    ctx["role_sounds"] = {r: ctx["role_sounds"][r] for r in ("keyboard", "guitar")}
    pipeline._timbre(ctx)
    assert [f["what"].split()[0] for f in ctx["failures"]] == ["guitar"]
    assert set(ctx["timbre_sounds"]) == {"keyboard"}


def test_cli_bad_input(tmp_path, capsys):
    from server.cli import main

    assert main(["make", str(tmp_path / "nope.jpg"), "-o", str(tmp_path / "o")]) == 1
    assert "no such image" in capsys.readouterr().err
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    assert main(["make", str(bad), "-o", str(tmp_path / "o")]) == 1
    assert main(["make", str(BUNDLED_PHOTO), "-o", str(tmp_path / "o"), "--seconds", "100"]) == 1
    assert "0.5-30" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.peer
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
def test_report_in_headless_chromium(first, tmp_path):
    """Chromium renders report.html from disk: the screenshot shows the photo with its role-coloured
    boxes, and the DOM holds one player per sound plus the song's."""
    from PIL import Image

    from server.make.report import ROLE_COLOURS

    res, _ = first
    url = (res.out_dir / "report.html").resolve().as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1400", "--hide-scrollbars"]
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], check=True, capture_output=True, timeout=120)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (1400, 1200)
    top = img[:700]
    for role in ("keyboard", "drums"):  # the cup's box (keyboard) and the table's (drums)
        rgb = np.array([int(ROLE_COLOURS[role][i : i + 2], 16) for i in (1, 3, 5)])
        near = np.abs(top - rgb).sum(axis=2) < 40
        assert near.sum() > 500, role
    assert top.std() > 30  # a photo, not a blank page
    dom = subprocess.run([*flags, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120).stdout
    manifest = json.loads((res.out_dir / "sounds.json").read_text())
    assert dom.count("<audio") >= 2 + len(manifest["sources"])


def test_failed_stage_keeps_finished_ones(first, tmp_path, monkeypatch):
    """A run that dies in the song stage has recorded the stages before it: the next run reuses them."""
    from server.make import pipeline

    res, _ = first
    out = tmp_path / "c"
    shutil.copytree(res.out_dir, out)
    st = MakeSettings(**{**SETTINGS, "step": 12})  # the build stage and those after it re-run

    def broken(ctx):
        raise RuntimeError("song stage crashed on purpose")

    monkeypatch.setitem(pipeline._ADAPTERS, "song", (broken, pipeline._ADAPTERS["song"][1]))
    with pytest.raises(RuntimeError):
        make(BUNDLED_PHOTO, out, st, progress=None)
    monkeypatch.undo()
    again = make(BUNDLED_PHOTO, out, st, progress=None)
    status = {k: r.status for k, r in again.stages.items()}
    assert status == {"scene": "cached", "sounds": "cached", "timbre": "cached", "build": "cached",
                      "song": "done", "report": "done"}
    assert again.stages["build"].info["build"]["instruments"]["keyboard"]["zones"] < \
        res.stages["build"].info["build"]["instruments"]["keyboard"]["zones"]


def test_a_library_sound_backend_is_accepted_and_its_changes_redo_the_sounds(tmp_path):
    import soundfile as sf

    from server.errors import ConfigError
    from server.make import pipeline

    lib = tmp_path / "lib"
    lib.mkdir()
    sf.write(lib / "rain on a roof.wav", np.zeros(4800, dtype="float32") + 0.01, 48000)
    st = MakeSettings(sounds_backend=f"library:{lib}")
    st.check()
    with pytest.raises(ConfigError, match="not a folder"):
        MakeSettings(sounds_backend=f"library:{tmp_path / 'none'}").check()
    key = pipeline._ADAPTERS["sounds"][1]
    before = key(st, "set")
    sf.write(lib / "dog barking.wav", np.zeros(4800, dtype="float32") + 0.01, 48000)
    assert key(st, "set") != before  # a new recording changes the sounds stage's cache key
