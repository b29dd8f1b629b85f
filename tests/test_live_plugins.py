"""LV2 plugins in the live graph, driven over OSC (raw datagrams, no sockets): load, set, list, bypass,
remove on a channel and on the master; the level they give; latency compensation; session restore;
MIDI learn; errors for bad plugins; a plugin that outputs NaN is bypassed while the server plays on.

Needs Debian ``liblilv-0-0`` and ``x42-plugins`` (scripts/system-packages.txt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from server.live.drivers import PacedDriver
from server.live.graph import with_slots
from server.live.server import Folders, LiveServer
from tests.helpers import analysis
from tests.test_live_engine import BLOCK, SR, errors, osc, render
from tests.test_live_engine import make_server as _make_server
from tests.test_live_engine import wait_loader as _wait_loader

BALANCE = "http://gareus.org/oss/lv2/balance"
NODELAY = "http://gareus.org/oss/lv2/nodelay"


@pytest.fixture(scope="module", autouse=True)
def _lv2():
    try:
        from server.plugins.lv2 import default_world

        uris = default_world().uris()
    except Exception as exc:
        pytest.skip(f"LV2 hosting unavailable: {exc}")
    if BALANCE not in uris:
        pytest.skip("x42-plugins is not installed (apt-get install x42-plugins; see scripts/system-packages.txt)")


def make_server(tmp: Path, session: Path | None = None) -> LiveServer:
    return _make_server(tmp, session, capture=True)


def wait_loader(server) -> None:
    _wait_loader(server, timeout=60)


@pytest.fixture()
def server(tmp_path):
    s = make_server(tmp_path)
    yield s
    s.shutdown()


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-30)


def play_organ(server, ch: int = 0, seconds: float = 1.0) -> np.ndarray:
    """A sustained organ chord (quiet enough to stay under the limiter) on channel ``ch``."""
    osc(server, "/wave/program", ch, 19)
    render(server, 0.05)
    for k in (60, 64, 67):
        osc(server, "/wave/note", ch, k, 70)
    return render(server, seconds)


def load(server, target: int, plugin: str) -> list:
    server.sent.clear()
    osc(server, "/wave/plugin/load", target, plugin)
    wait_loader(server)
    return [args for a, args in server.sent if a == "/wave/plugin/loaded"]


def test_balance_on_a_channel_and_the_master_sets_the_level_and_the_session_restores_it(tmp_path):
    plain = make_server(tmp_path / "a")
    try:
        ref = play_organ(plain)
    finally:
        plain.shutdown()
    session = tmp_path / "b" / "session.json"
    s = make_server(tmp_path / "b", session)
    try:
        loaded = load(s, 0, BALANCE) + load(s, -1, BALANCE)
        assert loaded == [[0, 0, "Stereo Balance Control", 0], [-1, 0, "Stereo Balance Control", 0]], s.sent
        osc(s, "/wave/plugin/set", 0, 0, "trim", -12.0)
        osc(s, "/wave/plugin/set", -1, 0, "Trim/Gain [dB]", -6.0)  # by name too
        assert errors(s) == []
        y = play_organ(s)
        s.flush_session()
    finally:
        s.shutdown()
    tail = slice(SR // 2, None)
    assert db(ref[:, tail]) > -50.0  # the organ sounds (silence is below -90)
    gain = db(y[:, tail]) - db(ref[:, tail])
    assert abs(gain - (-18.0)) <= 0.1, gain
    # a new server from the saved session plays the same sound (what `wave render --session` builds)
    r = make_server(tmp_path / "b", session)
    try:
        assert [p.values["trim"] for p in r.engine.snapshot.strips[0].plugins] == [-12.0]
        assert [p.values["trim"] for p in r.engine.snapshot.master_plugins] == [-6.0]
        y2 = play_organ(r)
    finally:
        r.shutdown()
    assert db(y2 - y) - db(y) <= -80.0


def test_list_params_bypass_learn_and_remove(server):
    load(server, 0, BALANCE)
    osc(server, "/wave/plugin/set", 0, 0, "trim", -12.0)
    (item, count) = osc(server, "/wave/plugin/list", 0)
    assert item == ("/wave/plugin/item", [0, 0, BALANCE, "Stereo Balance Control", 0, 0])
    assert count == ("/wave/plugin/count", [0, 1])
    params = {args[2]: args for a, args in osc(server, "/wave/plugin/params", 0, 0)}
    assert params["trim"][4:] == [-20.0, 20.0, -12.0]
    on = play_organ(server)
    osc(server, "/wave/plugin/bypass", 0, 0, 1)
    off = render(server, 0.5)
    # bypassed: 12 dB louder (two different stretches of the organ: its level moves by a fraction of a dB)
    assert abs((db(off[:, -SR // 4:]) - db(on[:, -SR // 4:])) - 12.0) < 1.0
    osc(server, "/wave/plugin/bypass", 0, 0, 0)
    # MIDI learn: the next CC drives trim over its range (-20 ... 20 dB)
    osc(server, "/wave/plugin/learn", 0, 0, "trim")
    osc(server, "/wave/cc", 0, 21, 127)
    assert ("/wave/learned", [0, 21, 0, "plugin:0", "trim"]) in server.sent
    assert server.engine.snapshot.strips[0].plugins[0].values["trim"] == 20.0
    osc(server, "/wave/cc", 0, 21, 0)
    assert server.engine.snapshot.strips[0].plugins[0].values["trim"] == -20.0
    assert server.session.plugins[0][0]["values"]["trim"] == -20.0
    p = server.engine.snapshot.strips[0].plugins[0]
    assert osc(server, "/wave/plugin/remove", 0, 0) == [("/wave/ok", ["/wave/plugin/remove"])]
    assert server.engine.snapshot.strips[0].plugins == () and 0 not in server.session.plugins
    render(server, 0.05)
    server._collect()
    assert p._insts == []  # freed once the callback let go
    assert osc(server, "/wave/cc", 0, 21, 64) == []  # learned for a slot that is gone: logged, not raised
    (err,) = osc(server, "/wave/plugin/set", 0, 0, "trim", 0.0)
    assert err[0] == "/wave/error" and "no plugin" in err[1][1]
    (err,) = osc(server, "/wave/plugin/set", -1, 3, "trim", 0.0)
    assert "no plugin" in err[1][1]


def test_plugin_latency_is_compensated_across_channels(server):
    load(server, 0, NODELAY)
    osc(server, "/wave/plugin/set", 0, 0, "report_latency", 1)
    osc(server, "/wave/plugin/set", 0, 0, "delay", 300)
    render(server, 0.1)  # the plugin takes the new delay in; the server reads its latency port again
    wait_loader(server)  # ... and re-aligns the graph
    assert server.engine.latency_samples == 300
    assert server.engine.snapshot.strips[0].plugins[0].latency_samples == 300
    onsets = []
    for ch in (1, 0):  # channel 1 (no plugin) is delayed to match channel 0's plugin
        osc(server, "/wave/program", ch, 19)
        render(server, 0.05)
        ref = server.engine.watch_onset()
        osc(server, "/wave/note", ch, 69, 100)
        render(server, 0.2)
        onsets.append(server.engine.first_sound_frame - ref)
        osc(server, "/wave/note", ch, 69, 0)
        render(server, 1.5)
    assert onsets[0] == onsets[1] and onsets[0] >= 300, onsets


def test_bad_plugins_are_refused_one_error_each_and_the_server_plays_on(server, tmp_path):
    outside = tmp_path / "elsewhere.lv2"
    outside.mkdir()
    (outside / "manifest.ttl").write_text("")
    corrupt = server.folders.plugins / "corrupt.lv2"
    corrupt.mkdir()
    (corrupt / "manifest.ttl").write_text("this is not turtle {{{ ;;;\n")
    cases = [("http://example.org/none", "no LV2 plugin"), (str(outside), "outside"),
             ("../elsewhere.lv2", "outside"), ("corrupt.lv2", "no readable LV2 plugin"),
             ("missing.lv2", "not an LV2 bundle")]
    for plugin, words in cases:
        server.sent.clear()
        osc(server, "/wave/plugin/load", 0, plugin)
        wait_loader(server)
        errs = errors(server)
        assert len(errs) == 1 and errs[0][0] == "/wave/plugin/load" and words in errs[0][1], (plugin, errs)
    assert server.engine.snapshot.strips[0].plugins == ()
    y = play_organ(server, seconds=0.5)
    assert np.isfinite(y).all() and db(y[:, -SR // 4:]) > -50.0


class NaNAfter:
    """A Processor double (no LV2 plugin outputs NaN on purpose): it passes sound, then returns NaN."""

    name = "nan-maker"

    def __init__(self, good_blocks: int) -> None:
        from server.plugins.lv2 import PluginInfo

        self.info = PluginInfo(f"urn:wave:test:{self.name}", self.name, "", "", False, (), None, ())
        self.source = self.info.uri
        self.values: dict = {}
        self.left = good_blocks
        self.latency_samples = 0
        self.bypass = False
        self.faulted = ""
        self.closed = False

    def prepare(self, sample_rate, max_block, channels=2):
        pass

    def process(self, block):
        self.left -= 1
        return block * np.float32(np.nan) if self.left < 0 else block

    def reset(self):
        pass

    def state(self):
        return {}

    def close(self):
        self.closed = True


def test_a_plugin_outputting_nan_is_bypassed_and_reported(server):
    bad = NaNAfter(good_blocks=20)
    server._publish(lambda snap: with_slots(snap, 0, (bad,)))
    y = play_organ(server, seconds=1.0)
    assert np.isfinite(y).all()
    assert bad.faulted and server.engine.stats.nonfinite_blocks >= 1
    assert any("nan-maker" in f and "bypassed" in f for f in server.engine.faults)
    assert db(y[:, -SR // 4:]) > -50.0  # the channel plays on, dry (silence is below -90)
    server._report_audio_errors()
    assert any(a == "/wave/error" and args[0] == "audio" and "nan-maker" in args[1] for a, args in server.sent)


def test_wave_render_session_bounces_the_plugins_as_live_plays_them(tmp_path):
    """``wave render --session``: the bounce builds the graph from the session through LiveServer, so
    its plugins (a latency-reporting one included) sound as live, with their latency trimmed."""
    import mido
    import soundfile as sf

    from server.live.session import Session
    from server.midi.song import load_song
    from server.render.bounce import bounce_to_file
    from server.render.render import RenderSettings

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr.append(mido.Message("program_change", channel=0, program=19, time=0))
    for k in (60, 64, 67, 72):
        tr.append(mido.Message("note_on", channel=0, note=k, velocity=70, time=0))
        tr.append(mido.Message("note_off", channel=0, note=k, velocity=0, time=480))
    mid.tracks.append(tr)
    song_path = tmp_path / "song.mid"
    mid.save(song_path)
    fo = Folders(sets=tmp_path / "sets", models=tmp_path / "models", midi=tmp_path / "midi",
                 recordings=tmp_path / "rec", images=tmp_path, plugins=tmp_path / "plugins")
    settings = RenderSettings(sample_rate=SR, block=BLOCK, raw=True, tail=0.5, progress=False)

    def bounce(session: Session, name: str) -> np.ndarray:
        bounce_to_file(load_song(song_path), tmp_path / name, session=session, folders=fo, fmt="float",
                       settings=settings)
        y, sr = sf.read(tmp_path / name, dtype="float32")
        return y.T

    plain = bounce(Session(), "plain.wav")
    with_plugins = Session(plugins={
        0: [{"uri": NODELAY, "values": {"delay": 100, "report_latency": 1}},
            {"uri": BALANCE, "values": {"trim": -12.0}}],
        -1: [{"uri": BALANCE, "values": {"trim": -6.0}}]})
    y = bounce(with_plugins, "plugins.wav")
    assert y.shape == plain.shape and db(plain) > -50.0
    gain = db(y) - db(plain)
    assert abs(gain - (-18.0)) <= 0.1, gain
    exact = plain * np.float32(10 ** (-18 / 20))  # the 100-sample plugin delay was compensated
    assert db(y - exact) - db(exact) <= -60.0, db(y - exact) - db(exact)


class Slow(NaNAfter):
    """A Processor double slower than real time: it sleeps longer than a block lasts."""

    name = "slowpoke"

    def process(self, block):
        import time

        time.sleep(1.3 * block.shape[1] / SR)
        return block


def test_a_plugin_slower_than_real_time_is_bypassed_live_but_waited_for_offline(server, tmp_path):
    from server.live.engine import SLOT_OVERRUN_BLOCKS
    from server.render.bounce import OfflineDriver

    slow = Slow(0)
    server._publish(lambda snap: with_slots(snap, -1, (slow,)))
    render(server, (SLOT_OVERRUN_BLOCKS - 1) * BLOCK / SR)
    assert not slow.faulted  # a few late blocks are tolerated
    render(server, 3 * BLOCK / SR)
    assert "longer than the block" in slow.faulted
    assert any("slowpoke" in f for f in server.engine.faults)
    assert osc(server, "/wave/plugin/bypass", -1, 0, 0) == [("/wave/ok", ["/wave/plugin/bypass"])]
    assert not slow.faulted and slow.overruns == 0  # played again on request
    folders = server.folders
    offline = LiveServer(OfflineDriver(), sample_rate=SR, block=BLOCK, folders=folders, session_path=None)
    try:
        assert offline.engine.freewheel
        slow2 = Slow(0)
        offline._publish(lambda snap: with_slots(snap, -1, (slow2,)))
        render(offline, (SLOT_OVERRUN_BLOCKS + 2) * BLOCK / SR)
        assert not slow2.faulted  # a bounce waits for it
    finally:
        offline.shutdown()


ORGAN = "http://gareus.org/oss/lv2/b_synth"  # setBfree's tonewheel organ (Debian setbfree)


def peak_hz(x: np.ndarray, lo: float, hi: float) -> float:
    return analysis.peak_hz(x, SR, lo, hi)


def test_an_lv2_instrument_plays_a_channel_in_tune_and_the_session_restores_it(tmp_path):
    from server.plugins.lv2 import default_world

    if ORGAN not in default_world().uris():
        pytest.skip("setBfree is not installed (apt-get install setbfree)")
    session = tmp_path / "session.json"
    s = make_server(tmp_path, session)
    try:
        osc(s, "/wave/plugin/instrument", 2, ORGAN)
        wait_loader(s)
        assert ("/wave/set/loaded", [f"lv2:{ORGAN}", 2]) in s.sent, s.sent
        osc(s, "/wave/note", 2, 69, 100)
        y = render(s, 1.5)
        s.flush_session()
        s.sent.clear()
        osc(s, "/wave/plugin/instrument", 3, BALANCE)  # an effect cannot play a channel
        osc(s, "/wave/plugin/instrument", 3, "http://example.org/none")
        wait_loader(s)
        errs = errors(s)
        assert len(errs) == 2 and "takes no MIDI" in errs[0][1] and "no LV2 plugin" in errs[1][1], errs
    finally:
        s.shutdown()
    x = y[0, SR // 2 : SR // 2 + 32768]
    assert db(x) > -50.0
    cents = 1200 * np.log2(peak_hz(x, 415.0, 466.0) / 440.0)  # the 8' drawbar sounds the key's pitch
    assert abs(cents) < 10.0, cents
    r = make_server(tmp_path, session)  # restored from the session: the organ plays channel 2 again
    try:
        assert r.engine.snapshot.strips[2].set_name == f"lv2:{ORGAN}"
        osc(r, "/wave/note", 2, 72, 100)
        y2 = render(r, 1.5)
    finally:
        r.shutdown()
    cents = 1200 * np.log2(peak_hz(y2[0, SR // 2 : SR // 2 + 32768], 500.0, 560.0) / (440.0 * 2 ** (3 / 12)))
    assert abs(cents) < 10.0, cents


@pytest.mark.peer
def test_the_pd_patch_loads_a_plugin_and_sets_its_parameter(tmp_path):
    """Headless Pure Data runs max_patches/wave.pd against a running server: wave-plugin-load, then (a
    second run, once the plugin is in) wave-plugin-set; the Max patch's plugin messages pass the table."""
    import asyncio
    import json
    import shutil
    import socket
    import subprocess
    import threading
    import time

    from server.live.oscproto import validate
    from server.live.osctable import BY_ADDRESS

    repo = Path(__file__).resolve().parent.parent
    patch = json.loads((repo / "max_patches" / "wave.maxpat").read_text())["patcher"]
    texts = [b["box"]["text"] for b in patch["boxes"] if b["box"]["maxclass"] == "message"]
    plugin_msgs = [t for t in texts if t.startswith("/wave/plugin/")]
    assert len(plugin_msgs) >= 6
    for t in plugin_msgs:
        address, *args = t.split()
        validate(BY_ADDRESS[address], [float(a) if a.lstrip("-").replace(".", "").isdigit() else a for a in args])
    if shutil.which("pd") is None:
        pytest.skip("Pure Data (pd) not installed")
    folders = Folders(sets=tmp_path, models=tmp_path, midi=tmp_path, recordings=tmp_path, images=tmp_path,
                      plugins=tmp_path)
    server = LiveServer(PacedDriver(), sample_rate=SR, block=BLOCK, folders=folders)
    ready = threading.Event()
    th = threading.Thread(target=lambda: asyncio.run(server.serve("127.0.0.1", 0, duration=60,
                                                                  ready=lambda _s: ready.set())), daemon=True)
    th.start()

    def pd(send: str, until) -> list[str]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            listen = sock.getsockname()[1]
        port = server.osc_address[1]
        proc = subprocess.Popen(["pd", "-nogui", "-noaudio", "-nomidi", "-open", str(repo / "max_patches" / "wave.pd"),
                                 "-send", f"wave-connect disconnect; wave-connect connect 127.0.0.1 {port}; "
                                 f"wave-listen listen 0; wave-listen listen {listen}; wave-reply-to {listen}; {send}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out: list[str] = []
        try:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 20 and not until(out):
                line = proc.stderr.readline()
                if not line:
                    break
                out.append(line.strip())
        finally:
            proc.terminate()
            proc.wait(10)
        return out

    try:
        assert ready.wait(60)
        out = pd(f"wave-plugin-load 0 {BALANCE}", lambda o: any("plugin loaded" in x for x in o))
        # Pd prints the name, one symbol, with its spaces escaped
        assert any(x == r"wave-reply: wave plugin loaded 0 0 Stereo\ Balance\ Control 0" for x in out), out
        slot = server.engine.snapshot.strips[0].plugins[0]
        pd("wave-plugin-set 0 0 trim -12", lambda o: slot.values["trim"] == -12.0)
        t0 = time.monotonic()
        while slot.values["trim"] != -12.0 and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert slot.values["trim"] == -12.0
        assert server.dispatcher.malformed == 0
    finally:
        server.request_stop()
        th.join(20)
