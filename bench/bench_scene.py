"""Builtin scene time per image (scikit-image photos); prints a Markdown table.

Usage: .venv/bin/python -m bench scene (or bench/bench_scene.py [--repeat 3])
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def run(repeat: int = 3) -> str:
    """Read five scikit-image photos ``repeat`` + 1 times each; return the Markdown section."""
    import skimage.data as sd

    from server.scene import read_scene

    tmp = Path(tempfile.mkdtemp())
    lines = [
        "## Scene: builtin `wave scene` time per image",
        "",
        f"{os.cpu_count()} cores; first call (imports, model load) and median of {repeat} more "
        "(`python -m bench scene`).",
        "",
        "| image | size | first call ms | median ms | sources |",
        "|---|---|---|---|---|",
    ]
    for name in ("chelsea", "coffee", "stereo_motorcycle", "astronaut", "rocket"):
        img = getattr(sd, name)()
        img = img[0] if isinstance(img, tuple) else img
        p = tmp / f"{name}.png"
        Image.fromarray(img).save(p)
        times = []
        for _ in range(repeat + 1):
            t = time.perf_counter()
            spec = read_scene(p)
            times.append((time.perf_counter() - t) * 1000)
        names = ", ".join(f"{s.name}:{s.role}" for s in spec.sound_sources)
        lines.append(f"| {name} | {img.shape[1]}x{img.shape[0]} | {times[0]:.0f} | {np.median(times[1:]):.0f} | {names} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    print(run(ap.parse_args().repeat))


if __name__ == "__main__":
    main()
