"""The composer: mood -> key/mode and tempo measured in the MIDI (music21's Krumhansl-Schmuckler key
analysis, the file's tempo), seeds -> different melodies, every part inside its instrument's range, the form
where the song says, determinism, musicality checks (chord tones on strong beats, no parallel octaves with the
bass, drum onsets on the genre template's grid), genre from the description, mood from words, the CLI and
`wave inspect`."""

from __future__ import annotations

import io
import itertools
import json

import mido
import numpy as np
import pytest

from server.compose import GENRE_NAMES, GENRES, classify_genre, compose, compose_scene
from server.compose.composer import STRONG_STEPS, bar_drums, role_range, step_beat
from server.compose.mood import MODE_FAMILY, mood_from_words, music_params
from server.errors import ConfigError
from server.midi.roles import DRUM_CHANNEL, GM_DRUM_KEYS
from server.midi.song import song_from_midifile
from server.scene import SceneSpec

PITCHED = ("bass", "guitar", "keyboard")


def _midi(c) -> mido.MidiFile:
    """The composition written to bytes and read back, as any reader of the file sees it."""
    buf = io.BytesIO()
    c.to_midi().save(file=buf)
    buf.seek(0)
    return mido.MidiFile(file=buf)


def _notes(mf: mido.MidiFile) -> dict[int, list[tuple[float, float, int]]]:
    """channel -> [(start beat, end beat, key)] measured from the file's ticks."""
    tpb = mf.ticks_per_beat
    out: dict[int, list] = {}
    for tr in mf.tracks:
        now, on = 0, {}
        for m in tr:
            now += m.time
            if m.type == "note_on" and m.velocity > 0:
                on[(m.channel, m.note)] = now
            elif m.type in ("note_on", "note_off") and (m.channel, m.note) in on:
                t0 = on.pop((m.channel, m.note))
                out.setdefault(m.channel, []).append((t0 / tpb, now / tpb, m.note))
    return {ch: sorted(v) for ch, v in out.items()}


def _channel(c, name: str) -> int:
    return c.part(name).channel


def _music21_key(mf: mido.MidiFile, tmp_path):
    import music21

    path = tmp_path / "k.mid"
    mf.save(str(path))
    k = music21.converter.parse(str(path)).analyze("key.krumhansl")  # Krumhansl-Schmuckler
    return k.tonic.pitchClass, k.mode


def _tempo(mf: mido.MidiFile) -> float:
    return mido.tempo2bpm(next(m.tempo for tr in mf.tracks for m in tr if m.type == "set_tempo"))


@pytest.mark.parametrize("genre", ["pop", "folk", "rock", "jazz", "lo-fi hip hop"])
@pytest.mark.parametrize("seed", [0, 1])
def test_mood_gives_key_mode_and_tempo(genre, seed, tmp_path):
    """A happy, excited scene and a sad, calm one: major vs minor by music21's key analysis of the MIDI (the
    tonic the composer chose), and the tempo the mapping gives (the genre's range by arousal), faster when excited."""
    happy = compose_scene(_scene(mood={"valence": 0.7, "arousal": 0.85}), genre=genre, roles=PITCHED, seed=seed)
    sad = compose_scene(_scene(mood={"valence": -0.6, "arousal": 0.15}), genre=genre, roles=PITCHED, seed=seed)
    g = GENRES[genre]
    measured = {}
    for c, family, arousal in ((happy, "major", 0.85), (sad, "minor", 0.15)):
        mf = _midi(c)
        tonic, mode = _music21_key(mf, tmp_path)
        assert (tonic, mode) == (c.harmony.tonic, family), (genre, c.harmony.name)
        assert MODE_FAMILY[c.harmony.mode] == family
        measured[family] = _tempo(mf)
        assert measured[family] == pytest.approx(g.bpm[0] + (g.bpm[1] - g.bpm[0]) * arousal, abs=0.01)
    assert measured["major"] > measured["minor"] + 0.5 * (g.bpm[1] - g.bpm[0])
    # loudness follows arousal too (mean velocity of the melody)
    vel = [np.mean([n.velocity for n in c.part("melody").notes]) for c in (happy, sad)]
    assert vel[0] > vel[1] + 20


def test_mode_ladder_follows_valence():
    modes = [music_params(v, 0.5, GENRES["pop"]).mode for v in (0.9, 0.2, 0.0, -0.3, -0.9)]
    assert modes == ["ionian", "mixolydian", "dorian", "aeolian", "harmonic minor"]
    # register rises with valence, articulation shortens with arousal
    assert music_params(0.9, 0.5, GENRES["pop"]).register_shift > music_params(-0.9, 0.5, GENRES["pop"]).register_shift
    assert music_params(0, 1, GENRES["pop"]).articulation < music_params(0, 0, GENRES["pop"]).articulation


def _melody_line(c) -> list[tuple[float, int]]:
    return [(s, k) for s, _e, k in _notes(_midi(c))[_channel(c, "melody")]]


def test_seeds_give_different_melodies_not_transpositions():
    lines = {s: _melody_line(compose(0.3, 0.6, "pop", seed=s)) for s in range(5)}
    for a, b in itertools.combinations(lines, 2):
        la, lb = lines[a], lines[b]
        ia = np.diff([k for _t, k in la])
        ib = np.diff([k for _t, k in lb])
        rhythm_same = [t for t, _k in la] == [t for t, _k in lb]
        intervals_same = ia.size == ib.size and np.array_equal(ia, ib)
        assert not (rhythm_same and intervals_same), f"seeds {a} and {b}: one melody is the other transposed"
        # and they differ substantially: under half of the first 32 intervals agree
        n = min(32, ia.size, ib.size)
        assert np.mean(ia[:n] == ib[:n]) < 0.5


@pytest.mark.parametrize("genre", GENRE_NAMES)
def test_every_role_plays_in_range_and_inspect_finds_it(genre):
    for arousal in (0.0, 1.0):
        c = compose(-0.4 if arousal else 0.8, arousal, genre, seed=2)
        mf = _midi(c)
        song = song_from_midifile(mf)
        roles = song.channel_roles()
        assert sorted(set(roles.values())) == sorted(("drums", "bass", "guitar", "keyboard")), roles
        assert roles[DRUM_CHANNEL] == "drums"
        for ch in song.channels:
            lo, hi = role_range(ch.role)
            assert lo <= ch.lowest and ch.highest <= hi, (genre, ch.role, ch.lowest, ch.highest)
            assert ch.note_count >= 8
        if ch.role == "drums":
            assert set(n for _s, _e, n in _notes(mf)[DRUM_CHANNEL]) <= set(GM_DRUM_KEYS.values())
        assert 45.0 <= c.seconds <= 90.0
        bar_s = 4 * 60 / c.bpm
        assert c.seconds - bar_s < song.duration <= c.seconds + 1e-3  # the last note ends in the last bar
        melody = _notes(mf)[_channel(c, "melody")]
        assert all(b[0] >= a[1] - 1e-6 for a, b in itertools.pairwise(melody)), "the melody is one voice"


@pytest.mark.parametrize("roles", [("drums", "bass"), ("guitar",), ("keyboard", "bass"), ("drums", "guitar", "keyboard")])
def test_parts_only_for_the_roles_the_set_has(roles):
    c = compose(0.2, 0.6, "rock", roles=roles, seed=0)
    found = set(song_from_midifile(_midi(c)).channel_roles().values())
    assert found == set(roles)
    if "guitar" in roles or "keyboard" in roles:
        assert c.part("melody") is not None and c.part("comp") is not None
    # the song is the same song whichever roles play it: same key, tempo, chords and rhythm of the drums
    full = compose(0.2, 0.6, "rock", seed=0)
    assert (c.harmony, c.bpm, c.chords) == (full.harmony, full.bpm, full.chords)
    if "drums" in roles:
        assert [(n.start, n.pitch) for n in c.part("drums").notes] == [(n.start, n.pitch) for n in full.part("drums").notes]


def test_sections_are_where_the_song_says():
    c = compose(0.5, 0.5, "folk", seed=4)
    mf = _midi(c)
    info = c.info()
    markers = [(m.text, t) for t, m in _abs(mf.tracks[0]) if m.type == "marker"]
    tpb = mf.ticks_per_beat
    want = [(s["name"], s["start_bar"] * 4 * tpb) for s in info["form"]] + [("end", c.bars * 4 * tpb)]
    assert markers == want
    assert [s["name"] for s in info["form"]] == ["intro", "A", "B", "A'", "outro"]
    # times in seconds agree with the file's tempo
    for s in info["form"]:
        assert s["start_s"] == pytest.approx(s["start_bar"] * 4 * 60 / _tempo(mf), abs=1e-3)
    form = {s["name"]: s for s in info["form"]}
    mel = _notes(mf)[_channel(c, "melody")]

    def seg(name, bars=None):
        s = form[name]
        b0 = s["start_bar"] * 4
        b1 = b0 + 4 * (bars or s["bars"])
        return [(round(t - b0, 4), k) for t, _e, k in mel if b0 <= t < b1]

    assert seg("intro") == []  # the melody enters with A
    assert seg("A", 2) == seg("A'", 2) and seg("A", 2)  # A' restates A's opening
    assert seg("B", 2) != seg("A", 2)  # B is new material
    # A' plays A's chords and ends on the tonic; B ends on the dominant
    deg = info["degrees"]
    a, a2, b = form["A"], form["A'"], form["B"]
    assert deg[a["start_bar"]: a["start_bar"] + a["bars"] - 1] == deg[a2["start_bar"]: a2["start_bar"] + a2["bars"] - 1]
    assert deg[a2["start_bar"] + a2["bars"] - 1] == 1 and deg[b["start_bar"] + b["bars"] - 1] == 5 and deg[-1] == 1


@pytest.mark.parametrize("genre", GENRE_NAMES)
def test_a_prime_restates_a(genre):
    """Over seeds and moods: A' opens with A's rhythm and (but for a note moved off parallel octaves with the
    bass) A's pitches; B opens with something else."""
    for seed, (v, a) in itertools.product(range(3), ((0.6, 0.8), (-0.5, 0.2))):
        c = compose(v, a, genre, seed=seed)
        form = {s.name: s for s in c.sections}

        def opening(name, c=c, form=form):
            b0 = form[name].start_bar * 4
            return [(round(n.start - b0, 3), n.pitch) for n in c.part("melody").notes if b0 <= n.start < b0 + 8]

        a_, a2, b = opening("A"), opening("A'"), opening("B")
        assert [t for t, _ in a_] == [t for t, _ in a2] and len(a_) >= 2
        assert np.mean([p == q for (_, p), (_, q) in zip(a_, a2, strict=True)]) >= 0.75
        assert a_ != b


def _abs(track):
    now = 0
    for m in track:
        now += m.time
        yield now, m


def test_deterministic_for_a_seed():
    def data(seed):
        buf = io.BytesIO()
        compose(0.1, 0.4, "jazz", seed=seed).to_midi().save(file=buf)
        return buf.getvalue()

    assert data(7) == data(7)
    assert data(7) != data(8)


CASES = [(g, v, a, s) for g in GENRE_NAMES for (v, a) in ((0.7, 0.8), (-0.6, 0.2)) for s in (0, 1)]


@pytest.mark.parametrize("genre,valence,arousal,seed", CASES)
def test_musicality(genre, valence, arousal, seed):
    """Melody on a chord tone on beats 1 and 3 at least 85 % of the time; no parallel octaves between
    melody and bass at consecutive shared onsets; every drum onset where the genre's template puts one."""
    c = compose(valence, arousal, genre, seed=seed)
    mf = _midi(c)
    notes = _notes(mf)
    g = GENRES[genre]
    strong = {round(step_beat(s, g.swing), 4) for s in STRONG_STEPS}
    mel = notes[_channel(c, "melody")]
    hits = [k % 12 in c.chord_tones(int(t // 4)) for t, _e, k in mel if round(t % 4, 4) in strong]
    assert len(hits) >= 8 and np.mean(hits) >= 0.85, np.mean(hits)
    # parallel octaves / unisons
    bass = {round(t, 4): k for t, _e, k in notes[_channel(c, "bass")]}
    shared = [(k, bass[round(t, 4)]) for t, _e, k in mel if round(t, 4) in bass]
    for (m0, b0), (m1, b1) in itertools.pairwise(shared):
        parallel = (m0 - b0) % 12 == 0 and (m1 - b1) % 12 == 0 and np.sign(m1 - m0) == np.sign(b1 - b0) != 0
        assert not parallel, (m0, b0, m1, b1)
    # drums: un-swing each onset to its 16-step position, compare with the template of its bar
    grid = np.array([step_beat(s, g.swing) for s in range(16)])
    key_name = {v: k for k, v in GM_DRUM_KEYS.items()}
    bars: dict[int, dict[str, set[int]]] = {}
    tick = 1 / mf.ticks_per_beat
    for t, _e, k in notes[DRUM_CHANNEL]:
        bar, pos = int((t + tick) // 4), (t + tick) % 4 - tick
        step = int(np.argmin(np.abs(grid - pos)))
        assert abs(grid[step] - pos) <= tick, f"drum onset at beat {pos:.4f} of bar {bar} is off the grid"
        bars.setdefault(bar, {}).setdefault(key_name[k], set()).add(step)
    for bar, spec in enumerate(c.drum_bars):
        want = {} if spec is None else {k: {i for i, ch in enumerate(row) if ch != "."}
                                         for k, row in bar_drums(g, spec).items()}
        assert bars.get(bar, {}) == want, (bar, spec)


def test_drum_templates_are_the_genres():
    four = {0, 4, 8, 12}
    edm = bar_drums(GENRES["electronic dance"], {"level": "calm"})
    assert {i for i, ch in enumerate(edm["kick"]) if ch != "."} == four  # four on the floor
    rock = bar_drums(GENRES["rock"], {"level": "calm"})
    assert {i for i, ch in enumerate(rock["snare"]) if ch != "."} == {4, 12}  # backbeat
    assert "ride" in bar_drums(GENRES["jazz"], {"level": "calm"})
    assert GENRES["jazz"].swing > GENRES["lo-fi hip hop"].swing > 0.5 == GENRES["pop"].swing
    filled = bar_drums(GENRES["pop"], {"level": "calm", "fill": True, "crash": True})
    assert filled["snare"][12:] == "xxxx" and filled["crash"][0] == "X"


@pytest.mark.parametrize("text,genre", [
    ("a motorcycle parked on a highway", "rock"),
    ("cows grazing in a field near a farm", "folk"),
    ("a crowded dance floor under neon lights", "electronic dance"),
    ("a wine glass on a restaurant table in the evening", "jazz"),
    ("a foggy lake at dawn", "ambient"),
    ("an astronaut next to a rocket", "cinematic"),
    ("a cat asleep on a desk with books", "lo-fi hip hop"),
    ("friends shopping on a sunny street", "pop"),
])
def test_genre_from_description(text, genre):
    ch = classify_genre(text)
    assert ch.genre == genre and ch.method == "wordllama"
    assert ch.score == max(ch.scores.values()) and len(ch.scores) == len(GENRE_NAMES) >= 8


@pytest.mark.parametrize("words,sv,sa", [
    ("bright, lively, joyful", 1, 1), ("calm, warm, serene", 1, -1),
    ("tense, restless, dark", -1, 1), ("gloomy, still, melancholic", -1, -1),
])
def test_mood_from_words(words, sv, sa):
    m = mood_from_words(words)
    assert np.sign(m.valence) == sv and np.sign(m.arousal - 0.5) == sa and abs(m.valence) > 0.3
    assert mood_from_words("").method == "neutral"


def _scene(**kw) -> SceneSpec:
    data = {"scene_description": "a cat asleep on a desk with books", "mood_description": "gloomy, still, melancholic",
            "sound_sources": [{"name": "cup", "material": "ceramic", "variants": [
                {"play_method": "tapped", "timbre": ["bright"], "mapping_to_music_instrument": "keyboard"}]}]}
    data.update(kw)
    return SceneSpec.from_data(data)


def test_scene_without_mood_uses_its_words():
    c = compose_scene(_scene(), seed=0)
    assert c.mood_source == "words" and c.valence < 0 and c.arousal < 0.5
    assert MODE_FAMILY[c.harmony.mode] == "minor" and c.genre.genre == "lo-fi hip hop"
    c2 = compose_scene(_scene(mood={"valence": 0.8, "arousal": 0.9}), seed=0, genre="pop")
    assert c2.mood_source == "scene" and c2.harmony.mode == "ionian" and c2.genre.method == "--genre"


def test_bad_input():
    with pytest.raises(ConfigError, match="genre"):
        compose(0, 0.5, "polka")
    with pytest.raises(ConfigError, match="roles"):
        compose(0, 0.5, "pop", roles=("drums", "flute"))
    with pytest.raises(ConfigError, match="bars"):
        compose(0, 0.5, "pop", bars=4)
    with pytest.raises(ConfigError, match="seed"):
        compose(0, 0.5, "pop", seed=-1)
    with pytest.raises(ConfigError, match="valence"):
        compose(2, 0.5, "pop")


@pytest.mark.parametrize("bars", [8, 13, 20, 40, 64])
def test_bars_option_sets_the_length(bars):
    c = compose(0.0, 0.5, "pop", bars=bars, seed=0)
    assert c.bars == bars and sum(s.bars for s in c.sections) == bars
    if bars == 40:
        assert [s.bars for s in c.sections] == [5, 10, 10, 10, 5]
    song = song_from_midifile(_midi(c))
    assert song.duration == pytest.approx(c.seconds, abs=4 * 60 / c.bpm)
    # A' ends on the tonic, held
    a2 = next(s for s in c.sections if s.name == "A'")
    last = [n for n in c.part("melody").notes if a2.start_bar * 4 <= n.start < (a2.start_bar + a2.bars) * 4][-1]
    assert last.pitch % 12 == c.harmony.tonic and last.length >= 2


def test_cli_compose_and_inspect(tmp_path, capsys):
    from server.cli import main

    scene = tmp_path / "scene.json"
    _scene().save(scene)
    out = tmp_path / "songs" / "song.mid"
    assert main(["compose", str(scene), "-o", str(out), "--genre", "jazz", "--seed", "3", "--json",
                 str(tmp_path / "song.json")]) == 0
    said = capsys.readouterr().out
    assert "jazz" in said and "BPM" in said and out.is_file()
    assert main(["inspect", str(out)]) == 0
    table = capsys.readouterr().out
    assert "keyboard" in table and not any(r in table for r in ("drums", "bass", "guitar"))  # the scene's one role
    assert main(["compose", str(scene), "-o", str(out), "--roles", "drums,bass,guitar,keyboard"]) == 0
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    table = capsys.readouterr().out
    for role in ("drums", "bass", "guitar", "keyboard"):
        assert role in table
    plan = json.loads((tmp_path / "song.json").read_text())
    assert plan["genre"] == "jazz" and [f["name"] for f in plan["form"]] == ["intro", "A", "B", "A'", "outro"]
    assert main(["compose", str(scene), "-o", str(tmp_path / "x.wav")]) == 1
    assert "must be a .mid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["compose", str(scene), "-o", str(out), "--genre", "polka"])
    assert "unknown genre 'polka'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["make", "-o", str(tmp_path / "m"), "--genre", "polka"])
    assert "unknown genre 'polka'" in capsys.readouterr().err


def test_without_wordllama(monkeypatch):
    """Without the embedding: genres by character n-grams, moods by exact pole words."""
    import server.sounds.library as library

    monkeypatch.setattr(library, "text_embedder", lambda: None)
    ch = classify_genre("a jazz club with a saxophone and a piano bar")
    assert ch.method == "char-ngrams" and ch.genre == "jazz"
    m = mood_from_words("gloomy and quiet")
    assert m.method == "lexicon" and m.valence < 0 and m.arousal < 0.5
    assert mood_from_words("a table and a chair").method == "neutral"
