"""`wave render` against the fluidsynth CLI: render time of each demo song, then time and peak memory for
1-, 10- and 30-minute songs.

Demo songs: both render the same file with the same soundfont at 48 kHz to a float WAV; each is timed
``REPEATS`` times, interleaved, and the best time is kept. The CLI's time includes its process start and
soundfont load; ours includes the soundfont load, parsing and the WAV write, not the interpreter start.

Long songs (a four-instrument type-0 loop, the song ``tests/test_render_stream.py`` renders): each renderer
runs once as its own process, in turn; wall time and peak resident memory (``ru_maxrss`` of that process,
from ``wait4``) are measured, so interpreter start and imports are included for ``wave`` as they are for a
user. ``wave render`` runs as ``--raw --format float`` (what the CLI does: one streaming pass) and as its
default (master chain, peak normalisation: a second pass, 24-bit). The in-memory path (``render_song`` then
``write_audio``, how ``wave render`` worked before it streamed) is measured up to 10 minutes.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server.audio.io import write_audio
from server.paths import MIDI_DIR, default_soundfont
from server.render import render_midi_file

REPEATS = 3
MINUTES = (1, 10, 30)
IN_MEMORY_UP_TO = 10  # minutes: the old path needs ~2 GB for 30
ROOT = Path(__file__).resolve().parent.parent


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


def _demo_table(font: str, tmp: str) -> list[str]:
    rows = []
    for song in sorted(MIDI_DIR.glob("*.mid")):
        cli, ours = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            subprocess.run(["fluidsynth", "-ni", "-o", "audio.file.format=float", "-F", f"{tmp}/ref.wav",
                            "-r", "48000", font, str(song)], check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            audio = render_midi_file(song, soundfont=font, raw=True, progress=False)
            write_audio(Path(tmp) / "ours.wav", audio, 48000, fmt="float")
            ours.append(time.perf_counter() - t0)
        rows.append((song.stem, audio.shape[1] / 48000, min(cli), min(ours)))
    lines = [
        "| song | audio (s) | fluidsynth CLI (s) | wave render (s) | ratio wave/CLI | wave × real time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, secs, c, o in rows:
        lines.append(f"| {name} | {secs:.1f} | {c:.3f} | {o:.3f} | {o / c:.2f} | {secs / o:.0f}× |")
    return lines


def _long_table(font: str, tmp: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from midi_helpers import band_song

    wave = [sys.executable, "-m", "server", "render", "--soundfont", font, "--no-progress"]
    # the same start-up as `wave` (its parser imports every stage), then the whole song in memory
    in_memory = ("import sys; from server.cli import build_parser; build_parser(); "
                 "from server.render import render_midi_file; from server.audio.io import write_audio; "
                 "write_audio(sys.argv[2], render_midi_file(sys.argv[1], soundfont=sys.argv[3], progress=False), "
                 "48000)")
    lines = [
        "| song | renderer | wall (s) | CPU (s) | peak memory (MiB) |",
        "|---|---|---:|---:|---:|",
    ]
    for minutes in MINUTES:
        mid = band_song(Path(tmp) / f"band{minutes}.mid", minutes)
        out = f"{tmp}/out.wav"
        runs = [
            ("fluidsynth CLI, float", ["fluidsynth", "-ni", "-o", "audio.file.format=float", "-F", out, "-r", "48000",
                                       font, str(mid)]),
            ("wave render --raw --format float", [*wave, str(mid), "-o", out, "--raw", "--format", "float"]),
            ("wave render (limiter, normalised, 24-bit)", [*wave, str(mid), "-o", out]),
        ]
        if minutes <= IN_MEMORY_UP_TO:
            runs.append(("in memory (before streaming), 24-bit", [sys.executable, "-c", in_memory, str(mid), out,
                                                                  font]))
        for name, cmd in runs:
            wall, cpu, rss = _measure(cmd)
            lines.append(f"| {minutes} min | {name} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |")
        Path(out).unlink(missing_ok=True)
    return lines


def run() -> str:
    font = str(default_soundfont())
    with tempfile.TemporaryDirectory() as tmp:
        demo = _demo_table(font, tmp)
        long = _long_table(font, tmp)
    load = os.getloadavg()[0]
    return "\n".join([
        "## Render: `wave render` vs the fluidsynth CLI",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (load {load:.1f} at the end); "
        f"soundfont {Path(font).name}; 48 kHz (`python -m bench render`).",
        "",
        f"Demo songs, `--raw`, in process, best of {REPEATS}, interleaved:",
        "",
        *demo,
        "",
        "Target: ratio ≤ 1.1.",
        "",
        "Long songs (four instruments on one type-0 track, ~16 notes per beat at 120 BPM), each renderer a "
        "process of its own, run once; wall time includes `wave`'s interpreter start and imports:",
        "",
        *long,
    ])
