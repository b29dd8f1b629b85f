"""The composer: mood + genre + the set's roles -> an original multi-track General MIDI song.

The song has a form (intro, A, B, A', outro) sized to last 45-90 s at its tempo, a chord progression from
the genre's table in a key and mode chosen from the valence, a bass line and an accompaniment from the
genre's patterns, a melody built from motifs that repeat and vary, and the genre's drum template.
Parts are written only for the roles the set has. Everything random comes from one generator seeded by
``seed`` (and the genre), so a seed gives the same song every time.

Time inside the composer is in beats (quarter notes, 4 per bar); patterns are on a 16-step grid per bar
and swing moves the off-beat eighths (see :func:`step_beat`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import mido
import numpy as np

from ..errors import ConfigError
from ..midi.roles import DRUM_CHANNEL, GM_DRUM_KEYS, ROLES
from .classify import GenreChoice
from .genres import GENRES, HIT_VELOCITY, STEPS, Genre
from .mood import SECTION_DYNAMICS, MusicParams, music_params
from .theory import Harmony

log = logging.getLogger(__name__)

TICKS = 480
BEATS_PER_BAR = 4
SECONDS = (45.0, 90.0)  # a song's length
TARGET_SECONDS = 66.0
# (intro/outro bars, A/B/A' bars) layouts tried for the default length
LAYOUTS = ((2, 4), (4, 4), (2, 8), (4, 8), (4, 12), (4, 16))
TONIC_POOL = (0, 2, 4, 5, 7, 9, 10)  # C D E F G A Bb: keys that lie well on guitar and bass
STRONG_STEPS = (0, 8)  # beats 1 and 3
# Registers (MIDI keys): every part stays inside its role's playable range (server.instruments_build ROLE_SPECS).
BASS_ROOTS = (31, 42)  # G1..F#2: roots; fifths and octaves above stay below G3
MELODY_CENTRE = {"keyboard": 72, "guitar": 67}
MELODY_SPAN = (-8, 9)  # semitones around the centre
COMP_REGISTER = {"keyboard": (53, 74), "guitar": (47, 69)}
MIX = {"melody": 108, "comp": 78, "bass": 100, "drums": 100}  # CC 7


def role_range(role: str) -> tuple[int, int]:
    """The playable keys of a role's image-made instrument (the builder's table); drums: the GM kit keys."""
    if role == "drums":
        return min(GM_DRUM_KEYS.values()), max(GM_DRUM_KEYS.values())
    from ..instruments_build.multisample import ROLE_SPECS

    s = ROLE_SPECS[role]
    return int(s.lokey), int(s.hikey)


@dataclass
class Note:
    start: float  # beats
    length: float  # beats
    pitch: int
    velocity: int


@dataclass
class Part:
    name: str  # melody | comp | bass | drums
    role: str
    program: int
    channel: int
    notes: list[Note] = field(default_factory=list)


@dataclass
class Section:
    name: str
    start_bar: int
    bars: int


@dataclass
class Composition:
    genre: GenreChoice
    valence: float
    arousal: float
    mood_source: str  # scene | words | given | neutral
    params: MusicParams
    harmony: Harmony
    seed: int
    sections: list[Section]
    chords: list[int]  # scale degree per bar
    parts: list[Part]
    drum_bars: list[dict | None]  # per bar: {"level", "fill", "crash", "end"} or None (no drums)

    @property
    def bpm(self) -> float:
        return self.params.bpm

    @property
    def bars(self) -> int:
        return len(self.chords)

    @property
    def seconds(self) -> float:
        return self.bars * BEATS_PER_BAR * 60.0 / self.bpm

    def bar_seconds(self, bar: float) -> float:
        return bar * BEATS_PER_BAR * 60.0 / self.bpm

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def chord_tones(self, bar: int) -> tuple[int, ...]:
        return self.harmony.chord(self.chords[bar], self.params.sevenths)

    def info(self) -> dict:
        """What the report and ``make.json`` show."""
        g = GENRES[self.genre.genre]
        return {
            "genre": self.genre.genre, "genre_score": self.genre.score, "genre_method": self.genre.method,
            "genre_scores": self.genre.scores, "genre_text": self.genre.text,
            "valence": self.valence, "arousal": self.arousal, "mood_source": self.mood_source,
            "key": self.harmony.name, "tonic": self.harmony.tonic, "mode": self.harmony.mode,
            "family": self.params.family, "bpm": self.bpm, "swing": g.swing, "seed": self.seed,
            "bars": self.bars, "seconds": round(self.seconds, 3), "params": self.params.to_dict(),
            "form": [{"name": s.name, "start_bar": s.start_bar, "bars": s.bars,
                      "start_s": round(self.bar_seconds(s.start_bar), 4),
                      "end_s": round(self.bar_seconds(s.start_bar + s.bars), 4)} for s in self.sections],
            "chords": [self.harmony.chord_symbol(d, self.params.sevenths) for d in self.chords],
            "degrees": list(self.chords),
            "parts": {p.name: {"role": p.role, "program": p.program, "channel": p.channel + 1,
                               "notes": len(p.notes),
                               "range": [min(n.pitch for n in p.notes), max(n.pitch for n in p.notes)]
                               if p.notes else None} for p in self.parts},
            "drum_bars": self.drum_bars,
        }

    def to_midi(self) -> mido.MidiFile:
        """A type-1 Standard MIDI File: a conductor track (tempo, metre, key, a marker per section) and
        one track per part (name, GM program, volume, notes); drums on channel 10."""
        mf = mido.MidiFile(type=1, ticks_per_beat=TICKS)
        cond = mido.MidiTrack()
        cond.append(mido.MetaMessage("track_name", name=f"WAVE {self.genre.genre} in {self.harmony.name}", time=0))
        cond.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(self.bpm), time=0))
        cond.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
        cond.append(mido.MetaMessage("key_signature", key=self.harmony.key_signature(), time=0))
        marks = [(s.start_bar * BEATS_PER_BAR * TICKS, s.name) for s in self.sections]
        marks.append((self.bars * BEATS_PER_BAR * TICKS, "end"))
        _append_abs(cond, [(t, mido.MetaMessage("marker", text=name)) for t, name in marks])
        mf.tracks.append(cond)
        for p in self.parts:
            tr = mido.MidiTrack()
            tr.append(mido.MetaMessage("track_name", name=f"{p.name} ({p.role})", time=0))
            if p.channel != DRUM_CHANNEL:
                tr.append(mido.Message("program_change", channel=p.channel, program=p.program, time=0))
            tr.append(mido.Message("control_change", channel=p.channel, control=7, value=MIX[p.name], time=0))
            events = []
            last_end: dict[int, int] = {}
            for n in sorted(p.notes, key=lambda n: (n.start, n.pitch)):
                on = int(round(n.start * TICKS))
                off = max(on + 1, int(round((n.start + n.length) * TICKS)))
                if last_end.get(n.pitch, -1) > on:  # a repeated key: end the earlier note first
                    for i in range(len(events) - 1, -1, -1):
                        t, m = events[i]
                        if m.type == "note_off" and m.note == n.pitch:
                            events[i] = (on, m)
                            break
                last_end[n.pitch] = off
                events.append((on, mido.Message("note_on", channel=p.channel, note=n.pitch, velocity=n.velocity)))
                events.append((off, mido.Message("note_off", channel=p.channel, note=n.pitch, velocity=0)))
            _append_abs(tr, events)
            mf.tracks.append(tr)
        return mf


def _append_abs(track: mido.MidiTrack, events: list[tuple[int, mido.Message]]) -> None:
    """Append (absolute tick, message) pairs as delta times; at one tick, note-offs go first."""
    events = sorted(events, key=lambda e: (e[0], 0 if e[1].type == "note_off" else 1))
    now = 0
    for t, m in events:
        track.append(m.copy(time=t - now))
        now = t
    track.append(mido.MetaMessage("end_of_track", time=0))


# ---- form ---------------------------------------------------------------------------------------
def plan_form(bpm: float, bars: int | None = None) -> list[Section]:
    """intro, A, B, A', outro. Without ``bars``: the layout whose length is within 45-90 s and nearest
    66 s at ``bpm``; with ``bars`` (8-128): intro and outro of bars/8 each, the rest split over A, B, A'."""
    bar_s = BEATS_PER_BAR * 60.0 / bpm
    if bars is None:
        def cost(lay):
            sec = (2 * lay[0] + 3 * lay[1]) * bar_s
            outside = max(SECONDS[0] - sec, sec - SECONDS[1], 0.0)
            return (outside, abs(sec - TARGET_SECONDS))

        io, body = min(LAYOUTS, key=cost)
        sizes = [io, body, body, body, io]
    else:
        if not isinstance(bars, int) or not 8 <= bars <= 128:
            raise ConfigError(f"--bars {bars} must be a whole number of bars from 8 to 128")
        io = max(1, round(bars / 8))
        rest = bars - 2 * io
        a = rest // 3
        sizes = [io, a, rest - 2 * a, a, io]
        sec = bars * bar_s
        if not SECONDS[0] <= sec <= SECONDS[1]:
            log.warning("%d bars at %.0f BPM last %.1f s, outside the usual %g-%g s", bars, bpm, sec, *SECONDS)
    out, start = [], 0
    for name, n in zip(("intro", "A", "B", "A'", "outro"), sizes, strict=True):
        out.append(Section(name, start, n))
        start += n
    return out


def plan_chords(genre: Genre, sections: list[Section], rng: np.random.Generator) -> list[int]:
    """A scale degree per bar: A and A' play the genre's A progression, B its B progression ending on the
    dominant (a half cadence back into A'), the song ends on the tonic; intro opens A's progression and
    the outro closes with a plagal IV-I."""
    prog_a, prog_b = genre.progressions[int(rng.integers(len(genre.progressions)))]
    bpc = genre.bars_per_chord

    def fill(prog, n):
        return [prog[(i // bpc) % len(prog)] for i in range(n)]

    out: list[int] = []
    for s in sections:
        if s.name in ("A", "A'"):
            bars = fill(prog_a, s.bars)
            if s.name == "A'":
                bars[-1] = 1
        elif s.name == "B":
            bars = fill(prog_b, s.bars)
            bars[-1] = 5
        elif s.name == "intro":
            bars = fill(prog_a, s.bars)
        else:  # outro
            half = max(1, s.bars // 2)
            bars = [4] * (s.bars - half) + [1] * half
        out += bars
    return out


# ---- helpers ------------------------------------------------------------------------------------
def step_beat(step: int, swing: float) -> float:
    """Beat position (from the bar's start) of a 16-step grid position with ``swing``: the off-beat
    eighth at ``swing`` of the beat (0.5 straight), the sixteenths between halfway."""
    beat, sub = divmod(step, 4)
    pos = (0.0, swing / 2, swing, swing + (1 - swing) / 2)[sub]
    return beat + pos


def _nearest(candidates: list[int], target: float, prefer: int = 0) -> int:
    return min(candidates, key=lambda n: (abs(n - target), -np.sign(n - target) * prefer))


# ---- the parts ----------------------------------------------------------------------------------
def bar_drums(genre: Genre, spec: dict) -> dict[str, str]:
    """The 16-step rows one bar plays: the genre's groove for ``spec['level']``, its fill over the last
    beat(s) when ``spec['fill']``, a crash on the downbeat when ``spec['crash']``; ``spec['end']``: the
    final hit alone (kick and crash on the downbeat)."""
    if spec.get("end"):
        return {"kick": "X" + "." * 15, "crash": "X" + "." * 15}
    rows = {k: list(v) for k, v in genre.drums[spec["level"]].items()}
    fill = genre.drums.get("fill") or {}
    if spec.get("fill") and fill:
        first = min(r.find(c) for r in fill.values() for c in "Xxo" if c in r)
        for r in rows.values():
            r[first:] = "." * (STEPS - first)
        for k, v in fill.items():
            row = rows.setdefault(k, ["."] * STEPS)
            for i in range(first, STEPS):
                if v[i] != ".":
                    row[i] = v[i]
    if spec.get("crash"):
        rows.setdefault("crash", ["."] * STEPS)[0] = "X"
    return {k: "".join(v) for k, v in rows.items() if any(c != "." for c in v)}


def _drums(c: Composition, g: Genre, rng, vel) -> Part:
    part = Part("drums", "drums", 0, DRUM_CHANNEL)
    for bar, spec in enumerate(c.drum_bars):
        if spec is None:
            continue
        for key, row in bar_drums(g, spec).items():
            for s, ch in enumerate(row):
                if ch == ".":
                    continue
                v = vel(bar) * HIT_VELOCITY[ch] + rng.integers(-4, 5)
                part.notes.append(Note(bar * 4 + step_beat(s, g.swing), 0.25, GM_DRUM_KEYS[key],
                                       int(np.clip(v, 1, 127))))
    return part


def _drum_plan(sections: list[Section], level: str) -> list[dict | None]:
    out: list[dict | None] = []
    for s in sections:
        for i in range(s.bars):
            if s.name == "intro":
                out.append(None)
                continue
            lv = "busy" if s.name == "B" else level
            if s.name == "outro":
                lv = "calm"
            spec = {"level": lv, "fill": i == s.bars - 1 and s.name in ("A", "B"), "crash": i == 0}
            if s.name == "outro" and i == s.bars - 1:
                spec = {"end": True}
            out.append(spec)
    return out


def _bass(c: Composition, g: Genre, rng, vel) -> Part:
    lo, hi = role_range("bass")
    part = Part("bass", "bass", g.programs["bass"][1], 0)
    level = c.params.level
    pattern = g.bass[level]
    prev = None
    for bar in range(c.bars):
        sec = _section_at(c.sections, bar)
        if sec.name == "intro" and bar < sec.bars - 1 and sec.bars > 1:
            continue  # the bass enters in the intro's last bar
        tones = c.chord_tones(bar)
        root = BASS_ROOTS[0] + (tones[0] - BASS_ROOTS[0]) % 12
        nxt = c.chord_tones(min(bar + 1, c.bars - 1))[0]
        next_root = BASS_ROOTS[0] + (nxt - BASS_ROOTS[0]) % 12
        scale = c.harmony.scale_notes(lo, hi, c.chords[bar])
        pat = pattern if not (c.drum_bars[bar] or {}).get("end") else ((0, 16, "R"),)
        for step, length, tone in pat:
            if tone == "R":
                n = root
            elif tone == "5":
                n = root + (tones[2] - tones[0]) % 12
            elif tone == "8":
                n = root + 12 if root + 12 <= hi else root
            elif tone == "A":  # chromatic approach to the next root, from below or above
                n = next_root - 1 if rng.random() < 0.6 else next_root + 1
                if next_root == root:
                    n = _nearest(scale, root + 2)
            else:  # "W": a chord or scale tone on the way to the next root
                cand = [x for x in scale if abs(x - (prev or root)) <= 5 and x != prev]
                chord = [x for x in cand if x % 12 in tones]
                n = int(rng.choice(chord if chord and rng.random() < 0.7 else cand or [root]))
            n = int(np.clip(n, lo, hi))
            frac = min(1.0, c.params.articulation + 0.1)
            span = step_beat(step + length, g.swing) - step_beat(step, g.swing)
            part.notes.append(Note(bar * 4 + step_beat(step, g.swing), span * frac, n,
                                   int(np.clip(vel(bar) + (6 if step == 0 else 0), 1, 127))))
            prev = n
    return part


def _voicing(tones: tuple[int, ...], lo: int, hi: int, prev: list[int] | None) -> list[int]:
    """A close voicing of ``tones`` inside lo..hi nearest the previous voicing (smooth voice leading)."""
    options = []
    for base in range(lo, hi - 6):
        if base % 12 not in tones:
            continue
        v, last = [], base - 1
        order = tones[tones.index(base % 12):] + tones[: tones.index(base % 12)]
        for pc in order:
            n = last + 1 + (pc - last - 1) % 12
            v.append(n)
            last = n
        if v[-1] <= hi:
            options.append(v)
    if not options:
        raise ConfigError(f"no voicing of {tones} between keys {lo} and {hi}")
    if prev is None:
        mid = (lo + hi) / 2
        return min(options, key=lambda v: abs(np.mean(v) - mid))
    return min(options, key=lambda v: abs(np.mean(v) - np.mean(prev)))


def _comp(c: Composition, g: Genre, role: str, program: int, channel: int, rng, vel) -> Part:
    part = Part("comp", role, program, channel)
    lo, hi = COMP_REGISTER[role]
    style = g.comp_style
    if style == "pad" and role == "guitar":
        style = "arp"
    level = c.params.level
    prev = None
    spb = 60.0 / c.bpm
    for bar in range(c.bars):
        tones = c.chord_tones(bar)
        v = _voicing(tones, lo, hi, prev)
        prev = v
        spec = c.drum_bars[bar] or {}
        strokes = ((0, 16),) if spec.get("end") else g.comp[level]
        for i, (step, length) in enumerate(strokes):
            t = bar * 4 + step_beat(step, g.swing)
            span = step_beat(step + length, g.swing) - step_beat(step, g.swing)
            dur = span * (1.0 if style == "pad" else c.params.articulation)
            vv = int(np.clip(vel(bar) - 10 + (5 if step % 8 == 0 else 0), 1, 127))
            if style == "arp" and not spec.get("end"):
                seq = [v[0], v[-1], v[1 % len(v)], v[-1]] if len(v) > 2 else v
                n = seq[i % len(seq)]
                part.notes.append(Note(t, span, n, vv))  # arpeggio notes ring until the next
            else:
                gap = 0.012 / spb if style == "strum" else 0.0  # 12 ms between strings, low to high
                for k, n in enumerate(v):
                    part.notes.append(Note(t + k * gap, dur, n, vv))
    return part


def _section_at(sections: list[Section], bar: int) -> Section:
    for s in sections:
        if s.start_bar <= bar < s.start_bar + s.bars:
            return s
    return sections[-1]


@dataclass
class Motif:
    steps: list[int]  # onsets on the 16-step grid
    lengths: list[int]  # in steps
    moves: list[int]  # scale-degree step from the previous note (first: 0)


def make_motif(g: Genre, p: MusicParams, rng) -> Motif:
    """A one-bar motif: a rhythm (onsets weighted to the strong beats) and a contour of scale steps
    (mostly stepwise; leaps up to ``max_leap``)."""
    grid = list(range(0, STEPS, 1 if (g.sixteenths and p.level == "busy") else 2))
    weight = np.array([4.0 if s in STRONG_STEPS else 2.0 if s % 4 == 0 else 1.0 for s in grid])
    k = int(np.clip(round(p.notes_per_bar + rng.normal(0, 0.7)), 2, len(grid)))
    chosen = set(rng.choice(grid, size=k, replace=False, p=weight / weight.sum()).tolist())
    if rng.random() < 0.85:
        chosen.add(0)
    steps = sorted(chosen)
    lengths = [b - a for a, b in zip(steps, [*steps[1:], STEPS], strict=True)]
    sizes = np.arange(-p.max_leap, p.max_leap + 1)
    pw = 1.0 / (1.0 + np.abs(sizes)) ** 1.6
    pw[sizes == 0] *= 0.5
    moves = [0] + [int(x) for x in rng.choice(sizes, size=len(steps) - 1, p=pw / pw.sum())]
    return Motif(steps, lengths, moves)


def vary(m: Motif, rng, how: str) -> Motif:
    """A variation of a motif: ``invert`` (contour upside down), ``tail`` (new last half of the
    contour), ``rhythm`` (one onset moved or a long note split)."""
    if how == "invert":
        return Motif(m.steps, m.lengths, [-x for x in m.moves])
    if how == "tail":
        half = len(m.moves) // 2
        return Motif(m.steps, m.lengths, m.moves[:half] + [int(rng.choice([-2, -1, 1, 2])) for _ in m.moves[half:]])
    steps = list(m.steps)
    longest = int(np.argmax(m.lengths))
    if m.lengths[longest] >= 4:  # split the longest note
        steps.append(steps[longest] + m.lengths[longest] // 2)
    else:
        steps = steps[:-1] if len(steps) > 2 else steps
    steps = sorted(set(steps))
    lengths = [b - a for a, b in zip(steps, [*steps[1:], STEPS], strict=True)]
    moves = (m.moves + [1] * len(steps))[: len(steps)]
    return Motif(steps, lengths, moves)


def _melody_plan(c: Composition, rng, g: Genre, p: MusicParams) -> list[tuple[int, Motif | None, str]]:
    """(bar, motif or None, kind) for every bar with melody: A's phrases are the motif, its sequence, a
    variation and a cadence; B has a motif of its own (the A motif inverted with a new rhythm); A'
    repeats A and varies its last phrase; the outro quotes the motif and ends on the tonic."""
    a = make_motif(g, p, rng)
    a_var = vary(a, rng, "tail")
    b_new = make_motif(g, p, rng)
    b = Motif(b_new.steps, b_new.lengths, [-x for x in a.moves][: len(b_new.steps)]
              + b_new.moves[len(a.moves):])
    b_var = vary(b, rng, "rhythm")
    a_end = vary(a, rng, "rhythm")
    plan = []
    for s in c.sections:
        for i in range(s.bars):
            bar = s.start_bar + i
            pos = i % 4
            last_phrase = i >= s.bars - 4
            if s.name == "intro":
                continue
            end = i == s.bars - 1
            if s.name in ("A", "A'"):
                if end or pos == 3:
                    if end and s.name == "A'":
                        kind = "final"  # the tonic before the outro
                    elif end:
                        kind = "final" if s.bars >= 8 else "half"  # a short A leads on into B
                    else:
                        kind = "half" if (i // 4) % 2 == 0 else "final"
                    plan.append((bar, None, kind))
                else:
                    m = (a, a, a_var)[pos]
                    if s.name == "A'" and last_phrase and s.bars >= 4 and pos == 2:
                        m = a_end
                    plan.append((bar, m, "motif"))
            elif s.name == "B":
                if end or pos == 3:
                    plan.append((bar, None, "half"))
                else:
                    plan.append((bar, (b, b, b_var)[pos], "motif"))
            else:  # outro
                if i == 0:
                    plan.append((bar, a, "motif"))
                elif i == s.bars - 1 or i == 1:
                    plan.append((bar, None, "final"))
    return plan


def _melody(c: Composition, g: Genre, role: str, program: int, channel: int, rng, vel,
            bass: Part | None) -> Part:
    part = Part("melody", role, program, channel)
    lo_r, hi_r = role_range(role)
    centre = MELODY_CENTRE[role] + c.params.register_shift
    lo, hi = max(lo_r, centre + MELODY_SPAN[0]), min(hi_r, centre + MELODY_SPAN[1])
    bass_at = {}
    if bass is not None:
        for n in bass.notes:
            bass_at[round(n.start, 4)] = n.pitch
    cur = centre
    anchors: dict[str, tuple] = {}
    prev_pair: tuple[int, int] | None = None  # (melody, bass) at the last shared onset
    for bar, motif, kind in _melody_plan(c, rng, g, c.params):
        tones = c.chord_tones(bar)
        scale = c.harmony.scale_notes(lo, hi, c.chords[bar])
        chord_notes = [n for n in scale if n % 12 in tones]
        sec = _section_at(c.sections, bar)
        lift = 3 if sec.name == "B" else 0  # B climbs a little higher
        if bar == sec.start_bar:  # A' restates A from the same pitch
            if sec.name == "A":
                anchors["A"] = (cur, prev_pair)
            elif sec.name == "A'" and "A" in anchors:
                cur, start_pair = anchors["A"]
                # A's opening note is kept unless it would move in octaves with the bass from B's last one
                if prev_pair is not None and start_pair is not None:
                    prev_pair = start_pair if (prev_pair[0] - prev_pair[1]) % 12 else prev_pair
        if motif is None:  # cadence: a long note on a chord tone (the tonic at a final cadence)
            target = [n for n in scale if n % 12 == c.harmony.tonic] if kind == "final" else chord_notes
            n = _nearest(target or chord_notes, cur)
            notes = [(0, 12 if kind == "final" else 8, n)]
        else:
            notes = []
            idx = scale.index(_nearest(chord_notes, cur + lift))
            for j, (st, ln, mv) in enumerate(zip(motif.steps, motif.lengths, motif.moves, strict=True)):
                if j > 0:
                    nxt = idx + mv
                    if not 0 <= nxt < len(scale):
                        nxt = idx - mv
                    idx = int(np.clip(nxt, 0, len(scale) - 1))
                n = scale[idx]
                if st in STRONG_STEPS:
                    n = _nearest(chord_notes, n, prefer=mv)
                    idx = scale.index(n)
                notes.append((st, ln, n))
        for st, ln, n in notes:
            t = bar * 4 + step_beat(st, g.swing)
            b = bass_at.get(round(t, 4))
            if b is not None:  # no parallel octaves with the bass at shared onsets
                if prev_pair is not None and (n - b) % 12 == 0 and (prev_pair[0] - prev_pair[1]) % 12 == 0 \
                        and np.sign(n - prev_pair[0]) == np.sign(b - prev_pair[1]) != 0:
                    alts = [x for x in (chord_notes if st in STRONG_STEPS else scale) if (x - b) % 12 != 0]
                    n = _nearest(alts or [n], n)
                prev_pair = (n, b)
            cur = n
            span = step_beat(st + ln, g.swing) - step_beat(st, g.swing)
            dur = span * (c.params.articulation if motif is not None else 1.0)
            accent = 8 if st == 0 else (4 if st in STRONG_STEPS else 0)
            part.notes.append(Note(t, dur, int(n), int(np.clip(vel(bar) + accent + 6, 1, 127))))
    return part


# ---- the entry points -------------------------------------------------------------------------------
def compose(valence: float, arousal: float, genre: str | GenreChoice, *, roles=ROLES, seed: int = 0,
            bars: int | None = None, mood_source: str = "given") -> Composition:
    """An original song for a mood, a genre and the roles of an instrument set (see the module doc)."""
    from .genres import genre as get_genre

    choice = genre if isinstance(genre, GenreChoice) else GenreChoice(get_genre(genre).name, 1.0, "--genre")
    g = GENRES[choice.genre]
    unknown = set(roles) - set(ROLES)
    roles = [r for r in ROLES if r in set(roles)]
    if unknown:
        raise ConfigError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")
    if not roles:
        raise ConfigError(f"no role to write for; give at least one of {', '.join(ROLES)}")
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed {seed!r} must be a whole number >= 0")
    if not (-1 <= valence <= 1 and 0 <= arousal <= 1):
        raise ConfigError(f"mood valence {valence} must be -1..1 and arousal {arousal} 0..1")
    base = [seed, sorted(GENRES).index(g.name)]
    rng = np.random.default_rng(base)

    def part_rng(i: int) -> np.random.Generator:  # one stream per part: a part does not change with the roles
        return np.random.default_rng([*base, i])
    params = music_params(valence, arousal, g)
    tonic = int(rng.choice(TONIC_POOL))
    harmony = Harmony(tonic, params.mode)
    sections = plan_form(params.bpm, bars)
    chords = plan_chords(g, sections, rng)
    c = Composition(choice, round(float(valence), 4), round(float(arousal), 4), mood_source, params, harmony,
                    seed, sections, chords, [], _drum_plan(sections, params.level))

    def vel(bar: int) -> float:
        return params.velocity + SECTION_DYNAMICS[_section_at(sections, bar).name]

    tonal = [r for r in g.lead_order if r in roles]
    bass = _bass(c, g, part_rng(1), vel) if "bass" in roles else None
    channels = iter(ch for ch in range(16) if ch != DRUM_CHANNEL)
    if tonal:
        lead = tonal[0]
        comp_role = tonal[1] if len(tonal) > 1 else lead
        c.parts.append(_melody(c, g, lead, g.programs[lead][0], next(channels), part_rng(2), vel, bass))
        c.parts.append(_comp(c, g, comp_role, g.programs[comp_role][1], next(channels), part_rng(3), vel))
    if bass is not None:
        bass.channel = next(channels)
        c.parts.append(bass)
    if "drums" in roles:
        c.parts.append(_drums(c, g, part_rng(4), vel))
    log.info("composed %s in %s at %.1f BPM, %d bars (%.1f s), parts %s", g.name, harmony.name, params.bpm,
             c.bars, c.seconds, [p.name for p in c.parts])
    return c


def scene_mood(spec) -> tuple[float, float, str]:
    """(valence, arousal, source) of a scene: its ``mood`` if it has one, else from its mood words."""
    if spec.mood is not None:
        return float(spec.mood.valence), float(spec.mood.arousal), "scene"
    from .mood import mood_from_words

    wm = mood_from_words(spec.mood_description or "")
    return wm.valence, wm.arousal, "words" if wm.method != "neutral" else "neutral"


def scene_roles(spec) -> list[str]:
    """The roles a scene's sources play (its variants' ``mapping_to_music_instrument``), in ROLES order."""
    from ..scene.roles import role_table

    named = role_table(spec)
    return [r for r in ROLES if r in named]


def scene_text(spec) -> str:
    return f"{spec.scene_description}. {spec.mood_description}".strip(". ")


def compose_scene(spec, *, genre: str | None = None, roles=ROLES, seed: int = 0,
                  bars: int | None = None) -> Composition:
    """The song for a :class:`~server.scene.SceneSpec`: its mood (or its mood words), the genre its
    description is nearest (unless ``genre`` is given)."""
    from .classify import classify_genre

    valence, arousal, source = scene_mood(spec)
    choice = classify_genre(scene_text(spec)) if genre is None else genre
    return compose(valence, arousal, choice, roles=roles, seed=seed, bars=bars, mood_source=source)


def to_dict(c: Composition) -> dict:
    return {**c.info(), "parts_notes": {p.name: [asdict(n) for n in p.notes] for p in c.parts}}
