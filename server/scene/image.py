"""Read an image file into an 8-bit RGB array, or fail with a message a user can act on.

Handled: grayscale, grayscale+alpha, palette, RGBA (composited on white), CMYK, 16-bit and 32-bit
integer and float PNG/TIFF (scaled to 8 bit), EXIF orientation (rotated upright), animated GIF/WebP
(first frame). Refused with :class:`InputError`: missing file, folder, non-image, truncated or
corrupt data, images smaller than :data:`MIN_SIDE` pixels, and images over :data:`MAX_PIXELS`
(decompression-bomb guard, checked from the header before any pixel is decoded).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError

log = logging.getLogger(__name__)

MIN_SIDE = 8
MAX_PIXELS = 64_000_000  # 8000 x 8000; a 20000 x 20000 image (400 MP) is refused before decoding


def load_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Return the image as ``uint8`` array ``(height, width, 3)``, upright, first frame."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise InputError(f"image {p} does not exist")
    if p.is_dir():
        raise InputError(f"image {p} is a folder, expected an image file (JPEG, PNG, WebP, GIF, TIFF...)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(p)
    except UnidentifiedImageError:
        raise InputError(f"{p} is not an image PIL can read (expected JPEG, PNG, WebP, GIF, TIFF, BMP...)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"{p} is too large to decode safely: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read image {p}: {exc}") from None
    with im:
        w, h = im.size
        if w * h > max_pixels:
            raise InputError(
                f"{p} is {w}x{h} = {w * h / 1e6:.0f} megapixels, over the {max_pixels / 1e6:.0f} MP limit "
                "(decompression-bomb guard); downscale it first"
            )
        if min(w, h) < MIN_SIDE:
            raise InputError(f"{p} is {w}x{h} pixels; a scene needs at least {MIN_SIDE}x{MIN_SIDE}")
        if getattr(im, "n_frames", 1) > 1:
            log.info("%s has %d frames; using the first", p, im.n_frames)
            im.seek(0)
        try:
            im.load()
            im = ImageOps.exif_transpose(im)
            arr = _to_rgb8(im)
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"cannot decode image {p} (corrupt or truncated?): {exc}") from None
    return arr


def _to_rgb8(im) -> np.ndarray:
    from PIL import Image

    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im).astype(np.float64)
        if mode == "F":
            lo, hi = np.nanmin(a), np.nanmax(a)
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        else:
            top = 65535.0 if mode.startswith("I;16") or a.max() <= 65535 else float(a.max())
            a = a / top
        g = np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(g[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, rgba).convert("RGB"))
    if mode == "RGB" and np.asarray(im).dtype == np.uint8:
        return np.asarray(im).copy()
    return np.asarray(im.convert("RGB"))
