"""The stereo scene mixer measured in dB: pan laws, depth, ambience width, loudness, no clipping."""

from __future__ import annotations

import math
from types import SimpleNamespace as Src

import numpy as np
import pytest
from scipy import signal

from server.errors import ConfigError
from server.sounds.mix import integrated_loudness, mix_scene, normalize_loudness, place_sources

SR = 48000


def noise(seconds=2.0, seed=0, level=0.1):
    return (level * np.random.default_rng(seed).standard_normal(int(seconds * SR))).astype(np.float32)


def rms_db(x):
    return 10 * math.log10(float(np.mean(np.asarray(x, np.float64) ** 2)) + 1e-30)


def src(box=None, depth=None, ambience=False):
    return Src(box=box, depth=depth, ambience=ambience)


def test_bs1770_reference_tone():
    """BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS."""
    t = np.arange(5 * SR) / SR
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), SR) == pytest.approx(-3.01, abs=0.02)
    assert integrated_loudness(normalize_loudness(0.01 * np.sin(2 * np.pi * 997 * t), SR), SR) == pytest.approx(
        -23.0, abs=0.02)


def test_equal_power_left_edge_source():
    box = (0.0, 0.4, 0.1, 0.6)  # centre x = 0.05 -> -0.9 in [-1, 1]
    (pl,) = place_sources([src(box)], "equal-power")
    assert pl.x == pytest.approx(-0.9)
    theta = (pl.x + 1) * math.pi / 4
    mix, _ = mix_scene([noise()], [pl], SR)
    diff = rms_db(mix[0]) - rms_db(mix[1])
    assert diff == pytest.approx(20 * math.log10(math.cos(theta) / math.sin(theta)), abs=0.05)
    assert diff > 20  # clearly on the left
    # equal power: the sum of channel powers equals the source's power (largest box: 0 dB)
    mono, _ = mix_scene([noise()], [place_sources([src((0.45, 0.4, 0.55, 0.6))])[0]], SR)
    assert 10 * math.log10(np.mean(mono[0].astype(float) ** 2) + np.mean(mono[1].astype(float) ** 2)) == \
        pytest.approx(10 * math.log10(np.mean(mix[0].astype(float) ** 2) + np.mean(mix[1].astype(float) ** 2)), abs=0.05)


def test_seed_pan_law_gains():
    """gL = w1*A + w2*0.5*(1 - x), gR = w1*A + w2*0.5*(1 + x) with w1 = w2 = 0.5, A = area / largest area."""
    big, small = (0.0, 0.0, 0.2, 1.0), (0.8, 0.4, 1.0, 0.65)  # areas 0.2 and 0.05
    pls = place_sources([src(big), src(small)], "seed")
    a = 0.05 / 0.2
    x = 0.8  # box centre 0.9 -> 2 * 0.9 - 1
    assert pls[1].gain_left == pytest.approx(0.5 * a + 0.25 * (1 - x))
    assert pls[1].gain_right == pytest.approx(0.5 * a + 0.25 * (1 + x))
    mix, _ = mix_scene([np.zeros(SR, np.float32), noise()], pls, SR)
    assert rms_db(mix[1]) - rms_db(mix[0]) == pytest.approx(20 * math.log10((0.5 * a + 0.45) / (0.5 * a + 0.05)),
                                                           abs=0.05)


def test_bigger_box_is_louder():
    pls = place_sources([src((0.3, 0.3, 0.7, 0.7)), src((0.45, 0.45, 0.55, 0.55))])  # areas 0.16, 0.01
    a, _ = mix_scene([noise(seed=1)], [pls[0]], SR)
    b, _ = mix_scene([noise(seed=1)], [pls[1]], SR)
    assert rms_db(a[0]) - rms_db(b[0]) == pytest.approx(10 * math.log10(16), abs=0.1)


def test_depth_attenuates_and_darkens():
    near, far = place_sources([src((0.4, 0.4, 0.6, 0.6), depth=0.0), src((0.4, 0.4, 0.6, 0.6), depth=1.0)])
    a, _ = mix_scene([noise()], [near], SR)
    b, _ = mix_scene([noise()], [far], SR)
    f, pa = signal.welch(a[0], SR, nperseg=4096)
    _, pb = signal.welch(b[0], SR, nperseg=4096)
    low = (f > 100) & (f < 500)
    high = (f > 6000) & (f < 12000)
    assert 10 * np.log10(pa[low].sum() / pb[low].sum()) == pytest.approx(12.0, abs=0.5)
    assert 10 * np.log10(pa[high].sum() / pb[high].sum()) > 25


def test_ambience_is_wide_and_centred():
    (pl,) = place_sources([src(None, ambience=True)])
    mix, _ = mix_scene([noise(seconds=3)], [pl], SR)
    assert abs(rms_db(mix[0]) - rms_db(mix[1])) < 0.5
    corr = np.corrcoef(mix[0], mix[1])[0, 1]
    assert abs(corr) < 0.3
    (boxed,) = place_sources([src((0.4, 0.4, 0.6, 0.6))])
    m2, _ = mix_scene([noise(seconds=3)], [boxed], SR)
    assert np.corrcoef(m2[0], m2[1])[0, 1] > 0.999


def test_sources_are_loudness_normalised_before_mixing():
    pls = place_sources([src((0.0, 0.4, 0.1, 0.6)), src((0.9, 0.4, 1.0, 0.6))])
    mix, _ = mix_scene([noise(level=0.5, seed=1), noise(level=0.005, seed=2)], pls, SR)
    assert rms_db(mix[0]) == pytest.approx(rms_db(mix[1]), abs=0.3)  # 40 dB apart at input, equal here


def test_no_clipping_with_many_loud_sources():
    n = 12
    pls = place_sources([src((0.4, 0.4, 0.6, 0.6)) for _ in range(n)])
    sig = np.sin(2 * np.pi * 220 * np.arange(SR) / SR).astype(np.float32)
    mix, summary = mix_scene([sig] * n, pls, SR)
    assert np.abs(mix).max() <= 10 ** (-1 / 20) + 1e-6
    assert summary["scaled_down_db"] > 0


def test_unknown_pan_law_refused():
    with pytest.raises(ConfigError, match="pan law"):
        place_sources([src()], "binaural")
