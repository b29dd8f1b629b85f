"""An instrument plugin's own state lives in the session: the server saves it (after a set loads, on
/wave/session/save, at shutdown) and a server started from that session plays the same patch. Tested with
setBfree (LV2, state extension): its registration changed by a program change is saved and restored."""

from __future__ import annotations

import json

import numpy as np

from server.midi.song import PROGRAM, Event
from tests.test_live_engine import make_server
from tests.test_plugins_instrument_state import (
    BLOCK,
    EIGHT_FOOT_SOLO,
    ORGAN,
    _organ,  # noqa: F401 - the fixture: skips without setBfree
    sub_octave_db,
)


def test_the_session_keeps_the_instruments_state_and_a_new_server_plays_it(tmp_path):
    from server.plugins.lv2 import STATE_KEY

    session = tmp_path / "session.json"
    a = make_server(tmp_path, session, block=BLOCK)
    try:
        a.sent = []
        a.notify = lambda dest, address, args: a.sent.append((address, args))
        a._load_set(f"lv2:{ORGAN}", 0, (0,), None)
        assert ("/wave/set/loaded", [f"lv2:{ORGAN}", 0]) in a.sent, a.sent
        src = a.engine.snapshot.strips[0].source
        z = np.zeros((2, BLOCK), dtype=np.float32)
        src.process(z, [(0, Event(0.0, PROGRAM, 0, EIGHT_FOOT_SOLO, 0))])  # the 8' solo registration
        for _ in range(4):
            src.process(z)
        a.osc_session_save(None)
        saved = json.loads(session.read_text())
        assert "upper.drawbar16=127" in saved["source_state"]["0"][STATE_KEY]
    finally:
        a.shutdown()

    b = make_server(tmp_path, session, block=BLOCK)  # a new server from the saved session
    try:
        restored = b.engine.snapshot.strips[0].source
        assert b.session.sets[0] == f"lv2:{ORGAN}"
        assert sub_octave_db(restored, 60) < -35.0  # no 16': the saved patch, not the default's 888
    finally:
        b.shutdown()
    assert json.loads(session.read_text())["source_state"]["0"]  # shutdown kept it


def test_a_sampler_set_replacing_the_instrument_drops_its_state(tmp_path):
    session = tmp_path / "session.json"
    s = make_server(tmp_path, session, block=BLOCK)
    try:
        s.notify = lambda dest, address, args: None
        s._load_set(f"lv2:{ORGAN}", 2, (2,), None)
        assert 2 in s.session.source_state
        s._load_set("gm", 2, (2,), None)
        assert 2 not in s.session.source_state
    finally:
        s.shutdown()
