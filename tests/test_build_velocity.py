"""Velocity response of a built instrument, swept 1-127 in sfizz and FluidSynth: monotonic, and no step
at a velocity-layer boundary larger than 3x the curve's own slope there (the layers are level-matched;
the soft layer differs in timbre, not in level)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from server.instruments_build import build_instrument
from tests.test_build_players import (
    FLUIDSYNTH,
    SFIZZ,
    SR,
    bell,
    centroid,
    harmonic_tone,
    render_sfizz,
    rms_db,
    write_midi,
)

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(SFIZZ is None or FLUIDSYNTH is None, reason="needs sfizz_render and fluidsynth"),
]
SPACING, LENGTH = 0.6, 0.3
VELOCITIES = list(range(1, 128))


def render_fluidsynth_float(sf2: Path, mid: Path, out: Path) -> np.ndarray:
    """FluidSynth CLI to a 32-bit float WAV (16-bit would bury velocity 1 in its own dither)."""
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
            "-O",
            "float",
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


def _note(audio: np.ndarray, i: int) -> np.ndarray:
    return audio[int((SPACING * i + 0.03) * SR) : int((SPACING * i + 0.25) * SR)]


@pytest.fixture(scope="module", params=["keyboard", "guitar"])
def built(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"vel_{request.param}")
    wav = root / "src.wav"
    if request.param == "keyboard":
        sf.write(str(wav), harmonic_tone(261.6256, 2.0, 48000), 48000)
        keys = (57, 63)
    else:
        sf.write(str(wav), bell(392.0, 2.0, 48000), 48000)
        keys = (64, 70)
    res = build_instrument(
        wav, request.param, name=request.param, sfz_dir=root / "sfz", sf2_dir=root / "sf2", key_range=keys
    )
    return res, request.param, keys[0] + 3


def test_velocity_sweep_is_monotonic_and_smooth_at_layer_boundaries(built, tmp_path):
    res, role, key = built
    zones = [z for z in res.instruments[role].zones if z.lokey <= key <= z.hikey]
    boundaries = sorted(z.hivel for z in zones if z.hivel < 127)
    assert boundaries, "expected at least two velocity layers"
    mid = write_midi(
        tmp_path / "sweep.mid", [(key, v, SPACING * i, LENGTH) for i, v in enumerate(VELOCITIES)]
    )
    for player, audio in (
        ("sfizz", render_sfizz(res.sfz[role], mid, tmp_path / "s.wav")),
        ("fluidsynth", render_fluidsynth_float(res.sf2, mid, tmp_path / "f.wav")),
    ):
        level = np.array([rms_db(_note(audio, i)) for i in range(len(VELOCITIES))])
        steps = np.diff(level)  # steps[i]: velocity i+1 -> i+2
        assert np.all(steps > -0.02), f"{player}: level falls as velocity rises at " + str(
            [VELOCITIES[i] for i in np.nonzero(steps <= -0.02)[0]]
        )
        assert level[-1] - level[0] > 30, f"{player}: dynamic range only {level[-1] - level[0]:.1f} dB"
        for b in boundaries:
            i = VELOCITIES.index(b)  # the step b -> b + 1
            around = np.r_[steps[max(0, i - 6) : i], steps[i + 1 : i + 7]]
            slope = float(np.median(around))
            assert steps[i] <= 3 * slope, (
                f"{player}: velocity {b} -> {b + 1} steps {steps[i]:.2f} dB, the curve's slope there is "
                f"{slope:.2f} dB per velocity"
            )
        # and nowhere else a step out of line with its neighbours (from velocity 8 on: below, the
        # players' curves are so steep that the first steps outgrow their right-hand neighbours alone)
        for i in range(7, len(steps)):
            local = float(np.median(np.r_[steps[max(0, i - 6) : i], steps[i + 1 : i + 7]]))
            assert steps[i] <= 3 * local + 0.05, (
                f"{player}: velocity {i + 1} -> {i + 2} steps {steps[i]:.2f} dB"
            )
        # the layers still differ: the loud one is brighter at the boundary
        b = boundaries[-1]
        soft, loud = _note(audio, VELOCITIES.index(b)), _note(audio, VELOCITIES.index(b + 1))
        assert centroid(loud, SR) > 1.1 * centroid(soft, SR), player
