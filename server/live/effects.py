"""The effect chain of a channel strip (and of the master): pedalboard plugins in a fixed order.

One table (:data:`EFFECTS`) names every effect, its pedalboard class and its parameters with ranges
and defaults; it drives OSC validation, MIDI learn scaling and ``docs/osc.md``.

Threads: :class:`EffectChain` is built on the control thread. Parameter changes and on/off switches
are *posted* (:meth:`EffectChain.post_set`) and applied by the audio thread at the start of a block,
so a plugin is never changed while it processes.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class Param:
    name: str
    lo: float
    hi: float
    default: float

    def check(self, effect: str, value: float) -> float:
        v = float(value)
        if not np.isfinite(v) or v < self.lo or v > self.hi:
            raise InputError(f"{effect}.{self.name}={value!r} is out of range; use {self.lo:g} … {self.hi:g}")
        return v

    def scale(self, unit: float) -> float:
        """Map 0..1 (a CC / 127) onto the range."""
        return self.lo + (self.hi - self.lo) * min(1.0, max(0.0, float(unit)))


@dataclass(frozen=True)
class EffectSpec:
    name: str
    cls: str  # pedalboard class name
    params: tuple[Param, ...]
    doc: str = ""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise InputError(
            f"effect {self.name!r} has no parameter {name!r}; it has {', '.join(p.name for p in self.params)}"
        )


EFFECTS: tuple[EffectSpec, ...] = (
    EffectSpec("compressor", "Compressor", (Param("threshold_db", -60.0, 0.0, -18.0), Param("ratio", 1.0, 20.0, 4.0),
                                             Param("attack_ms", 0.1, 100.0, 5.0),
                                             Param("release_ms", 5.0, 1000.0, 100.0))),
    EffectSpec("distortion", "Distortion", (Param("drive_db", 0.0, 60.0, 12.0),)),
    EffectSpec("lowpass", "LowpassFilter", (Param("cutoff_frequency_hz", 20.0, 20000.0, 20000.0),)),
    EffectSpec("chorus", "Chorus", (Param("rate_hz", 0.05, 10.0, 1.0), Param("depth", 0.0, 1.0, 0.25),
                                     Param("mix", 0.0, 1.0, 0.5))),
    EffectSpec("delay", "Delay", (Param("delay_seconds", 0.01, 2.0, 0.25), Param("feedback", 0.0, 0.95, 0.3),
                                   Param("mix", 0.0, 1.0, 0.3))),
    EffectSpec("reverb", "Reverb", (Param("room_size", 0.0, 1.0, 0.5), Param("damping", 0.0, 1.0, 0.5),
                                     Param("wet_level", 0.0, 1.0, 0.33), Param("dry_level", 0.0, 1.0, 0.4))),
)
EFFECT_BY_NAME = {e.name: e for e in EFFECTS}


def effect_spec(name: str) -> EffectSpec:
    try:
        return EFFECT_BY_NAME[name]
    except KeyError:
        raise InputError(f"unknown effect {name!r}; use one of {', '.join(EFFECT_BY_NAME)}") from None


class EffectChain:
    """The :data:`EFFECTS` in order, each on or off. A Processor (stereo)."""

    latency_samples = 0

    def __init__(self) -> None:
        import pedalboard

        self.plugins = {}
        for spec in EFFECTS:
            plug = getattr(pedalboard, spec.cls)()
            for p in spec.params:
                setattr(plug, p.name, p.default)
            self.plugins[spec.name] = plug
        self.values: dict[str, dict[str, float]] = {s.name: {p.name: p.default for p in s.params} for s in EFFECTS}
        self.on: dict[str, bool] = {s.name: False for s in EFFECTS}
        self._active: tuple = ()
        self._on_audio = dict(self.on)  # the audio thread's copy
        self._inbox: collections.deque = collections.deque()
        self.sample_rate = 48000
        self.quiet_frames = 0  # audio thread: frames of silence in and out (see Engine.process)
        self.sleep_after = int(2.5 * self.sample_rate)

    # -- control thread ---------------------------------------------------------------------------
    def post_set(self, effect: str, param: str, value: float, *, switch_on: bool = True) -> float:
        """Validate and queue a parameter change; returns the value. Any thread."""
        v = effect_spec(effect).param(param).check(effect, value)
        self.values[effect][param] = v
        self._inbox.append((effect, param, v))
        if switch_on and not self.on[effect]:
            self.post_enable(effect, True)
        return v

    def post_enable(self, effect: str, on: bool) -> None:
        effect_spec(effect)
        self.on[effect] = bool(on)
        self._inbox.append((effect, None, bool(on)))

    @property
    def any_on(self) -> bool:
        """Audio thread's view: is any effect switched on?"""
        return bool(self._active)

    def state(self) -> dict:
        return {name: {"on": self.on[name], **self.values[name]} for name in self.on}

    def restore(self, state: dict) -> None:
        for name, d in state.items():
            spec = effect_spec(name)
            for p in spec.params:
                if p.name in d:
                    self.post_set(name, p.name, d[p.name], switch_on=False)
            self.post_enable(name, bool(d.get("on", False)))

    # -- audio thread -----------------------------------------------------------------------------
    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        self.sample_rate = int(sample_rate)
        self.sleep_after = int(2.5 * self.sample_rate)  # longer than the longest delay (2 s)
        self.apply_posted()

    @property
    def pending(self) -> bool:
        return bool(self._inbox)

    def apply_posted(self) -> None:
        """Audio thread: apply posted parameter changes and switches."""
        changed = False
        inbox = self._inbox
        while inbox:
            effect, param, v = inbox.popleft()
            if param is None:
                self._on_audio[effect] = v
                changed = True
            else:
                setattr(self.plugins[effect], param, v)
        if changed:
            self._active = tuple(self.plugins[s.name] for s in EFFECTS if self._on_audio[s.name])

    def process(self, block: np.ndarray) -> np.ndarray:
        if self._inbox:
            self.apply_posted()
        for plug in self._active:
            block = plug.process(block, self.sample_rate, reset=False)
        return block

    def reset(self) -> None:
        for plug in self.plugins.values():
            plug.reset()
