"""A small SoundFont 2.01 writer (read back by :mod:`server.engine.soundfont`, the package's one SF2 reader).

No maintained Python library writes SF2 files, so this follows the SoundFont 2.01 specification
directly: a RIFF ``sfbk`` with ``INFO`` (ifil 2.01, isng, INAM), ``sdta/smpl`` (16-bit mono samples,
each followed by 46 zero points) and the nine ``pdta`` records (phdr, pbag, pmod, pgen, inst, ibag,
imod, igen, shdr), each list closed by its terminal record. Instrument zones list ``keyRange``
first, ``velRange`` second and ``sampleID`` last, as the spec requires.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import LOOP_CONTINUOUS, Envelope, Instrument, Zone

# Generator operators (SF2 2.01 section 8.1.2).
GEN = {
    "initialFilterFc": 8,
    "pan": 17,
    "attackVolEnv": 34,
    "holdVolEnv": 35,
    "decayVolEnv": 36,
    "sustainVolEnv": 37,
    "releaseVolEnv": 38,
    "instrument": 41,
    "keyRange": 43,
    "velRange": 44,
    "initialAttenuation": 48,
    "coarseTune": 51,
    "fineTune": 52,
    "sampleID": 53,
    "sampleModes": 54,
    "scaleTuning": 56,
    "exclusiveClass": 57,
    "overridingRootKey": 58,
}
SAMPLE_PAD = 46  # zero points after each sample (spec minimum)
MONO_SAMPLE = 1


@dataclass(frozen=True)
class Preset:
    name: str
    bank: int  # 0 melodic, 128 percussion
    program: int
    instrument: int  # index into the instrument list


def timecents(seconds: float) -> int:
    if seconds <= 0.001:
        return -12000
    return int(np.clip(round(1200 * np.log2(seconds)), -12000, 8000))


def sustain_cb(level: float) -> int:
    if level <= 0:
        return 1440
    return int(np.clip(round(-200 * np.log10(level)), 0, 1440))


def _name(s: str, n: int = 20) -> bytes:
    return s.encode("ascii", "replace")[: n - 1].ljust(n, b"\0")


def _chunk(cid: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return cid + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, chunks: list[bytes]) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _zstr(s: str) -> bytes:
    b = s.encode("ascii", "replace")[:255] + b"\0"
    return b + (b"\0" if len(b) % 2 else b"")


def _gen(op: str, amount: int) -> bytes:
    return struct.pack("<Hh", GEN[op], int(amount))


def _range_gen(op: str, lo: int, hi: int) -> bytes:
    return struct.pack("<HBB", GEN[op], lo, hi)


def _envelope_gens(env: Envelope) -> list[bytes]:
    return [
        _gen("attackVolEnv", timecents(env.attack)),
        _gen("holdVolEnv", timecents(env.hold)),
        _gen("decayVolEnv", timecents(env.decay)),
        _gen("sustainVolEnv", sustain_cb(env.sustain)),
        _gen("releaseVolEnv", timecents(env.release)),
    ]


def zone_generators(zone: Zone, sample_id: int) -> list[bytes]:
    gens = [_range_gen("keyRange", zone.lokey, zone.hikey), _range_gen("velRange", zone.lovel, zone.hivel)]
    gens += _envelope_gens(zone.envelope)
    if zone.volume_db:
        gens.append(_gen("initialAttenuation", int(np.clip(round(-10 * zone.volume_db), 0, 1440))))
    cents = int(round(zone.tune_cents))
    if cents:
        gens.append(_gen("fineTune", cents))
    if not zone.pitch_tracking:
        gens.append(_gen("scaleTuning", 0))
    if zone.exclusive_group:
        gens.append(_gen("exclusiveClass", zone.exclusive_group))
    gens.append(_gen("sampleModes", 1 if zone.loop_mode == LOOP_CONTINUOUS else 0))
    gens.append(_gen("overridingRootKey", zone.root_key))
    gens.append(_gen("sampleID", sample_id))
    return gens


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float to 16-bit with TPDF dither."""
    rng = np.random.default_rng(0)
    dither = (rng.random(len(audio)) - rng.random(len(audio))) / 32768.0
    return np.clip(np.round((audio + dither) * 32767.0), -32768, 32767).astype("<i2")


def sf2_bytes(name: str, instruments: list[Instrument], presets: list[Preset]) -> bytes:
    """Serialise instruments and the presets that point at them to SF2 2.01 bytes."""
    if not presets:
        raise ValueError("an SF2 needs at least one preset")
    smpl, shdr = [], []
    offset = 0
    inst_recs, ibag, igen = [], [], []
    stored: dict[tuple, int] = {}  # a sample shared by zones (the same array, root and loop) is stored once
    for ii, inst in enumerate(instruments):
        inst_recs.append(_name(inst.name) + struct.pack("<H", len(ibag)))
        for zone in inst.zones:
            key = (
                zone.audio.ctypes.data,
                len(zone.audio),
                zone.root_key,
                zone.loop_mode,
                zone.loop_start,
                zone.loop_end,
                zone.sample_rate,
            )
            if key in stored:
                ibag.append(struct.pack("<HH", len(igen), 0))
                igen.extend(zone_generators(zone, stored[key]))
                continue
            sample_id = stored[key] = len(shdr)
            data = to_int16(zone.audio)
            start, end = offset, offset + len(data)
            if zone.loop_mode == LOOP_CONTINUOUS:
                ls, le = start + zone.loop_start, start + zone.loop_end
            else:  # spec: loop points still inside the sample
                ls, le = start, max(start, end - 1)
            smpl.append(data.tobytes() + b"\0\0" * SAMPLE_PAD)
            offset = end + SAMPLE_PAD
            shdr.append(
                _name(f"{ii}_{zone.name}"[-19:])
                + struct.pack("<IIIII", start, end, ls, le, zone.sample_rate)
                + struct.pack("<BbHH", zone.root_key, 0, 0, MONO_SAMPLE)
            )
            ibag.append(struct.pack("<HH", len(igen), 0))
            igen.extend(zone_generators(zone, sample_id))
    inst_recs.append(_name("EOI") + struct.pack("<H", len(ibag)))
    ibag.append(struct.pack("<HH", len(igen), 0))
    igen.append(struct.pack("<HH", 0, 0))
    shdr.append(_name("EOS") + b"\0" * 26)

    phdr, pbag, pgen = [], [], []
    for p in sorted(presets, key=lambda p: (p.bank, p.program)):
        phdr.append(_name(p.name) + struct.pack("<HHHIII", p.program, p.bank, len(pbag), 0, 0, 0))
        pbag.append(struct.pack("<HH", len(pgen), 0))
        pgen.append(_gen("instrument", p.instrument))
    phdr.append(_name("EOP") + struct.pack("<HHHIII", 0, 0, len(pbag), 0, 0, 0))
    pbag.append(struct.pack("<HH", len(pgen), 0))
    pgen.append(struct.pack("<HH", 0, 0))
    terminal_mod = b"\0" * 10

    info = _list(
        b"INFO",
        [
            _chunk(b"ifil", struct.pack("<HH", 2, 1)),
            _chunk(b"isng", _zstr("EMU8000")),
            _chunk(b"INAM", _zstr(name)),
            _chunk(b"ISFT", _zstr("WAVE instrument builder")),
        ],
    )
    sdta = _list(b"sdta", [_chunk(b"smpl", b"".join(smpl))])
    pdta = _list(
        b"pdta",
        [
            _chunk(b"phdr", b"".join(phdr)),
            _chunk(b"pbag", b"".join(pbag)),
            _chunk(b"pmod", terminal_mod),
            _chunk(b"pgen", b"".join(pgen)),
            _chunk(b"inst", b"".join(inst_recs)),
            _chunk(b"ibag", b"".join(ibag)),
            _chunk(b"imod", terminal_mod),
            _chunk(b"igen", b"".join(igen)),
            _chunk(b"shdr", b"".join(shdr)),
        ],
    )
    return _chunk(b"RIFF", b"sfbk" + info + sdta + pdta)


def write_sf2(path: Path, name: str, instruments: list[Instrument], presets: list[Preset]) -> Path:
    """Write an SF2 to ``path`` (the caller wraps this in an atomic write)."""
    Path(path).write_bytes(sf2_bytes(name, instruments, presets))
    return Path(path)
