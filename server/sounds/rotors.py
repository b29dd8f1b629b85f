"""Spinning machinery: fans, a projector's cooling fan, a tape or disc transport, a potter's wheel, a
compressor, each from its physics (blade-pass tones and broadband turbulence, the motor's electrical and
mechanical orders, bearings, the load on the drive).

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

What an engine has and these machines have not: firing pulses. A fan's air is chopped by its blades, but
the chopping only modulates a steady broadband rush, and a rush with a low tone in it is what a car's
cabin sounds like too; what tells a listener that the thing is a small machine close by is its mechanism:
the gear train that swings an oscillating fan's head (or a projector's mechanism off the fan motor) ticks
a few times a second, tooth by tooth, high and quiet over the air.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy import signal


def gear_mesh_hz(shaft_rev_s: float, pinion_teeth: int, wheel_teeth: int, worm_starts: int = 1) -> float:
    """Tooth meshes a second in the second stage of a worm reduction: the motor shaft's worm (``worm_starts``
    threads) turns a ``wheel_teeth`` worm wheel, whose ``pinion_teeth`` pinion meshes with the next gear:
    ``shaft_rev_s x worm_starts / wheel_teeth x pinion_teeth``."""
    if not shaft_rev_s > 0 or min(pinion_teeth, wheel_teeth, worm_starts) < 1:
        raise ValueError(f"a gear train needs a positive shaft speed and at least one tooth and thread, not "
                         f"{shaft_rev_s} rev/s, {pinion_teeth}/{wheel_teeth} teeth, {worm_starts} starts")
    return shaft_rev_s * worm_starts / wheel_teeth * pinion_teeth


def _tooth_ticks(ctx: Ctx, rate: np.ndarray, lo: float = 3000.0, hi: float = 7500.0) -> np.ndarray:
    """A gear train's tooth impacts at ``rate`` per second (per sample): each tooth taking up the backlash is
    a hard contact, a 1 ms broadband click, that rings the small steel gear and its bracket (6 modes in
    ``lo``-``hi`` Hz, 10-30 ms); no two teeth strike alike (the spacing and the load wander)."""
    pulses = _pulse_train(ctx, rate, 0.05) * ctx.rng.uniform(0.5, 1.0, ctx.n)
    freqs = np.exp(ctx.rng.uniform(np.log(lo), np.log(hi), 6))
    ir = _modal_ir(ctx, freqs, ctx.rng.uniform(0.01, 0.03, 6), ctx.rng.uniform(0.3, 1.0, 6))
    m = min(int(1e-3 * ctx.sr), len(ir))  # the contact itself: 1 ms of broadband noise
    ir[:m] += np.abs(ir).max() * ctx.rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 3))
    return signal.oaconvolve(pulses, ir)[: ctx.n]


def m_desk_fan(ctx: Ctx) -> np.ndarray:
    """A fan whose motor also drives a gear train, heard close: an oscillating desk or pedestal fan (or a
    slide or film projector, whose one motor turns the cooling fan and, through a worm, the mechanism).
    The shaded-pole motor turns the rotor at 13-25 rev/s (800-1500 rpm) and hums at twice the mains
    frequency; each of the 3-5 blades chops the airflow as it passes the motor's struts, so the broadband
    turbulence (corner 350-900 Hz, falling above) is amplitude-modulated at the blade-pass frequency
    (blades x rev/s, 40-125 Hz) and radiates a tone there. A single-start worm on the motor shaft turns a
    25-40 tooth worm wheel whose 8-12 tooth pinion meshes with the crank gear (:func:`gear_mesh_hz`: 3-12
    tooth meshes a second, so the crank turns once in 6-17 s, the fan's sweep), each mesh a tick
    (:func:`_tooth_ticks`, 10-13 dB under the air); as the head sweeps, the air on the listener swells and
    fades by 15 %."""
    rng = ctx.rng
    t = np.arange(ctx.n) / ctx.sr
    air, tone, motor, rev = _fan_parts(ctx, (3, 6))
    mesh = gear_mesh_hz(1.0, int(rng.integers(8, 13)), int(rng.integers(25, 41)))
    ticks = _tooth_ticks(ctx, rev * mesh)
    sweep = 1 + 0.15 * np.sin(2 * np.pi * t / rng.uniform(6, 17) + rng.uniform(0, 2 * np.pi))
    whoosh = air * rng.uniform(1.0, 1.4) + 0.15 * _unit(tone) + rng.uniform(0.2, 0.5) * _unit(motor)
    return whoosh * sweep + 0.35 * _unit(ticks)


def m_compressor_hum(ctx: Ctx) -> np.ndarray:
    """A refrigeration compressor running (a vending machine's, a fridge's, a chiller's): the hermetic
    motor-compressor hums on the mains (:func:`server.sounds.synth.m_hum`: magnetostriction at twice the
    mains frequency, the piston's once-per-turn knock through the shell); the refrigerant forced through the
    capillary tube into the evaporator hisses, broadband in 2-6 kHz, ~10-14 dB under the hum, and gurgles:
    its level wanders by a third a few times a second as liquid and vapour slugs pass."""
    rng, sr = ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    hum = _unit(m_hum(replace(ctx, desc=None)))  # no description: the mains hum, not a fan or a whir
    hiss = _unit(_bandpass(rng.standard_normal(ctx.n), 2000, 6000, sr)) * _slow_curve(ctx, t, 3.0, 0.33)
    return hum + rng.uniform(0.2, 0.3) * hiss


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "desk_fan": (("desk fan", "electric fan", "pedestal fan", "oscillating fan"), m_desk_fan),
    "compressor_hum": (("compressor", "refrigerat", "chiller"), m_compressor_hum),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "desk_fan": ("Mechanical fan", "Whir", "Hum", "Mechanisms", "Gears"),
    "compressor_hum": ("Hum", "Mains hum", "Hiss", "Mechanisms"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    Ctx,
    _bandpass,
    _fan_parts,
    _modal_ir,
    _pulse_train,
    _slow_curve,
    _unit,
    m_hum,
)
