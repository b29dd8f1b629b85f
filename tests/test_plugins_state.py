"""The LV2 state extension: a slot saves the plugin's own state (lilv_state_new_from_instance ->
lilv_state_to_string) beside its control values and restores it (lilv_state_new_from_string ->
lilv_state_restore) into a fresh instance, in the session and in ``wave render --session``.

The plugin is x42's convoLV2 (Debian ``x42-plugins``): its impulse response file lives only in its state,
so a slot restored from control values alone is silent and one restored with its state convolves. The
state below is the text an LV2 preset holds (the properties convoLV2's state:interface reads); the IR
is made here: one tap of 0.5 at 100 samples, so the output is the input 6.02 dB down and 100 samples late.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

SR, BLOCK = 48000, 512
CONVO = "http://gareus.org/oss/lv2/convoLV2#Mono"
BALANCE = "http://gareus.org/oss/lv2/balance"
TAP, TAP_AT = 0.5, 100


@pytest.fixture(scope="module")
def world():
    try:
        from server.plugins.lv2 import default_world

        w = default_world()
    except Exception as exc:
        pytest.skip(f"LV2 hosting unavailable: {exc}")
    if CONVO not in w.uris():
        pytest.skip("x42-plugins (convoLV2) is not installed (apt-get install x42-plugins; scripts/system-packages.txt)")
    return w


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-30)


def ir_state(tmp_path) -> str:
    import soundfile as sf

    ir = np.zeros(512, np.float32)
    ir[TAP_AT] = TAP
    path = tmp_path / "tap.wav"
    sf.write(path, ir, SR, subtype="FLOAT")
    cfg = "".join(f"convolution.{k}={v}\n" for k, v in [("ir.channel.0", 1), ("ir.gain.0", 1.0), ("ir.delay.0", 0),
                                                        ("source.0", 1), ("output.0", 1), ("maxsize", 8192)])
    return f"""@prefix atom: <http://lv2plug.in/ns/ext/atom#> .
@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<urn:wave:test:tap> a pset:Preset ; lv2:appliesTo <{CONVO}> ;
  state:state [ <http://gareus.org/oss/lv2/convoLV2#impulse> "{path}"^^atom:Path ;
                <http://gareus.org/oss/lv2/convoLV2#state> \"\"\"{cfg}\"\"\" ] .
"""


def signal(blocks: int = 47) -> np.ndarray:
    t = np.arange(blocks * BLOCK) / SR  # whole blocks: convoLV2 convolves in periods of the block size
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 997 * t)]).astype(np.float32)


def run(plugin, x: np.ndarray) -> np.ndarray:
    return np.concatenate([plugin.process(x[:, i : i + BLOCK]).copy() for i in range(0, x.shape[1], BLOCK)], axis=1)


def expected(x: np.ndarray) -> np.ndarray:
    y = np.zeros_like(x)
    y[:, TAP_AT:] = TAP * x[:, :-TAP_AT]
    return y


def test_the_state_carries_what_control_values_cannot_and_round_trips(world, tmp_path):
    from server.plugins.lv2 import STATE_KEY, LV2Plugin

    assert world.info(CONVO).state and world.info(CONVO).to_dict()["state"] is True
    x = signal()
    p = LV2Plugin(CONVO, world=world)
    p.restore({STATE_KEY: ir_state(tmp_path)})
    p.prepare(SR, BLOCK)
    y = run(p, x)
    gain = db(y[:, TAP_AT:]) - db(x[:, :-TAP_AT])
    assert abs(gain - 20 * np.log10(TAP)) < 0.01, gain  # -6.02 dB
    assert db(y - expected(x)) - db(y) < -100.0  # the tap, 100 samples late

    saved = p.state()  # saved through the plugin's state:interface, now
    assert set(saved) == {"gain", STATE_KEY} and "tap.wav" in saved[STATE_KEY]
    saved = json.loads(json.dumps(saved))  # as a session file holds it
    q = LV2Plugin(CONVO, world=world)
    q.restore(saved)
    q.prepare(SR, BLOCK)
    assert np.array_equal(run(q, x), y)

    values_only = LV2Plugin(CONVO, world=world)  # the fallback alone: no impulse response, no sound
    values_only.restore({k: v for k, v in saved.items() if k != STATE_KEY})
    values_only.prepare(SR, BLOCK)
    assert db(run(values_only, x)) < -120.0

    q.reset()  # a fresh instance (un-faulting a slot) keeps the plugin's state
    assert np.array_equal(run(q, x), y)
    for s in (p, q, values_only):
        s.close()


def test_a_state_that_does_not_apply_leaves_the_control_values(world, caplog):
    from server.plugins.lv2 import STATE_KEY, LV2Plugin

    x = signal(24)
    for bad in ("this is not turtle {{{", ir_state_for_other_plugin()):
        p = LV2Plugin(BALANCE, world=world)
        caplog.clear()
        p.restore({"trim": -12.0, STATE_KEY: bad})
        p.prepare(SR, BLOCK)
        y = run(p, x)
        assert abs((db(y[:, BLOCK:]) - db(x[:, BLOCK:])) + 12.0) < 0.05
        assert any("restoring its control values only" in r.getMessage() for r in caplog.records), bad
        p.close()


def ir_state_for_other_plugin() -> str:
    return f"""@prefix lv2: <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<urn:wave:test:other> a pset:Preset ; lv2:appliesTo <{CONVO}> ;
  state:state [ <http://gareus.org/oss/lv2/convoLV2#state> "convolution.maxsize=8192" ] .
"""


def test_the_session_keeps_the_state_and_the_bounce_plays_it(world, tmp_path):
    """A server started from a session with the state convolves; its saved session keeps the state, and
    ``wave render --session`` (bounce_to_file through the same LiveServer) bounces the same sound."""
    import mido
    import soundfile as sf

    from server.live.drivers import PacedDriver
    from server.live.server import Folders, LiveServer
    from server.live.session import Session
    from server.midi.song import load_song
    from server.plugins.lv2 import STATE_KEY
    from server.render.bounce import bounce_to_file
    from server.render.render import RenderSettings

    fo = Folders(sets=tmp_path / "sets", models=tmp_path / "models", midi=tmp_path / "midi",
                 recordings=tmp_path / "rec", images=tmp_path, plugins=tmp_path / "plugins")
    for d in (fo.sets, fo.models, fo.midi, fo.plugins):
        d.mkdir(parents=True, exist_ok=True)
    state = ir_state(tmp_path)
    session_path = tmp_path / "session.json"
    Session(plugins={0: [{"uri": CONVO, "values": {"gain": 0.0, STATE_KEY: state}}]}).save(session_path)
    s = LiveServer(PacedDriver(), sample_rate=SR, block=BLOCK, folders=fo, session_path=session_path)
    try:
        (slot,) = s.engine.snapshot.strips[0].plugins
        s._dirty = True
        s.flush_session()
    finally:
        s.shutdown()
    saved = json.loads(session_path.read_text())["plugins"]["0"][0]["values"]
    assert "tap.wav" in saved[STATE_KEY]

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr.append(mido.Message("program_change", channel=0, program=19, time=0))
    for k in (60, 64, 67):
        tr.append(mido.Message("note_on", channel=0, note=k, velocity=70, time=0))
        tr.append(mido.Message("note_off", channel=0, note=k, velocity=0, time=480))
    mid.tracks.append(tr)
    mid.save(tmp_path / "song.mid")
    settings = RenderSettings(sample_rate=SR, block=BLOCK, raw=True, tail=0.5, progress=False)

    def bounce(session: Session, name: str) -> np.ndarray:
        bounce_to_file(load_song(tmp_path / "song.mid"), tmp_path / name, session=session, folders=fo, fmt="float",
                       settings=settings)
        return sf.read(tmp_path / name, dtype="float32")[0].T

    plain = bounce(Session(), "plain.wav")
    y = bounce(Session.load(session_path), "convolved.wav")
    assert db(plain) > -50.0 and y.shape == plain.shape
    assert db(y - expected(plain)) - db(y) < -80.0, db(y - expected(plain)) - db(y)
