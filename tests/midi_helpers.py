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
