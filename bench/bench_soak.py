"""Swap soak: a running `wave serve` (JACK dummy driver, 512 frames) gets a set load or a timbre model
swap every 0.5 s for SECONDS while notes play on every channel; reported: whether it survived, errors
it answered, late blocks, faults, RSS over time.

    .venv/bin/python -m bench soak --write          # 600 s
    WAVE_SOAK_SECONDS=60 .venv/bin/python -m bench soak
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_load import _jackd, _query, _rss_mb, _stop  # noqa: E402
from server.live.oscproto import encode  # noqa: E402

PERIOD = 512


def soak(seconds: float) -> dict:
    from pythonosc.osc_message import OscMessage

    tmp = Path(tempfile.mkdtemp(prefix="wave-soak-"))
    shutil.copyfile(REPO / "instruments" / "builtin" / "keyboard.ts", tmp / "keyboard.ts")
    with _jackd("wave-soak", PERIOD) as server:
        env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
        proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--audio", f"jack:{server}", "--osc-port", "0",
                                 "--sets-dir", str(tmp), "--models-dir", str(tmp)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(re.search(r"osc=udp:[\d.]+:(\d+)", proc.stdout.readline()).group(1))
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(0.0)
            dest = ("127.0.0.1", port)
            for ch in range(16):
                if ch != 9:
                    sock.sendto(encode("/wave/program", [ch, 19]), dest)
                sock.sendto(encode("/wave/note", [ch, 48 + ch, 80]), dest)
            time.sleep(1.0)
            st0 = _query(port, "/wave/status")
            rss = [_rss_mb(proc.pid)]
            errors, swaps, t0, k = 0, 0, time.monotonic(), 0
            while time.monotonic() - t0 < seconds and proc.poll() is None:
                k += 1
                ch = k % 16
                if k % 3 == 0:
                    sock.sendto(encode("/wave/timbre/model", [ch, "keyboard" if k % 2 else "none"]), dest)
                else:
                    sock.sendto(encode("/wave/set/load", ["gm", ch if k % 5 else -1]), dest)
                sock.sendto(encode("/wave/note", [ch, 48 + ch, 0]), dest)
                sock.sendto(encode("/wave/note", [ch, 48 + ch, 80]), dest)
                swaps += 1
                time.sleep(0.5)
                try:
                    while True:
                        if OscMessage(sock.recv(65536)).address == "/wave/error":
                            errors += 1
                except (BlockingIOError, OSError):
                    pass
                if k % 60 == 0:
                    rss.append(_rss_mb(proc.pid))
            alive = proc.poll() is None
            st1 = _query(port, "/wave/status") if alive else st0
            rss.append(_rss_mb(proc.pid) if alive else 0.0)
        finally:
            _stop(proc, 30)
            code = proc.returncode
    shutil.rmtree(tmp, ignore_errors=True)
    return {"seconds": seconds, "swaps": swaps, "alive": alive, "exit": code, "errors": errors,
            "late": st1[4] - st0[4], "xruns": st1[9] - st0[9], "faults": st1[10] - st0[10] if len(st1) > 10 else 0,
            "blocks": round(48000 * seconds / PERIOD), "rss": rss}


def run(seconds: float | None = None) -> str:
    if not shutil.which("jackd"):
        return "## Swap soak\n\n(skipped: needs jackd)\n"
    seconds = seconds or float(os.environ.get("WAVE_SOAK_SECONDS", "600"))
    r = soak(seconds)
    rss = r["rss"]
    return "\n".join([
        "## Swap soak", "",
        f"`python -m bench soak`: `wave serve` on a JACK dummy server at {PERIOD} frames, 16 channels holding "
        f"notes, a set load (one channel or all 16) or a timbre model swap (builtin keyboard on/off) every 0.5 s "
        f"for {r['seconds']:.0f} s ({r['swaps']} swaps), load average {os.getloadavg()[0]:.1f} when done.", "",
        f"- survived: {'yes' if r['alive'] else 'no'} (exit {r['exit']} after SIGTERM); error replies: {r['errors']}; "
        f"audio faults: {r['faults']}",
        f"- late blocks: {r['late']} of {r['blocks']} (JACK xruns {r['xruns']})",
        f"- RSS: {rss[0]:.0f} MB at start, {max(rss):.0f} MB at most, {rss[-1]:.0f} MB at the end",
        "",
    ])


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(run())
