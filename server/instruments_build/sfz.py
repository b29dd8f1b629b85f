"""SFZ writer: one ``<region>`` per zone, samples as 24-bit WAV beside the file.

Opcodes follow the SFZ 1/2 spec as sfizz reads them: ``sample``, ``lokey``/``hikey``,
``pitch_keycenter``, ``lovel``/``hivel``, ``ampeg_*``, ``loop_mode`` with explicit
``loop_start``/``loop_end`` (inclusive, in samples), and ``key`` + ``pitch_keytrack=0`` +
``loop_mode=one_shot`` for drum hits. Hats share a ``group`` that chokes itself (``off_by``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .model import LOOP_CONTINUOUS, ONE_SHOT, Envelope, Instrument, Zone


def _num(v: float) -> str:
    return f"{v:.6g}"


def _envelope_opcodes(env: Envelope) -> list[str]:
    return [
        f"ampeg_attack={_num(env.attack)}",
        f"ampeg_hold={_num(env.hold)}",
        f"ampeg_decay={_num(env.decay)}",
        f"ampeg_sustain={_num(100 * env.sustain)}",
        f"ampeg_release={_num(env.release)}",
    ]


def region_opcodes(zone: Zone, sample: str) -> list[str]:
    ops = [f"sample={sample}"]
    if zone.pitch_tracking:
        ops += [f"lokey={zone.lokey}", f"hikey={zone.hikey}", f"pitch_keycenter={zone.root_key}"]
    else:
        if zone.lokey == zone.hikey:
            ops.append(f"key={zone.lokey}")
        else:
            ops += [f"lokey={zone.lokey}", f"hikey={zone.hikey}"]
        ops += [f"pitch_keycenter={zone.root_key}", "pitch_keytrack=0"]
    ops += [f"lovel={zone.lovel}", f"hivel={zone.hivel}"]
    if zone.tune_cents:
        ops.append(f"tune={int(round(zone.tune_cents))}")
    if zone.volume_db:
        ops.append(f"volume={_num(zone.volume_db)}")
    ops.append(f"loop_mode={zone.loop_mode}")
    if zone.loop_mode == LOOP_CONTINUOUS:
        ops += [f"loop_start={zone.loop_start}", f"loop_end={zone.loop_end - 1}"]
    if zone.exclusive_group:
        ops += [f"group={zone.exclusive_group}", f"off_by={zone.exclusive_group}"]
    ops += _envelope_opcodes(zone.envelope)
    return ops


def write_sfz(
    instrument: Instrument, folder: Path, sfz_name: str, *, samples_subdir: str = "samples"
) -> Path:
    """Write ``folder/sfz_name`` and its samples under ``folder/samples_subdir``; returns the SFZ path.

    ``folder`` is expected to be a temporary folder that the caller renames into place.
    """
    folder = Path(folder)
    sample_dir = folder / samples_subdir
    sample_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f"// {instrument.name}: {instrument.role} instrument built by WAVE (wave build)",
        f"// {len(instrument.zones)} regions, keys {instrument.key_range[0]}-{instrument.key_range[1]}",
        "<control>",
        f"default_path={samples_subdir}/",
        "hint_ram_based=1",  # samples are small: load them whole, never stream (no late first notes)
        "<global>",
        "amp_veltrack=100",
    ]
    if instrument.role == "drums":
        lines.append(f"// one_shot drum kit: {ONE_SHOT} plays each hit to its end")
    for zone in instrument.zones:
        fname = f"{zone.name}.wav"
        sf.write(str(sample_dir / fname), np.clip(zone.audio, -1, 1), zone.sample_rate, subtype="PCM_24")
        lines.append("<region> " + " ".join(region_opcodes(zone, fname)))
    path = folder / sfz_name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
