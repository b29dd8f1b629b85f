"""A MIDI file read into a validated, time-sorted event list and per-track facts.

Times are kept in seconds from the file's tempo map; :func:`Song.events_at` turns them into sample
positions for a sample rate. Parsing is pure (no audio, no synth) so it is tested on its own.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from ..errors import InputError
from .roles import DRUM_CHANNEL, track_role

# Event kinds, as small ints so the audio side dispatches through a table.
NOTE_OFF, NOTE_ON, CONTROL, PROGRAM, PITCHWHEEL, AFTERTOUCH, POLYTOUCH = range(7)

MIN_BPM, MAX_BPM = 5.0, 1000.0
MAX_SONG_SECONDS = 60 * 60
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Event:
    """One channel event: ``kind`` (module constants), channel 0-15, two data values.

    ``a``/``b`` are (key, velocity) for notes, (controller, value) for CC, (program, 0), and
    (bend -8192..8191, 0) for pitch wheel.
    """

    time: float
    kind: int
    channel: int
    a: int
    b: int = 0
    track: int = 0


@dataclass
class TrackInfo:
    index: int
    name: str
    channels: list[int]
    program: int | None
    note_count: int
    lowest: int | None
    highest: int | None
    median_note: float | None
    polyphony: int
    role: str

    @property
    def range_names(self) -> str:
        if self.lowest is None:
            return "-"
        return f"{note_name(self.lowest)}-{note_name(self.highest)}"


@dataclass
class Song:
    path: Path | None
    ticks_per_beat: int
    events: list[Event]
    tempo_changes: list[tuple[float, float]]  # (time s, bpm)
    tracks: list[TrackInfo] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Time of the last event (seconds)."""
        return self.events[-1].time if self.events else 0.0

    @property
    def note_count(self) -> int:
        return sum(1 for e in self.events if e.kind == NOTE_ON and e.b > 0)

    def channel_roles(self) -> dict[int, str]:
        """Role of each channel that plays notes: the role of the first track with notes on it."""
        roles: dict[int, str] = {}
        for t in self.tracks:
            if t.note_count:
                for ch in t.channels:
                    roles.setdefault(ch, t.role)
        return roles

    def events_at(self, sample_rate: int) -> list[tuple[int, Event]]:
        """Events with their sample positions at ``sample_rate`` (rounded to the nearest sample)."""
        return [(round(e.time * sample_rate), e) for e in self.events]


def note_name(key: int) -> str:
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[key % 12]}{key // 12 - 1}"


def load_song(path: str | os.PathLike[str], *, require_notes: bool = True) -> Song:
    """Read and validate a Standard MIDI File.

    Refuses: a missing file, a non-MIDI or truncated file, type 2 files, SMPTE time division,
    tempos outside 5-1000 BPM, songs over an hour, and (``require_notes``) files with no notes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such MIDI file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size // 2**20} MiB is too large for a MIDI file (limit 64 MiB)")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head != b"MThd":
        raise InputError(f"{path}: not a Standard MIDI File (it should start with 'MThd', found {head!r})")
    try:
        mf = mido.MidiFile(str(path), clip=True)
    except EOFError as exc:
        raise InputError(f"{path}: the MIDI file is truncated (it ends inside a track)") from exc
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"{path}: the MIDI file is corrupt: {exc}") from exc
    return song_from_midifile(mf, path=path, require_notes=require_notes)


def song_from_midifile(mf: mido.MidiFile, *, path: Path | None = None, require_notes: bool = True) -> Song:
    where = str(path) if path else "MIDI file"
    if mf.type == 2:
        raise InputError(f"{where}: type 2 (asynchronous) MIDI files are not supported; use type 0 or 1")
    tpb = mf.ticks_per_beat
    if not isinstance(tpb, int) or tpb <= 0 or tpb >= 0x8000:
        raise InputError(f"{where}: SMPTE or invalid time division ({tpb}); use ticks per beat")

    raw: list[tuple[int, int, int, mido.Message]] = []  # (tick, track, seq, msg)
    tempo_ticks: list[tuple[int, int, int, int]] = []  # (tick, track, seq, tempo µs/beat)
    track_names: dict[int, str] = {}
    seq = 0
    for ti, track in enumerate(mf.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            seq += 1
            if msg.is_meta:
                if msg.type == "set_tempo":
                    bpm = mido.tempo2bpm(msg.tempo) if msg.tempo > 0 else float("inf")
                    if not MIN_BPM <= bpm <= MAX_BPM:
                        raise InputError(
                            f"{where}: track {ti} sets an absurd tempo of {bpm:.4g} BPM at tick {tick}; "
                            f"tempos must be {MIN_BPM:g}-{MAX_BPM:g} BPM"
                        )
                    tempo_ticks.append((tick, ti, seq, msg.tempo))
                elif msg.type == "track_name" and ti not in track_names:
                    track_names[ti] = msg.name.strip()
            elif msg.type in _KINDS:
                raw.append((tick, ti, seq, msg))
    tempo_ticks.sort()
    tick_to_seconds = _tempo_map(tempo_ticks, tpb)
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    ticks = np.array([r[0] for r in raw], dtype=np.int64)
    times = tick_to_seconds(ticks)
    events = []
    for (_tick, ti, _seq, msg), t in zip(raw, times, strict=True):
        events.append(_to_event(msg, float(t), ti))
    if events and events[-1].time > MAX_SONG_SECONDS:
        raise InputError(f"{where}: the song lasts {events[-1].time / 60:.0f} minutes; the limit is 60")
    tempo_changes = [(float(tick_to_seconds(np.array([tk]))[0]), mido.tempo2bpm(tp)) for tk, _, _, tp in tempo_ticks]
    song = Song(path, tpb, events, tempo_changes or [(0.0, 120.0)])
    song.tracks = _track_infos(mf, events, track_names)
    if require_notes and song.note_count == 0:
        raise InputError(f"{where}: the MIDI file holds no notes to play")
    return song


_KINDS = {
    "note_off": NOTE_OFF,
    "note_on": NOTE_ON,
    "control_change": CONTROL,
    "program_change": PROGRAM,
    "pitchwheel": PITCHWHEEL,
    "aftertouch": AFTERTOUCH,
    "polytouch": POLYTOUCH,
}


def _to_event(msg: mido.Message, t: float, track: int) -> Event:
    kind = _KINDS[msg.type]
    if kind in (NOTE_ON, NOTE_OFF):
        if kind == NOTE_ON and msg.velocity == 0:
            kind = NOTE_OFF
        return Event(t, kind, msg.channel, msg.note, msg.velocity, track)
    if kind == CONTROL:
        return Event(t, kind, msg.channel, msg.control, msg.value, track)
    if kind == PROGRAM:
        return Event(t, kind, msg.channel, msg.program, 0, track)
    if kind == PITCHWHEEL:
        return Event(t, kind, msg.channel, msg.pitch, 0, track)
    if kind == AFTERTOUCH:
        return Event(t, kind, msg.channel, msg.value, 0, track)
    return Event(t, kind, msg.channel, msg.note, msg.value, track)


def _tempo_map(tempo_ticks: list[tuple[int, int, int, int]], tpb: int):
    """Return a vectorised tick -> seconds function for the file's tempo changes."""
    seg_ticks = [0]
    seg_tempo = [500000]  # 120 BPM until the first tempo event
    for tick, _, _, tempo in tempo_ticks:
        if tick == seg_ticks[-1]:
            seg_tempo[-1] = tempo
        else:
            seg_ticks.append(tick)
            seg_tempo.append(tempo)
    st = np.array(seg_ticks, dtype=np.int64)
    sp = np.array(seg_tempo, dtype=np.float64) / 1e6 / tpb  # seconds per tick in each segment
    seg_start = np.concatenate([[0.0], np.cumsum(np.diff(st) * sp[:-1])])

    def convert(ticks: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(st, ticks, side="right") - 1
        return seg_start[idx] + (ticks - st[idx]) * sp[idx]

    return convert


def _track_infos(mf: mido.MidiFile, events: list[Event], names: dict[int, str]) -> list[TrackInfo]:
    infos = []
    for ti in range(len(mf.tracks)):
        evs = [e for e in events if e.track == ti]
        notes = [e.a for e in evs if e.kind == NOTE_ON]
        channels = sorted({e.channel for e in evs if e.kind in (NOTE_ON, NOTE_OFF)})
        programs = [e.a for e in evs if e.kind == PROGRAM]
        program = programs[0] if programs else None
        poly = _max_polyphony(evs)
        median = float(np.median(notes)) if notes else None
        channel = channels[0] if channels else (evs[0].channel if evs else 0)
        role = track_role(channel, program, median) if notes else "-"
        if notes and DRUM_CHANNEL in channels:
            role = "drums"
        infos.append(
            TrackInfo(
                index=ti,
                name=names.get(ti, ""),
                channels=channels,
                program=program,
                note_count=len(notes),
                lowest=min(notes) if notes else None,
                highest=max(notes) if notes else None,
                median_note=median,
                polyphony=poly,
                role=role,
            )
        )
    return infos


def _max_polyphony(evs: list[Event]) -> int:
    """Most notes sounding at once (note-offs at a time are applied before note-ons at that time)."""
    sounding: set[tuple[int, int]] = set()
    best = 0
    times = sorted({e.time for e in evs})
    by_time: dict[float, list[Event]] = {}
    for e in evs:
        by_time.setdefault(e.time, []).append(e)
    for t in times:
        group = by_time[t]
        for e in group:
            if e.kind == NOTE_OFF:
                sounding.discard((e.channel, e.a))
        for e in group:
            if e.kind == NOTE_ON:
                sounding.add((e.channel, e.a))
        best = max(best, len(sounding))
    return best


def bpm_at(song: Song, t: float) -> float:
    times = [tc[0] for tc in song.tempo_changes]
    i = bisect_right(times, t) - 1
    return song.tempo_changes[max(i, 0)][1]
