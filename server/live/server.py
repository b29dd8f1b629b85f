"""``wave serve``: OSC + MIDI in, the live engine out, loaders and jobs beside it.

Threads (see DESIGN.md): the driver's audio thread runs :meth:`Engine.process`; the asyncio loop
(main thread) receives OSC, runs the handlers and saves the session; one loader thread loads and
warms up soundfonts and timbre models and publishes new snapshots; rtmidi's thread decodes MIDI and
posts events; job threads supervise worker processes (image → instrument set).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import ipaddress
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ConfigError, InputError, MissingDependencyError, WaveError
from ..midi.song import CONTROL, NOTE_OFF, NOTE_ON, PITCHWHEEL, PROGRAM, Event
from ..paths import INSTRUMENTS_DIR, MIDI_DIR, REPO_ROOT, default_soundfont
from .drivers import WavWriter
from .effects import EffectChain, effect_spec
from .engine import DryWet, Engine, Retiring, Snapshot, Strip
from .jobs import JobQueue, check_set_name
from .oscproto import OscDispatcher, encode
from .session import Learned, Session

log = logging.getLogger(__name__)

GM = "gm"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
REPLY_TTL_S = 600.0  # a /wave/reply_to setting is forgotten after this long without a message from its sender
CLIENT_TTL_S = 60.0  # a client that sent nothing for this long gets no broadcasts (audio faults)
MAX_CLIENTS = 64  # senders remembered for reply_to and broadcasts (oldest forgotten first)
MAX_PLUGIN_SLOTS = 8  # plugin insert slots per channel and on the master
LV2_SET = "lv2:"  # a channel's "set" named lv2:URI is played by that LV2 instrument plugin
CC_ALL_SOUND_OFF = 120


@dataclass
class Folders:
    """Where names in OSC messages are looked up; nothing outside these folders is reachable."""

    sets: Path = INSTRUMENTS_DIR
    models: Path = INSTRUMENTS_DIR / "builtin"
    midi: Path = MIDI_DIR
    recordings: Path = REPO_ROOT / "recordings"
    images: Path = REPO_ROOT / "images"
    plugins: Path = REPO_ROOT / "plugins"  # LV2 bundles loadable by folder name (URIs come from discovery)


def confine(name: str, root: Path, suffixes: tuple[str, ...], what: str) -> Path:
    """``root/name`` if it stays inside ``root`` and has one of ``suffixes``; InputError otherwise."""
    if not name or "\x00" in name:
        raise InputError(f"empty {what} name")
    root = Path(root).resolve()
    p = Path(name)
    p = (p if p.is_absolute() else root / p).resolve()
    if not p.is_relative_to(root):
        raise InputError(f"{what} {name!r} is outside the {what} folder {root}; give a name inside it")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"{what} {name!r} must end with {' or '.join(suffixes)}")
    return p


def _trim_heap() -> None:
    """``malloc_trim(0)`` where the C library has it (glibc); elsewhere nothing. Control thread only."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None


def _latent_dims(model) -> int | None:
    """Latent dimensions of a streaming nn~ model (0: none), or None when it does not say."""
    inner = getattr(model, "model", None)
    dims = getattr(inner, "latent_dim", None)
    return int(dims) if isinstance(dims, int) else None


def _file_size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def load_timbre_model(path: Path):
    """A streaming timbre Processor for a ``.ts`` model (:class:`server.timbre.stream.StreamingTimbre`)."""
    try:
        from ..timbre.stream import StreamingTimbre
    except ImportError as exc:
        raise MissingDependencyError(f"streaming timbre models need torch and server.timbre ({exc})") from exc
    return StreamingTimbre(path)


class TcpPeer(tuple):
    """A TCP client's (host, port), carrying its stream so replies and notifications go back on it."""

    writer: asyncio.StreamWriter

    def __new__(cls, host: str, port: int, writer: asyncio.StreamWriter) -> TcpPeer:
        self = super().__new__(cls, (host, port))
        self.writer = writer
        return self


def frame(packet: bytes) -> bytes:
    """OSC 1.0 stream framing (liblo's ``osc.tcp``): a big-endian int32 size, then the packet."""
    return len(packet).to_bytes(4, "big") + packet


MAX_TCP_PACKET = 1 << 20


class LiveServer:
    def __init__(
        self,
        driver,
        *,
        sample_rate: int = 48000,
        block: int = 512,
        folders: Folders | None = None,
        session_path: str | os.PathLike[str] | None = None,
        soundfont: str | os.PathLike[str] | None = None,
        generate_command: list[str] | None = None,
        memory_budget_mb: float = 2048.0,
        session: Session | None = None,
        strict: bool = False,
    ) -> None:
        """``session``: a session to play instead of one read from ``session_path`` (never saved: an
        offline bounce). ``strict``: a set or model of the session that cannot be loaded is an error
        instead of a warning with General MIDI / no model in its place."""
        self.folders = folders or Folders()
        self.driver = driver
        self.sample_rate, self.block = driver.open(sample_rate, block)
        self.gm_soundfont = Path(soundfont) if soundfont else default_soundfont()
        self.session_path = Path(session_path) if session_path else None
        if session is not None:
            self.session = session
        else:
            self.session = Session.load(self.session_path) if self.session_path else Session()
        self.strict = bool(strict)
        # image -> instrument set jobs; reports go through self.notify (looked up at each call)
        self.jobs = JobQueue(self.folders.sets, lambda dest, address, args: self.notify(dest, address, args),
                             generate_command=generate_command)
        self.dispatcher = OscDispatcher(self)
        # per sender (host, port): (reply port, time of its last message); see reply_dest
        self.reply_ports: collections.OrderedDict[tuple, tuple[int, float]] = collections.OrderedDict()
        # recent senders' reply destinations, for broadcasts (audio faults): dest -> time last seen
        self._clients: collections.OrderedDict[object, float] = collections.OrderedDict()
        self.osc_address: tuple | None = None
        self.osc_tcp_address: tuple | None = None
        self.midi_received = 0
        self.midi_input = None
        self.midi_port_name: str | None = None  # the JACK driver's own MIDI input, when it has one
        self._loader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="wave-loader")
        self._publish_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport = None
        self._dirty = False
        self._learn_pending: tuple | None = None  # (target, effect, param, dest)
        self._learn: dict[tuple[int, int], Learned] = {(x.midi_channel, x.cc): x for x in self.session.learn}
        self._recorder: WavWriter | None = None
        self._record_started = 0.0
        self._pending_lock = threading.Lock()
        self._pending_sets: dict[int, tuple] = {}  # channel -> (set name, reply dest, requested channel)
        self._set_worker_queued = False
        self.memory_budget = int(memory_budget_mb * 2**20)
        try:
            self.engine = Engine(self._initial_snapshot(), sample_rate=self.sample_rate, block=self.block,
                                 master_gain_db=self.session.master_gain_db)
        except BaseException:
            getattr(driver, "abort", driver.stop)()  # close the JACK client / drop the WAV opened above
            self._loader.shutdown(wait=False)
            raise
        self.engine.freewheel = getattr(driver, "name", "") == "offline"  # wave render: a slow plugin is waited for
        self._started = False
        self._stop_event: asyncio.Event | None = None
        self._errors_reported = 0
        self.release_s = 1.0  # at stop: how long released notes may ring before all sound off

    # -- graph building (loader thread or start-up) -----------------------------------------------
    def _set_path(self, name: str) -> Path:
        if name == GM:
            return self.gm_soundfont
        return confine(name if name.endswith((".sf2", ".sf3")) else f"{name}.sf2", self.folders.sets,
                       (".sf2", ".sf3"), "set")

    def _new_source(self, set_name: str, channel: int):
        from ..engine.fluid import FluidSynthSource

        if set_name.startswith(LV2_SET):  # an LV2 instrument plays the channel instead of a sampler
            return self._new_instrument(set_name[len(LV2_SET):])
        src = FluidSynthSource([self._set_path(set_name)], sample_rate=self.sample_rate, reverb=False, chorus=False)
        src.route_channel(channel, src.soundfonts[0][0])
        src.prepare(self.sample_rate, self.block, 2)
        return src

    def _initial_snapshot(self) -> Snapshot:
        strips = []
        for ch in range(16):
            name = self.session.sets.get(ch, GM)
            try:
                src = self._new_source(name, ch)
            except WaveError as exc:
                if name == GM or self.strict:
                    raise
                log.warning("channel %d: set %r from the session cannot be loaded (%s); playing General MIDI",
                            ch + 1, name, exc)
                name, src = GM, self._new_source(GM, ch)
            fx = EffectChain()
            fx.restore(self.session.fx.get(ch, {}))
            strips.append(Strip(ch, src, name, fx))
        master = EffectChain()
        master.restore(self.session.fx.get(-1, {}))
        snap = Snapshot(tuple(strips), master)
        for ch, t in self.session.timbre.items():
            try:
                snap = self._with_timbre(snap, ch, t.get("model", ""), float(t.get("wet", 1.0)))
                model = snap.strips[ch].timbre.model if snap.strips[ch].timbre is not None else None
                edits = {k: tuple(t[k]) for k in ("bias", "scale") if t.get(k)}
                dims = _latent_dims(model) if model is not None else None
                for k, vals in list(edits.items()):
                    if dims is not None and len(vals) > dims:
                        if any(v != (0.0 if k == "bias" else 1.0) for v in vals[dims:]):
                            log.warning("channel %d: the session's timbre %s edits dimensions %d-%d, but model %r "
                                        "has %d; those entries are skipped", ch + 1, k, dims, len(vals) - 1,
                                        t.get("model"), dims)
                        edits[k] = vals[:dims]
                if model is not None and edits and hasattr(model, "set_controls"):
                    model.set_controls(**edits)
            except WaveError as exc:
                if self.strict:
                    raise InputError(f"channel {ch + 1}: timbre model {t.get('model')!r} cannot be loaded: {exc}") \
                        from exc
                log.warning("channel %d: timbre model %r from the session cannot be loaded: %s", ch + 1, t, exc)
        return self._restore_plugins(snap)

    def _with_timbre(self, snap: Snapshot, ch: int, model: str, wet: float = 1.0) -> Snapshot:
        strips = list(snap.strips)
        if model in ("", "none"):
            strips[ch] = replace(strips[ch], timbre=None, timbre_name="")
        else:
            path = confine(model if model.endswith(".ts") else f"{model}.ts", self.folders.models, (".ts",), "model")
            if not path.is_file():
                raise InputError(f"model {model!r} not found in {self.folders.models}")
            proc = DryWet(load_timbre_model(path), wet)
            proc.prepare(self.sample_rate, self.block, 2)  # measures latency and warms the model up
            strips[ch] = replace(strips[ch], timbre=proc, timbre_name=model)
        return replace(snap, strips=tuple(strips))

    def _publish(self, edit) -> None:
        """Apply ``edit(snapshot) -> snapshot`` and swap it in (any non-audio thread)."""
        with self._publish_lock:
            self.engine.publish(edit(self.engine.snapshot))

    def _set_timbre_now(self, ch: int, model: str, wet: float = 1.0) -> None:
        """Install a ready timbre processor (or none) on channel ``ch``; loader thread. The old one is
        closed once the callback has acknowledged the new graph (:meth:`Engine.collect`)."""
        with self._publish_lock:
            old = self.engine.snapshot.strips[ch].timbre
            self.engine.publish(self._with_timbre(self.engine.snapshot, ch, model, wet))
            self.engine.retire(old)
        self._collect()

    def _collect(self) -> None:
        """Close what the audio thread has let go of (all of it when the callback is not running), and
        give the freed memory back to the system (a closed FluidSynth leaves its soundfont's pages in
        glibc's heap: measured 696 -> 287 MB after 48 replaced samplers)."""
        if self.engine.collect(force=not self._started):
            _trim_heap()

    def reap_retired(self) -> int:
        """Drop the retiring samplers the audio thread has marked done (control thread; never waits:
        they are closed by :meth:`Engine.collect` once the callback has let go). Returns how many."""
        gone: list = []

        def edit(snap: Snapshot) -> Snapshot:
            strips = list(snap.strips)
            for i, st in enumerate(strips):
                if any(r.done for r in st.retiring):
                    gone.extend(r.source for r in st.retiring if r.done)
                    strips[i] = replace(st, retiring=tuple(r for r in st.retiring if not r.done))
            return replace(snap, strips=tuple(strips))

        if not self.engine.snapshot.retired:
            return 0
        with self._publish_lock:
            self.engine.publish(edit(self.engine.snapshot))
            self.engine.retire(*gone)
        self._collect()
        return len(gone)

    # -- replies and notifications ----------------------------------------------------------------
    def reply_dest(self, sender):
        """Where replies to ``sender`` go: its ``/wave/reply_to`` port on its host while that setting
        is fresh, else its own socket."""
        if sender is None or isinstance(sender, TcpPeer):
            return sender
        key = tuple(sender[:2])
        entry = self.reply_ports.get(key)
        if entry is None:
            key = (sender[0], None)  # a host-wide setting (one-shot senders such as oscsend)
            entry = self.reply_ports.get(key)
            if entry is None:
                return sender
        port, seen = entry
        now = time.monotonic()
        if now - seen > REPLY_TTL_S:
            del self.reply_ports[key]
            return sender
        self.reply_ports[key] = (port, now)
        return (sender[0], port)

    def touch(self, sender) -> None:
        """Note a client that has just sent something (control thread); bounded, oldest forgotten."""
        if sender is None:
            return
        dest = self.reply_dest(sender)
        now = time.monotonic()
        clients = self._clients
        clients[dest] = now
        clients.move_to_end(dest)
        while len(clients) > MAX_CLIENTS or (clients and now - next(iter(clients.values())) > CLIENT_TTL_S):
            clients.popitem(last=False)

    def _own_port(self, host: str, port: int) -> bool:
        ours = {a[1] for a in (self.osc_address, self.osc_tcp_address) if a}
        if port not in ours:
            return False
        try:
            return ipaddress.ip_address(host).is_loopback or host in {a[0] for a in (self.osc_address,) if a}
        except ValueError:
            return True

    def notify(self, dest, address: str, args: list) -> None:
        """Send a message from any thread (no-op without a transport, e.g. in unit tests)."""
        if dest is None or self._loop is None or self._transport is None:
            log.info("notify %s %s", address, args)
            return
        data = encode(address, args)
        self._loop.call_soon_threadsafe(self._sendto, data, dest)

    def _sendto(self, data: bytes, dest) -> None:
        if isinstance(dest, TcpPeer):
            if not dest.writer.is_closing():
                dest.writer.write(frame(data))
        elif self._transport is not None:
            self._transport.sendto(data, dest)

    def mark_dirty(self) -> None:
        self._dirty = True

    def flush_session(self) -> None:
        if self._dirty and self.session_path is not None:
            self._dirty = False
            try:
                self.session.save(self.session_path)
            except WaveError as exc:
                log.error("session not saved: %s", exc)

    # -- MIDI (rtmidi thread or OSC) ---------------------------------------------------------------
    def on_midi(self, e: Event, t: float | None = None) -> None:
        """A MIDI event from rtmidi's thread (``t``: when it arrived, ``time.perf_counter()``): placed in
        the audio block at the time it arrived (see :meth:`Engine.send_at`)."""
        self.midi_received += 1
        if e.kind == CONTROL:
            self._on_cc(e.channel, e.a, e.b)
        if t is None:
            self.engine.send(e)
        else:
            self.engine.send_at(e, t)

    def _drain_control_out(self) -> None:
        """Control thread: controller events the audio thread received with JACK MIDI (MIDI learn)."""
        q = self.engine.control_out
        while q:
            e = q.popleft()
            try:
                self._on_cc(e.channel, e.a, e.b)
            except WaveError as exc:
                log.warning("MIDI CC %d on channel %d: %s", e.a, e.channel + 1, exc)

    def _on_cc(self, ch: int, cc: int, value: int) -> None:
        pending = self._learn_pending
        if pending is not None:
            self._learn_pending = None
            target, effect, param, dest = pending
            m = Learned(ch, cc, target, effect, param)
            self._learn[(ch, cc)] = m
            self.session.learn = list(self._learn.values())
            self.mark_dirty()
            self.notify(dest, "/wave/learned", [ch, cc, target, effect, param])
        m = self._learn.get((ch, cc))
        if m is not None and m.effect.startswith("plugin:"):
            self._plugin_cc(m, value)
        elif m is not None:
            p = effect_spec(m.effect).param(m.param)
            self._fx(m.target).post_set(m.effect, m.param, p.scale(value / 127.0))
            self._save_fx(m.target)

    def _fx(self, target: int) -> EffectChain:
        snap = self.engine.snapshot
        return snap.master_fx if target < 0 else snap.strips[target].fx

    def _save_fx(self, target: int) -> None:
        self.session.fx[target] = self._fx(target).state()
        self.mark_dirty()

    # -- OSC handlers: (sender, *validated args) -> replies ---------------------------------------
    def osc_ping(self, sender, token):
        return [("/wave/pong", [token])]

    def osc_reply_to(self, sender, port, host=0):
        if sender is None or isinstance(sender, TcpPeer):
            raise InputError("/wave/reply_to needs a UDP sender (over TCP replies come back on the connection)")
        key = (sender[0], None) if host else tuple(sender[:2])
        if port:
            if self._own_port(sender[0], port):
                raise InputError(f"/wave/reply_to {port}: that is this server's own port; give the port your "
                                 "client listens on (Max udpreceive, Pd netreceive -u -b)")
            self.reply_ports[key] = (port, time.monotonic())
            self.reply_ports.move_to_end(key)
            while len(self.reply_ports) > MAX_CLIENTS:
                self.reply_ports.popitem(last=False)
        else:
            self.reply_ports.pop(key, None)
        return [("/wave/ok", ["/wave/reply_to"])]

    def status(self) -> list:
        st = self.engine.stats
        return [self.sample_rate, self.block, float(st.mean_load()), float(st.max_load), int(st.late_blocks),
                int(self.engine.latency_samples + self.driver.latency_samples), self.engine.active_voices(),
                self.dispatcher.malformed, self.midi_received + self.engine.midi_in_count, int(st.driver_late),
                int(st.nonfinite_blocks + self.engine.safety.faults), self.dispatcher.dropped]

    def osc_status(self, sender):
        return [("/wave/status", self.status())]

    def osc_session_save(self, sender):
        if self.session_path is None:
            raise ConfigError("this server runs without a session file (start it with --session PATH)")
        self._dirty = True
        self.flush_session()
        return [("/wave/ok", ["/wave/session/save"])]

    def osc_note(self, sender, ch, pitch, vel):
        self.engine.send(Event(0.0, NOTE_ON if vel else NOTE_OFF, ch, pitch, vel))

    def osc_note_off(self, sender, ch, pitch):
        self.engine.send(Event(0.0, NOTE_OFF, ch, pitch, 0))

    def osc_cc(self, sender, ch, cc, value):
        self._on_cc(ch, cc, value)
        self.engine.send(Event(0.0, CONTROL, ch, cc, value))

    def osc_bend(self, sender, ch, value):
        self.engine.send(Event(0.0, PITCHWHEEL, ch, value))

    def osc_program(self, sender, ch, program):
        self.engine.send(Event(0.0, PROGRAM, ch, program))

    def osc_panic(self, sender):
        self.engine.all_notes_off()
        return [("/wave/ok", ["/wave/panic"])]

    def list_sets(self) -> list[tuple[str, str]]:
        out = [(GM, str(self.gm_soundfont))]
        root = Path(self.folders.sets)
        if root.is_dir():
            out += [(p.stem, p.name) for p in sorted(root.glob("*.sf2")) + sorted(root.glob("*.sf3"))]
        return out

    def osc_set_list(self, sender):
        sets = self.list_sets()
        return [("/wave/set/item", [n, f]) for n, f in sets] + [("/wave/set/count", [len(sets)])]

    def _loaded_bytes(self) -> int:
        """Estimated memory of the samplers in the graph (each holds its own copy of its set's samples)."""
        total = 0
        for src in self.engine.snapshot.sources:
            for _, path in getattr(src, "soundfonts", ()):  # an LV2 instrument source has none
                total += _file_size(path)
        return total

    def osc_set_load(self, sender, name, ch):
        path = self._set_path(name)  # validate now: a bad name is answered at once
        if not path.is_file():
            raise InputError(f"set {name!r} not found ({path.name} is not in {self.folders.sets})")
        channels = tuple(range(16)) if ch < 0 else (ch,)
        need = _file_size(path) * len(channels)
        if self._loaded_bytes() + need > self.memory_budget:
            raise InputError(
                f"set {name!r} on {len(channels)} channel(s) needs about {need / 2**20:.0f} MB and "
                f"{self._loaded_bytes() / 2**20:.0f} MB are loaded; the budget is "
                f"{self.memory_budget / 2**20:.0f} MB (wave serve --memory-budget MB); wait for "
                "ringing notes of earlier sets to end, or load the set on fewer channels")
        dest = self.reply_dest(sender)
        # at most one pending load per channel: a newer request replaces a queued one
        with self._pending_lock:
            superseded = {c: self._pending_sets[c] for c in channels if c in self._pending_sets}
            for c in channels:
                self._pending_sets[c] = (name, dest, ch)
            if not self._set_worker_queued:
                self._set_worker_queued = True
                self._loader.submit(self._load_pending_sets)
        for c, (old_name, old_dest, old_ch) in superseded.items():
            if old_ch == c or (old_ch < 0 and c == 0):  # one notice per superseded request
                self.notify(old_dest, "/wave/error", ["/wave/set/load", f"load of set {old_name!r} on "
                                                      f"{'all channels' if old_ch < 0 else f'channel {old_ch}'} "
                                                      "was replaced by a newer request"])

    def _load_pending_sets(self) -> None:
        """Loader thread: load the newest pending request of each channel, grouped by request."""
        with self._pending_lock:
            pending, self._pending_sets = self._pending_sets, {}
            self._set_worker_queued = False
        groups: dict[tuple, list[int]] = {}
        for c, (name, dest, ch) in sorted(pending.items()):
            groups.setdefault((name, id(dest), ch), []).append(c)
        for (name, _, ch), chans in groups.items():
            dest = pending[chans[0]][1]
            self._load_set(name, ch, tuple(chans), dest)

    def _load_set(self, name: str, ch: int, channels: tuple[int, ...], dest) -> None:
        try:
            sources = {c: self._new_source(name, c) for c in channels}  # slow part, off the audio thread

            def edit(snap: Snapshot) -> Snapshot:
                # the old sampler rings on beside the new one until its notes end (Retiring)
                strips = list(snap.strips)
                for c, src in sources.items():
                    for e in self.engine.replay_state(c):  # program, controllers, bend carry over
                        src.send(e)
                    old = strips[c]
                    for r in old.retiring:  # at most one set rings on per channel: older ones let go
                        r.release()
                    strips[c] = replace(old, source=src, set_name=name,
                                        retiring=(*old.retiring, Retiring(old.source)))
                return replace(snap, strips=tuple(strips))

            self._publish(edit)
            for c in channels:
                self.session.sets[c] = name
            self.mark_dirty()
            self.notify(dest, "/wave/set/loaded", [name, ch])
        except WaveError as exc:
            self.notify(dest, "/wave/error", ["/wave/set/load", str(exc)])
        except Exception as exc:  # pragma: no cover - keep the loader alive
            log.exception("set load failed")
            self.notify(dest, "/wave/error", ["/wave/set/load", f"{type(exc).__name__}: {exc}"])

    def osc_timbre_model(self, sender, ch, model):
        dest = self.reply_dest(sender)

        def work():
            try:
                self._set_timbre_now(ch, model)
                strip = self.engine.snapshot.strips[ch]
                if strip.timbre_name:
                    self.session.timbre[ch] = {"model": strip.timbre_name, "wet": strip.timbre.wet}
                    controls = getattr(strip.timbre.model, "controls", None)
                    for k in ("bias", "scale"):
                        if controls is not None and getattr(controls, k):
                            self.session.timbre[ch][k] = list(getattr(controls, k))
                else:
                    self.session.timbre.pop(ch, None)
                self.mark_dirty()
                dims = _latent_dims(strip.timbre.model) if strip.timbre is not None else 0
                self.notify(dest, "/wave/timbre/loaded", [ch, model, strip.latency_samples, int(dims or 0)])
            except WaveError as exc:
                self.notify(dest, "/wave/error", ["/wave/timbre/model", str(exc)])
            except Exception as exc:  # a corrupt model may raise anything from torch
                self.notify(dest, "/wave/error", ["/wave/timbre/model", f"{model}: {type(exc).__name__}: {exc}"])

        self._loader.submit(work)

    def _timbre(self, ch: int) -> DryWet:
        t = self.engine.snapshot.strips[ch].timbre
        if t is None:
            raise InputError(f"channel {ch} has no timbre model; load one with /wave/timbre/model {ch} NAME")
        return t

    def _latent(self, ch: int, what: str, dim: int, value: float) -> None:
        model = self._timbre(ch).model
        controls = getattr(model, "controls", None)
        if controls is None or not hasattr(model, "set_controls"):
            raise InputError(f"the model on channel {ch} has no latent controls")
        dims = _latent_dims(model)
        if dims is not None and dim >= dims:
            raise InputError(f"/wave/timbre/{what} {ch} {dim}: the model on channel {ch} has {dims} latent "
                             f"dimensions; use 0-{dims - 1}" if dims else
                             f"/wave/timbre/{what}: the model on channel {ch} has no latent space to edit")
        neutral = 0.0 if what == "bias" else 1.0
        vals = list(getattr(controls, what))
        if len(vals) == 1:
            vals = vals * (dim + 1)
        vals += [neutral] * (dim + 1 - len(vals))
        vals[dim] = value
        try:
            model.set_controls(**{what: tuple(vals)})
        except WaveError as exc:
            raise InputError(f"/wave/timbre/{what}: {exc}") from exc
        t = self.session.timbre.setdefault(ch, {})
        t[what] = vals
        self.mark_dirty()

    def osc_timbre_bias(self, sender, ch, dim, value):
        self._latent(ch, "bias", dim, value)

    def osc_timbre_scale(self, sender, ch, dim, value):
        self._latent(ch, "scale", dim, value)

    def osc_timbre_mix(self, sender, ch, wet):
        self._timbre(ch).wet = wet
        self.session.timbre.setdefault(ch, {})["wet"] = wet
        self.mark_dirty()

    def osc_fx_set(self, sender, target, effect, param, value):
        self._fx(target).post_set(effect, param, value)
        self._save_fx(target)

    def osc_fx_bypass(self, sender, target, effect, on):
        self._fx(target).post_enable(effect, bool(on))
        self._save_fx(target)

    def osc_fx_list(self, sender, target):
        from .effects import EFFECTS

        fx = self._fx(target)
        return [("/wave/fx/param", [target, s.name, p.name, float(p.lo), float(p.hi),
                                    float(fx.values[s.name][p.name]), float(fx.on[s.name])])
                for s in EFFECTS for p in s.params]

    def osc_master_gain(self, sender, db):
        self.engine.master_gain = float(10 ** (db / 20))
        self.session.master_gain_db = db
        self.mark_dirty()

    # -- plugin insert slots (LV2) ------------------------------------------------------------------
    def _slots(self, target: int) -> tuple:
        snap = self.engine.snapshot
        return snap.master_plugins if target < 0 else snap.strips[target].plugins

    def _slot(self, target: int, slot: int):
        slots = self._slots(target)
        if slot >= len(slots):
            where = "the master" if target < 0 else f"channel {target}"
            raise InputError(f"{where} has {len(slots)} plugin slot(s) (0-{len(slots) - 1}); "
                             f"/wave/plugin/list {target} shows them" if slots else
                             f"{where} has no plugin; load one with /wave/plugin/load {target} URI")
        return slots[slot]

    @staticmethod
    def _with_slots(snap: Snapshot, target: int, slots) -> Snapshot:
        if target < 0:
            return replace(snap, master_plugins=tuple(slots))
        strips = list(snap.strips)
        strips[target] = replace(strips[target], plugins=tuple(slots))
        return replace(snap, strips=tuple(strips))

    def _new_plugin(self, source: str):
        """An unprepared LV2 Processor for a URI (checked against discovery) or a bundle folder inside the
        plugins folder. Loader thread (the first call scans the LV2 folders)."""
        from ..plugins.lv2 import LV2Plugin, default_world

        world = default_world()
        if "://" in source or source.startswith("urn:"):
            info = world.info(source)
        else:
            path = confine(source, self.folders.plugins, (".lv2",), "plugin bundle")
            infos = world.load_bundle(path)
            if len(infos) > 1:
                raise InputError(f"bundle {source} holds {len(infos)} plugins; load one by its URI: "
                                 f"{', '.join(i.uri for i in infos)}")
            info = infos[0]
        p = LV2Plugin(info, world=world)
        p.source = source
        return p

    def _restore_plugins(self, snap: Snapshot) -> Snapshot:
        """The session's plugin slots with their control values, instantiated and prepared (start-up)."""
        for target, saved in sorted(self.session.plugins.items()):
            if not -1 <= target <= 15:
                continue
            made = []
            for d in saved:
                try:
                    p = self._new_plugin(str(d.get("source") or d.get("uri", "")))
                    p.restore(dict(d.get("values", {})))
                    p.bypass = bool(d.get("bypass", False))
                    p.prepare(self.sample_rate, self.block, 2)
                    made.append(p)
                except WaveError as exc:
                    where = "master" if target < 0 else f"channel {target + 1}"
                    if self.strict:
                        raise InputError(f"{where}: plugin {d.get('uri')!r} cannot be loaded: {exc}") from exc
                    log.warning("%s: plugin %r from the session cannot be loaded: %s", where, d.get("uri"), exc)
            snap = self._with_slots(snap, target, made)
        return snap

    def _save_plugins(self, target: int) -> None:
        slots = self._slots(target)
        if slots:
            self.session.plugins[target] = [{"uri": p.info.uri, "source": p.source, "values": p.state(),
                                             "bypass": bool(p.bypass)} for p in slots]
        else:
            self.session.plugins.pop(target, None)
        self.mark_dirty()

    def _realign(self) -> None:
        """Publish the graph again so every channel is delayed to its current latency."""
        self._publish(lambda snap: snap)

    def osc_plugin_load(self, sender, target, plugin):
        if len(self._slots(target)) >= MAX_PLUGIN_SLOTS:
            raise InputError(f"{MAX_PLUGIN_SLOTS} plugin slots are in use there; remove one first")
        dest = self.reply_dest(sender)

        def work():
            try:
                if len(self._slots(target)) >= MAX_PLUGIN_SLOTS:  # loads queued behind each other
                    raise InputError(f"{MAX_PLUGIN_SLOTS} plugin slots are in use there; remove one first")
                p = self._new_plugin(plugin)
                p.prepare(self.sample_rate, self.block, 2)  # instantiate, activate, measure latency
                with self._publish_lock:
                    slots = (*self._slots(target), p)
                    self.engine.publish(self._with_slots(self.engine.snapshot, target, slots))
                self._save_plugins(target)
                self.notify(dest, "/wave/plugin/loaded", [target, len(slots) - 1, p.name, int(p.latency_samples)])
            except WaveError as exc:
                self.notify(dest, "/wave/error", ["/wave/plugin/load", str(exc)])
            except Exception as exc:  # pragma: no cover - keep the loader alive
                log.exception("plugin load failed")
                self.notify(dest, "/wave/error", ["/wave/plugin/load", f"{plugin}: {type(exc).__name__}: {exc}"])

        self._loader.submit(work)

    def _follow_latency(self, p) -> None:
        """A parameter of a plugin with a latency port may change its latency: read it again once the
        audio thread has run a few blocks, and re-align the channels when it moved (loader thread)."""
        if p.info.latency_port is None:
            return
        before, start = p.latency_samples, self.engine.stats.blocks

        def work():
            t_end = time.monotonic() + 1.0
            while self.engine.stats.blocks < start + 2 and time.monotonic() < t_end:
                time.sleep(self.block / self.sample_rate)  # the plugin takes a new value in when it runs
            if p.refresh_latency() != before:
                self._realign()

        self._loader.submit(work)

    def _new_instrument(self, uri: str):
        """A prepared LV2 instrument source for ``uri`` (checked against discovery). Loader thread."""
        from ..plugins.instrument import LV2Instrument
        from ..plugins.lv2 import default_world

        world = default_world()
        src = LV2Instrument(world.info(uri), world=world)
        src.prepare(self.sample_rate, self.block, 2)
        return src

    def osc_plugin_instrument(self, sender, ch, uri):
        dest = self.reply_dest(sender)
        self._loader.submit(self._load_set, f"{LV2_SET}{uri}", ch, (ch,), dest)

    def osc_plugin_set(self, sender, target, slot, param, value):
        p = self._slot(target, slot)
        p.set(param, value)
        self._save_plugins(target)
        self._follow_latency(p)

    def _plugin_cc(self, m: Learned, value: int) -> None:
        """A learned CC to a plugin parameter (any thread: rtmidi's too, so nothing is raised: a slot that
        is gone, e.g. removed after it was learned, is logged)."""
        try:
            p = self._slot(m.target, int(m.effect.split(":", 1)[1]))
            q = p.info.param(m.param)
            p.set(q.symbol, q.lo + (q.hi - q.lo) * value / 127.0)
        except (WaveError, ValueError) as exc:
            log.warning("MIDI CC %d on channel %d learned for %s %s: %s", m.cc, m.midi_channel + 1, m.effect,
                        m.param, exc)
            return
        self._save_plugins(m.target)

    def osc_plugin_list(self, sender, target):
        slots = self._slots(target)
        return [("/wave/plugin/item", [target, i, p.info.uri, p.name, int(p.latency_samples),
                                       int(bool(p.bypass or p.faulted))]) for i, p in enumerate(slots)] + \
            [("/wave/plugin/count", [target, len(slots)])]

    def osc_plugin_params(self, sender, target, slot):
        p = self._slot(target, slot)
        return [("/wave/plugin/param", [target, slot, q.symbol, q.name, float(q.lo), float(q.hi),
                                        float(p.values[q.symbol])]) for q in p.info.params]

    def osc_plugin_remove(self, sender, target, slot):
        with self._publish_lock:
            p = self._slot(target, slot)
            slots = tuple(x for x in self._slots(target) if x is not p)
            self.engine.publish(self._with_slots(self.engine.snapshot, target, slots))
            self.engine.retire(p)  # closed once the callback has let go
        self._collect()
        self._save_plugins(target)
        return [("/wave/ok", ["/wave/plugin/remove"])]

    def osc_plugin_bypass(self, sender, target, slot, on):
        p = self._slot(target, slot)
        if not on and p.faulted:  # the audio thread skips a faulted slot: a fresh instance is safe to make
            p.reset()
            p.overruns = 0
            p.faulted = ""
        p.bypass = bool(on)
        self._realign()  # its latency joins or leaves the channel's
        self._save_plugins(target)
        return [("/wave/ok", ["/wave/plugin/bypass"])]

    def osc_plugin_learn(self, sender, target, slot, param):
        q = self._slot(target, slot).info.param(param)
        self._learn_pending = (target, f"plugin:{slot}", q.symbol, self.reply_dest(sender))

    def osc_learn(self, sender, target, effect, param):
        effect_spec(effect).param(param)
        self._learn_pending = (target, effect, param, self.reply_dest(sender))

    def osc_learn_clear(self, sender):
        self._learn.clear()
        self.session.learn = []
        self.mark_dirty()
        return [("/wave/ok", ["/wave/learn/clear"])]

    def osc_midi_play(self, sender, file):
        from ..midi.song import load_song

        path = confine(file, self.folders.midi, (".mid", ".midi"), "MIDI file")
        song = load_song(path)
        self.engine.play(song.events_at(self.sample_rate))
        return [("/wave/ok", ["/wave/midi/play"])]

    def osc_midi_stop(self, sender):
        self.engine.play(None)
        return [("/wave/ok", ["/wave/midi/stop"])]

    def osc_record_start(self, sender, file, overwrite=0):
        if self._recorder is not None:
            raise InputError("already recording; send /wave/record/stop first")
        path = confine(file, self.folders.recordings, (".wav",), "recording")
        if path.exists() and not overwrite:
            raise InputError(f"recording {path.name} exists; choose another name or send "
                             f"/wave/record/start {file} 1 to replace it")
        self._recorder = WavWriter(path, self.sample_rate)
        self._record_started = time.monotonic()
        self.engine.add_tap(self._recorder.put)
        return [("/wave/ok", ["/wave/record/start"])]

    def osc_record_stop(self, sender):
        rec = self._recorder
        if rec is None:
            raise InputError("not recording; send /wave/record/start FILE first")
        self._recorder = None
        self.engine.remove_tap(rec.put)
        path = rec.close()
        return [("/wave/record/done", [path.name, rec.frames / self.sample_rate])]

    # -- jobs -------------------------------------------------------------------------------------
    def osc_generate(self, sender, image, name):
        folder = confine(image, self.folders.images, (), "image")
        if folder.is_dir():  # one set per image of the folder, by `wave batch`
            if name:
                raise InputError(f"{image!r} is a folder: it makes one set per image, each named after its "
                                 "image; send /wave/generate FOLDER without a name")
            img, name = folder, (folder.name if folder != Path(self.folders.images).resolve() else "images")
        else:
            img = confine(image, self.folders.images, IMAGE_SUFFIXES, "image")
            if not img.is_file():
                raise InputError(f"image {image!r} not found in {self.folders.images}")
        name = check_set_name(name or img.stem)
        job = self.jobs.submit(img, name, self.reply_dest(sender))
        return [("/wave/job", [job.id, job.kind, "queued", 0.0])]  # its thread may have started it already

    # -- life cycle -------------------------------------------------------------------------------
    def open_midi(self, port: str) -> None:
        from .drivers import JackDriver
        from .midi_in import MidiInput

        api = "jack" if isinstance(self.driver, JackDriver) else "default"
        if port == "virtual" and api == "jack" and not self._started:
            # our own JACK MIDI client: events arrive with their frame time (sample-accurate)
            self.midi_port_name = self.driver.open_midi_in("wave-midi", "midi_in")
            return
        server_name = getattr(self.driver, "server", None) if api == "jack" else None
        self.midi_input = MidiInput(port, self.on_midi, api=api, client_name="wave-midi", jack_server=server_name)

    def start(self) -> None:
        loop = self._loop
        if loop is not None:
            self.engine.on_control_out = lambda: loop.call_soon_threadsafe(self._drain_control_out)
        self.driver.start(self.engine)
        self._started = True

    def shutdown(self) -> None:
        """All notes off (played by the audio thread: releases ring out for up to ``release_s``, then
        all sound off), stop audio, MIDI, recorder; save the session."""
        if self.midi_input is not None:
            self.midi_input.close()
            self.midi_input = None
        self.engine.play(None)
        self.engine.all_notes_off()
        if self._started:
            block_s = self.block / self.sample_rate
            t_end = time.monotonic() + self.release_s
            time.sleep(3 * block_s + 0.02)
            while self.engine.active_voices() and time.monotonic() < t_end:
                time.sleep(0.01)
            for src in self.engine.snapshot.sources:  # whatever still sounds stops now
                for ch in range(16):
                    src.send(Event(0.0, CONTROL, ch, CC_ALL_SOUND_OFF, 0))
            time.sleep(3 * block_s + 0.02)
            self.driver.stop()
            self._started = False
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
        self.jobs.close()  # queued jobs do not start, running ones are stopped
        self._loader.shutdown(wait=True, cancel_futures=True)
        self.engine.collect(force=True)
        for strip in self.engine.snapshot.strips:
            if strip.timbre is not None:
                strip.timbre.close()
        for slot in (*self.engine.snapshot.master_plugins, *(p for st in self.engine.snapshot.strips for p in st.plugins)):
            slot.close()
        self._dirty = True
        self.flush_session()

    def _report_audio_errors(self) -> None:
        """Control thread: log and send to the clients what the audio thread found (failed strips,
        non-finite output of a model, an effect chain or the mix)."""
        n = self.engine.stats.strip_errors
        if n > self._errors_reported:
            log.error("audio: %d block(s) of a channel strip failed and were silenced; first: %s",
                      n - self._errors_reported, self.engine.last_error)
            self._errors_reported = n
            self._broadcast("/wave/error", ["audio", f"{self.engine.last_error} (silenced)"])
        faults = self.engine.faults
        seen: set[str] = set()
        while faults:
            what = faults.popleft()
            if what in seen:
                continue
            seen.add(what)
            log.error("audio: %s", what)
            self._broadcast("/wave/error", ["audio", what])

    def _broadcast(self, address: str, args: list) -> None:
        """Send to every client that has talked to the server lately (their reply destinations)."""
        dests = list(self._clients) or [None]
        for dest in dests:
            self.notify(dest, address, args)

    def request_stop(self) -> None:
        """Stop :meth:`serve` from any thread (what SIGINT/SIGTERM do)."""
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        peer = TcpPeer(host, port, writer)
        self.touch(peer)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(4), "big")
                if size > MAX_TCP_PACKET:
                    self.dispatcher.malformed += 1
                    writer.write(frame(encode("/wave/error", ["?", f"OSC packet of {size} bytes is too large "
                                                             f"(limit {MAX_TCP_PACKET}); closing"])))
                    break
                data = await reader.readexactly(size)
                for address, args in self.dispatcher.handle_datagram(data, peer):
                    writer.write(frame(encode(address, args)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve(self, host: str = "127.0.0.1", port: int = 9000, *, duration: float | None = None,
                    ready=None, tcp_port: int | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        server = self

        class Proto(asyncio.DatagramProtocol):
            def connection_made(self, transport) -> None:
                server._transport = transport

            def datagram_received(self, data: bytes, addr) -> None:
                server.touch(addr)
                replies = server.dispatcher.handle_datagram(data, addr)
                dest = server.reply_dest(addr)
                for address, args in replies:
                    try:
                        server._transport.sendto(encode(address, args), dest)
                    except (OSError, ValueError) as exc:
                        log.warning("reply %s to %s failed: %s", address, dest, exc)

            def error_received(self, exc) -> None:  # e.g. ICMP port unreachable from a gone client
                log.debug("OSC socket: %s", exc)

        try:
            transport, _ = await loop.create_datagram_endpoint(Proto, local_addr=(host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen for OSC on udp {host}:{port}: {exc.strerror}; "
                              "pick another --osc-port") from exc
        tcp = None
        if tcp_port is not None:
            try:
                tcp = await asyncio.start_server(self._tcp_client, host, tcp_port)
            except OSError as exc:
                transport.close()
                raise ConfigError(f"cannot listen for OSC on tcp {host}:{tcp_port}: {exc.strerror}; "
                                  "pick another --osc-tcp-port") from exc
            self.osc_tcp_address = tcp.sockets[0].getsockname()[:2]
        stop = self._stop_event = asyncio.Event()
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        self.osc_address = transport.get_extra_info("sockname")[:2]
        self.start()
        if ready is not None:
            ready(self)
        t_end = None if duration is None else loop.time() + duration
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), 0.5)
                except TimeoutError:
                    pass
                self.flush_session()
                self._report_audio_errors()
                if self.engine.snapshot.retired:
                    self.reap_retired()  # here, not behind queued loads on the loader thread
                self._collect()
                if t_end is not None and loop.time() >= t_end:
                    break
        finally:
            if on_main:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            transport.close()
            if tcp is not None:
                tcp.close()
            self._transport = None
            self.shutdown()
