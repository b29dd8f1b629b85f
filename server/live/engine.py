"""The live engine: per MIDI channel a strip (sampler source → optional timbre → effect chain), then master.

The graph the audio thread plays is an immutable :class:`Snapshot` held by one reference
(``Engine.snapshot``). The control side builds a new snapshot off the audio thread (loading and
warming instruments and models there) and publishes it with one assignment; the callback reads the
reference once per block. The callback never blocks, never loads, never imports; it times itself
and counts every block that took longer than its duration (``late_blocks``), and drivers add the
blocks their host reports as late (JACK xruns, PortAudio underflows, a paced driver falling behind).

``wave render`` pulls the same graph offline, as fast as it renders (``freewheel``): a session's graph
(server/render/bounce.py), or a General MIDI one whose channels share one sampler (``Snapshot.lead``;
server/render/render.py).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine.safety import CEILING, SafetyStage, finite
from ..midi.song import CONTROL, NOTE_ON, PITCHWHEEL, PROGRAM, Event
from .effects import EffectChain

__all__ = ["CEILING", "Aligner", "DryWet", "Engine", "Retiring", "Snapshot", "Strip"]

log = logging.getLogger(__name__)

CC_BANK_MSB, CC_BANK_LSB, CC_SUSTAIN, CC_ALL_NOTES_OFF = 0, 32, 64, 123
CC_DATA_MSB, CC_DATA_LSB, CC_DATA_INC, CC_DATA_DEC = 6, 38, 96, 97
CC_NRPN_LSB, CC_NRPN_MSB, CC_RPN_LSB, CC_RPN_MSB = 98, 99, 100, 101
CC_DATA_ENTRY = (CC_DATA_MSB, CC_DATA_LSB, CC_DATA_INC, CC_DATA_DEC,  # data entry, increment/decrement,
                 CC_NRPN_LSB, CC_NRPN_MSB, CC_RPN_LSB, CC_RPN_MSB)  # NRPN/RPN select
_SELECT = {CC_RPN_MSB: (CC_RPN_MSB, 0), CC_RPN_LSB: (CC_RPN_MSB, 1),  # CC → (parameter kind, MSB/LSB index)
           CC_NRPN_MSB: (CC_NRPN_MSB, 0), CC_NRPN_LSB: (CC_NRPN_MSB, 1)}
ALIGN_CAPACITY = 16384  # frames a channel can be delayed without a new delay line (RAVE: ~4-8k)
LIVE_QUEUE = 4096  # timed live events waiting for the callback (a MIDI flood beyond it is dropped)
RETIRE_MAX_S = 8.0  # a retiring sampler still holding notes this long after a swap releases them
RETIRE_QUIET_BLOCKS = 4  # a retiring source silent (no voices) this many blocks is done
SLOT_OVERRUN_BLOCKS = 8  # a plugin slot slower than real time this many blocks in a row is bypassed (live)


class DryWet:
    """Dry/wet around a timbre Processor, with the dry path delayed by the model's latency so the two
    line up. A model with its own aligned dry/wet (``set_controls(dry_wet=...)``, like
    :class:`server.timbre.stream.StreamingTimbre`) does the mixing itself. ``wet`` is set from the
    control thread (a float store is atomic in CPython)."""

    def __init__(self, model, wet: float = 1.0) -> None:
        self.model = model
        self._own_mix = hasattr(model, "set_controls")
        self._wet = 1.0
        self.latency_samples = int(getattr(model, "latency_samples", 0))
        self._delay = np.zeros((2, 0), dtype=np.float32)
        self.wet = wet
        self.faulted = ""  # set by the audio thread when the model's output was unsafe: it is bypassed

    @property
    def error(self) -> str:
        """What the model reported as failing (a streaming model's worker survives its exceptions)."""
        return getattr(self.model, "error", "")

    @property
    def wet(self) -> float:
        return float(self.model.controls.dry_wet) if self._own_mix else self._wet

    @wet.setter
    def wet(self, value: float) -> None:
        if self._own_mix:
            self.model.set_controls(dry_wet=float(value))
        else:
            self._wet = float(value)

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        self.model.prepare(sample_rate, max_block, channels)
        self.latency_samples = int(getattr(self.model, "latency_samples", 0))
        self._delay = np.zeros((channels, self.latency_samples + max_block), dtype=np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        if self._own_mix:
            return self.model.process(block)
        wet = self._wet
        y = self.model.process(block)  # always run: the model's state keeps moving
        if wet >= 1.0:
            return y
        n, lat = block.shape[1], self.latency_samples
        if lat:
            d = self._delay
            d[:, lat : lat + n] = block
            dry = d[:, :n].copy()
            d[:, :lat] = d[:, n : n + lat]
        else:
            dry = block
        return (dry * (1.0 - wet) + y * wet).astype(np.float32, copy=False)

    def reset(self) -> None:
        self.model.reset()
        self._delay[:] = 0

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if close is not None:
            close()


class Retiring:
    """A channel's previous sampler, kept playing after an instrument-set swap until its notes have
    ended: it gets every event but note-ons (so held notes release when their note-off comes, pedal
    and bend included), and the audio thread marks it ``done`` once it has had no voices for
    :data:`RETIRE_QUIET_BLOCKS` blocks; the control side then drops it from the graph and closes it."""

    __slots__ = ("source", "quiet", "done", "frames", "released")

    def __init__(self, source) -> None:
        self.source = source
        self.quiet = 0
        self.done = False
        self.frames = 0  # how long it has been retiring
        self.released = False  # its notes were released for it (held too long, or a newer swap)

    def release(self) -> None:
        """Release whatever it still holds (sustain pedal up, all notes off): it rings out and is done.
        Any thread (the source's inbox is lock-free)."""
        if not self.released:
            self.released = True
            for ch in range(16):
                self.source.send(Event(0.0, CONTROL, ch, CC_SUSTAIN, 0))
                self.source.send(Event(0.0, CONTROL, ch, CC_ALL_NOTES_OFF, 0))


class Aligner:
    """A channel's delay to the graph's latency (latency compensation): a ring buffer of its recent
    output. ``target`` is set by the control side; the audio thread moves ``delay`` to it with a
    one-block cross-fade between the two read positions (no click). Audio thread: :meth:`mix`, which
    allocates only on a delay change."""

    __slots__ = ("h", "size", "capacity", "w", "delay", "target", "pending", "_ramp")

    def __init__(self, capacity: int, max_block: int, channels: int = 2) -> None:
        self.capacity = int(capacity)  # the longest delay it can give
        self.size = self.capacity + int(max_block)
        self.h = np.zeros((channels, self.size), dtype=np.float32)
        self.w = 0  # where the next frame is written
        self.delay = 0
        self.target = 0
        self.pending = 0  # frames until the last non-silent input has come out
        self._ramp = np.linspace(0.0, 1.0, max_block, dtype=np.float32)

    def _write(self, y: np.ndarray | None, n: int) -> None:
        h, w, size = self.h, self.w, self.size
        k = min(n, size - w)
        if y is None:
            h[:, w : w + k] = 0.0
            h[:, : n - k] = 0.0
        else:
            h[:, w : w + k] = y[:, :k]
            h[:, : n - k] = y[:, k:]
        self.w = (w + n) % size

    def _add(self, out: np.ndarray, d: int, gain: np.ndarray | None = None) -> None:
        """out += the block written ``d`` frames ago (times ``gain`` per frame)."""
        n, size = out.shape[1], self.size
        r = (self.w - n - d) % size
        k = min(n, size - r)
        if gain is None:
            out[:, :k] += self.h[:, r : r + k]
            if k < n:
                out[:, k:] += self.h[:, : n - k]
        else:
            out[:, :k] += self.h[:, r : r + k] * gain[:k]
            if k < n:
                out[:, k:] += self.h[:, : n - k] * gain[k:]

    def mix(self, y: np.ndarray | None, out: np.ndarray) -> None:
        """Push one block (None: silence) and add the delayed block to ``out``."""
        n = out.shape[1]
        if y is None and self.pending <= 0 and self.delay == self.target:
            return  # nothing but silence in the buffer
        self._write(y, n)
        self.pending = self.delay + n if y is not None else self.pending - n
        d, t = self.delay, min(max(int(self.target), 0), self.capacity)
        if t != d:
            ramp = self._ramp[:n] if n <= self._ramp.shape[0] else np.linspace(0, 1, n, dtype=np.float32)
            self._add(out, d, 1.0 - ramp)
            self._add(out, t, ramp)
            self.delay = t
            self.pending = max(self.pending, t + n)
        else:
            self._add(out, d)
        if self.pending <= 0:
            self.h[:] = 0.0  # nothing stale may come out after a pause


def slots_latency(slots) -> int:
    """Latency of a chain of plugin slots: the sum over those that play (not bypassed, not faulted)."""
    return int(sum(p.latency_samples for p in slots if not (p.bypass or p.faulted)))


@dataclass(frozen=True)
class Strip:
    """One MIDI channel's path, with its own sampler ``source`` (a FluidSynthSource: 16 idle synths
    cost 0.13 ms per 512-frame block here), an optional ``timbre`` and an effect chain."""

    channel: int
    source: object
    set_name: str
    fx: EffectChain
    timbre: DryWet | None = None
    timbre_name: str = ""
    retiring: tuple[Retiring, ...] = ()  # previous sets still ringing out (see :class:`Retiring`)
    plugins: tuple = ()  # insert slots: third-party plugin Processors (server.plugins), after the timbre

    @property
    def latency_samples(self) -> int:
        """The strip's own delay: an instrument plugin's reported latency, its timbre model's, its slots'."""
        return (int(getattr(self.source, "latency_samples", 0) or 0)
                + (self.timbre.latency_samples if self.timbre is not None else 0) + slots_latency(self.plugins))


@dataclass(frozen=True)
class Snapshot:
    """The graph: one strip per MIDI channel (``strips[ch].channel == ch``), the master effect chain and
    the master plugin slots.

    ``lead`` shares samplers: ``lead[ch]`` is the channel whose strip plays channel ``ch``'s events, with
    the same ``source`` object (one FluidSynth for several channels, whose reverb and chorus then act
    on them together, as in the fluidsynth CLI). A channel led by another makes no sound of its own and
    its strip's timbre, effects and plugins are not run: share only channels without per-channel
    processing. ``None`` (the live server's graphs): every channel plays its own sampler.
    """

    strips: tuple[Strip, ...]
    master_fx: EffectChain
    version: int = 0
    master_plugins: tuple = ()  # insert slots after the master effect chain, before the limiter
    lead: tuple[int, ...] | None = None

    @property
    def sources(self) -> tuple:
        """Every sampler that may sound, once each: each strip's source and its retiring ones."""
        every = [s.source for s in self.strips] + [r.source for s in self.strips for r in s.retiring]
        return tuple({id(src): src for src in every}.values())  # by identity: a source need not be hashable

    @property
    def latency_samples(self) -> int:
        return max((s.latency_samples for s in self.strips), default=0)

    @property
    def output_latency(self) -> int:
        """The graph's latency at the output: the channels' (aligned) plus the master slots'."""
        return self.latency_samples + slots_latency(self.master_plugins)

    @property
    def retired(self) -> bool:
        """Whether a retiring sampler has been marked done and can be dropped (``reap_retired``)."""
        return any(r.done for s in self.strips for r in s.retiring)


@dataclass
class Stats:
    blocks: int = 0
    late_blocks: int = 0  # callback slower than real time, plus what the driver reports
    driver_late: int = 0
    last_load: float = 0.0
    max_load: float = 0.0
    loads: collections.deque = field(default_factory=lambda: collections.deque(maxlen=128))
    frames: int = 0
    strip_errors: int = 0
    nonfinite_blocks: int = 0  # blocks in which a model, an effect chain or the mix produced NaN/inf
    midi_dropped: int = 0  # live MIDI events beyond the queue's bound

    def mean_load(self) -> float:
        return float(np.mean(self.loads)) if self.loads else 0.0


class MidiPlayer:
    """Plays a song's events through the engine on the audio clock, each at its sample offset inside
    the block (as ``wave render`` does; FluidSynth itself starts an event at its next 64-frame period)."""

    def __init__(self, events: Sequence[tuple[int, Event]]) -> None:
        self.events = events
        self.pos = 0  # index of the next event
        self.frame = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.events)


def _offset(item: tuple[int, Event]) -> int:
    return item[0]


class Engine:
    """The real-time graph. ``process(n)`` is the audio callback body; everything else is control.

    Threads: :meth:`process` — audio thread only. :meth:`send`, :meth:`post`, :meth:`all_notes_off`,
    :meth:`play`, :meth:`add_tap` — any thread, never block. :meth:`publish` — control thread.
    """

    def __init__(self, snapshot: Snapshot, *, sample_rate: int, block: int, master_gain_db: float = 0.0,
                 raw: bool = False, limiter=None) -> None:
        """``raw``: the output is the channel mix as it is, without the master section (master gain, master
        effects and plugins, limiter, safety stage): ``wave render --raw``, compared with the fluidsynth CLI.
        :attr:`raw` may be switched from the control side. ``limiter``: the master limiter, a pedalboard
        plugin or board (default: :func:`server.engine.effects.master_limiter`, transparent below -1 dBFS,
        the same master live, in a bounce and in ``wave render``; JUCE's ``Limiter`` was the live default,
        and it adds a 4:1 stage from -10 dBFS and make-up gain, so live and render sounded different)."""
        from ..engine.effects import master_limiter

        self.sample_rate = int(sample_rate)
        self.block = int(block)
        self.snapshot = snapshot
        self.stats = Stats()
        self.master_gain = float(10 ** (master_gain_db / 20))
        self._limiter = limiter if limiter is not None else master_limiter()
        self._raw = bool(raw)
        self._out = np.zeros((2, self.block), dtype=np.float32)
        self._silence = np.zeros((2, self.block), dtype=np.float32)
        self._player: MidiPlayer | None = None
        self._due: list[list[tuple[int, Event]]] = [[] for _ in range(16)]  # player events per channel
        # the last program, bank, controllers and bend of each channel: replayed into a new set's
        # sampler so a swap keeps the performer's settings (written by send() and the player)
        self.channel_state: list[dict[tuple[int, int], int]] = [{} for _ in range(16)]
        # RPN/NRPN: per channel the parameter selected now, [kind (101 RPN / 99 NRPN), MSB, LSB], and the
        # data entered for each parameter, {(kind, MSB, LSB): {6 or 38: value}} in the order last written
        self._selected: list[list] = [[None, None, None] for _ in range(16)]
        self.parameters: list[dict[tuple[int, int, int], dict[int, int]]] = [{} for _ in range(16)]
        self._taps: tuple[Callable[[np.ndarray], None], ...] = ()
        self._tap_lock = threading.Lock()  # control side only
        self.frames_played = 0
        self.first_sound_frame: int | None = None  # for latency measurement (set by watch_onset)
        self._watch_from: int | None = None
        self._onset_event = threading.Event()
        self.last_error = ""  # first strip error seen by the callback (reported by the control side)
        self.freewheel = False  # offline (a bounce): nothing is late, a slow plugin slot is not bypassed
        # faults the callback saw (non-finite output: what, where), reported and emptied by the control side
        self.faults: collections.deque[str] = collections.deque(maxlen=64)
        # epoch reclamation: the version of the snapshot the callback last finished a block with, and
        # objects retired from the graph, each with the first version that no longer holds them
        self.acked_version = snapshot.version
        self._graveyard: collections.deque[tuple[int, object]] = collections.deque()
        self._live_in: collections.deque[tuple[float, Event]] = collections.deque()
        self._frame_in: collections.deque[tuple[int, Event]] = collections.deque()
        # controller events that came with the driver's MIDI (JACK), for the control side (MIDI learn):
        # ``on_control_out()`` is called (never blocks: e.g. loop.call_soon_threadsafe) when some are queued
        self.control_out: collections.deque[Event] = collections.deque()
        self.on_control_out: Callable[[], None] | None = None
        self.midi_in_count = 0
        self._t_prev: float | None = None  # perf_counter at the start of the previous callback
        self.safety = SafetyStage()
        self._safety_ready = False
        if not self._raw:  # (its filter's import is not needed without a master section)
            self._prepare_safety()
        self._aligners = [Aligner(ALIGN_CAPACITY, self.block) for _ in range(16)]
        self._source_faults = [""] * 16  # per channel: the source fault last reported (instrument plugins)
        self._prepare(snapshot)
        self._align(snapshot)

    # -- control side -----------------------------------------------------------------------------
    @property
    def raw(self) -> bool:
        """Whether the output skips the master section (see ``raw`` in the constructor)."""
        return self._raw

    @raw.setter
    def raw(self, on: bool) -> None:
        if not on:
            self._prepare_safety()
        self._raw = bool(on)

    def _prepare_safety(self) -> None:
        if not self._safety_ready:
            self.safety.prepare(self.sample_rate, self.block, 2)
            self._safety_ready = True

    def _prepare(self, snap: Snapshot) -> None:
        for s in snap.strips:
            s.fx.prepare(self.sample_rate, self.block, 2)
            if s.timbre is not None:
                s.timbre.prepare(self.sample_rate, self.block, 2)
            for p in s.plugins:  # already prepared by the loader: a no-op then
                p.prepare(self.sample_rate, self.block, 2)
        snap.master_fx.prepare(self.sample_rate, self.block, 2)
        for p in snap.master_plugins:
            p.prepare(self.sample_rate, self.block, 2)

    def publish(self, snap: Snapshot) -> Snapshot:
        """Swap in a new graph (its members already loaded and prepared). Returns the old one. Each
        channel is delayed to the new graph's latency (re-aligned with a one-block cross-fade)."""
        old = self.snapshot
        self._align(snap)
        self.snapshot = replace(snap, version=old.version + 1)
        return old

    def _align(self, snap: Snapshot) -> None:
        """Control side: set every channel's delay to the graph latency minus its own, so channels with
        and without a timbre model stay sample-aligned (a delay line that must grow is made here)."""
        total = snap.latency_samples
        for strip in snap.strips:
            ch = strip.channel
            want = total - strip.latency_samples
            al = self._aligners[ch]
            if want + self.block > al.capacity:
                bigger = Aligner(want + self.block, self.block)
                bigger.delay = al.delay
                bigger.target = want
                self._aligners[ch] = bigger  # one reference store; the old history is lost (re-alignment)
            else:
                al.target = want

    def retire(self, *objects) -> None:
        """Control side: ``objects`` (samplers, timbre slots) left the graph with the snapshot just
        published; :meth:`collect` closes them once the callback has finished a block with it."""
        version = self.snapshot.version
        for obj in objects:
            if obj is not None:
                self._graveyard.append((version, obj))

    def collect(self, *, force: bool = False) -> int:
        """Control side: close the retired objects the audio thread can no longer hold (it has
        acknowledged a later snapshot), or all of them with ``force`` (the callback is stopped).
        Never waits. Returns how many were closed."""
        grave, acked, n = self._graveyard, self.acked_version, 0
        while grave and (force or grave[0][0] <= acked):
            _, obj = grave.popleft()
            close = getattr(obj, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # a broken object must not stop the clean-up
                    log.exception("closing a retired %s failed", type(obj).__name__)
            n += 1
        return n

    @property
    def retired_pending(self) -> int:
        """Objects retired and not yet closed."""
        return len(self._graveyard)

    def send_at(self, e: Event, t: float) -> None:
        """Post a channel event that arrived at ``t`` (``time.perf_counter()``) from a thread that has no
        frame time for it (rtmidi). The callback places it in its block at the offset it arrived at
        within the previous callback period: a constant one-period delay instead of a jitter of up
        to one block. Never blocks; a flood beyond :data:`LIVE_QUEUE` events is dropped and counted."""
        q = self._live_in
        if len(q) >= LIVE_QUEUE:
            self.stats.midi_dropped += 1
            return
        q.append((t, e))

    def send(self, e: Event) -> None:
        """Post a channel event (any thread); applied at the start of the next block."""
        strip = self.snapshot.strips[e.channel]
        strip.source.send(e)
        if e.kind != NOTE_ON:
            self._remember(e)
            for r in strip.retiring:
                r.source.send(e)

    def _remember(self, e: Event) -> None:
        k = e.kind
        if k == CONTROL:
            if e.a < 120:  # channel-mode messages (all notes off...) are not state
                self.channel_state[e.channel][(CONTROL, e.a)] = e.b
            if e.a in _SELECT:
                kind, i = _SELECT[e.a]
                sel = self._selected[e.channel]
                if sel[0] != kind:  # switching between RPN and NRPN starts a new selection
                    sel[:] = (kind, None, None)
                sel[1 + i] = e.b
            elif e.a == CC_DATA_MSB or e.a == CC_DATA_LSB:
                kind, msb, lsb = self._selected[e.channel]
                if msb is not None and lsb is not None and not (kind == CC_RPN_MSB and msb == lsb == 127):
                    data = self.parameters[e.channel].setdefault((kind, msb, lsb), {})
                    data.pop(e.a, None)  # keep the order of the last writes (an MSB may reset the LSB)
                    data[e.a] = e.b
        elif k == PROGRAM:
            self.channel_state[e.channel][(PROGRAM, 0)] = e.a
        elif k == PITCHWHEEL:
            self.channel_state[e.channel][(PITCHWHEEL, 0)] = e.a

    def replay_state(self, channel: int) -> list[Event]:
        """Events that bring a fresh sampler to ``channel``'s current state: bank, program, the other
        controllers, each RPN/NRPN parameter's data entry (e.g. the pitch-bend range), the parameter
        selection as it is now, then the bend. Control thread. The sustain pedal is left up (notes held
        by it belong to the retiring sampler); data increment/decrement (CC 96/97) is not replayed."""

        def cc(number: int, value: int) -> Event:
            return Event(0.0, CONTROL, channel, number, value)

        st = dict(self.channel_state[channel])
        out = [cc(n, st.pop((CONTROL, n))) for n in (CC_BANK_MSB, CC_BANK_LSB) if (CONTROL, n) in st]
        if (PROGRAM, 0) in st:
            out.append(Event(0.0, PROGRAM, channel, st.pop((PROGRAM, 0)), 0))
        for n in (CC_SUSTAIN, *CC_DATA_ENTRY):
            st.pop((CONTROL, n), None)
        bend = st.pop((PITCHWHEEL, 0), None)
        out += [cc(a, v) for (_, a), v in sorted(st.items())]
        params = list(self.parameters[channel].items())
        for (kind, msb, lsb), data in params:  # kind is the MSB select CC (101, 99); its LSB select is kind - 1
            out += [cc(kind, msb), cc(kind - 1, lsb)] + [cc(number, v) for number, v in data.items()]
        kind, msb, lsb = self._selected[channel]
        if kind is not None and msb is not None and lsb is not None:
            out += [cc(kind, msb), cc(kind - 1, lsb)]
        elif params:  # nothing complete is selected now: leave none selected (RPN null)
            out += [cc(CC_RPN_MSB, 127), cc(CC_RPN_LSB, 127)]
        if bend is not None:
            out.append(Event(0.0, PITCHWHEEL, channel, bend, 0))
        return out

    def all_notes_off(self) -> None:
        for src in self.snapshot.sources:  # retiring ones included
            for ch in range(16):
                src.send(Event(0.0, CONTROL, ch, CC_SUSTAIN, 0))
                src.send(Event(0.0, CONTROL, ch, CC_ALL_NOTES_OFF, 0))

    def play(self, events: Sequence[tuple[int, Event]] | None) -> None:
        """Start (or with None stop) playing timed events (frame offsets from now, sorted; e.g.
        :meth:`Song.events_at <server.midi.song.Song.events_at>`)."""
        self._player = MidiPlayer(events) if events else None
        if not events:
            self.all_notes_off()

    @property
    def playing(self) -> bool:
        p = self._player
        return p is not None and not p.done

    def add_tap(self, fn: Callable[[np.ndarray], None]) -> None:
        """``fn(block)`` is called on the audio thread with every output block; it must not block."""
        with self._tap_lock:
            self._taps = (*self._taps, fn)

    def remove_tap(self, fn) -> None:
        with self._tap_lock:
            self._taps = tuple(t for t in self._taps if t is not fn)

    def watch_onset(self) -> int:
        """Arm the onset detector: the next block with a non-zero sample records its frame. Returns
        the current frame count (the reference)."""
        self.first_sound_frame = None
        self._onset_event.clear()
        self._watch_from = self.frames_played
        return self.frames_played

    @property
    def latency_samples(self) -> int:
        return self.snapshot.output_latency

    def active_voices(self) -> int:
        return int(sum(getattr(s, "active_voices", 0) for s in self.snapshot.sources))

    # -- audio thread -----------------------------------------------------------------------------
    def send_frame(self, e: Event, frame: int) -> None:
        """Post an event that carries its JACK frame time (the MIDI client's thread). The callback plays
        it one period later at its exact offset (:meth:`process` with ``frame_time``): live MIDI as
        sample-accurate as a MIDI file. Controllers also go to the control side (MIDI learn) through
        :attr:`control_out`. Never blocks; beyond :data:`LIVE_QUEUE` waiting events they are dropped."""
        self.midi_in_count += 1
        q = self._frame_in
        if len(q) >= LIVE_QUEUE:
            self.stats.midi_dropped += 1
            return
        q.append((frame, e))
        if e.kind == CONTROL and len(self.control_out) < LIVE_QUEUE:  # bounded like every queue here
            self.control_out.append(e)
            if self.on_control_out is not None:
                self.on_control_out()

    def process(self, n: int, frame_time: int | None = None) -> np.ndarray:
        """One block of ``n`` frames; ``frame_time``: the JACK frame time of its first frame (events
        posted with :meth:`send_frame` are placed by it)."""
        t0 = time.perf_counter()
        snap = self.snapshot  # one read per block
        if n > self._out.shape[1]:
            self._out = np.zeros((2, n), dtype=np.float32)
            self._silence = np.zeros((2, n), dtype=np.float32)
        out = self._out[:, :n]
        out[:] = 0.0
        silence = self._silence[:, :n]

        due = None
        lead = snap.lead  # channel -> the channel whose sampler plays it (None: its own)
        player = self._player
        if player is not None:
            start, end = player.frame, player.frame + n
            evs = player.events
            i = player.pos
            if i < len(evs) and evs[i][0] < end:
                due = self._due
                while i < len(evs):
                    t, e = evs[i]
                    if t >= end:
                        break
                    due[e.channel if lead is None else lead[e.channel]].append((t - start if t > start else 0, e))
                    if e.kind != NOTE_ON:
                        self._remember(e)
                    i += 1
                player.pos = i
            player.frame = end
        live, fin = self._live_in, self._frame_in
        if fin or live:
            due = self._due
            while fin:  # JACK MIDI: one period after its frame, at its offset (frame times wrap at 2**32)
                f, e = fin[0]
                off = ((f + n - frame_time + 2**31) & 0xFFFFFFFF) - 2**31 if frame_time is not None else 0
                if off >= n:
                    break  # sent during this period: it plays in the next block
                fin.popleft()
                due[e.channel if lead is None else lead[e.channel]].append((off if off > 0 else 0, e))
                if e.kind != NOTE_ON:
                    self._remember(e)
            if live:
                t_prev = self._t_prev if self._t_prev is not None else t0
                sr = self.sample_rate
                for _ in range(len(live)):
                    t, e = live.popleft()
                    off = int((t - t_prev) * sr)
                    midi_e = (off if 0 <= off < n else (0 if off < 0 else n - 1), e)
                    due[e.channel if lead is None else lead[e.channel]].append(midi_e)
                    if e.kind != NOTE_ON:
                        self._remember(e)
            for evs in due:
                if len(evs) > 1:
                    evs.sort(key=_offset)  # stable: events at one frame keep their order
        self._t_prev = t0

        aligners = self._aligners
        for strip in snap.strips:
            if lead is not None and lead[strip.channel] != strip.channel:
                continue  # its lead's sampler plays it
            try:
                src = strip.source
                evs = due[strip.channel] if due is not None else None
                y = src.process(silence, evs) if evs else src.process(silence)
                why = getattr(src, "faulted", "")  # an instrument plugin silences itself on NaN or overruns
                if why != self._source_faults[strip.channel]:
                    self._source_faults[strip.channel] = why
                    if why:
                        self._fault(f"channel {strip.channel + 1}: instrument {getattr(src, 'name', '?')!r} {why}; "
                                    "silenced until its set is loaded again or it is reset")
                # a silent source (no voice) was not rendered: nothing to mix, and no numpy call
                # (each one on a block this size lets another thread take the GIL)
                quiet = getattr(src, "silent", False)
                for r in strip.retiring:
                    if not r.done:
                        o = self._play_retiring(r, silence, evs)
                        if o is not None:
                            if quiet:
                                y, quiet = o, False
                            else:
                                np.add(y, o, out=y)  # y: the source's own buffer, rewritten next block
                timbre = strip.timbre
                if timbre is not None and not timbre.faulted:
                    dry = y
                    y = timbre.process(y)
                    quiet = False
                    if not finite(y) or timbre.error:  # a runaway or failing model: bypassed (dry) from now on
                        why = f"failed ({timbre.error})" if timbre.error else "produced non-finite samples"
                        self._fault(f"channel {strip.channel}: timbre model {strip.timbre_name!r} {why}; "
                                    "bypassed until it is reloaded or replaced")
                        timbre.faulted = why
                        y = dry
                        # dry now: keep it aligned (its plugin slots still delay it)
                        aligners[strip.channel].target = snap.latency_samples - slots_latency(strip.plugins)
                        try:
                            timbre.reset()
                        except Exception:  # a broken model stays bypassed
                            pass
                if strip.plugins:  # run even on silence: a reverb or delay plugin rings on
                    o = self._run_slots(strip.plugins, y, f"channel {strip.channel}")
                    if o is not y:  # a slot played (all bypassed: y unchanged, and still quiet if it was)
                        y, quiet = o, False
                fx = strip.fx
                if fx.pending:
                    fx.apply_posted()
                if fx.any_on:
                    # an effect chain fed silence whose output has been silent longer than any tail
                    # (2 s delay line, reverb) sleeps until sound arrives again
                    if quiet or not y.any():
                        if fx.quiet_frames >= fx.sleep_after:
                            y = None
                        else:
                            y = fx.process(y)
                            fx.quiet_frames = 0 if np.abs(y).max() > 1e-7 else fx.quiet_frames + n
                    else:
                        fx.quiet_frames = 0
                        y = fx.process(y)
                    if y is not None and not finite(y):
                        self._fault(f"channel {strip.channel}: the effect chain produced non-finite samples; "
                                    "its state was reset")
                        fx.reset()
                        y = None
                elif quiet:
                    y = None
                al = aligners[strip.channel]  # delays the channel to the graph's latency
                if al.delay or al.target or al.pending:
                    al.mix(y, out)
                elif y is not None:
                    out += y
            except Exception as exc:  # a broken strip goes silent; the others play on
                self.stats.strip_errors += 1
                if self.stats.strip_errors == 1:
                    self.last_error = f"channel {strip.channel}: {type(exc).__name__}: {exc}"
        if due is not None:
            for evs in due:
                evs.clear()
        if self._raw:
            if not finite(out):
                self._fault("the channel mix held non-finite samples; the block was silenced")
                out[:] = 0.0
            return self._done(out, snap, t0)
        if self.master_gain != 1.0:
            out *= self.master_gain
        if not finite(out):  # a sampler or a strip past its own checks: nothing of it reaches the master
            self._fault("the channel mix held non-finite samples; the block was silenced")
            out[:] = 0.0
        y = snap.master_fx.process(out)
        if not finite(y):
            self._fault("the master effect chain produced non-finite samples; its state was reset")
            snap.master_fx.reset()
            y = self._silence[:, :n]
        if snap.master_plugins:
            y = self._run_slots(snap.master_plugins, y, "master")
        y = self._limiter.process(y, self.sample_rate, reset=False)
        if not finite(y):  # never expected (its input is finite); the limiter's state would latch
            self._fault("the master limiter produced non-finite samples; it was reset")
            self._limiter.reset()
        y = self.safety.process(y)  # silence for a non-finite block, DC blocker, hard ceiling
        return self._done(y, snap, t0)

    def _done(self, y: np.ndarray, snap: Snapshot, t0: float) -> np.ndarray:
        """Audio thread: the end of a block (onset watch, taps, epoch acknowledgement, stats)."""
        n = y.shape[1]
        if self._watch_from is not None and self.first_sound_frame is None:
            nz = np.flatnonzero(np.abs(y[0]) + np.abs(y[1]) > 1e-6)
            if nz.size:
                self.first_sound_frame = self.frames_played + int(nz[0])
                self._watch_from = None
                self._onset_event.set()
        for tap in self._taps:
            tap(y)
        self.frames_played += n
        self.acked_version = snap.version  # objects of older snapshots are free to be closed

        st = self.stats
        load = (time.perf_counter() - t0) * self.sample_rate / n
        st.blocks += 1
        st.frames += n
        st.last_load = load
        st.loads.append(load)
        if load > st.max_load:
            st.max_load = load
        if load > 1.0:
            st.late_blocks += 1
        return y

    def _run_slots(self, slots, y: np.ndarray, where: str) -> np.ndarray:
        """Audio thread: ``y`` through the plugin slots that play. A slot whose output is non-finite, or
        (live) that alone took longer than the block's duration :data:`SLOT_OVERRUN_BLOCKS` blocks in a
        row, is bypassed from then on (its input passes) and reported; the channels are re-aligned."""
        budget = y.shape[1] / self.sample_rate
        for slot in slots:
            if slot.bypass or slot.faulted:
                continue
            t = time.perf_counter()
            o = slot.process(y)
            why = ""
            if not self.freewheel and time.perf_counter() - t > budget:  # slower than real time on its own
                slot.overruns = getattr(slot, "overruns", 0) + 1
                if slot.overruns >= SLOT_OVERRUN_BLOCKS:
                    why = f"took longer than the block's duration {SLOT_OVERRUN_BLOCKS} blocks in a row"
            elif getattr(slot, "overruns", 0):
                slot.overruns = 0
            if not finite(o):
                why = "produced non-finite samples"
            elif not why:
                y = o
                continue
            slot.faulted = why
            self._fault(f"{where}: plugin {slot.name!r} {why}; bypassed until it is removed or played again "
                        "(/wave/plugin/bypass ... 0)")
            snap = self.snapshot
            total = snap.latency_samples  # its latency is gone: keep the channels aligned
            for strip in snap.strips:
                self._aligners[strip.channel].target = total - strip.latency_samples
        return y

    def _fault(self, what: str) -> None:
        """Audio thread: count and queue a fault for the control side to report."""
        self.stats.nonfinite_blocks += 1
        self.faults.append(what)

    def _play_retiring(self, r: Retiring, silence: np.ndarray, evs) -> np.ndarray | None:
        """One block of a retiring sampler (None when it was silent); marks it done once it has
        stayed without voices for :data:`RETIRE_QUIET_BLOCKS` blocks."""
        src = r.source
        r.frames += silence.shape[1]
        if r.frames > RETIRE_MAX_S * self.sample_rate and not r.released:
            r.release()  # a note held that long after a swap is let go: memory stays bounded
        if evs:
            evs = [(t, e) for t, e in evs if e.kind != NOTE_ON]
        o = src.process(silence, evs) if evs else src.process(silence)
        if src.active_voices:
            r.quiet = 0
        else:
            r.quiet += 1
            if r.quiet >= RETIRE_QUIET_BLOCKS:
                r.done = True
        return None if getattr(src, "silent", False) else o

    def driver_late(self, count: int = 1) -> None:
        """A driver reports blocks its host delivered late (xrun/underflow/paced thread behind)."""
        self.stats.driver_late += count
        self.stats.late_blocks += count
