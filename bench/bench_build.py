"""Benchmark of the instrument builder: build time for a pitched, a far-rooted, an unpitched and a
10-minute source (keyboard, the largest role), a drum kit, and a whole set.

Usage: .venv/bin/python -m bench build (or bench/bench_build.py [--repeat N])
Writes nothing into the repository (a temporary folder); prints a Markdown section.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SR = 48000


def tone(f0: float, seconds: float, sr: int = SR) -> np.ndarray:
    """A stiff-string tone (partials slightly sharp), slow decay and a 5 Hz tremolo."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * k * f0 * t * (1 + 0.0004 * k * k)) / k for k in range(1, 12))
    return 0.3 * x * np.exp(-0.4 * t) * (1 + 0.05 * np.sin(2 * np.pi * 5 * t))


def noise(seconds: float, sr: int = SR) -> np.ndarray:
    """Band-passed noise in slow swells (rustling grass): no stable pitch."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * sr)) / sr
    n = signal.sosfilt(signal.butter(4, [300, 4000], "bandpass", fs=sr, output="sos"), rng.standard_normal(len(t)))
    return 0.3 * n / np.abs(n).max() * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))


def drums(seconds: float, sr: int = SR) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = np.zeros(int(seconds * sr))
    for i in range(int(seconds / 0.6)):  # kick / hat / snare / hat, a hit every 0.6 s
        k = int(i * 0.6 * sr)
        n = int(0.3 * sr)
        tt = np.arange(n) / sr
        if i % 4 == 0:
            hit = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-tt * 30)) / sr) * np.exp(-tt * 8)
        elif i % 4 == 2:
            hit = (rng.standard_normal(n) * 0.4 + 0.4 * np.sin(2 * np.pi * 190 * tt)) * np.exp(-tt * 18)
        else:
            hit = np.diff(rng.standard_normal(n + 1)) * 0.3 * np.exp(-tt * 60)
        out[k : k + n] += hit[: len(out) - k]
    return out


def sounds(folder: Path) -> dict[str, Path]:
    ten_min_sr = 44100
    long = np.zeros(600 * ten_min_sr, dtype=np.float32)  # a 10-minute field recording starting with a tone
    long[: 10 * ten_min_sr] = tone(233.0, 10.0, ten_min_sr)
    rng = np.random.default_rng(2)
    long[10 * ten_min_sr :] = 0.02 * rng.standard_normal(len(long) - 10 * ten_min_sr)
    files = {
        "pitched": (tone(233.0, 10.0), SR),  # between A#3 and B3
        "far_root": (tone(47.0, 10.0), SR),  # keyboard roots up to C8: shifts of up to +78 semitones
        "unpitched": (noise(10.0), SR),
        "ten_minutes": (long, ten_min_sr),
        "drums": (drums(10.0), SR),
    }
    out = {}
    for name, (audio, sr) in files.items():
        p = folder / f"{name}.wav"
        sf.write(str(p), audio, sr, subtype="PCM_16" if name == "ten_minutes" else "PCM_24")
        out[name] = p
    return out


def _time(fn, repeat: int) -> tuple[list[float], object]:
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return times, res


def run(repeat: int = 2) -> str:
    """Build each case ``repeat`` times; return the Markdown section."""
    t0 = time.perf_counter()
    from server.errors import InputError
    from server.instruments_build import build_instrument, build_set

    import_s = time.perf_counter() - t0
    logging.getLogger("server.instruments_build").setLevel(logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        src = sounds(d)
        kw = {"sfz_dir": d / "sfz", "sf2_dir": d / "sf2"}
        build_instrument(src["pitched"], "bass", name="warm", **kw)  # librosa/numba caches, pedalboard load

        def case(label, sound, role="keyboard", **opts):
            times, res = _time(lambda: build_instrument(src[sound], role, name=sound, **kw, **opts), repeat)
            inst = res.instruments[role]
            pitch = inst.info.get("pitch", {})
            root = f"{pitch['freq']:.1f} Hz ({pitch['method']})" if pitch else "-"
            rows.append((label, len(inst.zones), root, statistics.median(times), min(times),
                         res.sf2.stat().st_size / 1e6))

        case("keyboard, pitched 10 s tone (233 Hz)", "pitched")
        case("keyboard, 47 Hz tone (shifts up to +78 semitones)", "far_root")

        def refused():
            try:
                build_instrument(src["unpitched"], "keyboard", name="unpitched", **kw)
            except InputError as exc:
                return exc
            raise AssertionError("a noise source built a keyboard without --force-pitch")

        times, _ = _time(refused, repeat)
        rows.append(("keyboard, unpitched 10 s noise: refused", 0, "no stable pitch", statistics.median(times),
                     min(times), 0.0))
        case("keyboard, unpitched 10 s noise, --force-pitch (resonator)", "unpitched", force_pitch=True)
        case("keyboard, 10-minute source (first 10 s used)", "ten_minutes")
        case("drums, 10 s of hits (61 keys)", "drums", role="drums")
        sset = {"keyboard": src["pitched"], "guitar": src["pitched"], "bass": src["pitched"], "drums": src["drums"]}
        times, res = _time(lambda: build_set(sset, name="set", **kw), repeat)
        zones = sum(len(i.zones) for i in res.instruments.values())
        rows.append(("set: 4 roles, GM SF2", zones, "-", statistics.median(times), min(times),
                     res.sf2.stat().st_size / 1e6))
    load = os.getloadavg()[0]
    lines = [
        "## Build: `wave build` time per instrument",
        "",
        f"{os.cpu_count()} cores, load average at the end: {load:.1f}; import of server.instruments_build: {import_s:.2f} s; "
        f"median and best of {repeat} in a warm process (`python -m bench build`); 48 kHz build rate, a root "
        "every 3 semitones, 2 velocity layers.",
        "",
        "| build | zones | root | median s | best s | SF2 MB |",
        "|---|---:|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {zones} | {root} | {med:.2f} | {best:.2f} | {mb:.1f} |"
        for name, zones, root, med, best, mb in rows
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    print(run(ap.parse_args().repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
