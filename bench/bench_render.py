"""`wave render` against the fluidsynth CLI: the whole process (interpreter start, imports, soundfont load,
MIDI parse, render, WAV write), on 1-, 3- and 10-minute songs.

The songs are the four-instrument type-0 loop ``tests/test_render_stream.py`` renders (~16 notes per beat at
120 BPM). Each renderer runs as a process of its own, in turn (CLI, ``wave render --raw --format float``, the
default ``wave render``), and the round is repeated ``ROUNDS`` times, so the machine's load falls on all of
them alike; the best wall and CPU time of each are kept, and the largest peak resident memory. Wall and CPU
time and peak memory (``ru_maxrss``) come from ``wait4`` on that process alone.

``--raw --format float`` does what the CLI does (FluidSynth's reverb and chorus on, one streaming pass to a
float WAV): the target applies to it. The default render adds the master chain (limiter, safety stage), a
second, normalising pass and 24-bit conversion.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from server.paths import default_soundfont

ROUNDS = 2
MINUTES = (1, 3, 10)
ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.1  # wave / CLI, wall and CPU
RSS_TARGET = 200  # MiB

# Runs the command from a small interpreter: Linux keeps a forked child's resident size from before its exec
# in ru_maxrss, so a child forked straight from this (large) process would report at least its size.
_MEASURE = """
import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = p.stderr.read()
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t0
if os.waitstatus_to_exitcode(status):
    sys.exit(err.decode(errors="replace")[-500:])
print(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024)
"""


def _measure(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall s, CPU s, peak RSS MiB) of that process alone."""
    r = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{cmd[0]} failed: {r.stderr.strip()}")
    wall, cpu, rss = map(float, r.stdout.split())
    return wall, cpu, rss


def compile_package() -> None:
    """Write the package's bytecode first, as installing it does. Where ``PYTHONDONTWRITEBYTECODE`` is set (this
    workplace's shells), a checkout's stale ``.pyc`` files are never rewritten, and every ``wave`` process
    compiled the modules it imports again: ~0.1 s of a 1-minute render's start-up that no installed copy pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "server")], check=True,
                   stdout=subprocess.DEVNULL)


def measure(minutes=MINUTES, rounds: int = ROUNDS) -> list[tuple[int, str, float, float, float]]:
    """(minutes, renderer, best wall s, best CPU s, peak RSS MiB) for each song and renderer."""
    compile_package()
    sys.path.insert(0, str(ROOT / "tests"))
    from midi_helpers import band_song

    font = str(default_soundfont())
    wave = [sys.executable, "-m", "server", "render", "--soundfont", font, "--no-progress"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in minutes:
            mid = str(band_song(Path(tmp) / f"band{m}.mid", m))
            out = f"{tmp}/out.wav"
            runs = {
                "fluidsynth CLI, float": ["fluidsynth", "-ni", "-o", "audio.file.format=float", "-F", out,
                                          "-r", "48000", font, mid],
                "wave render --raw --format float": [*wave, mid, "-o", out, "--raw", "--format", "float"],
                "wave render (master, normalised, 24-bit)": [*wave, mid, "-o", out],
            }
            got: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
            for _ in range(rounds):
                for name, cmd in runs.items():
                    got[name].append(_measure(cmd))
            for name, rs in got.items():
                rows.append((m, name, min(r[0] for r in rs), min(r[1] for r in rs), max(r[2] for r in rs)))
            Path(out).unlink(missing_ok=True)
    return rows


def table(rows) -> list[str]:
    cli = {m: (w, c) for m, name, w, c, _ in rows if name.startswith("fluidsynth")}
    lines = ["| song | renderer | wall (s) | CPU (s) | peak RSS (MiB) | wall ÷ CLI | CPU ÷ CLI |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for m, name, w, c, rss in rows:
        cw, cc = cli[m]
        lines.append(f"| {m} min | {name} | {w:.2f} | {c:.2f} | {rss:.0f} | {w / cw:.2f} | {c / cc:.2f} |")
    return lines


def help_time(rounds: int = 5) -> tuple[float, float]:
    """Best wall and CPU time of ``wave render --help`` (a whole process)."""
    runs = [_measure([sys.executable, "-m", "server", "render", "--help"]) for _ in range(rounds)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def run() -> str:
    rows = measure()
    helps = help_time()
    load = os.getloadavg()[0]
    return "\n".join([
        "## Render: `wave render` vs the fluidsynth CLI",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (load {load:.1f} at the end); "
        f"soundfont {Path(default_soundfont()).name}; 48 kHz (`python -m bench render`).",
        "",
        "Songs: four instruments on one type-0 track, ~16 notes per beat at 120 BPM. Each renderer is a process "
        f"of its own (interpreter start and imports included), run in turn, {ROUNDS} rounds; best wall and CPU "
        "time, largest peak RSS:",
        "",
        *table(rows),
        "",
        f"Target: `--raw --format float` (the CLI's work) ≤ {TARGET}× the CLI's wall and CPU time; peak RSS ≤ "
        f"{RSS_TARGET} MiB. `wave render --help`: {helps[0]:.2f} s wall, {helps[1]:.2f} s CPU (best of 5; "
        "bytecode compiled first, as an install does).",
    ])


if __name__ == "__main__":
    print(run())
