"""Small MIDI files written by tests: a list of (beat, message) placed on a tempo map."""

from __future__ import annotations

from pathlib import Path

import mido

TPB = 480
GM_FONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"


def write_midi(path: Path, events: list[tuple[float, mido.Message]], tempos: list[tuple[float, float]] = ((0, 120),),
               tpb: int = TPB) -> Path:
    """``events``: (beat, message) with channel messages; ``tempos``: (beat, BPM). One track (type 0)."""
    msgs = [(round(b * tpb), 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for b, bpm in tempos]
    msgs += [(round(b * tpb), 1, m) for b, m in events]
    msgs.sort(key=lambda x: (x[0], x[1]))
    mf = mido.MidiFile(type=0, ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    last = 0
    for tick, _, m in msgs:
        tr.append(m.copy(time=tick - last))
        last = tick
    mf.save(str(path))
    return path


def dry(ch: int = 0) -> list[tuple[float, mido.Message]]:
    """Turn FluidSynth's reverb and chorus sends off on ``ch`` so notes stay separate."""
    return [(0, mido.Message("control_change", channel=ch, control=91, value=0)),
            (0, mido.Message("control_change", channel=ch, control=93, value=0))]


def note(beat: float, dur: float, key: int, vel: int = 100, ch: int = 0) -> list[tuple[float, mido.Message]]:
    return [(beat, mido.Message("note_on", channel=ch, note=key, velocity=vel)),
            (beat + dur, mido.Message("note_off", channel=ch, note=key, velocity=0))]


def seconds_at(beat: float, tempos: list[tuple[float, float]]) -> float:
    """Time of ``beat`` on a piecewise-constant tempo map, computed independently of server.midi."""
    t = 0.0
    tempos = sorted(tempos)
    for i, (b0, bpm) in enumerate(tempos):
        b1 = tempos[i + 1][0] if i + 1 < len(tempos) else float("inf")
        if beat <= b0:
            break
        t += (min(beat, b1) - b0) * 60.0 / bpm
    return t


def band_song(path: Path, minutes: float, bpm: float = 120.0, tpb: int = TPB) -> Path:
    """A type-0 song of ``minutes`` looping four bars of drums (ch 10), bass (ch 2), guitar (ch 3) and piano
    (ch 1) chords, the chord root moving each bar: ~16 notes per beat, like a dense pop arrangement."""
    mf = mido.MidiFile(type=0, ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    for ch, prog in ((0, 0), (1, 33), (2, 25)):
        tr.append(mido.Message("program_change", channel=ch, program=prog))
    beats = round(minutes * bpm)
    msgs: list[tuple[int, int, mido.Message]] = []

    def add(beat: float, dur: float, ch: int, key: int, vel: int) -> None:
        t0, t1 = round(beat * tpb), round((beat + dur) * tpb)
        msgs.append((t0, 1, mido.Message("note_on", channel=ch, note=key, velocity=vel)))
        msgs.append((t1, 0, mido.Message("note_off", channel=ch, note=key, velocity=0)))

    roots = (0, 5, 7, 3)
    for b in range(beats):
        root = 48 + roots[(b // 4) % 4]
        add(b, 0.25, 9, 36 if b % 2 == 0 else 38, 100)
        for h in (0, 0.5):
            add(b + h, 0.25, 9, 42, 70)
        add(b, 0.45, 1, root - 12, 95)
        add(b + 0.5, 0.45, 1, root - 5, 85)
        for i, k in enumerate((root + 12, root + 16, root + 19)):
            add(b + 0.1 * i, 0.4, 2, k, 75)
        if b % 2 == 0:
            for k in (root + 12, root + 15, root + 19, root + 24):
                add(b, 1.9, 0, k, 70)
    msgs.sort(key=lambda m: (m[0], m[1]))
    last = 0
    for tick, _, m in msgs:
        tr.append(m.copy(time=tick - last))
        last = tick
    mf.save(str(path))
    return path
