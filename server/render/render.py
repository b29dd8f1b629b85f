"""Offline rendering: the song player drives the FluidSynth source block by block (freewheel),
then the master chain; both are the processors the live engine uses.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.effects import master_chain
from ..engine.fluid import CC_ALL_NOTES_OFF, CC_SUSTAIN, FluidSynthSource
from ..errors import ConfigError, InputError
from ..midi.roles import OTHER, ROLES
from ..midi.song import CONTROL, Event, Song, load_song
from ..paths import INSTRUMENTS_DIR, default_soundfont

log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 8000, 192000


@dataclass
class RenderSettings:
    sample_rate: int = 48000
    tail: float = 2.0  # seconds rendered after the last event (release and reverb tails)
    block: int = 1024
    raw: bool = False  # engine output as it is: no master chain, no normalisation
    reverb: float = 0.0  # master reverb wet level 0-1 (FluidSynth's own reverb/chorus stay on)
    gain_db: float = 0.0
    normalize: str = "peak"  # "peak" or "none"
    target_db: float = -1.0  # peak level after normalisation
    fluid_gain: float = 0.2  # FluidSynth's synth.gain (its CLI default)
    progress: bool | None = None  # None: a bar on a terminal for renders longer than a few seconds
    extra: dict = field(default_factory=dict)

    def check(self) -> None:
        if not MIN_RATE <= self.sample_rate <= MAX_RATE:
            raise ConfigError(f"sample rate {self.sample_rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")
        if not 0.0 <= self.tail <= 60.0:
            raise ConfigError(f"release tail must be 0-60 s, got {self.tail}")
        if not 16 <= self.block <= 65536:
            raise ConfigError(f"block size must be 16-65536 frames, got {self.block}")
        if self.normalize not in ("peak", "none"):
            raise ConfigError(f"normalize must be 'peak' or 'none', got {self.normalize!r}")
        if not -60.0 <= self.target_db <= 0.0:
            raise ConfigError(f"target level must be -60..0 dBFS, got {self.target_db}")


class SongPlayer:
    """A Processor that plays a :class:`Song` through a :class:`FluidSynthSource`, sample-accurately.

    Each block applies the song's events at their frame offsets; after the last event it releases
    every note and the sustain pedal (all-notes-off), so nothing hangs into the tail.
    """

    latency_samples = 0

    def __init__(self, song: Song, source: FluidSynthSource) -> None:
        self.song = song
        self.source = source
        self.sample_rate = source.sample_rate
        self._events: list[tuple[int, Event]] = []
        self._i = 0
        self.pos = 0

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        self.source.prepare(sample_rate, max_block, channels)
        self.sample_rate = sample_rate
        end = round(self.song.duration * sample_rate)
        release = [(end, Event(self.song.duration, CONTROL, ch, cc, 0)) for ch in range(16)
                   for cc in (CC_SUSTAIN, CC_ALL_NOTES_OFF)]
        self._events = self.song.events_at(sample_rate) + release
        self._i = 0
        self.pos = 0
        self._buf = np.zeros((2, max_block), dtype=np.float32)

    def reset(self) -> None:
        self.source.reset()
        self._i = 0
        self.pos = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        n = block.shape[1]
        end = self.pos + n
        i, evs = self._i, self._events
        j = i
        while j < len(evs) and evs[j][0] < end:
            j += 1
        due = [(max(s - self.pos, 0), e) for s, e in evs[i:j]]
        self._i = j
        out = self._buf[:, :n]
        self.source.render(out, due)
        self.pos = end
        return out


def resolve_instrument_set(name: str | os.PathLike[str]) -> Path:
    """An instrument set by name (``instruments/NAME.sf2``) or path."""
    p = Path(name)
    if p.suffix.lower() in (".sf2", ".sf3") or p.exists():
        if not p.is_file():
            raise InputError(f"instrument set {p} does not exist")
        return p
    cand = INSTRUMENTS_DIR / f"{name}.sf2"
    if not cand.is_file():
        have = sorted(x.stem for x in INSTRUMENTS_DIR.glob("*.sf2")) if INSTRUMENTS_DIR.is_dir() else []
        raise InputError(
            f"no instrument set named {name!r} in {INSTRUMENTS_DIR}"
            + (f"; available: {', '.join(have)}" if have else "; build one with `wave build`")
        )
    return cand


def render_song(
    song: Song,
    *,
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    settings: RenderSettings | None = None,
) -> np.ndarray:
    """Render a parsed song to float32 stereo ``(2, frames)``.

    ``soundfont``: the General MIDI font every channel starts on (default: :func:`default_soundfont`).
    ``instrument_set``: an image-made GM set (``instruments/NAME.sf2``) loaded on top, so its presets
    win and programs it lacks fall back to the GM font. ``instruments``: role -> soundfont, routing
    every channel whose track has that role to that font.
    """
    st = settings or RenderSettings()
    st.check()
    fonts = [Path(soundfont) if soundfont else default_soundfont()]
    if instrument_set is not None:
        fonts.append(resolve_instrument_set(instrument_set))
    src = FluidSynthSource(fonts, sample_rate=st.sample_rate, gain=st.fluid_gain)
    try:
        if instruments:
            roles = song.channel_roles()
            for role, font in instruments.items():
                if role not in ROLES and role != OTHER:
                    raise ConfigError(f"unknown role {role!r}; roles are {', '.join((*ROLES, OTHER))}")
                sfid = src.load_soundfont(font)
                chans = [ch for ch, r in roles.items() if r == role]
                if not chans:
                    log.warning("no track of this song plays the %s role; %s is not used", role, font)
                for ch in chans:
                    src.route_channel(ch, sfid)
        player = SongPlayer(song, src)
        frames = round((song.duration + st.tail) * st.sample_rate)
        chain = None if st.raw else master_chain(gain_db=st.gain_db, reverb=st.reverb)
        out = _drive(player, chain, frames, st)
    finally:
        src.close()
    if not st.raw and st.normalize == "peak":
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > 0:
            out *= 10 ** (st.target_db / 20) / peak
    return out


def _drive(player: SongPlayer, chain, frames: int, st: RenderSettings) -> np.ndarray:
    block = st.block
    player.prepare(st.sample_rate, block, 2)
    if chain is not None:
        chain.prepare(st.sample_rate, block, 2)
    out = np.empty((2, frames), dtype=np.float32)
    bar = _progress_bar(frames, st)
    silence = np.zeros((2, block), dtype=np.float32)
    try:
        pos = 0
        while pos < frames:
            n = min(block, frames - pos)
            y = player.process(silence[:, :n])
            if chain is not None:
                y = chain.process(y)
            out[:, pos : pos + n] = y
            pos += n
            if bar is not None:
                bar.update(n / st.sample_rate)
    finally:
        if bar is not None:
            bar.close()
    return out


def _progress_bar(frames: int, st: RenderSettings):
    show = st.progress
    if show is None:
        show = sys.stderr.isatty() and frames > 5 * st.sample_rate
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=round(frames / st.sample_rate, 2), unit="s", desc="render", leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s of audio [{elapsed}<{remaining}]")


def render_midi_file(
    midi_path: str | os.PathLike[str],
    *,
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    track_roles: Mapping[str | int, str] | None = None,
    sample_rate: int = 48000,
    tail: float = 2.0,
    raw: bool = False,
    reverb: float | bool = 0.0,
    gain_db: float = 0.0,
    normalize: str = "peak",
    block: int = 1024,
    progress: bool | None = None,
) -> np.ndarray:
    """Load a MIDI file and render it (see :func:`render_song`). ``track_roles`` overrides the
    detected role of tracks, by index or name, before ``instruments`` are routed."""
    song = load_song(midi_path)
    if track_roles:
        apply_track_roles(song, track_roles)
    st = RenderSettings(sample_rate=sample_rate, tail=tail, block=block, raw=raw, reverb=float(reverb),
                        gain_db=gain_db, normalize=normalize, progress=progress)
    return render_song(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments, settings=st)


def apply_track_roles(song: Song, mapping: Mapping[str | int, str]) -> None:
    """Override track roles: keys are track indices (as int or digit string) or track names."""
    for key, role in mapping.items():
        if role not in ROLES and role != OTHER:
            raise ConfigError(f"unknown role {role!r} for track {key!r}; roles are {', '.join((*ROLES, OTHER))}")
        matches = [t for t in song.tracks
                   if (str(key).isdigit() and t.index == int(key)) or t.name.lower() == str(key).lower()]
        if not matches:
            names = ", ".join(f"{t.index}:{t.name or '-'}" for t in song.tracks)
            raise ConfigError(f"no track {key!r} in this song; tracks are {names}")
        for t in matches:
            t.role = role
