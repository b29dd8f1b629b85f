"""Roles per MIDI channel, not per track: type-0 files (every channel on one track), type-1 files whose
program changes sit on a conductor track, channel 10 drums, program changes mid-song, several channels on
one track; `wave inspect` lists channels; `--map chN=ROLE`; `--instrument ROLE=FONT` changes only the
channels of that role (measured in the rendered audio)."""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile as sf
from midi_helpers import GM_FONT, dry, note, write_midi

from server.cli import main
from server.errors import ConfigError
from server.midi.song import load_song
from server.render import apply_roles
from tests.helpers.analysis import cents, f0_autocorr

SR = 48000
PIANO, BASS, GUITAR = 0, 1, 2  # zero-based channels; drums on 9 (MIDI channel 10)
BASS_KEY = 45  # A2, 110 Hz


def band(notes_on_ch: int, program: int | None, keys, beats, dur=0.9, vel=90):
    evs = dry(notes_on_ch)
    if program is not None:
        evs.append((0, mido.Message("program_change", channel=notes_on_ch, program=program)))
    for b in beats:
        for k in keys:
            evs += note(b, dur, k, vel, ch=notes_on_ch)
    return evs


def four_instruments(*, with_bass: bool = True):
    """One track, four instruments: drums (ch 10), fingered bass (ch 2), nylon guitar (ch 3), piano (ch 1)."""
    evs = band(9, None, (36,), range(0, 8, 2)) + band(9, None, (38,), range(1, 8, 2)) + band(9, None, (42,), range(8))
    evs += band(PIANO, 0, (60, 64, 67), range(0, 8, 2), dur=1.8)
    evs += band(GUITAR, 24, (52, 59), range(8), dur=0.5)
    if with_bass:
        evs += band(BASS, 33, (BASS_KEY,), range(8), dur=0.95)
    else:
        evs += dry(BASS) + [(0, mido.Message("program_change", channel=BASS, program=33)),
                            (7.95, mido.Message("control_change", channel=BASS, control=7, value=100))]  # same end
    return evs


def tone_sf2(path, root_key: int = 69):
    """A one-preset SF2 made here: a looped pure sine, 440 Hz at ``root_key``, nothing else."""
    from server.instruments_build.model import LOOP_CONTINUOUS, Envelope, Instrument, Zone
    from server.instruments_build.sf2 import Preset, write_sf2

    n = SR // 10
    x = (0.7 * np.sin(2 * np.pi * 44 * np.arange(n) / n)).astype(np.float32)
    zone = Zone("sine", x, SR, root_key, 0, 127, loop_mode=LOOP_CONTINUOUS, loop_start=0, loop_end=n,
                envelope=Envelope(attack=0.0, hold=0.0, decay=0.0, sustain=1.0, release=0.05))
    return write_sf2(path, "sine", [Instrument("sine", "bass", [zone], SR)], [Preset("sine", 0, 0, 0)])


def run(args, capsys):
    rc = main(args)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def render_file(path, out, capsys, *extra):
    rc, _, err = run(["render", str(path), "-o", str(out), "--soundfont", GM_FONT, "--raw", "--tail", "0.3",
                      "--format", "float", "--no-progress", *extra], capsys)
    assert rc == 0, err
    return sf.read(str(out), dtype="float32")[0].T


def test_type0_file_gets_four_roles(tmp_path, capsys):
    p = write_midi(tmp_path / "band.mid", four_instruments())
    song = load_song(p)
    assert len(song.tracks) == 1
    assert song.channel_roles() == {PIANO: "keyboard", BASS: "bass", GUITAR: "guitar", 9: "drums"}
    rc, out, _ = run(["inspect", str(p)], capsys)
    assert rc == 0
    lines = out.splitlines()
    i = lines.index("channels:")
    chan = {ln.split()[0]: ln.split()[5] for ln in lines[i + 2:] if ln.strip()}
    assert chan == {"1": "keyboard", "2": "bass", "3": "guitar", "10": "drums"}, out


def test_instrument_changes_only_the_bass_channel(tmp_path, capsys):
    """The type-0 band rendered with and without `--instrument bass=sine.sf2`: with no bass notes the two
    renders are identical (no other channel touched); with bass notes the difference is the bass alone,
    now a pure sine at the bass note's pitch."""
    font = tone_sf2(tmp_path / "sine.sf2")
    full = write_midi(tmp_path / "band.mid", four_instruments())
    nobass = write_midi(tmp_path / "nobass.mid", four_instruments(with_bass=False))
    a = render_file(full, tmp_path / "a.wav", capsys)
    b = render_file(full, tmp_path / "b.wav", capsys, "--instrument", f"bass={font}")
    c = render_file(nobass, tmp_path / "c.wav", capsys)
    e = render_file(nobass, tmp_path / "e.wav", capsys, "--instrument", f"bass={font}")
    np.testing.assert_allclose(e, c, atol=1e-6)  # drums, piano and guitar untouched by the bass font
    assert np.abs(b - a).max() > 0.01  # the bass did change
    stem = (b - c).mean(axis=0)  # the bass as the sine font plays it (the band's channels are dry)
    seg = stem[int(0.1 * SR):int(3.9 * SR)]
    assert abs(cents(f0_autocorr(seg, SR), 440.0 * 2 ** ((BASS_KEY - 69) / 12))) < 5
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f = np.fft.rfftfreq(len(seg), 1 / SR)
    fund = spec[(f > 100) & (f < 120)].max()
    assert spec[f > 150].max() < fund * 10 ** (-30 / 20)  # a sine: no harmonics of a bass guitar left
    gm_stem = (a - c).mean(axis=0)[int(0.1 * SR):int(3.9 * SR)]
    gspec = np.abs(np.fft.rfft(gm_stem * np.hanning(len(gm_stem))))
    assert gspec[f > 150].max() > gspec[(f > 100) & (f < 120)].max() * 10 ** (-30 / 20)  # GM bass had them


def test_drums_instrument_changes_only_channel_10(tmp_path, capsys):
    font = tone_sf2(tmp_path / "sine.sf2")
    evs = four_instruments()
    p = write_midi(tmp_path / "band.mid", evs)
    kitless = write_midi(tmp_path / "nodrums.mid", [(b, m) for b, m in evs if m.channel != 9 or m.type != "note_on"
                                                    and m.type != "note_off"])
    a = render_file(kitless, tmp_path / "a.wav", capsys)
    b = render_file(kitless, tmp_path / "b.wav", capsys, "--instrument", f"drums={font}")
    np.testing.assert_allclose(b, a, atol=1e-6)
    full = render_file(p, tmp_path / "f.wav", capsys)
    routed = render_file(p, tmp_path / "r.wav", capsys, "--instrument", f"drums={font}")
    assert np.abs(routed - full).max() > 0.01


def test_map_channel_and_track(tmp_path, capsys):
    font = tone_sf2(tmp_path / "sine.sf2")
    p = write_midi(tmp_path / "band.mid", four_instruments())
    song = load_song(p)
    apply_roles(song, {"ch2": "keyboard"})
    assert song.channel_roles()[BASS] == "keyboard"
    apply_roles(song, {"0": "guitar"})  # a track maps every channel it plays
    assert set(song.channel_roles().values()) == {"guitar"}
    for key, msg in (("ch11", "channel 11 plays no notes"), ("ch17", "1-16"), ("7", "no track '7'")):
        with pytest.raises(ConfigError, match=msg):
            apply_roles(load_song(p), {key: "bass"})
    # --map ch1=bass then --instrument bass=FONT routes the piano and the bass, not guitar or drums
    base = render_file(p, tmp_path / "base.wav", capsys)
    moved = render_file(p, tmp_path / "m.wav", capsys, "--map", "ch1=bass", "--map", "ch2=other",
                        "--instrument", f"bass={font}")
    plain = render_file(p, tmp_path / "p.wav", capsys, "--map", "ch2=other", "--instrument", f"bass={font}")
    np.testing.assert_allclose(plain, base, atol=1e-6)  # no channel has the bass role: nothing changes
    assert np.abs(moved - base).max() > 0.01


def test_type1_programs_on_a_conductor_track(tmp_path):
    """Program changes for every channel on track 0 (as many sequencers export), notes on other tracks."""
    mf = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("track_name", name="setup")])
    for ch, prog in ((0, 33), (1, 25), (2, 4)):
        conductor.append(mido.Message("program_change", channel=ch, program=prog))
    mf.tracks.append(conductor)
    for ch, key in ((0, 33), (1, 64), (2, 72), (9, 36)):
        mf.tracks.append(mido.MidiTrack([mido.Message("note_on", channel=ch, note=key, velocity=90, time=10),
                                         mido.Message("note_off", channel=ch, note=key, time=480)]))
    mf.save(str(tmp_path / "t1.mid"))
    song = load_song(tmp_path / "t1.mid")
    assert song.channel_roles() == {0: "bass", 1: "guitar", 2: "keyboard", 9: "drums"}
    assert [t.role for t in song.tracks] == ["-", "bass", "guitar", "keyboard", "drums"]


def test_program_change_mid_song_and_several_channels_on_one_track(tmp_path):
    """Channel 1 plays 6 piano notes then switches to a bass program for 2: keyboard by majority, both
    programs listed; the track that also carries channel 5's strings names both roles."""
    evs = band(0, 0, (60,), range(6)) + [(6, mido.Message("program_change", channel=0, program=33))]
    evs += band(0, None, (40,), (6, 7))
    evs += band(4, 48, (43,), range(4))  # strings, median below C3: the bass role by register
    song = load_song(write_midi(tmp_path / "mid.mid", evs))
    ch = {c.channel: c for c in song.channels}
    assert ch[0].role == "keyboard" and ch[0].programs == [0, 33] and ch[0].note_count == 8
    assert ch[4].role == "bass" and ch[4].programs == [48]
    assert song.tracks[0].role == "keyboard+bass"
    # a program in effect before the first note counts, whichever track sets it
    assert ch[0].program == 0


def switching(*, piano: bool = True, bass: bool = True):
    """Channel 1 plays piano (program 0), switches to a fingered bass (33) for beats 4-6, then back to
    piano; drums on channel 10 throughout. Notes of either program can be left out (same events else)."""
    evs = dry(0) + band(9, None, (42,), range(8), dur=0.2)
    evs.append((0, mido.Message("program_change", channel=0, program=0)))
    if piano:
        evs += band(0, None, (60, 64), (0, 1, 2, 3, 6, 7), dur=0.9)
    evs.append((4, mido.Message("program_change", channel=0, program=33)))
    if bass:
        evs += band(0, None, (BASS_KEY,), (4, 5), dur=0.95)
    evs.append((6, mido.Message("program_change", channel=0, program=0)))
    evs.append((7.95, mido.Message("control_change", channel=0, control=7, value=100)))  # the same end
    return evs


def test_program_change_mid_song_reroutes_only_that_stretch(tmp_path, capsys):
    """A channel that plays piano, then a bass program, then piano again (keyboard by majority):
    `--instrument bass=FONT` plays the bass stretch from FONT and leaves the piano stretches and the
    drums as they were; `--instrument keyboard=FONT` leaves the bass stretch as it was."""
    font = tone_sf2(tmp_path / "sine.sf2")
    song = load_song(write_midi(tmp_path / "sw.mid", switching()))
    assert song.channel_roles()[0] == "keyboard" and song.channels[0].program_roles == {0: "keyboard", 33: "bass"}
    full = tmp_path / "sw.mid"
    nobass = write_midi(tmp_path / "nobass.mid", switching(bass=False))
    nopiano = write_midi(tmp_path / "nopiano.mid", switching(piano=False))
    b = render_file(full, tmp_path / "b.wav", capsys, "--instrument", f"bass={font}")
    c = render_file(nobass, tmp_path / "c.wav", capsys)
    d = render_file(nobass, tmp_path / "d.wav", capsys, "--instrument", f"bass={font}")
    np.testing.assert_allclose(d, c, atol=1e-6)  # piano before and after the bass stretch, drums: untouched
    stem = (b - c).mean(axis=0)[int(2.05 * SR):int(2.95 * SR)]  # the bass stretch, beats 4-6 at 120 BPM
    assert abs(cents(f0_autocorr(stem, SR), 440.0 * 2 ** ((BASS_KEY - 69) / 12))) < 5
    f = np.fft.rfftfreq(len(stem), 1 / SR)
    spec = np.abs(np.fft.rfft(stem * np.hanning(len(stem))))
    assert spec[f > 150].max() < spec[(f > 100) & (f < 120)].max() * 10 ** (-30 / 20)  # the sine font
    e = render_file(nopiano, tmp_path / "e.wav", capsys)
    g = render_file(nopiano, tmp_path / "g.wav", capsys, "--instrument", f"keyboard={font}")
    np.testing.assert_allclose(g, e, atol=1e-6)  # the bass stretch stays the GM bass
    # --map gives the whole channel one role (even the role it was detected with): the bass stretch then
    # plays the keyboard font too
    for f in (full, nopiano):
        assert load_song(f).channel_roles()[0] == ("keyboard" if f == full else "bass")
    m = render_file(full, tmp_path / "m.wav", capsys, "--map", "ch1=keyboard", "--instrument", f"keyboard={font}")
    k = render_file(full, tmp_path / "k.wav", capsys, "--instrument", f"keyboard={font}")
    span = slice(int(2.05 * SR), int(2.95 * SR))
    assert np.abs(m[:, span] - k[:, span]).max() > 0.01
    np.testing.assert_allclose(m[:, :int(1.95 * SR)], k[:, :int(1.95 * SR)], atol=1e-6)


def test_player_with_switches_replays_identically_after_reset(tmp_path):
    from render_helpers import SongPlayer

    from server.render import open_source

    font = tone_sf2(tmp_path / "sine.sf2")
    song = load_song(write_midi(tmp_path / "sw.mid", switching()))
    src, routing = open_source(song, soundfont=GM_FONT, instruments={"bass": font}, sample_rate=SR)
    assert sorted(routing.switches) and routing.initial == {0: 1}  # starts on the GM font (index 1)
    player = SongPlayer(song, src, routing.switches, routing.initial)
    player.prepare(SR, 512, 2)

    def play():
        return np.concatenate([player.process(np.zeros((2, 512), np.float32)).copy() for _ in range(8 * SR // 512)],
                              axis=1)

    first = play()
    player.reset()
    try:
        np.testing.assert_array_equal(play(), first)
    finally:
        src.close()
