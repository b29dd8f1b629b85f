"""An instrument set never silences a note the General MIDI font would play: melodic programs sound on
every key the GM font sounds (the edge samples stretch past the role's sampled range), percussive
programs (bank 0, drums role) too, and the kit in bank 128 on every key of the GM font's kit."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from server.instruments_build import build_set
from tests.helpers.sf2 import read_sf2
from tests.test_build_drums import kit_sound
from tests.test_build_players import FLUIDSYNTH, SR, harmonic_tone, render_fluidsynth, rms_db, write_midi

KEYS = [0, 8, 16, 24, 60, 96, 104, 112, 120, 127]
SPACING = 1.0


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("setrange")
    sf.write(str(root / "keyboard.wav"), harmonic_tone(261.63, 1.2, 48000), 48000)
    sf.write(str(root / "bass.wav"), harmonic_tone(98.0, 1.5, 48000), 48000)
    sf.write(str(root / "drums.wav"), kit_sound(), 44100)
    return build_set(root, name="range", sfz_dir=root / "sfz", sf2_dir=root / "sf2", step=12)


def test_melodic_zones_of_a_set_cover_every_key(small_set):
    for role in ("keyboard", "bass"):
        inst = small_set.instruments[role]
        keys = {k for z in inst.zones for k in range(z.lokey, z.hikey + 1)}
        assert keys == set(range(128)), role
        assert inst.info["sampled_keys"] != [0, 127]  # the roots still span the role's own range
    text = small_set.sfz["bass"].read_text()
    assert "lokey=0 " in text and "hikey=127 " in text
    # the percussive programs' kit spreads its edge pieces to every key; samples are stored once
    parsed = read_sf2(small_set.sf2)
    n_zones = sum(len(i.zones) for i in small_set.instruments.values())
    assert len(parsed["samples"]) == n_zones


@pytest.mark.peer
@pytest.mark.skipif(FLUIDSYNTH is None, reason="needs fluidsynth")
@pytest.mark.parametrize("program", [0, 33, 24, 115])
def test_a_set_never_silences_a_note_the_gm_font_plays(small_set, program, tmp_path):
    from server.paths import default_soundfont

    mid = write_midi(tmp_path / "keys.mid", [(k, 100, SPACING * i, 0.5) for i, k in enumerate(KEYS)], program)

    def levels(sf2):
        a = render_fluidsynth(sf2, mid, tmp_path / "out.wav")
        return {
            k: rms_db(a[int(SPACING * i * SR) : int((SPACING * i + 0.4) * SR)]) for i, k in enumerate(KEYS)
        }

    gm, ours = levels(default_soundfont()), levels(small_set.sf2)
    played = [k for k in KEYS if gm[k] > -60]
    assert played, f"the GM font plays none of {KEYS} on program {program}"
    silenced = {k: round(ours[k], 1) for k in played if not ours[k] > -60}
    assert not silenced, f"program {program}: the set silences keys the GM font plays: {silenced}"
    assert np.isfinite(list(ours.values())).all()
