"""A VST3 instrument (macOS: an Audio Unit instrument) as a channel's source, in place of the sampler,
through pedalboard's MIDI rendering call.

It has the sampler's source interface (:class:`server.engine.fluid.FluidSynthSource`), as the LV2
instrument has (:class:`server.plugins.instrument.LV2Instrument`): ``send`` posts an event from any
thread (played at the start of the next block), ``process(block, events)`` renders a block with
``events`` at their frame offsets, ``active_voices``, ``silent``, ``prepare``, ``reset``, ``close``. The
plugin, its parameters and its state are :class:`server.plugins.vst3.ExternalPlugin`'s (``set``,
``values``, ``state``/``restore`` with the plugin's own ``raw_state``), and the bundle is probed in a
child process before it is loaded here.

Timing: each block is one call of ``plugin(midi_messages, duration=..., sample_rate=...,
num_channels=..., buffer_size=max_block, reset=False)``; an event at frame offset ``k`` is stamped
``(k + 0.5) / sample_rate`` seconds, which pedalboard turns back into sample ``k`` of the block
(it truncates ``seconds * sample_rate``), so the plugin sees it on that frame. Events go on MIDI
channel 1 whatever channel they came on: the instance is the channel's own instrument.

Faults: a block with a non-finite sample, or (live, not ``freewheel``) :data:`OVERRUN_BLOCKS` blocks in a
row each slower than the block's duration, bypasses the instrument: it is silent from then on,
``faulted`` says why and ``faults`` counts it, and it is logged once. A reload of the channel's set (or
:meth:`reset`) plays it again.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..midi.song import CONTROL, NOTE_OFF, NOTE_ON, Event
from .instrument import CC_ALL_NOTES_OFF, CC_ALL_SOUND_OFF, midi_bytes
from .vst3 import ExternalInfo, ExternalPlugin, instrument_channels

log = logging.getLogger(__name__)

__all__ = ["OVERRUN_BLOCKS", "VST3Instrument", "load", "message"]

OVERRUN_BLOCKS = 8  # as the engine's plugin slots (server.live.engine.SLOT_OVERRUN_BLOCKS)


def message(e: Event) -> bytes:
    """The event's MIDI bytes on channel 1 (empty for a kind MIDI has no message for)."""
    word, size = midi_bytes(e)
    return word.to_bytes(4, "little")[:size]


class VST3Instrument(ExternalPlugin):
    """A VST3/AU instrument plugin as a channel's sound source. Control/loader thread: construction,
    ``prepare``, ``set``, ``restore``, ``reset``, ``close``. Any thread: ``send``. Audio thread:
    ``process``."""

    plays_midi = True
    silent = False  # a synth may ring after its keys are up: the engine always mixes it
    freewheel = False  # offline (a bounce): a slow instrument is waited for, never bypassed

    def __init__(self, path: str | os.PathLike[str], name: str | None = None, *,
                 info: ExternalInfo | None = None, probe_first: bool = True) -> None:
        super().__init__(path, name, info=info, probe_first=probe_first)
        if not self.info.instrument or not self._plugin.is_instrument:
            self.close()
            raise InputError(f"plugin {self.info.name!r} ({self.info.uri}) takes no MIDI, so it cannot play a "
                             "channel; an audio effect goes into an insert slot (/wave/plugin/load)")
        self._events: collections.deque[Event] = collections.deque()
        self._held: set[int] = set()
        self._channels = int(self.info.channels)
        self.faults = 0
        self.overruns = 0

    # -- control / loader thread ------------------------------------------------------------------
    def _prepare_here(self) -> None:
        plug = self._plugin
        self._channels = instrument_channels(plug, repr(self.name), self.sample_rate, self.max_block)
        self.latency_samples = max(0, int(plug.reported_latency_samples))

    def reset(self) -> None:
        """Silence the instrument (all sound off, all notes off, sustain up on its next block) and play
        it again after a fault; its settings stay. Control thread. Not pedalboard's reset: for a plugin
        whose voices outlive a reset that re-creates the plugin, which DPF-built plugins do not always
        survive; a plugin whose own state went bad is made anew by loading the channel's set again."""
        self._held.clear()
        self._events.clear()
        for cc in (CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF, 64):
            self._events.append(Event(0.0, CONTROL, 0, cc, 0))
        self.overruns = 0
        self.faulted = ""

    # -- any thread ---------------------------------------------------------------------------------
    def send(self, event: Event) -> None:
        """Post an event (any thread); it is played at the start of the next block."""
        self._events.append(event)

    def all_notes_off(self) -> None:
        for cc in (64, CC_ALL_NOTES_OFF):
            self._events.append(Event(0.0, CONTROL, 0, cc, 0))

    @property
    def active_voices(self) -> int:
        """Keys held now (a synth's release tail after note-off is not counted)."""
        return len(self._held)

    # -- audio thread -----------------------------------------------------------------------------
    def _track(self, e: Event) -> None:
        k = e.kind
        if k == NOTE_ON and e.b > 0:
            self._held.add(e.a)
        elif k == NOTE_OFF or k == NOTE_ON:
            self._held.discard(e.a)
        elif k == CONTROL and e.a in (CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF):
            self._held.clear()

    def process(self, block: np.ndarray, events=()) -> np.ndarray:
        """Render ``block.shape[1]`` frames (the input is not used), posted events first, then ``events``
        (sorted (offset, Event) pairs) at their frame offsets; (2, n) float32. Audio thread."""
        n = block.shape[1]
        if self._inbox:
            self._apply_posted()
        sr = self.sample_rate
        msgs = []
        posted = self._events
        while posted:
            e = posted.popleft()
            b = message(e)
            if b:
                self._track(e)
                msgs.append((b, 0.5 / sr))
        for offset, e in events:
            b = message(e)
            if b:
                self._track(e)
                msgs.append((b, (min(max(int(offset), 0), n - 1) + 0.5) / sr))
        if self.faulted:
            return np.zeros((2, n), dtype=np.float32)
        t = time.perf_counter()
        out = self._plugin(msgs, duration=(n + 0.5) / sr, sample_rate=float(sr), num_channels=self._channels,
                           buffer_size=self.max_block, reset=False)
        why = ""
        if not self.freewheel and time.perf_counter() - t > n / sr:
            self.overruns += 1
            if self.overruns >= OVERRUN_BLOCKS:
                why = f"took longer than the block's duration {OVERRUN_BLOCKS} blocks in a row"
        elif self.overruns:
            self.overruns = 0
        if not np.isfinite(out).all():
            why = "produced non-finite samples"
        if why:
            self.faulted = why
            self.faults += 1
            self._held.clear()
            log.warning("instrument %r %s; silent until its channel's set is loaded again", self.name, why)
            return np.zeros((2, n), dtype=np.float32)
        if out.shape[0] == 2 and out.shape[1] == n:
            return out
        full = np.zeros((2, n), dtype=np.float32)  # a mono instrument on both sides; the length kept
        m = min(out.shape[1], n)
        full[:, :m] = out[:, :m] if out.shape[0] == 2 else out[0, :m]
        return full


def load(path: Path, name: str | None = None, *, state: dict | None = None, sample_rate: int = 48000,
         block: int = 512) -> VST3Instrument:
    """A prepared instrument for the (resolved, confined) bundle ``path``, with ``state`` (from
    :meth:`VST3Instrument.state`) restored first. Loader thread."""
    inst = VST3Instrument(path, name)
    try:
        if state:
            inst.restore(dict(state))
        inst.prepare(sample_rate, block, 2)
    except BaseException:
        inst.close()
        raise
    return inst

