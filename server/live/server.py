"""``wave serve``: OSC + MIDI in, the live engine out, loaders and jobs beside it.

This module holds the OSC handlers and the server's life cycle; what they drive lives beside it:
:mod:`.graph` (names → samplers, models, plugin slots; the session's snapshot; pure snapshot edits),
:mod:`.transport` (MIDI file playback, recording), :mod:`.jobs` (image → instrument set in worker
processes), :mod:`.net` (the OSC sockets, UDP and TCP, and where replies and notifications go). Every
graph change goes through :meth:`LiveServer._publish`.

Threads (see DESIGN.md): the driver's audio thread runs :meth:`Engine.process`; the asyncio loop
(main thread) receives OSC, runs the handlers and saves the session; one loader thread loads and
warms up soundfonts and timbre models and publishes new snapshots; rtmidi's thread decodes MIDI and
posts events; job threads supervise worker processes (image → instrument set).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import signal
import threading
import time
from pathlib import Path

from ..errors import ConfigError, InputError, WaveError
from ..midi.song import CONTROL, NOTE_OFF, NOTE_ON, PITCHWHEEL, PROGRAM, Event
from ..paths import default_soundfont
from .effects import EffectChain, effect_spec
from .engine import DryWet, Engine, Snapshot
from .graph import (
    GM,
    LV2_SET,
    MAX_PLUGIN_SLOTS,
    VST3_SET,
    Folders,
    GraphBuilder,
    confine,
    file_size,
    latent_dims,
    loaded_bytes,
    slot_of,
    slots_of,
    trim_heap,
    with_slots,
    with_sources,
    without_finished,
)
from .jobs import JobQueue, check_set_name
from .net import OscNet
from .oscproto import OscDispatcher
from .routes import TcpPeer
from .session import Learned, Session
from .transport import Transport

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
CC_ALL_SOUND_OFF = 120


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
        # image -> instrument set jobs; reports go through self.notify (looked up at each call)
        self.jobs = JobQueue(self.folders.sets, lambda dest, address, args: self.notify(dest, address, args),
                             generate_command=generate_command)
        self.dispatcher = OscDispatcher(self)
        self.net = OscNet(self.dispatcher)  # the sockets, where replies go (/wave/reply_to), who gets broadcasts
        self.midi_received = 0
        self.midi_input = None
        self.midi_port_name: str | None = None  # the JACK driver's own MIDI input, when it has one
        self._loader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="wave-loader")
        self._publish_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty = False
        self._learn_pending: tuple | None = None  # (target, effect, param, dest)
        self._learn: dict[tuple[int, int], Learned] = {(x.midi_channel, x.cc): x for x in self.session.learn}
        self._pending_lock = threading.Lock()
        self._pending_sets: dict[int, tuple] = {}  # channel -> (set name, reply dest, requested channel)
        self._set_worker_queued = False
        self.memory_budget = int(memory_budget_mb * 2**20)
        self.graph = GraphBuilder(self.folders, self.sample_rate, self.block, self.gm_soundfont, strict=strict)
        try:
            self.engine = Engine(self.graph.initial_snapshot(self.session), sample_rate=self.sample_rate,
                                 block=self.block, master_gain_db=self.session.master_gain_db)
        except BaseException:
            getattr(driver, "abort", driver.stop)()  # close the JACK client / drop the WAV opened above
            self._loader.shutdown(wait=False)
            raise
        self.engine.freewheel = getattr(driver, "name", "") == "offline"  # wave render: a slow plugin is waited for
        self.transport = Transport(self.engine, self.folders)
        self._started = False
        self._stop_event: asyncio.Event | None = None
        self._errors_reported = 0
        self.release_s = 1.0  # at stop: how long released notes may ring before all sound off

    # -- publishing graph edits (any non-audio thread) -------------------------------------------------
    def _publish(self, edit, retired: list | None = None) -> None:
        """Apply ``edit(snapshot) -> snapshot`` to the current graph and swap the result in, under the
        publish lock (any non-audio thread). ``retired``: the objects that leave the graph with this edit
        (``edit`` may fill the list while it runs); they are handed to :meth:`Engine.retire` with the new
        snapshot and closed only after the audio callback has acknowledged it (:meth:`_collect`)."""
        with self._publish_lock:
            self.engine.publish(edit(self.engine.snapshot))
            if retired is not None:
                self.engine.retire(*retired)
        if retired is not None:
            self._collect()

    def _set_timbre_now(self, ch: int, model: str, wet: float = 1.0) -> None:
        """Install timbre model ``model`` (or none) on channel ``ch``, loaded and warmed up; loader
        thread. The old one is closed once the callback has acknowledged the new graph."""
        gone: list = []

        def edit(snap: Snapshot) -> Snapshot:
            gone.append(snap.strips[ch].timbre)
            return self.graph.with_timbre(snap, ch, model, wet)

        self._publish(edit, gone)

    def _collect(self) -> None:
        """Close what the audio thread has let go of (all of it when the callback is not running), and
        give the freed memory back to the system (a closed FluidSynth leaves its soundfont's pages in
        glibc's heap: measured 696 -> 287 MB after 48 replaced samplers)."""
        if self.engine.collect(force=not self._started):
            trim_heap()

    def reap_retired(self) -> int:
        """Drop the retiring samplers the audio thread has marked done (control thread; never waits:
        they are closed by :meth:`Engine.collect` once the callback has let go). Returns how many."""
        if not self.engine.snapshot.retired:
            return 0
        gone: list = []
        self._publish(lambda snap: without_finished(snap, gone), gone)
        return len(gone)

    # -- replies and notifications (through self.net) -----------------------------------------------
    @property
    def osc_address(self) -> tuple | None:
        """The UDP socket's ``(host, port)`` while serving, else ``None``."""
        return self.net.udp_address

    @osc_address.setter
    def osc_address(self, value: tuple | None) -> None:
        self.net.udp_address = value

    @property
    def osc_tcp_address(self) -> tuple | None:
        """The TCP socket's ``(host, port)`` while serving with one, else ``None``."""
        return self.net.tcp_address

    def reply_dest(self, sender):
        """Where replies to ``sender`` go (:meth:`OscNet.reply_dest`)."""
        return self.net.reply_dest(sender)

    def notify(self, dest, address: str, args: list) -> None:
        """Send a message from any thread (logged instead while not serving, e.g. in unit tests)."""
        self.net.send(dest, address, args)

    def mark_dirty(self) -> None:
        self._dirty = True

    def _capture_source_state(self, channels=range(16)) -> None:
        """The instrument plugins' own state of ``channels`` into the session (after a set loads: its
        channels; on /wave/session/save and at shutdown: all; not on every periodic save; a sampler set has
        none). A source whose state cannot be read keeps what was saved before."""
        strips = self.engine.snapshot.strips
        for ch in channels:
            state = getattr(strips[ch].source, "state", None)
            if not callable(state) or not str(self.session.sets.get(ch, "")).startswith((LV2_SET, VST3_SET)):
                if self.session.source_state.pop(ch, None) is not None:
                    self._dirty = True
                continue
            try:
                now = dict(state())
            except Exception as exc:  # a plugin's state call may fail; keep the last good one
                log.warning("channel %d: the instrument's state could not be read (%s)", ch + 1, exc)
                continue
            if self.session.source_state.get(ch) != now:
                self.session.source_state[ch] = now
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
        if port and self.net.is_own_port(sender[0], port):
            raise InputError(f"/wave/reply_to {port}: that is this server's own port; give the port your "
                             "client listens on (Max udpreceive, Pd netreceive -u -b)")
        self.net.set_reply_port(sender, port, host_wide=bool(host))
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
        self._capture_source_state()
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
        return loaded_bytes(self.engine.snapshot)

    def osc_set_load(self, sender, name, ch):
        path = self.graph.set_path(name)  # validate now: a bad name is answered at once
        if not path.is_file():
            raise InputError(f"set {name!r} not found ({path.name} is not in {self.folders.sets})")
        channels = tuple(range(16)) if ch < 0 else (ch,)
        need = file_size(path) * len(channels)
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
            sources = {c: self.graph.new_source(name, c) for c in channels}  # slow part, off the audio thread
            self._publish(lambda snap: with_sources(snap, sources, name, self.engine.replay_state))
            for c in channels:
                self.session.sets[c] = name
            self._capture_source_state(channels)
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
                dims = latent_dims(strip.timbre.model) if strip.timbre is not None else 0
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
        dims = latent_dims(model)
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
        return slots_of(self.engine.snapshot, target)

    def _slot(self, target: int, slot: int):
        return slot_of(self.engine.snapshot, target, slot)


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
                p = self.graph.new_plugin(plugin)
                p.prepare(self.sample_rate, self.block, 2)  # instantiate, activate, measure latency
                index = 0

                def edit(snap: Snapshot) -> Snapshot:
                    nonlocal index
                    slots = (*slots_of(snap, target), p)
                    index = len(slots) - 1
                    return with_slots(snap, target, slots)

                self._publish(edit)
                self._save_plugins(target)
                self.notify(dest, "/wave/plugin/loaded", [target, index, p.name, int(p.latency_samples)])
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

    def osc_plugin_instrument(self, sender, ch, uri):
        dest = self.reply_dest(sender)
        prefix = VST3_SET if str(uri).lower().rstrip("/").endswith((".vst3", ".component")) else LV2_SET
        self._loader.submit(self._load_set, f"{prefix}{uri}", ch, (ch,), dest)

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
        gone: list = []

        def edit(snap: Snapshot) -> Snapshot:
            p = slot_of(snap, target, slot)
            gone.append(p)  # closed once the callback has let go
            return with_slots(snap, target, tuple(x for x in slots_of(snap, target) if x is not p))

        self._publish(edit, gone)
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
        self.transport.play(file)
        return [("/wave/ok", ["/wave/midi/play"])]

    def osc_midi_stop(self, sender):
        self.transport.stop()
        return [("/wave/ok", ["/wave/midi/stop"])]

    def osc_record_start(self, sender, file, overwrite=0):
        self.transport.record_start(file, bool(overwrite))
        return [("/wave/ok", ["/wave/record/start"])]

    def osc_record_stop(self, sender):
        name, seconds = self.transport.record_stop()
        return [("/wave/record/done", [name, seconds])]

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

    def osc_job_cancel(self, sender, job_id):
        job = self.jobs.jobs.get(job_id)
        if job is None:
            raise InputError(f"no job {job_id}; the ids of jobs come in the /wave/job replies to /wave/generate")
        if not self.jobs.cancel(job_id):
            raise InputError(f"job {job_id} has already finished ({job.state}); only a queued or running job can "
                             "be cancelled")
        return [("/wave/ok", ["/wave/job/cancel"])]

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
        self.transport.stop()
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
        self.transport.close()
        self.jobs.close()  # queued jobs do not start, running ones are stopped
        self._loader.shutdown(wait=True, cancel_futures=True)
        self._capture_source_state()  # before the sources are closed
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
        dests = self.net.recent() or [None]
        for dest in dests:
            self.notify(dest, address, args)

    def request_stop(self) -> None:
        """Stop :meth:`serve` from any thread (what SIGINT/SIGTERM do)."""
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)

    async def serve(self, host: str = "127.0.0.1", port: int = 9000, *, duration: float | None = None,
                    ready=None, tcp_port: int | None = None) -> None:
        """Listen for OSC (udp ``host:port``, and tcp ``tcp_port`` when given; 0: any free port), start
        audio, and run the control loop until :meth:`request_stop`, SIGINT/SIGTERM or ``duration``
        seconds; then shut down. ``ready(server)`` is called once the sockets are bound and audio runs."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        await self.net.open(host, port, tcp_port)
        stop = self._stop_event = asyncio.Event()
        on_main = threading.current_thread() is threading.main_thread()
        if on_main:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
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
            self.net.close()
            self.shutdown()
