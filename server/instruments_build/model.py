"""The in-memory instrument that the writers turn into SFZ and SF2.

A :class:`Zone` is one sample mapped to a key and velocity range, with its loop and envelope; an
:class:`Instrument` is the zones of one role plus what the builder measured on the way (root
pitch, its confidence and method, drum hit features), so reports and tests can check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ONE_SHOT = "one_shot"
LOOP_CONTINUOUS = "loop_continuous"
NO_LOOP = "no_loop"
LOOP_MODES = (ONE_SHOT, LOOP_CONTINUOUS, NO_LOOP)


@dataclass(frozen=True)
class Envelope:
    """Amplitude envelope in seconds (``sustain`` is a level 0-1), shared by SFZ and SF2."""

    attack: float = 0.002
    hold: float = 0.0
    decay: float = 0.0
    sustain: float = 1.0
    release: float = 0.3


@dataclass
class Zone:
    """One mono sample played over ``lokey..hikey`` and ``lovel..hivel``.

    ``loop_start``/``loop_end`` are sample indices with ``loop_end`` exclusive (the loop is
    ``audio[loop_start:loop_end]``); the SFZ writer converts to SFZ's inclusive ``loop_end``.
    ``tune_cents`` corrects a root that is not exactly on ``root_key``.
    """

    name: str
    audio: np.ndarray  # float32 (frames,)
    sample_rate: int
    root_key: int
    lokey: int
    hikey: int
    lovel: int = 1
    hivel: int = 127
    loop_mode: str = NO_LOOP
    loop_start: int = 0
    loop_end: int = 0
    tune_cents: float = 0.0
    volume_db: float = 0.0
    envelope: Envelope = field(default_factory=Envelope)
    exclusive_group: int = 0  # hats choke each other (SFZ group/off_by, SF2 exclusiveClass)
    pitch_tracking: bool = True  # False for drums: every key plays its sample unshifted

    def __post_init__(self) -> None:
        self.audio = np.ascontiguousarray(self.audio, dtype=np.float32).reshape(-1)
        if self.loop_mode not in LOOP_MODES:
            raise ValueError(f"loop_mode {self.loop_mode!r} is not one of {LOOP_MODES}")
        if not 0 <= self.lokey <= self.hikey <= 127:
            raise ValueError(f"key range {self.lokey}-{self.hikey} is not within 0-127")
        if not 1 <= self.lovel <= self.hivel <= 127:
            raise ValueError(f"velocity range {self.lovel}-{self.hivel} is not within 1-127")
        if self.loop_mode == LOOP_CONTINUOUS and not 0 <= self.loop_start < self.loop_end <= len(self.audio):
            raise ValueError(f"loop {self.loop_start}-{self.loop_end} lies outside {len(self.audio)} frames")


@dataclass
class Instrument:
    """The zones of one role and what was measured while building them."""

    name: str
    role: str
    zones: list[Zone]
    sample_rate: int
    info: dict = field(default_factory=dict)

    @property
    def key_range(self) -> tuple[int, int]:
        return min(z.lokey for z in self.zones), max(z.hikey for z in self.zones)
