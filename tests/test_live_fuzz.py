"""A hostile client against a running ``wave serve`` (WAV driver, real UDP): random and mutated OSC,
nested bundles, bundles of heavy requests, reply_to loops. Bounded: 5,000 datagrams, loopback only.

Afterwards the server must answer a ping within 50 ms, its memory must be within 20 % of where it
started, and a note played then must sound at its pitch in the recording.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from pythonosc.osc_message import OscMessage

from server.live import osctable
from server.live.engine import RETIRE_MAX_S
from server.live.oscproto import encode
from tests.serve_helpers import ready_line

REPO = Path(__file__).resolve().parent.parent
N_DATAGRAMS = 5000


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def bundle(*parts: bytes, nest: int = 0) -> bytes:
    body = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    b = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + body
    return bundle(b, nest=nest - 1) if nest > 0 else b


def valid_messages(rng: random.Random) -> list[bytes]:
    """One well-formed message per address with arguments drawn inside and outside their ranges."""
    out = []
    for a in osctable.TABLE:
        if a.address in ("/wave/panic", "/wave/midi/stop", "/wave/record/stop", "/wave/session/save"):
            continue
        args = []
        for x in a.args:
            if x.type == "s":
                args.append(rng.choice(["gm", "../../etc/passwd", "-x", "", "nope.ts", "a" * 300, "reverb",
                                        "room_size", "take.wav"]))
            elif x.type == "i":
                args.append(rng.choice([0, 1, 15, 16, -1, 127, 128, 2**31 - 1, -(2**31)]))
            else:
                args.append(rng.choice([0.0, 0.5, 1.0, -1e9, 1e9, float("nan"), float("inf")]))
        out.append(encode(a.address, args))
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.4 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op < 0.6 and b:
            del b[rng.randrange(len(b)):]
        elif op < 0.8:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            b[rng.randrange(len(b) + 1):rng.randrange(len(b) + 1)] = b",zzq\x00\x00"
    return bytes(b)


def ping(sock: socket.socket, port: int, token: str, timeout: float = 2.0) -> float:
    """Seconds until the pong with ``token`` arrives (other replies are skipped)."""
    sock.settimeout(timeout)
    t0 = time.monotonic()
    sock.sendto(encode("/wave/ping", [token]), ("127.0.0.1", port))
    while True:
        m = OscMessage(sock.recv(65536))
        if m.address == "/wave/pong" and m.params == [token]:
            return time.monotonic() - t0


def drain(sock: socket.socket) -> int:
    sock.settimeout(0.0)
    n = 0
    try:
        while True:
            sock.recv(65536)
            n += 1
    except (TimeoutError, BlockingIOError):
        return n


def test_fuzz_does_not_crash_latch_or_bloat_the_server(tmp_path):
    rng = random.Random(20261130)
    wav = tmp_path / "out.wav"
    env = {k: v for k, v in os.environ.items()} | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--audio", f"wav:{wav}", "--osc-port", "0",
         "--sets-dir", str(tmp_path), "--record-dir", str(tmp_path / "rec"), "--images-dir", str(tmp_path),
         "--midi-dir", str(tmp_path), "--models-dir", str(tmp_path)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"osc=udp:[\d.]+:(\d+)", ready_line(proc)).group(1))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        ping(sock, port, "warm", timeout=10)
        time.sleep(0.5)
        rss0 = rss_mb(proc.pid)

        msgs = valid_messages(rng)
        heavy = bundle(*[encode("/wave/set/load", ["gm", -1])] * 40)  # the OOM of issue 15
        flood = bundle(*[encode("/wave/fx/list", [0])] * 2000)  # 32k replies asked for
        loops = [encode("/wave/reply_to", [port]), encode("/wave/error", ["?", "x"]), encode("/wave/pong", ["x"])]
        sent = 0
        for i in range(N_DATAGRAMS):
            r = rng.random()
            if i in (100, 2000):
                data = heavy
            elif i in (500, 3000):
                data = flood
            elif r < 0.25:
                data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            elif r < 0.55:
                data = mutate(rng, rng.choice(msgs))
            elif r < 0.75:
                data = rng.choice(msgs)
            elif r < 0.85:
                data = bundle(*rng.sample(msgs, 3), nest=rng.randint(0, 6))
            elif r < 0.9:
                data = mutate(rng, bundle(*rng.sample(msgs, 2), nest=rng.randint(0, 3)))
            else:
                data = rng.choice(loops)
            if len(data) > 60000:
                data = data[:60000]
            sock.sendto(data, ("127.0.0.1", port))
            sent += 1
            if i % 200 == 0:
                drain(sock)
                time.sleep(0.01)  # a fast client, not a packet generator: the kernel buffer holds ~200 KB
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        # queued set loads finish; samplers replaced under held notes ring out (released after
        # RETIRE_MAX_S) and are closed
        t_end = time.monotonic() + RETIRE_MAX_S + 8
        while time.monotonic() < t_end:
            time.sleep(0.5)
            drain(sock)
            rss1 = rss_mb(proc.pid)
            if rss1 < rss0 * 1.2:
                break
        print(f"fuzz: RSS {rss0:.0f} -> {rss1:.0f} MB")
        assert rss1 < rss0 * 1.2, (rss0, rss1)
        delays = sorted(ping(sock, port, f"p{k}") for k in range(5))
        assert delays[2] < 0.05, delays
        # no reply storm: a quiet second brings (almost) nothing
        drain(sock)
        time.sleep(1.0)
        assert drain(sock) <= 2

        # the engine still plays: a note in tune in a take recorded now (GM piano on channel 15)
        sock.sendto(encode("/wave/record/stop", []), ("127.0.0.1", port))  # the fuzz may have started one
        time.sleep(0.3)
        for m in (encode("/wave/record/start", ["final.wav", 1]), encode("/wave/program", [14, 0]),
                  encode("/wave/note", [14, 69, 110])):
            sock.sendto(m, ("127.0.0.1", port))
        time.sleep(1.0)
        sock.sendto(encode("/wave/record/stop", []), ("127.0.0.1", port))
        time.sleep(0.5)
        sock.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0, proc.stderr.read()[-3000:]
    y, sr = sf.read(wav, dtype="float32")
    assert np.isfinite(y).all() and np.abs(y).max() <= 1.0
    take, sr = sf.read(tmp_path / "rec" / "final.wav", dtype="float32")
    tail = take[int(0.2 * sr):, 0]
    spec = np.abs(np.fft.rfft(tail * np.hanning(len(tail))))
    f = np.fft.rfftfreq(len(tail), 1 / sr)
    band = (f > 100) & (f < 1000)
    peak = f[band][np.argmax(spec[band])]
    assert abs(1200 * np.log2(peak / 440.0)) < 15, peak
