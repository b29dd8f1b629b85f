"""Melodic instruments: roots every few semitones across a role's range, each pitch-shifted with
Rubber Band time stretching plus exact resampling, looped, in velocity layers.

Each root is shifted directly from the cleaned source by the exact (fractional) interval between
the measured root pitch and the root key, so the sample sits on its key to a fraction of a cent and
the player never stretches a key by more than ``step // 2`` semitones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..audio.resample import resample as audio_resample
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
# Velocity layers, softest first: the low-pass cutoff as a multiple of the root frequency, or None for
# the full spectrum. Soft notes are darker, as struck strings are; the layers are level-matched (RMS),
# so the players' velocity curves alone set the level and the response has no step at a boundary.
VELOCITY_LAYERS = (2.0, None)


def sample_segment(x: np.ndarray, sr: int, role: str) -> np.ndarray:
    """The part of a cleaned source that becomes every root sample of ``role`` (its root is measured on it)."""
    return x[: int(ROLE_SPECS[role].sample_seconds * sr)]


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
    stretches time by the pitch ratio and exact polyphase resampling moves the pitch.

    The resampling comes first when shifting up (the sound gets shorter, then is stretched back) and
    last when shifting down (stretched shorter, then resampled longer), so Rubber Band never reads or
    writes more than the sample's own length: the work is the same for a shift of 1 or 60 semitones
    (stretching first made a +78 semitone root 90x longer and 90x slower). Shifting up by resampling
    first loses nothing: what it removes would have been shifted above the Nyquist frequency anyway.
    Rubber Band's own pitch shifting is not used: its resampler's rational approximation made the
    cost swing 10x with the exact ratio; here soxr (:func:`server.audio.resample.resample`) takes the
    exact ratio at a cost that does not depend on it.
    """
    import pedalboard

    x = np.asarray(x, dtype=np.float64)
    if abs(semitones) < 1e-6:
        return np.array(x)
    ratio = 2.0 ** (semitones / 12.0)

    def resample(v: np.ndarray) -> np.ndarray:  # read ``ratio`` times faster: the pitch moves by ``ratio``
        return audio_resample(v, ratio, 1.0)

    def stretch(v: np.ndarray) -> np.ndarray:
        return pedalboard.time_stretch(
            v.astype(np.float32)[None, :],
            float(sr),
            1.0 / ratio,
            0.0,
            high_quality=True,
            preserve_formants=False,
        )[0].astype(np.float64)

    y = stretch(resample(x)) if ratio > 1 else resample(stretch(x))
    if len(y) >= len(x):
        return y[: len(x)]
    return np.pad(y, (0, len(x) - len(y)))


def _soften(x: np.ndarray, sr: int, cutoff: float | None) -> np.ndarray:
    """The soft layer's timbre: low-passed (2nd-order Butterworth) and level-matched to ``x`` by RMS over
    the first 0.5 s, so a layer boundary changes the colour, not the level (the player's velocity
    curve makes soft notes quieter)."""
    if cutoff is None or cutoff >= 0.45 * sr:
        return x
    sos = signal.butter(2, max(cutoff, 200.0), btype="lowpass", fs=sr, output="sos")
    y = signal.sosfilt(sos, x)
    head = slice(0, int(0.5 * sr))
    ry, rx = np.sqrt(np.mean(y[head] ** 2)), np.sqrt(np.mean(x[head] ** 2))
    return y * (rx / ry) if ry > 0 else y


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
    seg = sample_segment(x, sr, role)
    layers = velocity_split(len(VELOCITY_LAYERS))
    zones: list[Zone] = []
    loops = []
    for root, zlo, zhi in root_keys(lo, hi, step):
        shifted = shift_pitch(seg, sr, root - pitch.midi)
        versions = [
            _soften(shifted, sr, None if m is None else m * midi_to_hz(root)) for m in VELOCITY_LAYERS
        ]
        peak = max(float(np.max(np.abs(v))) for v in versions)
        for (lovel, hivel), layer in zip(layers, versions, strict=True):
            layer = layer * (0.89 / peak) if peak > 0 else layer  # one gain for all layers of a root
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
