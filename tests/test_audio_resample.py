"""server.audio.resample: the package's one sample-rate converter (soxr), measured as an engineer would.

Every signal is made here from a formula: sines whose frequency (cents), level (dB) and aliasing (dB below
the tone) are measured on the output with a windowed FFT and a parabolic peak fit.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from server.audio.resample import QUALITIES, resample
from server.errors import InputError


def sine(freq: float, sr: float, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return amp * np.sin(2 * np.pi * freq * t)


def peak(x: np.ndarray, sr: float) -> tuple[float, float]:
    """(frequency in Hz, amplitude) of the strongest partial: Blackman-Harris window, quadratic fit on the
    log-magnitude peak, amplitude corrected for the window's coherent gain."""
    from scipy.signal.windows import blackmanharris

    w = blackmanharris(len(x), sym=False)
    spec = np.abs(np.fft.rfft(x * w))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2])
    p = 0.5 * (a - c) / (a - 2 * b + c)
    amp = np.exp(b - 0.25 * (a - c) * p) * 2 / w.sum()
    return (k + p) * sr / len(x), float(amp)


def cents(f: float, ref: float) -> float:
    return 1200 * np.log2(f / ref)


def db(x: float) -> float:
    return 20 * np.log10(x)


def middle(x: np.ndarray, sr: float) -> np.ndarray:
    """The steady part: 0.1 s cut off each end (the edges hold the filter's start-up)."""
    cut = int(0.1 * sr)
    return x[cut:-cut]


def test_a_1khz_sine_there_and_back_keeps_pitch_within_a_tenth_of_a_cent_and_level_within_0_01_db():
    x = sine(1000.0, 44100, seconds=2.0)
    up = resample(x, 44100, 48000)
    back = resample(up, 48000, 44100)
    f_up, a_up = peak(middle(up, 48000), 48000)
    f_back, a_back = peak(middle(back, 44100), 44100)
    assert abs(cents(f_up, 1000.0)) < 0.1 and abs(cents(f_back, 1000.0)) < 0.1, (f_up, f_back)
    assert abs(db(a_up / 0.5)) < 0.01 and abs(db(a_back / 0.5)) < 0.01, (db(a_up / 0.5), db(a_back / 0.5))
    # sample-aligned: no delay is left after the round trip (error well under a 16-bit LSB in the middle)
    assert len(back) == len(x)
    assert np.max(np.abs(middle(back - x, 44100))) < 1e-5


def test_downsampling_a_tone_above_the_new_nyquist_leaves_nothing_above_minus_90_db():
    # 23 kHz is under 48 kHz's Nyquist (24 k) but above 44.1 kHz's (22.05 k): it must vanish, not fold to 21.1 kHz
    x = sine(23000.0, 48000, seconds=1.0, amp=1.0)
    y = resample(x, 48000, 44100)
    from scipy.signal.windows import blackmanharris

    seg = middle(y, 44100)
    w = blackmanharris(len(seg), sym=False)
    worst = np.max(np.abs(np.fft.rfft(seg * w))) * 2 / w.sum()
    assert db(worst) < -90, db(worst)


def test_upsampling_a_tone_near_the_old_nyquist_makes_no_image_above_it_over_minus_90_db():
    # 20 kHz at 44.1 kHz: its image around the old sampling rate (24.1 kHz) must not appear at 48 kHz
    x = sine(20000.0, 44100, seconds=1.0, amp=1.0)
    y = resample(x, 44100, 48000)
    from scipy.signal.windows import blackmanharris

    seg = middle(y, 48000)
    w = blackmanharris(len(seg), sym=False)
    spec = np.abs(np.fft.rfft(seg * w)) * 2 / w.sum()
    freqs = np.fft.rfftfreq(len(seg), 1 / 48000)
    assert db(spec[freqs > 22050].max()) < -90, db(spec[freqs > 22050].max())
    # the tone itself passes (a 20 kHz partial of a cymbal is still music): within 0.1 dB
    f, a = peak(seg, 48000)
    assert abs(cents(f, 20000.0)) < 0.1 and abs(db(a)) < 0.1, (f, db(a))


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 1001, 44099, 44100, 44101])
@pytest.mark.parametrize("rates", [(44100, 48000), (48000, 44100), (48000, 16000), (22050, 44100), (44100, 11025)])
def test_length_is_n_times_out_over_in_rounded(n, rates):
    sr_in, sr_out = rates
    y = resample(np.random.default_rng(n).standard_normal(n), sr_in, sr_out)
    want = int(Fraction(n * sr_out, sr_in) + Fraction(1, 2))  # round half up, exactly
    assert len(y) == want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_channels_along_any_axis_match_the_mono_result(dtype):
    rng = np.random.default_rng(1)
    mono = [rng.standard_normal(4410).astype(dtype) for _ in range(3)]
    want = [resample(m, 44100, 48000) for m in mono]
    assert all(w.dtype == dtype for w in want)
    cf = resample(np.stack(mono), 44100, 48000)  # (channels, frames): the package's layout
    assert cf.dtype == dtype and cf.shape == (3, 4800)
    fc = resample(np.stack(mono, axis=1), 44100, 48000, axis=0)  # (frames, channels)
    assert fc.dtype == dtype and fc.shape == (4800, 3)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for i in range(3):
        np.testing.assert_allclose(cf[i], want[i], atol=tol)
        np.testing.assert_allclose(fc[:, i], want[i], atol=tol)


def test_other_dtypes_come_back_as_float64_and_equal_rates_give_a_copy():
    y = resample(np.arange(100, dtype=np.int16), 8000, 16000)
    assert y.dtype == np.float64 and len(y) == 200
    x = np.ones(10, np.float32)
    same = resample(x, 48000, 48000)
    assert same.dtype == np.float32 and np.array_equal(same, x) and same is not x


def test_a_ratio_in_any_unit_works_for_pitch_shifts():
    # a shift of one semitone up, the way a sampler tunes: read 2^(1/12) faster
    sr = 48000
    x = sine(440.0, sr, seconds=1.0)
    y = resample(x, 2 ** (1 / 12), 1.0)
    f, _ = peak(middle(y, sr), sr)
    assert abs(cents(f, 440.0 * 2 ** (1 / 12))) < 0.1


def test_every_quality_keeps_a_1khz_tone():
    x = sine(1000.0, 44100)
    for q in QUALITIES:
        f, a = peak(middle(resample(x, 44100, 48000, quality=q), 48000), 48000)
        assert abs(cents(f, 1000.0)) < 1 and abs(db(a / 0.5)) < 0.1, q


@pytest.mark.parametrize(
    ("args", "kw", "words"),
    [
        ((np.zeros(10), 0, 48000), {}, "sr_in"),
        ((np.zeros(10), 44100, -1), {}, "sr_out"),
        ((np.zeros(10), 44100, float("nan")), {}, "sr_out"),
        ((np.zeros(10), 44100, 48000), {"quality": "best"}, "quality"),
        ((np.zeros((2, 2, 2)), 44100, 48000), {}, "1-D or 2-D"),
        ((np.zeros((2, 10)), 44100, 48000), {"axis": 2}, "axis"),
    ],
)
def test_bad_arguments_are_refused_with_a_message_naming_them(args, kw, words):
    with pytest.raises(InputError, match=words):
        resample(*args, **kw)
