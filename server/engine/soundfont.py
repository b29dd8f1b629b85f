"""SoundFont files checked at the boundary: RIFF structure and the preset list (bank, program, name).

A small reader of the SF2 2.01 ``pdta/phdr`` chunk, enough to validate a file before FluidSynth
loads it and to pick presets for role routing. SF3 (Ogg-compressed samples) shares the structure.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class Preset:
    bank: int
    program: int
    name: str


def read_presets(path: str | os.PathLike[str]) -> list[Preset]:
    """Validate ``path`` as an SF2/SF3 soundfont and return its presets.

    Raises :class:`InputError` naming what is wrong: missing file, not a RIFF ``sfbk`` file, a
    truncated chunk, or no presets.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such soundfont (an .sf2 or .sf3 file is expected)")
    data = path.read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise InputError(f"{path}: not a SoundFont (expected a RIFF 'sfbk' file, .sf2 or .sf3)")
    riff_size = struct.unpack_from("<I", data, 4)[0]
    if riff_size + 8 > len(data):
        raise InputError(f"{path}: the soundfont is truncated ({len(data)} of {riff_size + 8} bytes)")
    lists = riff_chunks(data, 12, riff_size + 8, path)
    pdta = lists.get(b"pdta")
    if pdta is None or b"sdta" not in lists or b"INFO" not in lists:
        raise InputError(f"{path}: the soundfont lacks its INFO, sdta or pdta part")
    sub = riff_chunks(data, pdta[0], pdta[1], path, nested=False)
    if b"phdr" not in sub:
        raise InputError(f"{path}: the soundfont has no preset headers (phdr)")
    start, end = sub[b"phdr"]
    if (end - start) % 38 != 0 or end - start < 76:
        raise InputError(f"{path}: the soundfont's preset header chunk is malformed")
    presets = []
    for off in range(start, end - 38, 38):  # the last record is the terminal 'EOP'
        name, program, bank = struct.unpack_from("<20sHH", data, off)
        presets.append(Preset(bank, program, name.split(b"\0", 1)[0].decode("latin-1").strip()))
    if not presets:
        raise InputError(f"{path}: the soundfont holds no presets")
    return presets


def riff_chunks(data: bytes, start: int, end: int, path: Path, nested: bool = True) -> dict[bytes, tuple[int, int]]:
    """Map chunk id (or LIST type when ``nested``) -> (payload start, payload end)."""
    out: dict[bytes, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        cid, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + size > end:
            raise InputError(f"{path}: chunk {cid!r} runs past the end of the file (corrupt soundfont)")
        if nested and cid == b"LIST":
            out[data[body : body + 4]] = (body + 4, body + size)
        else:
            out[cid] = (body, body + size)
        pos = body + size + (size & 1)
    return out


def pick_preset(presets: list[Preset], bank: int, program: int, *, drums: bool = False) -> Preset:
    """The preset to play (bank, program) from a font: exact match, else same program in any bank of the
    right kind, else the font's first preset of that kind (drum kits live in bank 128)."""
    for p in presets:
        if p.bank == bank and p.program == program:
            return p
    kind = [p for p in presets if (p.bank == 128) == drums] or presets
    for p in kind:
        if p.program == program:
            return p
    return sorted(kind, key=lambda p: (p.bank, p.program))[0]
