"""MIDI parsing: tempo map, validation of bad files, track roles."""

from __future__ import annotations

import mido
import pytest
from midi_helpers import note, seconds_at, write_midi

from server.errors import InputError
from server.midi.roles import gm_program_role, track_role
from server.midi.song import NOTE_ON, load_song


def test_tempo_map_times_match_formula(tmp_path):
    tempos = [(0, 100.0), (8, 150.0), (12, 60.0)]
    evs = []
    beats = [0, 3.5, 8, 9.25, 12, 13.5]
    for b in beats:
        evs += note(b, 0.25, 60)
    song = load_song(write_midi(tmp_path / "t.mid", evs, tempos))
    ons = [e.time for e in song.events if e.kind == NOTE_ON]
    for b, t in zip(beats, ons, strict=True):
        assert t == pytest.approx(seconds_at(b, tempos), abs=1e-9)
    assert [round(b) for _, b in song.tempo_changes] == [100, 150, 60]


def test_note_on_velocity_zero_is_note_off(tmp_path):
    evs = [(0, mido.Message("note_on", note=60, velocity=90)), (1, mido.Message("note_on", note=60, velocity=0))]
    song = load_song(write_midi(tmp_path / "v0.mid", evs))
    assert [e.kind for e in song.events] == [1, 0]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not a Standard MIDI File"),
        (b"", "not a Standard MIDI File"),
    ],
)
def test_non_midi_refused(tmp_path, content, message):
    p = tmp_path / "x.mid"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_song(p)


def test_truncated_midi_refused(tmp_path):
    good = write_midi(tmp_path / "g.mid", note(0, 1, 60) + note(1, 1, 62))
    data = good.read_bytes()
    bad = tmp_path / "trunc.mid"
    bad.write_bytes(data[: len(data) - 9])
    with pytest.raises(InputError, match="truncated|corrupt"):
        load_song(bad)


def test_no_notes_refused(tmp_path):
    p = write_midi(tmp_path / "empty.mid", [(0, mido.Message("control_change", control=7, value=100))])
    with pytest.raises(InputError, match="no notes"):
        load_song(p)
    assert load_song(p, require_notes=False).note_count == 0


@pytest.mark.parametrize("bpm", [4.0, 4000.0])
def test_absurd_tempo_refused(tmp_path, bpm):
    p = write_midi(tmp_path / "fast.mid", note(0, 1, 60), tempos=[(0, bpm)])
    with pytest.raises(InputError, match="absurd tempo"):
        load_song(p)


def test_type2_and_missing_refused(tmp_path):
    mf = mido.MidiFile(type=2)
    mf.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60), mido.Message("note_off", note=60, time=10)]))
    mf.save(str(tmp_path / "t2.mid"))
    with pytest.raises(InputError, match="type 2"):
        load_song(tmp_path / "t2.mid")
    with pytest.raises(InputError, match="no such MIDI file"):
        load_song(tmp_path / "nope.mid")


def test_track_roles_from_channel_program_and_register():
    assert track_role(9, 0) == "drums"
    assert track_role(0, 0) == "keyboard"  # acoustic grand
    assert track_role(0, 19) == "keyboard"  # church organ
    assert track_role(0, 25) == "guitar"
    assert track_role(0, 33) == "bass"
    assert track_role(0, 42, median_note=40) == "bass"  # cello low: bass by register
    assert track_role(0, 42, median_note=67) == "other"  # cello high: none of the four
    assert track_role(0, 105) == "guitar"  # banjo
    assert gm_program_role(56) == "keyboard"  # trumpet -> closest role in an image set
    assert gm_program_role(118) == "drums"  # synth drum
    with pytest.raises(ValueError):
        track_role(0, 128)


def test_inspect_track_facts(tmp_path):
    mf = mido.MidiFile(type=1, ticks_per_beat=480)
    for ch, prog, keys in ((0, 0, (60, 64, 67)), (1, 33, (28,)), (9, 0, (36,))):
        tr = mido.MidiTrack([mido.MetaMessage("track_name", name=f"t{ch}"), mido.Message("program_change", channel=ch, program=prog)])
        for k in keys:
            tr.append(mido.Message("note_on", channel=ch, note=k, velocity=80))
        tr.append(mido.Message("note_off", channel=ch, note=keys[0], time=480))
        for k in keys[1:]:
            tr.append(mido.Message("note_off", channel=ch, note=k))
        mf.tracks.append(tr)
    mf.save(str(tmp_path / "three.mid"))
    song = load_song(tmp_path / "three.mid")
    facts = [(t.name, t.channels, t.program, t.lowest, t.highest, t.polyphony, t.role) for t in song.tracks]
    assert facts == [
        ("t0", [0], 0, 60, 67, 3, "keyboard"),
        ("t1", [1], 33, 28, 28, 1, "bass"),
        ("t9", [9], 0, 36, 36, 1, "drums"),
    ]
    assert song.channel_roles() == {0: "keyboard", 1: "bass", 9: "drums"}


def _smf(fmt: int, ntracks: int, tpb: int, *tracks: bytes) -> bytes:
    import struct

    return (b"MThd" + struct.pack(">IHHH", 6, fmt, ntracks, tpb)
            + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks))


NOTE = b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"  # C4 for 96 ticks, end of track


@pytest.mark.parametrize("name, data, msg", [
    ("running status first", _smf(0, 1, 480, b"\x00\x3c\x40\x00\xff\x2f\x00"), "corrupt: running status"),
    ("header announces 5 tracks", _smf(1, 5, 480, NOTE), "truncated"),
    ("tempo meta of 1 byte", _smf(0, 1, 480, b"\x00\xff\x51\x01\x07" + NOTE), "corrupt"),
    ("key signature of 99 sharps", _smf(0, 1, 480, b"\x00\xff\x59\x02\x63\x00" + NOTE), "corrupt"),
    ("zero ticks per beat", _smf(0, 1, 0, NOTE), "time division"),
    ("a delta of 4660 minutes", _smf(0, 1, 480, b"\x00\x90\x3c\x40\xff\xff\xff\x7f\x80\x3c\x00\x00\xff\x2f\x00"),
     "the limit is 60"),
])
def test_malformed_files_refused_with_a_reason(tmp_path, name, data, msg):
    p = tmp_path / "bad.mid"
    p.write_bytes(data)
    with pytest.raises(InputError, match=msg):
        load_song(p)


def test_odd_but_valid_files_load(tmp_path):
    """A type-0 file with two tracks and a track without end-of-track still play; a folder is named as one."""
    for data in (_smf(0, 2, 480, NOTE, NOTE), _smf(0, 1, 480, NOTE[:-4])):
        (tmp_path / "odd.mid").write_bytes(data)
        assert load_song(tmp_path / "odd.mid").note_count >= 1
    with pytest.raises(InputError, match="is a folder"):
        load_song(tmp_path)
