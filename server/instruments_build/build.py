"""The instrument builder's work (the package :mod:`server.instruments_build` exports its public names).

Any sound → a playable SFZ and SF2 instrument; drums → a key-mapped GM kit.

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
from ..paths import INSTRUMENTS_DIR, SFZ_DIR
from .model import Instrument
from .sf2 import Preset, write_sf2
from .sfz import write_sfz

log = logging.getLogger(__name__)

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
    force_pitch: bool | str | float = False,
) -> Instrument:
    """Build the in-memory instrument of ``role`` from an audio array (``(channels, frames)`` or mono).

    A melodic role needs a source with a stable pitch: its root is measured on exactly the audio that
    becomes the samples (``multisample.sample_segment``). A source with no stable pitch is refused
    (:class:`InputError` suggesting ``--role drums`` or ``--force-pitch``) unless ``force_pitch`` is
    given: True imposes a pitch with a tuned resonator at the note nearest the sound's strongest partial
    (moved by octaves into the middle of the range), a note name / MIDI key / "440Hz" imposes that note.
    A pitched source ignores ``force_pitch``.
    """
    from .pitch import force_pitch_key
    from .prep import prepare

    _check_role(role)
    force_pitch = force_pitch_key(force_pitch)
    if role == "drums":
        from .drums import build_drums

        x, facts = prepare(
            audio, sample_rate, target_sr=build_sr, min_seconds=0.01, max_seconds=MAX_DRUM_SECONDS, what=name
        )
        inst = build_drums(x, build_sr, name=name)
    else:
        from .multisample import ROLE_SPECS, build_melodic, root_keys, sample_segment

        spec = ROLE_SPECS[role]
        lo, hi = key_range or (spec.lokey, spec.hikey)
        root_keys(lo, hi, step)  # validates step before any analysis
        x, facts = prepare(
            audio,
            sample_rate,
            target_sr=build_sr,
            min_seconds=0.1,
            max_seconds=MAX_MELODIC_SECONDS,
            what=name,
        )
        seg, pitch = _pitched_segment(
            sample_segment(x, build_sr, role), build_sr, role, (lo, hi), name, force_pitch
        )
        with _progress(len(root_keys(lo, hi, step)), f"{name} ({role})") as bar:
            inst = build_melodic(
                seg, build_sr, role, pitch, name=name, step=step, key_range=key_range, progress=bar
            )
    inst.info = {"source": facts, **inst.info}
    return inst


def _pitched_segment(seg, sr: int, role: str, keys: tuple[int, int], name: str, force_pitch):
    """The samples' audio and its root: measured; imposed with a resonator when asked; or refused."""
    from dataclasses import replace

    from .pitch import estimate_root, impose_pitch, midi_to_hz, note_name, resonator_target

    pitch = estimate_root(seg, sr)
    if pitch.method in ("pyin", "stable_partial"):
        if pitch.method == "stable_partial":
            log.warning("%s: %s", name, pitch.summary)
        return seg, pitch
    auto = resonator_target(pitch, *keys)
    if force_pitch is False:
        raise InputError(
            f"{name}: {pitch.summary}, so it cannot be a {role} by itself; use --role drums to make a kit "
            f"of it, or --force-pitch [NOTE] to impose a pitch with a tuned resonator (default here: "
            f"{note_name(auto, cents=False)}, from its strongest partial)"
        )
    target = float(auto if force_pitch is True else force_pitch)
    rung = impose_pitch(seg, sr, target)
    measured = estimate_root(rung, sr)
    summary = (
        f"{pitch.summary}; imposed {note_name(target, cents=False)} ({midi_to_hz(target):.2f} Hz) with a tuned "
        f"resonator; root measured on the resonated sound: {measured.freq:.2f} Hz ({note_name(measured.midi)})"
    )
    if measured.method != "pyin" or abs(measured.midi - target) > 0.1:
        raise InputError(
            f"{name}: the resonator tuned to {note_name(target, cents=False)} did not give the sound a clear "
            f"pitch (measured {measured.freq:.1f} Hz by {measured.method}); try another --force-pitch note"
        )
    log.warning("%s: %s", name, summary)
    return rung, replace(
        measured,
        method="resonator",
        pitched=False,
        imposed=True,
        target_midi=target,
        summary=summary,
        voiced_fraction=pitch.voiced_fraction,
        spread_cents=pitch.spread_cents,
    )


def _read(sound: str | os.PathLike[str]):
    from ..audio.io import read_audio

    path = Path(sound)
    if path.suffix.lower() not in (".wav", ".wave", ".flac", ".aif", ".aiff", ".ogg"):
        raise InputError(
            f"{path}: expected a WAV, FLAC, AIFF or OGG sound file, not {path.suffix or 'no extension'!r}"
        )
    return read_audio(path)


def _outputs(name: str, sfz_dir, sf2_dir, sfz: bool, sf2: bool) -> tuple[Path | None, Path | None]:
    """The SFZ folder and SF2 file of an instrument, checked before any work (nothing is touched)."""
    from .output import check_outputs

    sfz_dest = Path(sfz_dir or SFZ_DIR) / name if sfz else None
    sf2_dest = Path(sf2_dir or INSTRUMENTS_DIR) / f"{name}.sf2" if sf2 else None
    check_outputs(sfz_dest, sf2_dest)
    return sfz_dest, sf2_dest


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
    force_pitch: bool | str | float = False,
) -> BuildResult:
    """Build one instrument from a sound file: ``SFZ_DIR/NAME/NAME.sfz`` (+ samples) and ``INSTRUMENTS_DIR/NAME.sf2``.

    A melodic SF2 has its instrument as preset 0 in bank 0; a drum kit is both bank 0 and bank 128
    preset 0, so it plays on any channel and on the GM drum channel. Both outputs are checked before
    any work and replaced together when the build succeeds (``output.replace_together``).
    ``force_pitch``: see :func:`make_instrument`.
    """
    from .output import replace_together

    t0 = time.perf_counter()
    _check_name(name)
    _check_role(role)
    from .pitch import force_pitch_key

    force_pitch = force_pitch_key(force_pitch)
    sfz_dest, sf2_dest = _outputs(name, sfz_dir, sf2_dir, write_sfz_files, write_sf2_file)
    audio, sr = _read(sound)
    inst = make_instrument(
        audio, sr, role, name=name, step=step, key_range=key_range, force_pitch=force_pitch
    )
    result = BuildResult(name=name, sf2=None, instruments={role: inst})
    presets = [Preset(name, 0, 0, 0)]
    if role == "drums":
        presets.append(Preset(name, 128, 0, 0))
    if sfz_dest is not None or sf2_dest is not None:
        with replace_together(sfz_dest, sf2_dest) as tmp:
            if tmp.sfz is not None:
                write_sfz(inst, tmp.sfz, f"{name}.sfz")
                (tmp.sfz / "build.json").write_text(json.dumps(_jsonable(inst.info), indent=1))
            if tmp.sf2 is not None:
                write_sf2(tmp.sf2, name, [inst], presets)
        if sfz_dest is not None:
            result.sfz[role] = sfz_dest / f"{name}.sfz"
        result.sf2 = sf2_dest
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


def spread_to_all_keys(inst: Instrument) -> Instrument:
    """The instrument with its lowest zones reaching down to key 0 and its highest up to key 127.

    Same samples (shared arrays, stored once in an SF2): a General MIDI file may play a program on any
    key, and a set must not be silent where a GM font sounds, so the edge samples are stretched beyond
    the sampled range. ``info["sampled_keys"]`` keeps that range.
    """
    from dataclasses import replace

    lo, hi = inst.key_range
    zones = [
        replace(z, lokey=0 if z.lokey == lo else z.lokey, hikey=127 if z.hikey == hi else z.hikey)
        for z in inst.zones
    ]
    info = {**inst.info, "sampled_keys": [lo, hi]}
    return Instrument(name=inst.name, role=inst.role, zones=zones, sample_rate=inst.sample_rate, info=info)


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
    force_pitch: bool | str | float = False,
) -> BuildResult:
    """Build an instrument set from role → sound (or a folder of role-tagged sounds).

    Writes ``SFZ_DIR/NAME/<role>.sfz`` (+ ``samples/<role>/``) and one GM-complete
    ``INSTRUMENTS_DIR/NAME.sf2``, both checked before any work and replaced together.
    ``force_pitch`` applies to every melodic role (see :func:`make_instrument`).
    """
    from .output import replace_together

    t0 = time.perf_counter()
    _check_name(name)
    if not isinstance(sounds, dict):
        sounds = set_sounds_from_folder(sounds)
    for role in sounds:
        _check_role(role)
    from .pitch import force_pitch_key

    force_pitch = force_pitch_key(force_pitch)
    sfz_dest, sf2_dest = _outputs(name, sfz_dir, sf2_dir, True, True)
    roles = [r for r in ROLES if r in sounds]
    insts: dict[str, Instrument] = {}
    for role in roles:
        audio, sr = _read(sounds[role])
        try:
            insts[role] = make_instrument(
                audio, sr, role, name=f"{name}_{role}", step=step, force_pitch=force_pitch
            )
        except InputError as exc:  # name the file: a set is built from several
            raise InputError(f"{Path(sounds[role]).name} ({role}): {exc}") from exc
    for role in roles:
        if role != "drums":
            insts[role] = spread_to_all_keys(insts[role])
    result = BuildResult(name=name, sf2=None, instruments=insts)
    sf2_insts = [insts[r] for r in roles]
    index = {r: i for i, r in enumerate(roles)}
    if "drums" in insts:  # percussive programs in bank 0 are played on any key: the kit, edges spread
        sf2_insts.append(spread_to_all_keys(insts["drums"]))
    presets = [
        Preset(
            f"{role} {bank}:{prog}",
            bank,
            prog,
            len(sf2_insts) - 1 if role == "drums" and bank == 0 else index[role],
        )
        for bank, prog, role in gm_presets(roles)
    ]
    with replace_together(sfz_dest, sf2_dest) as tmp:
        for role, inst in insts.items():
            write_sfz(inst, tmp.sfz, f"{role}.sfz", samples_subdir=f"samples/{role}")
        (tmp.sfz / "build.json").write_text(
            json.dumps(_jsonable({r: i.info for r, i in insts.items()}), indent=1)
        )
        write_sf2(tmp.sf2, name, sf2_insts, presets)
    result.sfz = {role: sfz_dest / f"{role}.sfz" for role in insts}
    result.sf2 = sf2_dest
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
