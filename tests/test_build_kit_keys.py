"""Complete kits: every GM drum key 35-81 (and the GS keys 27-34, 82-87 that GM fonts also play) sounds
in an image-made kit, in sfizz (SFZ) and FluidSynth (SF2); an instrument set never silences a drum note
that the General MIDI font would play."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from server.instruments_build import build_instrument, build_set
from server.instruments_build.drums import KIT_KEYS
from server.midi.roles import DRUM_CHANNEL, GM_DRUM_KEYS
from tests.test_build_drums import kit_sound
from tests.test_build_players import (
    FLUIDSYNTH,
    SFIZZ,
    SR,
    render_fluidsynth,
    render_sfizz,
    rms_db,
    write_midi,
)

GM_KEYS = range(35, 82)  # General MIDI Level 1 percussion map
GS_KEYS = range(27, 88)  # with the GS/GM2 extensions that GM fonts (TimGM6mb, FluidR3) also play
SPACING = 0.5


def _levels(audio: np.ndarray, keys, spacing: float = SPACING) -> dict[int, float]:
    return {
        k: rms_db(audio[int(spacing * i * SR) : int((spacing * i + 0.3) * SR)]) for i, k in enumerate(keys)
    }


def _drum_midi(
    path: Path, keys, spacing: float = SPACING, program: int = 0, channel: int = DRUM_CHANNEL
) -> Path:
    return write_midi(path, [(k, 100, spacing * i, 0.2) for i, k in enumerate(keys)], program, channel)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("kitkeys")
    wav = root / "kit.wav"
    sf.write(str(wav), kit_sound(), 44100, subtype="PCM_24")
    return build_instrument(wav, "drums", name="kit", sfz_dir=root / "sfz", sf2_dir=root / "sf2"), root


def test_kit_table_covers_every_gm_and_gs_key(kit):
    assert set(GM_DRUM_KEYS.values()) <= set(KIT_KEYS.values())
    assert sorted(KIT_KEYS.values()) == list(GS_KEYS)
    res, _ = kit
    inst = res.instruments["drums"]
    assert sorted(z.root_key for z in inst.zones) == list(GS_KEYS)
    for piece, entry in inst.info["kit"].items():
        assert entry["key"] == KIT_KEYS[piece]
    # derived pieces are distinct sounds, not one sample copied to many keys
    by_key = {z.root_key: z.audio for z in inst.zones}
    lengths = {len(by_key[k]) for k in GS_KEYS}
    assert len(lengths) > 20


@pytest.mark.peer
@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
def test_every_key_35_to_81_renders_above_minus_60_dbfs_in_sfizz_and_fluidsynth(kit, tmp_path):
    res, _ = kit
    keys = list(GS_KEYS)
    mid = _drum_midi(tmp_path / "keys.mid", keys)
    for player, audio in (
        ("sfizz", render_sfizz(res.sfz["drums"], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth(res.sf2, mid, tmp_path / "f.wav")),
    ):
        levels = _levels(audio, keys)
        silent = {k: round(v, 1) for k, v in levels.items() if v <= -60}
        assert not silent, f"{player}: silent drum keys {silent}"
        assert all(levels[k] > -60 for k in GM_KEYS)


@pytest.mark.peer
@pytest.mark.skipif(FLUIDSYNTH is None, reason="needs fluidsynth")
def test_a_set_never_silences_a_drum_note_the_gm_font_plays(kit, tmp_path):
    from server.paths import default_soundfont

    _, root = kit
    res = build_set({"drums": root / "kit.wav"}, name="kitset", sfz_dir=root / "sfz", sf2_dir=root / "sf2")
    keys = list(range(20, 96))
    mid = _drum_midi(tmp_path / "all.mid", keys, 1.5)  # far apart: no key is "played" by the last one's tail
    gm = _levels(render_fluidsynth(default_soundfont(), mid, tmp_path / "gm.wav"), keys, 1.5)
    ours = _levels(render_fluidsynth(res.sf2, mid, tmp_path / "set.wav"), keys, 1.5)
    played = [k for k in keys if gm[k] > -60]
    assert set(GM_KEYS) <= set(played)
    silenced = {k: round(ours[k], 1) for k in played if ours[k] <= -60}
    assert not silenced, f"the set silences drum keys the GM font plays: {silenced}"
