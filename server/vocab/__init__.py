"""The sound vocabulary: what every COCO and ImageNet class sounds like (one data file, one schema).

``vocabulary.json`` holds three tables:

* ``sources``: sound kinds (``dog``, ``violin``, ``vacuum cleaner``, ``wind`` ...), each with a display
  name, material, group (animals, instruments, vehicles, household, tools, sports, people, ambience)
  and two or more *play methods*. A play method has timbre words, the instrument role it suits,
  the builtin ``sound_model`` that renders it (:data:`SOUND_MODELS`), the AudioSet classes it should
  be heard as (display names exactly as in the AudioSet ontology) and, for ``gm_instrument``, a
  General MIDI program (0-127) or ``gm_drums: true``.
* ``coco``: the 80 COCO labels (as SSD-MobileNet, YOLO and DETR name them), each mapped to a source
  (with its own display name and the sources that *specialise* it, e.g. ``bird`` covers ``owl``)
  or listed as silent.
* ``imagenet``: the 1000 ILSVRC-2012 classes by index, each mapped to a source with a display name
  (``Siberian husky`` is a ``dog``, ``lion`` a ``big cat``) or listed as silent.

The scene step names things with it (``server.scene``); the sounds step renders them with it. The
file is validated on load by the pydantic schema below; a broken file raises :class:`ConfigError`
naming the entry. Shared contract: ``docs/scene.md``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError

__all__ = [
    "GROUPS", "SOUND_MODELS", "VOCABULARY_FILE", "Entry", "Play", "Source", "Vocabulary", "load_vocabulary",
    "vocabulary",
]

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.json")

# The builtin sound models a play method may name (server/sounds implements them).
SOUND_MODELS: tuple[str, ...] = (
    # struck, scraped, natural and ambience models (server/sounds/synth.py)
    "strike", "bell", "rattle", "scrape", "creak", "rustle", "crinkle", "drops", "stream", "surf", "rain", "wind",
    "engine", "hum", "chirp", "insects", "room", "footsteps", "rolling", "murmur", "fire",
    # animal calls (server/sounds/animals.py)
    "bark", "howl", "growl", "whine", "meow", "purr", "roar", "moo", "bleat", "neigh", "snort", "oink", "elephant",
    "chest_beat", "foot_thump", "crow", "cluck", "quack", "honk", "gobble", "hoot", "caw", "songbird", "squawk",
    "croak", "buzz", "stridulate", "hiss", "hoofbeats",
    # machines, tools, appliances and vehicles (server/sounds/machines.py)
    "vacuum", "washing_machine", "kettle", "blender", "hair_dryer", "saw", "hammer", "drill", "typewriter", "clock",
    "printer", "phone_ring", "doorbell", "shutter", "flush", "tap", "siren", "car_horn", "train", "aircraft",
    "helicopter", "motorcycle", "bicycle_bell",
    # musical instruments (a General MIDI program, the GM drum kit) and whistles (server/sounds/instruments.py)
    "gm_instrument", "pea_whistle",
    # actions of people and things (server/sounds/actions.py)
    "clap", "wings", "tyre_squeal", "air_brake", "flap", "pop", "twang", "zipper", "bounce", "blast", "heartbeat",
    "breathing", "vibrate", "static", "feedback", "sewing", "racket", "bat_crack", "glove_catch", "punching_bag",
    "billiards", "open_wind", "crowd",
    # contact sounds (server/sounds/contacts.py)
    "door_slam", "button_click", "snip", "knock", "chop", "clunk", "note_counter", "mic_tap",
    # friction (server/sounds/friction.py)
    "zip_pull", "match_strike", "leg_drag", "grit_scrape", "plane_stroke", "fine_scratch",
    # motors and engines (server/sounds/motors.py)
    "transformer_hum", "idling_engine", "diesel_engine", "outboard", "winch", "wheels", "race_car", "traffic_hum",
    "tracks", "small_engine",
    # loose things knocking together, struck and sung vessels (server/sounds/clatter.py)
    "coins", "links", "grains", "rim_rub", "vessel_tap",
    # textures of many tiny events (server/sounds/textures.py)
    "creak_slip", "squeak_slip", "chain_squeak", "spring_squeak", "screw_drive", "crumple", "leaf_rustle",
    "sand_trickle",
    # spinning machinery (server/sounds/rotors.py)
    "desk_fan", "compressor_hum",
)
GROUPS: tuple[str, ...] = (
    "animals", "people", "instruments", "vehicles", "household", "tools", "sports", "ambience",
)

Role = Literal["drums", "bass", "guitar", "keyboard"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Play(_Model):
    """One way a source sounds."""

    method: str = Field(min_length=1, description="how the object is played or makes the sound")
    timbre: tuple[str, ...] = Field(min_length=1, description="adjectives for the sound")
    role: Role = Field(description="instrument role the sound suits")
    sound_model: str = Field(description="builtin sound model that renders it (SOUND_MODELS)")
    audioset: tuple[str, ...] = Field(min_length=1, description="AudioSet class display names it should be heard as")
    gm_program: int | None = Field(default=None, ge=0, le=127, description="General MIDI program (0-based)")
    gm_drums: bool | None = Field(default=None, description="played on the General MIDI drum kit")

    @field_validator("sound_model")
    @classmethod
    def _model_known(cls, value: str) -> str:
        if value not in SOUND_MODELS:
            raise ValueError(f"unknown sound_model {value!r}; use one of {', '.join(SOUND_MODELS)}")
        return value

    @field_validator("timbre", "audioset")
    @classmethod
    def _no_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in value):
            raise ValueError("must not contain empty strings")
        return value

    @model_validator(mode="after")
    def _gm(self) -> Play:
        has_gm = self.gm_program is not None or bool(self.gm_drums)
        if self.sound_model == "gm_instrument" and not has_gm:
            raise ValueError("sound_model gm_instrument needs gm_program (0-127) or gm_drums: true")
        if self.gm_program is not None and self.gm_drums:
            raise ValueError("give gm_program or gm_drums, not both")
        if has_gm and self.sound_model != "gm_instrument":
            raise ValueError(f"gm_program/gm_drums only go with sound_model gm_instrument, not {self.sound_model!r}")
        return self


class Source(_Model):
    """A sound kind: what a family of labels sounds like."""

    name: str = Field(min_length=1)
    material: str = Field(min_length=1)
    group: Literal["animals", "people", "instruments", "vehicles", "household", "tools", "sports", "ambience"]
    ambience: bool = False
    plays: tuple[Play, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if self.ambience != (self.group == "ambience"):
            raise ValueError("ambience: true goes with group 'ambience' (and only with it)")
        if self.group == "instruments" and not any(p.sound_model == "gm_instrument" for p in self.plays):
            raise ValueError("a musical instrument needs a play with sound_model gm_instrument and its GM program")
        return self


class ClassRef(_Model):
    """A label of a model's label set: mapped to a source, or silent."""

    id: int | None = Field(default=None, ge=0, le=999)
    label: str | None = None
    source: str | None = None
    name: str | None = Field(default=None, min_length=1)
    covers: tuple[str, ...] = ()
    silent: bool = False

    @model_validator(mode="after")
    def _source_or_silent(self) -> ClassRef:
        if self.silent == (self.source is not None):
            raise ValueError("give either source (a key of 'sources') or silent: true")
        return self


class Entry(_Model):
    """A class resolved against its source: everything the scene and sounds steps need."""

    key: str = Field(description="'coco:dog' or 'imagenet:291'")
    label: str
    name: str
    source: str
    group: str
    material: str
    ambience: bool
    plays: tuple[Play, ...]
    covers: tuple[str, ...] = ()

    def accepts(self, source: str) -> bool:
        """True when a class of kind ``source`` names this entry more precisely (a specialisation)."""
        return source == self.source or source in self.covers


class Vocabulary(_Model):
    about: str = ""
    sources: dict[str, Source]
    coco: dict[str, ClassRef]
    imagenet: tuple[ClassRef, ...]

    @model_validator(mode="after")
    def _references(self) -> Vocabulary:
        ids = [c.id for c in self.imagenet]
        if ids != list(range(len(ids))):
            raise ValueError("imagenet: entries must be listed by id 0, 1, 2 ... without gaps")
        for where, ref in [*((f"coco[{k!r}]", v) for k, v in self.coco.items()),
                           *((f"imagenet[{c.id}]", c) for c in self.imagenet)]:
            for key in ([ref.source] if ref.source else []) + list(ref.covers):
                if key not in self.sources:
                    raise ValueError(f"{where}: unknown source {key!r}")
        return self

    # ---- lookups ------------------------------------------------------------------------------
    def _entry(self, key: str, label: str, ref: ClassRef) -> Entry | None:
        if ref.silent or ref.source is None:
            return None
        src = self.sources[ref.source]
        return Entry(key=key, label=label, name=ref.name or src.name, source=ref.source, group=src.group,
                     material=src.material, ambience=src.ambience, plays=src.plays, covers=ref.covers)

    def coco_entry(self, label: str) -> Entry | None:
        """The entry of a COCO label (``None`` when silent); unknown labels raise ``KeyError``."""
        return self._entry(f"coco:{label}", label, self.coco[label])

    def imagenet_entry(self, index: int) -> Entry | None:
        """The entry of an ImageNet class index (``None`` when silent)."""
        ref = self.imagenet[index]
        return self._entry(f"imagenet:{index}", ref.label or str(index), ref)

    def source_entry(self, key: str, name: str | None = None) -> Entry:
        """An entry made from a source itself (ambiences, the crowd)."""
        src = self.sources[key]
        return Entry(key=f"source:{key}", label=key, name=name or src.name, source=key, group=src.group,
                     material=src.material, ambience=src.ambience, plays=src.plays)

    def entries(self) -> list[Entry]:
        """Every sounding class of both label sets, resolved."""
        out = [self.coco_entry(k) for k in self.coco]
        out += [self.imagenet_entry(i) for i in range(len(self.imagenet))]
        return [e for e in out if e is not None]

    def silent_labels(self) -> list[str]:
        return [f"coco:{k}" for k, v in self.coco.items() if v.silent] + [
            f"imagenet:{c.id}" for c in self.imagenet if c.silent]


def load_vocabulary(path: str | Path = VOCABULARY_FILE) -> Vocabulary:
    """Read and validate a vocabulary file; errors name the entry (``sources.dog.plays.0.sound_model: ...``)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sound vocabulary {p} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"sound vocabulary {p}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return Vocabulary.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"sound vocabulary {p}: {loc}: {first['msg']}{more}") from None


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The project's vocabulary (``server/vocab/vocabulary.json``), loaded once."""
    return load_vocabulary()
