"""`make demo` after set-up: `wave make` on the bundled photo with builtin backends, as a fresh process.

Each run is a new `python -m server make PHOTO -o DIR --force` (so it includes the interpreter start,
imports and the TorchScript model loads); the per-stage times come from the run's make.json. Then the
same command without --force (every stage reused). RUNS runs, the best total kept with its stages.
The machine is shared: the 1-minute load average is printed with the figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server.make.cli import BUNDLED_PHOTO
from server.make.pipeline import STAGES

RUNS = 2


def _make(out: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "server", "make", str(BUNDLED_PHOTO), "-o", str(out), *extra],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def run() -> str:
    best = None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        for _ in range(RUNS):
            load = os.getloadavg()[0]
            total = _make(out, "--force")
            stages = {k: v["seconds"] for k, v in json.loads((out / "make.json").read_text())["stages"].items()}
            if best is None or total < best[0]:
                best = (total, stages, load)
        cached = min(_make(out) for _ in range(3))
    total, stages, load = best
    in_process = sum(stages.values())
    lines = [
        "## Make: `wave make` on the bundled photo (what `make demo` runs)",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs (1-min load {load:.1f} during the "
        f"kept run); builtin backends, default settings (3 s sounds, builder step 4); best of {RUNS} "
        "fresh processes with `--force` (`python -m bench make`).",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {s} | {stages[s]:.2f} |" for s in STAGES],
        f"| interpreter start, imports, hashing | {total - in_process:.2f} |",
        f"| **total (`wave make`, fresh process)** | **{total:.2f}** |",
        f"| second run without `--force` (all stages reused) | {cached:.2f} |",
        "",
        f"Target: total under 60 s. Reuse speed-up: {total / cached:.0f}× (whole process; the stages "
        "themselves take milliseconds when reused).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
