"""Builtin scene time per image (scikit-image photos); prints a Markdown table.

Usage: .venv/bin/python bench/bench_scene.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import skimage.data as sd

    from server.scene import read_scene

    tmp = Path(tempfile.mkdtemp())
    print("| image | size | first call ms | median ms | sources |")
    print("|---|---|---|---|---|")
    for name in ("chelsea", "coffee", "stereo_motorcycle", "astronaut", "rocket"):
        img = getattr(sd, name)()
        img = img[0] if isinstance(img, tuple) else img
        p = tmp / f"{name}.png"
        Image.fromarray(img).save(p)
        times = []
        for _ in range(args.repeat + 1):
            t = time.perf_counter()
            spec = read_scene(p)
            times.append((time.perf_counter() - t) * 1000)
        names = ", ".join(f"{s.name}:{s.role}" for s in spec.sound_sources)
        print(f"| {name} | {img.shape[1]}x{img.shape[0]} | {times[0]:.0f} | {np.median(times[1:]):.0f} | {names} |")


if __name__ == "__main__":
    main()
