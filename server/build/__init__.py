"""Instrument builder: any sound → a playable SFZ and SF2 instrument; drums → a key-mapped GM kit.

``build_instrument`` turns one sound into one instrument of a role (``sfz_out/NAME/NAME.sfz`` with
its samples, and ``instruments/NAME.sf2``); ``build_set`` turns up to four role-tagged sounds into
an instrument set: one SF2 whose presets cover all 128 General MIDI programs (each played by the
closest role, ``server.midi.roles.gm_program_role``) plus the drum kit in bank 128, and one SFZ
per role. Everything is written to temporary paths and renamed into place when complete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, InputError
from ..midi.roles import ROLES, gm_program_role
from ..paths import INSTRUMENTS_DIR, SFZ_DIR, atomic_dir, atomic_path
from .model import Instrument
from .sf2 import Preset, write_sf2
from .sfz import write_sfz

log = logging.getLogger(__name__)

__all__ = ["BuildResult", "build_instrument", "build_set", "make_instrument", "ROLES"]

BUILD_SR = 48000
MAX_MELODIC_SECONDS = 10.0  # of a source used for a melodic instrument (the rest is ignored)
MAX_DRUM_SECONDS = 60.0
# Closest available role when a set lacks one (for GM programs whose role has no instrument).
ROLE_FALLBACK = {
    "keyboard": ("guitar", "bass", "drums"),
    "guitar": ("keyboard", "bass", "drums"),
    "bass": ("keyboard", "guitar", "drums"),
    "drums": ("keyboard", "guitar", "bass"),
}
DRUM_KIT_PROGRAMS = (0, 8, 16, 24, 25, 32, 40, 48, 56, 127)  # GM2/GS kit numbers, all this kit


@dataclass
class BuildResult:
    name: str
    sf2: Path | None
    sfz: dict[str, Path] = field(default_factory=dict)  # role -> .sfz
    instruments: dict[str, Instrument] = field(default_factory=dict)
    seconds: float = 0.0

    def report(self) -> dict:
        return {
            "name": self.name,
            "sf2": str(self.sf2) if self.sf2 else None,
            "sfz": {r: str(p) for r, p in self.sfz.items()},
            "seconds": round(self.seconds, 3),
            "instruments": {
                r: {"zones": len(i.zones), "keys": list(i.key_range), **i.info}
                for r, i in self.instruments.items()
            },
        }


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name or ""):
        raise ConfigError(
            f"instrument name {name!r} must be 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"
        )
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(
        total=total, desc=desc, unit="root", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False
    )


def make_instrument(
    audio,
    sample_rate: int,
    role: str,
    *,
    name: str,
    step: int = 3,
    key_range: tuple[int, int] | None = None,
    build_sr: int = BUILD_SR,
) -> Instrument:
    """Build the in-memory instrument of ``role`` from an audio array (``(channels, frames)`` or mono)."""
    from .prep import prepare

    _check_role(role)
    if role == "drums":
        from .drums import build_drums

        x, facts = prepare(
            audio, sample_rate, target_sr=build_sr, min_seconds=0.01, max_seconds=MAX_DRUM_SECONDS, what=name
        )
        inst = build_drums(x, build_sr, name=name)
    else:
        from .multisample import ROLE_SPECS, build_melodic, root_keys
        from .pitch import estimate_root

        x, facts = prepare(
            audio,
            sample_rate,
            target_sr=build_sr,
            min_seconds=0.1,
            max_seconds=MAX_MELODIC_SECONDS,
            what=name,
        )
        pitch = estimate_root(x, build_sr)
        spec = ROLE_SPECS[role]
        lo, hi = key_range or (spec.lokey, spec.hikey)
        with _progress(len(root_keys(lo, hi, step)), f"{name} ({role})") as bar:
            inst = build_melodic(
                x, build_sr, role, pitch, name=name, step=step, key_range=key_range, progress=bar
            )
    inst.info = {"source": facts, **inst.info}
    return inst


def _read(sound: str | os.PathLike[str]):
    from ..audio.io import read_audio

    path = Path(sound)
    if path.suffix.lower() not in (".wav", ".wave", ".flac", ".aif", ".aiff", ".ogg"):
        raise InputError(
            f"{path}: expected a WAV, FLAC, AIFF or OGG sound file, not {path.suffix or 'no extension'!r}"
        )
    return read_audio(path)


def _write_sf2(dest: Path, name: str, instruments: list[Instrument], presets: list[Preset]) -> Path:
    with atomic_path(dest, suffix=".sf2") as tmp:
        write_sf2(tmp, name, instruments, presets)
    return dest


def build_instrument(
    sound: str | os.PathLike[str],
    role: str,
    *,
    name: str,
    sfz_dir: str | os.PathLike[str] | None = None,
    sf2_dir: str | os.PathLike[str] | None = None,
    step: int = 3,
    key_range: tuple[int, int] | None = None,
    write_sfz_files: bool = True,
    write_sf2_file: bool = True,
) -> BuildResult:
    """Build one instrument from a sound file: ``SFZ_DIR/NAME/NAME.sfz`` (+ samples) and ``INSTRUMENTS_DIR/NAME.sf2``.

    A melodic SF2 has its instrument as preset 0 in bank 0; a drum kit is both bank 0 and bank 128
    preset 0, so it plays on any channel and on the GM drum channel.
    """
    t0 = time.perf_counter()
    _check_name(name)
    _check_role(role)
    audio, sr = _read(sound)
    inst = make_instrument(audio, sr, role, name=name, step=step, key_range=key_range)
    result = BuildResult(name=name, sf2=None, instruments={role: inst})
    if write_sfz_files:
        dest = Path(sfz_dir or SFZ_DIR) / name
        with atomic_dir(dest) as tmp:
            write_sfz(inst, tmp, f"{name}.sfz")
            (tmp / "build.json").write_text(json.dumps(_jsonable(inst.info), indent=1))
            result.sfz[role] = dest / f"{name}.sfz"
    if write_sf2_file:
        presets = [Preset(name, 0, 0, 0)]
        if role == "drums":
            presets.append(Preset(name, 128, 0, 0))
        result.sf2 = _write_sf2(Path(sf2_dir or INSTRUMENTS_DIR) / f"{name}.sf2", name, [inst], presets)
    result.seconds = time.perf_counter() - t0
    log.info("built %s (%s) in %.1f s", name, role, result.seconds)
    return result


def gm_presets(roles: list[str]) -> list[tuple[int, int, str]]:
    """(bank, program, role) for all 128 GM programs plus the drum kits, using the roles available."""
    if not roles:
        raise ConfigError("an instrument set needs at least one role")
    out = []
    for program in range(128):
        want = gm_program_role(program)
        role = want if want in roles else next(r for r in ROLE_FALLBACK[want] if r in roles)
        out.append((0, program, role))
    if "drums" in roles:
        out += [(128, p, "drums") for p in DRUM_KIT_PROGRAMS]
    return out


def set_sounds_from_folder(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Role-tagged sounds in a folder: a file whose name contains a role word (``bass.wav``,
    ``leaves_drums.wav``, ``guitar-01.flac``) is that role; the first match per role wins."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in (".wav", ".flac", ".aif", ".aiff", ".ogg"):
            continue
        words = set(re.split(r"[^a-z]+", p.stem.lower()))
        for role in ROLES:
            if role in words and role not in found:
                found[role] = p
    if not found:
        raise InputError(
            f"{folder}: no role-tagged sound; name files after their role, e.g. drums.wav, bass.wav, "
            "guitar.wav, keyboard.wav"
        )
    return found


def build_set(
    sounds: dict[str, str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    name: str,
    sfz_dir: str | os.PathLike[str] | None = None,
    sf2_dir: str | os.PathLike[str] | None = None,
    step: int = 3,
) -> BuildResult:
    """Build an instrument set from role → sound (or a folder of role-tagged sounds).

    Writes ``SFZ_DIR/NAME/<role>.sfz`` (+ ``samples/<role>/``) and one GM-complete
    ``INSTRUMENTS_DIR/NAME.sf2``.
    """
    t0 = time.perf_counter()
    _check_name(name)
    if not isinstance(sounds, dict):
        sounds = set_sounds_from_folder(sounds)
    for role in sounds:
        _check_role(role)
    roles = [r for r in ROLES if r in sounds]
    insts: dict[str, Instrument] = {}
    for role in roles:
        audio, sr = _read(sounds[role])
        insts[role] = make_instrument(audio, sr, role, name=f"{name}_{role}", step=step)
    result = BuildResult(name=name, sf2=None, instruments=insts)
    dest = Path(sfz_dir or SFZ_DIR) / name
    with atomic_dir(dest) as tmp:
        for role, inst in insts.items():
            write_sfz(inst, tmp, f"{role}.sfz", samples_subdir=f"samples/{role}")
            result.sfz[role] = dest / f"{role}.sfz"
        (tmp / "build.json").write_text(
            json.dumps(_jsonable({r: i.info for r, i in insts.items()}), indent=1)
        )
    index = {r: i for i, r in enumerate(roles)}
    presets = [
        Preset(f"{role} {bank}:{prog}", bank, prog, index[role]) for bank, prog, role in gm_presets(roles)
    ]
    result.sf2 = _write_sf2(
        Path(sf2_dir or INSTRUMENTS_DIR) / f"{name}.sf2", name, [insts[r] for r in roles], presets
    )
    result.seconds = time.perf_counter() - t0
    log.info("built set %s (%s) in %.1f s", name, ", ".join(roles), result.seconds)
    return result


def _jsonable(obj):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
