"""From a mood (valence -1..1, arousal 0..1) to musical parameters, and a mood from words when a scene
has none. The rules are one table, :data:`MOOD_MAP`, that the docs and the report quote; its sources are
in ``docs/compose.md``:

* valence -> mode (Ionian > Mixolydian > Dorian > Aeolian > harmonic minor, brightest first), register
  and harmonic complexity (Hevner 1935; Gabrielsson & Lindström 2010; Temperley & Tan 2013);
* arousal -> tempo, loudness, rhythmic density and articulation (Juslin & Laukka 2003; Gabrielsson &
  Lindström 2010; Eerola, Friberg & Bresin 2013).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

# valence at or above the bound -> mode (checked in order)
MODE_BY_VALENCE = ((0.35, "ionian"), (0.1, "mixolydian"), (-0.15, "dorian"), (-0.55, "aeolian"),
                   (-1.0, "harmonic minor"))
MODE_FAMILY = {"ionian": "major", "mixolydian": "major", "dorian": "minor", "aeolian": "minor",
               "harmonic minor": "minor"}

MOOD_MAP = {
    "mode": "valence >= 0.35 Ionian (major), >= 0.1 Mixolydian, >= -0.15 Dorian, >= -0.55 Aeolian (minor), "
            "below: harmonic minor",
    "tempo": "genre's BPM range, low end at arousal 0, high end at arousal 1 (linear)",
    "loudness": "base velocity 48 + 52 x arousal; sections: intro -14, A 0, B +8, A' +4, outro -16",
    "density": "melody notes per bar from the genre's range by arousal; groove 'busy' (more kick/hat/bass "
               "notes) at arousal >= 0.5, 'calm' below",
    "articulation": "notes held for 0.95 - 0.45 x arousal of their time (legato when calm, staccato when "
                    "aroused)",
    "register": "melody centre shifted round(5 x valence) semitones (higher when happier)",
    "harmony": "seventh chords where the genre uses them, and at valence < -0.3 (more complex, darker "
               "harmony); triads otherwise",
    "melodic range": "largest melodic step 2 + round(3 x arousal) scale degrees",
}


@dataclass(frozen=True)
class MusicParams:
    mode: str
    family: str  # major | minor
    bpm: float
    level: str  # calm | busy
    velocity: int  # base MIDI velocity of the song (sections add or remove)
    articulation: float  # fraction of a note's time it sounds
    register_shift: int  # semitones added to the melody's centre
    sevenths: bool
    max_leap: int  # scale degrees
    notes_per_bar: float

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


SECTION_DYNAMICS = {"intro": -14, "A": 0, "B": 8, "A'": 4, "outro": -16}


def mode_for(valence: float) -> str:
    for bound, mode in MODE_BY_VALENCE:
        if valence >= bound:
            return mode
    return MODE_BY_VALENCE[-1][1]


def music_params(valence: float, arousal: float, genre) -> MusicParams:
    """The musical parameters of :data:`MOOD_MAP` for a mood and a :class:`~.genres.Genre`."""
    v = float(np.clip(valence, -1.0, 1.0))
    a = float(np.clip(arousal, 0.0, 1.0))
    mode = mode_for(v)
    lo, hi = genre.bpm
    n_lo, n_hi = genre.melody_notes
    return MusicParams(
        mode=mode, family=MODE_FAMILY[mode], bpm=round(lo + (hi - lo) * a, 2),
        level="busy" if a >= 0.5 else "calm", velocity=int(round(48 + 52 * a)),
        articulation=round(0.95 - 0.45 * a, 3), register_shift=int(round(5 * v)),
        sevenths=bool(genre.sevenths or v < -0.3), max_leap=2 + int(round(3 * a)),
        notes_per_bar=round(n_lo + (n_hi - n_lo) * a, 3),
    )


# ---- a mood from words ---------------------------------------------------------------------------
# Pole words of the circumplex (Russell 1980): each word of a description is compared with them.
POLES = {
    "pleasant": "happy joyful bright cheerful pleasant delighted sunny playful warm serene",
    "unpleasant": "sad gloomy dark melancholic miserable fearful lonely grim sorrowful angry",
    "aroused": "excited energetic busy restless tense lively loud alert angry raging",
    "calm": "calm quiet still serene relaxed sleepy peaceful contemplative lazy gentle",
}


@dataclass(frozen=True)
class WordMood:
    valence: float
    arousal: float
    method: str  # "wordllama" | "lexicon" | "neutral"
    words: tuple[str, ...]  # the words that carried the estimate


def mood_from_words(text: str) -> WordMood:
    """Valence and arousal of a mood description (``"calm, warm, serene"``).

    Each word is compared with the pole words of :data:`POLES` through the WordLlama embedding the sounds
    library uses (its best similarity to each pole); a word's vote is weighted by how affective it is
    (its best similarity to any pole, to the 4th power, so exact mood words dominate filler words).
    Without the embedding, only exact pole words count. No mood word at all -> neutral (0, 0.5).
    """
    words = re.findall(r"[a-z]+", text.lower())
    if not words:
        return WordMood(0.0, 0.5, "neutral", ())
    from ..sounds.library import text_embedder

    emb = text_embedder()
    pole_words = {k: v.split() for k, v in POLES.items()}
    if emb is not None:
        def unit(x):
            x = np.asarray(x, dtype=np.float64)
            return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)

        w = unit(emb.embed(words))
        s = {k: (w @ unit(emb.embed(v)).T).max(axis=1) for k, v in pole_words.items()}
        method = "wordllama"
    else:
        s = {k: np.array([1.0 if x in v else 0.0 for x in words]) for k, v in pole_words.items()}
        method = "lexicon"
    wv = np.maximum(s["pleasant"], s["unpleasant"]) ** 4
    wa = np.maximum(s["aroused"], s["calm"]) ** 4
    if wv.sum() < 1e-9 and wa.sum() < 1e-9:
        return WordMood(0.0, 0.5, "neutral", ())
    val = float(((s["pleasant"] - s["unpleasant"]) * wv).sum() / max(wv.sum(), 1e-12))
    aro = float(((s["aroused"] - s["calm"]) * wa).sum() / max(wa.sum(), 1e-12))
    top = tuple(words[i] for i in np.argsort(-(wv + wa))[:3])
    return WordMood(round(float(np.clip(val, -1, 1)), 3), round(float(np.clip(0.5 + 0.5 * aro, 0, 1)), 3),
                    method, top)
