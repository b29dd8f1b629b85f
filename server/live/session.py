"""Session state: loaded sets, routing, effect settings, timbre settings, plugin slots, instrument plugins' state
and the MIDI-learn map.

Saved as JSON (atomically) whenever it changes, restored when ``wave serve`` starts. Reading is
strict about types and lenient about missing keys (a session from an older version still loads).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError
from ..paths import atomic_path

log = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class Learned:
    midi_channel: int
    cc: int
    target: int  # effect channel, -1 = master
    effect: str
    param: str


@dataclass
class Session:
    sets: dict[int, str] = field(default_factory=dict)  # channel -> set name ("gm" = default)
    fx: dict[int, dict] = field(default_factory=dict)  # channel (-1 master) -> EffectChain.state()
    timbre: dict[int, dict] = field(default_factory=dict)  # channel -> {"model": name, "wet": x}
    master_gain_db: float = 0.0
    learn: list[Learned] = field(default_factory=list)
    # channel (-1 master) -> plugin slots in order: {"uri", "source" (URI or bundle path as loaded),
    # "values": {port symbol: value}, "bypass": bool}
    plugins: dict[int, list[dict]] = field(default_factory=dict)
    # channel -> the state of the instrument plugin playing it (an LV2 or VST3 source's state(): its control
    # values and, where the plugin has one, its own saved state), restored into the new instance at start
    source_state: dict[int, dict] = field(default_factory=dict)

    def to_json(self) -> str:
        d = asdict(self)
        d["version"] = VERSION
        d["sets"] = {str(k): v for k, v in self.sets.items()}
        d["fx"] = {str(k): v for k, v in self.fx.items()}
        d["timbre"] = {str(k): v for k, v in self.timbre.items()}
        d["plugins"] = {str(k): v for k, v in self.plugins.items()}
        d["source_state"] = {str(k): v for k, v in self.source_state.items()}
        return json.dumps(d, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, source: str = "session") -> Session:
        try:
            d = json.loads(text)
            if not isinstance(d, dict):
                raise TypeError("not a JSON object")
            return cls(
                sets={int(k): str(v) for k, v in d.get("sets", {}).items()},
                fx={int(k): dict(v) for k, v in d.get("fx", {}).items()},
                timbre={int(k): dict(v) for k, v in d.get("timbre", {}).items()},
                master_gain_db=float(d.get("master_gain_db", 0.0)),
                learn=[Learned(**x) for x in d.get("learn", [])],
                plugins={int(k): [dict(x) for x in v] for k, v in d.get("plugins", {}).items()},
                source_state={int(k): dict(v) for k, v in d.get("source_state", {}).items()},
            )
        except (ValueError, TypeError) as exc:
            raise InputError(f"{source}: not a WAVE session file ({exc}); move it away to start fresh") from exc

    def save(self, path: str | os.PathLike[str]) -> None:
        with atomic_path(path) as tmp:
            Path(tmp).write_text(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Session:
        p = Path(path)
        if not p.is_file():
            return cls()
        return cls.from_json(p.read_text(), source=str(p))
