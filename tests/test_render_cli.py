"""`wave render` / `wave inspect` from the command line: outputs and every bad input the issue names."""

from __future__ import annotations

import os
import subprocess
import sys

import mido
import numpy as np
import pytest
import soundfile as sf
from midi_helpers import GM_FONT, note, write_midi

from server.cli import main


@pytest.fixture
def song(tmp_path):
    return write_midi(tmp_path / "song.mid", note(0, 1, 60) + note(1, 1, 64) + note(0, 2, 36, ch=9))


def run(args, capsys):
    rc = main(args)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def no_leftovers(folder):
    return [p.name for p in folder.iterdir() if ".part" in p.name]


def test_render_writes_24bit_and_float(tmp_path, song, capsys):
    out = tmp_path / "o.wav"
    rc, stdout, _ = run(["render", str(song), "-o", str(out), "--soundfont", GM_FONT, "--no-progress"], capsys)
    assert rc == 0 and out.is_file()
    info = sf.info(str(out))
    assert (info.samplerate, info.channels, info.subtype) == (48000, 2, "PCM_24")
    x, _ = sf.read(str(out))
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-1.0, abs=0.01)
    rc, _, _ = run(["render", str(song), "-o", str(out), "--format", "float", "-r", "44100", "--raw", "--tail", "0.5"],
                   capsys)
    info = sf.info(str(out))
    assert rc == 0 and (info.samplerate, info.subtype) == (44100, "FLOAT")
    assert info.frames == round((1.0 + 0.5) * 44100)  # the song lasts 2 beats = 1 s at 120 BPM
    assert not no_leftovers(tmp_path)


def test_inspect_prints_roles(tmp_path, capsys):
    rc, stdout, _ = run(["inspect", "midi/harbour_lights.mid"], capsys)
    assert rc == 0
    rows = stdout.splitlines()
    tracks = rows[2:rows.index("")]
    lines = {line.split()[1]: line.split()[-1] for line in tracks}
    assert lines == {"conductor": "-", "melody": "guitar", "chords": "keyboard", "bass": "bass", "drums": "drums"}
    chans = {r.split()[0]: r.split()[5] for r in rows[rows.index("channels:") + 2:]}
    assert set(chans.values()) == {"guitar", "keyboard", "bass", "drums"} and chans["10"] == "drums"
    assert "80.0 BPM" in stdout


def _bad_files(tmp_path):
    good = write_midi(tmp_path / "good.mid", note(0, 1, 60))
    trunc = tmp_path / "trunc.mid"
    trunc.write_bytes(good.read_bytes()[:-7])
    notmidi = tmp_path / "photo.mid"
    notmidi.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    empty = write_midi(tmp_path / "empty.mid", [(0, mido.Message("control_change", control=7, value=90))])
    fast = write_midi(tmp_path / "fast.mid", note(0, 1, 60), tempos=[(0, 5000.0)])
    return good, {"truncated": trunc, "Standard MIDI": notmidi, "no notes": empty, "absurd tempo": fast}


@pytest.mark.parametrize("what", ["truncated", "Standard MIDI", "no notes", "absurd tempo"])
def test_bad_midi_one_line_and_no_output(tmp_path, capsys, what):
    _, bad = _bad_files(tmp_path)
    out = tmp_path / "out.wav"
    rc, _, err = run(["render", str(bad[what]), "-o", str(out)], capsys)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and what in err
    assert not out.exists() and not no_leftovers(tmp_path)


def test_bad_soundfonts(tmp_path, song, capsys):
    out = tmp_path / "out.wav"
    corrupt = tmp_path / "corrupt.sf2"
    corrupt.write_bytes(b"RIFF" + (10**6).to_bytes(4, "little") + b"sfbk" + os.urandom(300))
    notsf = tmp_path / "notsf.sf2"
    notsf.write_bytes(os.urandom(1000))
    cases = {tmp_path / "missing.sf2": "no such soundfont", corrupt: "truncated", notsf: "not a SoundFont"}
    for font, msg in cases.items():
        rc, _, err = run(["render", str(song), "-o", str(out), "--soundfont", str(font)], capsys)
        assert rc != 0 and msg in err and len(err.strip().splitlines()) == 1
        assert not out.exists() and not no_leftovers(tmp_path)


def test_unwritable_output(tmp_path, song, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    rc, _, err = run(["render", str(song), "-o", str(blocker / "out.wav")], capsys)
    assert rc != 0 and "out.wav" in err and len(err.strip().splitlines()) == 1


def test_bad_options(tmp_path, song, capsys):
    for args, msg in ((["--map", "7=bass"], "no track '7'"), (["--map", "0=flute"], "unknown role"),
                      (["--instrument", "bass"], "ROLE=FILE.sf2"), (["-r", "1000"], "sample rate"),
                      (["--set", "nonexistent_set"], "no instrument set")):
        rc, _, err = run(["render", str(song), "-o", str(tmp_path / "o.wav"), *args], capsys)
        assert rc != 0 and msg in err, (args, err)


def test_map_and_instrument_route_a_role(tmp_path, capsys):
    """--map makes the piano track 'bass'; --instrument bass=FONT routes it: program 0 from a font whose
    only melodic program we pick is resolved by the font's presets (here the same GM font)."""
    p = write_midi(tmp_path / "r.mid", [(0, mido.Message("program_change", program=0))] + note(0, 2, 48))
    base = tmp_path / "base.wav"
    routed = tmp_path / "routed.wav"
    assert run(["render", str(p), "-o", str(base), "--raw"], capsys)[0] == 0
    rc, _, err = run(["render", str(p), "-o", str(routed), "--raw", "--map", "0=bass", "--instrument",
                      f"bass={GM_FONT}"], capsys)
    assert rc == 0, err
    a, _ = sf.read(str(base))
    b, _ = sf.read(str(routed))
    np.testing.assert_allclose(a, b, atol=1e-6)  # same font, same preset: same sound


def test_console_script_exit_code_and_help():
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "server", "render", "/nonexistent.mid", "-o", "/tmp/x.wav"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert r.stderr.strip() == "wave render: error: /nonexistent.mid: no such MIDI file"
    h = subprocess.run([sys.executable, "-m", "server", "render", "--help"], capture_output=True, text=True)
    assert h.returncode == 0 and "--raw" in h.stdout and "TRACK=ROLE" in h.stdout


def _bad_key_signature(path):
    """A MIDI file whose key-signature meta event claims 99 sharps (mido refuses to decode it)."""
    good = write_midi(path, note(0, 1, 60)).read_bytes()
    mtrk = good.index(b"MTrk")
    meta = b"\x00\xff\x59\x02\x63\x6f"  # delta 0, key signature: sf=99, mode=111
    body = meta + good[mtrk + 8:]
    path.write_bytes(good[:mtrk] + b"MTrk" + len(body).to_bytes(4, "big") + body)
    return path


@pytest.mark.parametrize("cmd", ["render", "inspect"])
def test_bad_files_and_values_are_one_line(tmp_path, song, capsys, cmd):
    folder = tmp_path / "adir"
    folder.mkdir()
    cases = [([str(folder)], "is a folder, not a MIDI file"),
             ([str(_bad_key_signature(tmp_path / "key.mid"))], "corrupt")]
    if cmd == "render":
        cases += [([str(song), "--instrument", f"bass={folder}"], "is a folder"),
                  ([str(song), "--soundfont", str(folder)], "is a folder"),
                  ([str(song), "--set", str(folder)], "is a folder"),
                  ([str(song), "--set", ""], "--set needs"),
                  ([str(song), "--map", "ch0=bass"], "MIDI channels are 1-16"),
                  ([str(song), "--map", "ch2=bass"], "channel 2 plays no notes"),
                  ([str(song), "--map", "ch1=flute"], "unknown role 'flute'"),
                  ([str(song), "--map", "=bass"], "chN=ROLE or TRACK=ROLE"),
                  ([str(song), "--instrument", "flute=x.sf2"], "unknown role 'flute'")]
    out = tmp_path / "o.wav"
    for args, msg in cases:
        extra = ["-o", str(out)] if cmd == "render" else []
        rc, _, err = run([cmd, *args, *extra], capsys)
        assert rc == 1 and msg in err and len(err.strip().splitlines()) == 1, (args, err)
        assert not out.exists() and not no_leftovers(tmp_path)


def test_roles_are_case_insensitive(tmp_path, song, capsys):
    out = tmp_path / "o.wav"
    rc, _, err = run(["render", str(song), "-o", str(out), "--map", "CH1=Bass", "--instrument", f"BASS={GM_FONT}",
                      "--no-progress"], capsys)
    assert rc == 0, err


def test_demo_renders_every_demo_song(tmp_path, capsys):
    rc, stdout, err = run(["demo", "-o", str(tmp_path / "demo")], capsys)
    assert rc == 0, err
    outs = sorted((tmp_path / "demo").glob("*.wav"))
    assert [p.stem for p in outs] == ["harbour_lights", "sunday_market"]
    for p in outs:
        x, sr = sf.read(str(p))
        assert sr == 48000 and 20 * np.log10(np.abs(x).max()) == pytest.approx(-1.0, abs=0.01)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, _, err = run(["demo", "-o", str(blocker)], capsys)
    assert rc == 1 and len(err.strip().splitlines()) == 1 and blocker.read_text() == "x"
