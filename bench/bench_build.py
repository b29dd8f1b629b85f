"""Benchmark of the instrument builder: one melodic instrument from a 10 s sound, a drum kit, a whole set.

Usage: .venv/bin/python -m bench build (or bench/bench_build.py [--repeat N])
Writes nothing into the repository (a temporary folder); prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def sounds(folder: Path) -> dict[str, Path]:
    sr = 48000
    t = np.arange(10 * sr) / sr
    rng = np.random.default_rng(0)
    f0 = 233.0  # between A#3 and B3
    tone = sum(np.sin(2 * np.pi * k * f0 * t * (1 + 0.0004 * k * k)) / k for k in range(1, 12))
    tone = 0.3 * tone * np.exp(-0.4 * t) * (1 + 0.05 * np.sin(2 * np.pi * 5 * t))
    drums = np.zeros(10 * sr)
    for i in range(16):  # a bar of kick / hat / snare / hat hits, 10 s
        k = int(i * 0.6 * sr)
        n = int(0.3 * sr)
        tt = np.arange(n) / sr
        if i % 4 == 0:
            hit = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-tt * 30)) / sr) * np.exp(-tt * 8)
        elif i % 4 == 2:
            hit = (rng.standard_normal(n) * 0.4 + 0.4 * np.sin(2 * np.pi * 190 * tt)) * np.exp(-tt * 18)
        else:
            hit = np.diff(rng.standard_normal(n + 1)) * 0.3 * np.exp(-tt * 60)
        drums[k : k + n] += hit[: len(drums) - k]
    out = {}
    for role, audio in (("keyboard", tone), ("guitar", tone), ("bass", tone), ("drums", drums)):
        p = folder / f"{role}.wav"
        sf.write(str(p), audio, sr, subtype="PCM_24")
        out[role] = p
    return out


def run(repeat: int = 2) -> str:
    """Build each role and a set ``repeat`` times; return the Markdown section."""
    t0 = time.perf_counter()
    from server.build import build_instrument, build_set

    import_s = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        src = sounds(d)
        # warm-up: librosa/numba compile caches, pedalboard load
        build_instrument(src["bass"], "bass", name="warm", sfz_dir=d / "sfz", sf2_dir=d / "sf2")
        for role in ("keyboard", "guitar", "bass", "drums"):
            times = []
            for _ in range(repeat):
                r = build_instrument(src[role], role, name=role, sfz_dir=d / "sfz", sf2_dir=d / "sf2")
                times.append(r.seconds)
            inst = r.instruments[role]
            size = r.sf2.stat().st_size / 1e6
            rows.append((f"{role} from a 10 s sound", len(inst.zones), statistics.median(times), min(times), size))
        times = []
        for _ in range(repeat):
            r = build_set(src, name="set", sfz_dir=d / "sfz", sf2_dir=d / "sf2")
            times.append(r.seconds)
        zones = sum(len(i.zones) for i in r.instruments.values())
        rows.append(("set (4 roles, GM SF2)", zones, statistics.median(times), min(times), r.sf2.stat().st_size / 1e6))
    load = os.getloadavg()[0]
    lines = [
        "## Build: `wave build` time per instrument",
        "",
        f"{os.cpu_count()} cores, load average at the end: {load:.1f}; import of server.build: {import_s:.2f} s; "
        f"median and best of {repeat} (`python -m bench build`).",
        "",
        "| build | zones | median s | best s | SF2 MB |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {name} | {zones} | {med:.2f} | {best:.2f} | {mb:.1f} |" for name, zones, med, best, mb in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    print(run(ap.parse_args().repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
