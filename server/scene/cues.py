"""Scene and ambience cues read from the pixels themselves: sky, water, foliage, night, colour, mood.

They let an image with no detectable object still yield ambience sources (wind, rain, water, leaves,
room tone) where colour and texture give evidence for them, and give every backend a mood as
valence/arousal. All measures are fractions of pixels in
HSV colour ranges, computed on a downscaled copy (~40k pixels), so they cost a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import Mood, SoundSource, Variant


@dataclass(frozen=True)
class Cues:
    brightness: float  # mean V, 0..1
    saturation: float  # mean S, 0..1
    warmth: float  # fraction of saturated red/orange/yellow pixels
    sky: float  # fraction of the top third that is sky-like (blue, or bright and grey)
    water: float  # fraction of the bottom half that is blue/cyan
    foliage: float  # fraction of green, saturated pixels
    texture: float  # mean gradient magnitude (edge density), 0..~0.3
    grey: float  # fraction of low-saturation pixels
    plain: bool = False  # the picture sits on a plain background (a cut-out, clip art): no landscape cues
    texture_bottom: float = 0.05  # mean gradient magnitude of the bottom half

    @property
    def night(self) -> bool:
        return self.brightness < 0.22

    @property
    def overcast(self) -> bool:
        return not self.plain and self.grey > 0.7 and 0.25 < self.brightness < 0.6 and self.sky > 0.3


SMOOTH = 0.02  # local gradient below this is a smooth surface (sky, calm water)
ROUGH = 0.03  # local gradient above this is textured (foliage, ripples)


def measure(rgb: np.ndarray) -> Cues:
    """Measure the cues of an RGB uint8 image.

    Landscape cues need colour *and* texture: sky is blue (or, under cloud, grey but not white) and
    smooth in the top third, above a textured lower half; water is blue with ripples in the bottom
    half; foliage is green and textured. A picture on a plain background (:func:`regions.plain_border`)
    has none of them: a white or bright background is not sky.
    """
    from .regions import plain_border

    h, w = rgb.shape[:2]
    step = max(1, int(np.sqrt(h * w / 40000)))
    a = rgb[::step, ::step].astype(np.float32) / 255.0
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    mx, mn = a.max(axis=2), a.min(axis=2)
    v = mx
    s = np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    d = np.maximum(mx - mn, 1e-6)
    hue = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4)) * 60.0
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    gy, gx = np.gradient(lum)
    grad = np.hypot(gx, gy)
    local = _box_mean(grad, 3)  # texture around each pixel
    sat = (s > 0.2) & (v > 0.15)
    blue = sat & (hue >= 180) & (hue <= 250)
    green = sat & (hue >= 65) & (hue <= 170)
    warm = sat & ((hue < 50) | (hue > 330))
    grey = s < 0.12
    hh = a.shape[0]
    top = slice(0, max(1, hh // 3))
    bottom = slice(hh // 2, hh)
    plain = plain_border(rgb)
    texture_bottom = float(grad[bottom].mean())
    smooth_top = local[top] < SMOOTH
    cloud = grey[top] & (v[top] > 0.45) & (v[top] < 0.97)  # grey sky, not a white background
    sky = float(np.mean(smooth_top & (blue[top] | cloud))) if texture_bottom > 0.01 else float(
        np.mean(smooth_top & blue[top]))
    water = float(np.mean(blue[bottom] & (v[bottom] < 0.85) & (local[bottom] > SMOOTH / 2)))
    foliage = float(np.mean(green & (local > ROUGH)))
    if plain:
        sky = water = foliage = 0.0
    return Cues(
        brightness=float(v.mean()),
        saturation=float(s.mean()),
        warmth=float(warm.mean()),
        sky=sky,
        water=water,
        foliage=foliage,
        texture=float(grad.mean()),
        grey=float(grey.mean()),
        plain=plain,
        texture_bottom=texture_bottom,
    )


def _box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.uniform_filter(x, size=2 * radius + 1, mode="nearest")


def mood_from_cues(c: Cues) -> Mood:
    """Valence from brightness, colourfulness and warmth; arousal from saturation, texture and warmth."""
    valence = 1.2 * (c.brightness - 0.45) + 0.6 * (c.saturation - 0.35) + 0.3 * (c.warmth - 0.3) + 0.3 * c.foliage
    valence -= 0.4 if c.night else 0.0
    arousal = 0.1 + 0.6 * c.saturation + 2.0 * c.texture + 0.15 * c.warmth
    return Mood(valence=round(float(np.clip(valence, -1, 1)), 3), arousal=round(float(np.clip(arousal, 0, 1)), 3))


def mood_words(m: Mood) -> str:
    """A short mood description from the circumplex quadrant."""
    if m.valence >= 0.15:
        words = ["bright", "lively", "joyful"] if m.arousal >= 0.5 else ["calm", "warm", "serene"]
    elif m.valence <= -0.15:
        words = ["tense", "restless", "dark"] if m.arousal >= 0.5 else ["gloomy", "still", "melancholic"]
    else:
        words = ["busy", "alert", "neutral"] if m.arousal >= 0.5 else ["quiet", "contemplative", "neutral"]
    return ", ".join(words)


def ambience_source(key: str, conf: float, *, name: str | None = None, named_by: str = "cues",
                    label: str | None = None, grounded: bool = True) -> SoundSource:
    """An ambience source (no box) from the sound vocabulary's source ``key``."""
    from ..vocab import vocabulary

    e = vocabulary().source_entry(key, name)
    variants = [Variant(play_method=p.method, timbre=list(p.timbre), sound_model=p.sound_model,
                        audioset=list(p.audioset)) for p in e.plays]
    extra = {"label": label} if label else {}
    return SoundSource(name=e.name, material=e.material, variants=variants, ambience=True, grounded=grounded,
                       confidence=round(float(np.clip(conf, 0, 1)), 3), depth=1.0, named_by=named_by, **extra)


def ambience_sources(c: Cues, *, indoor: bool = False) -> list[SoundSource]:
    """Ambience sources the cues give evidence for (no box); may be empty.

    Wind needs a sky (blue, or grey above textured ground) and no indoor objects; water needs blue
    with ripples; leaves need textured green; rain an overcast sky; night insects a dark picture with
    foliage; room tone indoor objects. A plain background gives none."""
    out = []
    if c.overcast and not indoor:
        out.append(ambience_source("rain", c.grey))
    if c.sky > 0.3 and not indoor:
        out.append(ambience_source("wind", c.sky))
    if c.water > 0.25:
        out.append(ambience_source("water", c.water))
    if c.foliage > 0.2:
        out.append(ambience_source("leaves", c.foliage))
    if c.night and c.foliage > 0.05:
        out.append(ambience_source("night insects", 0.5))
    if indoor and not out:
        out.append(ambience_source("room tone", 0.5))
    return out


def scene_words(c: Cues) -> str:
    parts = ["at night" if c.night else ("in daylight" if c.brightness > 0.45 else "in dim light")]
    if c.sky > 0.3:
        parts.append("under an open sky")
    if c.water > 0.25:
        parts.append("by water")
    if c.foliage > 0.2:
        parts.append("among foliage")
    return ", ".join(parts)
