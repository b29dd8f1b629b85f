"""The live server under load on JACK: 1000 OSC messages/s (100 of them pings) and 200 MIDI notes/s
(``jack_midiseq``, a C JACK client) for SECONDS at 256, 512 and 1024 frames, loopback only.

Reported per period: late blocks of our callback (it timed itself longer than the period), JACK xruns
on the server ``wave serve`` plays on, and beside them the xruns of a bare dummy JACK server at the
same settings over the same seconds (what this machine's scheduling costs ``jackd --no-realtime``
whatever its clients do); the worst callback load; pongs lost; RSS before and after.

    .venv/bin/python -m bench load --write        # 60 s per period
    WAVE_LOAD_SECONDS=10 .venv/bin/python -m bench load
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.live.oscproto import encode  # noqa: E402

SR = 48000
PERIODS = (256, 512, 1024)


def _rss_mb(pid: int) -> float:
    m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(m.group(1)) / 1024 if m else 0.0


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _jackd(prefix: str, period: int):
    import jack

    name = f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    proc = subprocess.Popen(["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(SR), "-p", str(period)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while True:
            try:
                jack.Client("probe", servername=name, no_start_server=True).close()
                break
            except jack.JackOpenError:
                if time.monotonic() - t0 > 15 or proc.poll() is not None:
                    raise RuntimeError(f"jackd {name} did not start") from None
                time.sleep(0.2)
        yield name
    finally:
        _stop(proc)


def _xrun_counter(server: str, name: str):
    import jack

    c = jack.Client(name, servername=server, no_start_server=True)
    n = [0]
    c.set_xrun_callback(lambda delay: n.__setitem__(0, n[0] + 1))
    c.activate()
    return c, n


def _query(port: int, address: str, timeout: float = 3.0) -> list:
    from pythonosc.osc_message import OscMessage

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(encode(address, []), ("127.0.0.1", port))
        while True:
            m = OscMessage(s.recv(65536))
            if m.address == address:
                return m.params


def measure(period: int, seconds: float) -> dict:
    import jack

    tmp = Path(tempfile.mkdtemp(prefix="wave-load-"))
    with _jackd("wave-load", period) as server, _jackd("wave-bare", period) as bare:
        env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"} | {"PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--audio", f"jack:{server}", "--midi-in",
                                 "virtual", "--osc-port", "0", "--sets-dir", str(tmp)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seq = None
        counters = []
        try:
            ready = proc.stdout.readline()
            port = int(re.search(r"osc=udp:[\d.]+:(\d+)", ready).group(1))
            seq = subprocess.Popen(["jack_midiseq", "wave-load-seq", "480", "0", "60", "200", "240", "64", "200"],
                                   env=dict(os.environ, JACK_DEFAULT_SERVER=server),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            c = jack.Client("wave-load-patch", servername=server, no_start_server=True)
            t_end = time.monotonic() + 10
            while not c.get_ports("wave-load-seq:out"):
                if time.monotonic() > t_end:
                    raise RuntimeError("jack_midiseq did not start")
                time.sleep(0.05)
            c.connect("wave-load-seq:out", "wave-midi:midi_in")
            c.close()
            for chan in range(4):  # notes held on four channels meanwhile (organ)
                for m in (encode("/wave/program", [chan, 19]), encode("/wave/note", [chan, 48 + 7 * chan, 90])):
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(m, ("127.0.0.1", port))
            time.sleep(1.0)
            bare_c, bare_n = _xrun_counter(bare, "bare")
            seen_c, seen_n = _xrun_counter(server, "wave-load-xruns")
            counters = [bare_c, seen_c]
            st0 = _query(port, "/wave/status")
            mem0 = _rss_mb(proc.pid)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.settimeout(0.3)
            pongs = [0]
            done = threading.Event()

            def receive() -> None:
                while not done.is_set():
                    try:
                        if sock.recv(1024).startswith(b"/wave/pong"):
                            pongs[0] += 1
                    except OSError:
                        pass

            th = threading.Thread(target=receive, daemon=True)
            th.start()
            msgs = [encode("/wave/cc", [2, 1, 64]), encode("/wave/fx/set", [2, "lowpass", "cutoff_frequency_hz", 5000.0]),
                    encode("/wave/bend", [2, 100])]
            pings = tick = 0
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                tick += 1
                for k in range(10):
                    if k == 0:
                        sock.sendto(encode("/wave/ping", [str(tick)]), ("127.0.0.1", port))
                        pings += 1
                    elif k in (1, 2):
                        key = 40 + (tick * 2 + k) % 40
                        sock.sendto(encode("/wave/note", [3, key, 90 if tick % 2 else 0]), ("127.0.0.1", port))
                    else:
                        sock.sendto(msgs[k % 3], ("127.0.0.1", port))
                delay = t0 + tick * 0.01 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            elapsed = time.monotonic() - t0
            time.sleep(0.5)
            done.set()
            th.join(2)
            st1 = _query(port, "/wave/status")
            mem1 = _rss_mb(proc.pid)
            bare_x, seen_x = bare_n[0], seen_n[0]
        finally:
            for c in counters:
                c.deactivate()
                c.close()
            if seq is not None:
                _stop(seq)
            _stop(proc, 20)
    shutil.rmtree(tmp, ignore_errors=True)
    late, xruns = st1[4] - st0[4], st1[9] - st0[9]
    return {"period": period, "seconds": elapsed, "osc_rate": tick * 10 / elapsed,
            "midi_rate": (st1[8] - st0[8]) / elapsed, "blocks": round(SR * elapsed / period),
            "overruns": late - xruns, "xruns": xruns, "seen": seen_x, "bare": bare_x, "mean": st1[2],
            "worst": st1[3], "pings": pings, "pongs": pongs[0], "rss0": mem0, "rss1": mem1}


def run(seconds: float | None = None) -> str:
    if not (shutil.which("jackd") and shutil.which("jack_midiseq")):
        return "## Live server under load\n\n(skipped: needs jackd and jack_midiseq)\n"
    seconds = seconds or float(os.environ.get("WAVE_LOAD_SECONDS", "60"))
    rows = [measure(p, seconds) for p in PERIODS]
    load = os.getloadavg()[0]
    out = ["## Live server under load", "",
           f"`python -m bench load` on {platform.node() or 'this machine'} ({os.cpu_count()} cores, load average "
           f"{load:.1f} when done): {seconds:.0f} s per period of 1000 OSC messages/s (100 pings) and 200 MIDI "
           "notes/s from `jack_midiseq` into `wave-midi:midi_in`, four organ notes held; JACK dummy driver at "
           "48 kHz. *Bare xruns*: a second dummy JACK server at the same period with one idle client, over the "
           "same seconds (this machine's own scheduling misses).", "",
           "| period | blocks | callback overruns | JACK xruns (bare server) | worst callback load | mean load | "
           "pongs lost | MIDI msg/s | RSS start → end |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['period']} | {r['blocks']} | {r['overruns']} | {r['xruns']} ({r['bare']}) | "
                   f"{r['worst']:.2f} | {r['mean']:.3f} | {r['pings'] - r['pongs']} of {r['pings']} | "
                   f"{r['midi_rate']:.0f} | {r['rss0']:.0f} → {r['rss1']:.0f} MB |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(run())
