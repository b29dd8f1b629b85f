"""The textures family (server/sounds/textures.py) checked by its physics: a creak's separate slips and its
rhythm per rock or per swing, crumpling's heavy-tailed clicks in squeezes with quiet rests, leaves' band and
gusts, a swinging chain's squeaks and knocks, a sprung seat's coil ringing, a screw's squeal and regrip clicks, sand's avalanches of high-band grain slips; determinism and speed."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from server.sounds import textures
from server.sounds.synth import MATERIALS, Ctx, Params, SourceDescription, synthesize
from tests.helpers.analysis import band_share, centroid_hz
from tests.helpers.sounds import SR, calls, envelope_db


def _render(model: str, name: str, material: str, play: str, seconds: float = 5.0, seed: int = 0,
            sr: int = SR) -> np.ndarray:
    x, choice = synthesize(SourceDescription(name, material, play), seconds, seed=seed, sample_rate=sr,
                           model=model)
    assert choice.model == model
    return x.astype(np.float64)


def _ticks(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Times (s) of separate transients: peaks of the 1 ms envelope at most 25 dB under the loudest, >= 8 ms
    apart."""
    hop = int(0.001 * sr)
    env = np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1))
    peaks, _ = signal.find_peaks(env, height=env.max() * 10 ** (-25 / 20), distance=8)
    return peaks * 0.001


# ----------------------------------------------------------------------------------------------
# Creak
# ----------------------------------------------------------------------------------------------
def test_a_creak_is_a_train_of_separate_slips_at_tens_per_second():
    """Stick-slip at a slowly loaded wooden joint: separate ticks (each slip ringing short, damped modes), at
    25-45 slips a second at the stroke's fastest; the rate wanders with speed and load, so over the creaks it
    stays in tens per second, far from a tone (hundreds per second would be a buzz)."""
    x = _render("creak_slip", "rocking chair", "bent wood", "rocking creak", seconds=10.0, seed=2)
    creaks = calls(x, threshold_db=-30.0, gap_s=0.12)
    ticks = _ticks(x)
    busy = sum(b - a for a, b in creaks)
    rate = len(ticks) / busy
    assert 10.0 < rate < 80.0, rate
    gaps = np.diff(ticks)
    gaps = gaps[gaps < 0.1]
    assert 0.05 < gaps.std() / gaps.mean() < 0.8  # irregular slips, not a metronome
    # each asperity's own static friction sets its stick time: successive slip gaps differ by ~10 % even where
    # the speed barely changes (a clean, uniform joint: ~3 %; a Poisson train: 50 %)
    a, b = np.diff(ticks)[:-1], np.diff(ticks)[1:]
    near = (a < 0.1) & (b < 0.1)
    local = float(np.median(np.abs(b[near] - a[near]) / (a[near] + b[near])))
    assert 0.06 < local < 0.3, local


def test_a_rocking_chair_creaks_once_per_rock_and_a_swing_at_both_ends_of_its_arc():
    """A rocking chair or a cradle rocks every 1.2-1.8 s and creaks once per rock; a swing's period is 2.5-3 s
    and its chain squeaks twice per period, so its creaks come every 1.25-1.5 s."""
    for name, material, play, lo, hi in (("rocking chair", "bent wood", "rocking creak", 1.2, 1.8),
                                         ("cradle", "wooden frame", "rocking creak", 1.2, 1.8),
                                         ("swing", "seat on chains", "chains creaking as it swings", 1.25, 1.5)):
        x = _render("creak_slip", name, material, play, seconds=12.0, seed=1)
        starts = np.array([a for a, _ in calls(x, threshold_db=-30.0, gap_s=0.15)])
        period = np.median(np.diff(starts))
        assert 0.85 * lo < period < 1.15 * hi, (name, period, starts)


def test_a_creak_radiates_from_a_small_joint_so_little_below_600_hz():
    x = _render("creak_slip", "basket", "woven wicker", "wicker creaking")
    assert band_share(x, SR, 0, 400) < 0.05
    assert band_share(x, SR, 600, 8000) > 0.8


def test_the_motion_comes_from_the_play_method_or_the_name():
    def motion(name: str, play: str) -> str:
        ctx = Ctx(SR, SR, np.random.default_rng(0), Params(), MATERIALS["wood"],
                  desc=SourceDescription(name, "", play))
        return textures.creak_motion(ctx)

    assert motion("cradle", "rocking creak") == "rock"
    assert motion("swing", "chains creaking as it swings") == "swing"
    assert motion("couch", "springs creaking") == "spring"
    assert motion("screwdriver", "screw squeaking in") == "screw"
    assert motion("basket", "wicker creaking") == "wicker"
    assert motion("floor", "creaking under weight") == "load"


def test_slips_come_at_the_loading_rate_with_the_asperities_spread():
    """A joint loaded at a constant speed slips at the asked rate on average (stick time = static limit /
    loading rate, the limit spread from asperity to asperity), and not at all below the onset."""
    ctx = Ctx(SR, 4 * SR, np.random.default_rng(3), Params(), MATERIALS["wood"])
    times, _ = textures._slip_times(ctx, np.full(ctx.n, 40.0), onset=10.0)
    assert len(times) / 4.0 == pytest.approx(40.0, rel=0.1)
    cv = np.std(np.diff(times)) / np.mean(np.diff(times))
    assert 0.1 < cv < 0.5, cv  # irregular, far from a Poisson train's 1
    none, _ = textures._slip_times(ctx, np.full(ctx.n, 5.0), onset=10.0)
    assert none.size == 0


def test_a_squeak_is_a_short_gliding_tone_at_the_locked_slip_rate():
    """Friction squeal: slips locked near a mode come 600-1400 times a second, so each squeak is a tone whose
    fundamental (the slip rate) glides within 600-1400 Hz as the speed rises and falls (near the top mid-squeak);
    squeaks last 0.15-0.35 s (a little less above the -20 dB line) and come once per wrist turn of a screw
    (0.6-0.9 s)."""
    from tests.helpers.analysis import f0_autocorr

    x = _render("squeak_slip", "screwdriver", "steel shaft and handle", "screw squeaking in", seconds=8.0, seed=3)
    squeaks = [(a, b) for a, b in calls(x, threshold_db=-20.0, gap_s=0.03) if b - a > 0.04]
    assert len(squeaks) >= 6
    lengths = np.array([b - a for a, b in squeaks])
    assert 0.05 < np.median(lengths) < 0.35, lengths
    starts = np.array([a for a, _ in squeaks])
    assert 0.5 < np.median(np.diff(starts)) < 1.05, starts
    f0s = []
    for a, b in squeaks:
        mid = int((a + b) / 2 * SR)
        seg = x[mid - int(0.02 * SR): mid + int(0.02 * SR)]
        f0s.append(f0_autocorr(seg, SR, fmin=300.0, fmax=2000.0))
    assert 900 < np.median(f0s) < 1500, f0s  # mid-squeak, near the fastest: close to 1400 slips/s


def test_a_swinging_chain_squeaks_at_both_ends_of_its_arc_and_its_links_knock_between():
    """A swing's chain: the link on the hook squeaks twice per period (2.5-3 s: every 1.25-1.5 s), as
    squeak_slip does, and the links below knock as they pivot through the half swing, so between the squeaks
    the high band (> 2.5 kHz) holds tens of sharp knocks a second, where squeak_slip's is silent."""
    def squeaks_and_knocks(model: str) -> tuple[float, float]:
        x = _render(model, "swing", "seat on chains", "chains creaking as it swings", seconds=12.0, seed=1)
        low = signal.sosfilt(signal.butter(4, 2000, "low", fs=SR, output="sos"), x)
        high = signal.sosfilt(signal.butter(4, 2500, "high", fs=SR, output="sos"), x)
        squeaks = [(a, b) for a, b in calls(low, threshold_db=-20.0, gap_s=0.03) if b - a > 0.04]
        period = float(np.median(np.diff([a for a, _ in squeaks])))
        hop = int(0.001 * SR)  # 1 ms frames: a knock is a peak 4x the median level, 3 ms apart at least
        e = np.sqrt((high[: len(high) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1))
        peaks, _ = signal.find_peaks(e, height=4 * np.median(e) + 1e-12, distance=3)
        between = np.ones(e.size, bool)
        for a, b in squeaks:
            between[max(int((a - 0.05) * 1000), 0): int((b + 0.05) * 1000)] = False
        return period, np.count_nonzero(between[peaks]) / (between.sum() / 1000)

    period, knocks = squeaks_and_knocks("chain_squeak")
    assert 0.85 * 1.25 < period < 1.15 * 1.5, period
    assert 10 < knocks < 100, knocks
    _, alone = squeaks_and_knocks("squeak_slip")
    assert alone < 2, alone


def test_a_sprung_seat_rings_its_coil_at_each_bounce_under_the_squeak():
    """A couch bounced on: squeak_slip's squeal plus, at each landing (0.7-1.1 s apart), the coil's surge modes:
    a peak at 150-350 Hz holding a fifth or more of the energy, where the squeal alone (1-6 kHz) has none."""
    def low_band(model: str) -> tuple[float, float, float]:
        x = _render(model, "couch", "upholstered frame and springs", "springs creaking", seconds=10.0, seed=1)
        low = signal.sosfilt(signal.butter(4, 600, "low", fs=SR, output="sos"), x)
        f, pxx = signal.welch(low, SR, nperseg=8192)
        sel = (f > 80) & (f < 600)
        rings = [a for a, _ in calls(low, threshold_db=-20.0, gap_s=0.1)]
        return band_share(x, SR, 100, 600), float(f[sel][np.argmax(pxx[sel])]), float(np.median(np.diff(rings)))

    share, peak, gap = low_band("spring_squeak")
    assert share > 0.2 and 150 * 0.97 < peak < 350 * 1.03, (share, peak)
    assert 0.7 * 0.9 < gap < 1.1 * 1.1, gap
    assert low_band("squeak_slip")[0] < 0.01


def test_a_screw_driven_by_hand_squeals_each_turn_and_the_bit_clicks_as_the_wrist_regrips():
    """After each turn's squeal (0.6-1.1 s apart) the bit drops back into the slot 50-150 ms later: a sharp click
    (its 1 ms peak within 10 dB of the squeal's) after at least 80 % of the turns; squeak_slip is silent there."""
    def clicks_after_turns(model: str) -> tuple[np.ndarray, float]:
        x = _render(model, "screwdriver", "steel shaft and handle", "screw squeaking in", seconds=8.0, seed=1)
        turns = [(a, b) for a, b in calls(x, threshold_db=-20.0, gap_s=0.03) if b - a > 0.04]
        hop = int(0.001 * SR)
        e = np.sqrt((x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)) + 1e-12
        after = np.array([20 * np.log10(e[int((b + 0.03) * 1000): int((b + 0.2) * 1000)].max()
                                        / e[int(a * 1000): int(b * 1000)].max()) for a, b in turns[:-1]])
        return after, float(np.median(np.diff([a for a, _ in turns])))

    after, gap = clicks_after_turns("screw_drive")
    assert 0.6 * 0.9 < gap < 1.1 * 1.1, gap
    assert np.mean(after > -10.0) >= 0.8, after
    alone, _ = clicks_after_turns("squeak_slip")
    assert np.all(alone < -30.0), alone


# ----------------------------------------------------------------------------------------------
# Crumple
# ----------------------------------------------------------------------------------------------
def test_crumpling_comes_in_squeezes_with_quiet_rests():
    """Squeezes of 0.3-1 s separated by rests in which the sheet is nearly silent (>= 20 dB down)."""
    x = _render("crumple", "paper", "paper sheets", "crumpled", seconds=8.0, seed=4)
    env = envelope_db(x, 0.02)
    assert np.percentile(env, 5) < -20.0
    squeezes = calls(x, threshold_db=-25.0, gap_s=0.04)
    long = [b - a for a, b in squeezes if b - a > 0.15]
    assert 3 <= len(long) and 0.2 < np.median(long) < 1.1, long


def test_crumpling_clicks_have_heavy_tailed_energies():
    """Crackling noise: the 2 ms frame energies inside squeezes are heavy-tailed (many faint, few loud), far
    from a Gaussian hiss (kurtosis of the frame amplitudes well above a noise's)."""
    x = _render("crumple", "plastic bag", "thin polyethylene", "crinkled in the hands", seconds=6.0, seed=0)
    hop = int(0.002 * SR)
    e = (x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)
    e = e[e > e.max() * 1e-3]
    ratio = np.percentile(e, 99) / np.median(e)
    noise = np.random.default_rng(0).standard_normal(len(x))
    en = (noise[: len(noise) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)
    assert ratio > 5 * np.percentile(en, 99) / np.median(en), ratio


def test_plastic_film_crinkles_brighter_than_paper():
    paper = _render("crumple", "paper", "paper sheets", "crumpled", seed=1)
    bag = _render("crumple", "plastic bag", "thin polyethylene", "crinkled in the hands", seed=1)
    assert centroid_hz(bag, SR) > 1.15 * centroid_hz(paper, SR)
    assert band_share(paper, SR, 1000, 8000) > 0.8


# ----------------------------------------------------------------------------------------------
# Leaves and sand
# ----------------------------------------------------------------------------------------------
def _loud_crest(x: np.ndarray) -> float:
    """Crest factor (peak / RMS) of the loudest 0.5 s."""
    w = int(0.5 * SR)
    loud = x[int(np.argmax(envelope_db(x, 0.5))) * w:][:w]
    return float(np.abs(loud).max() / np.sqrt(np.mean(loud ** 2)))


def _tail_ratio(x: np.ndarray) -> float:
    """99th percentile over median of the 2 ms frame energies (above -30 dB): how heavy the loud tail is."""
    hop = int(0.002 * SR)
    e = (x[: len(x) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)
    e = e[e > e.max() * 1e-3]
    return float(np.percentile(e, 99) / np.median(e))


def test_leaves_rustle_in_the_2_to_7_khz_band_and_swell_with_gusts():
    x = _render("leaf_rustle", "leaves", "foliage", "leaves rustling in the breeze", seconds=10.0, seed=0)
    assert band_share(x, SR, 1600, 8000) > 0.85
    assert 2500 < centroid_hz(x, SR) < 6000
    # gusts: the 0.5 s level swings by more than 11 dB over seconds (the movements alone, in still air: < 9 dB)
    half = envelope_db(x, 0.5)
    assert half.max() - np.percentile(half, 10) > 11.0


def test_leaves_slide_softly_where_a_crumpled_sheet_snaps():
    """Leaf contacts are soft-onset swishes with a narrow spread of energies; a crumpled sheet's creases snap
    with energies over 2.5 decades: the rustle's loudest moments stand out less (crest factor) and its loud
    tail is lighter than the crumple's, for the same kind of movement (a plant brushed, no gusts)."""
    for seed in (0, 1):
        leaves = _render("leaf_rustle", "potted plant", "leaves and ceramic pot", "leaves rustling", 10.0, seed)
        paper = _render("crumple", "paper", "paper sheets", "crumpled", 10.0, seed)
        assert _loud_crest(leaves) < 0.85 * _loud_crest(paper)
        assert _tail_ratio(leaves) < 0.75 * _tail_ratio(paper)


def test_sand_slides_down_the_pile_in_avalanches_of_high_band_grain_slips():
    x = _render("sand_trickle", "hourglass", "glass bulbs and sand", "sand trickling", seconds=8.0, seed=0)
    assert band_share(x, SR, 1600, 24000) > 0.9  # 0.1-0.5 mm grains radiate only high up
    assert 3000 < centroid_hz(x, SR) < 6500
    # avalanches of 0.4-1 s, the apex recharged within 20-100 ms: the 20 ms level dips 8 dB or more ~1-2 times a
    # second, and between avalanches (only the stream's landings) it falls more than 20 dB under its median
    e = envelope_db(x, 0.02)
    dips, _ = signal.find_peaks(-e, prominence=8.0)
    assert 0.8 < len(dips) / 8.0 < 2.5
    assert np.percentile(e, 5) < np.median(e) - 20.0
    # alike grains: their slips' 2 ms energies have a far lighter tail than a crumpled sheet's creases
    paper = _render("crumple", "paper", "paper", "crumpled", seconds=8.0, seed=0)
    assert _tail_ratio(x) < 0.7 * _tail_ratio(paper)


# ----------------------------------------------------------------------------------------------
# Every model
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", sorted(textures.MODELS))
def test_each_model_is_deterministic_per_seed_and_quick(model):
    desc = ("thing", "wood", "x")
    t0 = time.perf_counter()
    a = _render(model, *desc, seconds=5.0, seed=7)
    took = time.perf_counter() - t0
    b = _render(model, *desc, seconds=5.0, seed=7)
    c = _render(model, *desc, seconds=5.0, seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.isfinite(a).all() and np.abs(a).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    assert took < 1.0, took


def test_every_model_has_audioset_classes():
    assert set(textures.AUDIOSET) == set(textures.MODELS)
