"""Mood-fitted arrangement: song choice, tempo and key from the mood (measured in the rendered audio),
pan from the picture (L/R level in dB), the soundscape under intro and outro."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from server.errors import ConfigError
from server.make import arrange
from server.make.arrange import layer_intro_outro, scale_demo
from server.render import RenderSettings, render_song
from server.scene import Mood
from tests.helpers.arrange import audio_pitch_weights, solo

SR = 24000


def _render(mf: mido.MidiFile, *, raw: bool = True) -> np.ndarray:
    return render_song(arrange.to_song(mf), settings=RenderSettings(sample_rate=SR, raw=raw, tail=1.0, progress=False))


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12))


def test_demo_song_keys_from_notes():
    for mode, path in arrange.DEMO_SONGS.items():
        from server.midi.song import load_song

        key = arrange.estimate_key(arrange.song_pitch_weights(load_song(path)))
        assert key.name == {"major": "D major", "minor": "A minor"}[mode]


@pytest.mark.parametrize("valence,arousal", [(0.6, 0.755), (-0.5, 0.2), (0.95, 0.05), (-0.9, 0.9), (0.0, 0.5)])
def test_mood_rules(valence, arousal):
    arr, mf = arrange.plan(Mood(valence=valence, arousal=arousal), {})
    mode = "major" if valence >= 0 else "minor"
    assert arr.mode == mode and arr.song == str(arrange.DEMO_SONGS[mode])
    want = 60 + 80 * arousal
    factor = np.clip(want / arr.source_bpm, 0.6, 1.6)
    assert arr.bpm == pytest.approx(arr.source_bpm * factor, abs=1e-3)
    assert 60 * 0.999 <= arr.bpm <= 140 * 1.001
    assert arr.transpose == round(3 * valence)
    song = arrange.to_song(mf)
    # every tempo event scaled by the same factor (harbour_lights' 92 -> 80 change keeps its ratio)
    orig = arrange.to_song(mido.MidiFile(arr.song))
    for (_, b0), (_, b1) in zip(orig.tempo_changes, song.tempo_changes, strict=True):
        assert b1 / b0 == pytest.approx(arr.tempo_factor, rel=1e-5)
    # the arranged notes are in the planned key
    assert arrange.estimate_key(arrange.song_pitch_weights(song)).name == arr.key
    # drums are not transposed
    drums = [e.a for e in song.events if e.channel == 9 and e.kind == 1]
    assert drums == [e.a for e in orig.events if e.channel == 9 and e.kind == 1]


def _onset_envelope(y: np.ndarray, hop: int) -> np.ndarray:
    x = y.mean(axis=0)
    n = x.size // hop
    e = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    d = np.maximum(np.diff(np.log(e + 1e-4)), 0)
    return np.convolve(d, np.hanning(5), mode="same")  # ~20 ms smoothing


def test_tempo_and_key_measured_in_audio():
    """Render original and arranged: the drum onsets are the original's scaled by 1/factor, and the
    pitch-class profile is the original's rotated by the transposition."""
    arr, mf = arrange.plan(Mood(valence=-0.6, arousal=0.15), {})  # harbour_lights, slower, -2 st
    orig = mido.MidiFile(arr.song)
    hop = SR // 200  # 5 ms
    ea = _onset_envelope(_render(solo(mf, "drums")), hop)
    eo = _onset_envelope(_render(solo(orig, "drums")), hop)
    spans = []
    for env in (eo, ea):  # first to last drum hit: every time scales by 1/factor
        hits = np.flatnonzero(env > 0.3 * env.max())
        spans.append((hits[-1] - hits[0]) * hop / SR)
    measured = spans[0] / spans[1]
    assert measured == pytest.approx(arr.tempo_factor, abs=0.005)
    # key: chroma of the pitched parts, circularly cross-correlated
    pitched = ("bass", "guitar", "keyboard")
    wa = sum(audio_pitch_weights(_render(solo(mf, r)), SR) for r in pitched)
    wo = sum(audio_pitch_weights(_render(solo(orig, r)), SR) for r in pitched)
    corr = [np.corrcoef(np.roll(wo, s), wa)[0, 1] for s in range(12)]
    shift = int(np.argmax(corr))
    assert shift == arr.transpose % 12
    second = sorted(corr)[-2]
    assert max(corr) > 0.9 and max(corr) - second > 0.3


def test_pan_follows_box():
    """A role placed left plays louder on the left by the MIDI pan law; centre is balanced."""
    pans = {"bass": -0.9, "keyboard": 0.9, "guitar": 0.0, "drums": 0.5}
    arr, mf = arrange.plan(Mood(valence=0.5, arousal=0.5), pans)
    levels = {}
    for role in pans:
        y = _render(solo(mf, role))
        levels[role] = _db(y[0]) - _db(y[1])
    assert levels["bass"] > 10 and levels["keyboard"] < -10
    assert abs(levels["guitar"]) < 1.5
    assert -10 < levels["drums"] < -2
    # the song's own pan CCs are replaced, one per channel
    ccs = [m for tr in mf.tracks for m in tr if m.type == "control_change" and m.control == 10]
    assert sorted((m.channel, m.value) for m in ccs) == sorted(
        {(0, 121), (1, 64), (2, 7), (9, 96)})  # sunday_market: keyboard ch0, guitar ch1, bass ch2


def test_role_pans_from_boxes():
    from server.scene import SceneSpec

    spec = SceneSpec.from_data({"scene_description": "x", "mood_description": "y", "sound_sources": [
        {"name": "bell", "material": "metal", "box": [0.0, 0.1, 0.2, 0.3],
         "variants": [{"play_method": "struck", "timbre": ["bright"], "mapping_to_music_instrument": "keyboard"}]},
        {"name": "wind", "material": "air", "ambience": True,
         "variants": [{"play_method": "blowing", "timbre": ["soft"], "mapping_to_music_instrument": "bass"}]},
    ]})
    pans = arrange.role_pans(spec, {"keyboard": (0, 0), "bass": (1, 0)})
    assert pans == {"keyboard": pytest.approx(-0.8), "bass": 0.0}


def test_song_override_and_bad_input(tmp_path):
    arr, _ = arrange.plan(Mood(valence=0.8, arousal=0.5), {}, arrange.DEMO_SONGS["minor"])
    assert arr.chosen_by == "--song" and arr.mode == "minor" and arr.key == "B minor"  # A minor + round(2.4)
    with pytest.raises(ConfigError):
        arrange.estimate_key(np.zeros(12))


def test_layer_intro_outro_levels():
    sr = 8000
    song = np.full((2, 10 * sr), 0.5, np.float32) * np.sin(np.arange(10 * sr) * 2 * np.pi * 440 / sr)
    scene = np.random.default_rng(0).standard_normal((2, 2 * sr)).astype(np.float32) * 0.1
    out = layer_intro_outro(song, scene, sr, level_db=-10)
    added = out - song * (float(np.max(np.abs(out))) and 1.0)
    assert np.allclose(out[:, 3 * sr : 7 * sr], song[:, 3 * sr : 7 * sr])  # the middle is untouched
    head = added[:, : sr // 10]  # first 100 ms: the ramp is ~1
    # scene peak set to -10 dB re. the song's peak (0.5): its RMS relative to its own peak is kept
    want = 20 * np.log10(0.5) - 10 + _db(scene[:, : sr // 10]) - 20 * np.log10(np.max(np.abs(scene[:, : 2 * sr])))
    assert _db(head) == pytest.approx(want, abs=0.5)
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-6


def test_scale_demo_notes():
    mf = scale_demo("keyboard", tonic=2)  # D major from D4
    notes = [m.note for m in mf.tracks[0] if m.type == "note_on"]
    assert notes[:8] == [62, 64, 66, 67, 69, 71, 73, 74] and notes[-1] == 62
    notes = [m.note for m in scale_demo("bass", tonic=7, mode="minor").tracks[0] if m.type == "note_on"]
    assert notes[:8] == [31, 33, 34, 36, 38, 39, 41, 43]  # G minor from G1 (nearest G to C2)
    drums = scale_demo("drums")
    assert {m.channel for m in drums.tracks[0] if m.type == "note_on"} == {9}


def _scene(**kw):
    from server.scene import SceneSpec

    data = {"scene_description": "friends shopping on a sunny street", "mood_description": "bright, lively, joyful",
            "sound_sources": [{"name": "bell", "material": "metal", "box": [0.0, 0.1, 0.2, 0.3], "variants": [
                {"play_method": "struck", "timbre": ["bright"], "mapping_to_music_instrument": "keyboard"}]}]}
    data.update(kw)
    return SceneSpec.from_data(data)


def test_composed_song_is_the_default_plan():
    """wave make's song: composed for the scene (genre from its description, mood from its words here),
    parts only for the set's roles, each panned to its source; the record names genre, key, tempo and form."""
    pans = {"keyboard": -0.8, "bass": 0.5}
    arr, mf = arrange.compose_plan(_scene(), ["keyboard", "bass"], pans, seed=3)
    assert arr.chosen_by == "composer" and arr.genre == "pop" and arr.mood_source == "words"
    assert arr.mode == "major" and arr.valence > 0
    song = arrange.to_song(mf)
    assert set(song.channel_roles().values()) == {"keyboard", "bass"}
    assert song.tempo_changes[0][1] == pytest.approx(arr.bpm, rel=1e-6)
    assert [f["name"] for f in arr.form] == ["intro", "A", "B", "A'", "outro"] and 45 <= arr.seconds <= 90
    assert len(arr.chords) == sum(f["bars"] for f in arr.form)
    # one pan CC per channel, from its role's source
    ccs = {(m.channel, m.value) for tr in mf.tracks for m in tr if m.type == "control_change" and m.control == 10}
    roles = song.channel_roles()
    assert {(ch, arrange.pan_cc(pans[roles[ch]])) for ch in roles} == ccs
    # the key the composer reports is the key the notes are in
    assert arrange.estimate_key(arrange.song_pitch_weights(song)).name == arr.key
    # another seed: another song
    arr2, mf2 = arrange.compose_plan(_scene(), ["keyboard", "bass"], pans, seed=4)
    notes = [[m.note for tr in f.tracks for m in tr if m.type == "note_on" and m.velocity] for f in (mf, mf2)]
    assert notes[0] != notes[1]
