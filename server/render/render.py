"""Offline rendering: the song player drives the FluidSynth source block by block (freewheel),
then the master chain; both are the processors the live engine uses.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine.effects import master_chain
from ..engine.fluid import CC_ALL_NOTES_OFF, CC_BANK_MSB, CC_SUSTAIN, FluidSynthSource, import_pyfluidsynth
from ..engine.soundfont import read_presets
from ..errors import ConfigError, InputError, OutputError
from ..midi.roles import DRUM_CHANNEL, OTHER, ROLES
from ..midi.song import CONTROL, PROGRAM, Event, Song, apply_roles, load_song
from ..paths import INSTRUMENTS_DIR, atomic_path, check_output, default_soundfont

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

    ``switches`` (from :func:`open_source`) re-route a channel at an event: ``{index in song.events:
    (channel, index of the font in source.soundfonts)}``; the block is rendered up to that event's
    frame, the channel is routed, and the rest follows. ``initial`` routes are applied again on reset.
    """

    latency_samples = 0

    def __init__(self, song: Song, source: FluidSynthSource,
                 switches: Mapping[int, tuple[int, int]] | None = None,
                 initial: Mapping[int, int] | None = None) -> None:
        self.song = song
        self.source = source
        self.sample_rate = source.sample_rate
        self._switches = dict(switches or {})
        self._initial = dict(initial or {})  # channel -> font index, for the channels that switch
        self._events: list[Event] = []
        self._i = 0
        self.pos = 0

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        self.source.prepare(sample_rate, max_block, channels)
        self.sample_rate = sample_rate
        release = [Event(self.song.duration, CONTROL, ch, cc, 0) for ch in range(16)
                   for cc in (CC_SUSTAIN, CC_ALL_NOTES_OFF)]
        # sample positions are computed as events fall due (round(time * rate), as Song.events_at does),
        # not stored for the whole song
        self._events = self.song.events + release
        self._i = 0
        self.pos = 0
        self._buf = np.zeros((2, max_block), dtype=np.float32)

    def reset(self) -> None:
        self.source.reset()
        for ch, font in self._initial.items():
            self._route(ch, font)
        self._i = 0
        self.pos = 0

    def _route(self, channel: int, font: int) -> None:
        self.source.route_channel(channel, self.source.soundfonts[font][0])

    def process(self, block: np.ndarray) -> np.ndarray:
        n = block.shape[1]
        start, end = self.pos, self.pos + n
        evs, i, sr, switches = self._events, self._i, self.sample_rate, self._switches
        out = self._buf[:, :n]
        cut = 0  # frames of this block already rendered
        due = []
        while i < len(evs):
            s = round(evs[i].time * sr)
            if s >= end:
                break
            off = max(s - start, 0)
            if i in switches:  # render up to here, re-route, go on
                self.source.render(out[:, cut:off], [(o - cut, e) for o, e in due])
                due, cut = [], off
                self._route(*switches[i])
            due.append((off, evs[i]))
            i += 1
        self._i = i
        if cut:
            self.source.render(out[:, cut:], [(o - cut, e) for o, e in due])
        else:
            self.source.render(out, due)
        self.pos = end
        return out


def resolve_instrument_set(name: str | os.PathLike[str]) -> Path:
    """An instrument set by name (``instruments/NAME.sf2``) or path."""
    if not str(name).strip():
        raise ConfigError("--set needs an instrument set's name (instruments/NAME.sf2) or an .sf2 file")
    p = Path(name)
    if p.is_dir():
        raise InputError(f"instrument set {p} is a folder; give an .sf2 file or a set's name")
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


def open_source(
    song: Song,
    *,
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    sample_rate: int = 48000,
    gain: float = 0.2,
) -> tuple[FluidSynthSource, Routing]:
    """A FluidSynth source with the song's fonts loaded and its role channels routed, and the
    :class:`Routing` its :class:`SongPlayer` follows for channels whose programs change role.

    Fonts given per role (``instruments``) are loaded *first*, so they sit at the bottom of FluidSynth's
    font stack: an unrouted channel's program change finds the GM font's (or the set's) preset and never
    a role font's, which would otherwise capture every channel playing a program it happens to have.
    Each channel whose role has a font is routed to it (every program change on it picks that font's
    matching or closest preset). A channel whose programs play different roles (piano, then a bass
    program) is re-routed at its program changes, so each program plays from its own role's font; see
    :func:`plan_routing`.
    """
    valid = (*ROLES, OTHER)
    instruments = {str(role).strip().lower(): Path(font) for role, font in (instruments or {}).items()}
    for role, font in instruments.items():
        if role not in valid:
            raise ConfigError(f"unknown role {role!r} in --instrument; roles are {', '.join(valid)}")
        _check_font(font, f"the {role} soundfont")
    gm = Path(soundfont) if soundfont else default_soundfont()
    _check_font(gm, "--soundfont")
    layer = resolve_instrument_set(instrument_set) if instrument_set is not None else None
    src = FluidSynthSource([], sample_rate=sample_rate, gain=gain)
    try:
        with _fluid_log_to_logging():
            role_ids = {role: src.load_soundfont(font) for role, font in instruments.items()}
            src.load_soundfont(gm)
            if layer is not None:
                src.load_soundfont(layer)
        routing = plan_routing(src, song, instruments, role_ids)
    except BaseException:
        src.close()
        raise
    return src, routing


def _check_font(path: Path, what: str) -> None:
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder; give an .sf2 or .sf3 file")


_FLUID_WARN = 2
_FLUID_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


@contextlib.contextmanager
def _fluid_log_to_logging():
    """While fonts load, send FluidSynth's warnings to this module's log instead of stderr.

    Each load makes FluidSynth re-select every channel's preset from the fonts loaded so far; with the role
    fonts at the bottom of the stack, the first may lack a drum kit or a piano, and FluidSynth warns
    "No preset found on channel N" although the GM font loaded next has it. Those go to the debug log;
    any other warning (a damaged sample, say) is logged as a warning. The previous handler is restored.
    """
    try:
        lib = import_pyfluidsynth()._fl
        setter = lib.fluid_set_log_function
    except (AttributeError, OSError):  # pragma: no cover - an unusual libfluidsynth
        yield
        return
    setter.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    setter.restype = ctypes.c_void_p

    def forward(level: int, message: bytes | None, _data) -> None:
        text = (message or b"").decode("utf-8", "replace")
        log.log(logging.DEBUG if text.startswith("No preset found") else logging.WARNING, "fluidsynth: %s", text)

    fn = _FLUID_LOG_FN(forward)
    prev = setter(_FLUID_WARN, ctypes.cast(fn, ctypes.c_void_p), None)
    try:
        yield
    finally:
        setter(_FLUID_WARN, prev, None)


@dataclass
class Routing:
    """Re-routing at program changes: ``switches`` {index in song.events: (channel, font index)}, and the
    ``initial`` font index of each channel that switches (see :class:`SongPlayer`)."""

    switches: dict[int, tuple[int, int]] = field(default_factory=dict)
    initial: dict[int, int] = field(default_factory=dict)


def plan_routing(src: FluidSynthSource, song: Song, instruments: dict, role_ids: dict[str, int]) -> Routing:
    """Route each channel to its role's font; plan switches for channels whose programs change role.

    A channel given a role by ``--map`` is routed whole. Otherwise each program plays its own role
    (:attr:`ChannelInfo.program_roles`): where those roles route to different fonts, the channel is
    routed from the start and re-routed at each program change that changes the font. Stretches whose
    role has no font are routed to the font FluidSynth's own look-up would pick (the set, then the GM
    font, then the role fonts: the first holding that bank and program, else its fallbacks), so they
    sound as an unrouted channel does.
    """
    routing = Routing()
    for role in role_ids:
        if not any(c.role == role or (not c.mapped and role in c.program_roles.values())
                   for c in song.channels):
            log.warning("no channel of this song plays the %s role, so %s is not used (channels: %s; "
                        "give one the role with --map chN=%s)", role, instruments[role],
                        ", ".join(f"ch{c.number} {c.role}" for c in song.channels) or "none", role)
    if not role_ids:
        return routing
    fonts = src.soundfonts  # load order: role fonts, GM, set
    index = {sfid: i for i, (sfid, _) in enumerate(fonts)}
    stack: list[tuple[int, set[tuple[int, int]]]] | None = None
    for c in song.channels:

        def role_of(prog: int, c=c) -> str:
            return c.role if c.mapped else c.program_roles.get(prog, c.role)

        targets = {role_ids.get(role_of(p)) for p in c.programs}
        if len(targets) == 1:
            sfid = targets.pop()
            if sfid is not None:
                src.route_channel(c.channel, sfid)
                log.info("channel %d (%s) plays %s", c.number, role_of(c.program), fonts[index[sfid]][1])
            continue
        if stack is None:
            stack = [(i, {(p.bank, p.program) for p in read_presets(path)}) for i, (_, path) in
                     reversed(list(enumerate(fonts)))]
        _plan_channel(song, c.channel, role_of, {r: index[s] for r, s in role_ids.items()}, stack, routing)
        src.route_channel(c.channel, fonts[routing.initial[c.channel]][0])
        roles = dict.fromkeys(role_of(p) for p in c.programs)
        log.info("channel %d switches between %s at its program changes: each plays from its own font",
                 c.number, ", ".join(roles))
    return routing


def _plan_channel(song: Song, ch: int, role_of, role_font: dict[str, int],
                  stack: list[tuple[int, set[tuple[int, int]]]], routing: Routing) -> None:
    drums = ch == DRUM_CHANNEL

    def font_for(bank: int, prog: int) -> int:
        role = role_of(prog)
        if role in role_font:
            return role_font[role]
        want = [(128, prog), (128, 0)] if drums else [(bank, prog), (0, prog), (0, 0)]
        for key in want:  # FluidSynth's look-up and its fallbacks, top of the stack first
            for font, have in stack:
                if key in have:
                    return font
        return stack[-1][0]

    bank = 0
    current = font_for(0, 0)
    routing.initial[ch] = current
    for i, e in enumerate(song.events):
        if e.channel != ch:
            continue
        if e.kind == CONTROL and e.a == CC_BANK_MSB:
            bank = e.b
        elif e.kind == PROGRAM:
            font = font_for(bank, e.a)
            if font != current:
                routing.switches[i] = (ch, font)
                current = font


def render_song(
    song: Song,
    *,
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    settings: RenderSettings | None = None,
) -> np.ndarray:
    """Render a parsed song to float32 stereo ``(2, frames)`` in memory.

    ``soundfont``: the General MIDI font every channel starts on (default: :func:`default_soundfont`).
    ``instrument_set``: an image-made GM set (``instruments/NAME.sf2``) loaded on top, so its presets
    win and programs it lacks fall back to the GM font. ``instruments``: role -> soundfont, routing
    every channel of that role (:attr:`Song.channels`) to that font.

    The whole song is held in memory: for files, :func:`render_song_to_file` streams in bounded memory
    and writes the same samples.
    """
    st = settings or RenderSettings()
    st.check()
    src, routing = open_source(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments,
                               sample_rate=st.sample_rate, gain=st.fluid_gain)
    frames = song_frames(song, st)
    bar = _progress_bar(frames, st)
    try:
        out = np.empty((2, frames), dtype=np.float32)
        pos = 0
        for y in _blocks(song, src, frames, st, bar, routing):
            out[:, pos:pos + y.shape[1]] = y
            pos += y.shape[1]
    finally:
        src.close()
        if bar is not None:
            bar.close()
    if not st.raw and st.normalize == "peak":
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > 0:
            out *= normalise_gain(peak, st)
    return out


def song_frames(song: Song, st: RenderSettings) -> int:
    """Frames a render of ``song`` lasts: the last event plus the release tail."""
    return round((song.duration + st.tail) * st.sample_rate)


def normalise_gain(peak: float, st: RenderSettings) -> np.float32:
    """The gain that brings ``peak`` to ``st.target_db``, as the float32 every sample is multiplied by."""
    return np.float32(10 ** (st.target_db / 20) / peak)


@dataclass
class RenderResult:
    path: Path
    frames: int
    sample_rate: int
    peak_db: float  # the master's peak before normalisation (dBFS; -inf for silence)
    gain_db: float  # normalisation gain applied (0 with --raw or --normalize none)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


WAV_LIMIT = 2**32 - 2**20  # a RIFF size field is 32 bits; longer files are written as RF64


def render_song_to_file(
    song: Song,
    out: str | os.PathLike[str],
    *,
    fmt: str = "24",
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    settings: RenderSettings | None = None,
) -> RenderResult:
    """Render ``song`` to a WAV file block by block, in memory that does not grow with the song.

    Blocks (gathered in chunks of :data:`CHUNK` frames) go straight to a temporary file beside ``out``. Peak normalisation needs the song's peak
    before its first sample can be written, so it takes a second pass: the master's float output is
    streamed to a second temporary file, then read back block by block, scaled and written in the
    output format. Samples equal :func:`render_song`'s, written as :func:`~server.audio.io.write_audio`
    writes them (integer formats clipped to full scale). ``out`` is replaced only when complete; on any
    error it is left as it was and no temporary file remains.
    """
    from ..audio.io import WAV_FORMATS

    st = settings or RenderSettings()
    st.check()
    if fmt not in WAV_FORMATS:
        raise ConfigError(f"WAV format {fmt!r} is not one of {', '.join(WAV_FORMATS)}")
    out = check_output(out)
    subtype = WAV_FORMATS[fmt]
    src, routing = open_source(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments,
                               sample_rate=st.sample_rate, gain=st.fluid_gain)
    frames = song_frames(song, st)
    two_pass = not st.raw and st.normalize == "peak"
    _check_space(out, frames * 2 * (_BYTES[subtype] + (4 if two_pass else 0)))
    bar = _progress_bar(frames * (2 if two_pass else 1), st, "render + normalise" if two_pass else "render")
    try:
        peak, gain = write_stream(out, _blocks(song, src, frames, st, bar, routing), frames, st, subtype, bar,
                                  normalise=two_pass, after_first_pass=src.close)
    finally:
        src.close()
        if bar is not None:
            bar.close()
    return RenderResult(out, frames, st.sample_rate, 20 * np.log10(peak) if peak > 0 else float("-inf"),
                        20 * float(np.log10(gain)))


def write_stream(out: Path, blocks, frames: int, st: RenderSettings, subtype: str, bar=None, *,
                 normalise: bool, after_first_pass=None) -> tuple[float, np.float32]:
    """Write ``blocks`` (``(2, n)`` float32, ``frames`` in all) to ``out`` in ``subtype``, atomically and in
    memory that does not grow with the song; with ``normalise``, to a temporary float file first and then,
    scaled to ``st.target_db``, to ``out`` (``after_first_pass()`` runs between the passes: free the
    engine). Returns the first pass's peak and the gain applied."""
    peak, gain, first = 0.0, np.float32(1.0), None
    try:
        with atomic_path(out, suffix=".wav") as tmp:
            if normalise:
                fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".pass1.wav", dir=tmp.parent)
                os.close(fd)
                first = Path(name)
                with _wav_writer(first, st.sample_rate, "FLOAT", frames, out) as w:
                    for y in _chunks(blocks):
                        peak = max(peak, float(np.max(np.abs(y))) if y.size else 0.0)
                        _write_block(w, y, out, clip=False)
                if after_first_pass is not None:
                    after_first_pass()
                if peak > 0:
                    gain = normalise_gain(peak, st)
                with _wav_writer(tmp, st.sample_rate, subtype, frames, out) as w:
                    for y in _read_blocks(first, CHUNK, out):
                        _write_block(w, y * gain, out, clip=subtype != "FLOAT")
                        if bar is not None:
                            bar.update(y.shape[1] / st.sample_rate)
            else:
                with _wav_writer(tmp, st.sample_rate, subtype, frames, out) as w:
                    for y in _chunks(blocks):
                        peak = max(peak, float(np.max(np.abs(y))) if y.size else 0.0)
                        _write_block(w, y, out, clip=subtype != "FLOAT")
    finally:
        if first is not None:
            first.unlink(missing_ok=True)
    return peak, gain


CHUNK = 65536  # frames gathered per write and read back per read (512 KiB of float stereo)


def _chunks(blocks, size: int = CHUNK):
    """Gather the processing blocks into chunks of ``size`` frames (fewer, larger file writes); yields views
    of one buffer, overwritten by the next chunk."""
    buf = None
    fill = 0
    for y in blocks:
        n = y.shape[1]
        if buf is None:
            buf = np.empty((y.shape[0], max(size, n)), dtype=np.float32)
        if fill + n > buf.shape[1]:
            yield buf[:, :fill]
            fill = 0
        buf[:, fill:fill + n] = y
        fill += n
    if buf is not None and fill:
        yield buf[:, :fill]


def _sf_errors() -> tuple[type[BaseException], ...]:
    import soundfile as sf

    return (OSError, RuntimeError, getattr(sf, "LibsndfileError", RuntimeError))


_BYTES = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4}  # per sample


def _check_space(out: Path, need: int) -> None:
    """Refuse before rendering when OUT's folder (or its nearest existing parent) lacks the room for the
    output and, when normalising, the temporary float file."""
    folder = out.parent if str(out.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # pragma: no cover - no statistics for this file system: the writes will tell
        return
    if need > free:
        raise OutputError(f"cannot write {out}: the render needs about {need / 2**20:.1f} MiB on that disk "
                          f"(output and its temporary file) and {folder} has {free / 2**20:.1f} MiB free; "
                          "free some space, write elsewhere, or use --format 16")


def _wav_writer(path: Path, sample_rate: int, subtype: str, frames: int, out: Path):
    import soundfile as sf

    size = frames * 2 * _BYTES.get(subtype, 4)
    container = "RF64" if size > WAV_LIMIT else "WAV"
    if container == "RF64":
        log.info("%s holds %.1f GiB of audio: writing RF64 (WAV's 4 GiB size field is too small)", out,
                 size / 2**30)
    try:
        return sf.SoundFile(str(path), "w", samplerate=int(sample_rate), channels=2, subtype=subtype,
                            format=container)
    except _sf_errors() as exc:
        raise OutputError(f"cannot write {out}: {exc}") from exc


def _write_block(w, y: np.ndarray, out: Path, *, clip: bool) -> None:
    if not np.all(np.isfinite(y)):
        raise InputError("refusing to write audio that contains NaN or infinite samples")
    if clip:
        y = np.clip(y, -1.0, 1.0)
    try:
        w.write(np.ascontiguousarray(y.T))
    except _sf_errors() as exc:  # a full disk, a vanished folder
        raise OutputError(f"cannot write {out}: {exc}") from exc


def _read_blocks(path: Path, block: int, out: Path):
    import soundfile as sf

    try:
        with sf.SoundFile(str(path)) as r:
            while True:
                y = r.read(block, dtype="float32", always_2d=True)
                if not len(y):
                    break
                yield y.T
    except _sf_errors() as exc:
        raise OutputError(f"cannot read back the first pass of {out} from {path}: {exc}") from exc


def _blocks(song: Song, src: FluidSynthSource, frames: int, st: RenderSettings, bar=None,
            routing: Routing | None = None):
    """Yield the master's output (or the engine's, ``st.raw``) block by block, ``(2, n)`` float32 views
    that are overwritten by the next block; ``bar`` (a progress bar) advances by each block's seconds."""
    block = st.block
    routing = routing or Routing()
    player = SongPlayer(song, src, routing.switches, routing.initial)
    player.prepare(st.sample_rate, block, 2)
    chain = None if st.raw else master_chain(gain_db=st.gain_db, reverb=st.reverb)
    if chain is not None:
        chain.prepare(st.sample_rate, block, 2)
    silence = np.zeros((2, block), dtype=np.float32)
    pos = 0
    while pos < frames:
        n = min(block, frames - pos)
        y = player.process(silence[:, :n])
        if chain is not None:
            y = chain.process(y)
        yield y
        pos += n
        if bar is not None:
            bar.update(n / st.sample_rate)


def _progress_bar(frames: int, st: RenderSettings, desc: str = "render"):
    """A bar counting seconds of audio (``frames`` in all: both passes of a normalised render)."""
    show = st.progress
    if show is None:
        show = sys.stderr.isatty() and frames > 5 * st.sample_rate
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=round(frames / st.sample_rate, 2), unit="s", desc=desc, leave=False,
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
    """Load a MIDI file and render it in memory (see :func:`render_song`). ``track_roles`` overrides
    detected roles before ``instruments`` are routed: keys are channels (``ch1``-``ch16``) or tracks, by
    index or name (see :func:`~server.midi.song.apply_roles`)."""
    song = load_song(midi_path)
    if track_roles:
        apply_roles(song, track_roles)
    st = RenderSettings(sample_rate=sample_rate, tail=tail, block=block, raw=raw, reverb=float(reverb),
                        gain_db=gain_db, normalize=normalize, progress=progress)
    return render_song(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments, settings=st)


# the name before roles were per channel: keys may now also name channels (chN)
apply_track_roles = apply_roles
