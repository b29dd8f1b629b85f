"""What ``wave batch`` reads: image files, folders (recursive) and text/CSV lists of paths."""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
LIST_SUFFIXES = (".txt", ".csv", ".lst", ".list")


@dataclass(frozen=True)
class Item:
    """One image of a batch and the name of its set (``OUT/<name>/``)."""

    path: Path
    name: str


def _from_list(path: Path) -> list[Path]:
    """One path per line (``#`` comments), or a CSV's first column; relative paths are taken from the
    list's folder. A header row that is not a file is skipped."""
    out: list[Path] = []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh) if path.suffix.lower() == ".csv" else ([line] for line in fh)
        for i, row in enumerate(rows):
            cell = (row[0] if row else "").strip()
            if not cell or cell.startswith("#"):
                continue
            p = Path(cell).expanduser()
            p = p if p.is_absolute() else path.parent / p
            if i == 0 and path.suffix.lower() == ".csv" and not p.exists() and "." not in Path(cell).name:
                continue  # header ("path", "image", ...)
            out.append(p)
    if not out:
        raise InputError(f"list {path} names no image; write one image path per line")
    return out


def collect_inputs(inputs: list[str | os.PathLike[str]]) -> list[Path]:
    """Every image the inputs name, in order, each once. A missing command-line input is an error
    before any work; a missing file named inside a list is kept, so that image is reported failed."""
    seen: set[Path] = set()
    found: list[Path] = []

    def add(p: Path) -> None:
        key = p.resolve()
        if key in seen:
            log.info("%s is listed more than once; it is made once", p)
            return
        seen.add(key)
        found.append(p)

    for raw in inputs:
        p = Path(raw).expanduser()
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not files:
                log.warning("folder %s holds no image (%s)", p, ", ".join(IMAGE_SUFFIXES))
            for f in files:
                add(f)
        elif p.is_file() and p.suffix.lower() in LIST_SUFFIXES:
            for f in _from_list(p):
                add(f)
        elif p.is_file():
            add(p)
        else:
            raise InputError(f"input {raw}: no such image, folder or list (.txt/.csv of image paths)")
    if not found:
        raise InputError("no image to make: give image files, folders of images or a .txt/.csv list of paths")
    return found


def name_items(paths: list[Path]) -> list[Item]:
    """Each image's set name: ``wave make``'s default name, with ``-2``, ``-3``... when two images
    would share one (``a/cat.jpg`` and ``b/cat.jpg`` -> ``cat`` and ``cat-2``)."""
    from ..make.pipeline import default_name

    used: set[str] = set()
    items = []
    for p in paths:
        base = default_name(p)[:60]
        name, k = base, 2
        while name.lower() in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name.lower())
        items.append(Item(p, name))
    return items
