"""`wave render` streams: what it writes equals the in-memory render (raw, normalised, clipped integer
formats), long songs render in full (duration, level, notes at the very end), a failure at any stage leaves an
existing output as it was with no temporary file behind, and files past WAV's 4 GiB become RF64."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from midi_helpers import GM_FONT, band_song, note, write_midi

from server.audio.io import write_audio
from server.cli import main
from server.errors import OutputError
from server.midi.song import load_song
from server.render import RenderSettings, render_song, render_song_to_file
from server.render import render as render_mod


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("fmt, kw", [
    ("24", {}),  # master chain + peak normalisation: two passes
    ("float", {"raw": True}),  # one pass
    ("16", {"normalize": "none", "gain_db": 30.0}),  # hot master into the limiter, clipped to 16 bits
    ("float", {"reverb": 0.4, "block": 333}),
])
def test_stream_equals_in_memory_render(tmp_path, fmt, kw):
    song = load_song(band_song(tmp_path / "band.mid", 0.25))
    st = dict(sample_rate=44100, tail=1.0, progress=False, **kw)
    mem = render_song(song, soundfont=GM_FONT, settings=RenderSettings(**st))
    write_audio(tmp_path / "mem.wav", mem, 44100, fmt=fmt)
    res = render_song_to_file(song, tmp_path / "stream.wav", fmt=fmt, soundfont=GM_FONT,
                              settings=RenderSettings(**st))
    a, _ = sf.read(str(tmp_path / "mem.wav"), dtype="float32")
    b, _ = sf.read(str(tmp_path / "stream.wav"), dtype="float32")
    assert sf.info(str(tmp_path / "stream.wav")).subtype == sf.info(str(tmp_path / "mem.wav")).subtype
    assert res.frames == mem.shape[1] == len(b)
    np.testing.assert_array_equal(a, b)  # sample-identical
    assert leftovers(tmp_path) == []


def test_twelve_minute_song_renders_in_full(tmp_path, capsys):
    """A 12-minute four-instrument type-0 song at 8 kHz, normalised (two passes) and raw."""
    mid = band_song(tmp_path / "long.mid", 12.0)
    song = load_song(mid)
    assert song.duration == pytest.approx(12 * 60, abs=1.0)
    out = tmp_path / "long.wav"
    rc = main(["render", str(mid), "-o", str(out), "-r", "8000", "--tail", "1", "--format", "16", "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    info = sf.info(str(out))
    assert info.frames == round((song.duration + 1.0) * 8000) and info.samplerate == 8000
    x, _ = sf.read(str(out), dtype="float32")
    peak_db = 20 * np.log10(np.abs(x).max())
    assert peak_db == pytest.approx(-1.0, abs=0.01)
    minute = 60 * 8000
    first = 10 * np.log10(np.mean(x[:minute] ** 2))
    last = 10 * np.log10(np.mean(x[-minute - 8000:-8000] ** 2))
    assert abs(first - last) < 1.5  # the same loop at the start and the end: nothing dropped or faded
    assert leftovers(tmp_path) == []
    raw = tmp_path / "raw.wav"
    rc = main(["render", str(mid), "-o", str(raw), "-r", "8000", "--tail", "1", "--raw", "--format", "float",
               "--no-progress"])
    assert rc == 0 and sf.info(str(raw)).frames == info.frames


@pytest.mark.parametrize("stage", ["_read_blocks", "_write_block", "_blocks"])
def test_failure_leaves_existing_output_alone(tmp_path, monkeypatch, stage):
    song = load_song(write_midi(tmp_path / "s.mid", note(0, 2, 60)))
    out = tmp_path / "song.wav"
    out.write_bytes(b"yesterday's song")
    calls = {"n": 0}
    real = getattr(render_mod, stage)

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] > 1 or stage != "_write_block":
            raise OutputError("cannot write song.wav: No space left on device")
        return real(*a, **k)

    monkeypatch.setattr(render_mod, stage, failing)
    with pytest.raises(OutputError, match="No space left"):
        render_song_to_file(song, out, soundfont=GM_FONT, settings=RenderSettings(progress=False, tail=0.2))
    assert out.read_bytes() == b"yesterday's song"
    assert leftovers(tmp_path) == []


def test_past_four_gib_is_rf64(tmp_path):
    frames = 2**32 // 8 + 1  # stereo float: just over 4 GiB of data
    with render_mod._wav_writer(tmp_path / "big.wav", 8000, "FLOAT", frames, tmp_path / "big.wav") as w:
        w.write(np.zeros((100, 2), dtype=np.float32))
    assert sf.info(str(tmp_path / "big.wav")).format == "RF64"
    with render_mod._wav_writer(tmp_path / "small.wav", 8000, "FLOAT", 1000, tmp_path / "small.wav") as w:
        w.write(np.zeros((100, 2), dtype=np.float32))
    assert sf.info(str(tmp_path / "small.wav")).format == "WAV"


def test_no_room_on_disk_is_refused_before_rendering(tmp_path, monkeypatch):
    from collections import namedtuple

    song = load_song(write_midi(tmp_path / "s.mid", note(0, 2, 60)))
    out = tmp_path / "song.wav"
    out.write_bytes(b"yesterday's song")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(render_mod.shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 1000, 1000))
    monkeypatch.setattr(render_mod, "_blocks", lambda *a, **k: pytest.fail("rendered without room"))
    need = round(3.0 * 48000) * 2 * (3 + 4)  # 1 s of song + 2 s of tail, 24-bit output + float first pass
    with pytest.raises(OutputError, match=rf"needs about {need / 2**20:.1f} MiB .* has 0\.0 MiB free"):
        render_song_to_file(song, out, soundfont=GM_FONT, settings=RenderSettings(progress=False, tail=2.0))
    assert out.read_bytes() == b"yesterday's song" and leftovers(tmp_path) == []
