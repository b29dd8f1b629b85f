"""Offline rendering: a MIDI file through the engine's graph (:class:`server.live.engine.Engine`), the one the
live server plays, driven block by block as fast as it renders ("freewheel") by the same MIDI player.

``wave render SONG.mid`` is that graph with no timbre models and no per-channel effects: General MIDI (or
the fonts of ``--set``/``--instrument``) on every channel, one FluidSynth shared by the 16 channels with its
reverb and chorus on, as in the fluidsynth CLI (channels without per-channel processing may share a
sampler: see :class:`~server.live.engine.Snapshot`), then the master section (master gain, ``--reverb`` as
the master effect chain's reverb, the limiter, the safety stage). ``wave render --session`` (bounce.py)
builds the graph a live session describes instead; both are written by :func:`write_stream`.
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

from ..engine.fluid import CC_BANK_MSB, FluidSynthSource, import_pyfluidsynth
from ..engine.soundfont import read_presets
from ..errors import ConfigError, InputError, OutputError
from ..midi.roles import DRUM_CHANNEL, OTHER, ROLES
from ..midi.song import CONTROL, PROGRAM, ROUTE, Event, Song, TimedEvents, apply_roles, load_song
from ..paths import INSTRUMENTS_DIR, atomic_path, check_output, default_soundfont

log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 8000, 192000
PLAIN_BLOCK = 4096  # frames per block of a plain render (its output does not depend on it): fewer Python steps
BOUNCE_BLOCK = 1024  # through a session's graph (timbre models, plugins): a block the size the live server uses


@dataclass
class RenderSettings:
    sample_rate: int = 48000
    tail: float = 2.0  # seconds rendered after the last event (release and reverb tails)
    block: int = PLAIN_BLOCK
    raw: bool = False  # the graph's channel mix as it is: no master section, no normalisation
    reverb: float = 0.0  # master reverb wet level 0-1 (FluidSynth's own reverb/chorus stay on)
    gain_db: float = 0.0  # master gain, before the master effects and the limiter
    normalize: str = "peak"  # "peak" or "none"
    target_db: float = -1.0  # peak level after normalisation
    fluid_gain: float = 0.2  # FluidSynth's synth.gain (its CLI default)
    progress: bool | None = None  # None: a bar on a terminal for renders longer than a few seconds

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
        if not 0.0 <= self.reverb <= 1.0:
            raise ConfigError(f"reverb wet level must be 0-1, got {self.reverb}")
        if not -60.0 <= self.gain_db <= 40.0:
            raise ConfigError(f"gain must be -60..+40 dB, got {self.gain_db}")


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
    """A FluidSynth source (reverb and chorus on, as in the fluidsynth CLI) with the song's fonts loaded and
    its role channels routed, and the :class:`Routing` for channels whose programs change role (played as
    ``ROUTE`` events: :func:`player_events`).

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
    """Re-routing at program changes: ``switches`` {index in song.events: (channel, font index)}, applied just
    before that event (:func:`player_events`), and the ``initial`` font index of each channel that switches
    (routed by :func:`plan_routing` before the song starts)."""

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


def gm_engine(
    song: Song,
    *,
    soundfont: str | os.PathLike[str] | None = None,
    instrument_set: str | os.PathLike[str] | None = None,
    instruments: Mapping[str, str | os.PathLike[str]] | None = None,
    settings: RenderSettings | None = None,
):
    """The engine's graph for ``wave render SONG.mid``, loaded with the song and ready to be pulled.

    Every channel plays from one FluidSynth (:func:`open_source`) shared through the snapshot's ``lead``;
    no channel has a timbre model or effects. The master section: ``settings.gain_db``, the master effect
    chain with its reverb at ``settings.reverb`` (off at 0), the limiter (:func:`master_limiter`, transparent
    below -1 dBFS) and the safety stage; none of it with ``settings.raw``. The song plays through the engine's MIDI player, with the role routing's
    switches as ``ROUTE`` events. The caller closes the sampler (:func:`close_engine`).
    """
    from ..engine.effects import master_limiter
    from ..live.effects import EffectChain
    from ..live.engine import Engine, Snapshot, Strip

    st = settings or RenderSettings()
    src, routing = open_source(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments,
                               sample_rate=st.sample_rate, gain=st.fluid_gain)
    try:
        src.prepare(st.sample_rate, st.block, 2)
        none = EffectChain()  # no channel plays its own: the one chain is never switched on
        strips = tuple(Strip(ch, src, "gm", none) for ch in range(16))
        master = EffectChain()
        if st.reverb > 0:  # the master reverb wave render has always had: a medium room under the dry mix
            master.restore({"reverb": {"on": True, "room_size": 0.45, "damping": 0.5, "wet_level": 0.33 * st.reverb,
                                       "dry_level": 1.0}})
        eng = Engine(Snapshot(strips, master, lead=(0,) * 16), sample_rate=st.sample_rate, block=st.block,
                     master_gain_db=st.gain_db, raw=st.raw, limiter=master_limiter())
        eng.freewheel = True
        eng.play(player_events(song, src, routing, st.sample_rate))
    except BaseException:
        src.close()
        raise
    return eng


def close_engine(eng) -> None:
    """Close the samplers of an engine made by :func:`gm_engine` (the render is over; any thread)."""
    for src in eng.snapshot.sources:
        src.close()


def player_events(song: Song, src: FluidSynthSource, routing: Routing, sample_rate: int) -> TimedEvents:
    """The song as the MIDI player plays it (:meth:`Song.events_at`), with a ``ROUTE`` event before each
    event at which :func:`plan_routing` re-routes a channel."""
    if not routing.switches:
        return song.events_at(sample_rate)
    fonts = src.soundfonts
    events: list[Event] = []
    for i, e in enumerate(song.events):
        switch = routing.switches.get(i)
        if switch is not None:
            ch, font = switch
            events.append(Event(e.time, ROUTE, ch, fonts[font][0]))
        events.append(e)
    return TimedEvents(events + song.release_events(), sample_rate)


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
    eng = gm_engine(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments, settings=st)
    frames = song_frames(song, st)
    bar = _progress_bar(frames, st)
    try:
        out = np.empty((2, frames), dtype=np.float32)
        pos = 0
        for y in _blocks(eng, frames, st, bar):
            out[:, pos:pos + y.shape[1]] = y
            pos += y.shape[1]
    finally:
        close_engine(eng)
        if bar is not None:
            bar.close()
    if not st.raw and st.normalize == "peak":
        peak = _peak(out)
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
    frames = song_frames(song, st)
    two_pass = not st.raw and st.normalize == "peak"
    _check_space(out, frames * 2 * (_BYTES[subtype] + (4 if two_pass else 0)))
    eng = gm_engine(song, soundfont=soundfont, instrument_set=instrument_set, instruments=instruments, settings=st)
    bar = _progress_bar(frames * (2 if two_pass else 1), st, "render + normalise" if two_pass else "render")
    try:
        peak, gain = write_stream(out, _blocks(eng, frames, st, bar), frames, st, subtype, bar,
                                  normalise=two_pass, after_first_pass=lambda: close_engine(eng))
    finally:
        close_engine(eng)
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
                        peak = max(peak, _peak(y))
                        _write_block(w, y, out, clip=False)
                if after_first_pass is not None:
                    after_first_pass()
                if peak > 0:
                    gain = normalise_gain(peak, st)
                with _wav_writer(tmp, st.sample_rate, subtype, frames, out) as w:
                    for y in _read_blocks(first, CHUNK, out):
                        y *= gain
                        _write_block(w, y, out, clip=subtype != "FLOAT")
                        if bar is not None:
                            bar.update(y.shape[1] / st.sample_rate)
            else:
                with _wav_writer(tmp, st.sample_rate, subtype, frames, out) as w:
                    for y in _chunks(blocks):
                        peak = max(peak, _peak(y))
                        _write_block(w, y, out, clip=subtype != "FLOAT")
    finally:
        if first is not None:
            first.unlink(missing_ok=True)
    return peak, gain


CHUNK = 65536  # frames gathered per write and read back per read (512 KiB of float stereo)


def _chunks(blocks, size: int = CHUNK):
    """Gather the processing blocks (``(2, n)``) into interleaved ``(frames, 2)`` chunks of ``size`` frames, as
    the WAV holds them (fewer, larger file writes; one copy per sample); yields views of one buffer,
    overwritten by the next chunk."""
    buf = None
    fill = 0
    for y in blocks:
        n = y.shape[1]
        if buf is None:
            buf = np.empty((max(size, n), y.shape[0]), dtype=np.float32)
        if fill + n > buf.shape[0]:
            yield buf[:fill]
            fill = 0
        buf[fill:fill + n] = y.T
        fill += n
    if buf is not None and fill:
        yield buf[:fill]


def _peak(y: np.ndarray) -> float:
    """The largest absolute sample (no temporary array)."""
    return max(float(y.max()), -float(y.min())) if y.size else 0.0


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
    """Write an interleaved ``(frames, 2)`` chunk; with ``clip``, clipped to full scale in place."""
    from ..engine.safety import finite

    if not finite(y):
        raise InputError("refusing to write audio that contains NaN or infinite samples")
    if clip:
        np.clip(y, -1.0, 1.0, out=y)
    try:
        w.write(y)
    except _sf_errors() as exc:  # a full disk, a vanished folder
        raise OutputError(f"cannot write {out}: {exc}") from exc


def _read_blocks(path: Path, block: int, out: Path):
    """Read back the first pass: interleaved ``(frames, 2)`` chunks of up to ``block`` frames (views of one
    buffer, overwritten by the next)."""
    import soundfile as sf

    try:
        with sf.SoundFile(str(path)) as r:
            buf = np.empty((block, r.channels), dtype=np.float32)
            while True:
                y = r.read(block, dtype="float32", always_2d=True, out=buf)
                if not len(y):
                    break
                yield y
    except _sf_errors() as exc:
        raise OutputError(f"cannot read back the first pass of {out} from {path}: {exc}") from exc


def _blocks(eng, frames: int, st: RenderSettings, bar=None):
    """Pull ``frames`` frames of the song from the engine ``eng`` (playing it: :meth:`Engine.play`), block by
    block, as fast as it renders. The graph's latency is trimmed: the first frame is the song's time zero.
    Yields ``(2, n)`` float32 views that the next block overwrites; ``bar`` (a progress bar) advances by
    each block's seconds."""
    block, skip, left = st.block, eng.latency_samples, frames
    process = eng.process
    while left > 0:
        y = process(block)
        if skip:
            k = min(skip, y.shape[1])
            skip -= k
            y = y[:, k:]
        if y.shape[1] > left:
            y = y[:, :left]
        n = y.shape[1]
        if n:
            left -= n
            if bar is not None:
                bar.update(n / st.sample_rate)
            yield y


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
