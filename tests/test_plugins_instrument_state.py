"""The LV2 state extension for an LV2 instrument source (server/plugins/instrument.py): setBfree (Debian
``setbfree``, the one installed LV2 instrument with ``state:interface``) saves its whole organ setup as
LV2 state; restored into a fresh instance, through the live graph as a session restores it, the organ
plays the saved registration. Measured: the 16' drawbar's sub-octave against the 8' fundamental (dB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from server.midi.song import NOTE_OFF, NOTE_ON, PROGRAM, Event

ORGAN = "http://gareus.org/oss/lv2/b_synth"
SR, BLOCK = 48000, 512
EIGHT_FOOT_SOLO = 22  # setBfree's program 23 (1-based in its config): drawbars 008 0000 00


@pytest.fixture(scope="module", autouse=True)
def _organ():
    try:
        from server.plugins.lv2 import default_world

        uris = default_world().uris()
    except Exception as exc:
        pytest.skip(f"LV2 hosting unavailable: {exc}")
    if ORGAN not in uris:
        pytest.skip("setBfree is not installed (apt-get install setbfree; scripts/system-packages.txt)")


def band_db(x: np.ndarray, hz: float) -> float:
    """The spectrum's peak within ±3 % of ``hz``, in dB."""
    X = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return float(20 * np.log10(X[(f > hz * 0.97) & (f < hz * 1.03)].max() + 1e-20))


def sub_octave_db(src, key: int = 57) -> float:
    """A held key's 16' sub-octave relative to its 8' fundamental (setBfree: A3 = 220 Hz)."""
    z = np.zeros((2, BLOCK), dtype=np.float32)
    out = [src.process(z, [(0, Event(0.0, NOTE_ON, 0, key, 100))]).copy()]
    out += [src.process(z).copy() for _ in range(int(1.5 * SR / BLOCK))]
    x = np.concatenate(out, axis=1)[0, SR // 2 :]
    src.process(z, [(0, Event(0.0, NOTE_OFF, 0, key, 0))])
    for _ in range(int(0.5 * SR / BLOCK)):  # the key's release, and the reverb's tail
        src.process(z)
    f0 = 440.0 * 2 ** ((key - 69) / 12)
    return band_db(x, f0 / 2) - band_db(x, f0)


def test_the_organs_lv2_state_restores_its_registration_in_a_new_instance(tmp_path):
    from server.live.graph import GraphBuilder
    from server.live.server import Folders
    from server.plugins.instrument import LV2Instrument
    from server.plugins.lv2 import STATE_KEY

    z = np.zeros((2, BLOCK), dtype=np.float32)
    a = LV2Instrument(ORGAN)
    a.prepare(SR, BLOCK)
    try:
        default = sub_octave_db(a)
        a.process(z, [(0, Event(0.0, PROGRAM, 0, EIGHT_FOOT_SOLO, 0))])
        for _ in range(4):
            a.process(z)
        solo = sub_octave_db(a, 60)
        saved = a.state()
    finally:
        a.close()
    assert default > -10.0, default  # the default registration (888 ...) sounds the 16'
    assert solo < default - 30.0, (solo, default)  # 8' alone
    assert "upper.drawbar16=127" in saved[STATE_KEY]  # pushed in (setBfree counts a drawbar's travel)

    fo = Folders(sets=tmp_path, models=tmp_path, midi=tmp_path, recordings=tmp_path, images=tmp_path,
                 plugins=tmp_path)
    g = GraphBuilder(fo, SR, BLOCK, Path("unused.sf2"))
    b = g.new_source(f"lv2:{ORGAN}", 0, saved)  # as a session's channel state restores it
    fresh = g.new_source(f"lv2:{ORGAN}", 1)
    try:
        restored, unrestored = sub_octave_db(b, 60), sub_octave_db(fresh, 60)
        again = b.state()[STATE_KEY]
    finally:
        b.close()
        fresh.close()
    # the saved registration: no 16' (only the noise floor there, as where it was saved)
    assert restored < default - 30.0 and restored < -35.0, (restored, solo, default)
    assert unrestored > restored + 30.0, (unrestored, restored)
    assert "upper.drawbar16=127" in again  # and it saves what it was restored with


def test_a_state_that_does_not_parse_leaves_the_control_values(caplog):
    from server.plugins.instrument import LV2Instrument
    from server.plugins.lv2 import STATE_KEY

    a = LV2Instrument(ORGAN)
    a.restore({STATE_KEY: "this is not turtle"})
    a.prepare(SR, BLOCK)
    try:
        assert sub_octave_db(a) > -10.0  # the default registration plays
    finally:
        a.close()
    assert any("does not parse" in r.getMessage() for r in caplog.records)
