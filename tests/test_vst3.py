"""VST3 plugins in the live graph's insert slots (server/plugins/vst3.py, slots.py) through pedalboard.

Everywhere: discovery of bundles in the standard folders and --plugin-path, confinement of paths to the
plugin folders, and the errors of a corrupt bundle and of one that crashes while loading (opened in a
child process, so the server lives on).

With a real plugin: set WAVE_TEST_VST3=/path/to/plugin.vst3. Any VST3 effect runs the generic tests
(description, stereo processing, state round trip). The WaveGain test plugin (docs/plugins.md: how to
build it with DPF; gain in dB, a pure delay reported as latency, a NaN switch, a CPU burn) runs the rest:
level in dB, latency compensated across channels, session restore, ``wave render --session`` parity,
NaN and overrun faults bypassed with one error while the server plays on. WAVE_TEST_VST3_MONO names
its mono build (WaveGainMono): a mono plugin runs as two instances, one per side.

The live graph's ``new_plugin`` hands a source to :func:`server.plugins.slots.new_slot` here (the
fixture ``hook``): that one line is what server/live/graph.py needs to host VST3 slots.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from server.errors import InputError
from tests.test_live_engine import BLOCK, SR, errors, folders, osc, render
from tests.test_live_engine import make_server as _make_server
from tests.test_live_engine import wait_loader as _wait_loader


def make_server(tmp: Path, session: Path | None = None):
    return _make_server(tmp, session, capture=True)


def wait_loader(server) -> None:
    _wait_loader(server, timeout=120)


VST3_ENV = "WAVE_TEST_VST3"
MONO_ENV = "WAVE_TEST_VST3_MONO"  # the WaveGainMono build of the test plugin (1 in, 1 out)
REASON = f"set {VST3_ENV}=/path/to/plugin.vst3 to run the VST3 tests with a real plugin (docs/plugins.md)"


# -- helpers --------------------------------------------------------------------------------------------
def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-30)


def signal(blocks: int = 40) -> np.ndarray:
    t = np.arange(blocks * BLOCK) / SR
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 997 * t + 1)]).astype(np.float32)


def run(plugin, x: np.ndarray) -> np.ndarray:
    return np.concatenate([plugin.process(x[:, i : i + BLOCK]).copy() for i in range(0, x.shape[1], BLOCK)], axis=1)


def load(server, target: int, plugin: str) -> list:
    server.sent.clear()
    osc(server, "/wave/plugin/load", target, plugin)
    wait_loader(server)
    return [args for a, args in server.sent if a == "/wave/plugin/loaded"]


def play_organ(server, ch: int = 0, seconds: float = 1.0) -> np.ndarray:
    osc(server, "/wave/program", ch, 19)
    render(server, 0.05)
    for k in (60, 64, 67):
        osc(server, "/wave/note", ch, k, 70)
    return render(server, seconds)


@pytest.fixture()
def hook(monkeypatch):
    """The live server's slots made by server.plugins.slots.new_slot (LV2 and VST3), for loads over OSC
    and from the session alike (graph building is server/live/graph.py's GraphBuilder.new_plugin)."""
    from server.plugins.slots import new_slot

    try:
        from server.live.graph import GraphBuilder as owner
    except ImportError:  # before the graph moved out of server.py
        from server.live.server import LiveServer as owner
    name = "new_plugin" if hasattr(owner, "new_plugin") else "_new_plugin"
    monkeypatch.setattr(owner, name, lambda self, source: new_slot(source, self.folders.plugins))


def fake_bundle(root: Path, name: str, library: bytes | None = b"not a shared library\n") -> Path:
    b = root / f"{name}.vst3"
    lib = b / "Contents" / "x86_64-linux"
    lib.mkdir(parents=True)
    if library is not None:
        (lib / f"{name}.so").write_bytes(library)
    return b


def compiled_bundle(root: Path, name: str, body: str) -> Path:
    """A bundle whose library runs ``body`` as soon as it is loaded (compiled here with the C compiler)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a misbehaving plugin library")
    b = fake_bundle(root, name, None)
    src = root / f"{name}.c"
    src.write_text("#include <signal.h>\n#include <unistd.h>\n"
                   f"__attribute__((constructor)) static void on_load(void) {{ {body} }}\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(b / "Contents" / "x86_64-linux" / f"{name}.so"), str(src)],
                   check=True, capture_output=True)
    return b


def crashing_bundle(root: Path) -> Path:
    return compiled_bundle(root, "crash", "raise(SIGSEGV);")


# -- everywhere: discovery, confinement, errors ----------------------------------------------------------
def test_bundles_are_found_in_the_plugin_path_once_and_not_inside_bundles(tmp_path):
    from server.plugins.vst3 import find_bundles

    a = fake_bundle(tmp_path / "vst", "alpha")
    b = fake_bundle(tmp_path / "vst" / "vendor" / "sub", "beta")
    fake_bundle(a / "Contents" / "Resources", "nested")  # inside a bundle: part of it, not another plugin
    (tmp_path / "vst" / "readme.txt").write_text("x")
    found = find_bundles([tmp_path / "vst", tmp_path / "vst" / "vendor"])
    ours = [p for p in found if p.is_relative_to(tmp_path.resolve())]
    assert ours == sorted([a.resolve(), b.resolve()])


def test_paths_are_confined_to_the_plugin_folders(tmp_path):
    from server.plugins.vst3 import resolve

    inside = fake_bundle(tmp_path / "plugins", "good")
    outside = fake_bundle(tmp_path / "elsewhere", "evil")
    roots = [tmp_path / "plugins"]
    assert resolve("good.vst3", roots) == (inside.resolve(), None)
    assert resolve(f"{inside}#Some Plugin", roots) == (inside.resolve(), "Some Plugin")
    cases = [(str(outside), "outside the plugin folders"), ("../elsewhere/evil.vst3", "outside the plugin folders"),
             ("good.so", "must end with .vst3"), ("missing.vst3", "does not exist"), ("", "empty plugin path")]
    for source, words in cases:
        with pytest.raises(InputError, match=words):
            resolve(source, roots)
    link = tmp_path / "plugins" / "link.vst3"
    link.symlink_to(outside, target_is_directory=True)  # a link out of the folder is outside too
    with pytest.raises(InputError, match="outside"):
        resolve("link.vst3", roots)


def test_a_corrupt_bundle_and_one_that_crashes_are_refused_with_one_line(tmp_path):
    from server.plugins.vst3 import probe

    bad = fake_bundle(tmp_path, "corrupt")
    with pytest.raises(InputError) as err:
        probe(bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    crash = crashing_bundle(tmp_path)
    with pytest.raises(InputError, match=r"crashed while loading \(signal 11\)"):
        probe(crash)
    hang = compiled_bundle(tmp_path, "hang", "sleep(600);")
    with pytest.raises(InputError, match=r"did not finish loading within 3 s"):
        probe(hang, timeout=3)


def test_wave_plugins_lists_bad_bundles_with_their_error(tmp_path, capsys):
    from server.cli import main

    fake_bundle(tmp_path / "vst", "corrupt")
    crashing_bundle(tmp_path / "vst")  # its library is loaded in a child only: wave plugins lives on
    assert main(["plugins", "--json", "--plugin-path", str(tmp_path / "vst")]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out) if r.get("format") == "vst3"}
    assert "failed to load" in rows["corrupt"]["error"] and rows["corrupt"]["uri"].endswith("corrupt.vst3")
    assert "crashed while loading" in rows["crash"]["error"]


def test_the_server_refuses_bad_vst3_bundles_one_error_each_and_plays_on(tmp_path, hook):
    s = make_server(tmp_path)
    try:
        fake_bundle(s.folders.plugins, "corrupt")
        crashing_bundle(s.folders.plugins)
        outside = fake_bundle(tmp_path / "elsewhere", "evil")
        cases = [("corrupt.vst3", "failed to load"), ("crash.vst3", "crashed while loading"),
                 (str(outside), "outside"), ("missing.vst3", "does not exist")]
        for plugin, words in cases:
            s.sent.clear()
            osc(s, "/wave/plugin/load", 0, plugin)
            wait_loader(s)
            errs = errors(s)
            assert len(errs) == 1 and errs[0][0] == "/wave/plugin/load" and words in errs[0][1], (plugin, errs)
        assert s.engine.snapshot.strips[0].plugins == ()
        y = play_organ(s, seconds=0.5)
        assert np.isfinite(y).all() and db(y[:, -SR // 4 :]) > -60.0  # the organ sounds (silence is -300 dB)
    finally:
        s.shutdown()


# -- with a real plugin (WAVE_TEST_VST3) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return vst3_from_env(VST3_ENV, REASON)


def vst3_from_env(var: str, reason: str) -> Path:
    """The .vst3 bundle the environment variable ``var`` names: the test is skipped (``reason``) without it and
    fails when it names anything else."""
    path = os.environ.get(var)
    if not path:
        pytest.skip(reason)
    src = Path(path)
    if src.suffix.lower() != ".vst3" or not src.exists():
        pytest.fail(f"{var}={path}: not a .vst3 bundle")
    return src


def installed(bundle: Path, plugins: Path) -> str:
    """Copy the bundle into a server's plugins folder; its name there."""
    dst = plugins / bundle.name
    if not dst.exists():
        (shutil.copytree if bundle.is_dir() else shutil.copy2)(bundle, dst)
    return bundle.name


@pytest.fixture(scope="module")
def info(bundle):
    from server.plugins.vst3 import probe

    return probe(bundle.resolve())


@pytest.fixture(scope="module")
def wavegain(info):
    if {"gain_db", "delay_samples", "nan", "burn_ms"} - {p.symbol for p in info.params}:
        pytest.skip(f"{VST3_ENV} is {info.name!r}, not the WaveGain test plugin (docs/plugins.md); its own tests skip")
    return info


def test_discovery_describes_the_plugin(bundle, info, tmp_path, capsys):
    from server.cli import main

    installed(bundle, tmp_path)
    assert main(["plugins", "--json", "--plugin-path", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    (row,) = [r for r in rows if r.get("bundle") == str((tmp_path / bundle.name).resolve())]
    assert row["format"] == "vst3" and row["name"] == info.name and "error" not in row
    assert row["params"] and all(q["lo"] <= q["default"] <= q["hi"] for q in row["params"])
    assert isinstance(row["latency"], int) and isinstance(row["instrument"], bool)


def test_any_plugin_processes_stereo_and_its_state_round_trips(bundle, info):
    from server.plugins.vst3 import ExternalPlugin

    if info.instrument:
        pytest.skip(f"{info.name} is an instrument; slots take effects")
    x = signal()
    p = ExternalPlugin(bundle.resolve(), info=info)
    p.prepare(SR, BLOCK)
    y = run(p, x)
    assert y.shape == x.shape and np.isfinite(y).all()
    saved = json.loads(json.dumps(p.state()))
    q = ExternalPlugin(bundle.resolve(), info=info)
    q.restore(saved)
    q.prepare(SR, BLOCK)
    assert q.values == p.values
    y2 = run(q, x)
    assert db(y2 - y) - db(y) <= -100.0  # a deterministic effect: the same sound


def test_wavegain_level_latency_and_state(bundle, wavegain):
    from server.plugins.vst3 import STATE_KEY, ExternalPlugin

    assert wavegain.latency == 64 and not wavegain.instrument
    x = signal()
    p = ExternalPlugin(bundle.resolve(), info=wavegain)
    p.set("gain_db", -12.0)
    p.set("Delay", 300)  # by the plugin's parameter name too
    p.prepare(SR, BLOCK)
    assert p.latency_samples == 300
    y = run(p, x)
    exact = np.zeros_like(x)
    exact[:, 300:] = x[:, :-300] * np.float32(10 ** (-12 / 20))
    assert abs(db(y[:, 300:]) - db(x[:, :-300]) + 12.0) <= 0.01
    assert db(y - exact) - db(exact) <= -100.0
    with pytest.raises(InputError, match="out of range"):
        p.set("gain_db", 20.0)
    # the plugin's own state alone (no values) restores its settings
    q = ExternalPlugin(bundle.resolve(), info=wavegain)
    q.restore({STATE_KEY: p.state()[STATE_KEY]})
    q.prepare(SR, BLOCK)
    assert q.values["gain_db"] == -12.0 and q.values["delay_samples"] == 300.0 and q.latency_samples == 300
    assert np.array_equal(run(q, x), y)
    # a state that does not load: the values stand
    r = ExternalPlugin(bundle.resolve(), info=wavegain)
    r.restore({"gain_db": -6.0, STATE_KEY: "bm90IGEgc3RhdGU="})
    r.prepare(SR, BLOCK)
    assert r.values["gain_db"] == -6.0


def onsets(server, channels=(1, 0)) -> list[int]:
    """The first sound of a note on each channel, in frames from when it was sent."""
    out = []
    for ch in channels:
        osc(server, "/wave/program", ch, 19)
        render(server, 0.05)
        mark = server.engine.watch_onset()
        osc(server, "/wave/note", ch, 69, 100)
        render(server, 0.2)
        out.append(server.engine.first_sound_frame - mark)
        osc(server, "/wave/note", ch, 69, 0)
        render(server, 1.5)
    return out


def test_wavegain_live_level_latency_session_and_bounce(bundle, wavegain, tmp_path, hook):
    import mido
    import soundfile as sf

    from server.live.session import Session
    from server.midi.song import load_song
    from server.plugins.vst3 import STATE_KEY
    from server.render.bounce import bounce_to_file
    from server.render.render import RenderSettings

    plain = make_server(tmp_path / "a")
    try:
        ref = play_organ(plain)
    finally:
        plain.shutdown()
    session = tmp_path / "b" / "session.json"
    s = make_server(tmp_path / "b", session)
    try:
        name = installed(bundle, s.folders.plugins)
        assert load(s, 0, name) == [[0, 0, wavegain.name, 64]], s.sent
        assert load(s, -1, name) == [[-1, 0, wavegain.name, 64]], s.sent
        assert s.engine.snapshot.latency_samples == 64  # channel 0's plugin: the other channels wait for it
        assert s.engine.latency_samples == 128  # and the master's after the mix
        on = onsets(s)  # at unity gain: a quieter channel would cross the onset threshold later
        assert on[0] == on[1] and on[0] >= 64, on
        osc(s, "/wave/plugin/set", 0, 0, "gain_db", -12.0)
        osc(s, "/wave/plugin/set", -1, 0, "Gain", -6.0)  # by the plugin's name for it too
        assert errors(s) == []
        params = {args[2]: args for a, args in osc(s, "/wave/plugin/params", 0, 0)}
        assert params["gain_db"][4:] == [-60.0, 12.0, -12.0]
        (item, _) = osc(s, "/wave/plugin/list", -1)
        assert item[1][3:] == [wavegain.name, 64, 0]
        y = play_organ(s)
        s.flush_session()
    finally:
        s.shutdown()
    tail = slice(SR // 2, None)
    gain = db(y[:, tail]) - db(ref[:, tail])
    assert abs(gain + 18.0) <= 0.1, gain
    saved = json.loads(session.read_text())
    slot = saved["plugins"]["0"][0]
    assert slot["source"] == bundle.name and slot["values"]["gain_db"] == -12.0
    assert slot["values"][STATE_KEY]  # pedalboard's raw_state, base64
    r = make_server(tmp_path / "b", session)  # restored from the session: the same sound
    try:
        (p,) = r.engine.snapshot.strips[0].plugins
        assert p.values["gain_db"] == -12.0 and p.latency_samples == 64
        y2 = play_organ(r)
    finally:
        r.shutdown()
    assert db(y2 - y) - db(y) <= -80.0

    # a 300-sample delay saved in the session: read as the slot's latency when it is restored
    slot["values"]["delay_samples"] = 300
    slot["values"]["gain_db"] = 0.0
    session.write_text(json.dumps(saved))
    r = make_server(tmp_path / "b", session)
    try:
        assert r.engine.snapshot.strips[0].plugins[0].latency_samples == 300
        assert r.engine.snapshot.latency_samples == 300 and r.engine.latency_samples == 364
        on = onsets(r)
        assert on[0] == on[1] and on[0] >= 300, on
    finally:
        r.shutdown()

    # wave render --session: the same plugins bounce as live plays them (the latency trimmed)
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr.append(mido.Message("program_change", channel=0, program=19, time=0))
    for k in (60, 64, 67, 72):
        tr.append(mido.Message("note_on", channel=0, note=k, velocity=70, time=0))
        tr.append(mido.Message("note_off", channel=0, note=k, velocity=0, time=480))
    mid.tracks.append(tr)
    mid.save(tmp_path / "song.mid")
    fo = folders(tmp_path / "b")
    # the master section included (its slot is there), without normalisation
    settings = RenderSettings(sample_rate=SR, block=BLOCK, normalize="none", tail=0.5, progress=False)

    def bounce(sess: Session, out: str) -> np.ndarray:
        bounce_to_file(load_song(tmp_path / "song.mid"), tmp_path / out, session=sess, folders=fo, fmt="float",
                       settings=settings)
        return sf.read(tmp_path / out, dtype="float32")[0].T

    dry = bounce(Session(), "plain.wav")
    wet = bounce(Session.load(session), "vst3.wav")
    assert wet.shape == dry.shape and db(dry) > -50.0
    exact = dry * np.float32(10 ** (-6 / 20))  # 300 + 64 samples of plugin delay compensated
    assert db(wet - exact) - db(exact) <= -60.0, db(wet - exact) - db(exact)


def test_wavegain_midi_learn_and_faults_bypassed_with_one_error_while_the_server_plays_on(bundle, wavegain, tmp_path, hook):
    from server.live.engine import SLOT_OVERRUN_BLOCKS

    s = make_server(tmp_path)
    try:
        name = installed(bundle, s.folders.plugins)
        load(s, 0, name)
        load(s, -1, name)
        # MIDI learn reaches a VST3 parameter over its range (-60 ... 12 dB)
        osc(s, "/wave/plugin/learn", 0, 0, "Gain")
        osc(s, "/wave/cc", 0, 21, 127)
        assert ("/wave/learned", [0, 21, 0, "plugin:0", "gain_db"]) in s.sent
        assert s.engine.snapshot.strips[0].plugins[0].values["gain_db"] == 12.0
        osc(s, "/wave/cc", 0, 21, 0)
        assert s.session.plugins[0][0]["values"]["gain_db"] == -60.0
        osc(s, "/wave/plugin/set", 0, 0, "gain_db", 0.0)
        play_organ(s, seconds=0.2)
        osc(s, "/wave/plugin/set", 0, 0, "nan", 1)
        y = render(s, 0.3)
        (slot,) = s.engine.snapshot.strips[0].plugins
        assert "non-finite" in slot.faulted and np.isfinite(y).all()
        assert db(y[:, -SR // 10 :]) > -60.0  # the channel plays on, dry
        s._report_audio_errors()
        errs = [args for args in errors(s) if args[0] == "audio"]
        assert len(errs) == 1 and wavegain.name in errs[0][1], errs
        # a plugin slower than real time (40 ms of work per 10.7 ms block) is bypassed after a few blocks
        osc(s, "/wave/plugin/set", -1, 0, "burn_ms", 40.0)
        render(s, (SLOT_OVERRUN_BLOCKS + 2) * BLOCK / SR)
        (master,) = s.engine.snapshot.master_plugins
        assert "longer than the block" in master.faulted
        y = render(s, 0.3)
        assert np.isfinite(y).all() and db(y[:, -SR // 10 :]) > -60.0
        osc(s, "/wave/plugin/set", 0, 0, "nan", 0)  # played again on request: sound through it again
        assert osc(s, "/wave/plugin/bypass", 0, 0, 0) == [("/wave/ok", ["/wave/plugin/bypass"])]
        assert not slot.faulted
        y = render(s, 0.3)
        assert np.isfinite(y).all() and not slot.faulted
    finally:
        s.shutdown()


def test_a_mono_plugin_runs_as_two_instances_one_per_side(tmp_path):
    from server.plugins.vst3 import STATE_KEY, ExternalPlugin, probe

    mono = vst3_from_env(MONO_ENV, f"set {MONO_ENV}=/path/to/wave_gain_mono.vst3 to run the mono VST3 test "
                                   "(docs/plugins.md)").resolve()
    info = probe(mono)
    assert info.channels == 1 and info.to_dict()["channels"] == 1
    x = signal()  # different left and right: any crosstalk would show in the null
    p = ExternalPlugin(mono, info=info)
    p.set("gain_db", -12.0)
    p.set("delay_samples", 100)
    p.prepare(SR, BLOCK)
    assert p.latency_samples == 100
    y = run(p, x)
    exact = np.zeros_like(x)
    exact[:, 100:] = x[:, :-100] * np.float32(10 ** (-12 / 20))
    for side in (0, 1):
        assert db(y[side] - exact[side]) - db(exact[side]) <= -100.0
    p.set("gain_db", -6.0)  # a posted value reaches both instances
    y = run(p, x)[:, BLOCK:]
    exact[:, 100:] = x[:, :-100] * np.float32(10 ** (-6 / 20))
    assert db(y - exact[:, BLOCK:]) - db(y) <= -100.0
    q = ExternalPlugin(mono, info=info)
    q.restore({STATE_KEY: p.state()[STATE_KEY]})  # the state alone sets both sides
    q.prepare(SR, BLOCK)
    assert q.latency_samples == 100 and db(run(q, x) - exact) - db(exact) <= -100.0
    for s in (p, q):
        s.close()
