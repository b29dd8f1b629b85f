"""Liquids poured and plunged, checked by their physics: a glass filling under a jug's glugging stream (the air
column's quarter-wave resonance rising as c / 4L while L shortens), a plunger's strokes and the big bubbles it
drives through the water (Minnaert f0 = 3 / r)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from server.sounds import machines
from tests.test_sounds_machines import SR, ctx_for, envelope


def _column_peaks(seed: int, fracs: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """The air column's colour in the first pour, heard at ``fracs`` of it: the same pour rendered with and
    without the vessel's air column (the column draws no random numbers, so the two renders differ only by it);
    the colour it adds peaks at its resonance. Returns the measured peaks (Hz) and the plan's c / 4L."""
    wet = machines.m_tap(ctx_for("jug", "pouring water", 5.0, seed))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(machines, "_air_column", lambda ctx, x, fres, q=3.0, floor=0.5: x)
        dry = machines.m_tap(ctx_for("jug", "pouring water", 5.0, seed))
    segs, fres = machines.pour_plan(ctx_for("jug", "pouring water", 5.0, seed))
    f, t, zw = signal.stft(wet, fs=SR, nperseg=4096, noverlap=4096 - 256)
    _, _, zd = signal.stft(dry, fs=SR, nperseg=4096, noverlap=4096 - 256)
    s0, d = segs[0]
    band = (f > 250) & (f < 7000)
    measured, expected = [], []
    for a in fracs:
        sel = np.abs(t - (s0 + a * d)) < 0.04
        colour = (np.abs(zw[:, sel]) ** 2).sum(axis=1) / ((np.abs(zd[:, sel]) ** 2).sum(axis=1) + 1e-20)
        measured.append(float(f[band][np.argmax(colour[band])]))
        expected.append(float(fres[int((s0 + a * d) * SR)]))
    return measured, expected


def test_a_pour_rises_from_a_quarter_wave_column_of_12_to_25_cm():
    """A glass of 12-25 cm above the liquid at the start of the pour rings at c / 4L = 343-715 Hz; filled at a
    steady flow to 12-25 % of that length, L falls linearly, so between 5 % and 95 % of the pour the resonance
    rises 3.35-5.8 times, slowly at first and fast at the end (mid-pour under the mean of the two)."""
    semitone = 2 ** (1 / 12)
    for seed in (0, 1, 3):
        (start, mid, end), _ = _column_peaks(seed, (0.05, 0.5, 0.95))
        assert 343 / (4 * 0.25) / semitone < start < 343 / (4 * 0.12) * semitone, (seed, start)
        assert 3.35 / semitone < end / start < 5.8 * semitone, (seed, end / start)
        assert start < mid < (start + end) / 2, (seed, start, mid, end)


def test_pour_is_heard_through_the_rising_air_column():
    """The colour the air column adds follows the pour's c / 4L within a semitone as the glass fills."""
    measured, expected = _column_peaks(2, (0.2, 0.5, 0.8))
    for m, e in zip(measured, expected, strict=True):
        assert abs(1200 * np.log2(m / e)) < 100, (measured, expected)  # within a semitone of c / 4L
    assert measured[0] < measured[1] < measured[2]


def test_pour_glugs_three_to_five_times_a_second():
    """A jug's one opening lets liquid out and air in by turns: the stream surges 3-5 times a second, each glug
    rising in ~60 ms and falling in ~150 ms, so the splash's level swings deeply within each pour (glugs much
    faster than that would merge into a steady stream: under ~4 dB of swing)."""
    for seed in (0, 3):
        ctx = ctx_for("jug", "pouring water", 5.0, seed)
        segs, _ = machines.pour_plan(ctx_for("jug", "pouring water", 5.0, seed))
        x = machines.m_tap(ctx)
        env = envelope(x, SR, ms=40.0)
        peaks, _ = signal.find_peaks(env, prominence=0.15 * env.max(), distance=int(0.12 * SR))
        inside = [p / SR for p in peaks if any(s0 + 0.1 < p / SR < s0 + d for s0, d in segs)]
        rate = len(inside) / sum(d - 0.1 for _, d in segs)
        assert 2.4 < rate < 6.0, (seed, rate)  # glug_rate 3-5 a second, each glug +-30 % apart
        splash = signal.sosfilt(signal.butter(4, [5000, 9000], "band", fs=SR, output="sos"), x)
        level = 20 * np.log10(envelope(splash, SR, ms=20.0) + 1e-9)
        for s0, d in segs:
            pour = level[int((s0 + 0.2) * SR): int((s0 + d - 0.1) * SR)]
            swing = np.percentile(pour, 90) - np.percentile(pour, 10)
            assert swing > 4.5, (seed, s0, swing)


def test_plunger_strokes_and_its_big_bubbles():
    """A plunger worked by hand: 1.2-2 strokes a second, each push driving big bubbles (4-15 mm: Minnaert
    200-750 Hz) through the water, so the gulps' band pulses once per stroke."""
    for seed in range(4):
        x = machines.m_tap(ctx_for("plunger", "plunging", 8.0, seed))
        gulps = signal.sosfilt(signal.butter(4, [200, 750], "band", fs=SR, output="sos"), x)
        env = envelope(gulps, SR, ms=60.0)
        peaks, _ = signal.find_peaks(env, prominence=0.25 * env.max(), distance=int(0.25 * SR))
        per_s = len(peaks) / 7.7
        assert 1.0 < per_s < 2.3, (seed, per_s)  # 1.2-2 strokes a second, each +-0.12 s off the beat
    seed = 1
    x = machines.m_tap(ctx_for("plunger", "plunging", 5.0, seed))
    # the gulps: bubbles of 4-15 mm ring at 200-750 Hz, the water's slosh and the small bubbles above
    f, pxx = signal.welch(x, fs=SR, nperseg=8192)
    gulp = pxx[(f > 200) & (f < 750)].sum() / pxx.sum()
    assert 0.05 < gulp < 0.6, gulp
    assert pxx[f < 100].sum() / pxx.sum() < 0.02  # nothing rumbles under the bubbles


def test_minnaert_bubbles_ring_where_their_radius_says():
    ctx = ctx_for("jug", "pouring water", 1.0, 0)
    x = machines._chirp_bubbles(ctx, np.ones(ctx.n), 200, 0.003, 0.003)  # all 3 mm: f0 = 3 / r = 1 kHz
    f, pxx = signal.welch(x, fs=SR, nperseg=8192)
    peak = f[np.argmax(pxx)]
    assert 950 < peak < 1150, peak  # rising a little as each bubble nears the surface


@pytest.mark.parametrize("name,play", [("jug", "pouring water"), ("teapot", "pouring tea"), ("plunger", "plunging")])
def test_liquids_are_deterministic_finite_and_quick(name, play):
    t0 = time.perf_counter()
    a = machines.m_tap(ctx_for(name, play, 5.0, 7))
    took = time.perf_counter() - t0
    b = machines.m_tap(ctx_for(name, play, 5.0, 7))
    c = machines.m_tap(ctx_for(name, play, 5.0, 8))
    assert a.shape == (5 * SR,) and np.isfinite(a).all()
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert took < 1.0, took
