"""Drum kits: slice a sound into hits, describe each hit, map hits to General MIDI drum keys, and
derive the kit pieces the sound lacks from the hits it has (filtering, retuning, envelope shaping).

Every key of :data:`KIT_KEYS` (27-87: the GM map 35-81 and the GS/GM2 keys a GM font also plays)
gets a one-shot sample, so a standard drum track never hits a silent key.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal

from ..audio.resample import resample
from ..errors import InputError
from ..midi.roles import GM_DRUM_KEYS
from .model import ONE_SHOT, Envelope, Instrument, Zone
from .prep import fade, normalize, trim_silence

log = logging.getLogger(__name__)

MAX_HIT_SECONDS = 2.0
MIN_HIT_SECONDS = 0.01
HAT_GROUP = 1  # closed, pedal and open hat choke each other
CUICA_GROUP, TRIANGLE_GROUP, WHISTLE_GROUP, GUIRO_GROUP = 2, 3, 4, 5  # mute/open pairs choke each other
# Every key a General MIDI font's standard kit plays: the GM map (35-81, server.midi.roles.GM_DRUM_KEYS)
# and the GS/GM2 keys below and above it (27-34, 82-87) that TimGM6mb and FluidR3 also sound.
KIT_KEYS = {
    **GM_DRUM_KEYS,
    "high_q": 27, "slap": 28, "scratch_push": 29, "scratch_pull": 30, "sticks": 31, "square_click": 32,
    "metronome_click": 33, "metronome_bell": 34,
    "vibraslap": 58, "hi_bongo": 60, "low_bongo": 61, "mute_hi_conga": 62, "open_hi_conga": 63,
    "low_conga": 64, "high_timbale": 65, "low_timbale": 66, "high_agogo": 67, "low_agogo": 68,
    "cabasa": 69, "maracas": 70, "short_whistle": 71, "long_whistle": 72, "short_guiro": 73,
    "long_guiro": 74, "claves": 75, "hi_wood_block": 76, "low_wood_block": 77, "mute_cuica": 78,
    "open_cuica": 79, "mute_triangle": 80, "open_triangle": 81,
    "shaker": 82, "jingle_bell": 83, "belltree": 84, "castanets": 85, "mute_surdo": 86, "open_surdo": 87,
}  # fmt: skip
CHOKE_GROUPS = {
    "closed_hat": HAT_GROUP, "pedal_hat": HAT_GROUP, "open_hat": HAT_GROUP,
    "mute_cuica": CUICA_GROUP, "open_cuica": CUICA_GROUP,
    "mute_triangle": TRIANGLE_GROUP, "open_triangle": TRIANGLE_GROUP,
    "short_whistle": WHISTLE_GROUP, "long_whistle": WHISTLE_GROUP,
    "short_guiro": GUIRO_GROUP, "long_guiro": GUIRO_GROUP,
}  # fmt: skip


@dataclass(frozen=True)
class HitFeatures:
    """What the classifier looks at, measured on the first 150 ms of a hit."""

    start_s: float
    seconds: float
    peak_db: float
    low_ratio: float  # energy below 150 Hz / total
    body_ratio: float  # energy 150-1000 Hz / total: a snare's shell, absent from hats and cymbals
    centroid_hz: float
    noisiness: float  # spectral flatness 0 (tonal) - 1 (white noise)
    decay_s: float  # from the peak to 30 dB below it


def slice_hits(x: np.ndarray, sr: int, *, max_hits: int = 32) -> list[tuple[int, np.ndarray]]:
    """Onsets (librosa, backtracked to the preceding energy minimum) → list of (start, hit audio)."""
    import librosa

    onsets = librosa.onset.onset_detect(
        y=x.astype(np.float32),
        sr=sr,
        hop_length=256,
        backtrack=True,
        units="samples",
        delta=0.2,
        wait=int(0.05 * sr / 256),  # hits at least 50 ms apart: a rattle or rustle is one hit
    )
    bounds = sorted({0, *[int(o) for o in onsets]})
    bounds.append(len(x))
    hits = []
    peak_all = np.max(np.abs(x))
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        seg = x[a : min(b, a + int(MAX_HIT_SECONDS * sr))]
        if len(seg) == 0 or np.max(np.abs(seg)) < peak_all * 10 ** (-24 / 20):
            continue
        s, e = trim_silence(seg, sr, -50.0)
        seg = seg[s:e]
        if len(seg) < MIN_HIT_SECONDS * sr:
            continue
        hits.append((a + s, fade(seg, sr, 0.0005, min(0.01, 0.2 * len(seg) / sr))))
    if not hits:
        raise InputError(
            f"no drum hit of at least {1000 * MIN_HIT_SECONDS:.0f} ms found; give a sound with clear, "
            "separate hits"
        )
    if len(hits) > max_hits:  # keep the loudest
        hits = sorted(hits, key=lambda h: -np.max(np.abs(h[1])))[:max_hits]
        hits.sort(key=lambda h: h[0])
    return hits


def describe(hit: np.ndarray, sr: int, start: int = 0) -> HitFeatures:
    head = hit[: int(0.15 * sr)]
    n = max(len(head), 2048)
    spec = np.abs(np.fft.rfft(head * np.hanning(len(head)), n)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / sr)
    total = spec.sum() + 1e-20
    band = (freqs > 30) & (freqs < min(16000, 0.45 * sr))
    p = spec[band] + 1e-20
    env = np.abs(signal.hilbert(hit)) if len(hit) < 4 * sr else np.abs(hit)
    env = signal.sosfiltfilt(signal.butter(1, 50, fs=sr, output="sos"), env) if len(env) > 32 else env
    ipk = int(np.argmax(env))
    below = np.nonzero(env[ipk:] < env[ipk] * 10 ** (-30 / 20))[0]
    decay = (below[0] if len(below) else len(env) - ipk) / sr
    return HitFeatures(
        start_s=round(start / sr, 4),
        seconds=round(len(hit) / sr, 4),
        peak_db=round(float(20 * np.log10(np.max(np.abs(hit)) + 1e-20)), 2),
        low_ratio=round(float(spec[freqs < 150].sum() / total), 4),
        body_ratio=round(float(spec[(freqs >= 150) & (freqs < 1000)].sum() / total), 4),
        centroid_hz=round(float((freqs * spec).sum() / total), 1),
        noisiness=round(float(np.exp(np.mean(np.log(p))) / np.mean(p)), 4),
        decay_s=round(float(decay), 4),
    )


def classify(f: HitFeatures) -> str:
    """Kit piece a hit sounds most like: kick, snare, tom, closed_hat, open_hat or crash."""
    if f.low_ratio > 0.4 and f.centroid_hz < 600:
        return "kick"
    if f.centroid_hz > 4500 and f.body_ratio < 0.1:
        if f.decay_s > 0.6:
            return "crash"
        return "open_hat" if f.decay_s > 0.2 else "closed_hat"
    if f.noisiness < 0.02 and f.centroid_hz < 1500:
        return "tom"
    return "snare"


# ---- shaping ---------------------------------------------------------------------------------


def retune(x: np.ndarray, semitones: float) -> np.ndarray:
    """Drum-machine tuning: resample so the hit plays ``semitones`` higher (and shorter)."""
    if abs(semitones) < 1e-3:
        return x
    return resample(x, 2 ** (semitones / 12), 1.0)


def bandpass(x: np.ndarray, sr: int, lo: float | None, hi: float | None, order: int = 2) -> np.ndarray:
    nyq = 0.45 * sr
    if lo and hi and hi < nyq:
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=sr, output="sos")
    elif lo:
        sos = signal.butter(order, min(lo, nyq), btype="highpass", fs=sr, output="sos")
    elif hi and hi < nyq:
        sos = signal.butter(order, hi, btype="lowpass", fs=sr, output="sos")
    else:
        return x
    return signal.sosfilt(sos, x)


def extend(x: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    """Lengthen a short hit to ``seconds`` with Rubber Band time stretching (pitch kept)."""
    if len(x) >= seconds * sr:
        return x
    from pedalboard import time_stretch

    factor = max(len(x) / (seconds * sr), 0.05)
    return time_stretch(x.astype(np.float32)[None], float(sr), factor, 0.0)[0].astype(np.float64)


def shape(x: np.ndarray, sr: int, decay_s: float, *, flatten: bool = False) -> np.ndarray:
    """Impose an exponential decay reaching -60 dB at ``decay_s`` (optionally after removing the hit's
    own decay), trimmed there and faded."""
    y = np.array(x, dtype=np.float64)
    if flatten:
        env = np.abs(signal.hilbert(y))
        env = signal.sosfiltfilt(signal.butter(1, 20, fs=sr, output="sos"), env)
        y = y / np.maximum(env, env.max() * 1e-3)
    n = min(len(y), int(decay_s * sr))
    y = y[:n] * np.exp(-6.9 * np.arange(n) / max(1, decay_s * sr))
    return fade(y, sr, 0.0005, min(0.01, 0.2 * n / sr))


def taps(x: np.ndarray, sr: int, delays_s: tuple[float, ...]) -> np.ndarray:
    """Several copies of a hit a few ms apart (claps, tambourine shakes)."""
    n = len(x) + int(max(delays_s) * sr)
    y = np.zeros(n)
    for i, d in enumerate(delays_s):
        k = int(d * sr)
        y[k : k + len(x)] += x * (0.8**i)
    return y


def scrape(x: np.ndarray, sr: int, count: int, seconds: float) -> np.ndarray:
    """``count`` evenly spaced, slowly fading copies of a short hit over ``seconds`` (a guiro, a rattle)."""
    delays = tuple(i * seconds / max(count - 1, 1) for i in range(count))
    n = len(x) + int(seconds * sr) + 1
    y = np.zeros(n)
    for i, d in enumerate(delays):
        k = int(d * sr)
        y[k : k + len(x)] += x * (0.96**i)
    return y


def resonate(x: np.ndarray, sr: int, freqs: tuple[float, ...], t60: float) -> np.ndarray:
    """Ring a hit through two-pole resonators at ``freqs`` (60 dB decay in ``t60`` s, level 1/(i+1)):
    wood, bells and metal made from any hit. A strike at the hit's peak makes sure every mode sounds."""
    x = np.asarray(x, dtype=np.float64)
    pk = float(np.max(np.abs(x))) or 1.0
    exc = x / pk
    exc[int(np.argmax(np.abs(x)))] += 1.0
    n = len(x) + int(t60 * sr)
    exc = np.pad(exc, (0, n - len(exc)))
    y = np.zeros(n)
    r = 10 ** (-3.0 / (t60 * sr))
    for i, f in enumerate(freqs):
        if f >= 0.45 * sr:
            continue
        th = 2 * np.pi * f / sr
        b = [(1 - r) * np.sqrt(1 - 2 * r * np.cos(2 * th) + r * r)]
        y += signal.lfilter(b, [1.0, -2 * r * np.cos(th), r * r], exc) / (i + 1)
    ypk = float(np.max(np.abs(y))) or 1.0
    return 0.85 * y / ypk + 0.15 * exc


def glide(x: np.ndarray, sr: int, start: float, end: float, seconds: float) -> np.ndarray:
    """Play a hit at a playback rate sliding from ``start`` to ``end`` over ``seconds`` (a scratch, a cuica)."""
    n = int(seconds * sr)
    rate = np.geomspace(start, end, n)
    pos = np.cumsum(rate) - rate[0]
    pos = pos[pos < len(x) - 1]
    return np.interp(pos, np.arange(len(x)), x)


# Kit pieces: key name -> (source class, how to make it from a hit of that class, level dB).
# The first recipe of each class is used as-is when the sound has that class; the rest are derived.
def _recipes(sr: int):
    return {
        "kick": (
            "kick",
            lambda h, own: h if own else shape(retune(bandpass(h, sr, None, 250, 4), -12), sr, 0.4),
            0,
        ),
        "acoustic_bass_drum": (
            "kick",
            lambda h, own: shape(retune(bandpass(h, sr, None, 300), -3), sr, 0.5),
            0,
        ),
        "snare": ("snare", lambda h, own: h if own else shape(bandpass(h, sr, 150, 8000), sr, 0.25), 0),
        "electric_snare": (
            "snare",
            lambda h, own: shape(retune(bandpass(h, sr, 300, None), 1), sr, 0.18),
            -1,
        ),
        "side_stick": ("snare", lambda h, own: shape(bandpass(h, sr, 1000, 4000), sr, 0.06), -4),
        "hand_clap": (
            "snare",
            lambda h, own: shape(taps(bandpass(h, sr, 800, 3000), sr, (0, 0.011, 0.023)), sr, 0.2),
            -2,
        ),
        "closed_hat": (
            "closed_hat",
            lambda h, own: h if own else shape(bandpass(h, sr, 6000, None, 4), sr, 0.07),
            -3,
        ),
        "pedal_hat": ("closed_hat", lambda h, own: shape(bandpass(h, sr, 5000, None), sr, 0.05), -7),
        "open_hat": (
            "open_hat",
            lambda h, own: (
                h if own else shape(extend(bandpass(h, sr, 5000, None, 4), sr, 0.5), sr, 0.5, flatten=True)
            ),
            -4,
        ),
        "crash": (
            "crash",
            lambda h, own: (
                h if own else shape(extend(bandpass(h, sr, 3000, None), sr, 1.6), sr, 1.6, flatten=True)
            ),
            -3,
        ),
        "crash_2": (
            "crash",
            lambda h, own: shape(
                retune(extend(bandpass(h, sr, 3000, None), sr, 1.6), 2), sr, 1.4, flatten=True
            ),
            -3,
        ),
        "splash": (
            "crash",
            lambda h, own: shape(
                retune(extend(bandpass(h, sr, 4000, None), sr, 0.7), 4), sr, 0.6, flatten=True
            ),
            -5,
        ),
        "chinese_cymbal": (
            "crash",
            lambda h, own: shape(
                retune(extend(bandpass(h, sr, 1500, 9000), sr, 1.2), -3), sr, 1.0, flatten=True
            ),
            -5,
        ),
        "ride": (
            "crash",
            lambda h, own: shape(extend(bandpass(h, sr, 4000, None), sr, 1.2), sr, 1.2, flatten=True),
            -8,
        ),
        "ride_2": (
            "crash",
            lambda h, own: shape(
                retune(extend(bandpass(h, sr, 4000, None), sr, 1.2), 1.5), sr, 1.1, flatten=True
            ),
            -8,
        ),
        "ride_bell": ("snare", lambda h, own: shape(retune(bandpass(h, sr, 2000, 6000), 12), sr, 0.6), -8),
        "tambourine": (
            "closed_hat",
            lambda h, own: shape(taps(bandpass(h, sr, 4000, 12000), sr, (0, 0.03, 0.06)), sr, 0.3),
            -6,
        ),
        "cowbell": ("snare", lambda h, own: shape(bandpass(h, sr, 540, 1600, 4), sr, 0.3), -6),
        # GS / GM2 keys below and above the GM map (GM fonts play them too)
        "high_q": ("kick", lambda h, own: shape(retune(bandpass(h, sr, 800, 5000), 12), sr, 0.08), -6),
        "slap": (
            "snare",
            lambda h, own: shape(taps(bandpass(h, sr, 1500, 6000), sr, (0, 0.004)), sr, 0.06),
            -5,
        ),
        "scratch_push": (
            "snare",
            lambda h, own: shape(glide(bandpass(h, sr, 300, 3000), sr, 0.6, 1.6, 0.2), sr, 0.2),
            -6,
        ),
        "scratch_pull": (
            "snare",
            lambda h, own: shape(glide(bandpass(h, sr, 300, 3000), sr, 1.6, 0.6, 0.25), sr, 0.25),
            -6,
        ),
        "sticks": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 2000, 6000), sr, (2500, 6100), 0.06), sr, 0.06),
            -5,
        ),
        "square_click": ("closed_hat", lambda h, own: shape(bandpass(h, sr, 3000, None), sr, 0.02), -8),
        "metronome_click": ("closed_hat", lambda h, own: shape(resonate(h, sr, (1800,), 0.04), sr, 0.04), -8),
        "metronome_bell": (
            "closed_hat",
            lambda h, own: shape(resonate(h, sr, (2637, 7278), 0.6), sr, 0.5),
            -8,
        ),
        # GM keys 58 and 60-81: Latin percussion and effects
        "vibraslap": (
            "closed_hat",
            lambda h, own: shape(scrape(shape(bandpass(h, sr, 2000, 8000), sr, 0.03), sr, 18, 0.6), sr, 0.9),
            -8,
        ),
        "hi_bongo": ("tom", lambda h, own: shape(retune(bandpass(h, sr, 200, 5000), 10), sr, 0.25), -4),
        "low_bongo": ("tom", lambda h, own: shape(retune(bandpass(h, sr, 150, 5000), 5), sr, 0.3), -4),
        "mute_hi_conga": ("tom", lambda h, own: shape(retune(bandpass(h, sr, 150, 5000), 5), sr, 0.1), -3),
        "open_hi_conga": ("tom", lambda h, own: shape(retune(bandpass(h, sr, 120, 5000), 4), sr, 0.45), -3),
        "low_conga": ("tom", lambda h, own: shape(bandpass(h, sr, 80, 5000), sr, 0.5), -3),
        "high_timbale": (
            "snare",
            lambda h, own: shape(
                resonate(retune(bandpass(h, sr, 300, 8000), 6), sr, (880, 1950), 0.4), sr, 0.4
            ),
            -3,
        ),
        "low_timbale": (
            "snare",
            lambda h, own: shape(
                resonate(retune(bandpass(h, sr, 250, 8000), 2), sr, (660, 1460), 0.45), sr, 0.45
            ),
            -3,
        ),
        "high_agogo": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 500, 6000), sr, (988, 2580), 0.5), sr, 0.45),
            -6,
        ),
        "low_agogo": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 400, 6000), sr, (740, 1930), 0.5), sr, 0.45),
            -6,
        ),
        "cabasa": (
            "closed_hat",
            lambda h, own: shape(taps(bandpass(h, sr, 4000, 12000), sr, (0, 0.01, 0.02, 0.03)), sr, 0.12),
            -8,
        ),
        "maracas": ("closed_hat", lambda h, own: shape(bandpass(h, sr, 3000, 10000), sr, 0.07), -8),
        "short_whistle": (
            "closed_hat",
            lambda h, own: shape(
                resonate(extend(bandpass(h, sr, 1500, 4000), sr, 0.2), sr, (2300, 4600), 1.0),
                sr,
                0.18,
                flatten=True,
            ),
            -10,
        ),
        "long_whistle": (
            "closed_hat",
            lambda h, own: shape(
                resonate(extend(bandpass(h, sr, 1500, 4000), sr, 0.6), sr, (2300, 4600), 1.5),
                sr,
                0.55,
                flatten=True,
            ),
            -10,
        ),
        "short_guiro": (
            "closed_hat",
            lambda h, own: shape(
                scrape(shape(bandpass(h, sr, 1500, 8000), sr, 0.015), sr, 8, 0.12), sr, 0.16
            ),
            -8,
        ),
        "long_guiro": (
            "closed_hat",
            lambda h, own: shape(
                scrape(shape(bandpass(h, sr, 1500, 8000), sr, 0.015), sr, 20, 0.4), sr, 0.45
            ),
            -8,
        ),
        "claves": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 1500, 5000), sr, (2500,), 0.15), sr, 0.12),
            -5,
        ),
        "hi_wood_block": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 600, 5000), sr, (1200, 2900), 0.12), sr, 0.12),
            -5,
        ),
        "low_wood_block": (
            "snare",
            lambda h, own: shape(resonate(bandpass(h, sr, 400, 5000), sr, (800, 1930), 0.14), sr, 0.14),
            -5,
        ),
        "mute_cuica": (
            "tom",
            lambda h, own: shape(glide(retune(bandpass(h, sr, 200, 4000), 12), sr, 1.0, 1.5, 0.15), sr, 0.15),
            -6,
        ),
        "open_cuica": (
            "tom",
            lambda h, own: shape(
                glide(retune(extend(bandpass(h, sr, 200, 4000), sr, 0.4), 12), sr, 1.3, 0.8, 0.35), sr, 0.35
            ),
            -6,
        ),
        "mute_triangle": (
            "crash",
            lambda h, own: shape(
                resonate(bandpass(h, sr, 3000, None), sr, (4980, 7310, 9650), 0.2), sr, 0.15
            ),
            -8,
        ),
        "open_triangle": (
            "crash",
            lambda h, own: shape(resonate(bandpass(h, sr, 3000, None), sr, (4980, 7310, 9650), 2.0), sr, 1.5),
            -8,
        ),
        "shaker": (
            "closed_hat",
            lambda h, own: shape(taps(bandpass(h, sr, 3000, 12000), sr, (0, 0.06)), sr, 0.15),
            -8,
        ),
        "jingle_bell": (
            "closed_hat",
            lambda h, own: shape(
                taps(
                    resonate(bandpass(h, sr, 4000, None), sr, (5200, 6900, 8100), 0.25),
                    sr,
                    (0, 0.02, 0.045, 0.07),
                ),
                sr,
                0.4,
            ),
            -8,
        ),
        "belltree": (
            "crash",
            lambda h, own: shape(
                taps(
                    resonate(bandpass(h, sr, 3000, None), sr, (4200, 6100), 0.5),
                    sr,
                    (0, 0.05, 0.1, 0.15, 0.2, 0.25),
                ),
                sr,
                1.2,
            ),
            -9,
        ),
        "castanets": (
            "snare",
            lambda h, own: shape(taps(bandpass(h, sr, 1500, 6000), sr, (0, 0.012)), sr, 0.06),
            -5,
        ),
        "mute_surdo": ("kick", lambda h, own: shape(retune(h, 5), sr, 0.25), -2),
        "open_surdo": ("kick", lambda h, own: shape(extend(retune(h, 4), sr, 0.9), sr, 0.9), -2),
    }


TOM_LADDER = {
    "low_floor_tom": -5,
    "high_floor_tom": -3,
    "low_tom": 0,
    "low_mid_tom": 2,
    "hi_mid_tom": 4,
    "high_tom": 7,
}
# Where a class is missing, the classes to borrow a hit from (best first) by feature distance.
FALLBACK = {
    "kick": ("tom", "snare", "open_hat", "closed_hat", "crash"),
    "tom": ("kick", "snare", "crash", "open_hat", "closed_hat"),
    "snare": ("tom", "closed_hat", "open_hat", "kick", "crash"),
    "closed_hat": ("open_hat", "crash", "snare", "tom", "kick"),
    "open_hat": ("closed_hat", "crash", "snare", "tom", "kick"),
    "crash": ("open_hat", "closed_hat", "snare", "tom", "kick"),
}


def _representatives(hits, feats) -> dict[str, int]:
    """Loudest hit of each class present."""
    best: dict[str, int] = {}
    for i, f in enumerate(feats):
        c = classify(f)
        if c not in best or f.peak_db > feats[best[c]].peak_db:
            best[c] = i
    return best


def build_drums(x: np.ndarray, sr: int, *, name: str) -> Instrument:
    """Make a one-shot kit covering every key of :data:`KIT_KEYS` from the hits of ``x`` (cleaned mono)."""
    hits = slice_hits(x, sr)
    feats = [describe(h, sr, start) for start, h in hits]
    reps = _representatives(hits, feats)
    recipes = _recipes(sr)

    def source(cls: str) -> tuple[np.ndarray, bool, int]:
        if cls in reps:
            return hits[reps[cls]][1], True, reps[cls]
        for alt in FALLBACK[cls]:
            if alt in reps:
                return hits[reps[alt]][1], False, reps[alt]
        raise AssertionError("unreachable: at least one hit exists")  # pragma: no cover

    zones, mapping = [], {}
    pieces = list(recipes.items()) + [(k, ("tom", None, -2)) for k in TOM_LADDER]
    for piece, (cls, make, level_db) in pieces:
        key = KIT_KEYS[piece]
        hit, own, idx = source(cls)
        if piece in TOM_LADDER:
            base = (
                hit
                if own
                else shape(
                    retune(bandpass(hit, sr, 60, 1200), 7 if classify(feats[idx]) == "kick" else 0), sr, 0.45
                )
            )
            audio = (
                shape(retune(base, TOM_LADDER[piece]), sr, 0.6) if own else retune(base, TOM_LADDER[piece])
            )
            own_piece = own and piece == "low_tom"
        else:
            audio = make(hit, own)
            own_piece = own and audio is hit
        audio = normalize(np.asarray(audio, dtype=np.float64), -1.0 + level_db)
        s, e = trim_silence(audio, sr, -60.0)
        audio = audio[s:e] if e - s >= MIN_HIT_SECONDS * sr else audio
        seconds = len(audio) / sr
        group = CHOKE_GROUPS.get(piece, 0)
        zones.append(
            Zone(
                name=f"{name}_{key:03d}_{piece}",
                audio=audio,
                sample_rate=sr,
                root_key=key,
                lokey=key,
                hikey=key,
                loop_mode=ONE_SHOT,
                envelope=Envelope(attack=0.0005, release=float(np.clip(3 * seconds, 1.0, 8.0))),
                exclusive_group=group,
                pitch_tracking=False,
            )
        )
        mapping[piece] = {"key": key, "hit": idx, "from": classify(feats[idx]), "derived": not own_piece}
    zones.sort(key=lambda z: z.root_key)
    info = {
        "hits": [asdict(f) | {"class": classify(f)} for f in feats],
        "kit": mapping,
    }
    log.info(
        "drum kit from %d hits: %s", len(hits), ", ".join(f"{c}@{feats[i].start_s}s" for c, i in reps.items())
    )
    return Instrument(name=name, role="drums", zones=zones, sample_rate=sr, info=info)
