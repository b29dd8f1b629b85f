"""Physics of the animal calls rebuilt for issue 12 (server/sounds/animals.py): pitch range and contour, call
length and rhythm, roughness, measured on the rendered audio (pitch from autocorrelation, level in dB)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from server.sounds.synth import SourceDescription, synthesize
from tests.helpers.sounds import calls, render
from tests.helpers.sounds import envelope_db as level_db

SR = 48000


def f0_track(x: np.ndarray, fmin: float, fmax: float, frame_s: float = 0.04, min_level_db: float = -15.0
             ) -> list[tuple[float, float, float]]:
    """(time s, f0 Hz, periodicity 0..1) of every frame within ``min_level_db`` of the loudest, from the
    autocorrelation peak between 1/fmax and 1/fmin (periodicity = that peak over the lag-0 value)."""
    n = int(frame_s * SR)
    frames = x[: len(x) // n * n].reshape(-1, n)
    level = np.sqrt((frames ** 2).mean(axis=1)) + 1e-12
    loud = 20 * np.log10(level / level.max()) > min_level_db
    lo, hi = int(SR / fmax), int(SR / fmin)
    out = []
    for i in np.flatnonzero(loud):
        fr = frames[i] - frames[i].mean()
        ac = np.correlate(fr, fr, "full")[n - 1:]
        lag = lo + int(np.argmax(ac[lo:hi]))
        out.append(((i + 0.5) * frame_s, SR / lag, float(ac[lag] / (ac[0] + 1e-12))))
    return out



def modulation_hz(seg: np.ndarray, cutoff: float, lo: float, hi: float) -> float:
    """The strongest rate between ``lo`` and ``hi`` Hz at which ``seg``'s amplitude envelope (Hilbert, low-passed
    at ``cutoff`` Hz, read at 1 kHz) goes up and down: a trill's syllable rate, a bleat's quaver."""
    env = signal.sosfiltfilt(signal.butter(2, cutoff, fs=SR, output="sos"), np.abs(signal.hilbert(seg)))[:: SR // 1000]
    env = env - env.mean()
    spec = np.abs(np.fft.rfft(env * np.hanning(len(env)), 8192))
    f = np.fft.rfftfreq(8192, 1 / 1000)
    band = (f > lo) & (f < hi)
    return float(f[band][np.argmax(spec[band])])

# ------------------------------------------------------------------------------------------------ roar
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lion_roar_is_a_long_call_peaking_at_120_170_hz_and_falling(seed):
    x = render("roar", "lion", "roaring", seed=seed)
    roars = [(a, b) for a, b in calls(x, -25.0, 0.15) if b - a > 0.3]
    assert 1 <= len(roars) <= 3, roars  # one roar every 2-3 s
    assert all(0.9 <= b - a <= 2.1 for a, b in roars[:-1]), roars  # 1.4-1.9 s, the quiet ends under the threshold
    a, b = roars[0]
    seg = x[int(a * SR): int(b * SR)]
    track = [(t, f, r) for t, f, r in f0_track(seg, 40, 400, min_level_db=-12.0) if r > 0.3]
    assert len(track) >= 10, track
    f = np.array([f for _, f, _ in track])
    peak = float(np.percentile(f, 90))
    assert 115 < peak < 180, peak  # the peak f0 of a lion's roar, not a subharmonic
    times = np.array([t for t, _, _ in track])
    late = f[times > times.max() - 0.3]
    assert 1200 * np.log2(peak / np.median(late)) > 300, (peak, late)  # falls by over 3 semitones at the end


@pytest.mark.parametrize("seed", [0, 1])
def test_roar_is_rough_not_a_clean_tone(seed):
    """The big cat's irregular vocal folds and the turbulent noise: voiced (periodicity over 0.3) but far from a
    clean tone (a pure pulse train measures ~ 1.0)."""
    track = f0_track(render("roar", "lion", "roaring", seed=seed), 40, 400, min_level_db=-10.0)
    r = np.median([r for _, _, r in track])
    assert 0.3 < r < 0.9, r


def test_tiger_roars_higher_than_a_bear():
    def peak(name):
        track = [f for _, f, r in f0_track(render("roar", name, "roaring", seed=1), 40, 400, min_level_db=-12.0)
                 if r > 0.3]
        return float(np.percentile(track, 90))

    assert 1200 * np.log2(peak("tiger") / peak("bear")) > 500  # x1.1 against x0.7: ~ 7.8 semitones


def test_hippo_honks_in_a_run_after_a_wheeze():
    x = render("roar", "hippopotamus", "grunting honks", seed=0)
    honks = [(a, b) for a, b in calls(x, -20.0, 0.05) if b - a > 0.08]
    assert len(honks) >= 4, honks  # the wheeze and a run of honks in 5 s
    assert all(b - a < 1.2 for a, b in honks), honks  # honks of 0.6-1.1 s (stop 24), shorter than a 1.4-1.9 s roar


# ------------------------------------------------------------------------------------------------ moo
def cow(words: tuple[str, ...] = (), seed: int = 0) -> np.ndarray:
    x, choice = synthesize(SourceDescription("cow", "hide", "mooing", words), 5.0, seed=seed, model="moo")
    return x.astype(np.float64)


def median_f0(x: np.ndarray, fmin: float, fmax: float) -> float:
    return float(np.median([f for _, f, r in f0_track(x, fmin, fmax, min_level_db=-10.0) if r > 0.4]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_moo_is_a_long_open_call_at_150_220_hz(seed):
    x = cow(seed=seed)
    moos = [(a, b) for a, b in calls(x, -20.0, 0.1) if b - a > 0.3]
    assert 1 <= len(moos) <= 3, moos
    assert all(0.9 <= b - a <= 1.7 for a, b in moos[:-1]), moos  # 1.2-1.5 s of open mouth
    assert 150 < median_f0(x, 60, 400) < 220


def test_a_deep_cow_moos_within_three_semitones_of_a_plain_one():
    """Timbre words move a species' voice inside its range: 'low, deep' (the vocabulary's cow) no longer halves
    f0 to 80 Hz, where the tagger heard an engine."""
    plain, deep = median_f0(cow(seed=1), 60, 400), median_f0(cow(("low", "deep"), seed=1), 60, 400)
    drop = 1200 * np.log2(plain / deep)
    assert 100 < drop < 400, drop
    assert deep > 130


def test_moo_formants_sit_near_400_1300_2100_hz():
    """The open mouth's formants: most energy near F1 (400 Hz), then F2 (1.3 kHz), little above F3."""
    x = cow(seed=2)
    f, p = signal.welch(x, SR, nperseg=8192)

    def band(lo, hi):
        return 10 * np.log10(p[(f >= lo) & (f < hi)].mean())

    assert band(300, 500) > band(1000, 1600) > band(2600, 3500)
    assert band(300, 500) - band(3000, 4000) > 20


# ------------------------------------------------------------------------------------------------ hooves
def hoof_onsets(x: np.ndarray) -> np.ndarray:
    """Onsets (samples) of the hoof strikes: peaks of the 1 ms envelope at least 120 ms apart."""
    env = np.abs(signal.hilbert(x))
    env = signal.sosfiltfilt(signal.butter(2, 200, fs=SR, output="sos"), env)
    peaks, _ = signal.find_peaks(env, distance=int(0.12 * SR), height=0.3 * env.max())
    return peaks


@pytest.mark.parametrize("seed", [0, 1])
def test_a_hoof_on_a_road_clops_near_850_hz_and_dies_within_60_ms(seed):
    """The hollow hoof capsule rings as a damped cavity (~ 750-950 Hz, 12-22 ms), not a broad knock."""
    x = render("hoofbeats", "horse", "hooves clopping on the road", seed=seed)
    onsets = hoof_onsets(x)
    assert len(onsets) >= 10
    n = int(0.04 * SR)
    spec = np.mean([np.abs(np.fft.rfft(x[i - int(0.005 * SR): i + n] * np.hanning(n + int(0.005 * SR)), 16384))
                    for i in onsets if int(0.005 * SR) <= i < len(x) - n], axis=0)
    f = np.fft.rfftfreq(16384, 1 / SR)
    band = (f > 300) & (f < 4000)
    peak = f[band][np.argmax(spec[band])]
    assert 650 < peak < 1100, peak
    # 50-60 ms after a strike (the toe lands up to 18 ms after the heel) the clop has fallen by over 15 dB
    lv = [20 * np.log10(np.sqrt(np.mean(x[i + int(a * SR): i + int(b * SR)] ** 2)) + 1e-12)
          for i in onsets[:-1] for a, b in ((0.0, 0.01), (0.05, 0.06))]
    drops = np.array(lv[0::2]) - np.array(lv[1::2])
    assert np.median(drops) > 15, drops


@pytest.mark.parametrize("seed", [0, 1])
def test_a_walk_is_four_even_beats_a_second_over_the_road_ambience(seed):
    x = render("hoofbeats", "horse", "hooves clopping", seed=seed)
    onsets = hoof_onsets(x) / SR
    ioi = np.diff(onsets)
    assert 3.2 < 1 / np.median(ioi) < 5.2, ioi  # 4 beats a stride, ~ 1 stride a second
    assert np.std(ioi) / np.median(ioi) < 0.35, ioi  # even: a walk's beats a quarter of a stride apart
    # between the strikes the road's ambience (wind, distant traffic), some 20 dB under the strikes' peaks
    quiet = [x[int((a + 0.08) * SR): int((b - 0.02) * SR)] for a, b in zip(onsets[:-1], onsets[1:], strict=True)
             if b - a > 0.15]
    floor = 20 * np.log10(np.median([np.sqrt(np.mean(q ** 2)) for q in quiet]) / np.abs(x).max())
    assert -45 < floor < -18, floor


# ------------------------------------------------------------------------------------------------ neigh, bray
def test_whinny_has_a_second_voice_near_four_times_f0_early_on():
    """Biphonation: an independent high voice (G0 ~ 4 x f0, 3.4-4.6 kHz) in the whinny's first part, gone by
    its end."""
    x = render("neigh", "horse", "neighing", seed=0)
    (a, b), *_ = [(a, b) for a, b in calls(x, -25.0, 0.12) if b - a > 0.8]
    call = x[int(a * SR): int(b * SR)]
    q = len(call) // 4
    f0 = float(np.median([f for _, f, r in f0_track(call[:q], 500, 1500) if r > 0.3]))
    assert 800 < f0 < 1300, f0

    def near(seg, fc):
        f, p = signal.welch(seg, SR, nperseg=2048)
        return 10 * np.log10(p[(f > 0.9 * fc) & (f < 1.1 * fc)].sum() / p.sum())

    assert near(call[:q], 4 * f0) > near(call[-q:], 4 * f0) + 6
    assert near(call[:q], 4 * f0) > -25


@pytest.mark.parametrize("seed", [0, 1])
def test_bray_hee_is_high_and_soft_haw_low_and_loud(seed):
    x = render("neigh", "donkey", "braying", seed=seed)
    track = f0_track(x, 150, 1500, min_level_db=-25.0)
    hee = [(t, f) for t, f, r in track if r > 0.3 and f > 600]
    haw = [(t, f) for t, f, r in track if r > 0.3 and f < 450]
    assert hee and haw
    assert 750 < np.median([f for _, f in hee]) < 1250
    assert 220 < np.median([f for _, f in haw]) < 380
    lv = level_db(x, 0.04)  # 40 ms frames, as f0_track's
    lv_hee = np.median([lv[int(t / 0.04)] for t, _ in hee])
    lv_haw = np.median([lv[int(t / 0.04)] for t, _ in haw])
    assert 4 < lv_haw - lv_hee < 16, (lv_haw, lv_hee)  # the in-breath a third as loud (~ 9 dB)


# ------------------------------------------------------------------------------------------------ timbre words
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_low_owl_still_hoots_in_its_species_range(seed):
    """'soft, low, hollow' (the vocabulary's owl) describes the owl's own voice: it moves the hoot within the
    great horned owl's 250-430 Hz (at most 3 semitones down), where the raw factor (x0.75) took it to 190 Hz."""
    x, _ = synthesize(SourceDescription("owl", "", "hooting", ("soft", "low", "hollow")), 5.0, seed=seed,
                      model="hoot")
    f0 = float(np.median([f for _, f, r in f0_track(x.astype(np.float64), 150, 800, min_level_db=-12.0)
                          if r > 0.3]))
    assert 250 < f0 < 430, f0


# ------------------------------------------------------------------------------------------------ gobble
@pytest.mark.parametrize("seed", [0, 1])
def test_gobble_is_a_trill_of_15_to_20_syllables_a_second(seed):
    x = render("gobble", "turkey", "gobbling", seed=seed)
    gobbles = [(a, b) for a, b in calls(x, -25.0, 0.1) if b - a > 0.3]
    assert gobbles and all(0.4 < b - a < 1.2 for a, b in gobbles[:-1]), gobbles
    a, b = gobbles[0]
    seg = x[int(a * SR): int(b * SR)]
    assert 13 < modulation_hz(seg, 60, 5, 40) < 22
    fw, p = signal.welch(seg, SR, nperseg=2048)
    assert 900 < fw[(fw > 300)][np.argmax(p[fw > 300])] < 1900  # the first resonance near 1.3 kHz


# ------------------------------------------------------------------------------------------------ bleat
@pytest.mark.parametrize("seed", [0, 1])
def test_sheep_bleats_at_290_380_hz_quavering_11_to_14_times_a_second(seed):
    x = render("bleat", "sheep", "bleating", seed=seed)
    (a, b), *_ = [(a, b) for a, b in calls(x, -25.0, 0.1) if b - a > 0.4]
    seg = x[int(a * SR): int(b * SR)]
    f0 = float(np.median([f for _, f, r in f0_track(seg, 150, 700, min_level_db=-15.0) if r > 0.3]))
    assert 250 < f0 < 420, f0
    assert 10.5 < modulation_hz(seg, 40, 5, 25) < 14.5


# ------------------------------------------------------------------------------------------------ raptor
def test_a_hawks_cry_is_a_long_scream_falling_from_about_3_khz():
    x = render("squawk", "hawk", "piercing cry", seed=0)
    cries = [(a, b) for a, b in calls(x, -25.0, 0.08) if b - a > 0.3]
    assert len(cries) >= 2 and all(0.7 < b - a < 1.5 for a, b in cries[:-1]), cries
    a, b = cries[0]
    seg = x[int(a * SR): int(b * SR)]
    n = len(seg) // 5
    start = median_f0(seg[:n], 1500, 4500)
    end = median_f0(seg[-n:], 1000, 4500)
    assert 2300 < start < 3800, start
    assert 1200 * np.log2(start / end) > 300, (start, end)  # falls by a quarter or more


# ------------------------------------------------------------------------------------------------ growl
@pytest.mark.parametrize("seed", [0, 1])
def test_a_dog_growls_at_100_160_hz_a_bear_lower_both_rough(seed):
    def growl(name, play, words=()):
        x, _ = synthesize(SourceDescription(name, "", play, words), 5.0, seed=seed, model="growl")
        track = f0_track(x.astype(np.float64), 40, 400, min_level_db=-10.0)
        return x.astype(np.float64), float(np.median([f for _, f, _ in track])), float(np.median([r for *_, r in track]))

    dog, f_dog, r_dog = growl("dog", "growling")
    _, f_bear, r_bear = growl("bear", "deep growl", ("deep", "growling", "low"))
    assert 100 < f_dog < 160, f_dog
    assert 60 < f_bear < 100, f_bear  # 'deep' moves the bear's 80-115 Hz by at most 3 semitones
    assert r_dog < 0.8 and r_bear < 0.8  # rough: period doubling, flutter, jitter, breath
    exhales = [b - a for a, b in calls(dog, -20.0, 0.08) if b - a > 0.6]
    assert exhales and all(0.6 < d < 1.7 for d in exhales), exhales  # 0.8-1.5 s on the exhale


# ------------------------------------------------------------------------------------------------ whine
@pytest.mark.parametrize("seed", [0, 1])
def test_whine_is_a_high_short_quavering_tone(seed):
    x = render("whine", "dog", "whining", seed=seed)
    whines = [(a, b) for a, b in calls(x, -20.0, 0.05) if b - a > 0.15]
    assert len(whines) >= 3 and all(b - a < 1.0 for a, b in whines), whines
    track = [(f, r) for _, f, r in f0_track(x, 400, 2000, min_level_db=-12.0)]
    assert 600 < np.median([f for f, _ in track]) < 1150
    assert np.median([r for _, r in track]) > 0.7  # nearly pure
    a, b = max(whines, key=lambda w: w[1] - w[0])
    seg = x[int(a * SR): int(b * SR)]
    # the quaver: the instantaneous frequency of the fundamental wobbles at 8.5-13 Hz
    fund = signal.sosfiltfilt(signal.butter(2, [450, 1400], btype="bandpass", fs=SR, output="sos"), seg)
    inst = np.diff(np.unwrap(np.angle(signal.hilbert(fund)))) * SR / (2 * np.pi)
    inst = signal.sosfiltfilt(signal.butter(2, 40, fs=SR, output="sos"), inst)[:: SR // 1000]
    inst = inst - np.polyval(np.polyfit(np.arange(len(inst)), inst, 3), np.arange(len(inst)))
    spec = np.abs(np.fft.rfft(inst * np.hanning(len(inst)), 8192))
    f = np.fft.rfftfreq(8192, 1 / 1000)
    band = (f > 4) & (f < 25)
    assert 7.5 < f[band][np.argmax(spec[band])] < 14


# ------------------------------------------------------------------------------------------------ rattle
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rattlesnake_rattle_knocks_120_to_200_times_a_second_broadband_for_seconds(seed):
    """A rattle swung 60-100 times a second knocks twice a cycle; its clicks are broadband above 2 kHz and it
    goes on for seconds, not a crack or a tone."""
    x = render("hiss", "rattlesnake", "tail rattling", seed=seed)
    bursts = [(a, b) for a, b in calls(x, -20.0, 0.1) if b - a > 0.3]
    assert bursts and max(b - a for a, b in bursts) > 1.2, bursts
    a, b = max(bursts, key=lambda ab: ab[1] - ab[0])
    seg = x[int(a * SR): int(b * SR)]
    assert 110 < modulation_hz(seg, 400, 80, 260) < 210  # knocks per second
    f, p = signal.welch(seg, SR, nperseg=2048)
    assert p[f > 2000].sum() / p.sum() > 0.9  # the clicks' energy is above 2 kHz
    flat = np.exp(np.mean(np.log(p[(f > 2000) & (f < 16000)] + 1e-20))) / p[(f > 2000) & (f < 16000)].mean()
    assert flat > 0.3, flat  # broadband (spectral flatness), no tonal ring


@pytest.mark.parametrize("seed", [0, 1])
def test_a_rattlesnake_rattles_on_between_its_hisses_a_plain_snake_falls_quiet(seed):
    """A snake hisses on the exhale and is silent as it breathes in; a rattlesnake's rattle goes on through."""
    loud = {name: float((level_db(render("hiss", name, "hissing", seed=seed)) > -25.0).mean())
            for name in ("rattlesnake", "snake")}
    assert loud["rattlesnake"] > 0.8 and loud["rattlesnake"] > loud["snake"] + 0.15, loud


# ------------------------------------------------------------------------------------------------ chest beat
def beat_onsets(x: np.ndarray) -> np.ndarray:
    """Times (s) where the 5 ms level jumps by over 6 dB into the top 20 dB: each hand striking."""
    hop = int(0.005 * SR)
    fr = x[: len(x) // hop * hop].reshape(-1, hop)
    db = 20 * np.log10(np.sqrt((fr ** 2).mean(axis=1)) + 1e-12)
    db -= db.max()
    rise = np.diff(db, prepend=db[0])
    idx = np.flatnonzero((rise > 6) & (db > -20))
    keep = [i for j, i in enumerate(idx) if j == 0 or i - idx[j - 1] > 8]  # one onset per 40 ms
    return np.array(keep) * 0.005


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chest_beat_is_bouts_of_beats_8_to_11_a_second_resonating_at_300_550_hz(seed):
    x = render("chest_beat", "gorilla", "chest beating", seed=seed)
    on = beat_onsets(x)
    gaps = np.diff(on)
    within = gaps[gaps < 0.2]
    assert len(within) >= 5, on
    assert 8 * 0.85 < 1 / np.median(within) < 11 * 1.15, np.median(within)  # beats per second in a bout
    assert (gaps > 0.5).any() or on[-1] - on[0] < 2.5, gaps  # bouts, not one endless drum roll
    f, p = signal.welch(x, SR, nperseg=8192)
    band = (f > 150) & (f < 2000)
    peak = f[band][np.argmax(signal.medfilt(p[band], 9))]
    assert 200 < peak < 770, peak  # the air-sac resonance (300-550 Hz, +-40 % band), not a wooden knock
    assert p[(f > 2000)].sum() < 0.2 * p[(f > 150) & (f < 2000)].sum()  # the slap is faint: a thump, not a crack


# ------------------------------------------------------------------------------------------------ meow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_meow_is_one_to_three_calls_of_half_to_one_second_arching_over_500_to_900_hz(seed):
    x = render("meow", "cat", "meowing", seed=seed)
    meows = [(a, b) for a, b in calls(x, -20.0, 0.08) if b - a > 0.15]
    assert 1 <= len(meows) <= 4, meows
    assert all(0.3 <= b - a <= 1.1 for a, b in meows[:-1]), meows  # 0.5-0.9 s, the quiet ends under the threshold
    a, b = meows[0]
    track = [(t, f) for t, f, r in f0_track(x[int(a * SR): int(b * SR)], 250, 1000, 0.03, -12.0) if r > 0.5]
    assert len(track) >= 5, track
    f = np.array([f for _, f in track])
    assert 480 < np.percentile(f, 90) < 950, f  # the arch's top
    assert f[0] < 0.9 * f.max() and f[-1] < 0.95 * f.max() and 0 < f.argmax() < len(f) - 1, f  # up, then down ('ow')


# ------------------------------------------------------------------------------------------------ gull
@pytest.mark.parametrize("seed", [0, 1])
def test_a_water_bird_calls_in_runs_of_short_kyow_notes_at_700_1100_hz(seed):
    x = render("squawk", "water bird", "calling over the water", seed=seed)
    notes = [(a, b) for a, b in calls(x, -20.0, 0.03) if b - a > 0.08]
    assert len(notes) >= 5, notes
    assert 0.15 < np.median([b - a for a, b in notes]) < 0.55, notes  # 0.25-0.5 s, the quiet tail under -20 dB
    tops = []
    for a, b in notes[:4]:
        track = [f for _, f, r in f0_track(x[int(a * SR): int(b * SR)], 400, 1600, 0.02, -10.0) if r > 0.4]
        if track:
            tops.append(max(track))
    assert tops and all(600 < f < 1300 for f in tops), tops  # each note's peak pitch


# ------------------------------------------------------------------------------------------------ wing clicks
def click_rate(x: np.ndarray) -> float:
    """Clicks per second: the strongest rate of the 1-7 kHz envelope between 80 and 300 Hz (from 3 s)."""
    hi = signal.sosfiltfilt(signal.butter(4, [1000, 7000], btype="bandpass", fs=SR, output="sos"), x)
    return modulation_hz(hi[: 3 * SR], 400, 80, 300)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_beetle_and_a_dragonfly_fly_as_dry_click_trains_at_their_stroke_reversal_rates(seed):
    """A beetle's wings reverse twice per 70-110 Hz beat (140-220 clicks a second), a dragonfly's two pairs four
    times per 25-45 Hz beat (100-180 a second); the clicks are broadband, well above the wingbeat."""
    beetle, dragonfly = render("buzz", "beetle", "flying buzz", seed=seed), render("buzz", "dragonfly", "wings whirring", seed=seed)
    assert 125 < click_rate(beetle) < 240, click_rate(beetle)
    assert 90 < click_rate(dragonfly) < 195, click_rate(dragonfly)
    for x in (beetle, dragonfly):
        f, p = signal.welch(x, SR, nperseg=4096)
        assert p[(f > 1000) & (f < 8000)].sum() > 0.8 * p.sum()  # dry clicks, not a low hum
    bee = render("buzz", "honeybee", "buzzing", seed=seed)
    f, p = signal.welch(bee, SR, nperseg=4096)
    assert p[(f > 1000) & (f < 8000)].sum() < 0.5 * p.sum()  # a bee's buzz is its wingbeat's low harmonics


# ------------------------------------------------------------------------------------------------ whale
@pytest.mark.parametrize("seed", [0, 1])
def test_whale_song_is_units_of_about_a_second_at_300_500_hz(seed):
    x = render("howl", "whale", "whale song", seed=seed)
    units = [(a, b) for a, b in calls(x, -15.0, 0.1) if b - a > 0.2]
    assert len(units) >= 3, units  # a song of several units in 5 s, not one long moan
    assert 0.4 < np.median([b - a for a, b in units]) < 2.2, units
    track = [f for _, f, r in f0_track(x, 150, 900, min_level_db=-12.0) if r > 0.4]
    assert len(track) >= 10 and 260 < np.median(track) < 600, np.median(track)
    wolf = render("howl", "wolf", "howling at night", seed=seed)
    wolves = [(a, b) for a, b in calls(wolf, -15.0, 0.1) if b - a > 0.2]
    assert np.median([b - a for a, b in units]) < np.median([b - a for a, b in wolves])  # shorter than a howl


def test_two_whales_sing_at_once_filling_each_others_pauses():
    """A lone singer's units of 0.8-1.8 s with 0.3-0.8 s pauses leave about a third of the song quiet; a second
    singer, on its own timing, fills most of those pauses (both quiet at once: ~ 0.3^2 of the time). Over six
    songs, sound within 30 dB of the peak (50 ms RMS) fills over three quarters of the time (one singer:
    ~ 0.65)."""
    loud = []
    for seed in range(6):
        x = render("howl", "whale", "whale song", seed=seed)
        hop = int(0.05 * SR)
        env = np.sqrt(np.convolve(x ** 2, np.ones(hop) / hop, mode="same"))
        loud.append(float((20 * np.log10(env / env.max() + 1e-12) > -30.0).mean()))
    assert np.mean(loud) > 0.75, loud


# ------------------------------------------------------------------------------------------------ cicada
@pytest.mark.parametrize("seed", [0, 1])
def test_cicada_tymbals_click_200_to_400_times_a_second_ringing_4_to_7_khz_unevenly(seed):
    x = render("stridulate", "cicada", "clicking tymbals", seed=seed)
    seg = x[SR: 3 * SR]
    assert 180 < modulation_hz(seg, 1000, 150, 450) < 420  # tymbal clicks per second
    f, p = signal.welch(seg, SR, nperseg=4096)
    assert p[(f > 3500) & (f < 7500)].sum() > 0.7 * p.sum()  # the tymbals' ring
    # the ribs buckle one after another: click-to-click intervals wander (a buzzer's are exact)
    rate = modulation_hz(seg, 1000, 150, 450)
    env = signal.sosfiltfilt(signal.butter(2, 1500, fs=SR, output="sos"), np.abs(signal.hilbert(seg)))
    peaks, _ = signal.find_peaks(env, distance=int(0.7 * SR / rate))
    gaps = np.diff(peaks) / SR
    # +-0.5 ms on a 2.5-5 ms period: a spread of 5-15 % (a strictly periodic train measures under 3 %)
    assert len(gaps) > 300 and 0.05 < gaps.std() / gaps.mean() < 0.2, (len(gaps), gaps.std() / gaps.mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_a_cat_at_bay_growls_between_its_hisses_a_snake_only_hisses(seed):
    """The growl is a voice (periodic, f0 150-250 Hz) under the noise; a snake's hiss has none."""
    def voiced(name):
        x = render("hiss", name, "hissing", seed=seed)
        low = signal.sosfiltfilt(signal.butter(4, 1000, fs=SR, output="sos"), x)  # the growl's harmonics
        return [f for _, f, r in f0_track(low, 100, 400, min_level_db=-20.0) if r > 0.5]

    cat = voiced("cat")
    assert len(cat) >= 10 and 130 < np.median(cat) < 280, cat
    assert len(voiced("snake")) < len(cat) / 3


# ------------------------------------------------------------------------------------------------ purr
def test_a_low_soft_purr_stays_within_two_semitones_of_a_plain_purr():
    """The laryngeal muscles' rhythm barely moves with timbre words: a 'low' purr is not an idling engine."""
    from tests.test_sounds_animals import modulation_peak

    def rate(words):
        x, _ = synthesize(SourceDescription("cat", "fur", "purring", words), 5.0, seed=1, model="purr")
        return modulation_peak(x.astype(np.float64), 10, 60)

    low, plain = rate(("low", "soft", "purring")), rate(())
    assert 20 <= low <= 30 and 1200 * np.log2(plain / low) < 200, (low, plain)
