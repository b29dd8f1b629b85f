"""An LV2 instrument (a synth taking MIDI on an atom port) as a channel's source, in place of the sampler.

It has the sampler's source interface (:class:`server.engine.fluid.FluidSynthSource`): ``send`` posts an
event from any thread (applied at the start of the next block), ``process(block, events)`` renders a
block with ``events`` at their frame offsets, ``active_voices``, ``silent``, ``prepare``, ``close``.
Events are written into the plugin's MIDI input as an LV2 atom sequence (each event at its frame), on
MIDI channel 1 whatever channel they came on: the instance is the channel's own instrument.

State: :meth:`LV2Instrument.state` holds the control values and, for a plugin with the LV2 state
extension (setBfree: its whole organ configuration, drawbars and all), the plugin's own state as Turtle
text under :data:`server.plugins.lv2.STATE_KEY`, saved through the same binding as the effect slots';
:meth:`LV2Instrument.restore` puts it back into the next instance before it is activated.
"""

from __future__ import annotations

import collections
import logging

import numpy as np

from ..errors import InputError
from ..midi.song import AFTERTOUCH, CONTROL, NOTE_OFF, NOTE_ON, PITCHWHEEL, POLYTOUCH, PROGRAM, Event
from .lv2 import (
    ATOM,
    ATOM_CAPACITY,
    MIDI_EVENT,
    PROVIDED,
    STATE_KEY,
    PluginInfo,
    World,
    _Instance,
    default_world,
    restore_saved,
    urid,
)

log = logging.getLogger(__name__)

EVENT_WORDS = 6  # one MIDI event in a sequence: frames (int64), atom size + type, 3 bytes padded to 8
MAX_EVENTS = (ATOM_CAPACITY - 16) // (4 * EVENT_WORDS)  # per block; more are carried to the next block
CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF = 120, 123


def midi_bytes(e: Event) -> tuple[int, int]:
    """(the event's bytes packed little-endian into one word, its length) on MIDI channel 1; (0, 0) for
    a kind MIDI has no message for."""
    k = e.kind
    if k == NOTE_ON:
        return 0x90 | (e.a & 127) << 8 | (e.b & 127) << 16, 3
    if k == NOTE_OFF:
        return 0x80 | (e.a & 127) << 8, 3
    if k == CONTROL:
        return 0xB0 | (e.a & 127) << 8 | (e.b & 127) << 16, 3
    if k == PROGRAM:
        return 0xC0 | (e.a & 127) << 8, 2
    if k == PITCHWHEEL:
        v = min(max(int(e.a) + 8192, 0), 16383)
        return 0xE0 | (v & 127) << 8 | (v >> 7) << 16, 3
    if k == AFTERTOUCH:
        return 0xD0 | (e.a & 127) << 8, 2
    if k == POLYTOUCH:
        return 0xA0 | (e.a & 127) << 8 | (e.b & 127) << 16, 3
    return 0, 0


class LV2Instrument:
    """An LV2 instrument plugin as a channel's sound source. Control thread: construction, ``prepare``,
    ``set``, ``close``. Any thread: ``send``. Audio thread: ``process``."""

    latency_samples = 0

    def __init__(self, plugin: str | PluginInfo, *, world: World | None = None) -> None:
        self.world = world or default_world()
        info = plugin if isinstance(plugin, PluginInfo) else self.world.info(plugin)
        if info.unsupported:
            raise InputError(f"LV2 plugin {info.name!r} ({info.uri}) requires host features WAVE does not provide: "
                             f"{', '.join(info.unsupported)}; WAVE provides {', '.join(PROVIDED)}")
        midi = [p for p in info.ports if p.midi]
        if not midi:
            raise InputError(f"LV2 plugin {info.name!r} takes no MIDI, so it cannot play a channel; an audio "
                             "effect goes into an insert slot (/wave/plugin/load)")
        if not info.audio_out:
            raise InputError(f"LV2 plugin {info.name!r} has no audio output")
        self.info, self.name = info, info.name
        self._midi_port = midi[0].index
        self.values: dict[str, float] = {p.symbol: p.default for p in info.params}
        self._params: collections.deque[tuple[int, float]] = collections.deque()
        self._inbox: collections.deque[Event] = collections.deque()
        self._carry: list[Event] = []  # events beyond one block's sequence capacity
        self._held: set[int] = set()  # keys held now (audio thread): ``active_voices``
        self._inst: _Instance | None = None
        self._out = np.zeros((2, 0), dtype=np.float32)
        self._config: tuple[int, int] | None = None
        self.silent = False
        self._state_text: str | None = None  # LV2 state to restore into the next instance
        self._midi = urid(MIDI_EVENT)
        self._seq_type = urid(ATOM + "Sequence")

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        if self._config == (int(sample_rate), int(max_block)):
            return
        self.close()
        inst = _Instance(self.world, self.info, int(sample_rate), int(max_block))
        for sym, v in self.values.items():
            inst.ctrl[self.info.param(sym).index] = v
        if self._state_text and self.info.state:
            try:
                self.world.restore_state(self.info.uri, inst, self._state_text)
            except InputError as exc:
                log.warning("%s; restoring its control values only", exc)
        inst.activate()
        if inst._worker is not None:
            inst.work()  # jobs scheduled while it was instantiated (loading its tables)
        self._inst, self._config = inst, (int(sample_rate), int(max_block))
        self._seq = inst.atom_rows[self._midi_port]
        self._out = np.zeros((2, max_block), dtype=np.float32)
        self.max_block = int(max_block)
        if self._state_text and self.info.state:
            # setBfree takes a restored state in at its first run: one block of silence, so the first
            # note already plays the restored sound
            self._seq[0], self._seq[1] = 8, self._seq_type
            inst.run(int(max_block))

    def set(self, param: str, value: float) -> float:
        """Validate and post a control value (any thread)."""
        p, v = self.info.check(param, value)
        self.values[p.symbol] = v
        self._params.append((p.index, v))
        return v

    def send(self, event: Event) -> None:
        """Post an event (any thread); it is played at the start of the next block."""
        self._inbox.append(event)

    def all_notes_off(self) -> None:
        for cc in (64, CC_ALL_NOTES_OFF):
            self._inbox.append(Event(0.0, CONTROL, 0, cc, 0))

    @property
    def active_voices(self) -> int:
        """Keys held now (a synth's release tail after note-off is not counted)."""
        return len(self._held)

    def _put(self, k: int, offset: int, e: Event) -> int:
        word, size = midi_bytes(e)
        if not size:
            return k
        kind = e.kind
        if kind == NOTE_ON and e.b > 0:
            self._held.add(e.a)
        elif kind == NOTE_OFF or kind == NOTE_ON:
            self._held.discard(e.a)
        elif kind == CONTROL and e.a in (CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF):
            self._held.clear()
        w = self._seq
        base = 4 + EVENT_WORDS * k
        w[base] = offset
        w[base + 1] = 0
        w[base + 2] = size
        w[base + 3] = self._midi
        w[base + 4] = word
        w[base + 5] = 0
        return k + 1

    def process(self, block: np.ndarray, events=()) -> np.ndarray:
        """Render ``block.shape[1]`` frames (the input is not used), posted events first, then ``events``
        (sorted (offset, Event) pairs) at their offsets. Audio thread."""
        inst = self._inst
        n = block.shape[1]
        while self._params:
            i, v = self._params.popleft()
            inst.ctrl[i] = v
        k = 0
        if self._carry:
            carry, self._carry = self._carry, []
            for e in carry:
                if k < MAX_EVENTS:
                    k = self._put(k, 0, e)
                else:
                    self._carry.append(e)
        inbox = self._inbox
        while inbox:
            e = inbox.popleft()
            if k < MAX_EVENTS:
                k = self._put(k, 0, e)
            else:
                self._carry.append(e)
        for offset, e in events:
            if k < MAX_EVENTS:
                k = self._put(k, min(max(int(offset), 0), n - 1), e)
            else:
                self._carry.append(e)
        seq = self._seq
        seq[0] = 8 + 4 * EVENT_WORDS * k  # the sequence's body: {unit, pad} and the events
        seq[1] = self._seq_type
        inst.run(n)
        seq[0] = 8
        out = self._out
        outs = inst.outs
        if outs.shape[0] >= 2:
            out[0, :n] = outs[0, :n]
            out[1, :n] = outs[1, :n]
        else:
            out[0, :n] = outs[0, :n]
            out[1, :n] = outs[0, :n]
        return out[:, :n]

    def reset(self) -> None:
        cfg = self._config
        if cfg is not None:
            if self.info.state and self._inst is not None:  # the new instance keeps what this one holds
                self._state_text = self.world.save_state(self.info.uri, self._inst) or self._state_text
            self.close()
            self.prepare(*cfg)
        self._held.clear()

    def state(self) -> dict:
        """The control values by port symbol and, for a plugin with the LV2 state extension that saved
        something, its own state as text under :data:`STATE_KEY`. Control thread (LV2 lets a plugin
        save while it runs)."""
        d: dict = dict(self.values)
        text = self._state_text
        if self.info.state and self._inst is not None:
            text = self.world.save_state(self.info.uri, self._inst) or text
        if text:
            d[STATE_KEY] = text
        return d

    def restore(self, values: dict) -> None:
        """Saved values from :meth:`state` (loader thread): the LV2 state goes into the next instance
        (:meth:`prepare` or :meth:`reset`), the control values are set; a name the plugin no longer has
        is skipped with a warning."""
        restore_saved(self, values)

    def close(self) -> None:
        inst, self._inst = self._inst, None
        if inst is not None:
            inst.free()
        self._config = None


__all__ = ["LV2Instrument", "midi_bytes"]
