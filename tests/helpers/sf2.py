"""A full read-back of an SF2 (only tests need it): info, presets, instruments with their zones'
generators, sample headers and the sample data, as plain dicts.

The RIFF structure is walked by the package's one SoundFont reader, :mod:`server.engine.soundfont`
(bounds-checked, refusing a truncated or foreign file with an :class:`~server.errors.InputError`); this
module only decodes the ``pdta`` records it finds, so a file the player would refuse is refused here too.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from server.engine.soundfont import read_presets, riff_chunks
from server.instruments_build.sf2 import GEN


def read_sf2(path: Path) -> dict:
    """Parse an SF2 into plain dicts: version, presets, instruments (zones with generators), samples, smpl."""
    path = Path(path)
    read_presets(path)  # the player's checks: RIFF sfbk, sizes, INFO/sdta/pdta present, phdr well formed
    data = path.read_bytes()
    riff_end = struct.unpack_from("<I", data, 4)[0] + 8
    chunks: dict[bytes, bytes] = {}
    for lst in riff_chunks(data, 12, riff_end, path).values():
        for cid, (a, b) in riff_chunks(data, lst[0], lst[1], path, nested=False).items():
            chunks[cid] = data[a:b]
    ifil = struct.unpack("<HH", chunks[b"ifil"])
    names = {v: k for k, v in GEN.items()}

    def recs(cid: bytes, size: int) -> list[bytes]:
        raw = chunks[cid]
        if len(raw) % size:
            raise ValueError(f"{path}: {cid.decode()} size {len(raw)} is not a multiple of {size}")
        return [raw[i : i + size] for i in range(0, len(raw), size)]

    def gens(cid: bytes) -> list[tuple[str, int, bytes]]:
        out = []
        for r in recs(cid, 4):
            op = struct.unpack_from("<H", r)[0]
            out.append((names.get(op, str(op)), struct.unpack_from("<h", r, 2)[0], r[2:]))
        return out

    samples = []
    for r in recs(b"shdr", 46)[:-1]:
        start, end, ls, le, sr = struct.unpack_from("<IIIII", r, 20)
        pitch, corr, link, typ = struct.unpack_from("<BbHH", r, 40)
        samples.append(
            {
                "name": r[:20].split(b"\0")[0].decode(),
                "start": start,
                "end": end,
                "loop_start": ls,
                "loop_end": le,
                "sample_rate": sr,
                "root": pitch,
                "correction": corr,
                "type": typ,
            }
        )

    def zones(hdr_cid, hdr_size, bag_cid, gen_cid, idx_at):
        hdrs = recs(hdr_cid, hdr_size)
        bags = [struct.unpack("<HH", b)[0] for b in recs(bag_cid, 4)]
        gl = gens(gen_cid)
        out = []
        for h, nxt in zip(hdrs[:-1], hdrs[1:], strict=False):
            b0 = struct.unpack_from("<H", h, idx_at)[0]
            b1 = struct.unpack_from("<H", nxt, idx_at)[0]
            zs = []
            for b in range(b0, b1):
                z = {}
                for op, amount, raw in gl[bags[b] : bags[b + 1]]:
                    z[op] = (raw[0], raw[1]) if op in ("keyRange", "velRange") else amount
                zs.append(z)
            out.append((h, zs))
        return out

    presets = [
        {
            "name": h[:20].split(b"\0")[0].decode(),
            "program": struct.unpack_from("<H", h, 20)[0],
            "bank": struct.unpack_from("<H", h, 22)[0],
            "zones": zs,
        }
        for h, zs in zones(b"phdr", 38, b"pbag", b"pgen", 24)
    ]
    instruments = [
        {"name": h[:20].split(b"\0")[0].decode(), "zones": zs}
        for h, zs in zones(b"inst", 22, b"ibag", b"igen", 20)
    ]
    smpl = np.frombuffer(chunks[b"smpl"], dtype="<i2")
    return {"version": ifil, "presets": presets, "instruments": instruments, "samples": samples, "smpl": smpl}
