"""Generate WAVE's demo songs: original pieces written by the project, deterministic.

    python midi/make_demo_songs.py            # writes midi/*.mid next to this script

Each song has separate melody, chords, bass and drum tracks and a conductor track (tempo, metre).
``harbour_lights`` (A minor, 92 -> 80 BPM) has a tempo change, pitch bends with an explicit RPN
bend range, modulation, sustain pedal and expression. ``sunday_market`` (D major, 120 BPM) has a
strummed guitar and a square-lead melody. Mood-fitting (valence -> major/minor, arousal -> tempo)
chooses between them.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import mido

TPB = 480
BEAT = TPB
BAR = 4 * BEAT
NOTE_NAMES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pc(name: str) -> int:
    base = NOTE_NAMES[name[0]]
    return (base + (1 if "#" in name else 0) - (1 if name.endswith("b") and len(name) > 1 else 0)) % 12


# chord symbol -> (root pitch class, intervals)
QUALITIES = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "maj7": (0, 4, 7, 11)}


def chord(sym: str) -> tuple[int, tuple[int, ...]]:
    root = sym[:2] if len(sym) > 1 and sym[1] in "#b" else sym[:1]
    return pc(root), QUALITIES[sym[len(root):]]


class Track:
    """Collects (tick, order, message) and writes a delta-timed mido track."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []

    def add(self, tick: int, msg, order: int = 1) -> None:
        self.events.append((int(tick), order, msg))

    def note(self, tick: int, dur: int, ch: int, key: int, vel: int) -> None:
        self.add(tick, mido.Message("note_on", channel=ch, note=key, velocity=max(1, min(127, vel))), 2)
        self.add(tick + dur, mido.Message("note_off", channel=ch, note=key, velocity=64), 0)

    def to_mido(self) -> mido.MidiTrack:
        tr = mido.MidiTrack()
        tr.append(mido.MetaMessage("track_name", name=self.name, time=0))
        last = 0
        for tick, _, msg in sorted(self.events, key=lambda e: (e[0], e[1])):
            tr.append(msg.copy(time=tick - last))
            last = tick
        end = max((e[0] for e in self.events), default=0)
        tr.append(mido.MetaMessage("end_of_track", time=end - last + BEAT))
        return tr


def melody_line(rng: random.Random, progression: list[str], scale: list[int], low: int, high: int,
                rhythms: list[list[int]]) -> list[tuple[int, int, int]]:
    """(tick, duration, key) for a melody over ``progression`` (one chord per bar), phrases A A' B A."""
    notes: list[tuple[int, int, int]] = []
    phrase_len = 4
    phrases: dict[str, list[tuple[int, int, int]]] = {}
    shape = ["A", "A2", "B", "A"]
    key = (low + high) // 2
    for p_index in range(len(progression) // phrase_len):
        label = shape[p_index % len(shape)]
        start_bar = p_index * phrase_len
        if label in phrases and label == "A":
            for t, d, k in phrases["A"]:
                notes.append((t + start_bar * BAR, d, k))
            continue
        local: list[tuple[int, int, int]] = []
        for b in range(phrase_len):
            root, ivs = chord(progression[start_bar + b])
            tones = {(root + i) % 12 for i in ivs}
            rhythm = rhythms[rng.randrange(len(rhythms))] if b < phrase_len - 1 else [4, 4]
            t = 0
            for j, dur_eighths in enumerate(rhythm):
                strong = t % BEAT == 0 and (t // BEAT) % 2 == 0
                cands = [k for k in range(low, high + 1) if k % 12 in scale and abs(k - key) <= 4]
                if strong or j == len(rhythm) - 1:
                    chord_cands = [k for k in cands if k % 12 in tones]
                    cands = chord_cands or cands
                cands = cands or [k for k in range(low, high + 1) if k % 12 in tones]
                weights = [1.0 / (1 + abs(k - key)) for k in cands]
                key = rng.choices(cands, weights)[0]
                dur = dur_eighths * BEAT // 2
                local.append((b * BAR + t, int(dur * 0.92), key))
                t += dur
        phrases.setdefault("A" if label == "A" else label, local)
        for t, d, k in local:
            notes.append((t + start_bar * BAR, d, k))
    return notes


def drums(tr: Track, bars: int, rng: random.Random, fill_every: int = 4) -> None:
    ch = 9
    for bar in range(bars):
        t0 = bar * BAR
        if bar % fill_every == 0:
            tr.note(t0, BEAT, ch, 49, 100)  # crash on phrase starts
        for e in range(8):
            t = t0 + e * BEAT // 2
            if e in (0, 4) or (e == 5 and rng.random() < 0.4):
                tr.note(t, BEAT // 4, ch, 36, 110 if e == 0 else 96)
            if e in (2, 6):
                tr.note(t, BEAT // 4, ch, 38, 104)
            last = bar % fill_every == fill_every - 1
            if last and e == 7:
                tr.note(t, BEAT // 2, ch, 46, 84)  # open hat into the next phrase
            elif not (last and e >= 6):
                tr.note(t, BEAT // 8, ch, 42, 70 + (12 if e % 2 == 0 else 0))
            if last and e >= 6:
                tr.note(t, BEAT // 4, ch, 45 if e == 6 else 43, 96)  # tom fill


def conductor(name: str, tempos: list[tuple[int, float]]) -> Track:
    tr = Track(name)
    tr.add(0, mido.MetaMessage("time_signature", numerator=4, denominator=4))
    for tick, bpm in tempos:
        tr.add(tick, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    return tr


def setup_channel(tr: Track, ch: int, program: int, volume: int, pan: int, bend_range: int | None = None) -> None:
    tr.add(0, mido.Message("control_change", channel=ch, control=0, value=0), 0)
    tr.add(0, mido.Message("program_change", channel=ch, program=program), 0)
    tr.add(0, mido.Message("control_change", channel=ch, control=7, value=volume), 0)
    tr.add(0, mido.Message("control_change", channel=ch, control=10, value=pan), 0)
    tr.add(0, mido.Message("control_change", channel=ch, control=11, value=127), 0)
    if bend_range is not None:  # RPN 0,0 = pitch-bend sensitivity (semitones, cents)
        for cc, v in ((101, 0), (100, 0), (6, bend_range), (38, 0), (101, 127), (100, 127)):
            tr.add(0, mido.Message("control_change", channel=ch, control=cc, value=v), 0)


def harbour_lights() -> mido.MidiFile:
    rng = random.Random(7)
    prog = ["Am", "F", "C", "G"] * 2 + ["Dm", "Am", "E7", "Am"] + ["F", "G", "E7", "Am"]
    bars = len(prog)
    scale = [pc(n) for n in ("A", "B", "C", "D", "E", "F", "G")]
    cond = conductor("conductor", [(0, 92.0), (12 * BAR, 80.0)])
    mel, chords, bass, kit = Track("melody"), Track("chords"), Track("bass"), Track("drums")
    setup_channel(mel, 0, 27, 104, 76, bend_range=2)  # clean electric guitar
    setup_channel(chords, 1, 0, 84, 48)  # acoustic grand piano
    setup_channel(bass, 2, 33, 108, 64)  # finger bass
    kit.add(0, mido.Message("control_change", channel=9, control=7, value=100), 0)
    line = melody_line(rng, prog, scale, 64, 81, [[2, 2, 2, 2], [3, 1, 2, 2], [2, 1, 1, 4], [4, 2, 2], [1, 1, 2, 4]])
    for n, (t, d, k) in enumerate(line):
        vel = 88 + rng.randrange(-10, 12)
        if n % 7 == 3 and d >= BEAT:  # bend up a whole tone into the note (range 2 = full scale)
            steps = 8
            for s in range(steps + 1):
                mel.add(t + s * BEAT // 32, mido.Message("pitchwheel", channel=0, pitch=int(-8191 * (1 - s / steps))), 1)
            mel.add(t + d, mido.Message("pitchwheel", channel=0, pitch=0), 0)
        if d >= 2 * BEAT:  # vibrato by modulation wheel on long notes
            mel.add(t + BEAT, mido.Message("control_change", channel=0, control=1, value=70), 1)
            mel.add(t + d, mido.Message("control_change", channel=0, control=1, value=0), 0)
        mel.note(t, d, 0, k, vel)
    for bar, sym in enumerate(prog):
        root, ivs = chord(sym)
        t0 = bar * BAR
        voicing = sorted({48 + (root + i - 48) % 12 + 12 * (((root + i) % 12) < 3) for i in ivs[:3]})
        chords.add(t0, mido.Message("control_change", channel=1, control=64, value=127), 1)
        for beat in (0, 2):
            for k in voicing:
                chords.note(t0 + beat * BEAT, int(1.9 * BEAT), 1, k, 70 if beat == 0 else 60)
        chords.add(t0 + BAR - 10, mido.Message("control_change", channel=1, control=64, value=0), 0)
        chords.add(t0, mido.Message("control_change", channel=1, control=11, value=100 + (bar % 4) * 9), 1)
        broot = 33 + (root - 9) % 12
        for beat, step in ((0, 0), (1.5, 7), (2, 0), (3, 12 if bar % 2 else 7)):
            bass.note(t0 + int(beat * BEAT), int(BEAT * 0.45), 2, broot + step, 100)
    drums(kit, bars, rng)
    return _file([cond, mel, chords, bass, kit])


def sunday_market() -> mido.MidiFile:
    rng = random.Random(11)
    prog = ["D", "Bm", "G", "A"] * 3 + ["G", "A", "F#m", "Bm", "G", "A", "D", "D"] + ["D", "Bm", "G", "A"]
    bars = len(prog)
    scale = [pc(n) for n in ("D", "E", "F#", "G", "A", "B", "C#")]
    cond = conductor("conductor", [(0, 120.0)])
    mel, chords, bass, kit = Track("melody"), Track("chords"), Track("bass"), Track("drums")
    setup_channel(mel, 0, 80, 92, 52)  # square lead
    setup_channel(chords, 1, 25, 90, 84)  # steel-string guitar
    setup_channel(bass, 2, 34, 110, 64)  # picked bass
    kit.add(0, mido.Message("control_change", channel=9, control=7, value=104), 0)
    line = melody_line(rng, prog, scale, 66, 83, [[2, 2, 1, 1, 2], [1, 1, 1, 1, 2, 2], [3, 1, 4], [2, 2, 2, 2]])
    for t, d, k in line:
        mel.note(t, d, 0, k, 84 + rng.randrange(-8, 10))
    strum = [0, 2, 3, 5, 6, 7]  # eighths: D D U D U U pattern positions
    for bar, sym in enumerate(prog):
        root, ivs = chord(sym)
        t0 = bar * BAR
        shape = sorted({52 + (root + i - 52) % 12 for i in ivs[:3]} | {52 + (root - 52) % 12 + 12})
        for e in strum:
            down = e in (0, 2, 5)
            order = shape if down else shape[::-1]
            for s, k in enumerate(order):
                chords.note(t0 + e * BEAT // 2 + s * 12, BEAT // 2 - 20, 1, k, (88 if down else 66) - 3 * s)
        broot = 38 + (root - 2) % 12
        for e in range(8):
            if e in (0, 3, 4, 6):
                bass.note(t0 + e * BEAT // 2, int(BEAT * 0.4), 2, broot + (7 if e == 6 else 0), 104)
    drums(kit, bars, rng)
    return _file([cond, mel, chords, bass, kit])


def _file(tracks: list[Track]) -> mido.MidiFile:
    mf = mido.MidiFile(type=1, ticks_per_beat=TPB)
    for t in tracks:
        mf.tracks.append(t.to_mido())
    return mf


SONGS = {"harbour_lights": harbour_lights, "sunday_market": sunday_market}


def main(out_dir: str | None = None) -> None:
    out = Path(out_dir) if out_dir else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for name, make in SONGS.items():
        mf = make()
        mf.save(out / f"{name}.mid")
        print(f"{out / (name + '.mid')}: {mf.length:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
