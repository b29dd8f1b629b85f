"""Motors and engines: fans, compressors, transformers, whirring motors, combustion engines and rolling wheels, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

The tagger that checks these models (YAMNet) hears 125 Hz - 7.5 kHz: a mains hum's 100/120 Hz line, a
fan's blade-pass tone or an engine's 6-40 Hz firing rate are below it, so what identifies each machine
is how those low rates shape the sound above them: the hum's even harmonics, the turbulence the blades
chop, each firing's broadband pulse rung through the exhaust pipe.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from scipy import signal

SPEED_OF_SOUND = 343.0  # m/s in air
EXHAUST_SOUND_SPEED = 500.0  # m/s in hot exhaust gas (~350-450 C)


def _has(ctx: Ctx, *stems: str) -> bool:
    """Does the play method or the name contain a word starting with one of ``stems``?"""
    d = ctx.desc
    if d is None:
        return False
    text = re.sub(r"[^a-z0-9 ]+", " ", f"{d.play_method} {d.name}".lower().replace("-", " "))
    return any(re.search(r"\b" + re.escape(s), text) for s in stems)


def _unit(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit RMS."""
    return x / (np.std(x) + 1e-12)


def _resonator(x: np.ndarray, fc: float, q: float, sr: int) -> np.ndarray:
    """A two-pole resonance at ``fc`` Hz of quality ``q`` (a shell mode, a cavity)."""
    b, a = signal.iirpeak(min(fc, 0.45 * sr), q, fs=sr)
    return signal.lfilter(b, a, x)


def _mains(ctx: Ctx) -> float:
    """The supply frequency: 50 Hz (Europe, Asia, Africa) or 60 Hz (the Americas)."""
    return 50.0 if ctx.rng.random() < 0.5 else 60.0


def _harmonic_stack(ctx: Ctx, f0: np.ndarray, amps: np.ndarray, wobble: float) -> np.ndarray:
    """Sum of harmonics ``k f0`` (k = 1..len(amps)) of the per-sample fundamental ``f0``; each harmonic's
    level wanders slowly and independently by ``wobble`` (a structure's modes moving with load and
    temperature; beating against reflections), so the stack never sounds like one steady oscillator."""
    t = np.arange(ctx.n) / ctx.sr
    ph = 2 * np.pi * np.cumsum(f0) / ctx.sr
    out = np.zeros(ctx.n)
    for k, a in enumerate(amps, start=1):
        if a <= 0 or k * float(np.max(f0)) > 0.45 * ctx.sr:
            continue
        lvl = _slow_curve(ctx, t, ctx.rng.uniform(0.5, 3.0), wobble)
        out += a * lvl * np.sin(k * ph + ctx.rng.uniform(0, 2 * np.pi))
    return out


# ----------------------------------------------------------------------------------------------
# Electrical hum: transformers, chokes, heating elements
# ----------------------------------------------------------------------------------------------
TRANSFORMER_HUM_HZ = (100.0, 120.0)  # magnetostriction: twice the 50/60 Hz mains


def _magnetostriction(ctx: Ctx, mains: float, saturation: float) -> np.ndarray:
    """The iron's strain under the flux ``B = sin(2 pi mains t)``: ~B^2, so at twice the mains frequency;
    ``saturation`` (0 linear .. 1 hard) flattens the flux into a square, and B^2 then dips sharply at each
    zero crossing: a pulse train at 100/120 Hz whose even harmonics of the mains stay strong up to kHz."""
    t = np.arange(ctx.n) / ctx.sr
    wander = 1 + 0.0005 * (_slow_curve(ctx, t, 0.2, 1.0) - 1)
    b = np.sin(2 * np.pi * mains * np.cumsum(wander) / ctx.sr)
    core = np.sign(b) * np.abs(b) ** (1.0 - 0.95 * saturation)
    mag = core**2
    return mag - mag.mean(), b


def _housing_knock(ctx: Ctx, rate_hz: float, f_lo: float) -> np.ndarray:
    """A motor's once-per-turn knock (rotor imbalance, a bearing's play) at ``rate_hz``, ringing the metal
    housing's modes from ``f_lo`` up (short: the housing is bolted down and damped)."""
    pulses = _pulse_train(ctx, np.full(ctx.n, rate_hz), 0.02) * ctx.rng.uniform(0.7, 1.0, ctx.n)
    freqs = np.asarray(MATERIALS["metal"].ratios) * f_lo
    ir = _modal_ir(ctx, freqs, np.full(freqs.size, 0.06), 1 / np.arange(1, freqs.size + 1), length=0.08)
    return signal.fftconvolve(pulses, ir)[: ctx.n]


def m_transformer_hum(ctx: Ctx) -> np.ndarray:
    """A transformer, choke or heating element humming on the mains. Magnetostriction strains the iron at
    the square of the flux, so the core sings at twice the mains frequency (100/120 Hz) and its even
    multiples (:func:`_magnetostriction`); a core run near saturation (as mains transformers are, to save
    iron) turns that into a buzz whose harmonics stay strong up to 3.5-5.5 kHz before the casing stops
    radiating them; a little of the mains fundamental leaks through; the appliance's motor (a fan, a pump,
    a turntable) knocks once a turn at the mains frequency less its 2-5 % slip, ringing the housing; the
    cooling air is a faint broadband floor (150 Hz - 4.3 kHz, ~14 dB under the hum), and the load makes
    the whole swell and fade a few per cent."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    mains = _mains(ctx)
    mag, b = _magnetostriction(ctx, mains, rng.uniform(0.9, 0.98))
    hum = _lowpass(mag, rng.uniform(3400, 5400) * (0.8 + 0.4 * p.brightness), sr) + 0.2 * _unit(b) * np.std(mag)
    knock = _housing_knock(ctx, mains * (1 - rng.uniform(0.02, 0.05)), rng.uniform(165, 230) * p.pitch ** 0.5)
    air = _bandpass(rng.standard_normal(ctx.n), 150, 4300, sr)
    out = _unit(hum) + 0.13 * _unit(knock) + rng.uniform(0.17, 0.22) * _unit(air)
    return out * _slow_curve(ctx, t, 0.5, 0.05)


# ----------------------------------------------------------------------------------------------
# Fans and blowers
# ----------------------------------------------------------------------------------------------
def _fan_air(ctx: Ctx, rev_hz: float, blades: int, tip_m_s: float | None = None) -> np.ndarray:
    """The air a rotor moves: broadband turbulence whose spectrum peaks near the vortex-shedding frequency
    of the blades' trailing edges (Strouhal ~0.2 x tip speed / blade thickness-ish length, a few hundred
    Hz for a desk fan, a kilohertz for a small cooling fan) and falls ~5 dB per octave above it, plus the
    blade-pass tone (blades x rev/s) and its harmonics, spread into narrow bands by the unsteady inflow."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    speed = _slow_curve(ctx, t, 0.7, 0.01)
    tip = tip_m_s or rng.uniform(10, 20)
    f_peak = np.clip(0.2 * tip / rng.uniform(0.004, 0.008), 200, 2500) * (0.8 + 0.4 * p.brightness)

    def env(f: np.ndarray, _t: np.ndarray) -> np.ndarray:
        ff = np.maximum(f, 1.0)
        mag = (ff / f_peak) / (1 + (ff / f_peak) ** 1.8)  # rises to the shedding peak, falls above it
        return np.repeat(mag[:, None], _t.size, axis=1)

    air = _unit(_shaped_noise(ctx, env))
    bpf = blades * rev_hz * speed
    tone = np.zeros(ctx.n)
    for h, a in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)):
        # each harmonic is the blade passes' narrow band: a tone whose phase wanders (unsteady inflow)
        ph = 2 * np.pi * h * np.cumsum(bpf) / sr
        ph += np.cumsum(rng.standard_normal(ctx.n)) * 0.02 * np.sqrt(h)
        tone += a * np.sin(ph)
    am = 1 + rng.uniform(0.05, 0.12) * np.sin(2 * np.pi * np.cumsum(bpf) / sr)
    return air * am + rng.uniform(0.25, 0.45) * _unit(tone)


FAN_REV_HZ = (12.0, 25.0)  # a desk or pedestal fan: 700-1500 rpm
FAN_BLADES = (3, 5)


def m_fan(ctx: Ctx) -> np.ndarray:
    """An electric fan (desk, pedestal, projector or cooling fan). The rotor turns at 12-25 rev/s with 3-5
    blades (a desk fan: blade-pass 40-125 Hz) or, for a small cooling fan in a projector, computer or
    oven (a name or play method saying so), 7-9 blades at 30-60 rev/s (200-540 Hz). The air is the
    broadband turbulence of :func:`_fan_air`, its peak following the tip speed; under it the induction
    motor's whine (the slot-pass rate, rotor slots x rev/s, a few hundred hertz) and its 100/120 Hz hum."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    small = _has(ctx, "project", "computer", "laptop", "oven", "microwave", "cooling", "console", "server")
    if small:
        rev, blades, radius = rng.uniform(30, 60), int(rng.integers(7, 10)), rng.uniform(0.03, 0.045)
    else:
        rev, blades, radius = rng.uniform(*FAN_REV_HZ), int(rng.integers(FAN_BLADES[0], FAN_BLADES[1] + 1)), \
            rng.uniform(0.12, 0.2)
    rev *= p.pitch ** 0.5
    tip = 2 * np.pi * radius * rev
    air = _fan_air(ctx, rev, blades, tip)
    slots = int(rng.integers(18, 30))
    whine_f = slots * rev * _slow_curve(ctx, t, 0.7, 0.01)
    whine = np.sin(2 * np.pi * np.cumsum(whine_f) / sr)
    mains = _mains(ctx)
    hum = np.sin(4 * np.pi * mains * t) + 0.5 * np.sin(8 * np.pi * mains * t) + 0.3 * np.sin(12 * np.pi * mains * t)
    return air + rng.uniform(0.05, 0.15) * _unit(whine) + rng.uniform(0.1, 0.25) * _unit(hum)


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "transformer_hum": (("transformer", "electrical hum", "mains hum", "ballast"), m_transformer_hum),
    "fan": (("electric fan", "desk fan", "ceiling fan", "cooling fan", "blades whirring"), m_fan),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "transformer_hum": ("Hum", "Mains hum", "Buzz", "Noise", "Air conditioning"),
    "fan": ("Mechanical fan", "Whir", "Air conditioning", "Hum"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    MATERIALS,
    Ctx,
    _bandpass,
    _lowpass,
    _modal_ir,
    _pulse_train,
    _shaped_noise,
    _slow_curve,
)
