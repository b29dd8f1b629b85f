"""A reference MIDI player for tests: a song through one FluidSynthSource with each event at its exact sample.

``wave render`` and the live server play songs through the engine's MIDI player
(:class:`server.live.engine.Engine`); this is an independent model of what that player must do, kept small
enough to read: each block applies the song's events at their frame offsets (``round(time * rate)``), a
routing switch re-routes its channel just before its event, and after the last event every note and the
sustain pedal are released. Tests compare the engine's output with it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from server.engine.fluid import CC_ALL_NOTES_OFF, CC_SUSTAIN, FluidSynthSource
from server.midi.song import CONTROL, Event, Song


class SongPlayer:
    """A Processor (``prepare / process / reset``) playing ``song`` through ``source``, sample-accurately.

    ``switches``: ``{index in song.events: (channel, index of the font in source.soundfonts)}`` (a
    :class:`server.render.render.Routing`); ``initial`` routes are applied again on :meth:`reset`.
    """

    latency_samples = 0

    def __init__(self, song: Song, source: FluidSynthSource, switches: Mapping[int, tuple[int, int]] | None = None,
                 initial: Mapping[int, int] | None = None) -> None:
        self.song = song
        self.source = source
        self.sample_rate = source.sample_rate
        self._switches = dict(switches or {})
        self._initial = dict(initial or {})
        self._events: list[Event] = []
        self._i = 0
        self.pos = 0

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        self.source.prepare(sample_rate, max_block, channels)
        self.sample_rate = sample_rate
        release = [Event(self.song.duration, CONTROL, ch, cc, 0) for ch in range(16)
                   for cc in (CC_SUSTAIN, CC_ALL_NOTES_OFF)]
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
        evs, i, sr = self._events, self._i, self.sample_rate
        out = self._buf[:, :n]
        cut = 0  # frames of this block already rendered
        due = []
        while i < len(evs):
            s = round(evs[i].time * sr)
            if s >= end:
                break
            off = max(s - start, 0)
            if i in self._switches:  # render up to here, re-route, go on
                self.source.render(out[:, cut:off], [(o - cut, e) for o, e in due])
                due, cut = [], off
                self._route(*self._switches[i])
            due.append((off, evs[i]))
            i += 1
        self._i = i
        self.source.render(out[:, cut:], [(o - cut, e) for o, e in due])
        self.pos = end
        return out
