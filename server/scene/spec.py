"""SceneSpec: the audio-oriented description of an image that the rest of WAVE runs on.

It reads and writes the seed project's ``sound_source.json`` format unchanged::

    {"scene_description": "...", "mood_description": "...",
     "sound_sources": [{"name": "...", "material": "...",
       "variants": [{"play_method": "...", "timbre": ["..."], "mapping_to_music_instrument": "drums"}]}]}

and extends it with optional fields: a normalised ``box`` per source, ``depth``, ``confidence``,
``grounded`` (a detector or classifier saw it), ``ambience`` (a sound with no box), which model named
the source (``named_by``, ``label``, ``label_confidence``, ``detector_label``, ``detector_confidence``),
the sound vocabulary's rendering hints per variant (``sound_model``, ``audioset``, ``gm_program``,
``gm_drums``) and ``mood`` as valence/arousal. Optional fields absent from the input are not written back, so a seed file
round-trips byte for byte (:meth:`SceneSpec.to_json` writes the seed's layout: two-space indent,
lists of scalars on one line).

Every validation error is raised as :class:`server.errors.InputError` whose message names the
field, e.g. ``sound_sources[2].variants[0].timbre: Input should be a valid list``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, OutputError
from ..paths import atomic_path

Role = Literal["drums", "bass", "guitar", "keyboard"]
ROLES: tuple[str, ...] = ("drums", "bass", "guitar", "keyboard")
NamedBy = Literal["detector", "classifier", "detector+classifier", "cues", "vlm"]

# Spellings of a role seen in model output and hand-written files -> the role.
_ROLE_ALIASES = {
    "drum": "drums",
    "drums": "drums",
    "percussion": "drums",
    "drum kit": "drums",
    "bass": "bass",
    "bass guitar": "bass",
    "guitar": "guitar",
    "guitars": "guitar",
    "keyboard": "keyboard",
    "keyboards": "keyboard",
    "keys": "keyboard",
    "piano": "keyboard",
}
_NONE_SPELLINGS = {"", "none", "null", "n/a", "na", "no", "-"}


def normalise_role(value: Any) -> Any:
    """Map a role spelling (``"Drum"``, ``"None"``, ``""``, ``"piano"``) to a :data:`Role` or None.

    Unknown strings are returned unchanged so validation reports them with the field name.
    """
    if value is None:
        return None
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _NONE_SPELLINGS:
            return None
        return _ROLE_ALIASES.get(key, value)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)


class Variant(_Model):
    """One way a source sounds: how it is played, its timbre words, and the role it can play."""

    play_method: str = Field(min_length=1, description="how the object makes the sound")
    timbre: list[str] = Field(description="adjectives for the sound, e.g. ['bright', 'resonant']")
    mapping_to_music_instrument: Role | None = Field(
        default=None, description="instrument role this sound suits: drums, bass, guitar, keyboard, or null"
    )

    # Optional extensions (absent in seed files): what the sound step should render, as the sound
    # vocabulary says. ``sound_model`` names a builtin synthesis model (server.sounds.synth.MODEL_FUNCS);
    # ``audioset`` the AudioSet classes the sound should be heard as; ``gm_program`` the General MIDI
    # program (0-127) of a musical instrument, ``gm_drums`` true for drums of the GM kit (channel 10).
    sound_model: str | None = Field(default=None, min_length=1, description="builtin sound model to render it")
    audioset: list[str] | None = Field(default=None, description="AudioSet class names it should sound like")
    gm_program: int | None = Field(default=None, ge=0, le=127, description="General MIDI program of an instrument")
    gm_drums: bool | None = Field(default=None, description="a drum of the General MIDI kit")

    @field_validator("mapping_to_music_instrument", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        return normalise_role(value)


class SoundSource(_Model):
    """A sound-producing object (or an ambience) in the image."""

    name: str = Field(min_length=1)
    material: str
    variants: list[Variant] = Field(min_length=1)
    box: tuple[float, float, float, float] | None = Field(
        default=None, description="[x0, y0, x1, y1] normalised to 0-1 (x right, y down), x0<x1, y0<y1"
    )
    depth: float | None = Field(default=None, ge=0.0, le=1.0, description="0 = nearest .. 1 = farthest")
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, description="0..1")
    grounded: bool | None = Field(default=None, description="a detector or classifier saw this source")
    ambience: bool = Field(default=False, description="a sound with no box (rain, wind, room tone)")
    # Optional extensions: which model named the source and how sure it was (absent in seed files).
    named_by: NamedBy | None = Field(
        default=None, description="what named it: detector, classifier, detector+classifier, cues or vlm"
    )
    label: str | None = Field(
        default=None, min_length=1, description="the class that named it, as 'imagenet:lion' or 'coco:dog'"
    )
    label_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="that model's probability or score for the label, 0..1"
    )
    detector_label: str | None = Field(
        default=None, min_length=1, description="the detector's own label for the box when another model renamed it"
    )
    detector_confidence: float | None = Field(default=None, ge=0.0, le=1.0, description="the detector's score, 0..1")

    @field_validator("box")
    @classmethod
    def _box(cls, box: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if box is None:
            return None
        x0, y0, x1, y1 = box
        for v in box:
            if not (0.0 <= v <= 1.0):
                raise ValueError(f"box {list(box)} must lie in 0..1 (normalised to the image size)")
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"box {list(box)} must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1")
        return box

    @property
    def role(self) -> Role | None:
        """The role of the first variant (the one the instrument builder uses)."""
        return self.variants[0].mapping_to_music_instrument


class Mood(_Model):
    """Mood on the circumplex model: valence (sad/tense .. happy) and arousal (calm .. excited)."""

    valence: float = Field(ge=-1.0, le=1.0, description="-1 (sad/tense) .. 1 (happy)")
    arousal: float = Field(ge=0.0, le=1.0, description="0 (calm) .. 1 (excited)")


class SceneSpec(_Model):
    """The scene read from an image, written for the sound generator rather than as a caption."""

    scene_description: str
    mood_description: str
    sound_sources: list[SoundSource]
    mood: Mood | None = None

    # ---- construction -------------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _top_level_object(cls, data: Any) -> Any:
        if not isinstance(data, dict) and not isinstance(data, BaseModel):
            raise ValueError(f"a scene must be a JSON object, got {type(data).__name__}")
        return data

    @classmethod
    def from_data(cls, data: Any, *, source: str = "scene") -> SceneSpec:
        """Validate a parsed JSON value; errors become :class:`InputError` naming the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"{source}: {format_validation_error(exc)}") from None

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "scene JSON") -> SceneSpec:
        """Parse and validate JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: not UTF-8 text ({exc.reason})") from None
        return cls.from_data(data, source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SceneSpec:
        """Read a scene file (the seed's ``sound_source.json`` or WAVE's ``scene.json``)."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise InputError(f"scene file {p} does not exist") from None
        except IsADirectoryError:
            raise InputError(f"scene file {p} is a folder, expected a .json file") from None
        except OSError as exc:
            raise InputError(f"cannot read scene file {p}: {exc.strerror}") from None
        return cls.from_json(raw, source=str(p))

    # ---- output -------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The JSON value, without optional fields that were never set."""
        return self.model_dump(mode="json", exclude_unset=True)

    def to_json(self) -> str:
        """JSON text in the seed's layout (two-space indent, scalar lists on one line, no final newline)."""
        return dumps_compact_lists(self.to_data())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the scene atomically (temporary file renamed into place); returns the path."""
        dest = Path(path)
        text = self.to_json() + "\n"
        try:
            with atomic_path(dest) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            raise OutputError(f"cannot write scene to {dest}: {exc.strerror}") from exc
        return dest

    # ---- helpers ------------------------------------------------------------------------------
    def roles(self) -> dict[str, int]:
        """Role -> index of the source whose first variant plays it (first one wins)."""
        out: dict[str, int] = {}
        for i, src in enumerate(self.sound_sources):
            for var in src.variants:
                r = var.mapping_to_music_instrument
                if r is not None and r not in out:
                    out[r] = i
        return out


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('sound_sources', 2, 'variants', 0, 'timbre')`` -> ``sound_sources[2].variants[0].timbre``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(exc: ValidationError, limit: int = 5) -> str:
    """One line per problem, each starting with the field path."""
    lines = []
    errors = exc.errors(include_url=False)
    for err in errors[:limit]:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # pydantic adds the union member name ("literal['drums',...]") to the path; drop it
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("none", "tuple"))))
        msg = err["msg"]
        if err["type"] in ("literal_error",):
            msg = f"{msg}, got {err.get('input')!r}"
        lines.append(f"{format_loc(loc)}: {msg}")
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return "; ".join(lines)


def dumps_compact_lists(value: Any, indent: int = 2) -> str:
    """``json.dumps(indent=2)`` but with lists of scalars on one line (the seed files' layout)."""

    def enc(v: Any, level: int) -> str:
        pad = " " * (indent * (level + 1))
        end = " " * (indent * level)
        if isinstance(v, dict):
            if not v:
                return "{}"
            items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {enc(x, level + 1)}" for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + end + "}"
        if isinstance(v, (list, tuple)):
            if not v:
                return "[]"
            if all(not isinstance(x, (dict, list, tuple)) for x in v):
                return "[" + ", ".join(json.dumps(x, ensure_ascii=False) for x in v) + "]"
            return "[\n" + ",\n".join(pad + enc(x, level + 1) for x in v) + "\n" + end + "]"
        return json.dumps(v, ensure_ascii=False)

    return enc(value, 0)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scene file (pydantic's export, with a title and id)."""
    schema = SceneSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "WAVE SceneSpec"
    return schema


def write_json_schema(path: str | os.PathLike[str]) -> Path:
    """Write :func:`json_schema` to ``path`` (``docs/scene.schema.json``)."""
    dest = Path(path)
    with atomic_path(dest) as tmp:
        tmp.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return dest
