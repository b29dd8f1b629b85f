"""Built instruments played by independent players: sfizz (SFZ), FluidSynth CLI and TinySoundFont (SF2),
polyphone (SF2 -> SFZ -> SF2). Pitch in cents, loop seams, velocity layers in dB, all measured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

from server.instruments_build import build_instrument
from server.instruments_build.pitch import hz_to_midi, midi_to_hz

pytestmark = pytest.mark.peer
SR = 48000
VENV_BIN = Path(sys.executable).parent


def sfizz_render_exe() -> str | None:
    cands = [shutil.which("sfizz_render")]
    import sysconfig

    cands.append(str(Path(sysconfig.get_paths()["purelib"]) / "bin" / "sfizz_render"))
    cands.append(str(VENV_BIN / "sfizz_render"))
    return next((c for c in cands if c and os.access(c, os.X_OK)), None)


SFIZZ = sfizz_render_exe()
FLUIDSYNTH = shutil.which("fluidsynth")


# ---- sounds made here --------------------------------------------------------------------------


def harmonic_tone(f0: float, seconds: float, sr: int, decay: float = 1.2) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * k * f0 * t + k) / k**1.2 for k in range(1, 9))
    return (0.5 * x * np.exp(-decay * t) * np.minimum(1, t / 0.003)).astype(np.float32)


def bell(f0: float, seconds: float, sr: int) -> np.ndarray:
    """Inharmonic bell: partials at 1, 2.76, 5.40, 8.93 x f0 (Rayleigh's bar/bell ratios)."""
    t = np.arange(int(seconds * sr)) / sr
    parts = [(1.0, 1.0, 0.8), (2.76, 0.6, 1.5), (5.40, 0.35, 2.5), (8.93, 0.2, 4.0)]
    x = sum(a * np.sin(2 * np.pi * r * f0 * t) * np.exp(-d * t) for r, a, d in parts)
    return (0.4 * x * np.minimum(1, t / 0.002)).astype(np.float32)


def write_midi(
    path: Path, notes: list[tuple[int, int, float, float]], program: int = 0, channel: int = 0
) -> Path:
    """notes: (key, velocity, start s, duration s) at 120 bpm, 480 ticks per beat."""
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.Message("program_change", program=program, channel=channel, time=0))
    events = []
    for key, vel, start, dur in notes:
        events.append((start, 1, mido.Message("note_on", note=key, velocity=vel, channel=channel)))
        events.append((start + dur, 0, mido.Message("note_off", note=key, velocity=0, channel=channel)))
    now = 0
    for t, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        tick = int(round(t * 960))
        tr.append(msg.copy(time=tick - now))
        now = tick
    mid.save(str(path))
    return path


def render_sfizz(sfz: Path, mid: Path, out: Path) -> np.ndarray:
    subprocess.run(
        [SFIZZ, "--sfz", str(sfz), "--midi", str(mid), "--wav", str(out), "-s", str(SR)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    a, sr = sf.read(str(out), always_2d=True)
    assert sr == SR
    return a.mean(axis=1)


def render_fluidsynth(sf2: Path, mid: Path, out: Path) -> np.ndarray:
    subprocess.run(
        [
            FLUIDSYNTH,
            "-ni",
            "-R",
            "0",
            "-C",
            "0",
            "-g",
            "0.5",
            "-F",
            str(out),
            "-r",
            str(SR),
            str(sf2),
            str(mid),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    a, sr = sf.read(str(out), always_2d=True)
    assert sr == SR
    return a.mean(axis=1)


# ---- measurements ------------------------------------------------------------------------------


def peak_freq(x: np.ndarray, sr: int, f: float, tol_cents: float = 80) -> tuple[float, float]:
    """Interpolated spectral peak within ``tol_cents`` of ``f``: (Hz, magnitude)."""
    n = len(x)
    nfft = 1 << int(np.ceil(np.log2(n * 16)))
    mag = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(n), nfft))
    freqs = np.fft.rfftfreq(nfft, 1 / sr)
    lo, hi = np.searchsorted(freqs, [f * 2 ** (-tol_cents / 1200), f * 2 ** (tol_cents / 1200)])
    i = lo + int(np.argmax(mag[lo:hi]))
    a, b, c = np.log(mag[i - 1 : i + 2] + 1e-20)
    p = 0.5 * (a - c) / (a - 2 * b + c)
    return float(freqs[i] + p * (freqs[1] - freqs[0])), float(mag[i])


def note_f0(x: np.ndarray, sr: int, key: int, harmonic: bool = True) -> float:
    """Fundamental of a note: measured on the lowest harmonic above 120 Hz (k * f0), divided by k.

    For an inharmonic sound (``harmonic=False``) the root partial itself is measured."""
    f = midi_to_hz(key)
    k = max(1, int(np.ceil(120 / f))) if harmonic else 1
    fk, _ = peak_freq(x, sr, k * f)
    return fk / k


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12))


def centroid(x: np.ndarray, sr: int) -> float:
    """Power-weighted spectral centroid below 8 kHz (above, the players' 16-bit noise floor dominates)."""
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    band = freqs < 8000
    return float((freqs[band] * power[band]).sum() / power[band].sum())


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A keyboard (harmonic tone at +23 cents off C4), a guitar from a bell, a bass from a low tone."""
    root = tmp_path_factory.mktemp("build")
    out = {}
    specs = {
        "keyboard": (harmonic_tone(261.6256 * 2 ** (23 / 1200), 2.0, 44100), 44100, "keyboard"),
        "bell": (bell(523.2511 * 2 ** (-31 / 1200), 2.0, SR), SR, "guitar"),
        "bass": (np.stack([harmonic_tone(98.0 * 2 ** (12 / 1200), 2.0, 32000)] * 2), 32000, "bass"),
    }
    for name, (audio, sr, role) in specs.items():
        wav = root / f"{name}.wav"
        sf.write(str(wav), np.asarray(audio).T, sr)
        out[name] = build_instrument(wav, role, name=name, sfz_dir=root / "sfz", sf2_dir=root / "sf2")
    out["root"] = root
    return out


ROLE_KEYS = {
    "keyboard": [21, 33, 48, 60, 61, 67, 79, 96, 108],
    "bell": [40, 52, 64, 71, 88],
    "bass": [28, 33, 40, 47, 55],
}


def test_root_pitch_estimates(built):
    kb = built["keyboard"].instruments["keyboard"].info["pitch"]
    assert kb["method"] == "pyin" and kb["confidence"] > 0.8
    assert abs(kb["midi"] - (60 + 0.23)) < 0.01  # within 1 cent
    bass = built["bass"].instruments["bass"].info["pitch"]
    assert abs(bass["midi"] - (43 + 0.12)) < 0.01


@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
@pytest.mark.parametrize("name", ["keyboard", "bell", "bass"])
def test_notes_in_tune_in_sfizz_and_fluidsynth(built, name, tmp_path):
    keys = ROLE_KEYS[name]
    mid = write_midi(tmp_path / "notes.mid", [(k, 100, 1.5 * i, 0.8) for i, k in enumerate(keys)])
    res = built[name]
    role = next(iter(res.instruments))
    renders = {
        "sfizz": render_sfizz(res.sfz[role], mid, tmp_path / "sfizz.wav"),
        "fluidsynth": render_fluidsynth(res.sf2, mid, tmp_path / "fluid.wav"),
    }
    errors = {}
    for player, audio in renders.items():
        for i, k in enumerate(keys):
            seg = audio[int((1.5 * i + 0.15) * SR) : int((1.5 * i + 0.75) * SR)]
            assert rms_db(seg) > -50, f"{player}: key {k} is silent"
            f = note_f0(seg, SR, k, harmonic=name != "bell")
            errors[(player, k)] = 100 * (hz_to_midi(f) - k)
    worst = max(abs(e) for e in errors.values())
    assert worst < 5.0, {k: round(v, 2) for k, v in errors.items()}


@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
def test_held_notes_sustain_without_clicks(built, tmp_path):
    res = built["keyboard"]
    keys = [36, 60, 84]
    mid = write_midi(tmp_path / "held.mid", [(k, 100, 9.0 * i, 8.0) for i, k in enumerate(keys)])
    for player, audio in (
        ("sfizz", render_sfizz(res.sfz["keyboard"], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth(res.sf2, mid, tmp_path / "f.wav")),
    ):
        for i, k in enumerate(keys):
            note = audio[int(9.0 * i * SR) : int((9.0 * i + 8.0) * SR)]
            late = note[int(7.0 * SR) : int(7.9 * SR)]
            assert rms_db(late) > rms_db(note[: int(SR)]) - 30, f"{player} key {k} does not sustain to 8 s"
            # A click is a sample-to-sample step far above the note's own steps; compare the held
            # part (many loop passes) with the first second (no loop yet).
            step_held = np.max(np.abs(np.diff(note[int(1.5 * SR) : int(7.9 * SR)])))
            step_head = np.max(np.abs(np.diff(note[int(0.05 * SR) : int(1.0 * SR)])))
            assert step_held < 1.5 * step_head, f"{player} key {k}: step {step_held:.4f} vs {step_head:.4f}"


def test_loop_seams_in_samples(built):
    from server.instruments_build.loop import Loop
    from tests.helpers.loops import seam_jump

    for res in (built["keyboard"], built["bell"], built["bass"]):
        for z in next(iter(res.instruments.values())).zones:
            assert z.loop_mode == "loop_continuous"
            assert z.loop_end - z.loop_start > 0.05 * z.sample_rate
            assert seam_jump(z.audio, Loop(z.loop_start, z.loop_end, 0, 0)) < 1.5, z.name


@pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth")
def test_velocity_layers_monotonic_in_level_and_brightness(built, tmp_path):
    res = built["keyboard"]
    vels = [20, 40, 60, 64, 65, 80, 100, 127]
    mid = write_midi(tmp_path / "vel.mid", [(60, v, 1.5 * i, 0.8) for i, v in enumerate(vels)])
    for player, audio in (
        ("sfizz", render_sfizz(res.sfz["keyboard"], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth(res.sf2, mid, tmp_path / "f.wav")),
    ):
        levels = [
            rms_db(audio[int((1.5 * i + 0.02) * SR) : int((1.5 * i + 0.5) * SR)]) for i in range(len(vels))
        ]
        assert all(b > a for a, b in zip(levels, levels[1:], strict=False)), (player, levels)
        soft, loud = (
            audio[int((1.5 * i + 0.02) * SR) : int((1.5 * i + 0.5) * SR)]
            for i in (vels.index(64), vels.index(65))
        )
        assert centroid(loud, SR) > 1.15 * centroid(soft, SR), player
        # the layers are level-matched: crossing the boundary is one velocity step (~0.3 dB), not a jump
        assert 0 < rms_db(loud) - rms_db(soft) < 1.0, player


def test_tinysoundfont_plays_the_sf2(built):
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=SR)
    sfid = synth.sfload(str(built["keyboard"].sf2))
    synth.program_select(0, sfid, 0, 0)
    synth.noteon(0, 69, 100)
    buf = synth.generate(SR // 2)
    a = np.frombuffer(buf, dtype=np.float32).reshape(-1, 2).mean(axis=1)
    seg = a[int(0.1 * SR) :]
    assert rms_db(seg) > -40
    assert abs(1200 * np.log2(note_f0(seg, SR, 69) / 440.0)) < 5.0


@pytest.mark.skipif(shutil.which("polyphone") is None, reason="needs polyphone")
def test_polyphone_converts_sf2_to_sfz_and_back(built, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    (tmp_path / "sfz").mkdir()
    (tmp_path / "back").mkdir()
    src = tmp_path / "kit.sf2"
    shutil.copy(built["bass"].sf2, src)
    r = subprocess.run(
        ["polyphone", "-3", "-i", str(src), "-d", str(tmp_path / "sfz"), "-o", "kit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    sfzs = list((tmp_path / "sfz").rglob("*.sfz"))
    assert sfzs, f"polyphone wrote no SFZ: {r.stdout} {r.stderr}"
    text = "\n".join(p.read_text(errors="replace") for p in sfzs)
    assert "pitch_keycenter" in text and "loop_start" in text
    r = subprocess.run(
        ["polyphone", "-1", "-i", str(sfzs[0]), "-d", str(tmp_path / "back"), "-o", "back"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    back = list((tmp_path / "back").glob("*.sf2"))
    assert back and back[0].stat().st_size > 1000
    from tests.helpers.sf2 import read_sf2

    parsed = read_sf2(back[0])
    assert len(parsed["samples"]) == len(built["bass"].instruments["bass"].zones)


def test_roots_every_3_semitones_cover_each_range_with_at_most_1_semitone_of_stretch(built):
    from server.instruments_build.multisample import ROLE_SPECS

    for name, role in (("keyboard", "keyboard"), ("bell", "guitar"), ("bass", "bass")):
        zones = built[name].instruments[role].zones
        keys = {k for z in zones for k in range(z.lokey, z.hikey + 1)}
        spec = ROLE_SPECS[role]
        assert keys == set(range(spec.lokey, spec.hikey + 1))
        assert max(max(z.root_key - z.lokey, z.hikey - z.root_key) for z in zones) <= 1
        for k in keys:  # every key has both velocity layers
            assert sorted((z.lovel, z.hivel) for z in zones if z.lokey <= k <= z.hikey) == [
                (1, 64),
                (65, 127),
            ]
