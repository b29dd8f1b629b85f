"""Rebuild the scene evaluation images from their sources (run once; the results are committed).

Sources: Debian's openclipart-png (public domain) and mate-backgrounds (photos, GPL-2+; see
LICENSES.md). scikit-image's sample photos are not copied: the benchmark loads them from the
installed package. Each picture is flattened onto white (transparent clip art),
converted to RGB and downscaled so its longer side is at most 384 px (clip art, PNG) or 480 px
(photos, JPEG quality 88). The expected names were written by hand in expected.json, from the
pictures themselves, before the scene step was run on them.

    .venv/bin/python bench/data/scene_eval/make_set.py
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
CLIPART = Path("/usr/share/openclipart/png")
MATE = Path("/usr/share/backgrounds/mate")


def flatten(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA", "P", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, "white")
        bg.alpha_composite(im)
        im = bg
    return im.convert("RGB")


def main() -> None:
    spec = json.loads((HERE / "expected.json").read_text())
    out = HERE / "images"
    out.mkdir(exist_ok=True)
    for item in spec["images"]:
        src = item.get("source")
        if src is None or src.startswith("skimage:"):
            continue  # composites and scikit-image's photos are made or loaded at run time
        dest = out / item["file"]
        if src.startswith("synthetic:white"):
            im = Image.new("RGB", (480, 360), "white")
        elif src.startswith("mate:"):
            im = Image.open(MATE / src.split(":", 1)[1])
        else:
            im = Image.open(CLIPART / src)
        im = flatten(im)
        side = 480 if dest.suffix == ".jpg" else 384
        im.thumbnail((side, side), Image.LANCZOS)
        if dest.suffix == ".jpg":
            im.save(dest, quality=88)
        else:
            im.save(dest, optimize=True)
    print(f"wrote {len(list(out.iterdir()))} images to {out}")


if __name__ == "__main__":
    main()
