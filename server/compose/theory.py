"""Keys, modes, scales and chords through music21 (scales of each mode, chord symbols, key signatures).

A :class:`Harmony` is a tonic and a mode; it gives the mode's seven pitch classes (music21's scale of that
mode), the chord built in thirds on a scale degree, the chord's symbol (``Em7``) and the key signature.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..errors import ConfigError, MissingDependencyError

MODE_SCALES = {"ionian": "MajorScale", "mixolydian": "MixolydianScale", "dorian": "DorianScale",
               "aeolian": "MinorScale", "harmonic minor": "HarmonicMinorScale"}
# The key music21 spells a mode's notes in (its signature); harmonic minor is written as its natural minor.
_KEY_MODE = {"ionian": "major", "mixolydian": "mixolydian", "dorian": "dorian", "aeolian": "minor",
             "harmonic minor": "minor"}
TONICS = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "A-", "A", "B-", "B")  # spelling of each pitch class


def music21():
    try:
        import music21 as m21
    except ImportError as exc:
        raise MissingDependencyError("the composer needs music21 (pip install music21)") from exc
    return m21


@dataclass(frozen=True)
class Harmony:
    tonic: int  # pitch class, 0 = C
    mode: str  # a key of MODE_SCALES

    def __post_init__(self):
        if self.mode not in MODE_SCALES:
            raise ConfigError(f"mode {self.mode!r}; choose one of {', '.join(MODE_SCALES)}")
        if not 0 <= self.tonic < 12:
            raise ConfigError(f"tonic pitch class {self.tonic} must be 0-11")

    @property
    def pcs(self) -> tuple[int, ...]:
        """The mode's seven pitch classes (harmonic minor: those of its natural minor; see :meth:`pcs_on`)."""
        return self.pcs_on(1)

    def pcs_on(self, degree: int) -> tuple[int, ...]:
        """The scale that sounds over the chord on ``degree``: the mode's, except in harmonic minor, where the
        dominant (V) and leading-tone (vii) chords take the raised seventh and the rest the natural minor."""
        return tuple(p for p, _ in self._spelled(degree))

    def _spelled(self, degree: int) -> tuple[tuple[int, str], ...]:
        if self.mode == "harmonic minor" and degree not in (5, 7):
            return _scale(self.tonic, "aeolian")
        return _scale(self.tonic, self.mode)

    @property
    def name(self) -> str:
        return f"{TONICS[self.tonic].replace('-', 'b')} {self.mode}"

    def chord(self, degree: int, seventh: bool = False) -> tuple[int, ...]:
        """Pitch classes of the chord in thirds on ``degree`` (1-7) of the mode: root first."""
        if not 1 <= degree <= 7:
            raise ConfigError(f"scale degree {degree} must be 1-7")
        sc = self._spelled(degree)
        return tuple(sc[(degree - 1 + 2 * k) % 7][0] for k in range(4 if seventh else 3))

    def chord_symbol(self, degree: int, seventh: bool = False) -> str:
        """The chord's symbol (``Em7``, ``Bbmaj7``), spelled from the mode's scale."""
        sc = self._spelled(degree)
        return _symbol(tuple(sc[(degree - 1 + 2 * k) % 7] for k in range(4 if seventh else 3)))

    def scale_notes(self, lo: int, hi: int, degree: int = 1) -> list[int]:
        """MIDI notes lo..hi (inclusive) of the scale that sounds over the chord on ``degree``."""
        pcs = set(self.pcs_on(degree))
        return [n for n in range(lo, hi + 1) if n % 12 in pcs]

    def key_signature(self) -> str:
        """The key signature as mido writes it (``'D'``, ``'Bbm'``): the mode's own accidentals."""
        m21 = music21()
        sharps = m21.key.Key(TONICS[self.tonic], _KEY_MODE[self.mode]).sharps
        if MODE_SCALES[self.mode] in ("MinorScale", "HarmonicMinorScale"):
            k = m21.key.KeySignature(sharps).asKey("minor")
            return k.tonic.name.replace("-", "b") + "m"
        return m21.key.KeySignature(sharps).asKey("major").tonic.name.replace("-", "b")


@functools.lru_cache(maxsize=256)
def _scale(tonic: int, mode: str) -> tuple[tuple[int, str], ...]:
    """(pitch class, spelled name) of degrees 1-7 of music21's scale of ``mode`` on ``tonic``."""
    m21 = music21()
    sc = getattr(m21.scale, MODE_SCALES[mode])(TONICS[tonic])
    return tuple((p.pitchClass, p.name) for p in (sc.pitchFromDegree(d) for d in range(1, 8)))


@functools.lru_cache(maxsize=1024)
def _symbol(pitches: tuple[tuple[int, str], ...]) -> str:
    m21 = music21()
    notes = []
    octave, last = 4, -1
    for _pc, name in pitches:  # stacked upwards from the root
        p = m21.pitch.Pitch(name + str(octave))
        while p.midi <= last:
            octave += 1
            p = m21.pitch.Pitch(name + str(octave))
        notes.append(p)
        last = p.midi
    sym = m21.harmony.chordSymbolFigureFromChord(m21.chord.Chord(notes))
    return sym.replace("-", "b")
