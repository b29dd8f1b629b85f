"""Musical instruments sound like themselves: a short phrase of their General MIDI program (or the GM drum kit)
from the bundled soundfont.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples.

``gm_instrument`` plays a source's ``gm_program`` (0-127), or, for ``gm_drums``, a pattern on the GM drum kit
(channel 10) with the drum named; without a program the name picks one (:data:`GM_BY_NAME`). The phrase
(:func:`phrase`) sits in the program's register (:data:`REGISTERS`) and is shaped by the play method: bowed,
blown or sung -> legato sustained notes; plucked -> a short arpeggio; struck -> separate hits; rolled -> a
roll (fast repeats swelling and fading). Notes come from a pentatonic scale on a root drawn from the source's
generator, so the same seed gives the same phrase. The phrase is rendered by FluidSynth
(:class:`server.engine.fluid.FluidSynthSource`, reverb and chorus off) from the soundfont
:func:`server.paths.default_soundfont` returns, loaded once per process and sample rate and brought to the same
state before every phrase so that the output depends on the seed alone (:func:`_clean_start`); :func:`phrase_midi` writes the same phrase as a MIDI file, so the fluidsynth CLI can
render it as a peer.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError

log = logging.getLogger(__name__)

DRUM_CHANNEL = 9  # MIDI channel 10
TICKS_PER_BEAT = 480
TEMPO_US = 500_000  # 120 bpm: one tick is 1/960 s; note times are quantised to ticks (MIDI file = render)


@dataclass(frozen=True)
class Note:
    """One note of a phrase: MIDI key, velocity, onset and duration in seconds (channel 9 = drums)."""

    key: int
    velocity: int
    start: float
    duration: float
    channel: int = 0


# name stems -> GM program (0-based); the longest matching stem wins ("electric guitar" over "guitar")
GM_BY_NAME: dict[str, int] = {
    "grand piano": 0, "piano": 0, "keyboard": 0, "upright piano": 0, "honky": 3, "electric piano": 4,
    "harpsichord": 6, "clavinet": 7, "celesta": 8, "glockenspiel": 9, "music box": 10, "vibraphone": 11,
    "marimba": 12, "xylophone": 13, "tubular bell": 14, "chimes": 14, "dulcimer": 15, "zither": 15,
    "hammond": 16, "organ": 19, "church organ": 19, "pipe organ": 19, "reed organ": 20, "harmonium": 20,
    "accordion": 21, "concertina": 21, "harmonica": 22, "bandoneon": 23,
    "guitar": 24, "classical guitar": 24, "nylon": 24, "acoustic guitar": 25, "lute": 24, "ukulele": 24,
    "mandolin": 25, "electric guitar": 27, "jazz guitar": 26,
    "bass guitar": 33, "electric bass": 33, "fretless": 35,
    "violin": 40, "fiddle": 40, "viola": 41, "cello": 42, "violoncello": 42, "double bass": 43, "contrabass": 43,
    "upright bass": 43, "pizzicato": 45, "harp": 46, "lyre": 46, "timpani": 47, "kettledrum": 47,
    "string": 48, "choir": 52, "voice": 53,
    "trumpet": 56, "cornet": 56, "bugle": 56, "trombone": 57, "tuba": 58, "sousaphone": 58, "french horn": 60,
    "horn": 60, "brass": 61, "euphonium": 58,
    "saxophone": 65, "sax": 65, "soprano sax": 64, "alto sax": 65, "tenor sax": 66, "baritone sax": 67,
    "oboe": 68, "english horn": 69, "cor anglais": 69, "bassoon": 70, "clarinet": 71,
    "piccolo": 72, "flute": 73, "recorder": 74, "pan flute": 75, "panpipe": 75, "pan pipe": 75,
    "shakuhachi": 77, "tin whistle": 78, "penny whistle": 78, "ocarina": 79,
    "synth": 80, "synthesizer": 80,
    "sitar": 104, "banjo": 105, "shamisen": 106, "koto": 107, "kalimba": 108, "mbira": 108, "bagpipe": 109,
    "shanai": 111, "shehnai": 111, "agogo": 113, "steel drum": 114, "steelpan": 114, "steel pan": 114,
    "taiko": 116, "melodic tom": 117,
}

# drum-kit names -> GM drum keys (channel 10) played in turn; "kit" means a groove
GM_DRUMS_BY_NAME: dict[str, tuple[int, ...]] = {
    "drum kit": (), "drum set": (), "drumkit": (), "drums": (), "kit": (),
    "bass drum": (36,), "kick": (36,), "snare": (38,), "rimshot": (37,), "side stick": (37,), "clap": (39,),
    "tom": (48, 45), "floor tom": (43, 41), "tom tom": (50, 47),
    "hi hat": (42, 46), "hihat": (42, 46), "cymbal": (49,), "crash": (49,), "ride": (51, 53), "china": (52,),
    "splash": (55,), "gong": (52,), "tambourine": (54,), "cowbell": (56,), "bongo": (60, 61), "conga": (63, 64, 62),
    "djembe": (63, 64), "timbale": (65, 66), "cabasa": (69,), "maraca": (70,), "shaker": (70,), "guiro": (73, 74),
    "claves": (75,), "wood block": (76, 77), "woodblock": (76, 77), "cuica": (78, 79), "triangle": (81, 80),
    "drum": (47, 45), "tabla": (60, 61, 62), "frame drum": (64, 63), "bodhran": (64, 63),
}

# program range -> (lowest, highest) MIDI key of a comfortable phrase; the first range containing the
# program wins (specific programs first, then their family of 8)
REGISTERS: tuple[tuple[int, int, int, int], ...] = (
    # (first program, last program, low key, high key)
    (9, 9, 72, 91), (10, 10, 72, 88), (12, 12, 52, 76), (13, 13, 65, 89), (14, 14, 60, 77),
    (21, 21, 55, 79), (22, 22, 60, 84),
    (40, 40, 62, 86), (41, 41, 55, 76), (42, 42, 43, 64), (43, 43, 31, 52), (46, 46, 48, 79), (47, 47, 41, 55),
    (56, 56, 58, 79), (57, 57, 45, 67), (58, 58, 33, 53), (59, 59, 58, 79), (60, 60, 48, 70),
    (64, 64, 60, 84), (65, 65, 55, 77), (66, 66, 48, 70), (67, 67, 41, 62), (68, 68, 62, 84), (69, 69, 55, 76),
    (70, 70, 38, 62), (71, 71, 53, 79), (72, 72, 74, 98), (73, 73, 62, 86), (74, 74, 65, 86), (78, 78, 74, 96),
    (108, 108, 60, 84), (112, 112, 72, 96), (116, 116, 36, 55), (117, 117, 40, 60),
    (0, 7, 48, 79), (8, 15, 60, 84), (16, 23, 48, 76), (24, 31, 45, 72), (32, 39, 28, 50), (40, 47, 55, 79),
    (48, 55, 52, 76), (56, 63, 50, 72), (64, 71, 55, 77), (72, 79, 65, 88), (80, 103, 48, 76),
    (104, 111, 55, 79), (112, 127, 48, 76),
)

# how a program is played when the play method does not say: families of 8 programs
_DEFAULT_STYLE = ("struck", "struck", "sustained", "plucked", "plucked", "sustained", "sustained", "sustained",
                  "sustained", "sustained", "sustained", "sustained", "sustained", "plucked", "struck", "struck")

# programs that play chords under a sustained melody (organs, accordion, harmonium, bandoneon)
CHORD_PROGRAMS = frozenset({16, 17, 18, 19, 20, 21, 23})
# programs played with vibrato (the modulation wheel, CC 1: FluidSynth's default modulator turns it into a
# vibrato of up to 50 cents, here ~20): bowed strings, brass, reeds, pipes
VIBRATO_PROGRAMS = frozenset(range(40, 45)) | frozenset(range(56, 80)) | {110}
VIBRATO_CC1 = 50

# play-method stems -> phrase style
STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "rolled": ("roll", "tremolo", "drumroll", "trill"),
    "plucked": ("pluck", "strum", "pick", "pizz", "arpegg", "fingerpick", "twang"),
    "struck": ("struck", "strik", "hit", "tap", "beat", "bang", "strike", "hammer", "mallet", "pound", "knock"),
    "sustained": ("bow", "blow", "blown", "legato", "sustain", "sing", "sung", "breath", "drone", "squeez",
                  "pump", "long"),
}

# AudioSet classes a GM family (program // 8) or the drum kit can be heard as (ontology display names)
GM_FAMILY_AUDIOSET: dict[str, tuple[str, ...]] = {
    "piano": ("Piano", "Electric piano", "Keyboard (musical)", "Harpsichord"),
    "chromatic percussion": ("Mallet percussion", "Glockenspiel", "Vibraphone", "Marimba, xylophone", "Tubular bells",
                             "Chime", "Zither"),
    "organ": ("Organ", "Electronic organ", "Hammond organ", "Accordion", "Harmonica", "Keyboard (musical)"),
    "guitar": ("Guitar", "Acoustic guitar", "Electric guitar", "Plucked string instrument", "Strum", "Ukulele",
               "Mandolin"),
    "bass": ("Bass guitar", "Double bass", "Plucked string instrument"),
    "strings": ("Bowed string instrument", "Violin, fiddle", "Cello", "Double bass", "String section", "Pizzicato",
                "Harp", "Timpani"),
    "ensemble": ("String section", "Orchestra", "Choir", "Bowed string instrument"),
    "brass": ("Brass instrument", "Trumpet", "Cornet", "Trombone", "French horn"),
    "reed": ("Wind instrument, woodwind instrument", "Saxophone", "Alto saxophone", "Soprano saxophone", "Clarinet",
             "Oboe", "Bassoon"),
    "pipe": ("Wind instrument, woodwind instrument", "Flute", "Whistle"),
    "synth lead": ("Synthesizer",),
    "synth pad": ("Synthesizer",),
    "synth effects": ("Synthesizer",),
    "ethnic": ("Sitar", "Banjo", "Plucked string instrument", "Zither", "Bagpipes", "Violin, fiddle"),
    "percussive": ("Percussion", "Steelpan", "Drum", "Bell", "Wood block", "Mallet percussion"),
    "sound effects": ("Sound effect",),
    "drums": ("Drum kit", "Drum", "Snare drum", "Bass drum", "Cymbal", "Crash cymbal", "Hi-hat", "Percussion",
              "Drum roll", "Rimshot", "Tambourine", "Cowbell", "Wood block", "Maraca", "Rattle (instrument)", "Gong",
              "Drum machine"),
}
_FAMILIES = tuple(GM_FAMILY_AUDIOSET)[:16]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " "))


@lru_cache(maxsize=1024)
def _word_start(stem: str) -> re.Pattern:
    return re.compile(r"\b" + re.escape(stem))


def _longest_stem(text: str, table: dict) -> str | None:
    t = _norm(text)
    hits = [s for s in table if _word_start(s).search(t)]
    return max(hits, key=len) if hits else None


def program_for(desc: SourceDescription) -> tuple[int | None, tuple[int, ...] | None]:
    """(GM program, None) for a melodic instrument or (None, drum keys) for the drum kit; drum keys ``()``
    mean a kit groove. ``gm_program`` / ``gm_drums`` of the description win; otherwise the name decides
    (the longest matching stem of :data:`GM_BY_NAME` or :data:`GM_DRUMS_BY_NAME`); piano when nothing matches."""
    if desc.gm_program is not None and not desc.gm_drums:
        prog = int(desc.gm_program)
        if not 0 <= prog <= 127:
            raise ConfigError(f"{desc.name}: gm_program={prog} is out of range; General MIDI programs are 0-127")
        return prog, None
    drum = _longest_stem(desc.name, GM_DRUMS_BY_NAME)
    melodic = _longest_stem(desc.name, GM_BY_NAME)
    if desc.gm_drums or (drum and (not melodic or len(drum) >= len(melodic))):
        return None, GM_DRUMS_BY_NAME[drum] if drum else ()
    if melodic:
        return GM_BY_NAME[melodic], None
    log.info("%s: no instrument named; playing a piano", desc.name)
    return 0, None


def register(program: int) -> tuple[int, int]:
    """(lowest, highest) MIDI key of a phrase for ``program``."""
    for lo_p, hi_p, lo, hi in REGISTERS:
        if lo_p <= program <= hi_p:
            return lo, hi
    return 48, 76  # pragma: no cover - every program is in a family range


def style_for(desc: SourceDescription, program: int | None) -> str:
    """Phrase style from the play method (:data:`STYLE_WORDS`), else the GM family's usual way of playing."""
    t = _norm(desc.play_method)
    for style, stems in STYLE_WORDS.items():
        if any(_word_start(s).search(t) for s in stems):
            return style
    if program is None:
        return "struck"
    if program == 45:
        return "plucked"
    return _DEFAULT_STYLE[program // 8]


def audioset_for(desc: SourceDescription) -> tuple[str, ...]:
    """The AudioSet classes this source's instrument can be heard as (its GM family's, or the drum kit's)."""
    program, drums = program_for(desc)
    if drums is not None:
        return GM_FAMILY_AUDIOSET["drums"]
    if program == 47:  # timpani sit in the strings family of GM but are drums to the ear
        return ("Timpani", "Drum", "Percussion", "Drum roll")
    return GM_FAMILY_AUDIOSET[_FAMILIES[program // 8]]


# ----------------------------------------------------------------------------------------------
# Phrases
# ----------------------------------------------------------------------------------------------
_PENTA = {"major": (0, 2, 4, 7, 9), "minor": (0, 3, 5, 7, 10)}


def _q(t: float) -> float:
    """Quantise a time to the MIDI file's tick (1/960 s) so the file and the direct render agree."""
    return round(t * 960) / 960


def _scale_keys(lo: int, hi: int, root: int, mode: str) -> list[int]:
    return [k for k in range(lo, hi + 1) if (k - root) % 12 in _PENTA[mode]]


def phrase(desc: SourceDescription, seconds: float, rng: np.random.Generator) -> tuple[int | None, list[Note]]:
    """(GM program or None for drums, notes) of a short phrase of the source's instrument filling ``seconds``."""
    program, drums = program_for(desc)
    style = style_for(desc, program)
    end = max(seconds - 0.3, 0.3)
    if drums is not None:
        return None, _drum_phrase(drums, style, end, rng)
    lo, hi = register(program)
    root = int(rng.integers(lo, lo + 12))
    mode = "major" if rng.random() < 0.6 else "minor"
    keys = _scale_keys(lo, hi, root, mode)
    mid = len(keys) // 2
    notes: list[Note] = []
    t = _q(rng.uniform(0.05, 0.15))
    chords = program in CHORD_PROGRAMS
    if style == "sustained":  # legato: each note starts as the previous one ends (a slight overlap)
        i = mid + int(rng.integers(-2, 3))
        while t < end - 0.4:
            dur = _q(rng.choice([0.6, 0.8, 1.0, 1.2]))
            dur = min(dur, _q(end - t))
            vel = int(rng.integers(80, 105))
            notes.append(Note(keys[i], vel, t, _q(dur + 0.03)))
            if chords:  # organs and free reeds play the melody over its triad below (a third and a fifth down)
                for below in ((3 if mode == "minor" else 4) + 5, 12):
                    if keys[i] - below >= lo - 12:
                        notes.append(Note(keys[i] - below, vel - 15, t, _q(dur + 0.03)))
            t = _q(t + dur)
            i = int(np.clip(i + rng.choice([-2, -1, 1, 1, 2]), 0, len(keys) - 1))
    elif style == "plucked":  # arpeggios up and down a chord of the scale, each note left to ring
        base = max(mid - 3, 0)
        pattern = [0, 1, 2, 3, 4, 3, 2, 1]
        step = _q(rng.uniform(0.16, 0.24))
        k = 0
        while t < end - 0.2:
            i = min(base + pattern[k % len(pattern)] + (k // len(pattern)) % 2, len(keys) - 1)
            notes.append(Note(keys[i], int(rng.integers(70, 100)), t, _q(min(0.6, end + 0.2 - t))))
            t = _q(t + step)
            k += 1
    elif style == "rolled":  # a roll on one or two notes: fast repeats swelling then fading
        rate = rng.uniform(12, 16)
        while t < end - 0.5:
            length = min(rng.uniform(1.2, 2.0), end - t)
            key = keys[mid + int(rng.integers(-2, 3))]
            m = max(int(length * rate), 2)
            for j in range(m):
                vel = int(40 + 70 * np.sin(np.pi * (j + 0.5) / m))
                notes.append(Note(key, vel, _q(t + j / rate), _q(0.9 / rate)))
            t = _q(t + length + rng.uniform(0.3, 0.6))
    else:  # struck: separate hits, each left to ring a little
        i = mid + int(rng.integers(-2, 3))
        while t < end - 0.2:
            gap = _q(rng.choice([0.35, 0.5, 0.5, 0.7]))
            notes.append(Note(keys[i], int(rng.integers(70, 110)), t, _q(min(gap * 0.9, end + 0.2 - t))))
            t = _q(t + gap)
            i = int(np.clip(i + rng.choice([-2, -1, 1, 2, 3, -3]), 0, len(keys) - 1))
    return program, notes


def _drum_phrase(keys: tuple[int, ...], style: str, end: float, rng: np.random.Generator) -> list[Note]:
    notes: list[Note] = []
    ch = DRUM_CHANNEL
    if not keys:  # a kit groove: hi-hat eighths, kick on 1 and 3, snare on 2 and 4, a crash, a tom fill
        beat = 60.0 / rng.uniform(90, 120)
        t0 = 0.05
        n_beats = int((end - t0) / beat)
        notes.append(Note(49, 100, _q(t0), 0.5, ch))
        for b in range(n_beats):
            t = t0 + b * beat
            fill = b >= n_beats - 2 and n_beats >= 6
            if fill:
                for j, k in enumerate((50, 48, 47, 45)):
                    notes.append(Note(k, 90 + 5 * j, _q(t + j * beat / 4 + (b - n_beats + 2) * 0.0), 0.1, ch))
                continue
            for h in (0, 1):
                notes.append(Note(42, int(rng.integers(60, 90)) + (15 if h == 0 else 0), _q(t + h * beat / 2), 0.1, ch))
            if b % 2 == 0:
                notes.append(Note(36, int(rng.integers(95, 115)), _q(t), 0.1, ch))
                if rng.random() < 0.4:
                    notes.append(Note(36, 85, _q(t + 1.5 * beat), 0.1, ch))
            else:
                notes.append(Note(38, int(rng.integers(95, 115)), _q(t), 0.1, ch))
        return sorted(notes, key=lambda n: n.start)
    t = _q(rng.uniform(0.05, 0.15))
    if style == "rolled":  # single-stroke roll at 14-18 strokes a second, swelling and fading
        rate = rng.uniform(14, 18)
        while t < end - 0.5:
            length = min(rng.uniform(1.5, 2.5), end - t)
            m = max(int(length * rate), 2)
            for j in range(m):
                vel = int(35 + 85 * np.sin(np.pi * (j + 0.5) / m) ** 0.7)
                notes.append(Note(keys[0], vel, _q(t + j / rate), 0.05, ch))
            notes.append(Note(keys[0], 120, _q(t + m / rate), 0.1, ch))  # the accent closing the roll
            t = _q(t + length + rng.uniform(0.4, 0.8))
        return notes
    beat = 60.0 / rng.uniform(90, 120)
    pattern = (1.0, 0.5, 0.5, 1.0, 1.0) if len(keys) > 1 else (1.0, 1.0, 0.5, 0.5, 1.0)
    k = 0
    while t < end - 0.1:
        key = keys[k % len(keys)] if len(keys) > 1 and rng.random() < 0.7 else keys[0]
        notes.append(Note(key, int(rng.integers(80, 120)), t, 0.1, ch))
        t = _q(t + pattern[k % len(pattern)] * beat)
        k += 1
    return notes


# ----------------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------------
SYNTH_GAIN = 0.5
POLYPHONY = 64
_SYNTHS: dict[int, object] = {}
_LOCK = threading.Lock()


def _synth(sample_rate: int):
    """The process's FluidSynth at ``sample_rate`` with the default GM soundfont, reverb and chorus off: loaded
    once (TimGM6mb takes ~75 ms here), then reused."""
    src = _SYNTHS.get(sample_rate)
    if src is None:
        from ..engine.fluid import FluidSynthSource
        from ..paths import default_soundfont

        font = default_soundfont()
        src = FluidSynthSource([font], sample_rate=sample_rate, gain=SYNTH_GAIN, reverb=False, chorus=False,
                               polyphony=POLYPHONY)
        log.debug("gm_instrument: loaded %s at %d Hz", font, sample_rate)
        _SYNTHS[sample_rate] = src
    return src


def _clean_start(src) -> None:
    """Put the synth in the same state before every phrase, whatever it played before.

    FluidSynth's voices keep a trace of their last note: the first 64-frame period of a new note differs (by up
    to 1e-4) with the history of the voice slot it lands in, even after all-sound-off and a system reset. So
    every slot is given the same history: all voices stopped and freed (all sound off, two periods rendered,
    system reset), then one note on each of the ``POLYPHONY`` slots (they are taken in order), four periods
    rendered, and everything stopped and reset again.
    """
    from ..engine.fluid import FLUID_PERIOD
    from ..midi.song import CONTROL, NOTE_ON, Event

    scratch = np.zeros((2, 4 * FLUID_PERIOD), np.float32)

    def stop() -> None:
        for c in range(16):
            src.apply(Event(0.0, CONTROL, c, 120, 0))
        src.render(scratch[:, : 2 * FLUID_PERIOD])
        src._system_reset(src._s)

    stop()
    for k in range(POLYPHONY):
        src.apply(Event(0.0, NOTE_ON, 0, 30 + k % 64, 100))
    src.render(scratch)
    stop()


FLUID_MAX_RATE = 96000  # FluidSynth's highest sample rate


def render_notes(program: int | None, notes: list[Note], frames: int, sample_rate: int) -> np.ndarray:
    """Stereo float32 ``(2, frames)`` of ``notes`` on GM ``program`` (None: the drum kit), dry. Takes a lock
    (one phrase at a time per process). Above FluidSynth's 96 kHz the phrase is rendered at 48 kHz and
    resampled."""
    if sample_rate > FLUID_MAX_RATE:
        from ..audio.resample import resample

        low = 48000
        x = render_notes(program, notes, -(-frames * low // sample_rate) + 64, low)
        up = resample(x, low, sample_rate, axis=1)[:, :frames]
        return np.pad(up, ((0, 0), (0, frames - up.shape[1]))).astype(np.float32)
    with _LOCK:
        src = _synth(sample_rate)
        _clean_start(src)
        return _render(src, program, notes, frames, sample_rate)


def _render(src, program: int | None, notes: list[Note], frames: int, sample_rate: int) -> np.ndarray:
    from ..engine.fluid import FLUID_PERIOD
    from ..midi.song import CONTROL, NOTE_OFF, NOTE_ON, PROGRAM, Event

    ch = DRUM_CHANNEL if program is None else 0
    # FluidSynth renders in 64-frame periods and applies an event at the next period: render whole periods so
    # every call starts on a period boundary and the same notes always give the same samples
    total = -(-frames // FLUID_PERIOD) * FLUID_PERIOD
    events: list[tuple[int, int, Event]] = []
    for n in notes:
        on = int(round(n.start * sample_rate))
        off = int(round((n.start + n.duration) * sample_rate))
        if on < total:
            events.append((on, 1, Event(n.start, NOTE_ON, n.channel, n.key, n.velocity)))
        if off < total:
            events.append((off, 0, Event(n.start + n.duration, NOTE_OFF, n.channel, n.key, 0)))
    events.sort(key=lambda e: (e[0], e[1]))  # at the same frame a note-off before the next note-on
    out = np.zeros((2, total), np.float32)
    if program is not None:
        src.apply(Event(0.0, CONTROL, ch, 0, 0))
        src.apply(Event(0.0, PROGRAM, ch, int(program), 0))
        if program in VIBRATO_PROGRAMS:
            src.apply(Event(0.0, CONTROL, ch, 1, VIBRATO_CC1))
    src.render(out, [(f, e) for f, _, e in events])
    return out[:, :frames]


def phrase_midi(program: int | None, notes: list[Note], path: str | os.PathLike[str]) -> Path:
    """Write ``notes`` as a type-0 MIDI file (120 bpm, 480 ticks a beat) for a peer renderer."""
    import mido

    ch = DRUM_CHANNEL if program is None else 0
    msgs: list[tuple[int, int, mido.Message]] = []
    for n in notes:
        on, off = int(round(n.start * 960)), int(round((n.start + n.duration) * 960))
        msgs.append((on, 1, mido.Message("note_on", channel=n.channel, note=n.key, velocity=n.velocity)))
        msgs.append((off, 0, mido.Message("note_off", channel=n.channel, note=n.key, velocity=0)))
    msgs.sort(key=lambda m: (m[0], m[1]))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0)])
    if program is not None:
        track.append(mido.Message("program_change", channel=ch, program=int(program), time=0))
        if program in VIBRATO_PROGRAMS:
            track.append(mido.Message("control_change", channel=ch, control=1, value=VIBRATO_CC1, time=0))
    now = 0
    for tick, _, msg in msgs:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    mid.tracks.append(track)
    path = Path(path)
    mid.save(str(path))
    return path


ROOM_RT60 = (1.2, 1.8)  # seconds: a small hall
ROOM_WET = 0.6


def m_gm_instrument(ctx: Ctx) -> np.ndarray:
    """A short phrase of the source's General MIDI program (or drums) from the GM soundfont, mono, played in a
    small hall (a diffuse reverberation of RT60 1.2-1.8 s at 0.6 of the dry level: an instrument is heard in a
    room; dry, the soundfont's samples were often heard as a synthesiser or an alarm)."""
    from .machines import _room

    desc = ctx.desc or SourceDescription("piano")
    program, notes = phrase(desc, ctx.seconds, ctx.rng)
    dry = render_notes(program, notes, ctx.n, ctx.sr).mean(axis=0).astype(np.float64)
    for _ in range(3):  # a soundfont whose preset stops below the register (TimGM6mb's whistle: ~key 78)
        if np.any(dry) or program is None:
            break
        notes = [dataclasses.replace(n, key=n.key - 12) for n in notes if n.key >= 12]
        log.info("%s: GM program %d is silent in this register; an octave lower", desc.name, program)
        dry = render_notes(program, notes, ctx.n, ctx.sr).mean(axis=0).astype(np.float64)
    if not np.any(dry):
        return dry
    return _room(ctx, dry, float(ctx.rng.uniform(*ROOM_RT60)), ROOM_WET, -60.0)


def _whistle_blasts(rng: np.random.Generator, seconds: float, trill: bool) -> list[tuple[float, float]]:
    """(start, length) of a referee's blasts over ``seconds``: a long blast (0.6-1.3 s), often after a short one
    (0.15-0.3 s), every 1-2 s; or, for trills, groups of 2-4 pips of 0.12-0.25 s."""
    out, t = [], float(rng.uniform(0.1, 0.3))
    while t < seconds - 0.1:
        if trill:
            lengths = [float(rng.uniform(0.12, 0.25)) for _ in range(int(rng.integers(2, 5)))]
            gaps = (0.05, 0.09)
        else:
            lengths = ([float(rng.uniform(0.15, 0.3))] if rng.random() < 0.5 else []) + [float(rng.uniform(0.6, 1.3))]
            gaps = (0.15, 0.35)
        for d in lengths:
            out.append((t, d))
            t += d + float(rng.uniform(*gaps))
        t += float(rng.uniform(0.6, 1.2))
    return [(a, min(d, seconds - a)) for a, d in out if a < seconds - 0.02]


def m_pea_whistle(ctx: Ctx) -> np.ndarray:
    """A referee's pea whistle. The jet over the edge drives the barrel's air chamber at one tone, 2.4-3.6 kHz,
    rising a little with the blowing pressure; the cork pea, spun round the chamber by the flow at 25-45 turns a
    second, crosses the jet once a turn and warbles it: the pitch swings by 3-6 % and the level dips by 20-60 % at
    that rate (the whistle's trill). A weak second harmonic, a little breath noise around the tone. Each blast
    starts in ~12 ms with a small pressure overshoot and stops in 30 ms; the play method says blasts or short
    trills (:func:`_whistle_blasts`)."""
    from .synth import _bandpass, _lowpass

    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    trill = bool(ctx.desc is not None and re.search(r"\btrill", ctx.desc.play_method.lower()))
    press = np.zeros(n)
    for a, d in _whistle_blasts(rng, ctx.seconds, trill):
        i0, i1 = int(a * sr), min(int((a + d) * sr), n)
        k = np.arange(i1 - i0) / sr
        env = np.clip(np.minimum(k / 0.012, (d - k) / 0.03), 0.0, 1.0) * (1 + 0.1 * np.exp(-k / 0.05))
        press[i0:i1] = np.maximum(press[i0:i1], env)
    f0 = float(rng.uniform(2400, 3600)) * float(np.clip(ctx.p.pitch, 0.85, 1.15))
    pea = 2 * np.pi * np.cumsum(rng.uniform(25, 45) * (0.8 + 0.2 * press)) / sr  # the pea's turns
    freq = f0 * (1 + 0.05 * (press - 1)) * (1 + rng.uniform(0.03, 0.06) * np.sin(pea))
    phase = 2 * np.pi * np.cumsum(freq) / sr
    tone = np.sin(phase)
    if 2.2 * f0 < 0.45 * sr:
        tone += 0.08 * np.sin(2 * phase)
    breath = _bandpass(rng.standard_normal(n), 0.8 * f0, min(1.25 * f0, 0.45 * sr), sr)
    breath /= np.std(breath) + 1e-12
    dip = 1 - rng.uniform(0.2, 0.6) * (0.5 + 0.5 * np.sin(pea + 1.0))
    hiss = _lowpass(rng.standard_normal(n), min(6000.0, 0.45 * sr), sr)
    return press * dip * (tone + 0.1 * breath) + 0.02 * press * hiss


# Instrument names as stems: a source named after an instrument plays it (the older models keep generic words
# such as "bell", "drum" or "string").
MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "gm_instrument": (("violin", "fiddle", "viola", "cello", "double bass", "contrabass", "piano", "guitar",
                       "ukulele", "banjo", "mandolin", "sitar", "harp", "lute", "trumpet", "trombone", "tuba",
                       "french horn", "saxophone", "sax", "clarinet", "oboe", "bassoon", "flute", "piccolo",
                       "recorder", "accordion", "organ", "harmonica", "harpsichord", "xylophone", "marimba",
                       "glockenspiel", "vibraphone", "timpani", "snare", "cymbal", "drum kit", "drumkit",
                       "hi hat", "bongo", "conga", "tambourine", "bagpipe", "instrument", "music",
                       # ways of playing: they decide between an instrument's name and a generic play word
                       # ("timpani rolled" is not wheels rolling; "a suitcase rolled" still is)
                       "roll", "drum roll", "drumroll", "bowed", "bowing", "pluck", "strum", "pizzicato", "arpegg",
                       "chord"),
                      m_gm_instrument),
    # a referee's or a police whistle (a kettle's or a train's whistle is a machine's; a tin whistle plays music)
    "pea_whistle": (("referee", "pea whistle", "sports whistle", "police whistle", "whistle blast"), m_pea_whistle),
}

AUDIOSET: dict[str, tuple[str, ...]] = {
    "gm_instrument": tuple(dict.fromkeys(c for cs in GM_FAMILY_AUDIOSET.values() for c in cs if c != "Sound effect")),
    "pea_whistle": ("Whistle",),
}

# Imported last: server.sounds.synth imports this module at its end to register MODELS (see machines.py).
from .synth import Ctx, SourceDescription  # noqa: E402
