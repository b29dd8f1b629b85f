"""The SF2 2.01 writer and SFZ writer on their own, bad inputs, the CLI, and atomic output."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import soundfile as sf

from server.cli import main
from server.engine.soundfont import read_presets
from server.errors import ConfigError, InputError
from server.instruments_build import build_instrument, make_instrument
from server.instruments_build.model import LOOP_CONTINUOUS, ONE_SHOT, Envelope, Instrument, Zone
from server.instruments_build.sf2 import SAMPLE_PAD, Preset, sf2_bytes, sustain_cb, timecents
from server.instruments_build.sfz import region_opcodes
from tests.helpers.sf2 import read_sf2
from tests.test_build_players import harmonic_tone


def _inst(sr=44100):
    t = np.arange(sr // 2) / sr
    a = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    zones = [
        Zone(
            "a4",
            a,
            sr,
            69,
            60,
            80,
            1,
            64,
            LOOP_CONTINUOUS,
            1000,
            1100,
            tune_cents=-7,
            envelope=Envelope(0.01, 0.0, 2.0, 0.5, 0.25),
        ),
        Zone("hat", a[:2000], sr, 42, 42, 42, 65, 127, ONE_SHOT, exclusive_group=1, pitch_tracking=False),
    ]
    return Instrument("test", "keyboard", zones, sr)


def test_the_players_reader_reads_what_the_writer_writes_and_refuses_a_cut_file(tmp_path):
    """One SF2 reader: the engine's (server.engine.soundfont) reads the writer's presets; the tests' full
    read-back walks the file with it, so a truncated file is refused by both with an InputError."""
    data = sf2_bytes("demo", [_inst()], [Preset("demo", 0, 5, 0), Preset("kit", 128, 0, 0)])
    p = tmp_path / "x.sf2"
    p.write_bytes(data)
    assert [(q.bank, q.program, q.name) for q in read_presets(p)] == [(0, 5, "demo"), (128, 0, "kit")]
    assert [(q["bank"], q["program"], q["name"]) for q in read_sf2(p)["presets"]] == [(0, 5, "demo"), (128, 0, "kit")]
    cut = tmp_path / "cut.sf2"
    cut.write_bytes(data[: len(data) - 100])
    for reader in (read_presets, read_sf2):
        with pytest.raises(InputError, match="truncated"):
            reader(cut)


def test_sf2_structure_round_trips():
    inst = _inst()
    data = sf2_bytes("demo", [inst], [Preset("demo", 0, 5, 0), Preset("kit", 128, 0, 0)])
    assert data[:4] == b"RIFF" and data[8:12] == b"sfbk"
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.sf2"
        p.write_bytes(data)
        sf2 = read_sf2(p)
    assert sf2["version"] == (2, 1)
    assert [(p["bank"], p["program"]) for p in sf2["presets"]] == [(0, 5), (128, 0)]
    s0, s1 = sf2["samples"]
    assert (s0["root"], s0["sample_rate"], s0["type"]) == (69, 44100, 1)
    assert (s0["loop_start"] - s0["start"], s0["loop_end"] - s0["start"]) == (1000, 1100)
    assert s1["start"] == s0["end"] + SAMPLE_PAD  # 46 zero points between samples
    assert np.all(sf2["smpl"][s0["end"] : s1["start"]] == 0)
    # samples survive 16-bit conversion to within dither
    got = sf2["smpl"][s0["start"] : s0["end"]] / 32767.0
    assert np.max(np.abs(got - inst.zones[0].audio)) < 2.5 / 32767
    z0, z1 = sf2["instruments"][0]["zones"]
    keys0 = list(z0)
    assert keys0[0] == "keyRange" and keys0[1] == "velRange" and keys0[-1] == "sampleID"
    assert z0["keyRange"] == (60, 80) and z0["velRange"] == (1, 64)
    assert z0["sampleModes"] == 1 and z0["overridingRootKey"] == 69 and z0["fineTune"] == -7
    assert z0["attackVolEnv"] == timecents(0.01) == -7973
    assert z0["sustainVolEnv"] == sustain_cb(0.5) == 60
    assert z1["sampleModes"] == 0 and z1["scaleTuning"] == 0 and z1["exclusiveClass"] == 1


def test_sfz_opcodes():
    inst = _inst()
    a = " ".join(region_opcodes(inst.zones[0], "a.wav"))
    for op in (
        "lokey=60",
        "hikey=80",
        "pitch_keycenter=69",
        "lovel=1",
        "hivel=64",
        "tune=-7",
        "loop_mode=loop_continuous",
        "loop_start=1000",
        "loop_end=1099",
        "ampeg_sustain=50",
        "ampeg_release=0.25",
    ):
        assert op in a, op
    h = " ".join(region_opcodes(inst.zones[1], "h.wav"))
    for op in ("key=42", "pitch_keytrack=0", "loop_mode=one_shot", "group=1", "off_by=1"):
        assert op in h, op


def test_zone_validation():
    with pytest.raises(ValueError, match="loop"):
        Zone("x", np.zeros(100), 48000, 60, 60, 60, loop_mode=LOOP_CONTINUOUS, loop_start=50, loop_end=200)
    with pytest.raises(ValueError, match="key range"):
        Zone("x", np.zeros(100), 48000, 60, 70, 60)


# ---- bad input ---------------------------------------------------------------------------------


def _wav(tmp_path, name, audio, sr=48000, subtype="PCM_16"):
    p = tmp_path / name
    sf.write(str(p), audio, sr, subtype=subtype)
    return p


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: _wav(p, "silence.wav", np.zeros(48000)), "silent"),
        (
            lambda p: _wav(p, "click.wav", np.r_[np.zeros(1000), np.hanning(240), np.zeros(1000)]),
            "ms of sound",
        ),
        (
            lambda p: _wav(p, "nan.wav", np.r_[np.ones(100) * 0.1, np.nan, np.zeros(100)], subtype="FLOAT"),
            "NaN",
        ),
        (lambda p: (p / "notes.txt").write_text("not audio") and p / "notes.txt", "WAV"),
        (lambda p: (p / "fake.wav").write_bytes(b"RIFF0000WAVEjunk") and p / "fake.wav", "not a readable"),
    ],
)
def test_bad_inputs_are_refused_and_leave_nothing(tmp_path, make, match):
    src = make(tmp_path)
    out_sfz, out_sf2 = tmp_path / "sfz", tmp_path / "sf2"
    with pytest.raises(InputError, match=match):
        build_instrument(src, "keyboard", name="bad", sfz_dir=out_sfz, sf2_dir=out_sf2)
    leftovers = [p for d in (out_sfz, out_sf2) if d.exists() for p in d.iterdir()]
    assert leftovers == []


def test_bad_options():
    x = harmonic_tone(440, 0.5, 48000)
    with pytest.raises(ConfigError, match="role"):
        make_instrument(x, 48000, "flute", name="x")
    with pytest.raises(ConfigError, match="step"):
        make_instrument(x, 48000, "keyboard", name="x", step=0)
    with pytest.raises(ConfigError, match="name"):
        build_instrument("x.wav", "keyboard", name="../evil")


def test_clipped_stereo_odd_rate_long_file_still_builds_in_tune(tmp_path):
    sr = 22050
    tone = np.clip(3 * harmonic_tone(196.0 * 2 ** (-40 / 1200), 2.0, sr, decay=0.3), -1, 1)  # clipped
    long = np.concatenate([tone, np.tile(tone[-sr:], 60)])  # a minute-long file: only the start is used
    stereo = np.stack([long, 0.5 * long], axis=1)
    p = _wav(tmp_path, "clipped.wav", stereo, sr)
    res = build_instrument(
        p, "guitar", name="clip", sfz_dir=tmp_path / "sfz", sf2_dir=tmp_path / "sf2", key_range=(52, 58)
    )
    info = res.instruments["guitar"].info
    assert info["source"]["clipped_fraction"] > 0.01
    assert info["source"]["cut_to_seconds"] == 10.0
    assert abs(info["pitch"]["midi"] - (55 - 0.40)) < 0.02
    assert res.sf2.is_file() and res.sfz["guitar"].is_file()


def test_ten_minute_file_is_handled(tmp_path):
    sr = 8000
    x = np.zeros(sr * 600, dtype=np.float32)
    x[: 2 * sr] = harmonic_tone(220.0, 2.0, sr)
    x[sr * 300 : sr * 301] = harmonic_tone(330.0, 1.0, sr)  # later content is ignored
    p = _wav(tmp_path, "long.wav", x, sr)
    inst = make_instrument(*sf.read(str(p), dtype="float32"), "bass", name="long", key_range=(40, 46))
    assert abs(inst.info["pitch"]["midi"] - 57.0) < 0.02


# ---- CLI and atomic output ---------------------------------------------------------------------


def test_cli_builds_and_replaces_atomically(tmp_path, capsys):
    p = _wav(tmp_path, "tone.wav", harmonic_tone(261.63, 1.0, 48000))
    args = [
        "build",
        str(p),
        "--role",
        "keyboard",
        "--name",
        "tone",
        "--sfz-dir",
        str(tmp_path / "sfz"),
        "--sf2-dir",
        str(tmp_path / "sf2"),
        "--step",
        "12",
    ]
    assert main(args) == 0
    sfz = tmp_path / "sfz" / "tone" / "tone.sfz"
    assert sfz.is_file() and (tmp_path / "sf2" / "tone.sf2").is_file()
    n_samples = len(list((tmp_path / "sfz" / "tone" / "samples").glob("*.wav")))
    assert n_samples == 2 * 8  # 8 roots (A0-C8 every 12 semitones) x 2 velocity layers
    # readable by other users (the temporary files were private)
    assert (tmp_path / "sf2" / "tone.sf2").stat().st_mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044
    assert (tmp_path / "sfz" / "tone").stat().st_mode & 0o055 == 0o055 or os.umask(os.umask(0)) & 0o055
    # a failing rebuild keeps the old instrument untouched
    _wav(tmp_path, "tone.wav", np.zeros(4800))
    before = sfz.read_text()
    assert main(args) == 1
    assert "silent" in capsys.readouterr().err
    assert sfz.read_text() == before
    assert not [q for q in (tmp_path / "sfz").iterdir() if q.name != "tone"]
    assert main(["build", str(p)]) == 1  # --role missing


def test_resonant_noise_is_refused_then_imposed_at_its_resonance_and_loops_cleanly():
    from scipy import signal

    from server.instruments_build.loop import Loop
    from tests.helpers.loops import seam_jump

    sr = 48000
    rng = np.random.default_rng(0)
    n = rng.standard_normal(2 * sr)
    b, a = signal.iirpeak(800, 8, fs=sr)  # wind whistling through a gap: a resonance in noise
    x = signal.lfilter(b, a, n) * 0.3 + 0.05 * n
    with pytest.raises(InputError, match="no stable pitch.*--force-pitch"):
        make_instrument(x, sr, "keyboard", name="wind", key_range=(60, 84), step=6)
    inst = make_instrument(x, sr, "keyboard", name="wind", key_range=(60, 84), step=6, force_pitch=True)
    pitch = inst.info["pitch"]
    assert pitch["method"] == "resonator" and pitch["imposed"] and not pitch["pitched"]
    # tuned to the note nearest the resonance (800 Hz, -3 dB bandwidth 100 Hz): G5 (784 Hz) or G#5
    assert pitch["target_midi"] in (79, 80)
    assert abs(pitch["midi"] - pitch["target_midi"]) < 0.03  # measured on the rung noise: within 3 cents
    for z in inst.zones:  # noise loops are crossfaded at equal power: no step at the seam
        assert seam_jump(z.audio, Loop(z.loop_start, z.loop_end, 0, 0)) < 1.5


def test_a_steady_partial_in_noise_is_the_root_and_is_stated(caplog):
    sr = 48000
    rng = np.random.default_rng(1)
    t = np.arange(2 * sr) / sr
    x = 0.3 * np.sin(2 * np.pi * 1000.0 * t) + 0.3 * rng.standard_normal(len(t))  # a whine over hiss
    with caplog.at_level("WARNING", logger="server.instruments_build"):
        inst = make_instrument(x, sr, "keyboard", name="whine", key_range=(80, 86), step=6)
    pitch = inst.info["pitch"]
    assert pitch["method"] == "stable_partial" and not pitch["pitched"]
    assert abs(1200 * np.log2(pitch["freq"] / 1000.0)) < 1.0
    assert "strongest stable partial" in caplog.text and "whine" in caplog.text


def test_a_5_ms_click_is_refused_for_drums_too_and_one_full_scale_peak_is_no_clipping(tmp_path):
    p = _wav(tmp_path, "click.wav", np.r_[np.zeros(1000), np.hanning(240), np.zeros(1000)], subtype="FLOAT")
    with pytest.raises(InputError, match=r"only [5-8]\.\d ms"):
        build_instrument(p, "drums", name="click", sfz_dir=tmp_path / "sfz", sf2_dir=tmp_path / "sf2")
    from server.instruments_build.prep import clipped_fraction

    assert clipped_fraction(np.hanning(240)[None, :]) == 0.0
    assert clipped_fraction(np.array([[0.5, 1.0, 1.0, 1.0, 0.5]])) == pytest.approx(0.2)


@pytest.mark.parametrize("stiffness", [0.0, 0.0004])
def test_root_of_a_stiff_string_is_its_fundamental(stiffness):
    """Piano-like partials run sharp (k * f0 * (1 + B k^2)); the root is the fundamental, to 0.5 cent."""
    from server.instruments_build.pitch import estimate_root

    sr, f0 = 48000, 233.0
    t = np.arange(2 * sr) / sr
    x = sum(np.sin(2 * np.pi * k * f0 * t * (1 + stiffness * k * k)) / k for k in range(1, 12)) * np.exp(
        -0.4 * t
    )
    est = estimate_root(x, sr)
    assert est.method == "pyin"
    assert abs(1200 * np.log2(est.freq / (f0 * (1 + stiffness)))) < 0.5
