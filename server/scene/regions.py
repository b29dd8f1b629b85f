"""Objects on a plain background: boxes from the difference to the background colour.

Cut-outs, clip art and product shots sit on a plain (often white) background that a COCO detector
trained on photographs may not box at all, and composites put several of them side by side. When
the picture's border is plain (:func:`plain_border`), the pixels that differ from the border colour
are grouped into blobs, and each blob's box can be classified on its own (:func:`foreground_boxes`).
Pure numpy/scipy on a downscaled copy: a few milliseconds.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

BORDER = 0.03  # the outer 3 % of each side is the border
PLAIN_SHARE = 0.85  # a border is plain when this share of its pixels are near its median colour
COLOUR_TOL = 40.0  # RGB distance (0..441) from the background colour that still counts as background
MIN_AREA = 0.015  # blobs smaller than this share of the picture are ignored
MAX_BOXES = 6


def _small(rgb: np.ndarray, side: int = 160) -> np.ndarray:
    h, w = rgb.shape[:2]
    step = max(1, int(np.ceil(max(h, w) / side)))
    return rgb[::step, ::step].astype(np.float32)


def _border(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    bh, bw = max(1, int(round(h * BORDER))), max(1, int(round(w * BORDER)))
    return np.concatenate([a[:bh].reshape(-1, 3), a[-bh:].reshape(-1, 3), a[:, :bw].reshape(-1, 3),
                           a[:, -bw:].reshape(-1, 3)])


def background_colour(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """(median border colour, share of border pixels within COLOUR_TOL of it)."""
    b = _border(_small(rgb))
    med = np.median(b, axis=0)
    share = float(np.mean(np.linalg.norm(b - med, axis=1) <= COLOUR_TOL))
    return med, share


def plain_border(rgb: np.ndarray) -> bool:
    """True when the picture sits on a plain background (most of its border is one colour)."""
    return background_colour(rgb)[1] >= PLAIN_SHARE


def foreground_boxes(rgb: np.ndarray, exclude: list[tuple[float, float, float, float]] | None = None,
                     ) -> list[tuple[float, float, float, float]]:
    """Normalised boxes of the blobs that stand out from a plain background, largest first.

    Pixels inside the ``exclude`` boxes (objects a detector already boxed) are left out, so an
    object touching a detected one is still found on its own. Empty when the border is not plain,
    or when nothing (or almost everything) differs from it."""
    med, share = background_colour(rgb)
    if share < PLAIN_SHARE:
        return []
    a = _small(rgb)
    h, w = a.shape[:2]
    fg = np.linalg.norm(a - med, axis=2) > COLOUR_TOL
    frac = float(fg.mean())
    if frac < MIN_AREA or frac > 0.9:
        return []
    for x0, y0, x1, y1 in exclude or []:
        fg[int(y0 * h):int(np.ceil(y1 * h)), int(x0 * w):int(np.ceil(x1 * w))] = False
    # join the parts of one object (a bicycle's thin frame, a drum kit's pieces) before labelling
    grow = max(1, int(round(0.01 * max(h, w))))
    joined = ndimage.binary_dilation(fg, iterations=grow)
    labels, n = ndimage.label(joined)
    boxes = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        part = fg[sl] & (labels[sl] == i)
        if part.sum() < MIN_AREA * h * w:
            continue
        ys, xs = np.nonzero(part)
        y0, y1 = sl[0].start + ys.min(), sl[0].start + ys.max() + 1
        x0, x1 = sl[1].start + xs.min(), sl[1].start + xs.max() + 1
        boxes.append((round(float(x0) / w, 4), round(float(y0) / h, 4), round(float(x1) / w, 4),
                      round(float(y1) / h, 4), int(part.sum())))
    boxes.sort(key=lambda b: -b[4])
    return [b[:4] for b in boxes[:MAX_BOXES]]
