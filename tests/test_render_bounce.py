"""`wave render --session/--timbre/--fx`: a MIDI file through the live server's graph, offline.

Parity: the bounce equals what the live engine plays from the same session (null below -60 dB), with
General MIDI and effects, and with a builtin timbre model; and what a real `wave serve` (wav driver)
recorded while playing the file.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

from server.errors import InputError
from server.live.drivers import PacedDriver
from server.live.server import Folders, LiveServer
from server.live.session import Session
from server.midi.song import load_song
from server.render.bounce import bounce_to_file, parse_edits
from server.render.render import RenderSettings
from tests.serve_helpers import ready_line

REPO = Path(__file__).resolve().parent.parent
BUILTIN = REPO / "instruments" / "builtin" / "keyboard.ts"
SR, BLOCK = 48000, 512


def song_file(path: Path, seconds_per_note: float = 0.25) -> Path:
    """Two channels: a piano melody on channel 1 and a bass line on channel 2, 3 s."""
    mid = mido.MidiFile(ticks_per_beat=480)
    for ch, prog, keys in ((0, 0, (60, 64, 67, 72, 67, 64)), (1, 33, (36, 43, 36, 43, 36, 43))):
        tr = mido.MidiTrack()
        tr.append(mido.Message("program_change", channel=ch, program=prog, time=0))
        for k in keys:
            tr.append(mido.Message("note_on", channel=ch, note=k, velocity=100, time=0))
            tr.append(mido.Message("note_off", channel=ch, note=k, velocity=0, time=int(480 * seconds_per_note * 2)))
        mid.tracks.append(tr)
    mid.save(path)
    return path


def db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def folders(tmp: Path) -> Folders:
    f = Folders(sets=tmp / "sets", models=tmp / "models", midi=tmp / "midi", recordings=tmp / "rec", images=tmp)
    for p in (f.sets, f.models, f.midi, f.recordings):
        p.mkdir(exist_ok=True)
    shutil.copyfile(BUILTIN, f.models / "keyboard.ts")
    return f


def live_take(session: Session, fo: Folders, song_path: Path, frames: int) -> np.ndarray:
    """What the live engine plays for the song from this session, pulled block by block as a driver's
    callback pulls it (the model's worker waited for, as on a machine where nothing is late)."""
    srv = LiveServer(PacedDriver(), sample_rate=SR, block=BLOCK, folders=fo, session=session)
    try:
        eng = srv.engine
        for strip in eng.snapshot.strips:
            if strip.timbre is not None:
                strip.timbre.model.freewheel = True
        eng.play(load_song(song_path).events_at(SR))
        lat = eng.latency_samples
        n_blocks = (frames + lat) // BLOCK + 2
        y = np.concatenate([eng.process(BLOCK).copy() for _ in range(n_blocks)], axis=1)
        return y[:, lat : lat + frames]
    finally:
        srv.shutdown()


def bounce(session: Session, fo: Folders, song_path: Path, out: Path) -> np.ndarray:
    bounce_to_file(load_song(song_path), out, session=session, folders=fo, fmt="float",
                   settings=RenderSettings(sample_rate=SR, block=BLOCK, raw=True, tail=1.0, progress=False))
    y, sr = sf.read(out, dtype="float32")
    assert sr == SR
    return y.T


@pytest.mark.parametrize("with_model", [False, True])
def test_a_bounce_is_what_the_live_engine_plays(tmp_path, with_model):
    fo = folders(tmp_path)
    song_path = song_file(tmp_path / "song.mid")
    session = Session(fx={0: {"reverb": {"on": True, "room_size": 0.7}, "lowpass": {"on": True,
                                                                                     "cutoff_frequency_hz": 5000.0},
                              "chorus": {"on": True}},
                          -1: {"compressor": {"on": True}}}, master_gain_db=-3.0)
    if with_model:  # a builtin timbre model on both channels, three effects on the first
        session.timbre = {0: {"model": "keyboard", "wet": 0.7}, 1: {"model": "keyboard", "wet": 1.0}}
    b = bounce(session, fo, song_path, tmp_path / "b.wav")
    a = live_take(Session.from_json(session.to_json()), fo, song_path, b.shape[1])
    assert a.shape == b.shape
    assert db(b) > -40
    assert db(a - b) < db(b) - 60, (db(a - b), db(b))


def test_a_bounce_is_what_wave_serve_recorded(tmp_path):
    """A real server with the wav driver plays the file (/wave/midi/play); the bounce of its session is
    the same audio once aligned (the server starts the song at a block boundary)."""
    fo = folders(tmp_path)
    song_file(fo.midi / "song.mid")
    session = Session(fx={1: {"delay": {"on": True, "delay_seconds": 0.2}}, -1: {"reverb": {"on": True}}})
    sess_path = tmp_path / "session.json"
    session.save(sess_path)
    take = tmp_path / "take.wav"
    env = {k: v for k, v in os.environ.items()} | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--audio", f"wav:{take}", "--osc-port", "0",
                             "--block", str(BLOCK), "--session", str(sess_path), "--midi-dir", str(fo.midi),
                             "--sets-dir", str(fo.sets), "--models-dir", str(fo.models)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = re.search(r"osc=udp:[\d.]+:(\d+)", ready_line(proc)).group(1)
        subprocess.run(["oscsend", "localhost", port, "/wave/midi/play", "s", "song.mid"], check=True, timeout=10)
        time.sleep(6.0)  # the 3 s song, its 1 s tail and the reverb's
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    live, _ = sf.read(take, dtype="float32")
    live = live.T
    b = bounce(Session.load(sess_path), fo, fo.midi / "song.mid", tmp_path / "b.wav")
    # the song's first sound in the take: align the bounce there (a whole number of blocks in)
    first_live = int(np.flatnonzero(np.abs(live[0]) > 1e-6)[0])
    first_b = int(np.flatnonzero(np.abs(b[0]) > 1e-6)[0])
    start = first_live - first_b
    assert start % 64 == 0  # the player starts on a block boundary (FluidSynth's 64-frame grid)
    seg = live[:, start : start + b.shape[1]]
    n = min(seg.shape[1], b.shape[1])
    assert n >= b.shape[1] - BLOCK, (n, b.shape[1])
    assert db(seg[:, :n] - b[:, :n]) < db(b[:, :n]) - 60, (db(seg[:, :n] - b[:, :n]), db(b[:, :n]))


def test_channel_flags_parse_and_bad_ones_say_what_works():
    e = parse_edits(["2=keyboard:0.5", "ch3=bass"], ["1=reverb.room_size=0.8", "master=lowpass.cutoff_frequency_hz=900"])
    assert e.timbre == {1: {"model": "keyboard", "wet": 0.5}, 2: {"model": "bass", "wet": 1.0}}
    assert e.fx == {0: {"reverb": {"on": True, "room_size": 0.8}}, -1: {"lowpass": {"on": True,
                                                                                    "cutoff_frequency_hz": 900.0}}}
    for timbre, fx, words in ((["17=keyboard"], [], "1-16"), (["2=keyboard:2"], [], "WET must be 0-1"),
                              (["keyboard"], [], "CH=MODEL"), ([], ["1=reverb.size=3"], "no parameter"),
                              ([], ["1=reverb.room_size=3"], "out of range"), ([], ["1=reverb"], "CH=EFFECT.PARAM")):
        with pytest.raises(InputError, match=re.escape(words)):
            parse_edits(timbre, fx)


def test_a_session_model_that_cannot_load_is_an_error_not_silence(tmp_path):
    fo = folders(tmp_path)
    song_path = song_file(tmp_path / "song.mid")
    out = tmp_path / "b.wav"
    out.write_bytes(b"keep")
    with pytest.raises(InputError, match="nope"):
        bounce(Session(timbre={0: {"model": "nope", "wet": 1.0}}), fo, song_path, out)
    assert out.read_bytes() == b"keep"
