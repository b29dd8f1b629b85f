"""Root pitch of a sound: pYIN with a confidence, refined to a fraction of a cent by harmonic peaks.

Pitched sounds: librosa's pYIN gives the fundamental and the probability each frame is voiced;
the median voiced f0 is then refined on a long zero-padded spectrum, fitting the peaks of its
first harmonics. Unpitched sounds (low voicing): the strongest spectral peak that stays put over
time becomes the root, and the estimate says so (``method="spectral_peak"``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..audio.resample import resample
from ..errors import ConfigError

log = logging.getLogger(__name__)

A4 = 440.0
PYIN_SR = 22050
FMIN, FMAX = 30.0, 2100.0
VOICED_MIN = 0.5  # fraction of analysed frames that must be voiced to call a sound pitched
PROB_MIN = 0.3  # and their mean voiced probability


def hz_to_midi(f: float) -> float:
    return 69.0 + 12.0 * np.log2(f / A4)


def midi_to_hz(m: float) -> float:
    return A4 * 2.0 ** ((m - 69.0) / 12.0)


NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAX_SPREAD_CENTS = 100.0  # interquartile range of pYIN's f0 above which a voiced sound has no stable pitch
PARTIAL_STABILITY_MIN = 0.6  # fraction of frames in which the strongest partial is within 10 dB of the top
PARTIAL_PROMINENCE_MIN_DB = 10.0  # its median level above the spectrum around it
PARTIAL_DRIFT_MAX_CENTS = 15.0  # interquartile range of its frequency over the frames
ATTACK_SKIP_S = 0.03


def note_name(m: float, cents: bool = True) -> str:
    """``61.23`` -> ``"C#4 +23.0 cents"`` (``cents=False``: the nearest note's name only)."""
    k = int(round(m))
    name = f"{NOTE_NAMES[k % 12]}{k // 12 - 1}"
    return f"{name} {100 * (m - k):+.1f} cents" if cents else name


def parse_note(text: str) -> float:
    """A note as a MIDI number: ``"A4"``, ``"C#3"``, ``"Eb2"`` (scientific pitch, C4 = 60), ``"60"``, ``"440Hz"``."""
    import re

    t = str(text).strip()
    m = re.fullmatch(r"([A-Ga-g])([#b]?)(-?\d)", t)
    if m:
        base = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}[m.group(1).lower()]
        k = 12 * (int(m.group(3)) + 1) + base + {"#": 1, "b": -1, "": 0}[m.group(2)]
        if 0 <= k <= 127:
            return float(k)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[Hh][Zz]", t)
    if m and 8.0 <= float(m.group(1)) <= 12600.0:
        return float(hz_to_midi(float(m.group(1))))
    if re.fullmatch(r"\d{1,3}", t) and 0 <= int(t) <= 127:
        return float(t)
    raise ConfigError(
        f"note {text!r} is not a note name (C4 = middle C, F#2, Bb3), a MIDI key 0-127 or a frequency "
        "such as 440Hz"
    )


FORCE_LO, FORCE_HI = 24, 96  # C1-C7: an imposed pitch must be measurable back (pYIN 30-2100 Hz)


def force_pitch_key(value: bool | str | float | None) -> bool | int:
    """Validate a ``force_pitch`` option: False/None (refuse unpitched sources), True (impose the
    default note), or a note name / MIDI key / frequency, returned as a MIDI key within C1-C7."""
    if value is None or isinstance(value, bool):
        return bool(value)
    k = int(round(float(value))) if isinstance(value, (int, float)) else int(round(parse_note(value)))
    if not FORCE_LO <= k <= FORCE_HI:
        raise ConfigError(
            f"--force-pitch {value!r} is key {k}; an imposed pitch must be between C1 and C7 "
            f"(MIDI {FORCE_LO}-{FORCE_HI}), where the build can measure it back"
        )
    return k


@dataclass(frozen=True)
class PitchEstimate:
    freq: float  # Hz
    confidence: float  # 0-1: mean voiced probability (pitched) or peak stability (partial)
    method: str  # "pyin", "stable_partial", "resonator" (pitch imposed) or "none" (no stable pitch)
    pitched: bool  # the source itself has a clear pitch (pYIN)
    spread_cents: float = 0.0  # interquartile range of the frame-wise pitch (pYIN f0 or partial frequency)
    voiced_fraction: float = 0.0
    analysed_seconds: float = 0.0
    imposed: bool = False  # the pitch was imposed on the sound (tuned resonator)
    target_midi: float | None = None  # the resonator's tuning when imposed
    summary: str = ""  # one line for the console: what the root is and how it was found

    @property
    def midi(self) -> float:
        return hz_to_midi(self.freq)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["midi"] = round(float(self.midi), 3)
        d["freq"] = round(self.freq, 4)
        d["confidence"] = round(self.confidence, 3)
        d["spread_cents"] = round(self.spread_cents, 1)
        d["voiced_fraction"] = round(self.voiced_fraction, 3)
        d["analysed_seconds"] = round(self.analysed_seconds, 3)
        return d


def _analysis_segment(x: np.ndarray, sr: int) -> np.ndarray:
    """The sound after its attack (skip 30 ms): all of it, so the root is measured on what is given."""
    start = min(int(ATTACK_SKIP_S * sr), len(x) // 4)
    return x[start:]


def _peak_near(freqs: np.ndarray, mag: np.ndarray, f: float, tol: float) -> tuple[float, float] | None:
    """Parabolic-interpolated peak within ``f*(1±tol)``: (frequency, magnitude)."""
    lo, hi = np.searchsorted(freqs, [f * (1 - tol), f * (1 + tol)])
    if hi - lo < 3:
        return None
    i = lo + int(np.argmax(mag[lo:hi]))
    if i <= 0 or i >= len(mag) - 1:
        return None
    a, b, c = np.log(mag[i - 1 : i + 2] + 1e-20)
    den = a - 2 * b + c
    p = 0.5 * (a - c) / den if den < 0 else 0.0
    return float(freqs[i] + p * (freqs[1] - freqs[0])), float(np.exp(b - 0.25 * (a - c) * p))


def _spectrum(x: np.ndarray, sr: int, pad: int = 8) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    nfft = 1 << int(np.ceil(np.log2(max(n, 16) * pad)))
    mag = np.abs(np.fft.rfft(x * np.hanning(n), nfft))
    return np.fft.rfftfreq(nfft, 1.0 / sr), mag


def refine_f0(x: np.ndarray, sr: int, f0: float, harmonics: int = 6) -> float:
    """Refine ``f0`` from the interpolated peaks of its first ``harmonics`` partials (weighted fit).

    Partials more than 40 dB under the strongest one are ignored; if none is found, ``f0`` is kept.
    """
    seg = x[: int(min(len(x), max(0.5 * sr, 40 * sr / f0)))]
    freqs, mag = _spectrum(seg, sr)
    found = []
    for k in range(1, harmonics + 1):
        if k * f0 > 0.45 * sr:
            break
        # pYIN's median runs up to a semitone or two flat of an inharmonic (bell-like) root on a 1 s
        # segment; the fundamental's window is wide enough (+-13 %) to find it, and can never reach
        # the second partial.
        pk = _peak_near(freqs, mag, k * f0, 0.12 / np.sqrt(k) + 0.01)
        if pk is not None:
            found.append((k, pk[0], pk[1]))
    if not found:
        return f0
    top = max(m for _, _, m in found)
    if found[0][0] == 1 and found[0][2] >= 0.1 * top:
        # A clear fundamental: its own peak. Fitting upper partials would bias stiff-string
        # (piano-like) sounds sharp, whose partials run above k * f0.
        return found[0][1]
    good = [(k, f, m) for k, f, m in found if m > top * 0.01]
    w = np.array([m for _, _, m in good])
    est = np.array([f / k for k, f, _ in good])
    return float(np.sum(w * est) / np.sum(w))


@dataclass(frozen=True)
class Partial:
    freq: float  # Hz, interpolated on the long spectrum
    stability: float  # fraction of sounding frames in which it is within 10 dB of the frame's strongest bin
    prominence_db: float  # its median level above the median spectrum around it (+-1/2 octave)
    drift_cents: float  # interquartile range of its frame-wise frequency

    @property
    def stable(self) -> bool:
        return (
            self.stability >= PARTIAL_STABILITY_MIN
            and self.prominence_db >= PARTIAL_PROMINENCE_MIN_DB
            and self.drift_cents <= PARTIAL_DRIFT_MAX_CENTS
        )


def strongest_partial(x: np.ndarray, sr: int) -> Partial:
    """The spectral peak with the largest median magnitude over time (25 Hz-5 kHz), and how steady it is."""
    n_fft = 8192 if sr > 30000 else 4096
    hop = n_fft // 4
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    spec = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = (freqs >= 25) & (freqs <= 5000)
    med = np.median(spec, axis=0) * band
    i = int(np.argmax(med))
    # judged on the frames that carry sound (within 30 dB of the loudest): the gaps between a
    # cricket's pulses or a tap's drips do not make its steady partial unstable
    energy = np.sum(spec[:, band] ** 2, axis=1)
    sounding = energy > 1e-3 * energy.max()
    loud = (spec[:, i] > 0.316 * spec[:, band].max(axis=1)) & sounding
    stability = float(loud.sum() / max(1, sounding.sum()))
    # prominence: the peak's median level over the median of the spectrum +-1/2 octave around it
    lo, hi = np.searchsorted(freqs, [freqs[i] / np.sqrt(2), freqs[i] * np.sqrt(2)])
    around = np.r_[med[max(lo, 1) : max(i - 3, 1)], med[i + 4 : hi]]
    floor = float(np.median(around)) if len(around) else 0.0
    prominence = float(20 * np.log10((med[i] + 1e-20) / (floor + 1e-20)))
    # drift: the frame-wise interpolated peak within +-50 cents (at least +-2.5 bins) of it
    df = freqs[1] - freqs[0]
    half = max(freqs[i] * (2 ** (50 / 1200) - 1), 2.5 * df)
    a, b = np.searchsorted(freqs, [freqs[i] - half, freqs[i] + half])
    a, b = max(a, 1), min(b, len(freqs) - 1)
    local = spec[:, a:b]
    j = a + np.argmax(local, axis=1)
    j = np.clip(j, 1, len(freqs) - 2)
    rows = np.arange(len(j))
    la, lb, lc = (np.log(spec[rows, j + d] + 1e-20) for d in (-1, 0, 1))
    den = la - 2 * lb + lc
    off = np.where(den < 0, 0.5 * (la - lc) / np.where(den < 0, den, -1.0), 0.0)
    fk = freqs[j] + np.clip(off, -0.5, 0.5) * df
    fk = fk[loud] if loud.sum() >= 3 else fk
    cents = 1200 * np.log2(np.maximum(fk, 1e-3) / freqs[i])
    drift = float(np.subtract(*np.percentile(cents, [75, 25]))) if len(cents) > 1 else 0.0
    f, _ = _peak_near(*_spectrum(x[: min(len(x), 2 * sr)], sr), freqs[i], 0.02) or (freqs[i], 0.0)
    return Partial(float(f), stability, prominence, drift)


def estimate_root(x: np.ndarray, sr: int) -> PitchEstimate:
    """Estimate the root of a mono sound (float array at ``sr``), measured on all of ``x`` after its attack.

    ``method`` says what was found: ``pyin`` (a clear, steady pitch), ``stable_partial`` (no clear
    pitch, but one partial stays put: that is the root) or ``none`` (no stable pitch: ``freq`` is the
    strongest partial, for reference only). Pass exactly the audio that becomes the samples.
    """
    import librosa

    seg = _analysis_segment(np.asarray(x, dtype=np.float64), sr)
    seconds = len(seg) / sr
    y = resample(seg, sr, PYIN_SR).astype(np.float32)
    if len(y) < 4096:
        y = np.pad(y, (0, 4096 - len(y)))
    # A short sound gets shorter frames and a finer hop: with two or eight 186 ms frames pYIN locked
    # onto a subharmonic of a 0.4 s bell (-38 semitones); 93 ms frames (still > 2 periods of 30 Hz)
    # every 12 ms found its root.
    frame, hop = (4096, 512) if len(y) >= 0.75 * PYIN_SR else (2048, 256)
    f0, voiced, prob = librosa.pyin(
        y, fmin=FMIN, fmax=FMAX, sr=PYIN_SR, frame_length=frame, hop_length=hop, center=False
    )
    # Judge voicing on the frames that carry sound (a decaying tone fades into the noise floor).
    rms = librosa.feature.rms(y=y, frame_length=frame, hop_length=hop, center=False)[0]
    n = min(len(rms), len(voiced))
    loud = rms[:n] > 0.05 * rms[:n].max()
    voiced_frac = float(np.mean(voiced[:n][loud])) if loud.any() else 0.0
    conf = float(np.mean(prob[:n][loud])) if loud.any() else 0.0
    good = loud & voiced[:n] & np.isfinite(f0[:n])
    spread = np.inf
    why = f"{100 * voiced_frac:.0f}% of its frames voiced, mean voicing probability {conf:.2f}"
    if voiced_frac >= VOICED_MIN and conf >= PROB_MIN and good.any():
        coarse = float(np.nanmedian(f0[:n][good]))
        cents = 1200 * np.log2(f0[:n][good] / coarse)
        spread = float(np.subtract(*np.percentile(cents, [75, 25]))) if good.sum() > 1 else 0.0
        if spread <= MAX_SPREAD_CENTS:
            est = PitchEstimate(refine_f0(seg, sr, coarse), conf, "pyin", True, spread, voiced_frac, seconds)
            est = replace(
                est, summary=f"root {est.freq:.2f} Hz ({note_name(est.midi)}), pYIN confidence {conf:.2f}"
            )
            log.info("root pitch %.2f Hz (MIDI %.2f), pYIN confidence %.2f", est.freq, est.midi, conf)
            return est
        why = f"its pitch wanders over {spread:.0f} cents (interquartile range)"
    p = strongest_partial(seg, sr)
    if p.stable:
        est = PitchEstimate(p.freq, p.stability, "stable_partial", False, p.drift_cents, voiced_frac, seconds)
        summary = (
            f"no clear pitch ({why}); root is its strongest stable partial, {p.freq:.2f} Hz "
            f"({note_name(est.midi)}, {p.prominence_db:.0f} dB above its surroundings)"
        )
        log.info("%s", summary)
        return replace(est, summary=summary)
    summary = (
        f"no stable pitch ({why}; its strongest partial, {p.freq:.0f} Hz, drifts over {p.drift_cents:.0f} cents "
        f"and stands {p.prominence_db:.0f} dB above its surroundings)"
    )
    log.info("%s", summary)
    return PitchEstimate(
        p.freq, p.stability, "none", False, min(spread, p.drift_cents), voiced_frac, seconds, summary=summary
    )


def resonator_target(est: PitchEstimate, lokey: int, hikey: int) -> int:
    """Default key for an imposed pitch: the note nearest the sound's strongest partial, moved by octaves
    into the two octaves around the middle of ``lokey..hikey`` (keeps the sound's colour, bounds the shifts)
    and within C1-C7."""
    centre = (lokey + hikey) // 2
    k = int(round(est.midi)) if np.isfinite(est.midi) else centre
    while k < centre - 12:
        k += 12
    while k >= centre + 12:
        k -= 12
    while k > FORCE_HI:  # and where the imposed root can be measured back
        k -= 12
    while k < FORCE_LO:
        k += 12
    return k


def impose_pitch(x: np.ndarray, sr: int, midi: float, *, dry: float = 0.1) -> np.ndarray:
    """Ring ``x`` through a bank of tuned two-pole resonators at the harmonics of ``midi``.

    Each resonator's poles sit exactly at its harmonic (its free ringing is at that frequency), with a
    60 dB decay of 3 s at the fundamental, shorter for higher harmonics, and a level of 1/k. The bank
    is excited by the sound and by a strike at its start (so a sound with no energy near the
    fundamental still sounds the note), the two rung parts mixed at equal level with ``dry`` of the
    original, then peak-normalised to -1 dBFS: noise becomes a tone of that pitch that keeps the
    noise's grain (a sympathetic string, a tuned pipe).
    """
    from scipy import signal

    from .prep import normalize

    f0 = midi_to_hz(midi)
    x = np.asarray(x, dtype=np.float64)
    strike = np.zeros_like(x)
    strike[0] = 1.0
    rung, struck = np.zeros_like(x), np.zeros_like(x)
    k = 1
    while k * f0 < min(0.4 * sr, 8000.0) and k <= 16:
        theta = 2 * np.pi * k * f0 / sr
        r = 10 ** (-3.0 / (3.0 / np.sqrt(k) * sr))
        a = [1.0, -2 * r * np.cos(theta), r * r]
        b = [(1 - r) * np.sqrt(1 - 2 * r * np.cos(2 * theta) + r * r)]  # unit gain at the resonance
        rung += signal.lfilter(b, a, x) / k
        struck += signal.lfilter(b, a, strike) / k
        k += 1

    def unit(v: np.ndarray) -> np.ndarray:
        rms = float(np.sqrt(np.mean(v**2)))
        return v / rms if rms > 0 else v

    return normalize(unit(rung) + unit(struck) + dry * unit(x))
