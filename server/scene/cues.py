"""Scene and ambience cues read from the pixels themselves: sky, water, foliage, night, colour, mood.

They let an image with no detectable object still yield sources (wind, rain, water, leaves, room
tone), and give every backend a mood as valence/arousal. All measures are fractions of pixels in
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

    @property
    def night(self) -> bool:
        return self.brightness < 0.22

    @property
    def overcast(self) -> bool:
        return self.grey > 0.7 and 0.25 < self.brightness < 0.6 and self.sky > 0.3


def measure(rgb: np.ndarray) -> Cues:
    """Measure the cues of an RGB uint8 image."""
    h, w = rgb.shape[:2]
    step = max(1, int(np.sqrt(h * w / 40000)))
    a = rgb[::step, ::step].astype(np.float32) / 255.0
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    mx, mn = a.max(axis=2), a.min(axis=2)
    v = mx
    s = np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    d = np.maximum(mx - mn, 1e-6)
    hue = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4)) * 60.0
    sat = (s > 0.2) & (v > 0.15)
    blue = sat & (hue >= 180) & (hue <= 250)
    green = sat & (hue >= 65) & (hue <= 170)
    warm = sat & ((hue < 50) | (hue > 330))
    grey = s < 0.12
    hh = a.shape[0]
    top = slice(0, max(1, hh // 3))
    bottom = slice(hh // 2, hh)
    sky = float(np.mean(blue[top] | (grey[top] & (v[top] > 0.6))))
    water = float(np.mean(blue[bottom] & (v[bottom] < 0.85)))
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    gy, gx = np.gradient(lum)
    return Cues(
        brightness=float(v.mean()),
        saturation=float(s.mean()),
        warmth=float(warm.mean()),
        sky=sky,
        water=water,
        foliage=float(green.mean()),
        texture=float(np.hypot(gx, gy).mean()),
        grey=float(grey.mean()),
    )


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


def _amb(name: str, material: str, play: str, timbre: list[str], conf: float) -> SoundSource:
    return SoundSource(
        name=name,
        material=material,
        variants=[Variant(play_method=play, timbre=timbre)],
        ambience=True,
        grounded=True,
        confidence=round(float(np.clip(conf, 0, 1)), 3),
        depth=1.0,
    )


def ambience_sources(c: Cues, *, indoor: bool = False) -> list[SoundSource]:
    """Ambience sources implied by the cues (no box); always at least one (room tone or air)."""
    out = []
    if c.overcast and not indoor:
        out.append(_amb("rain", "water drops", "steady rain falling on the ground", ["hissing", "soft", "dense"], c.grey))
    if c.sky > 0.3 and not indoor:
        out.append(_amb("wind", "moving air", "wind blowing across open space", ["airy", "soft", "whooshing"], c.sky))
    if c.water > 0.25:
        out.append(_amb("water", "water surface", "water lapping and flowing", ["watery", "gentle", "splashing"], c.water))
    if c.foliage > 0.2:
        out.append(_amb("leaves", "foliage", "leaves rustling in the breeze", ["rustling", "airy", "soft"], c.foliage))
    if c.night:
        if c.foliage > 0.05:
            out.append(_amb("night insects", "crickets", "crickets chirping at night", ["chirping", "high", "steady"], 0.5))
        else:
            out.append(_amb("night hum", "distant city", "distant traffic hum at night", ["low", "humming", "distant"], 0.5))
    if not out:
        if indoor or c.sky < 0.15:
            out.append(_amb("room tone", "still air in a room", "quiet room ambience", ["soft", "low", "steady"], 0.5))
        else:
            out.append(_amb("outdoor air", "open air", "gentle outdoor ambience", ["airy", "soft", "distant"], 0.5))
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
