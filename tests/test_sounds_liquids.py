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


def test_pour_plan_is_a_quarter_wave_column_shortening_in_each_pour():
    for seed in range(4):
        segs, fres = machines.pour_plan(ctx_for("jug", "pouring water", 5.0, seed))
        assert 1 <= len(segs) <= 3
        for s0, d in segs:
            assert d <= 3.5 and s0 + d <= 5.0
            if s0 + d > 4.89:  # the clip's end cut this pour short
                continue
            assert d >= 2.0
            f_start, f_end = fres[int((s0 + 0.01) * SR)], fres[int((s0 + d - 0.01) * SR)]
            # a column of 0.12-0.25 m (c / 4L = 343-715 Hz) shortened to 12-25 % of itself (x4-x8 in pitch)
            assert 343 / (4 * 0.25) * 0.99 < f_start < 343 / (4 * 0.12) * 1.01, (seed, f_start)
            assert 3.9 < f_end / f_start < 8.4, (seed, f_end / f_start)
            mid = fres[int((s0 + d / 2) * SR)]
            # L falls linearly, so f = c / 4L rises slowly at first and fast at the end (f_mid < mean of the ends)
            assert f_start < mid < (f_start + f_end) / 2


def test_pour_is_heard_through_the_rising_air_column(monkeypatch):
    """The same pour with and without the vessel's air column (the column draws no random numbers, so the two
    renders differ only by it): the colour it adds peaks at c / 4L, rising through each pour."""
    seed = 2
    wet = machines.m_tap(ctx_for("jug", "pouring water", 5.0, seed))
    monkeypatch.setattr(machines, "_air_column", lambda ctx, x, fres, q=3.0, floor=0.5: x)
    dry = machines.m_tap(ctx_for("jug", "pouring water", 5.0, seed))
    segs, fres = machines.pour_plan(ctx_for("jug", "pouring water", 5.0, seed))
    f, t, zw = signal.stft(wet, fs=SR, nperseg=4096, noverlap=4096 - 256)
    _, _, zd = signal.stft(dry, fs=SR, nperseg=4096, noverlap=4096 - 256)
    s0, d = segs[0]
    measured, expected = [], []
    for a in (0.2, 0.5, 0.8):
        sel = np.abs(t - (s0 + a * d)) < 0.04
        colour = (np.abs(zw[:, sel]) ** 2).sum(axis=1) / ((np.abs(zd[:, sel]) ** 2).sum(axis=1) + 1e-20)
        band = (f > 250) & (f < 7000)
        measured.append(f[band][np.argmax(colour[band])])
        expected.append(fres[int((s0 + a * d) * SR)])
    for m, e in zip(measured, expected, strict=True):
        assert abs(1200 * np.log2(m / e)) < 100, (measured, expected)  # within a semitone of c / 4L
    assert measured[0] < measured[1] < measured[2]


def test_pour_glugs_three_to_five_times_a_second():
    for seed in (0, 3):
        ctx = ctx_for("jug", "pouring water", 5.0, seed)
        segs, _ = machines.pour_plan(ctx_for("jug", "pouring water", 5.0, seed))
        x = machines.m_tap(ctx)
        env = envelope(x, SR, ms=40.0)
        peaks, _ = signal.find_peaks(env, prominence=0.15 * env.max(), distance=int(0.12 * SR))
        inside = [p / SR for p in peaks if any(s0 + 0.1 < p / SR < s0 + d for s0, d in segs)]
        rate = len(inside) / sum(d - 0.1 for _, d in segs)
        assert 2.4 < rate < 6.0, (seed, rate)  # glug_rate 3-5 a second, each glug +-30 % apart


def test_plunger_strokes_and_its_big_bubbles():
    seed = 1
    rate = machines.plunge_rate(ctx_for("plunger", "plunging", 5.0, seed))
    assert 1.2 <= rate <= 2.0
    x = machines.m_tap(ctx_for("plunger", "plunging", 5.0, seed))
    env = envelope(x, SR, ms=60.0)
    peaks, _ = signal.find_peaks(env, prominence=0.2 * env.max(), distance=int(0.15 * SR))
    # a push and a pull per stroke: up to 2 sloshes a stroke (they merge when the hand is early or late)
    per_s = len(peaks) / 4.7
    assert 0.9 * rate < per_s < 2.2 * rate, (per_s, rate)
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
