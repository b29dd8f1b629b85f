"""An instrument set from a folder of role-tagged sounds: one GM-complete SF2 + one SFZ per role, played
through `wave render` (server.render) with every role audible and in its own timbre."""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile as sf

from server.instruments_build import build_set, gm_presets
from server.midi.roles import DRUM_CHANNEL, gm_program_role
from tests.helpers.sf2 import read_sf2
from tests.test_build_drums import kit_sound
from tests.test_build_players import SR, bell, harmonic_tone, note_f0, peak_freq, rms_db

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("set")
    src = root / "sounds"
    src.mkdir()
    sf.write(str(src / "drums.wav"), kit_sound(), 44100)
    sf.write(str(src / "low_bass.wav"), harmonic_tone(110.0 * 2 ** (-17 / 1200), 1.5, 48000), 48000)
    sf.write(str(src / "bell_guitar.wav"), bell(392.0, 1.5, 48000), 48000)
    sf.write(str(src / "keyboard.flac"), harmonic_tone(440.0 * 2 ** (8 / 1200), 1.5, 48000), 48000)
    sf.write(str(src / "notes.wav"), harmonic_tone(300.0, 0.5, 48000), 48000)  # no role word: ignored
    return build_set(src, name="scene", sfz_dir=root / "sfz", sf2_dir=root / "sf2"), root


def test_set_layout_and_gm_presets(built_set):
    res, root = built_set
    assert res.sf2 == root / "sf2" / "scene.sf2"
    assert {r: p.name for r, p in res.sfz.items()} == {
        "drums": "drums.sfz",
        "bass": "bass.sfz",
        "guitar": "guitar.sfz",
        "keyboard": "keyboard.sfz",
    }
    parsed = read_sf2(res.sf2)
    assert parsed["version"] == (2, 1)
    melodic = {p["program"]: p for p in parsed["presets"] if p["bank"] == 0}
    assert sorted(melodic) == list(range(128))
    inst_names = [i["name"] for i in parsed["instruments"]]
    for prog, p in melodic.items():
        inst = inst_names[p["zones"][0]["instrument"]]
        assert inst.endswith(gm_program_role(prog)), (prog, inst)
    kits = [p for p in parsed["presets"] if p["bank"] == 128]
    assert {p["program"] for p in kits} >= {0} and all(
        inst_names[p["zones"][0]["instrument"]].endswith("drums") for p in kits
    )


def test_missing_roles_fall_back_to_the_closest():
    presets = gm_presets(["keyboard"])
    assert {r for _, _, r in presets} == {"keyboard"} and len(presets) == 128
    presets = gm_presets(["bass", "drums"])
    by_prog = {p: r for b, p, r in presets if b == 0}
    assert by_prog[0] == "bass" and by_prog[33] == "bass" and by_prog[118] == "drums"


def _song(path):
    """Four GM tracks, each alone for 2 s: piano A4, guitar (program 25) G4, bass (33) A2, drums."""
    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
    parts = [(0, 0, [69]), (1, 25, [67]), (2, 33, [45]), (DRUM_CHANNEL, 0, [36, 38, 42, 38])]
    for slot, (ch, prog, notes) in enumerate(parts):
        tr = mido.MidiTrack()
        mid.tracks.append(tr)
        tr.append(mido.Message("program_change", channel=ch, program=prog, time=0))
        now = 0
        step = 1920 // len(notes)
        for i, n in enumerate(notes):
            on = slot * 1920 + i * step
            tr.append(mido.Message("note_on", channel=ch, note=n, velocity=110, time=on - now))
            tr.append(mido.Message("note_off", channel=ch, note=n, velocity=0, time=step - 96))
            now = on + step - 96
    mid.save(str(path))
    return path


def test_gm_song_renders_with_the_set_every_role_audible(built_set, tmp_path):
    from server.render import render_midi_file

    res, _ = built_set
    song = _song(tmp_path / "song.mid")
    # The set as the only font: every sound heard comes from the built instruments.
    audio = render_midi_file(song, soundfont=res.sf2, tail=0.5, normalize="none", progress=False).mean(axis=0)
    slots = [audio[int((2 * i + 0.1) * SR) : int((2 * i + 1.2) * SR)] for i in range(4)]
    levels = [rms_db(s) for s in slots]
    assert min(levels) > max(levels) - 25, levels  # every role audible
    # keyboard slot: A4 in tune
    assert abs(1200 * np.log2(note_f0(slots[0], SR, 69) / 440.0)) < 5
    # guitar slot plays the bell: its inharmonic 2.76 partial is there, a harmonic 3rd partial is not
    f0 = note_f0(slots[1], SR, 67, harmonic=False)
    _, m276 = peak_freq(slots[1], SR, 2.76 * f0, 20)
    _, m3 = peak_freq(slots[1], SR, 3.0 * f0, 20)
    assert m276 > 10 * m3
    # bass slot: A2 in tune
    assert abs(1200 * np.log2(note_f0(slots[2], SR, 45) / 110.0)) < 5


def _track_role(track) -> str | None:
    for msg in track:
        if msg.type == "note_on" and msg.channel == DRUM_CHANNEL:
            return "drums"
        if msg.type == "program_change":
            return gm_program_role(msg.program)
    return "keyboard" if any(m.type == "note_on" for m in track) else None  # GM default program 0


def test_a_demo_song_from_midi_renders_with_the_set_every_role_audible(built_set, tmp_path):
    """A demo song from midi/, played by the set alone (no GM font), one render per role."""
    from server.paths import MIDI_DIR
    from server.render import render_midi_file

    songs = sorted(MIDI_DIR.glob("*.mid"))
    if not songs:
        pytest.skip("no demo song in midi/")
    res, _ = built_set
    song = mido.MidiFile(str(songs[0]))
    roles = {i: _track_role(t) for i, t in enumerate(song.tracks)}
    heard = {}
    for role in sorted({r for r in roles.values() if r}):
        part = mido.MidiFile(ticks_per_beat=song.ticks_per_beat)
        part.tracks.extend(t for i, t in enumerate(song.tracks) if roles[i] in (None, role))
        part.save(str(tmp_path / f"{role}.mid"))
        audio = render_midi_file(
            tmp_path / f"{role}.mid", soundfont=res.sf2, tail=0.5, normalize="none", progress=False
        )
        assert np.all(np.isfinite(audio))
        heard[role] = rms_db(audio.mean(axis=0))
    assert set(heard) >= {"drums", "bass"}, heard
    # audible: every role's part is well above the noise floor and within 20 dB of the loudest part
    assert all(level > -60 and level > max(heard.values()) - 20 for level in heard.values()), heard
