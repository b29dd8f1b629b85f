"""`wave serve --audio portaudio` for real: Debian's PortAudio has a JACK host API, so PortAudio
(through sounddevice) opens a JACK dummy server started by the test under a unique name
(``JACK_DEFAULT_SERVER`` picks it). A JACK client records what PortAudio plays; a MIDI file's two
notes are measured in it: pitch in cents, the interval between their onsets in ms."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import mido
import numpy as np
import pytest

jack = pytest.importorskip("jack")
sd = pytest.importorskip("sounddevice")

from tests.serve_helpers import ready_line  # noqa: E402
from tests.test_live_engine import f0_cents, onsets, tone_sf2  # noqa: E402

pytestmark = [pytest.mark.jack, pytest.mark.peer, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
SR, PERIOD = 48000, 1024

if not shutil.which("jackd"):
    pytest.skip("needs jackd", allow_module_level=True)


def start_jackd(name: str) -> subprocess.Popen:
    proc = subprocess.Popen(["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(SR), "-p", str(PERIOD)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while True:
        try:
            jack.Client("probe", servername=name, no_start_server=True).close()
            return proc
        except jack.JackOpenError:
            if time.monotonic() - t0 > 15 or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"jackd {name} did not start")
            time.sleep(0.2)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def query(sock: socket.socket, port: int, address: str, *args, want: str, timeout: float = 20.0) -> list:
    from pythonosc.osc_message import OscMessage

    from server.live.oscproto import encode

    sock.sendto(encode(address, list(args)), ("127.0.0.1", port))
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        sock.settimeout(max(0.05, t_end - time.monotonic()))
        m = OscMessage(sock.recv(65536))
        if m.address == want:
            return list(m.params)
        assert m.address != "/wave/error", m.params
    raise AssertionError(f"no {want} within {timeout} s")


def test_portaudio_driver_plays_through_jack(tmp_path):
    name = f"wave-pa-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    jackd = start_jackd(name)
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, PYTHONUNBUFFERED="1")
    tone_sf2(tmp_path / "tone.sf2", 44, {1: 1.0, 2: 0.3}, 69)  # 440 Hz at A4, instant attack
    mf = mido.MidiFile(ticks_per_beat=9600)  # 120 bpm: a tick is 52 µs
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    tr += [mido.Message("note_on", note=69, velocity=110, time=1920),  # 0.1 s
           mido.Message("note_off", note=69, velocity=0, time=4800),  # 0.35 s
           mido.Message("note_on", note=76, velocity=110, time=11343),  # 0.940781 s
           mido.Message("note_off", note=76, velocity=0, time=4800)]
    (tmp_path / "midi").mkdir()
    mf.save(tmp_path / "midi" / "two.mid")
    interval = 11343 * 0.5 / 9600 + 0.25  # from the first note-on to the second
    cmd = [sys.executable, "-m", "server", "serve", "--audio", "portaudio", "--block", str(PERIOD), "--osc-port", "0",
           "--session", str(tmp_path / "session.json"), "--sets-dir", str(tmp_path), "--midi-dir",
           str(tmp_path / "midi"), "--record-dir", str(tmp_path / "rec")]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rec = None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ready = ready_line(proc)
        stderr: list[str] = []
        threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
        assert "audio=portaudio:default" in ready and f"sr={SR} block={PERIOD}" in ready
        port = int(re.search(r"osc=udp:[\d.]+:(\d+)", ready).group(1))

        # PortAudio's JACK host API made a client "PortAudio" whose outputs it connected to the
        # dummy playback ports; record them with our own client
        buf = np.zeros((2, SR * 10), dtype=np.float32)
        pos = [0]
        rec = jack.Client("wave-pa-rec", servername=name, no_start_server=True)
        ins = [rec.inports.register("in_L"), rec.inports.register("in_R")]

        @rec.set_process_callback
        def _process(frames: int) -> None:
            if pos[0] + frames <= buf.shape[1]:
                buf[0, pos[0] : pos[0] + frames] = ins[0].get_array()
                buf[1, pos[0] : pos[0] + frames] = ins[1].get_array()
                pos[0] += frames

        outs = rec.get_ports(name_pattern="PortAudio", is_output=True, is_audio=True)
        assert len(outs) == 2, [p.name for p in rec.get_ports()]
        rec.activate()
        rec.connect(outs[0], ins[0])
        rec.connect(outs[1], ins[1])

        assert query(sock, port, "/wave/set/load", "tone", 0, want="/wave/set/loaded") == ["tone", 0]
        st0 = query(sock, port, "/wave/status", want="/wave/status")
        assert query(sock, port, "/wave/midi/play", "two.mid", want="/wave/ok") == ["/wave/midi/play"]
        time.sleep(2.0)
        st1 = query(sock, port, "/wave/status", want="/wave/status")
        y = buf[:, : pos[0]].copy()
        stop(proc, signal.SIGINT)
        assert proc.returncode == 0, "".join(stderr)
    finally:
        sock.close()
        if rec is not None:
            rec.deactivate()
            rec.close()
        stop(proc)
        stop(jackd)
    on = onsets(y)
    assert len(on) == 2, on
    a, b = on
    assert abs(f0_cents(y[0, a + 2400 : a + 2400 + 8192], 440.0)) < 10
    assert abs(f0_cents(y[0, b + 2400 : b + 2400 + 8192], 440.0 * 2 ** (7 / 12))) < 10
    # the file's interval, within FluidSynth's 64-frame period (events are sample-accurate in blocks)
    err_ms = ((b - a) / SR - interval) * 1000
    print(f"PortAudio via JACK: interval error {err_ms:.3f} ms, reported latency {st1[5]} samples, "
          f"late blocks {st1[4] - st0[4]} (driver {st1[9] - st0[9]})")
    assert abs(err_ms) < 1.4
    assert st1[5] >= PERIOD  # PortAudio's reported output latency: at least the JACK period
