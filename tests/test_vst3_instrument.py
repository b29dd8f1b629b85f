"""VST3 instruments as a channel's source (server/plugins/vst3_instrument.py, wired in server/live/graph.py).

With a real plugin: set WAVE_TEST_VST3_INSTRUMENT=/path/to/wave_sine.vst3 (the WaveSine test instrument,
built with DPF: docs/plugins.md's appendix). Measured: each note sounds at its key's pitch (cents, FFT
peak), starts on the frame its event says (at any block size), its level follows velocity (dB) and the
gain parameter; the plugin's own state restores the sound; over OSC it plays a channel and the session
brings it back; ``wave render --session`` bounces what the live engine plays (null below -60 dB); a
NaN or a CPU overrun silences it with one warning while the other channels play on.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from server.errors import InputError
from server.midi.song import NOTE_OFF, NOTE_ON, Event
from tests.helpers import analysis
from tests.test_live_engine import BLOCK, SR, folders, osc, render
from tests.test_live_engine import make_server as _make_server
from tests.test_vst3 import installed, vst3_from_env


def make_server(tmp: Path, session: Path | None = None, **kw):
    return _make_server(tmp, session, capture=True, **kw)


ENV = "WAVE_TEST_VST3_INSTRUMENT"
REASON = f"set {ENV}=/path/to/wave_sine.vst3 to run the VST3 instrument tests (docs/plugins.md, appendix)"


def db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-30))


def peak_hz(x: np.ndarray, lo: float, hi: float) -> float:
    return analysis.peak_hz(x, SR, lo, hi)


def cents(hz: float, key: int) -> float:
    return 1200 * np.log2(hz / (440.0 * 2 ** ((key - 69) / 12)))


def play(inst, events: list[tuple[int, Event]], frames: int, block: int = BLOCK) -> np.ndarray:
    """``events`` (absolute frame, Event) through ``inst`` block by block, each at its offset."""
    out, silence = [], np.zeros((2, block), dtype=np.float32)
    for start in range(0, frames, block):
        due = [(f - start, e) for f, e in events if start <= f < start + block]
        out.append(inst.process(silence, due).copy() if due else inst.process(silence).copy())
    return np.concatenate(out, axis=1)[:, :frames]


def on(key: int, vel: int = 100) -> Event:
    return Event(0.0, NOTE_ON, 0, key, vel)


def off(key: int) -> Event:
    return Event(0.0, NOTE_OFF, 0, key, 0)


# -- without a plugin ---------------------------------------------------------------------------------
def test_an_instrument_bundle_outside_the_plugin_folders_is_refused(tmp_path):
    from server.live.graph import GraphBuilder

    fo = folders(tmp_path)
    g = GraphBuilder(fo, SR, BLOCK, Path("unused.sf2"))
    outside = tmp_path / "elsewhere" / "synth.vst3"
    outside.mkdir(parents=True)
    for name in (f"vst3:{outside}", f"lv2:{outside}"):  # /wave/plugin/instrument names it lv2:PATH
        with pytest.raises(InputError, match="outside the plugin folders"):
            g.new_source(name, 0)
    with pytest.raises(InputError, match="does not exist"):
        g.new_source("vst3:missing.vst3", 0)
    with pytest.raises(InputError, match=r"must end with \.vst3"):
        g.new_source("vst3:synth.so", 0)


# -- with the WaveSine test instrument -------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle() -> Path:
    return vst3_from_env(ENV, REASON).resolve()


@pytest.fixture(scope="module")
def wavesine(bundle):
    from server.plugins.vst3 import probe

    info = probe(bundle)
    if not info.instrument or {"gain_db", "nan", "burn_ms"} - {p.symbol for p in info.params}:
        pytest.skip(f"{ENV} is {info.name!r}, not the WaveSine test instrument (docs/plugins.md)")
    return info


@pytest.fixture()
def inst(bundle, wavesine):
    from server.plugins.vst3_instrument import load

    i = load(bundle, sample_rate=SR, block=BLOCK)
    yield i
    i.close()


def test_discovery_lists_it_as_an_instrument_with_its_parameters_only(wavesine):
    assert wavesine.instrument and wavesine.channels == 2 and wavesine.latency == 0
    # DPF's 2080 stand-in parameters for MIDI controllers are not parameters a user sets
    assert [p.symbol for p in wavesine.params] == ["gain_db", "nan", "burn_ms"]


def test_notes_sound_at_their_pitch_from_their_frame_with_their_velocity(inst):
    for key in (45, 69, 84):
        y = play(inst, [(1000, on(key, 127)), (1000 + SR, off(key))], SR + 4000)
        x = y[0, 1000 : 1000 + SR]
        assert abs(cents(peak_hz(x, 20.0, 8000.0), key)) < 1.0, key
    # onsets on the event's frame: inside a block, on a block's first and last frame, at odd block sizes
    for block in (BLOCK, 333, 1024):
        for frame in (1000, 2 * block, 3 * block - 1):
            y = play(inst, [(frame, on(69)), (frame + 2000, off(69))], frame + 4000, block)
            first = int(np.flatnonzero(np.abs(y[0]) > 1e-4)[0])
            assert first == frame, (block, frame, first)
            assert np.abs(y[:, frame + 2000 + 480 :]).max() == 0.0  # released within 5 ms of its note-off
    levels = {}
    for vel in (127, 64, 16):
        y = play(inst, [(0, on(69, vel)), (SR // 2, off(69))], SR // 2)
        levels[vel] = db(y[0])
    for vel in (64, 16):
        assert abs(levels[vel] - levels[127] - 20 * np.log10(vel / 127)) < 0.05, levels
    assert abs(levels[127] - 20 * np.log10(np.sqrt(0.5))) < 0.05  # a full-scale sine: -3 dB RMS
    assert inst.active_voices == 0


def test_the_same_notes_at_any_block_size_give_the_same_audio(bundle, wavesine):
    from server.plugins.vst3_instrument import load

    events = [(0, on(60)), (700, on(64, 80)), (5000, off(60)), (5001, on(67, 50)), (9000, off(64)), (9999, off(67))]
    outs = []
    for block in (256, 333, 1024):
        i = load(bundle, sample_rate=SR, block=block)
        try:
            outs.append(play(i, events, 12000, block))
        finally:
            i.close()
    assert db(outs[0]) > -20.0
    for y in outs[1:]:
        assert np.abs(y - outs[0]).max() < 1e-6


def test_gain_and_the_plugins_own_state_restore_the_sound(bundle, inst):
    from server.plugins.vst3 import STATE_KEY
    from server.plugins.vst3_instrument import load

    ref = play(inst, [(0, on(69, 127))], SR // 4)
    inst.set("Gain", -12.0)  # by the plugin's name for it (or its symbol, gain_db)
    y = play(inst, [(0, off(69)), (0, on(72, 127))], SR // 2)[:, SR // 4 :]
    assert abs(db(y) - db(ref) + 12.0) < 0.05
    saved = inst.state()
    assert saved["gain_db"] == -12.0 and saved[STATE_KEY]
    blob_only = {STATE_KEY: saved[STATE_KEY]}  # the plugin's raw_state alone carries the gain
    again = load(bundle, state=blob_only, sample_rate=SR, block=BLOCK)
    try:
        assert again.values["gain_db"] == -12.0
        y2 = play(again, [(0, on(69, 127))], SR // 4)
    finally:
        again.close()
    assert abs(db(y2) - db(ref) + 12.0) < 0.05
    with pytest.raises(InputError, match="gain_db"):
        inst.set("gain_db", 40.0)


def test_an_effect_cannot_play_a_channel_and_an_instrument_cannot_be_an_insert(bundle, wavesine, tmp_path):
    from server.plugins.slots import new_slot
    from server.plugins.vst3_instrument import VST3Instrument

    fo = folders(tmp_path)
    name = installed(bundle, fo.plugins)
    with pytest.raises(InputError, match="is an instrument; insert slots take audio effects"):
        new_slot(name, fo.plugins)
    effect = os.environ.get("WAVE_TEST_VST3")
    if effect:
        with pytest.raises(InputError, match="takes no MIDI"):
            VST3Instrument(Path(effect).resolve())


def test_over_osc_it_plays_a_channel_in_tune_and_the_session_restores_it(bundle, wavesine, tmp_path):
    session = tmp_path / "session.json"
    s = make_server(tmp_path, session)
    try:
        name = installed(bundle, s.folders.plugins)
        osc(s, "/wave/plugin/instrument", 2, name)
        s._loader.submit(lambda: None).result(timeout=120)
        (loaded,) = [args for a, args in s.sent if a == "/wave/set/loaded"]
        assert loaded[1] == 2 and loaded[0].endswith(name), s.sent
        osc(s, "/wave/note", 2, 69, 100)
        y = render(s, 1.0)
        s.flush_session()
    finally:
        s.shutdown()
    x = y[0, SR // 4 : SR // 4 + 32768]
    assert abs(cents(peak_hz(x, 415.0, 466.0), 69)) < 1.0
    r = make_server(tmp_path, session)  # restored from the session: the instrument plays channel 2 again
    try:
        assert r.engine.snapshot.strips[2].set_name == loaded[0]
        osc(r, "/wave/note", 2, 72, 100)
        y2 = render(r, 1.0)
    finally:
        r.shutdown()
    assert abs(cents(peak_hz(y2[0, SR // 4 : SR // 4 + 32768], 500.0, 560.0), 72)) < 1.0
    assert abs(db(y2[:, SR // 4 :]) - db(y[:, SR // 4 :])) < 0.1


def song(path: Path, channel: int = 0) -> Path:
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    for k, v in ((60, 100), (64, 70), (67, 40), (72, 127)):
        tr.append(mido.Message("note_on", channel=channel, note=k, velocity=v, time=0))
        tr.append(mido.Message("note_off", channel=channel, note=k, velocity=0, time=173))  # off the block grid
    mid.tracks.append(tr)
    mid.save(path)
    return path


def test_a_bounce_of_the_session_is_what_the_live_engine_plays(bundle, wavesine, tmp_path):
    import soundfile as sf

    from server.live.session import Session
    from server.midi.song import load_song
    from server.plugins.vst3_instrument import load
    from server.render.bounce import bounce_to_file
    from server.render.render import RenderSettings

    fo = folders(tmp_path)
    name = installed(bundle, fo.plugins)
    probe = load(fo.plugins / name)  # a state with the gain at -6 dB: the session carries it
    probe.set("gain_db", -6.0)
    state = probe.state()
    probe.close()
    mid = song(fo.midi / "song.mid")

    def session() -> Session:
        sess = Session(sets={0: f"vst3:{name}"})
        sess.source_state = {0: state}  # see server/live/graph.py: a channel's instrument state
        return sess

    from server.live.drivers import PacedDriver
    from server.live.server import LiveServer

    srv = LiveServer(PacedDriver(), sample_rate=SR, block=BLOCK, folders=fo, session=session())
    try:
        assert srv.engine.snapshot.strips[0].source.values["gain_db"] == -6.0
        eng = srv.engine
        eng.play(load_song(mid).events_at(SR))
        live = np.concatenate([eng.process(BLOCK).copy() for _ in range(2 * SR // BLOCK)], axis=1)
    finally:
        srv.shutdown()
    out = tmp_path / "b.wav"
    bounce_to_file(load_song(mid), out, session=session(), folders=fo, fmt="float",
                   settings=RenderSettings(sample_rate=SR, block=BLOCK, raw=True, tail=0.5, progress=False))
    b, sr = sf.read(out, dtype="float32")
    b = b.T
    assert sr == SR and db(b) > -30.0
    n = b.shape[1]
    assert db(live[:, :n] - b) - db(b) <= -60.0, db(live[:, :n] - b) - db(b)
    first = int(np.flatnonzero(np.abs(b[0]) > 1e-4)[0])
    assert first == 0  # the first note on the song's first frame
    # the fourth note, velocity 127 after three of 100/70/40, 173 ticks each at 120 bpm
    start = round(3 * 173 / 480 * 0.5 * SR)
    assert int(np.flatnonzero(np.abs(b[0, start - 50 :]) > 0.3)[0]) + start - 50 == start


def test_nan_and_overruns_silence_it_while_the_other_channels_play_on(bundle, wavesine, tmp_path):
    from server.plugins.vst3_instrument import OVERRUN_BLOCKS

    s = make_server(tmp_path)
    try:
        name = installed(bundle, s.folders.plugins)
        for ch in (0, 1):
            osc(s, "/wave/plugin/instrument", ch, name)
        s._loader.submit(lambda: None).result(timeout=120)
        src = s.engine.snapshot.strips[0].source
        src.set("nan", 1.0)
        osc(s, "/wave/note", 0, 69, 100)
        osc(s, "/wave/note", 1, 76, 100)
        y = render(s, 0.5)
        assert src.faulted == "produced non-finite samples" and src.faults == 1
        assert np.isfinite(y).all()
        x = y[0, SR // 8 :]
        assert abs(cents(peak_hz(x, 600.0, 700.0), 76)) < 1.0  # channel 1 plays on
        assert db(x) > -20.0
        other = s.engine.snapshot.strips[1].source
        other.set("burn_ms", 1000 * BLOCK / SR * 1.5)  # each block 1.5x slower than real time
        render(s, (OVERRUN_BLOCKS + 1) * BLOCK / SR)
        assert other.faulted.startswith("took longer than the block's duration")
        assert db(render(s, 0.5)[:, -BLOCK:]) < -90.0  # both silent now (the master's DC blocker settled)
        other.set("burn_ms", 0.0)
        s._loader.submit(other.reset).result(timeout=60)  # played again after a reset
        render(s, BLOCK / SR)  # the reset's all-sound-off goes out on the next block
        osc(s, "/wave/note", 1, 76, 100)
        assert db(render(s, 0.3)[:, BLOCK:]) > -20.0 and not other.faulted
    finally:
        s.shutdown()


def test_a_bounce_waits_for_an_instrument_slower_than_real_time(bundle, wavesine, tmp_path):
    """Offline nothing is late: an instrument taking 1.5x the block's duration is waited for, never
    silenced as it is live (the bounce sets the source's freewheel as it does a timbre model's)."""
    import soundfile as sf

    from server.live.session import Session
    from server.midi.song import load_song
    from server.plugins.vst3_instrument import OVERRUN_BLOCKS, load
    from server.render.bounce import bounce_to_file
    from server.render.render import RenderSettings

    fo = folders(tmp_path)
    name = installed(bundle, fo.plugins)
    probe = load(fo.plugins / name)
    probe.set("burn_ms", 1000 * BLOCK / SR * 1.5)
    state = probe.state()
    probe.close()
    mid = song(fo.midi / "song.mid")
    session = Session(sets={0: f"vst3:{name}"})
    session.source_state = {0: state}
    out = tmp_path / "slow.wav"
    bounce_to_file(load_song(mid), out, session=session, folders=fo, fmt="float",
                   settings=RenderSettings(sample_rate=SR, block=BLOCK, raw=True, tail=0.2, progress=False))
    b, _ = sf.read(out, dtype="float32")
    late = (OVERRUN_BLOCKS + 4) * BLOCK  # past the point where the live engine would have silenced it
    assert db(b[late:late + SR // 4].T) > -30.0  # still playing the song's notes


def test_an_instruments_fault_is_reported_once_and_its_latency_counts_in_the_graph(bundle, wavesine, tmp_path):
    s = make_server(tmp_path)
    try:
        name = installed(bundle, s.folders.plugins)
        osc(s, "/wave/plugin/instrument", 0, name)
        s._loader.submit(lambda: None).result(timeout=120)
        src = s.engine.snapshot.strips[0].source
        assert s.engine.snapshot.strips[0].latency_samples >= src.latency_samples  # counted in its strip
        src.set("nan", 1.0)
        osc(s, "/wave/note", 0, 69, 100)
        render(s, 0.3)
        s._report_audio_errors()
        errors = [args for a, args in s.sent if a == "/wave/error" and args[0] == "audio"]
        assert len(errors) == 1 and "instrument" in errors[0][1] and "non-finite" in errors[0][1], errors
        render(s, 0.3)
        s._report_audio_errors()
        assert len([a for a, args in s.sent if a == "/wave/error"]) == 1  # reported once, not every block
    finally:
        s.shutdown()
