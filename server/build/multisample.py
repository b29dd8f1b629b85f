"""Melodic instruments: roots every few semitones across a role's range, each pitch-shifted with
Rubber Band time stretching plus exact resampling, looped, in velocity layers.

Each root is shifted directly from the cleaned source by the exact (fractional) interval between
the measured root pitch and the root key, so the sample sits on its key to a fraction of a cent and
the player never stretches a key by more than ``step // 2`` semitones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal

from ..errors import ConfigError
from .loop import make_sustain
from .model import LOOP_CONTINUOUS, Envelope, Instrument, Zone
from .pitch import PitchEstimate, midi_to_hz

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleSpec:
    lokey: int
    hikey: int
    envelope: Envelope
    sample_seconds: float  # length of each root sample before its loop tail


# Playable ranges (MIDI keys) and envelopes per melodic role: one table drives build and docs.
ROLE_SPECS = {
    "bass": RoleSpec(28, 55, Envelope(attack=0.003, decay=2.5, sustain=0.5, release=0.15), 1.2),  # E1-G3
    "guitar": RoleSpec(40, 88, Envelope(attack=0.002, decay=3.0, sustain=0.3, release=0.3), 1.0),  # E2-E6
    "keyboard": RoleSpec(21, 108, Envelope(attack=0.002, decay=6.0, sustain=0.4, release=0.5), 1.0),  # A0-C8
}
# Velocity layers, softest first: (level in dB, low-pass cutoff as a multiple of the root frequency
# or None for the full spectrum). Soft notes are quieter and darker, as struck strings are.
VELOCITY_LAYERS = ((-10.0, 2.0), (0.0, None))


def root_keys(lokey: int, hikey: int, step: int) -> list[tuple[int, int, int]]:
    """(root, lokey, hikey) zones covering ``lokey..hikey`` with a root every ``step`` semitones."""
    if step < 1 or step > 12:
        raise ConfigError(f"root step must be 1-12 semitones, got {step}")
    zones = []
    k = lokey
    while k <= hikey:
        lo, hi = k, min(k + step - 1, hikey)
        zones.append(((lo + hi) // 2, lo, hi))
        k = hi + 1
    return zones


def velocity_split(n: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, 127, n + 1).round().astype(int)
    return [(int(edges[i]) + 1, int(edges[i + 1])) for i in range(n)]


def shift_pitch(x: np.ndarray, sr: int, semitones: float) -> np.ndarray:
    """Shift ``x`` by ``semitones`` keeping its duration: Rubber Band (R3, pedalboard ``time_stretch``)
    stretches the time by the pitch ratio, then exact polyphase resampling brings the length back
    and moves the pitch.

    Done this way because Rubber Band's own pitch shifting resamples with a rational approximation
    whose cost swings 10x with the exact ratio; here the ratio is approximated to 1/2000 (< 0.01 cent
    of pitch error), and the cost is that of the stretch alone.
    """
    from pedalboard import time_stretch

    if abs(semitones) < 1e-6:
        return np.array(x, dtype=np.float64)
    ratio = 2.0 ** (semitones / 12.0)
    y = time_stretch(
        x.astype(np.float32)[None, :], float(sr), 1.0 / ratio, 0.0, high_quality=True, preserve_formants=False
    )[0]
    frac = Fraction(1.0 / ratio).limit_denominator(2000)
    return signal.resample_poly(
        y.astype(np.float64), frac.numerator, frac.denominator, window=("kaiser", 8.6)
    )


def _soften(x: np.ndarray, sr: int, level_db: float, cutoff: float | None) -> np.ndarray:
    y = x
    if cutoff is not None and cutoff < 0.45 * sr:
        sos = signal.butter(2, max(cutoff, 200.0), btype="lowpass", fs=sr, output="sos")
        y = signal.sosfilt(sos, y)
    return y * 10 ** (level_db / 20)


def build_melodic(
    x: np.ndarray,
    sr: int,
    role: str,
    pitch: PitchEstimate,
    *,
    name: str,
    step: int = 3,
    key_range: tuple[int, int] | None = None,
    progress=None,
) -> Instrument:
    """Make the zones of a melodic instrument from a cleaned mono sound ``x`` whose root is ``pitch``."""
    if role not in ROLE_SPECS:
        raise ConfigError(f"role {role!r} is not melodic; melodic roles are {', '.join(ROLE_SPECS)}")
    spec = ROLE_SPECS[role]
    lo, hi = key_range or (spec.lokey, spec.hikey)
    if not 0 <= lo <= hi <= 127:
        raise ConfigError(f"key range {lo}-{hi} is not within 0-127")
    seg = x[: int(spec.sample_seconds * sr)]
    layers = velocity_split(len(VELOCITY_LAYERS))
    zones: list[Zone] = []
    loops = []
    for root, zlo, zhi in root_keys(lo, hi, step):
        shifted = shift_pitch(seg, sr, root - pitch.midi)
        peak = np.max(np.abs(shifted))
        if peak > 0:
            shifted = shifted * (0.89 / peak)
        for (lovel, hivel), (level_db, mult) in zip(layers, VELOCITY_LAYERS, strict=True):
            layer = _soften(shifted, sr, level_db, None if mult is None else mult * midi_to_hz(root))
            audio, loop = make_sustain(layer, sr, midi_to_hz(root))
            loops.append(loop.correlation)
            zones.append(
                Zone(
                    name=f"{name}_{root:03d}_v{hivel:03d}",
                    audio=audio,
                    sample_rate=sr,
                    root_key=root,
                    lokey=zlo,
                    hikey=zhi,
                    lovel=lovel,
                    hivel=hivel,
                    loop_mode=LOOP_CONTINUOUS,
                    loop_start=loop.start,
                    loop_end=loop.end,
                    envelope=spec.envelope,
                )
            )
        if progress is not None:
            progress.update(1)
    info = {
        "pitch": pitch.as_dict(),
        "roots": [r for r, _, _ in root_keys(lo, hi, step)],
        "velocity_layers": layers,
        "loop_correlation_min": round(float(min(loops)), 3),
    }
    return Instrument(name=name, role=role, zones=zones, sample_rate=sr, info=info)
