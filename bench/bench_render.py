"""Render time of each demo song: `wave render --raw` (in process) against the fluidsynth CLI.

Both render the same file with the same soundfont at 48 kHz to a float WAV; each is timed 5 times,
interleaved, and the best time is kept. The CLI's time includes its process start and soundfont
load; ours includes the soundfont load, parsing and the WAV write, not the Python interpreter start.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from server.audio.io import write_audio
from server.paths import MIDI_DIR, default_soundfont
from server.render import render_midi_file

REPEATS = 5


def run() -> str:
    font = str(default_soundfont())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
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
            secs = audio.shape[1] / 48000
            rows.append((song.stem, secs, min(cli), min(ours)))
    lines = [
        "## Render: `wave render --raw` vs the fluidsynth CLI",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; soundfont {Path(font).name}; "
        f"best of {REPEATS}, interleaved, same process (`python -m bench render`).",
        "",
        "| song | audio (s) | fluidsynth CLI (s) | wave render (s) | ratio wave/CLI | wave × real time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, secs, c, o in rows:
        lines.append(f"| {name} | {secs:.1f} | {c:.3f} | {o:.3f} | {o / c:.2f} | {secs / o:.0f}× |")
    lines += ["", "Target: ratio ≤ 1.1."]
    return "\n".join(lines)
