"""The LV2 host core (server/plugins): discovery, ports, processing against lilv's own command-line host
``lv2apply`` on the same file and control values, latency, and the errors of bad plugins and bundles.

Needs Debian ``liblilv-0-0``, ``lilv-utils`` and ``x42-plugins`` (scripts/system-packages.txt)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from server.errors import InputError

BALANCE = "http://gareus.org/oss/lv2/balance"
DARC = "http://gareus.org/oss/lv2/darc#stereo"
NODELAY = "http://gareus.org/oss/lv2/nodelay"
CONVO = "http://gareus.org/oss/lv2/convoLV2#Stereo"
SR = 48000


def _world():
    try:
        from server.plugins.lv2 import default_world

        w = default_world()
    except Exception as exc:  # MissingDependencyError: no liblilv-0
        pytest.skip(f"LV2 hosting unavailable: {exc}")
    if BALANCE not in w.uris():
        pytest.skip("x42-plugins is not installed (apt-get install x42-plugins; see scripts/system-packages.txt)")
    return w


@pytest.fixture(scope="module")
def world():
    return _world()


def _db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-30)


def _signal(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    env = np.where((t % 0.25) < 0.12, 1.0, 0.1)  # level steps make a compressor work
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t) * env, 0.3 * np.sin(2 * np.pi * 1000 * t + 1) * env]) \
        .astype(np.float32)


def _run(plugin, x: np.ndarray, block: int) -> np.ndarray:
    return np.concatenate([plugin.process(x[:, i : i + block]).copy() for i in range(0, x.shape[1], block)], axis=1)


def _lv2apply(tmp_path, uri: str, x: np.ndarray, controls: dict) -> np.ndarray:
    sf = pytest.importorskip("soundfile")
    if shutil.which("lv2apply") is None:
        pytest.skip("lv2apply is not installed (apt-get install lilv-utils)")
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, x.T, SR, subtype="FLOAT")
    cmd = ["lv2apply", "-i", str(src), "-o", str(dst)]
    for k, v in controls.items():
        cmd += ["-c", k, str(v)]
    subprocess.run([*cmd, uri], check=True, capture_output=True, timeout=60)
    y, sr = sf.read(dst, dtype="float32", always_2d=True)
    assert sr == SR
    return y.T


def test_discovery_lists_ports_ranges_and_latency(world):
    uris = world.uris()
    assert len(uris) > 50 and BALANCE in uris
    info = world.info(BALANCE)
    assert info.name == "Stereo Balance Control"
    trim = info.param("trim")
    assert (trim.lo, trim.hi, trim.default) == (-20.0, 20.0, 0.0)
    assert info.param("Trim/Gain [dB]") is trim  # by display name too
    assert info.param("phaseL").toggled and info.param("monoswap").enumeration
    assert len(info.audio_in) == len(info.audio_out) == 2 and not info.instrument
    assert world.info(NODELAY).latency_port == 2 and info.latency_port is None
    d = info.to_dict()
    assert d["params"][0]["symbol"] == "trim" and d["unsupported_features"] == []


def test_darc_compressor_nulls_against_lv2apply(world, tmp_path):
    from server.plugins.lv2 import LV2Plugin

    controls = {"enable": 1, "threshold": -40, "Ratio": 1, "attack": 0.005}
    x = _signal()
    ref = _lv2apply(tmp_path, DARC, x, controls)
    p = LV2Plugin(DARC, world=world)
    for k, v in controls.items():
        p.set(k, v)
    p.prepare(SR, 512)
    y = _run(p, x, 512)
    # it does work on the sound (darc is a compressor with auto make-up: the gain moves with the level)
    assert _db(ref - x) - _db(x) > -20.0
    assert _db(y - ref) - _db(ref) <= -80.0
    p.reset()
    y2 = _run(p, x, 333)  # odd blocks after a reset: the same sound
    assert _db(y2 - ref) - _db(ref) <= -80.0
    p.close()


def test_mono_plugin_runs_per_side_and_nulls_against_lv2apply(world, tmp_path):
    from server.plugins.lv2 import LV2Plugin

    x = _signal(0.5)
    controls = {"delay": 37, "report_latency": 1}
    p = LV2Plugin(NODELAY, world=world)
    for k, v in controls.items():
        p.set(k, v)
    p.prepare(SR, 256)
    assert p.latency_samples == 37
    y = _run(p, x, 256)
    for side in range(2):
        # lv2apply runs one frame at a time and nodelay takes its delay in at its first run, so the
        # peer's first frame is the undelayed input; from the second frame on the two agree
        ref = _lv2apply(tmp_path, NODELAY, x[side : side + 1], controls)[0, 1:]
        assert _db(y[side, 1:] - ref) - _db(ref) <= -80.0
    assert np.allclose(y[:, 37:], x[:, :-37], atol=1e-7)  # it is a 37-sample delay
    p.close()


def test_balance_trim_is_minus_12_db_and_nulls_against_an_exact_gain(world):
    # lv2apply cannot run balance (it has atom ports), so the peer is the exact gain 10^(-12/20)
    from server.plugins.lv2 import LV2Plugin

    x = _signal()
    p = LV2Plugin(BALANCE, world=world)
    p.prepare(SR, 512)
    _run(p, x[:, :4800], 512)  # settle at 0 dB
    p.set("trim", -12.0)
    y = _run(p, x, 512)
    tail = slice(SR // 2, None)  # after the plugin's own gain smoothing
    gain = _db(y[:, tail]) - _db(x[:, tail])
    assert abs(gain - (-12.0)) <= 0.1
    exact = x[:, tail] * np.float32(10 ** (-12 / 20))
    assert _db(y[:, tail] - exact) - _db(exact) <= -80.0
    p.close()


def test_unknown_uri_and_bad_parameters_are_refused(world):
    from server.plugins.lv2 import LV2Plugin

    with pytest.raises(InputError, match="no LV2 plugin .*wave plugins"):
        LV2Plugin("http://example.org/no-such-plugin", world=world)
    p = LV2Plugin(BALANCE, world=world)
    with pytest.raises(InputError, match=r"trim=99.*-20 … 20"):
        p.set("trim", 99)
    with pytest.raises(InputError, match="no parameter 'volume'.*trim"):
        p.set("volume", 0)
    with pytest.raises(InputError, match="out of range"):
        p.set("trim", float("nan"))


def _bundle(folder, name: str, uri: str, extra: str = "") -> None:
    folder.mkdir()
    (folder / "manifest.ttl").write_text(
        "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<{uri}> a lv2:Plugin ; lv2:binary <nobin.so> ; rdfs:seeAlso <plugin.ttl> .\n")
    (folder / "plugin.ttl").write_text(
        "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n@prefix doap: <http://usefulinc.com/ns/doap#> .\n"
        f"<{uri}> a lv2:Plugin ; doap:name \"{name}\" ; {extra}\n"
        " lv2:port [ a lv2:AudioPort, lv2:InputPort ; lv2:index 0 ; lv2:symbol \"in\" ; lv2:name \"In\" ] ,\n"
        " [ a lv2:AudioPort, lv2:OutputPort ; lv2:index 1 ; lv2:symbol \"out\" ; lv2:name \"Out\" ] .\n")


def test_plugin_needing_an_unprovided_feature_is_refused(tmp_path):
    _world()
    from server.plugins.lv2 import LV2Plugin, World

    w = World(str(tmp_path))
    _bundle(tmp_path / "teleport.lv2", "Teleporter", "urn:wave:test:teleport",
            "lv2:requiredFeature <http://example.org/ns#teleport> ;")
    (info,) = w.load_bundle(tmp_path / "teleport.lv2")
    assert info.unsupported == ("http://example.org/ns#teleport",)
    with pytest.raises(InputError, match="requires host features WAVE does not provide: http://example.org/ns#teleport"):
        LV2Plugin(info, world=w)


def test_worker_plugins_are_hosted(world):
    """worker:schedule is provided (done synchronously after each run): x42 convoLV2 (a convolver that
    loads its impulse response in the worker) instantiates and passes finite audio."""
    from server.plugins.lv2 import LV2Plugin

    if CONVO not in world.uris():
        pytest.skip("convoLV2 not installed")
    p = LV2Plugin(CONVO, world=world)
    p.prepare(SR, 512)
    y = _run(p, _signal(0.2), 512)
    assert np.isfinite(y).all()
    p.close()


def test_bundles_not_a_bundle_corrupt_and_missing_binary(tmp_path):
    _world()
    from server.plugins.lv2 import LV2Plugin, World

    empty = tmp_path / "lv2"
    empty.mkdir()
    w = World(str(empty))
    assert w.uris() == []  # LV2_PATH is honoured: nothing there
    with pytest.raises(InputError, match="not an LV2 bundle"):
        w.load_bundle(tmp_path)
    bad = empty / "bad.lv2"
    bad.mkdir()
    (bad / "manifest.ttl").write_text("@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n<urn:x> a lv2:Plugin ;;; {{{\n")
    with pytest.raises(InputError, match="no readable LV2 plugin"):
        w.load_bundle(bad)
    nobin = empty / "nobin.lv2"
    _bundle(nobin, "No binary", "urn:wave:test:nobin")
    (info,) = w.load_bundle(nobin)
    assert info.uri == "urn:wave:test:nobin" and info.name == "No binary"
    p = LV2Plugin(info, world=w)
    with pytest.raises(InputError, match="failed to instantiate"):
        p.prepare(SR, 512)


def test_wave_plugins_json_lists_params_latency_and_instruments(world, capsys):
    import json

    from server.cli import main

    assert main(["plugins", "--json"]) == 0
    rows = {r["uri"]: r for r in json.loads(capsys.readouterr().out)}
    bal = rows[BALANCE]
    assert bal["format"] == "lv2" and bal["audio_in"] == bal["audio_out"] == 2 and not bal["instrument"]
    assert {"symbol": "trim", "lo": -20.0, "hi": 20.0, "default": 0.0}.items() <= bal["params"][0].items()
    assert rows[NODELAY]["latency"] and not bal["latency"]
    if "http://gareus.org/oss/lv2/b_synth" in rows:  # setBfree (Debian setbfree): an LV2 instrument
        assert rows["http://gareus.org/oss/lv2/b_synth"]["instrument"]
    assert main(["plugins", "--params"]) == 0
    out = capsys.readouterr().out
    assert "trim" in out and "Stereo Balance Control" in out


def test_plugins_without_audio_in_or_out_are_refused_in_slots(world):
    from server.plugins.lv2 import LV2Plugin

    midi_only = "http://gareus.org/oss/lv2/midifilter#passthru"
    if midi_only not in world.uris():
        pytest.skip("x42 midifilter not installed")
    assert not world.info(midi_only).audio_out
    with pytest.raises(InputError, match="no audio output"):
        LV2Plugin(midi_only, world=world)
