"""Drum kits: a synthetic kick, snare and hat land on 36, 38 and 42; every GM drum key sounds; the kit
plays on the GM drum channel in FluidSynth (SF2, bank 128) and sfizz (SFZ)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from server.instruments_build import build_instrument, make_instrument
from server.instruments_build.drums import KIT_KEYS, describe
from server.midi.roles import DRUM_CHANNEL, GM_DRUM_KEYS
from tests.test_build_players import (
    FLUIDSYNTH,
    SFIZZ,
    SR,
    render_fluidsynth,
    render_sfizz,
    rms_db,
    write_midi,
)


def kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.4 * sr)) / sr
    f = 50 + 100 * np.exp(-t * 30)  # pitch drop 150 -> 50 Hz
    return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t * 8)


def snare(sr: int, rng) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    sos = signal.butter(2, [1000, 8000], "bandpass", fs=sr, output="sos")
    n = signal.sosfilt(sos, rng.standard_normal(len(t)))
    return (0.6 * n / np.abs(n).max() + 0.5 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t * 18)


def hat(sr: int, rng) -> np.ndarray:
    t = np.arange(int(0.08 * sr)) / sr
    n = signal.sosfilt(signal.butter(4, 7000, "highpass", fs=sr, output="sos"), rng.standard_normal(len(t)))
    return 0.7 * n / np.abs(n).max() * np.exp(-t * 60)


def kit_sound(sr: int = 44100, order=("hat", "kick", "snare")) -> np.ndarray:
    rng = np.random.default_rng(7)
    hits = {"kick": kick(sr), "snare": snare(sr, rng), "hat": hat(sr, rng)}
    x = np.zeros(int((0.2 + 0.6 * len(order)) * sr))
    for i, name in enumerate(order):
        k = int((0.1 + 0.6 * i) * sr)
        x[k : k + len(hits[name])] += hits[name]
    return x


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit")
    wav = root / "kit.wav"
    sf.write(str(wav), kit_sound(), 44100, subtype="PCM_24")
    return build_instrument(wav, "drums", name="kit", sfz_dir=root / "sfz", sf2_dir=root / "sf2")


def test_kick_snare_hat_land_on_36_38_42(kit):
    inst = kit.instruments["drums"]
    own = {piece: v["key"] for piece, v in inst.info["kit"].items() if not v["derived"]}
    assert own == {"kick": 36, "snare": 38, "closed_hat": 42}
    assert sorted(h["class"] for h in inst.info["hits"]) == ["closed_hat", "kick", "snare"]
    by_key = {z.root_key: z for z in inst.zones}
    f36, f38, f42 = (describe(by_key[k].audio, inst.sample_rate) for k in (36, 38, 42))
    assert f36.low_ratio > 0.5 and f36.centroid_hz < 300
    assert 300 < f38.centroid_hz < 5000
    assert f42.centroid_hz > 6000 and f42.decay_s < 0.1


def test_every_gm_drum_key_has_a_one_shot_sound(kit):
    inst = kit.instruments["drums"]
    keys = sorted(z.root_key for z in inst.zones)
    assert keys == sorted(KIT_KEYS.values()) == list(range(27, 88))
    for z in inst.zones:
        assert z.loop_mode == "one_shot" and not z.pitch_tracking and z.lokey == z.hikey == z.root_key
        assert 20 * np.log10(np.max(np.abs(z.audio))) > -20, z.name
    # derived pieces differ from their source: toms are tuned in a ladder (low floor < high tom)
    by_key = {z.root_key: z for z in inst.zones}
    c = [
        describe(by_key[GM_DRUM_KEYS[t]].audio, inst.sample_rate).centroid_hz
        for t in ("low_floor_tom", "high_tom")
    ]
    assert c[0] < c[1]
    # hats choke each other
    assert {by_key[k].exclusive_group for k in (42, 44, 46)} == {1}
    text = kit.sfz["drums"].read_text()
    assert "key=36" in text and "loop_mode=one_shot" in text and "pitch_keytrack=0" in text


def test_a_single_noise_burst_still_fills_the_kit():
    rng = np.random.default_rng(3)
    t = np.arange(int(0.5 * 44100)) / 44100
    x = rng.standard_normal(len(t)) * np.exp(-t * 10) * 0.2  # one rustle
    inst = make_instrument(x, 44100, "drums", name="rustle")
    assert len(inst.zones) == len(KIT_KEYS)
    assert len(inst.info["hits"]) <= 2
    assert 1 <= sum(not v["derived"] for v in inst.info["kit"].values()) <= 2
    by_key = {z.root_key: z for z in inst.zones}
    kick_f = describe(by_key[36].audio, inst.sample_rate)
    hat_f = describe(by_key[42].audio, inst.sample_rate)
    assert kick_f.centroid_hz < 0.25 * hat_f.centroid_hz  # derived kick is dark, derived hat bright


@pytest.mark.peer
@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
def test_gm_drum_track_plays_every_piece(kit, tmp_path):
    keys = [36, 38, 42, 46, 49, 51, 45, 39]
    mid = write_midi(
        tmp_path / "drums.mid", [(k, 110, 0.75 * i, 0.1) for i, k in enumerate(keys)], channel=DRUM_CHANNEL
    )
    for player, audio in (
        ("sfizz", render_sfizz(kit.sfz["drums"], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth(kit.sf2, mid, tmp_path / "f.wav")),
    ):
        for i, k in enumerate(keys):
            seg = audio[int(0.75 * i * SR) : int((0.75 * i + 0.1) * SR)]
            assert rms_db(seg) > -40, f"{player}: drum key {k} is silent ({rms_db(seg):.1f} dB)"
        # onset of the kick within 10 ms of its note-on (FluidSynth schedules events per 64-sample block)
        env = np.abs(audio[: int(0.1 * SR)])
        onset_ms = 1000 * np.argmax(env > 0.1 * env.max()) / SR
        assert onset_ms < 10.0, (player, onset_ms)


def test_drum_sfz_and_sf2_written_atomically(kit):
    assert kit.sf2.is_file() and kit.sfz["drums"].is_file()
    leftovers = [p for p in kit.sf2.parent.iterdir() if ".part" in p.name]
    assert not leftovers
    assert shutil.disk_usage(kit.sf2.parent)


@pytest.mark.parametrize("semitones", [-12.0, -3.0, 1.0, 1.5, 7.0])
def test_drum_machine_retune_moves_a_tone_by_exactly_its_interval(semitones):
    """retune reads the hit 2^(s/12) faster (through server.audio.resample): a 1 kHz sine comes out at
    1000 * 2^(s/12) Hz within 0.1 cent (the rational approximation it used before was off by up to ~1 cent)
    and round(n / 2^(s/12)) samples long."""
    from scipy.signal.windows import blackmanharris

    from server.instruments_build.drums import retune

    sr, n = 48000, 48000
    x = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(n) / sr)
    y = retune(x, semitones)
    ratio = 2 ** (semitones / 12)
    assert len(y) == int(np.floor(n / ratio + 0.5))
    seg = y[len(y) // 10 : -len(y) // 10]
    w = blackmanharris(len(seg), sym=False)
    spec = np.abs(np.fft.rfft(seg * w))
    k = int(np.argmax(spec))
    a, b, c = np.log(spec[k - 1 : k + 2])
    f = (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(seg)
    assert abs(1200 * np.log2(f / (1000.0 * ratio))) < 0.1, f
