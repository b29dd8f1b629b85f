"""`wave serve` / `wave devices` as commands: SIGINT stops cleanly (notes off in the recording, session
saved, exit 0); bad options fail with a message that says what would work."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from server.live.oscproto import encode
from tests.serve_helpers import ready_line

REPO = Path(__file__).resolve().parent.parent


def wave(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, **kw)


def test_sigint_releases_notes_saves_session_and_exits_0(tmp_path):
    wav, session = tmp_path / "out.wav", tmp_path / "session.json"
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--audio", f"wav:{wav}", "--osc-port", "0",
                             "--session", str(session), "--sets-dir", str(tmp_path), "--block", "256"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, CI="true"))  # pyfluidsynth prints on import under $CI
    try:
        line = ready_line(proc)
        m = re.search(r"osc=udp:127\.0\.0\.1:(\d+) audio=wav:\S+ sr=48000 block=256 latency=256", line)
        assert m, line
        port = int(m.group(1))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for address, args in (("/wave/program", [0, 19]), ("/wave/note", [0, 60, 100]),
                                  ("/wave/master/gain", [-3.0])):
                s.sendto(encode(address, args), ("127.0.0.1", port))
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(30)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0, err
    assert "stopped after" in err
    x, sr = sf.read(wav, dtype="float32")
    assert sr == 48000 and x.shape[0] > 0.8 * sr
    level = 20 * np.log10(np.sqrt(np.mean(x[int(0.2 * sr) : int(0.7 * sr)] ** 2)) + 1e-12)
    assert level > -50  # the held organ note sounded (silence is below -90)
    assert np.abs(x[-256:]).max() < 1e-3  # and was released before the file was closed
    assert json.loads(session.read_text())["master_gain_db"] == -3.0
    assert not list(tmp_path.glob(".*part*"))  # no temporary files left


def test_devices_lists_drivers():
    r = wave("devices")
    assert r.returncode == 0, r.stderr
    assert "audio drivers: null, wav:PATH, jack[:SERVER], portaudio[:DEVICE]" in r.stdout
    assert "portaudio" in r.stdout and "jack" in r.stdout and "midi inputs" in r.stdout


def test_bad_options_say_what_works(tmp_path):
    for args, words in ((["--audio", "alsa"], "use jack[:SERVER], portaudio[:DEVICE], wav:PATH or null"),
                        (["--block", "5"], "use 16-8192 frames"),
                        (["--sample-rate", "1000"], "use 8000-192000"),
                        (["--audio", "null", "--midi-in", "no-such-port-xyz"], "MIDI input"),
                        (["--audio", "null", "--duration", "-1"], "positive number of seconds"),
                        (["--audio", "null", "--osc-host", "0.0.0.0"], "--allow-remote"),
                        (["--audio", "null", "--memory-budget", "0"], "positive number of megabytes")):
        r = wave("serve", "--osc-port", "0", "--session", str(tmp_path / "s.json"), *args)
        assert r.returncode == 1 and words in r.stderr, (args, r.stderr)


def test_relative_folders_are_resolved_once_at_start(tmp_path, monkeypatch):
    """/wave/generate runs its worker in another folder: a relative --sets-dir must not change meaning."""
    import argparse

    from server.live import cli, server

    seen = {}

    class Stop(Exception):
        pass

    def capture(driver, **kw):
        seen.update(kw)
        raise Stop

    monkeypatch.setattr(server, "LiveServer", capture)
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--audio", "null", "--sets-dir", "sets", "--images-dir", "img"])
    try:
        cli.cmd_serve(args)
    except Stop:
        pass
    assert seen["folders"].sets == tmp_path / "sets" and seen["folders"].images == tmp_path / "img"
