"""A MIDI file read into a validated, time-sorted event list with per-channel and per-track facts.

Times are kept in seconds from the file's tempo map; :func:`Song.events_at` turns them into sample
positions for a sample rate: what the engine's MIDI player plays, live (``/wave/midi/play``) and offline
(``wave render``). Parsing is pure (no audio, no synth) so it is tested on its own.

Roles belong to MIDI channels, not tracks: a type-0 file carries every channel on one track, and a
type-1 file may set programs on a conductor track while its notes sit on others. Each note is
attributed to the program in effect on its channel when it starts (whichever track set it), each
(channel, program) pair gets a role (:func:`~server.midi.roles.track_role`), and the channel takes the
role that plays most of its notes. A track's role is the roles of the channels it plays, joined by ``+``.
"""

from __future__ import annotations

import logging
import os
import re
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError, InputError
from .roles import DRUM_CHANNEL, OTHER, ROLES, gm_family, track_role

if TYPE_CHECKING:
    import mido

log = logging.getLogger(__name__)

# Event kinds, as small ints so the audio side dispatches through a table. ROUTE is no MIDI message: it
# plays its channel from soundfont id ``a`` from then on (``wave render``'s role routing, placed just
# before the program change it serves; see server.render.render.plan_routing).
NOTE_OFF, NOTE_ON, CONTROL, PROGRAM, PITCHWHEEL, AFTERTOUCH, POLYTOUCH, ROUTE = range(8)
CC_SUSTAIN, CC_ALL_NOTES_OFF = 64, 123

MIN_BPM, MAX_BPM = 5.0, 1000.0
MAX_SONG_SECONDS = 60 * 60
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
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
    role: str  # the roles of the channels it plays, most notes first, joined by "+"; "-" without notes
    channel_notes: dict[int, int] = field(default_factory=dict)  # channel -> notes this track plays on it

    @property
    def range_names(self) -> str:
        return _range_names(self.lowest, self.highest)


@dataclass
class ChannelInfo:
    """What one MIDI channel plays across the whole file (every track that writes to it)."""

    channel: int  # zero-based: 9 is MIDI channel 10, the drum kit
    programs: list[int]  # programs in effect when its notes start, in order of first use (0 if never set)
    program_notes: dict[int, int]  # program -> notes started under it
    program_roles: dict[int, str]  # program -> the role its notes alone would give the channel
    note_count: int
    lowest: int
    highest: int
    median_note: float
    polyphony: int
    tracks: list[int]  # tracks that play notes on it
    detected_role: str
    role: str  # detected_role unless overridden (--map)
    mapped: bool = False  # the role was set by hand (--map): the whole channel plays it

    @property
    def program(self) -> int:
        """The program that plays most of its notes (the first used on a tie)."""
        return max(self.programs, key=lambda p: (self.program_notes[p], -self.programs.index(p)))

    @property
    def number(self) -> int:
        """The channel as musicians and `wave inspect` number it (1-16)."""
        return self.channel + 1

    @property
    def range_names(self) -> str:
        return _range_names(self.lowest, self.highest)

    @property
    def sound(self) -> str:
        """What General MIDI plays on it: the drum kit, or the family of each program used."""
        if self.channel == DRUM_CHANNEL:
            return "drum kit"
        fams = list(dict.fromkeys(gm_family(p) for p in self.programs))
        return " / ".join(fams)


@dataclass
class Song:
    path: Path | None
    ticks_per_beat: int
    events: list[Event]
    tempo_changes: list[tuple[float, float]]  # (time s, bpm)
    tracks: list[TrackInfo] = field(default_factory=list)
    channels: list[ChannelInfo] = field(default_factory=list)  # channels that play notes, by number

    @property
    def duration(self) -> float:
        """Time of the last event (seconds)."""
        return self.events[-1].time if self.events else 0.0

    @property
    def note_count(self) -> int:
        return sum(1 for e in self.events if e.kind == NOTE_ON and e.b > 0)

    def channel_roles(self) -> dict[int, str]:
        """Role of each channel that plays notes (zero-based channel -> role)."""
        return {c.channel: c.role for c in self.channels}

    def set_channel_role(self, channel: int, role: str) -> None:
        """Give a channel (zero-based) a role; the tracks' roles follow."""
        for c in self.channels:
            if c.channel == channel:
                c.role = role
                c.mapped = True
                _refresh_track_roles(self)
                return
        raise ConfigError(f"channel {channel + 1} plays no notes in this song; {_channels_with_notes(self)}")

    def release_events(self) -> list[Event]:
        """At the last event: sustain pedal up and all notes off on every channel, so nothing the file left
        held hangs into the tail."""
        t = self.duration
        return [Event(t, CONTROL, ch, cc, 0) for ch in range(16) for cc in (CC_SUSTAIN, CC_ALL_NOTES_OFF)]

    def events_at(self, sample_rate: int) -> TimedEvents:
        """What the engine's MIDI player plays: every event with its sample position at ``sample_rate``,
        then :meth:`release_events` (see :class:`TimedEvents`)."""
        return TimedEvents(self.events + self.release_events(), sample_rate)


class TimedEvents(Sequence):
    """``(sample position, event)`` for time-sorted ``events`` at ``sample_rate``; the position
    (``round(time * rate)``) is computed when an item is read, so a long song costs one reference per
    event rather than a tuple and an int. Integer indexing only."""

    __slots__ = ("events", "sample_rate")

    def __init__(self, events: list[Event], sample_rate: int) -> None:
        self.events = events
        self.sample_rate = int(sample_rate)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, i: int) -> tuple[int, Event]:  # type: ignore[override]
        e = self.events[i]
        return round(e.time * self.sample_rate), e


def _range_names(lo: int | None, hi: int | None) -> str:
    return "-" if lo is None or hi is None else f"{note_name(lo)}-{note_name(hi)}"


def note_name(key: int) -> str:
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[key % 12]}{key // 12 - 1}"


def load_song(path: str | os.PathLike[str], *, require_notes: bool = True) -> Song:
    """Read and validate a Standard MIDI File.

    Refuses: a missing file, a non-MIDI or truncated file, type 2 files, SMPTE time division,
    tempos outside 5-1000 BPM, songs over an hour, and (``require_notes``) files with no notes.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a MIDI file; give a .mid file")
    if not path.is_file():
        raise InputError(f"{path}: no such MIDI file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the MIDI file ({exc.strerror or exc})") from exc
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size // 2**20} MiB is too large for a MIDI file (limit 64 MiB)")
    if head != b"MThd":
        raise InputError(f"{path}: not a Standard MIDI File (it should start with 'MThd', found {head!r})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the MIDI file ({exc.strerror or exc})") from exc
    parsed = _read_smf(data, str(path))
    del data
    return _build(parsed, path, require_notes)


def song_from_midifile(mf: mido.MidiFile, *, path: Path | None = None, require_notes: bool = True) -> Song:
    """A :class:`Song` from a :class:`mido.MidiFile` in memory (read as its bytes, validated as
    :func:`load_song` does)."""
    import io

    buf = io.BytesIO()
    mf.save(file=buf)
    return _build(_read_smf(buf.getvalue(), str(path) if path else "MIDI file"), path, require_notes)


@dataclass
class _Parsed:
    where: str
    tpb: int
    ntracks: int
    cols: dict[str, array]
    tempo_ticks: list[tuple[int, int, int, int]]
    track_names: dict[int, str]


# data bytes after each status (high nibble for channel messages, whole byte for system ones); None: undefined
_CHANNEL_DATA = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}
_SYSTEM_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}
_KIND_OF = {0x8: NOTE_OFF, 0x9: NOTE_ON, 0xA: POLYTOUCH, 0xB: CONTROL, 0xC: PROGRAM, 0xD: AFTERTOUCH,
            0xE: PITCHWHEEL}
META_TRACK_NAME, META_TEMPO, META_TIME_SIGNATURE, META_KEY_SIGNATURE = 0x03, 0x51, 0x58, 0x59


class _Corrupt(Exception):
    pass


class _Truncated(Exception):
    pass


def _read_smf(data: bytes, where: str) -> _Parsed:
    """Read a Standard MIDI File's bytes: validate the header and read every channel event into compact
    columns, the tempo changes and the track names.

    The rules are mido's (the library it replaced here, at a fraction of the time): running status across
    meta events, data bytes above 127 clipped to 127, a note-on at velocity 0 is a note-off. System
    messages are skipped; they and sysex events cancel running status (as the standard says); chunks
    other than ``MTrk`` are skipped; a tempo, time or key signature whose data is too short, or a key signature outside 7 flats-7
    sharps / major-minor, makes the file corrupt.
    """
    try:
        return _read_chunks(data, where)
    except _Truncated:
        raise InputError(f"{where}: the MIDI file is truncated (it ends before the tracks its header announces "
                         "are complete)") from None
    except _Corrupt as exc:
        raise InputError(f"{where}: the MIDI file is corrupt: {exc}") from None


def _read_chunks(data: bytes, where: str) -> _Parsed:
    n = len(data)
    if n < 14 or data[:4] != b"MThd":
        raise _Truncated if data[:4] == b"MThd" else _Corrupt("no MThd header")
    size = int.from_bytes(data[4:8], "big")
    if size < 6 or 8 + size > n:
        raise _Truncated
    fmt, ntracks, division = (int.from_bytes(data[8 + 2 * i:10 + 2 * i], "big") for i in range(3))
    if fmt == 2:
        raise InputError(f"{where}: type 2 (asynchronous) MIDI files are not supported; use type 0 or 1")
    if fmt > 2:
        raise _Corrupt(f"unknown format {fmt} in the header (0, 1 or 2)")
    if division == 0 or division & 0x8000:
        raise InputError(f"{where}: SMPTE or invalid time division ({division}); use ticks per beat")
    cols = {name: array(code) for name, code in (("tick", "q"), ("track", "i"), ("kind", "b"), ("channel", "b"),
                                                   ("a", "i"), ("b", "i"))}
    tempo_ticks: list[tuple[int, int, int, int]] = []  # (tick, track, seq, tempo µs/beat)
    track_names: dict[int, str] = {}
    pos, ti, seq = 8 + size, 0, 0
    while ti < ntracks:
        if pos + 8 > n:
            raise _Truncated
        name, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        pos += 8
        if pos + length > n:
            raise _Truncated
        if name == b"MTrk":
            seq = _read_track(data, pos, pos + length, ti, seq, cols, tempo_ticks, track_names, where)
            ti += 1
        pos += length
    return _Parsed(where, division, ntracks, cols, sorted(tempo_ticks), track_names)


def _read_track(data: bytes, pos: int, end: int, ti: int, seq: int, cols: dict[str, array],
                tempo_ticks: list, track_names: dict[int, str], where: str) -> int:
    """Read one ``MTrk`` chunk's events (``data[pos:end]``) into ``cols``; returns the running count of
    events read (the tie-break of tempo changes at one tick)."""
    tick_c, track_c, kind_c, chan_c, a_c, b_c = (cols[k] for k in ("tick", "track", "kind", "channel", "a", "b"))
    tick, status = 0, 0
    while pos < end:
        delta = 0  # variable-length delta time
        while True:
            if pos >= end:
                raise _Corrupt(f"track {ti} ends inside an event")
            byte = data[pos]
            pos += 1
            delta = (delta << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        tick += delta
        seq += 1
        if pos >= end:
            raise _Corrupt(f"track {ti} ends inside an event")
        byte = data[pos]
        if byte < 0x80:  # running status: this is the first data byte
            if not status:
                raise _Corrupt(f"running status without a previous status byte in track {ti}")
        else:
            pos += 1
            if byte == 0xFF:  # meta event: type, length, data; running status stays
                if pos >= end:
                    raise _Corrupt(f"track {ti} ends inside a meta event")
                mtype = data[pos]
                pos, length = _varlen(data, pos + 1, end, ti)
                body = data[pos:pos + length]
                if pos + length > end:
                    raise _Corrupt(f"a meta event runs past the end of track {ti}")
                pos += length
                if mtype == META_TEMPO:
                    if length < 3:
                        raise _Corrupt(f"a tempo event of {length} bytes in track {ti} (3 expected)")
                    tempo = (body[0] << 16) | (body[1] << 8) | body[2]
                    bpm = 60e6 / tempo if tempo > 0 else float("inf")
                    if not MIN_BPM <= bpm <= MAX_BPM:
                        raise InputError(
                            f"{where}: track {ti} sets an absurd tempo of {bpm:.4g} BPM at tick {tick}; "
                            f"tempos must be {MIN_BPM:g}-{MAX_BPM:g} BPM"
                        )
                    tempo_ticks.append((tick, ti, seq, tempo))
                elif mtype == META_TRACK_NAME:
                    if ti not in track_names:
                        track_names[ti] = body.decode("latin-1").strip()
                elif mtype == META_TIME_SIGNATURE:
                    if length < 4:
                        raise _Corrupt(f"a time signature of {length} bytes in track {ti} (4 expected)")
                elif mtype == META_KEY_SIGNATURE:
                    if length < 2:
                        raise _Corrupt(f"a key signature of {length} bytes in track {ti} (2 expected)")
                    sf = body[0] - 256 if body[0] > 127 else body[0]
                    if not -7 <= sf <= 7 or body[1] > 1:
                        raise _Corrupt(f"a key signature of {sf} sharps, mode {body[1]} in track {ti} "
                                       "(-7..7 sharps, 0 major or 1 minor)")
                continue
            if byte in (0xF0, 0xF7):  # sysex: length, data; cancels running status
                pos, length = _varlen(data, pos, end, ti)
                if pos + length > end:
                    raise _Corrupt(f"a sysex event runs past the end of track {ti}")
                pos += length
                status = 0
                continue
            if byte >= 0xF0:  # system common / real-time: skipped; no running status after them
                size = _SYSTEM_DATA.get(byte)
                if size is None:
                    raise _Corrupt(f"undefined status byte 0x{byte:02x} in track {ti}")
                if pos + size > end:
                    raise _Corrupt(f"track {ti} ends inside an event")
                pos += size
                status = 0
                continue
            status = byte
        hi = status >> 4
        size = _CHANNEL_DATA[hi]
        if pos + size > end:
            raise _Corrupt(f"track {ti} ends inside an event")
        a = data[pos]
        if a > 127:
            a = 127
        if size == 2:
            b = data[pos + 1]
            if b > 127:
                b = 127
        else:
            b = 0
        pos += size
        kind = _KIND_OF[hi]
        if kind == NOTE_ON:
            if b == 0:
                kind = NOTE_OFF
        elif kind == PITCHWHEEL:
            a, b = (a | (b << 7)) - 8192, 0
        tick_c.append(tick)
        track_c.append(ti)
        kind_c.append(kind)
        chan_c.append(status & 0x0F)
        a_c.append(a)
        b_c.append(b)
    return seq


def _varlen(data: bytes, pos: int, end: int, ti: int) -> tuple[int, int]:
    """A variable-length quantity at ``pos``: (position after it, value)."""
    value = 0
    while True:
        if pos >= end:
            raise _Corrupt(f"track {ti} ends inside an event")
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return pos, value


def _build(parsed: _Parsed, path: Path | None, require_notes: bool) -> Song:
    where, tpb, cols, tempo_ticks = parsed.where, parsed.tpb, parsed.cols, parsed.tempo_ticks
    tick_to_seconds = _tempo_map(tempo_ticks, tpb)
    c = {name: np.frombuffer(col, dtype=col.typecode) if len(col) else np.zeros(0, col.typecode)
         for name, col in cols.items()}
    # time order; within a tick, by track, then file order (a stable sort keeps it: columns are in file order)
    order = np.lexsort((c["track"], c["tick"]))
    times = tick_to_seconds(c["tick"][order]).tolist()
    events = [Event(t, k, ch, a, b, ti) for t, k, ch, a, b, ti in
              zip(times, *(c[name][order].tolist() for name in ("kind", "channel", "a", "b", "track")), strict=True)]
    del c, order, times
    if events and events[-1].time > MAX_SONG_SECONDS:
        raise InputError(f"{where}: the song lasts {events[-1].time / 60:.0f} minutes; the limit is 60")
    tempo_changes = [(float(tick_to_seconds(np.array([tk]))[0]), 60e6 / tp) for tk, _, _, tp in tempo_ticks]
    song = Song(path, tpb, events, tempo_changes or [(0.0, 120.0)])
    song.channels = _channel_infos(events)
    song.tracks = _track_infos(parsed.ntracks, events, parsed.track_names)
    _refresh_track_roles(song)
    if require_notes and song.note_count == 0:
        raise InputError(f"{where}: the MIDI file holds no notes to play")
    return song


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


def _channel_infos(events: list[Event]) -> list[ChannelInfo]:
    """Per-channel facts in one pass over the time-sorted events."""
    program = [0] * 16
    keys: list[list[int]] = [[] for _ in range(16)]
    prog_keys: list[dict[int, list[int]]] = [{} for _ in range(16)]
    tracks: list[dict[int, None]] = [{} for _ in range(16)]
    sounding: list[set[int]] = [set() for _ in range(16)]
    poly = [0] * 16
    i, n = 0, len(events)
    while i < n:  # events at one time: note-offs before note-ons (as _max_polyphony counts)
        j = i
        t = events[i].time
        while j < n and events[j].time == t:
            j += 1
        group = events[i:j]
        for e in group:
            if e.kind == NOTE_OFF:
                sounding[e.channel].discard(e.a)
            elif e.kind == PROGRAM:
                program[e.channel] = e.a
        for e in group:
            if e.kind == NOTE_ON:
                ch = e.channel
                keys[ch].append(e.a)
                prog_keys[ch].setdefault(program[ch], []).append(e.a)
                tracks[ch].setdefault(e.track)
                sounding[ch].add(e.a)
                poly[ch] = max(poly[ch], len(sounding[ch]))
        i = j
    infos = []
    for ch in range(16):
        if not keys[ch]:
            continue
        by_prog = prog_keys[ch]
        votes: Counter[str] = Counter()
        prog_roles = {prog: track_role(ch, prog, float(np.median(ks))) for prog, ks in by_prog.items()}
        for prog, ks in by_prog.items():  # insertion order: first use first, which wins ties
            votes[prog_roles[prog]] += len(ks)
        role = votes.most_common(1)[0][0]
        infos.append(ChannelInfo(
            channel=ch, programs=list(by_prog), program_notes={p: len(k) for p, k in by_prog.items()},
            program_roles=prog_roles,
            note_count=len(keys[ch]), lowest=min(keys[ch]), highest=max(keys[ch]),
            median_note=float(np.median(keys[ch])), polyphony=poly[ch], tracks=sorted(tracks[ch]),
            detected_role=role, role=role,
        ))
    return infos


def _track_infos(ntracks: int, events: list[Event], names: dict[int, str]) -> list[TrackInfo]:
    by_track: list[list[Event]] = [[] for _ in range(ntracks)]
    for e in events:
        by_track[e.track].append(e)
    infos = []
    for ti, evs in enumerate(by_track):
        notes = [e.a for e in evs if e.kind == NOTE_ON]
        channel_notes = Counter(e.channel for e in evs if e.kind == NOTE_ON)
        channels = sorted({e.channel for e in evs if e.kind in (NOTE_ON, NOTE_OFF)})
        programs = [e.a for e in evs if e.kind == PROGRAM]
        infos.append(
            TrackInfo(
                index=ti,
                name=names.get(ti, ""),
                channels=channels,
                program=programs[0] if programs else None,
                note_count=len(notes),
                lowest=min(notes) if notes else None,
                highest=max(notes) if notes else None,
                median_note=float(np.median(notes)) if notes else None,
                polyphony=_max_polyphony(evs),
                role="-",
                channel_notes=dict(channel_notes.most_common()),
            )
        )
    return infos


def _refresh_track_roles(song: Song) -> None:
    roles = song.channel_roles()
    for t in song.tracks:
        named = dict.fromkeys(roles[ch] for ch in t.channel_notes if ch in roles)
        t.role = "+".join(named) or "-"


def _channels_with_notes(song: Song) -> str:
    have = ", ".join(f"ch{c.number} ({c.role})" for c in song.channels)
    return f"channels with notes: {have}" if have else "no channel plays notes"


_CHANNEL_KEY = re.compile(r"^\s*(?:ch|chan|channel)\s*(-?\d+)\s*$", re.I)


def apply_roles(song: Song, mapping: dict[str | int, str]) -> None:
    """Override detected roles. Keys name a channel as ``chN`` / ``channelN`` (N = 1-16, as `wave inspect`
    numbers them), or a track by index (int or digit string) or name, which sets every channel it plays.
    Raises :class:`ConfigError` naming the bad key or role and what this song has."""
    valid = (*ROLES, OTHER)
    for key, role in mapping.items():
        role = str(role).strip().lower()
        if role not in valid:
            raise ConfigError(f"unknown role {role!r} for {str(key)!r}; roles are {', '.join(valid)}")
        m = _CHANNEL_KEY.match(str(key))
        if m:
            num = int(m.group(1))
            if not 1 <= num <= 16:
                raise ConfigError(f"channel {num} in {str(key)!r} is out of range: MIDI channels are 1-16 "
                                  "(10 is the drum kit)")
            song.set_channel_role(num - 1, role)
            continue
        k = str(key).strip()
        matches = [t for t in song.tracks if (k.isdigit() and t.index == int(k)) or t.name.lower() == k.lower()]
        if not matches:
            names = ", ".join(f"{t.index}:{t.name or '-'}" for t in song.tracks)
            raise ConfigError(f"no track {str(key)!r} in this song; tracks are {names}; "
                              f"or name a channel as chN ({_channels_with_notes(song)})")
        chans = [ch for t in matches for ch in t.channel_notes]
        if not chans:
            raise ConfigError(f"track {str(key)!r} plays no notes, so it has no role to set; "
                              f"{_channels_with_notes(song)}")
        for ch in dict.fromkeys(chans):
            song.set_channel_role(ch, role)


def _max_polyphony(evs: list[Event]) -> int:
    """Most notes sounding at once (note-offs at a time are applied before note-ons at that time).
    ``evs`` are in time order."""
    sounding: set[tuple[int, int]] = set()
    best = 0
    i, n = 0, len(evs)
    while i < n:
        j = i
        t = evs[i].time
        while j < n and evs[j].time == t:
            j += 1
        for e in evs[i:j]:
            if e.kind == NOTE_OFF:
                sounding.discard((e.channel, e.a))
        for e in evs[i:j]:
            if e.kind == NOTE_ON:
                sounding.add((e.channel, e.a))
        best = max(best, len(sounding))
        i = j
    return best


def bpm_at(song: Song, t: float) -> float:
    times = [tc[0] for tc in song.tempo_changes]
    i = bisect_right(times, t) - 1
    return song.tempo_changes[max(i, 0)][1]
