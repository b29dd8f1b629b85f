"""Machines, tools, appliances and vehicles, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples.

The models share a few building blocks: motors are oscillators whose instantaneous frequency follows
the rotation rate (read from a single-cycle wavetable, so a whine of many harmonics costs one lookup),
air and water are filtered noise whose level follows the flow, impacts are modal ringing placed at
event times (:func:`server.sounds.synth._strike_ir`). Everything is vectorised; a 5 s source takes a few
tens of milliseconds. :data:`AUDIOSET` lists, per model, the AudioSet classes it is meant to be heard as.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy import signal

from ..audio.resample import resample

# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------
_TABLE_N = 2048


def _mix(*xs: np.ndarray) -> np.ndarray:
    """Sum of arrays of different lengths (zero-padded to the longest)."""
    out = np.zeros(max(x.size for x in xs))
    for x in xs:
        out[: x.size] += x
    return out


def _table(amps: tuple[float, ...] | np.ndarray, phases: np.ndarray | None = None) -> np.ndarray:
    """One cycle (``_TABLE_N`` points, plus a wrap point) of a sum of harmonics ``amps[k-1] sin(k x)``."""
    x = np.arange(_TABLE_N + 1) * (2 * np.pi / _TABLE_N)
    ph = np.zeros(len(amps)) if phases is None else phases
    return sum(a * np.sin((k + 1) * x + p) for k, (a, p) in enumerate(zip(amps, ph, strict=True)))


def _phase(ctx: Ctx, freq: np.ndarray | float, phase0: float = 0.0) -> np.ndarray:
    """Running phase in cycles of an oscillator whose frequency (Hz) follows ``freq``."""
    f = np.broadcast_to(np.asarray(freq, float), (ctx.n,))
    return phase0 + np.cumsum(f) / ctx.sr


def _osc(ctx: Ctx, freq: np.ndarray | float, amps: tuple[float, ...] | np.ndarray, phase0: float = 0.0,
         fmax: float | None = None) -> np.ndarray:
    """A harmonic oscillator following ``freq`` (Hz per sample): ``amps`` are the harmonics' amplitudes,
    cut above ``fmax`` (default 0.45 sr) at the highest frequency ``freq`` reaches, so it never aliases."""
    top = float(np.max(freq))
    lim = (fmax or 0.45 * ctx.sr) / max(top, 1e-3)
    amps = np.asarray(amps, float)[: max(int(lim), 1)]
    tab = _table(amps, ctx.rng.uniform(0, 2 * np.pi, amps.size))
    pos = (_phase(ctx, freq, phase0) % 1.0) * _TABLE_N
    i = pos.astype(int)
    frac = pos - i
    return tab[i] * (1 - frac) + tab[i + 1] * frac


def _swell(sr: int, rise_s: float, fall_s: float, length_s: float) -> np.ndarray:
    """A surge's envelope, ``length_s`` long: (1 - exp(-t / rise_s)) exp(-t / fall_s), the rise and the fall
    time constants in s (a splash, a glug, a slosh, a steam exhaust's puff)."""
    k = np.arange(int(length_s * sr)) / sr
    return (1 - np.exp(-k / rise_s)) * np.exp(-k / fall_s)


def _segments_env(ctx: Ctx, segs: list[tuple[float, float]], attack: float, release: float,
                  gains: list[float] | None = None) -> np.ndarray:
    """Envelope that is on during each ``(start, duration)`` with raised-cosine attack and release."""
    env = np.zeros(ctx.n)
    for j, (t0, dur) in enumerate(segs):
        i0, i1 = int(t0 * ctx.sr), int((t0 + dur) * ctx.sr)
        a, r = max(int(attack * ctx.sr), 1), max(int(release * ctx.sr), 1)
        i0 = max(i0, 0)
        if i0 >= ctx.n:
            continue
        seg = np.ones(max(i1 - i0, 1) + r)
        seg[:a] = 0.5 - 0.5 * np.cos(np.pi * np.arange(min(a, seg.size)) / a)
        seg[-r:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(r) / r)
        m = min(seg.size, ctx.n - i0)
        g = 1.0 if gains is None else gains[j]
        env[i0:i0 + m] = np.maximum(env[i0:i0 + m], g * seg[:m])
    return env



def _bouts(ctx: Ctx, start: tuple[float, float], length: tuple[float, float], gap: tuple[float, float],
           margin: float) -> list[tuple[float, float]]:
    """``(start, duration)`` of a machine's bouts of work (a trigger pulled, a cut, a pulse) over the clip: the
    first after ``start`` s, each ``length`` s long, ``gap`` s apart (uniform ranges), none starting in the
    last ``margin`` s."""
    segs, s = [], ctx.rng.uniform(*start)
    while s < ctx.seconds - margin:
        d = ctx.rng.uniform(*length)
        segs.append((s, d))
        s += d + ctx.rng.uniform(*gap)
    return segs

def _bubbles(ctx: Ctx, rate: float, r_lo: float, r_hi: float, env: np.ndarray | None = None,
             bins: int = 24) -> np.ndarray:
    """Many Minnaert bubbles: Poisson onsets at ``rate`` per second (thinned by ``env``, 0..1 per sample), radii
    log-uniform in [r_lo, r_hi] m. A bubble rings at f0 = 3 / r and dies at d = 0.13 / r + 0.0072 r^-1.5 per
    second (van den Doel 2005; its slight upward glide is left out): the impulse response of a two-pole
    resonator, so the bubbles are grouped in ``bins`` radius bands, each band one impulse train through its
    resonator (thousands of bubbles cost a few recursive filters)."""
    count = ctx.rng.poisson(max(rate, 0.0) * ctx.seconds)
    if count == 0:
        return np.zeros(ctx.n)
    times = ctx.rng.uniform(0, ctx.seconds, count)
    if env is not None:
        keep = ctx.rng.random(count) < env[np.minimum((times * ctx.sr).astype(int), ctx.n - 1)]
        times = times[keep]
    radii = np.exp(ctx.rng.uniform(np.log(r_lo), np.log(r_hi), times.size))
    edges = np.exp(np.linspace(np.log(r_lo), np.log(r_hi), bins + 1))
    which = np.clip(np.searchsorted(edges, radii) - 1, 0, bins - 1)
    # computed at a lower rate when the smallest bubble's pitch allows, then resampled
    q = int(np.clip(0.4 * ctx.sr / (3.0 / r_lo), 1, 4))
    sr_low = ctx.sr / q
    n_low = -(-ctx.n // q)
    out = np.zeros(n_low)
    for b in range(bins):
        sel = which == b
        if not sel.any():
            continue
        r = float(np.sqrt(edges[b] * edges[b + 1]))
        f0, d = 3.0 / r, 0.13 / r + 0.0072 * r**-1.5
        if f0 >= 0.45 * sr_low:
            continue
        amps = ctx.rng.uniform(0.2, 1.0, sel.sum()) * (radii[sel] / r_hi) ** 0.5
        train = np.zeros(n_low)
        np.add.at(train, np.minimum((times[sel] * sr_low).astype(int), n_low - 1), amps)
        pole, w = np.exp(-d / sr_low), 2 * np.pi * f0 / sr_low
        out += signal.lfilter([0.0, pole * np.sin(w)], [1.0, -2 * pole * np.cos(w), pole * pole], train)
    if q > 1:
        out = resample(out, 1, q)
    return out[: ctx.n]


def _frac_delay(x: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """``x`` read ``delay`` samples late (per sample, fractional, linear interpolation)."""
    idx = np.arange(x.size) - delay
    return np.interp(idx, np.arange(x.size), x, left=0.0, right=0.0)


def _doppler(ctx: Ctx, t_closest: float, speed: float, dist: float) -> tuple[np.ndarray, np.ndarray]:
    """A source passing at ``speed`` m/s, closest (``dist`` m) at ``t_closest``: per sample, the
    frequency factor c / (c - v_radial) and the 1/r level (1 at the closest point)."""
    c = 343.0
    t = np.arange(ctx.n) / ctx.sr
    x = speed * (t - t_closest)
    r = np.sqrt(x**2 + dist**2)
    v_rad = -speed * x / r  # towards the listener is positive
    return c / (c - v_rad), dist / r


def _room(ctx: Ctx, x: np.ndarray, rt60: float = 0.5, wet: float = 0.5, floor_db: float = -45.0) -> np.ndarray:
    """``x`` heard in a room: its diffuse reverberation (exponentially decaying noise of ``rt60`` s after a 3 ms
    gap, darker above 6 kHz) mixed at ``wet`` of the dry level, over a quiet room floor ``floor_db`` under the
    peak (short impacts in digital silence are not what a microphone hears)."""
    m = int(1.2 * rt60 * ctx.sr)
    k = np.arange(m) / ctx.sr
    ir = _lowpass(ctx.rng.standard_normal(m) * np.exp(-6.91 * k / rt60), 6000, ctx.sr)
    ir[: int(0.003 * ctx.sr)] = 0.0
    tail = signal.oaconvolve(x, ir)[: ctx.n]
    y = x + wet * tail * np.std(x) / (np.std(tail) + 1e-12)
    floor = _lowpass(ctx.rng.standard_normal(ctx.n), 1500, ctx.sr)
    return y + 10 ** (floor_db / 20) * np.abs(y).max() * _unit(floor)


# ----------------------------------------------------------------------------------------------
# Appliances
# ----------------------------------------------------------------------------------------------
def vacuum_rates(ctx: Ctx) -> tuple[float, int]:
    """Rotation rate (Hz) of a vacuum cleaner's motor and the number of its impeller's blades."""
    return ctx.rng.uniform(450, 600) * ctx.p.pitch ** 0.5, int(ctx.rng.integers(7, 11))


def m_vacuum(ctx: Ctx) -> np.ndarray:
    """Vacuum cleaner: a universal motor at 27-36 000 rpm (rotation 450-600 Hz) hums with its harmonics
    (falling as 1/k^1.5), and its centrifugal impeller of 7-10 blades sings at the blade-pass rate (rotation x
    blades: 3-6 kHz), the high whine that marks a vacuum cleaner; the air rushing through the hose and the
    impeller is broadband turbulence (0.5-6 kHz, rolling off above). Each stroke of the nozzle over the floor
    (~1.5 s) throttles the airflow: the motor unloads and speeds up (up to +15 %) while the rush of air
    drops."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    f_rot, blades = vacuum_rates(ctx)
    stroke = rng.uniform(1.2, 1.8)
    block = np.clip(0.5 + 0.5 * np.sin(2 * np.pi * t / stroke + rng.uniform(0, 6)), 0, 1) ** 2  # nozzle load
    rpm = f_rot * (1 + 0.15 * block) * _slow_curve(ctx, t, 1.0, 0.01)
    motor = _osc(ctx, rpm, [1 / k ** 1.5 for k in range(1, 16)])
    whine = _osc(ctx, rpm * blades, (1.0, 0.3))
    air = _bandpass(rng.standard_normal(ctx.n), 500, 6000 * (0.8 + 0.4 * p.brightness), sr) * (1 - 0.3 * block)
    return _unit(air) + 0.45 * _unit(motor) + 0.5 * _unit(whine)


def hair_dryer_rates(ctx: Ctx) -> tuple[float, int]:
    """Rotation rate (Hz) of a hair dryer's fan motor and the number of the fan's blades."""
    return ctx.rng.uniform(200, 330) * ctx.p.pitch ** 0.5, int(ctx.rng.integers(5, 8))


def m_hair_dryer(ctx: Ctx) -> np.ndarray:
    """Hair dryer: a small DC motor at 12-20 000 rpm (rotation 200-330 Hz) spins a 5-7 blade fan, so the air
    carries a blade-pass tone at 1-2.3 kHz (with its harmonics) over the broadband noise of the turbulent jet
    (0.6-5 kHz; the nozzle and the grille cut what is above); the motor runs on mains rectified by a diode
    bridge, so its torque, and its faint hum, ripple at 100 Hz. The heater coil adds nothing audible. Held and
    moved about the head, the jet's level wavers slowly."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    f_rot, blades = hair_dryer_rates(ctx)
    rot = f_rot * _slow_curve(ctx, t, 0.5, 0.01)
    sway = np.clip(_slow_curve(ctx, t, 0.7, 0.2), 0.5, None)
    jet = _bandpass(rng.standard_normal(ctx.n), 600, 5000 * (0.8 + 0.4 * p.brightness), sr)
    tone = _osc(ctx, rot * blades, (1.0, 0.5, 0.3, 0.2))
    motor = _osc(ctx, rot, [1 / k for k in range(1, 20)]) * (1 + 0.3 * np.sin(2 * np.pi * 100 * t))
    return (_unit(jet) + 0.7 * _unit(tone) + 0.1 * _unit(motor)) * sway


def m_blender(ctx: Ctx) -> np.ndarray:
    """Blender: a universal motor at 18-27 000 rpm (300-450 Hz, whining with its harmonics) whose speed dips
    whenever the blades bite into the contents (load, irregularly several times a second); its cooling fan
    blows air through the base (broadband rush, 1-9 kHz); the liquid churns (noise swelling with the load) and
    ice or fruit chunks knock against the jar walls. "pulse" runs it in short bursts."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    f_rot = rng.uniform(300, 450) * p.pitch ** 0.5
    if _has(ctx, "puls"):
        on = _segments_env(ctx, _bouts(ctx, (0.1, 0.3), (0.4, 0.9), (0.3, 0.6), 0.2), 0.12, 0.35)
    else:
        on = _segments_env(ctx, [(0.05, ctx.seconds)], 0.4, 0.05)
    load = np.clip(_slow_curve(ctx, t, 6.0, 1.0) - 1, 0, None)  # the blades biting: speed dips
    rpm = f_rot * (0.35 + 0.65 * on) * (1 - 0.12 * load)
    motor = _osc(ctx, rpm, [1 / k ** 1.2 for k in range(1, 24)])
    fan = _bandpass(rng.standard_normal(ctx.n), 1000, 9000, sr) * (rpm / f_rot) ** 2
    churn = _bandpass(rng.standard_normal(ctx.n), 200, 5000, sr) * (0.5 + load)
    chunks = np.zeros(ctx.n)
    knock = _strike_ir(ctx, replace(MATERIALS["glass"], t60=0.08), rng.uniform(900, 1400))
    for tk in rng.uniform(0, ctx.seconds, int(rng.integers(15, 40) * ctx.seconds / 5)):
        _place(ctx, chunks, knock, tk, rng.uniform(0.2, 1.0))
    x = (_unit(fan) + 0.45 * _unit(motor) + 0.6 * _unit(churn) + 0.2 * _unit(chunks)) * on
    return _room(ctx, x, rng.uniform(0.5, 0.7), 0.4, -60.0)  # a kitchen


def m_washing_machine(ctx: Ctx) -> np.ndarray:
    """Washing machine. Washing: the drum turns at ~45-55 rpm, and its 3 lifters raise the laundry and drop
    it back into the water, so a dull thud (wet cloth does not ring) and a slosh (the water splashing up as
    the cloth lands, 1-8 kHz, swelling over ~0.2 s) with splashing bubbles come about 2.5 times a second,
    irregularly, over the water swishing round the drum once a turn and the motor's hum; heard in a laundry
    room. A dishwasher is :func:`_dishwasher`. Spinning ("spin" in the play method): the drum turns at
    800-1200 rpm (13-20 Hz), its imbalance shakes the cabinet (a throbbing rumble at the drum rate), the motor
    whines and water sprays off."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    if _has(ctx, "dishwasher", "spray arm"):
        return _dishwasher(ctx)
    if _has(ctx, "spin"):
        f_drum = rng.uniform(13, 20) * np.clip(t / 1.5, 0.3, 1) ** 0.5
        ph = 2 * np.pi * np.cumsum(f_drum) / sr
        shake = _lowpass(rng.standard_normal(ctx.n), 120, sr, order=4) * (1 + 0.8 * np.sin(ph))
        cabinet = _osc(ctx, f_drum, (1.0, 0.5, 0.3, 0.2))
        whine = _osc(ctx, f_drum * rng.uniform(9, 12), [1 / k for k in range(1, 8)])
        spray = _bandpass(rng.standard_normal(ctx.n), 1000, 8000, sr) * (1 + 0.3 * np.sin(ph))
        return _unit(shake) + 0.7 * _unit(cabinet) + 0.3 * _unit(whine) + 0.4 * _unit(spray)
    f_drum = rng.uniform(45, 55) / 60
    drops = np.arange(rng.uniform(0.1, 0.4), ctx.seconds, 1 / (3 * f_drum))
    drops = np.maximum(drops + 0.12 * rng.standard_normal(drops.size), 0.0)  # laundry does not fall on the beat
    slosh = signal.oaconvolve(_impulses(ctx, drops, rng.uniform(0.5, 1.0, drops.size)),
                              _swell(sr, 0.2, 0.3, 0.8))[: ctx.n]  # the cloth lands, splashing
    m_th = int(0.08 * sr)
    src = _bandpass(rng.standard_normal(m_th * drops.size), 60, 400, sr).reshape(drops.size, m_th)
    src *= np.exp(-np.arange(m_th) / sr / 0.02)  # wet cloth: a dull thud, no ring
    thuds = np.zeros(ctx.n)
    for td, thud in zip(drops, src, strict=True):
        _place(ctx, thuds, thud / (np.abs(thud).max() + 1e-12), td, rng.uniform(0.5, 1.0))
    water = _bandpass(rng.standard_normal(ctx.n), 1000, 8000, sr) * slosh
    swish = _bandpass(rng.standard_normal(ctx.n), 300, 2500, sr) * (0.6 + 0.4 * np.sin(2 * np.pi * f_drum * t))
    splash = _bubbles(ctx, 800, 0.001, 0.006, np.clip(slosh, 0, 1))
    motor = _bandpass(rng.standard_normal(ctx.n), 80, 600, sr) * (1 + 0.3 * np.sin(2 * np.pi * 100 * t))
    x = _unit(water) + 0.7 * _unit(splash) + 0.3 * _unit(swish) + 0.2 * _unit(thuds) + 0.2 * _unit(motor)
    return _room(ctx, x, 0.4, 0.3, -60.0)  # a laundry room


def dishwasher_arm_rate(ctx: Ctx) -> float:
    """Turns per second of a dishwasher's spray arm."""
    return ctx.rng.uniform(0.5, 1.0)


def _dishwasher(ctx: Ctx) -> np.ndarray:
    """Dishwasher: the circulation pump (an induction motor humming at the mains' 50 Hz and its harmonics)
    drives water through spray arms that the jets' reaction turns 0.5-1 times a second; the jets break into drops
    that splatter onto the dishes and the steel tub (noise 1-8 kHz, its level jumping irregularly 10-80 times a
    second, up to several times its mean), swelling (by half again) twice a turn as the arm's two ends sweep past
    the door; the water running back sloshes into the sump (bubbles,
    1-6 mm). Heard in a kitchen."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    ph = 2 * np.pi * dishwasher_arm_rate(ctx) * t + rng.uniform(0, 2 * np.pi)
    spray = _bandpass(rng.standard_normal(ctx.n), 1000, 8000, sr) * (1 + 0.5 * np.cos(2 * ph))
    splatter = np.abs(_bandpass(rng.standard_normal(ctx.n), 10, 80, sr))
    spray *= 1 + 1.2 * splatter / (splatter.std() + 1e-12)  # the jets break into drops splattering the dishes
    sump = np.clip(_slow_curve(ctx, t, 3.0, 0.6), 0.1, None)
    slosh = _bubbles(ctx, 400, 0.001, 0.006, np.clip(sump - 0.3, 0, 1))
    pump = _osc(ctx, 50.0, (1.0, 0.5, 0.3, 0.2, 0.1))
    x = _unit(spray) + 0.3 * _unit(slosh) + 0.2 * _unit(pump)
    return _room(ctx, x, 0.4, 0.3, -60.0)


def m_kettle(ctx: Ctx) -> np.ndarray:
    """Kettle coming to the boil, then whistling. Boiling: vapour bubbles collapse on the hot element (a
    crackling rumble), then rise and burst as the water rolls (Minnaert bubbles, 2-8 mm). The whistle is a
    hole tone: steam jets through two orifices and the vortex shed by the first drives the cavity between
    them, so its pitch rises with the steam speed (Strouhal number constant): as the steam builds the tone
    glides up from ~0.85-1 kHz towards 1.5-1.8 kHz and grows louder. The two orifices sound a second tone
    15-25 Hz apart (a beating warble), the turbulent jet makes the level flutter and adds breath noise; the
    boil goes on quietly under it. Steam escaping without a whistle (hiss, steam wand, vent, geyser) is the
    jet's fluttering hiss (2-12 kHz)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    if _has(ctx, "hiss", "wand", "geyser", "vent", "escap", "valve"):
        # steam escaping without a whistle: a small, fast jet's turbulent hiss (2-12 kHz) fluttering at ~15 Hz
        flutter = np.clip(_slow_curve(ctx, t, 15.0, 0.6), 0.2, None) * np.clip(_slow_curve(ctx, t, 0.5, 0.3), 0.3, None)
        return _bandpass(rng.standard_normal(ctx.n), 2000, 12000, sr) * flutter
    t_on = rng.uniform(0.15, 0.25) * ctx.seconds  # the whistle starts sounding
    tau = rng.uniform(0.3, 0.45) * ctx.seconds
    f0 = rng.uniform(850, 1000) * p.pitch
    f1 = rng.uniform(1500, 1800) * p.pitch
    rise = 1 - np.exp(-np.clip(t - t_on, 0, None) / tau)
    f = f0 + (f1 - f0) * rise / (1 - np.exp(-(ctx.seconds - t_on) / tau))
    f *= 1 + 0.004 * (_slow_curve(ctx, t, 8.0, 1.0) - 1)  # turbulence wavers the tone
    flutter = 1 + 0.3 * (_slow_curve(ctx, t, 15.0, 1.0) - 1)
    amp = np.clip((t - t_on) / 0.6, 0, 1) ** 2 * (0.5 + 0.5 * rise) * flutter
    tone = _osc(ctx, f, (1.0, 0.08, 0.03)) + 0.8 * _osc(ctx, f + rng.uniform(15, 25), (1.0,))
    breath = _bandpass(rng.standard_normal(ctx.n), 0.85 * f1, 1.15 * f1, sr, order=1)
    whistle = amp * (tone + 0.3 * _unit(breath))
    heat = np.clip(t / ctx.seconds + 0.4, 0, 1)
    collapse = _bandpass(rng.standard_normal(ctx.n), 100, 1200, sr) * (1 + 0.8 * np.abs(_bandpass(
        rng.standard_normal(ctx.n), 5, 40, sr)))
    rolling = _bubbles(ctx, 300, 0.002, 0.008, heat)
    boil = 0.6 * _unit(collapse) * heat + _unit(rolling)
    return 0.12 * _unit(boil) + _unit(whistle)


_COMPUTER_WORDS = ("computer", "laptop", "keyboard", "notebook", "pc")


def _is_computer_keyboard(ctx: Ctx) -> bool:
    d = ctx.desc
    if d is None:
        return False
    if "Computer keyboard" in d.audioset:
        return True
    text = f"{d.name} {d.material}".lower()
    return "typewriter" not in text and any(re.search(rf"\b{w}", text) for w in _COMPUTER_WORDS)


KEYS_PER_S = (6.0, 9.0)  # a practised typist's rate within a word (in bursts: overall 50-80 words a minute)


def _key_click(ctx: Ctx, lo: float, hi: float, tau: float) -> np.ndarray:
    """One click of a plastic key: a noise burst dying with time constant ``tau`` s (2-4 ms), in ``lo``-``hi`` Hz.
    A keycap is small, light and well damped, so it does not ring: what is heard is the impact's own broadband
    snap (Asonov and Agrawal 2004 measure a keystroke's press and release peaks at 10 ms or less)."""
    m = int(0.04 * ctx.sr)
    k = np.arange(m) / ctx.sr
    x = _bandpass(ctx.rng.standard_normal(m) * np.exp(-k / tau), lo, min(hi, 0.45 * ctx.sr), ctx.sr)
    return x / (np.abs(x).max() + 1e-12)


def keyboard_strokes(ctx: Ctx) -> list[tuple[float, bool]]:
    """``(press time s, space bar?)`` of a typist typing on steadily (copying a text): words of 2-8 letters at
    :data:`KEYS_PER_S` (gamma-distributed intervals, so never machine-regular), each word ended by the space bar
    and a pause of 0.15-0.35 s after it."""
    rng = ctx.rng
    out: list[tuple[float, bool]] = []
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.05:
        rate = rng.uniform(*KEYS_PER_S) * ctx.p.density
        for _ in range(int(rng.integers(2, 9))):
            out.append((t, False))
            t += rng.gamma(5.0, 1 / (5.0 * rate))
        out.append((t, True))
        t += rng.uniform(0.15, 0.35)
    return out


def _keyboard_typing(ctx: Ctx) -> np.ndarray:
    """A computer keyboard. Each keystroke is three clicks of plastic (:func:`_key_click`): the fingertip
    landing on the keycap (the touch, ~10 dB under the next), the keycap bottoming out on the plate 5-20 ms
    later (the loudest, reaching lower, from ~1.2 kHz), and the release as the spring returns it, 70-130 ms
    after the press and ~12 dB under the bottoming out. A keycap is a few grams of stiff plastic, so nearly all
    of it lies at 2-8 kHz. The space bar is longer and heavier: its click reaches down to ~800 Hz. Keystrokes
    come in words (:func:`keyboard_strokes`). Heard close, on a desk in a small quiet room (RT60 0.2 s, its air
    45 dB under the clicks): a keyboard recorded in digital silence between its clicks is heard as silence.
    No carriage, no bell: that is the typewriter."""
    p, rng = ctx.p, ctx.rng
    lo = 2000.0 * p.pitch
    out = np.zeros(ctx.n)
    for t, space in keyboard_strokes(ctx):
        a = rng.uniform(0.6, 1.0)
        if space:
            _place(ctx, out, _key_click(ctx, 0.4 * lo, 4800, 0.004), t, 1.0)
            _place(ctx, out, _key_click(ctx, lo, 8000, 0.002), t + rng.uniform(0.08, 0.15), 0.4)
            continue
        _place(ctx, out, _key_click(ctx, lo, 8000, 0.002), t, 0.3 * a)  # the touch
        _place(ctx, out, _key_click(ctx, 0.6 * lo, 8000, 0.003), t + rng.uniform(0.005, 0.02), a)  # bottoming out
        _place(ctx, out, _key_click(ctx, lo, 8000, 0.002), t + rng.uniform(0.07, 0.13), 0.25 * a)  # the release
    return _room(ctx, out, 0.2, 0.2, -45.0)


def m_typewriter(ctx: Ctx) -> np.ndarray:
    """Mechanical typewriter (a computer keyboard is :func:`_keyboard_typing`), typed steadily in words of 2-8
    letters at :data:`KEYS_PER_S`, a pause of 0.15-0.35 s after each (as :func:`keyboard_strokes`). Each stroke: the key lever going down (a light click, ~14 dB under the slap), the
    typebar slapping the platen 5-20 ms later (the loudest: a hard broadband snap from ~1.2 kHz, 2 ms, with the
    small steel parts ringing at 2-3.5 kHz under it), and, as the key is let go 70-130 ms after the press, the
    escapement letting the carriage step one space (a sharp click, ~8 dB under the slap). The space bar only
    steps the carriage. At the end of a 55-70 character line the margin bell rings, the carriage return's ratchet
    zips and the carriage lands with a thump. Heard close, in a small quiet room (RT60 0.2 s)."""
    if _is_computer_keyboard(ctx):
        return _keyboard_typing(ctx)
    p, rng = ctx.p, ctx.rng
    steel = replace(MATERIALS["metal"], t60=0.02, noise=0.5, contact_ms=0.1)

    def slap() -> np.ndarray:
        snap = _key_click(ctx, 1200.0 * p.pitch, 8000, 0.002)
        ring = _strike_ir(ctx, steel, rng.uniform(2000, 3500) * p.pitch)
        x = _mix(snap, 0.2 * ring / (np.abs(ring).max() + 1e-12))
        return x / (np.abs(x).max() + 1e-12)

    out = np.zeros(ctx.n)
    line_len = int(rng.integers(55, 71))
    col = int(rng.integers(0, line_len))
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.05:
        rate = rng.uniform(*KEYS_PER_S) * p.density
        for _ in range(int(rng.integers(2, 9))):  # a word
            a = rng.uniform(0.6, 1.0)
            _place(ctx, out, _key_click(ctx, 2000, 8000, 0.002), t, 0.2 * a)  # the key lever
            th = t + rng.uniform(0.005, 0.02)
            _place(ctx, out, slap(), th, a)  # the typebar on the platen
            _place(ctx, out, _key_click(ctx, 2500, 8000, 0.0015), th + rng.uniform(0.07, 0.13), 0.4 * a)  # escapement
            col += 1
            t += rng.gamma(5.0, 1 / (5.0 * rate))
        _place(ctx, out, _key_click(ctx, 2500, 8000, 0.0015), t, 0.4)  # the space bar steps the carriage
        col += 1
        t += rng.uniform(0.15, 0.35)
        if col >= line_len and t < ctx.seconds - 1.0:  # margin bell, carriage return
            bell = _strike_ir(ctx, MATERIALS["bell"], rng.uniform(1900, 2300), decay_mult=0.15)
            _place(ctx, out, bell, t, 0.5)
            tr = t + 0.35
            for k in range(int(rng.integers(10, 16))):
                _place(ctx, out, _key_click(ctx, 2500, 8000, 0.0015), tr + k * 0.018, 0.3)
            _place(ctx, out, _key_click(ctx, 300, 3000, 0.006), tr + 0.3, 0.8)
            t, col = tr + rng.uniform(0.6, 0.9), 0
    return _room(ctx, out, 0.2, 0.2, -45.0)


PRINT_PASS_S = (0.5, 0.8)  # an inkjet head's pass across a page (~0.2 m at 0.25-0.4 m/s)
CARRIAGE_STEP_HZ = (1200.0, 2400.0)  # its motor's step (commutation) rate at full speed


def printer_plan(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, list[float], float]:
    """An inkjet's print run, per sample: the carriage's speed (0-1 of full: ramping up over the first 12 % of each
    pass, down over the last), the paper-feed motor's on/off, the times (s) the carriage stops at a side, and its
    motor's step rate (Hz) at full speed. Passes last :data:`PRINT_PASS_S`, reversing after 30-80 ms; after
    half of them the paper advances one swath (0.08-0.2 s) before the next pass."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    speed, feed, stops = np.zeros(ctx.n), np.zeros(ctx.n), []
    dur = rng.uniform(*PRINT_PASS_S)
    s = rng.uniform(0.1, 0.4)
    while s < ctx.seconds:
        i0, i1 = int(s * sr), min(int((s + dur) * sr), ctx.n)
        u = (t[i0:i1] - s) / dur
        speed[i0:i1] = np.clip(np.minimum(u, 1 - u) / 0.12, 0, 1)
        stops.append(s + dur)
        s += dur + rng.uniform(0.03, 0.08)
        if rng.random() < 0.5:
            d = rng.uniform(0.08, 0.2)
            feed[int(s * sr):min(int((s + d) * sr), ctx.n)] = 1.0
            s += d + 0.03
    return speed, feed, stops, float(rng.uniform(*CARRIAGE_STEP_HZ) * ctx.p.pitch)


def m_printer(ctx: Ctx) -> np.ndarray:
    """Inkjet printer printing: the print head's carriage shuttles across the page on a guide rod, pulled by a
    belt from a small motor (:func:`printer_plan`). Its motor whines at its step rate (1.2-2.4 kHz at full
    speed, harmonics to the 5th), following the carriage's speed up and down each pass and wavering ~2 % as the
    servo hunts; the carriage's bushings rattle on the rod while it moves (0.5-6 kHz noise in random grains at
    20-200 Hz, up to several times its mean level); it stops at each side with a soft knock (0.3-3 kHz, ~5 ms).
    Between passes the paper-feed motor buzzes briefly (a 300-600 Hz step tone and its harmonics). Heard on a
    desk in a small room."""
    sr, rng = ctx.sr, ctx.rng
    speed, feed, stops, f_step = printer_plan(ctx)
    servo = _bandpass(rng.standard_normal(ctx.n), 5, 60, sr)
    whine = _osc(ctx, f_step * np.maximum(speed, 0.05) * (1 + 0.018 * servo / (servo.std() + 1e-12)),
                 (1.0, 0.4, 0.3, 0.15, 0.1))
    grains = np.abs(_bandpass(rng.standard_normal(ctx.n), 20, 200, sr))
    rattle = _bandpass(rng.standard_normal(ctx.n), 500, 6000, sr) * (1 + 6.4 * grains / (grains.std() + 1e-12))
    feeder = _osc(ctx, rng.uniform(300, 600), (1.0, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1))
    x = (0.5 * _unit(whine) + _unit(rattle)) * speed + 0.6 * _unit(feeder) * feed
    m = int(0.04 * sr)
    for ts in stops:
        knock = _bandpass(rng.standard_normal(m) * np.exp(-np.arange(m) / sr / 0.005), 300, 3000, sr)
        _place(ctx, x, 0.5 * knock / (np.abs(knock).max() + 1e-12), ts, 1.0)
    return _room(ctx, x, 0.3, 0.2, -50.0)


G = 9.81  # m/s^2
CLOCK_PENDULUM_M = (0.16, 1.0)  # a mantel clock's pendulum to a wall regulator's
SECONDS_PENDULUM_M = 0.994  # a longcase clock's: one beat a second at g = 9.81 m/s^2


def pendulum_beat_rate(length_m: float) -> float:
    """Beats per second of a pendulum of ``length_m`` m: two per period T = 2 pi sqrt(L / g)."""
    return float(1 / (np.pi * np.sqrt(length_m / G)))


def clock_beat_rate(ctx: Ctx) -> float:
    """Beats per second of a clock's escapement. A pendulum clock's pendulum is 0.16-1 m long, so it ticks
    1-2.5 times a second (:func:`pendulum_beat_rate`); a longcase (grandfather) clock's seconds pendulum beats
    once a second; a quartz movement (an alarm clock, a watch, "seconds") steps once a second; a spring-wound
    timer's balance wheel beats 5 times a second."""
    if _has(ctx, "timer"):
        return 5.0
    if _has(ctx, "grandfather", "longcase"):
        return pendulum_beat_rate(SECONDS_PENDULUM_M)
    if _has(ctx, "alarm", "quartz", "watch", "second"):
        return 1.0
    return pendulum_beat_rate(ctx.rng.uniform(*CLOCK_PENDULUM_M))


def m_clock(ctx: Ctx) -> np.ndarray:
    """Pendulum clock: the pendulum lets the escape wheel advance one tooth per swing, so it ticks 1-2.5 times a
    second by its length (:func:`clock_beat_rate`; a seconds pendulum, about 1 m, ticks at 1 Hz), alternately
    "tick" and "tock" (the two pallets differ a little); each beat is the wheel's
    tooth landing on a pallet and, 2-5 ms later, the drop, ringing small brass parts (2-6 kHz, ~30 ms) and the
    wooden case (0.3-1 kHz). A play method naming a chime or the hour plays the Westminster quarters on
    tuned rods (clamped-free bending modes 1 : 6.27 : 17.55), then strikes the hour on a low gong rod. A play
    method naming a ratchet, a crank, a dial or winding gives the mechanism's ratchet instead
    (:func:`_ratchet`), a rotary telephone dial its pulses (:func:`_rotary_dial`); a pedestrian crossing's
    signal ticks electronically (:func:`_crossing_signal`). A timer (kitchen timer, parking meter, toaster) is
    spring-wound: a balance wheel swinging 2.5 times a second lets its lever escapement beat 5 times a second
    (18 000 beats an hour), the pallets ringing small steel parts (1.5-3 kHz) in a thin housing that adds
    little (:func:`clock_beat_rate`)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    if _has(ctx, "rotary"):
        return _rotary_dial(ctx)
    if _has(ctx, "ratchet", "crank", "dial", "winding", "wound", "wind up", "turnstile", "reel"):
        return _ratchet(ctx)
    if _has(ctx, "crossing", "pedestrian", "traffic light", "traffic signal"):
        return _crossing_signal(ctx)
    timer = _has(ctx, "timer")  # a spring-wound timer: a balance wheel's lever escapement, 5 beats a second
    beat_rate = clock_beat_rate(ctx)
    out = np.zeros(ctx.n)
    brass = replace(MATERIALS["metal"], t60=0.03, noise=0.2, contact_ms=0.1)
    case = replace(MATERIALS["wood"], t60=0.06)
    beats = []
    f_b = (rng.uniform(1500, 3000) if timer else rng.uniform(2500, 4000)) * p.pitch
    f_c = rng.uniform(350, 700)
    for side in (0, 1):
        b = _mix(_strike_ir(ctx, brass, f_b * (1.0 if side else 1.12)),
                 (0.2 if timer else 0.6) * _strike_ir(ctx, case, f_c * (1.0 if side else 0.93)))
        drop = np.zeros(b.size + int(0.006 * sr))
        drop[: b.size] += b
        d = int(rng.uniform(0.002, 0.005) * sr)
        drop[d:d + b.size] += 0.5 * b
        beats.append(drop / (np.abs(drop).max() + 1e-12))
    t0 = rng.uniform(0.05, 0.6)
    rate_error = 1 + 2e-4 * rng.standard_normal()  # a clock is regular: a fraction of a second per day
    chime = _has(ctx, "chim", "hour", "strik", "bong")
    for k, tt in enumerate(np.arange(t0, ctx.seconds, rate_error / beat_rate)):
        _place(ctx, out, beats[k % 2], tt, (1.0 if k % 2 else 0.85) * (0.35 if chime else 1.0))
    if chime:
        rod = (1.0, 6.27, 17.55)
        root = 329.63 * p.pitch  # E4
        quarters = (4, 2, 0, -5)  # semitones above E4: the Westminster first quarter G#4 F#4 E4 B3
        t = rng.uniform(0.1, 0.3)
        for semi in quarters:
            f = root * 2 ** (semi / 12)
            ir = _modal_ir(ctx, f * np.asarray(rod), np.array([3.0, 0.8, 0.2]) * p.decay, np.array([1.0, 0.25, 0.08]))
            _place(ctx, out, ir, t, 1.0)
            t += 0.6
        gong = _modal_ir(ctx, root / 2 * np.asarray(rod), np.array([5.0, 1.2, 0.3]) * p.decay,
                         np.array([1.0, 0.3, 0.1]))
        t += 0.6
        while t < ctx.seconds - 0.2:
            _place(ctx, out, gong, t, 1.2)
            t += 1.4
    return _room(ctx, out, 0.2, 0.0, -35.0)  # the quiet room it ticks in


def crossing_tick_rate(ctx: Ctx) -> float:
    """Ticks per second of a pedestrian signal's walk indication."""
    return ctx.rng.uniform(8, 9)


def _crossing_signal(ctx: Ctx) -> np.ndarray:
    """Accessible pedestrian signal at a crossing: during the walk interval its loudspeaker gives the rapid
    tick, 8-9 a second (the MUTCD asks for 8-10), each tick a 1.2 kHz square-wave burst dying in ~2 ms
    (a sharp click through a small weatherproof speaker, 0.3-6 kHz); the street's traffic rumbles ~30 dB under
    it (noise below 800 Hz)."""
    sr, rng = ctx.sr, ctx.rng
    rate = crossing_tick_rate(ctx)
    m = int(0.03 * sr)
    k = np.arange(m) / sr
    tick = _bandpass(np.sign(np.sin(2 * np.pi * 1200.0 * ctx.p.pitch * k)) * np.exp(-k / 0.002), 300, 6000, sr)
    out = np.zeros(ctx.n)
    for tt in np.arange(rng.uniform(0.05, 0.3), ctx.seconds, 1 / rate):
        _place(ctx, out, tick, tt, 1.0)
    out /= np.abs(out).max() + 1e-12
    return out + 0.03 * _unit(_lowpass(rng.standard_normal(ctx.n), 800, sr))


def rotary_dial_rate(ctx: Ctx) -> float:
    """Pulses per second of a rotary telephone dial returning (the standard is 10, held by its governor)."""
    return ctx.rng.uniform(9.5, 10.5)


def _steel_clicks(ctx: Ctx, lo: float, hi: float, count: int = 4) -> list[np.ndarray]:
    """``count`` clicks of small steel parts (contacts, a pawl), each ringing its lowest mode somewhere in
    ``lo``-``hi`` Hz (times the timbre's pitch), damped fast; peak-normalised, to be picked from at random so that
    no two neighbours are alike."""
    steel = replace(MATERIALS["metal"], t60=0.025, noise=0.3, contact_ms=0.08)
    clicks = [_strike_ir(ctx, steel, ctx.rng.uniform(lo, hi) * ctx.p.pitch) for _ in range(count)]
    return [c / (np.abs(c).max() + 1e-12) for c in clicks]


def _rotary_dial(ctx: Ctx) -> np.ndarray:
    """Rotary telephone dial: a finger pulls the dial round to the finger stop (a click), lets go, and the
    spring turns it back at a speed held by a centrifugal governor while a cam opens the line's contacts once
    per digit step: 10 pulses a second (9.5-10.5), as many as the digit (0 gives 10); each break is the snap of
    small steel contacts (3-6 kHz). Digits follow each other after 0.4-0.9 s. Heard in a quiet room."""
    sr, rng = ctx.sr, ctx.rng
    pps = rotary_dial_rate(ctx)
    clicks = _steel_clicks(ctx, 3000, 6000)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.3)
    while t < ctx.seconds - 0.3:
        digit = int(rng.integers(1, 11))
        wind = 0.1 + 0.05 * digit  # pulling the dial round: further for a larger digit
        _place(ctx, out, clicks[0], t + wind, 0.5)  # the finger stop
        t += wind + rng.uniform(0.05, 0.15)
        for k in range(digit):
            _place(ctx, out, clicks[int(rng.integers(4))], t + k / pps, rng.uniform(0.8, 1.0))
        t += digit / pps + 0.15 + rng.uniform(0.4, 0.9)
    return _room(ctx, _bandpass(out, 1000, 16000, sr), 0.3, 0.0, -40.0)


def _ratchet(ctx: Ctx) -> np.ndarray:
    """A ratchet turned by hand (winding a clock, a crank, a dial, a turnstile): strokes of 0.4-1 s with pauses,
    during which the pawl drops off tooth after tooth, 20-40 times a second (teeth x turning speed, rising and
    falling within the stroke); each drop is a steel click ringing the wheel and pawl (lowest modes 1.5-3 kHz).
    A fishing reel's line running out turns the spool in jerks instead, its clicks ~30 % uneven in spacing."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    # a hand on a crank turns it steadily (5 % from click to click); a reel's spool turned by the line running out
    # jerks as the drag slips and its light pawl bounces on the teeth (30 %)
    jitter = 0.3 if _has(ctx, "line", "whizz", "spool", "drag", "running out") else 0.05
    clicks = _steel_clicks(ctx, 1500, 3000)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.3)
    while t < ctx.seconds - 0.2:
        dur = rng.uniform(0.4, 1.0)
        rate = rng.uniform(20, 40) * p.density ** 0.5
        tk = t
        while tk < min(t + dur, ctx.seconds - 0.05):
            u = (tk - t) / dur
            _place(ctx, out, clicks[int(rng.integers(4))], tk, rng.uniform(0.6, 1.0))
            tk += 1 / (rate * (0.6 + 0.4 * np.sin(np.pi * u)) + 1e-9) * max(1 + jitter * rng.standard_normal(), 0.3)
        t += dur + rng.uniform(0.2, 0.6)
    # small steel parts: nothing below ~2 kHz radiates (heard at a low rate with a body, it was a frog's croak)
    return _room(ctx, _bandpass(out, 2000, 16000, sr), 0.3, 0.0, -40.0)


def m_doorbell(ctx: Ctx) -> np.ndarray:
    """Two-note door chime ("ding-dong"): pressing the button fires a solenoid plunger at a tuned bar (E5),
    releasing it lets a spring throw the plunger back onto a second bar a major third lower (C5). The bars
    ring their free-free bending modes (1 : 2.756 : 5.404) for a second or two; the plunger's thump is heard.
    A play method naming a buzzer gives an electric bell instead: a clapper striking a gong 20 times a
    second while the button is held."""
    p, rng = ctx.p, ctx.rng
    out = np.zeros(ctx.n)
    if _has(ctx, "buzz", "electric bell"):
        gong = _strike_ir(ctx, MATERIALS["bell"], rng.uniform(1400, 1800) * p.pitch, decay_mult=0.25)
        t = rng.uniform(0.1, 0.4)
        while t < ctx.seconds - 0.5:
            dur = rng.uniform(0.8, 1.6)
            for tk in np.arange(t, min(t + dur, ctx.seconds), 1 / 20.0):
                _place(ctx, out, gong, tk, rng.uniform(0.7, 1.0))
            t += dur + rng.uniform(0.8, 1.5)
        return out
    hi = 659.26 * p.pitch * 2 ** (rng.uniform(-1, 1) / 12)
    bar = replace(MATERIALS["metal"], ratios=(1.0, 2.756, 5.404), t60=2.0, damping_exp=0.6, contact_ms=0.3)
    ding = _strike_ir(ctx, bar, hi, detune=0.0)
    dong = _strike_ir(ctx, bar, hi * 2 ** (-4 / 12), detune=0.0)
    thump = _strike_ir(ctx, replace(MATERIALS["plastic"], t60=0.03), rng.uniform(150, 250))
    t = rng.uniform(0.1, 0.3)
    while t < ctx.seconds - 0.3:
        gap = rng.uniform(0.45, 0.8)
        _place(ctx, out, ding, t, 1.0)
        _place(ctx, out, thump, t, 0.15)
        _place(ctx, out, dong, t + gap, 0.9)
        _place(ctx, out, thump, t + gap, 0.15)
        t += gap + rng.uniform(2.2, 3.5)
    return out


# the ringing cadence of bell telephones: (seconds on, seconds off, ...) repeated
RING_CADENCES: dict[str, tuple[float, ...]] = {
    "uk": (0.4, 0.2, 0.4, 2.0),  # the British double ring
    "us": (2.0, 4.0),  # North America
}


def phone_cadence(ctx: Ctx) -> tuple[float, ...]:
    return RING_CADENCES["us"] if _has(ctx, "americ", "us ", "long ring") else RING_CADENCES["uk"]


def m_phone_ring(ctx: Ctx) -> np.ndarray:
    """Bell telephone: the 20 Hz ringing current swings an armature whose clapper strikes two gongs
    alternately, each 20 times a second, in the exchange's cadence (:data:`RING_CADENCES`: the British double
    ring 0.4 on, 0.2 off, 0.4 on, 2 off by default; "american" gives 2 s on, 4 s off). The gongs are small
    bells a few semitones apart (~1.8-2.4 kHz). A mobile or smartphone plays an electronic ringtone instead:
    the classic two-tone trill in the North American cadence, 2 s on, 4 s off (heard as a telephone; a
    marimba-like arpeggio, kept for a play method naming
    a melody or a tune, is heard as music for children); a digital alarm clock or timer beeps (a piezo buzzer's square wave at
    2.5-4 kHz, bursts of four beeps)."""
    p, rng = ctx.p, ctx.rng
    out = np.zeros(ctx.n)
    cad = phone_cadence(ctx)
    t0 = rng.uniform(0.05, 0.3)
    if _has(ctx, "digital", "electronic", "beep", "alarm clock", "timer"):
        # a piezo buzzer driven by a square wave at its resonance (2.5-4 kHz): bursts of 4 beeps, 8 a second
        f = rng.uniform(2500, 4000) * p.pitch
        segs, t = [], t0
        while t < ctx.seconds - 0.1:
            segs += [(t + k / 8, 0.07) for k in range(4)]
            t += 4 / 8 + 0.5
        env = _segments_env(ctx, segs, 0.002, 0.004)
        return _osc(ctx, f, [(1 / k if k % 2 else 0.0) for k in range(1, 8)]) * env
    if _has(ctx, "mobile", "cell", "smartphone", "ringtone") and not _has(ctx, "melod", "tune", "marimba", "song"):
        # the electronic trill of a cordless or mobile phone's classic ring: two tones a few semitones apart
        # (0.9-1.4 kHz, odd harmonics of a rounded square wave) alternating 14-20 times a second, in the
        # North American ring cadence the handsets copied (2 s on, 4 s off)
        f1 = rng.uniform(900, 1400) * p.pitch
        f2 = f1 * 2 ** (rng.uniform(3, 5) / 12)
        t = np.arange(ctx.n) / ctx.sr
        f = np.where((np.floor(t * rng.uniform(14, 20)) % 2).astype(bool), f2, f1)
        ph = 2 * np.pi * np.cumsum(f) / ctx.sr
        on, off = RING_CADENCES["us"]
        segs = [(s, on) for s in np.arange(t0, ctx.seconds, on + off)]
        return (np.sin(ph) + 0.3 * np.sin(3 * ph) + 0.15 * np.sin(5 * ph)) * _segments_env(ctx, segs, 0.005, 0.01)
    if _has(ctx, "mobile", "cell", "smartphone", "ringtone"):  # a melodic ringtone
        root = rng.uniform(700, 1000) * p.pitch
        notes = root * 2 ** (np.array([0, 4, 7, 12, 7, 4]) / 12)
        mar = replace(MATERIALS["wood"], t60=0.4, damping_exp=1.5)
        irs = [_strike_ir(ctx, mar, f) for f in notes]
        t = t0
        while t < ctx.seconds:
            for k, ir in enumerate(irs):
                _place(ctx, out, ir, t + 0.13 * k, 1.0)
            t += 0.13 * len(irs) + 0.5
        return out
    gong = replace(MATERIALS["bell"], t60=0.4)  # small gongs, damped by the clapper between strikes
    f1 = rng.uniform(1800, 2400) * p.pitch
    g1 = _strike_ir(ctx, gong, f1, detune=0.0)
    g2 = _strike_ir(ctx, gong, f1 * 2 ** (rng.uniform(2, 4) / 12), detune=0.0)
    t = t0
    k = 0
    while t < ctx.seconds:
        on = cad[k % len(cad)]
        if k % 2 == 0:
            for j, ts in enumerate(np.arange(t, min(t + on, ctx.seconds), 1 / 40.0)):
                _place(ctx, out, g1 if j % 2 == 0 else g2, ts, rng.uniform(0.8, 1.0))
        t += on
        k += 1
    return out


def m_shutter(ctx: Ctx) -> np.ndarray:
    """Camera shutter (single-lens reflex): the mirror flips up and slaps its stop, the first curtain runs,
    the exposure lasts a few ms, the second curtain runs, the mirror comes back down: a "ka-chak" of four sharp
    mechanical clicks within ~60-120 ms, ringing the mirror box's small steel parts (1.5-3.5 kHz) and the body
    (~1 kHz). Shots come one by one every 0.5-0.8 s (a photographer working quickly), or (a play method saying
    burst, rapid, continuous) in bursts of 3-6 at 4-8 frames per second. A film camera then winds on: by hand
    with its lever (:func:`_film_lever`), or with a motor drive (a whir of ~0.3 s; a play method saying motor,
    winder or drive, or a burst)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    steel = replace(MATERIALS["metal"], t60=0.02, noise=0.4, contact_ms=0.08)
    body = replace(MATERIALS["plastic"], t60=0.03)

    def click(f: float) -> np.ndarray:
        c = _mix(_strike_ir(ctx, steel, f), 0.5 * _strike_ir(ctx, body, rng.uniform(800, 1300)))
        return c / (np.abs(c).max() + 1e-12)

    clicks = [click(rng.uniform(1500, 3500) * p.pitch) for _ in range(4)]
    film = _has(ctx, "film", "wind")
    rapid = _has(ctx, "burst", "rapid", "continuous", "sequence")
    if film and not rapid and not _has(ctx, "motor", "winder", "drive"):
        return _film_lever(ctx, clicks)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.2, 0.6)
    while t < ctx.seconds - 0.3:
        burst = int(rng.integers(3, 7)) if rapid else 1
        fps = rng.uniform(4, 8)
        for b in range(burst):
            ts = t + b / fps
            offs = (0.0, rng.uniform(0.01, 0.02), rng.uniform(0.03, 0.06), rng.uniform(0.07, 0.11))
            for c, o, a in zip(clicks, offs, (1.0, 0.6, 0.7, 0.9), strict=True):
                _place(ctx, out, c, ts + o, a)
            if film and b == burst - 1:
                m = int(0.3 * sr)
                tt = np.arange(m) / sr
                whir = np.sin(2 * np.pi * np.cumsum(np.full(m, rng.uniform(900, 1300))) / sr)
                whir = (whir + 0.5 * _bandpass(rng.standard_normal(m), 1000, 5000, sr)) * np.sin(np.pi * tt / 0.3)
                _place(ctx, out, 0.2 * whir, ts + 0.15, 1.0)
        t += burst / 6 + rng.uniform(0.3, 0.6)
    return _room(ctx, out, 0.3, 0.0, -35.0)  # the quiet room it is heard in


def film_lever_rate(ctx: Ctx) -> float:
    """Clicks per second of a film-advance lever's ratchet during its stroke."""
    return ctx.rng.uniform(40, 60)


def _film_lever(ctx: Ctx, clicks: list[np.ndarray]) -> np.ndarray:
    """A film camera advanced by hand: each shot (the shutter's four clicks, ``clicks``) is followed 0.25-0.45 s
    later by the thumb's stroke of the advance lever (0.2-0.35 s), its one-way clutch's pawl clicking 40-60
    times a second over the ratchet (steel, lowest modes 1.5-3 kHz) as it winds the film on and cocks the
    shutter; the next shot comes 1.5-2 s later (compose, shoot, advance). Heard in a quiet room."""
    p, rng = ctx.p, ctx.rng
    pawl = replace(MATERIALS["metal"], t60=0.025, noise=0.3, contact_ms=0.08)
    ticks = [_strike_ir(ctx, pawl, rng.uniform(1500, 3000) * p.pitch) for _ in range(4)]
    ticks = [k / (np.abs(k).max() + 1e-12) for k in ticks]
    rate = film_lever_rate(ctx)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.2, 0.6)
    while t < ctx.seconds - 0.3:
        offs = (0.0, rng.uniform(0.01, 0.02), rng.uniform(0.03, 0.06), rng.uniform(0.07, 0.11))
        for c, o, a in zip(clicks, offs, (1.0, 0.6, 0.7, 0.9), strict=True):
            _place(ctx, out, c, t + o, a)
        t_lever = t + rng.uniform(0.25, 0.45)
        for tk in np.arange(t_lever, t_lever + rng.uniform(0.2, 0.35), 1 / rate):
            _place(ctx, out, ticks[int(rng.integers(4))], tk, 0.5 * rng.uniform(0.6, 1.0))
        t += 1 / 6 + rng.uniform(0.8, 1.4) + 0.5
    return _room(ctx, out, 0.3, 0.0, -35.0)


def flush_timing(ctx: Ctx) -> tuple[float, float]:
    """When the lever is pressed (s) and how long the bowl's rush lasts (s)."""
    return ctx.rng.uniform(0.1, 0.4), ctx.rng.uniform(3.0, 4.0)


def m_flush(ctx: Ctx) -> np.ndarray:
    """Toilet flush: the lever lifts the flapper and the tank's 6-9 litres pour through the rim and the jet
    into the bowl for 3-4 s, falling off as the tank empties: turbulent water churning round the bowl (its
    level surging irregularly several times a second), entraining air (small Minnaert bubbles, 0.8-5 mm) and
    splashing (0.15-8 kHz); the ceramic bowl rings under it (damped modes 0.2-2.5 kHz). As soon as the tank's
    level drops, the float opens the fill valve, whose throttled jet hisses (2-6 kHz) on through the rest;
    when the bowl's siphon breaks, it gulps air (a few big bubbles, 12-25 mm: 120-250 Hz). Heard in a small
    tiled room."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    t0, dur = flush_timing(ctx)
    u = np.clip((t - t0) / dur, 0, 1)
    rush_env = (t > t0) * np.clip((t - t0) / 0.15, 0, 1) * (1 - u) ** 0.7 * (u < 1)
    surge = np.clip(_slow_curve(ctx, t, 2.0, 0.15), 0.5, None) * np.clip(_slow_curve(ctx, t, 6.0, 0.6), 0.2, None)
    flow = rush_env * surge
    bubbles = _bubbles(ctx, 700, 0.0008, 0.005, np.clip(flow - 0.3, 0, 1))
    splash = _bandpass(rng.standard_normal(ctx.n), 150, 8000, sr)
    water = (_unit(bubbles) + 0.7 * _unit(splash)) * flow
    modes = rng.uniform(200, 2500, 12)
    bowl_ir = _modal_ir(ctx, modes, rng.uniform(0.1, 0.4, 12), rng.uniform(0.3, 1, 12), length=0.5)
    bowl = signal.oaconvolve(_bandpass(rng.standard_normal(ctx.n), 100, 4000, sr) * flow, bowl_ir)[: ctx.n]
    gulp = np.zeros(ctx.n)
    for k in range(int(rng.integers(3, 6))):
        _place(ctx, gulp, _bubble(ctx, rng.uniform(0.012, 0.025)), t0 + dur + 0.12 * k + rng.uniform(0, 0.05), 1.0)
    valve = _bandpass(rng.standard_normal(ctx.n), 2000, 6000, sr) * np.clip((t - t0 - 0.5) / 0.3, 0, 1)
    x = water + 0.5 * _unit(bowl) + 0.6 * _unit(valve) + 0.4 * _unit(gulp)
    return _room(ctx, x, 0.5, 0.3, -60.0)


def m_tap(ctx: Ctx) -> np.ndarray:
    """Running tap: a jet of water falls into a sink; where it enters the pool it entrains air, a steady
    stream of hundreds of small bubbles a second (1-5 mm radius, ringing 0.6-3 kHz as Minnaert bubbles) over
    the splashing of the jet (broadband noise with fast fluctuations); the basin colours it a little. Filling a
    vessel (a play method or name saying fill, tub, bath, bucket, bottle ...), the air column above the water
    shortens and its resonance rises (:func:`filling_resonance`). Liquid poured from a jug, a teapot or a pitcher
    ("pour") is :func:`_pour`; a plunger worked over a drain ("plung") is :func:`_plunge`."""
    if _has(ctx, "pour", "jug", "teapot", "pitcher", "decant"):
        return _pour(ctx)
    if _has(ctx, "plung"):
        return _plunge(ctx)
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    flow = np.clip(_slow_curve(ctx, t, 2.0, 0.15), 0.5, None)
    bubbles = _bubbles(ctx, 700 * p.density, 0.0008 / p.pitch, 0.005 / p.pitch, np.clip(flow - 0.3, 0, 1))
    splash = _bandpass(rng.standard_normal(ctx.n), 500, 8000 + 4000 * p.brightness, sr)
    splash *= 1 + 0.6 * np.abs(_bandpass(rng.standard_normal(ctx.n), 8, 60, sr)) / 0.1 * 0.1
    basin = _bandpass(rng.standard_normal(ctx.n), 150, 600, sr)
    x = (_unit(bubbles) + 0.7 * _unit(splash) + 0.2 * _unit(basin)) * flow
    if _has(ctx, "fill", "tub", "bath", "bucket", "jug", "bottle", "pot"):
        x = _filling(ctx, x)
    return x


def filling_resonance(ctx: Ctx, l0: float) -> np.ndarray:
    """Resonance (Hz, per sample) of the air column above the water in a vessel of depth ``l0`` m being filled:
    a quarter-wave tube closed by the water, f = c / 4L, L falling from l0 to 0.3 l0 over the clip."""
    t = np.arange(ctx.n) / ctx.sr
    length = l0 * (1 - 0.7 * t / ctx.seconds)
    return 343.0 / (4 * length)


def _filling(ctx: Ctx, x: np.ndarray) -> np.ndarray:
    """``x`` (water falling into a vessel) coloured by the vessel's rising air-column resonance (Q ~ 3, +6 dB): the
    pitch that tells a listener a bottle or a tub is filling."""
    l0 = ctx.rng.uniform(0.2, 0.35)
    nfft, hop = 2048, 512
    f, tt, z = signal.stft(x, fs=ctx.sr, nperseg=nfft, noverlap=nfft - hop)
    fres = np.interp(tt, np.arange(ctx.n) / ctx.sr, filling_resonance(ctx, l0))
    q = 3.0
    gain = 0.5 + 1.0 / (1 + (q * (f[:, None] / fres[None, :] - fres[None, :] / np.maximum(f[:, None], 1.0))) ** 2)
    _, y = signal.istft(z * gain, fs=ctx.sr, nperseg=nfft, noverlap=nfft - hop)
    y = y[: ctx.n]
    return np.pad(y, (0, ctx.n - y.size))


def _air_column(ctx: Ctx, x: np.ndarray, fres: np.ndarray, q: float = 3.0, floor: float = 0.5) -> np.ndarray:
    """``x`` heard through a quarter-wave air column closed by the water whose resonance is ``fres`` Hz (per
    sample): a band of quality ``q`` at the fundamental and a weaker one at its third harmonic (a tube closed at
    one end has only odd ones), over ``floor`` of the dry sound."""
    nfft = 1024
    hop = nfft // 4
    f, tt, z = signal.stft(x, fs=ctx.sr, nperseg=nfft, noverlap=nfft - hop)
    fr = np.interp(tt, np.arange(ctx.n) / ctx.sr, fres)[None, :]
    ff = np.maximum(f[:, None], 1.0)
    gain = floor + 1.0 / np.sqrt(1 + (q * (ff / fr - fr / ff)) ** 2)
    gain += 0.4 / np.sqrt(1 + (q * (ff / (3 * fr) - 3 * fr / ff)) ** 2)
    _, y = signal.istft(z * gain, fs=ctx.sr, nperseg=nfft, noverlap=nfft - hop)
    return np.pad(y[: ctx.n], (0, max(ctx.n - y.size, 0)))


def _chirp_bubbles(ctx: Ctx, env: np.ndarray, rate: float, r_lo: float, r_hi: float) -> np.ndarray:
    """Bubbles one by one (each a Minnaert bubble rising in pitch as it nears the surface, :func:`_bubble`):
    Poisson onsets at ``rate`` a second thinned by ``env`` (0..1 per sample), radii log-uniform in
    [r_lo, r_hi] m. Sparse water (a pour, a plunger) needs each bubble's own chirp: the banded field of
    :func:`_bubbles` is for dense streams."""
    rng = ctx.rng
    out = np.zeros(ctx.n)
    times = rng.uniform(0, ctx.seconds, rng.poisson(max(rate, 0.0) * ctx.seconds))
    times = times[rng.random(times.size) < env[np.minimum((times * ctx.sr).astype(int), ctx.n - 1)]]
    for tt in times:
        r = float(np.exp(rng.uniform(np.log(r_lo), np.log(r_hi))))
        _place(ctx, out, _bubble(ctx, r), tt, rng.uniform(0.05, 0.4) * (r / r_hi) ** 0.3)
    return out


def pour_plan(ctx: Ctx) -> tuple[list[tuple[float, float]], np.ndarray]:
    """The pours of :func:`_pour`: ``(start, duration)`` of each (2-3.5 s, one vessel each; the clip may cut the
    last one short), and the air column's resonance (Hz, per sample) above the liquid in the vessel being filled: a quarter-wave tube closed
    by the liquid, f = c / 4L, its length falling linearly (a steady flow into a straight-sided glass or mug)
    from 0.12-0.25 m (340-710 Hz) to 12-25 % of that (1.4-5.9 kHz) by the end of the pour."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    segs, fills, s = [], [], rng.uniform(0.1, 0.4)
    while s < ctx.seconds - 0.8:
        d = rng.uniform(2.0, 3.5)
        fills.append(d)
        segs.append((s, min(d, ctx.seconds - s - 0.1)))  # the clip may end before the glass is full
        s += d + rng.uniform(0.4, 0.8)
    fres = np.zeros(ctx.n)
    for (s0, _), d in zip(segs, fills, strict=True):
        l0 = rng.uniform(0.12, 0.25)
        l1 = l0 * rng.uniform(0.12, 0.25)
        i0 = int(s0 * sr)
        length = l0 + (l1 - l0) * np.clip((t[i0:] - s0) / d, 0, 1)
        fres[i0:] = 343.0 / (4 * length)
    if segs:
        fres[: int(segs[0][0] * sr)] = fres[int(segs[0][0] * sr)]
    return segs, fres


def glug_rate(ctx: Ctx) -> float:
    """Glugs a second of a vessel pouring through its one opening (air bubbling back in: 3-5 a second)."""
    return ctx.rng.uniform(3.0, 5.0)


def _pour(ctx: Ctx) -> np.ndarray:
    """Liquid poured from a jug, a teapot or a bottle into a glass or a cup. The jug's one opening lets liquid
    out and air back in by turns, so the stream surges 3-5 times a second (:func:`glug_rate`: each glug rises in
    ~60 ms and falls in ~150 ms, the flow never quite stopping). Where the stream plunges into the liquid in the
    glass it entrains air: bubbles of 0.8-5 mm (Minnaert 0.6-3.8 kHz, chirping up) and the splash of the
    impact (0.5-9 kHz). All of it is heard through the air column above the rising liquid (:func:`pour_plan`):
    a quarter-wave resonance climbing from a few hundred Hz to a few kHz as the glass fills, the pitch that
    tells a listener how full it is. Two pours, one glass each, in a quiet kitchen."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    segs, fres = pour_plan(ctx)
    flow = _segments_env(ctx, segs, 0.08, 0.15)
    gt = np.cumsum(rng.uniform(0.7, 1.3, int(ctx.seconds * 8) + 2) / glug_rate(ctx)) + rng.uniform(0, 0.2)
    gt = gt[gt < ctx.seconds]
    surge = signal.oaconvolve(_impulses(ctx, gt, rng.uniform(0.6, 1.0, gt.size)), _swell(sr, 0.06, 0.15, 0.6))[: ctx.n]
    flow = flow * (0.15 + 0.85 * surge / (surge.max() + 1e-12))
    bubbles = _chirp_bubbles(ctx, np.clip(flow, 0, 1), 500 * p.density, 0.0008 / p.pitch, 0.005 / p.pitch)
    splash = _bandpass(rng.standard_normal(ctx.n), 500, 9000, sr)
    x = _air_column(ctx, (0.7 * _unit(bubbles) + _unit(splash)) * flow, fres)
    return _room(ctx, x, 0.3, 0.2, -50.0)


def plunge_rate(ctx: Ctx) -> float:
    """Strokes a second of a plunger worked over a blocked drain."""
    return ctx.rng.uniform(1.2, 2.0)


def _plunge(ctx: Ctx) -> np.ndarray:
    """A plunger worked over a blocked drain, 1.2-2 strokes a second (:func:`plunge_rate`), by hand so never quite
    on the beat (+-0.12 s). The push squeezes the rubber cup: the water under it is forced out round the rim and
    the trapped air through the water, a slosh (0.3-5 kHz, rising in ~60 ms, dying in ~250 ms) full of small
    bubbles (1-6 mm) and 3-7 big ones (4-15 mm: Minnaert 200-750 Hz, the gurgle); the pull lifts the cup, the
    water rushes back in (a slosh at 60 %) with a suction squelch (0.3-1.5 kHz, ~120 ms). Heard in a small tiled
    room."""
    sr, rng = ctx.sr, ctx.rng
    per = 1 / plunge_rate(ctx)
    starts = np.arange(rng.uniform(0.1, 0.4), ctx.seconds - 0.2, per)
    starts = np.maximum(starts + 0.12 * rng.standard_normal(starts.size), 0.0)
    shape = _swell(sr, 0.06, 0.25, 0.6)
    m = int(0.12 * sr)
    env, gulps, squelch = np.zeros(ctx.n), np.zeros(ctx.n), np.zeros(ctx.n)
    for s0 in starts:
        a = rng.uniform(0.6, 1.0)
        _place(ctx, env, a * shape, s0, 1.0)  # push
        _place(ctx, env, 0.6 * a * shape, s0 + per / 2, 1.0)  # pull
        for _ in range(int(rng.integers(3, 8))):
            r = float(np.exp(rng.uniform(np.log(0.004), np.log(0.015))))
            _place(ctx, gulps, _bubble(ctx, r), s0 + rng.uniform(0.0, 0.2), rng.uniform(0.4, 1.0))
        sq = _bandpass(rng.standard_normal(m), 300, 1500, sr) * np.sin(np.pi * np.arange(m) / m) ** 2
        _place(ctx, squelch, sq, s0 + per / 2, a)
    slosh = _bandpass(rng.standard_normal(ctx.n), 300, 5000, sr) * env
    fine = _chirp_bubbles(ctx, np.clip(env, 0, 1), 800, 0.001, 0.006)
    x = _unit(slosh) + 0.7 * _unit(fine) + _unit(gulps) + 0.3 * _unit(squelch)
    return _room(ctx, x, 0.5, 0.3, -50.0)


# ----------------------------------------------------------------------------------------------
# Tools
# ----------------------------------------------------------------------------------------------
def m_saw(ctx: Ctx) -> np.ndarray:
    """Hand saw through wood: strokes back and forth (a push and a pull in 0.8-1.1 s); the speed follows each
    stroke's arc and the teeth (2.5-4 mm apart) bite at speed / tooth pitch, up to ~150-250 per second on the
    push, each bite a small click of tearing fibres, at random times (many teeth cut at once, each at its own
    depth). The clicks ring the blade (steel modes at 2-6 kHz) and the board
    (wood modes, a few hundred Hz); sawdust makes a rasping noise following the speed. The push cuts and is
    louder than the pull. "power"/"circular"/"electric" gives a circular saw: a motor at ~5000 rpm, its
    whine dropping when the blade bites into the board and the cutting roar; a chainsaw is :func:`_chainsaw`."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    if _has(ctx, "chainsaw", "chain saw"):
        return _chainsaw(ctx)
    if _has(ctx, "power", "circular", "electric", "table saw", "buzz"):
        f_rot = rng.uniform(70, 95) * p.pitch ** 0.5
        cut = _segments_env(ctx, _bouts(ctx, (0.1, 0.4), (1.2, 2.2), (0.6, 1.2), 0.5), 0.2, 0.3)
        rpm = f_rot * (1 - 0.18 * cut)
        teeth = int(rng.integers(24, 40))
        motor = _osc(ctx, rpm, [1 / k ** 0.8 for k in range(1, 30)])
        whine = _osc(ctx, rpm * teeth, (1.0, 0.5, 0.25))
        roar = _bandpass(rng.standard_normal(ctx.n), 400, 9000, sr) * cut * (1 + 0.5 * np.abs(_bandpass(
            rng.standard_normal(ctx.n), 5, 30, sr)) / 0.05)
        return _unit(motor) + 0.6 * _unit(whine) * (0.4 + cut) + 1.0 * _unit(roar)
    period = rng.uniform(0.8, 1.1) / p.density ** 0.5  # one push and one pull
    ph = (t + rng.uniform(0, period)) / period
    push = (ph % 1.0) < 0.5
    speed = np.abs(np.sin(2 * np.pi * ph)) ** 0.8 * rng.uniform(0.4, 0.6)  # m/s
    pitch_m = rng.uniform(0.0025, 0.004)
    rate = speed / pitch_m
    # 7-15 teeth are in the kerf at once, each biting at its own depth, so the bites are not in step: a Poisson
    # train at the tooth-passing rate (in lockstep they buzz at a pitch, an engine's)
    bites = (rng.random(ctx.n) < rate / sr).astype(float)
    bites *= (np.where(push, 1.0, 0.4) * rng.uniform(0.3, 1.0, ctx.n))
    blade = _modal_ir(ctx, rng.uniform(2000, 6000, 6) * p.pitch, np.full(6, 0.05), rng.uniform(0.3, 1.0, 6), length=0.06)
    board = _modal_ir(ctx, rng.uniform(150, 700, 4), np.full(4, 0.05), rng.uniform(0.5, 1.0, 4), length=0.06)
    teeth = signal.oaconvolve(bites, blade + 0.4 * board)[: ctx.n]
    rasp = _bandpass(rng.standard_normal(ctx.n), 1500, 9000, sr) * speed * np.where(push, 1.0, 0.5)
    rasp *= 1 + 0.8 * np.sin(2 * np.pi * np.cumsum(rate) / sr)  # each tooth scrapes, then lets go
    return _unit(teeth) + 1.1 * _unit(rasp)


def chainsaw_rpm(ctx: Ctx) -> float:
    """A chainsaw's engine speed at full throttle (rpm)."""
    return ctx.rng.uniform(10000, 13000) * float(np.clip(ctx.p.pitch, 0.8, 1.2)) ** 0.3


def _chainsaw(ctx: Ctx) -> np.ndarray:
    """Chainsaw: a single-cylinder two-stroke fires once a turn, at 10-13 000 rpm at full throttle (167-217 Hz),
    its exhaust a buzz of many harmonics (falling as 1/sqrt(k)); between cuts the throttle is released and the
    engine drops towards ~30 % of full speed; each cut (1.2-2.2 s) opens the throttle and the chain's cutters
    tear the wood (broadband 1-8 kHz), the load pulling the speed down ~10 %."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    full = chainsaw_rpm(ctx) / 60  # firings per second
    segs = _bouts(ctx, (0.1, 0.4), (1.2, 2.2), (0.6, 1.2), 0.5)
    throttle = _segments_env(ctx, segs, 0.25, 0.3)
    cut = _segments_env(ctx, [(a + 0.3, max(d - 0.4, 0.2)) for a, d in segs], 0.2, 0.2)
    f = full * (0.3 + 0.7 * throttle) * (1 - 0.1 * cut) * _slow_curve(ctx, t, 8.0, 0.015)
    engine = _osc(ctx, f, [1 / k ** 0.5 for k in range(1, 40)], fmax=8000)
    chain = _bandpass(rng.standard_normal(ctx.n), 1000, 8000, sr) * (0.3 + cut)
    return _unit(engine) * (0.5 + 0.5 * throttle) + _unit(chain)


def m_hammer(ctx: Ctx) -> np.ndarray:
    """Hammering nails into a board in a workshop: blows about 1.5-2 a second, in runs of 4-8 (one nail) with a
    pause for the next nail. A blow is steel on steel (a contact of ~0.1 ms): the nail clinks (a bending mode
    at a few kHz, rising as the nail goes in and its free length shortens, f ~ 1/L^2) and the board, too damped
    to ring as a tone, knocks (a noisy 150-1500 Hz burst dying in ~15 ms); the last blow of a run sets the
    nail flush: head on wood, a duller knock and no clink. The room's reverberation follows each blow."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    steel = replace(MATERIALS["metal"], t60=0.04, contact_ms=0.1, noise=0.3)
    m = int(0.08 * sr)
    k = np.arange(m) / sr
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.1:
        blows = int(rng.integers(4, 9))
        length = 1.0
        for b in range(blows):
            last = b == blows - 1
            a = rng.uniform(0.7, 1.0)
            knock = _bandpass(rng.standard_normal(m), 150 * p.pitch, (900 if last else 1500) * p.pitch, sr)
            knock *= np.exp(-k / (0.02 if last else 0.015))
            _place(ctx, out, knock / (np.abs(knock).max() + 1e-12), t, a)
            if not last:
                clink = _strike_ir(ctx, steel, min(rng.uniform(1800, 2600) * p.pitch / length**2, 9000))
                _place(ctx, out, clink / (np.abs(clink).max() + 1e-12), t, 0.5 * a)
            length = max(length - rng.uniform(0.1, 0.18), 0.35)
            t += rng.uniform(0.45, 0.65) / p.density ** 0.5
            if t > ctx.seconds - 0.1:
                break
        t += rng.uniform(0.8, 1.5)
    return _room(ctx, out, rng.uniform(0.4, 0.6), 0.5)


def drill_pinion_teeth(ctx: Ctx) -> int:
    """Teeth of a drill motor's pinion (the gearbox's first stage)."""
    return int(ctx.rng.integers(6, 10))


def m_drill(ctx: Ctx) -> np.ndarray:
    """Electric drill: a universal motor at 21-30 000 rpm (rotation 350-500 Hz, whining with its harmonics)
    with a cooling fan on its shaft blowing air through the vents (broadband rush, 1-9 kHz, growing with the
    square of the speed). The trigger is pulled for 1-2 s at a time: the motor spins up in ~50 ms and coasts
    down when released; when the bit bites into the material the load drops the speed by ~15 % and the cutting
    chatters (noise modulated at the chuck's turn, the gearbox dividing the motor's speed by ~12). The motor's
    pinion (6-9 teeth) meshing with the first gear whines at rotation x teeth (2-4.5 kHz)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    f_rot = rng.uniform(350, 500) * p.pitch ** 0.5
    segs = _bouts(ctx, (0.05, 0.3), (1.0, 2.2), (0.4, 0.9), 0.3)
    on = _segments_env(ctx, segs, 0.05, 0.25)
    bite = _segments_env(ctx, [(a + 0.3, max(d - 0.5, 0.1)) for a, d in segs], 0.1, 0.1)
    bite *= np.clip(_slow_curve(ctx, t, 4.0, 0.3), 0, None)
    rpm = f_rot * np.clip(on * 4, 0, 1) * (1 - 0.15 * bite) + 1.0
    motor = _osc(ctx, rpm, [1 / k ** 1.2 for k in range(1, 16)])
    fan = _bandpass(rng.standard_normal(ctx.n), 1000, 9000, sr) * (rpm / f_rot) ** 2
    chuck = rpm / rng.uniform(10, 15)
    chatter = _bandpass(rng.standard_normal(ctx.n), 1500, 8000, sr) * bite * (1 + 0.7 * np.sin(
        2 * np.pi * np.cumsum(chuck) / sr))
    mesh = _osc(ctx, rpm * drill_pinion_teeth(ctx), (1.0, 0.3))  # the gearbox's first stage
    return (_unit(fan) + 0.2 * _unit(motor) + 0.3 * _unit(mesh)) * on + 0.6 * _unit(chatter)


# ----------------------------------------------------------------------------------------------
# Alarms and vehicles
# ----------------------------------------------------------------------------------------------
# siren patterns: (low Hz, high Hz, period s)
SIREN_MODES: dict[str, tuple[float, float, float]] = {
    "wail": (650.0, 1500.0, 4.5),  # slow sweep up and down (US police / ambulance)
    "yelp": (650.0, 1500.0, 0.33),  # the same sweep three times a second
    "hilo": (440.0, 587.0, 1.3),  # European two-tone ("nee-naw"), alternating every half period
    "wind": (150.0, 500.0, 12.0),  # electro-mechanical civil-defence siren winding up and down
}


def siren_mode(ctx: Ctx) -> str:
    if _has(ctx, "yelp", "rapid", "fast"):
        return "yelp"
    if _has(ctx, "two tone", "hi lo", "nee", "european", "alternat", "ambulance", "fire"):
        return "hilo"
    if _has(ctx, "air raid", "civil", "tornado", "warning", "mechanical"):
        return "wind"
    return "wail"


def siren_frequency(ctx: Ctx, mode: str, t0: float) -> np.ndarray:
    """Fundamental (Hz, per sample) of the siren in ``mode`` starting its pattern at ``t0`` s."""
    lo, hi, period = SIREN_MODES[mode]
    lo, hi = lo * ctx.p.pitch, hi * ctx.p.pitch
    t = np.arange(ctx.n) / ctx.sr
    u = ((t - t0) / period) % 1.0
    if mode == "hilo":
        return np.where(u < 0.5, hi, lo)
    if mode == "wind":
        rise = 1 - np.exp(-np.clip(t - t0, 0, None) / 1.5)
        return lo + (hi - lo) * rise * (0.9 + 0.1 * np.cos(2 * np.pi * u))
    # up for 60 % of the period, down for 40 % (electronic sirens rise slower than they fall? -> both smooth)
    tri = np.where(u < 0.6, u / 0.6, (1 - u) / 0.4)
    shape = 0.5 - 0.5 * np.cos(np.pi * tri)
    return lo * (hi / lo) ** shape


def m_siren(ctx: Ctx) -> np.ndarray:
    """Electronic siren: a square-ish wave (strong odd harmonics) driving a horn loudspeaker, its pitch
    following the pattern named in the play method (:data:`SIREN_MODES`): a wail sweeping 650-1500 Hz every
    ~4.5 s, a yelp sweeping the same range three times a second, the European two-tone alternating 440 and
    587 Hz, or a civil-defence siren winding up. The horn passes ~400-5000 Hz."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    mode = siren_mode(ctx)
    f = siren_frequency(ctx, mode, rng.uniform(0, SIREN_MODES[mode][2]))
    if mode == "wind":
        x = _osc(ctx, f, [1 / k for k in range(1, 12)])  # rotor chopping the air: a sawtooth-like pulse
        x += 0.2 * _unit(_bandpass(rng.standard_normal(ctx.n), 300, 3000, sr))
    else:
        x = _osc(ctx, f, [(1.0 / k if k % 2 else 0.15 / k) for k in range(1, 16)], fmax=8000)
    x = _bandpass(x, 350, 5000 + 2000 * p.brightness, sr)
    return x


# horn kinds: (low fundamental range Hz, interval to the second horn in semitones, pulse duty, blast lengths s)
HORN_KINDS: dict[str, tuple[tuple[float, float], float, float, tuple[float, float]]] = {
    "car": ((380.0, 440.0), 4.0, 0.3, (0.6, 1.5)),  # electromagnetic diaphragm horns
    "air": ((230.0, 300.0), 5.0, 0.4, (0.8, 2.0)),  # truck / bus / fire engine: compressed air through a reed
    "fog": ((80.0, 150.0), 0.0, 0.45, (2.0, 3.0)),  # ship's horn / foghorn: one huge low horn
}


def horn_kind(ctx: Ctx) -> str:
    if _has(ctx, "ship", "boat", "ferry", "fog", "vessel", "tug", "liner"):
        return "fog"
    if _has(ctx, "truck", "lorry", "bus", "fire engine", "fire truck", "air horn", "semi", "coach", "tractor"):
        return "air"
    return "car"


def m_car_horn(ctx: Ctx) -> np.ndarray:
    """Horn (:data:`HORN_KINDS`, chosen by the name): a car's pair of electromagnetic horns, a diaphragm buzzed by
    an interrupter at ~400 and ~500 Hz (about a major third apart), the diaphragm's motion a clipped, pulse-like
    wave rich in harmonics radiated through a small trumpet; honks of a couple of short taps or a long blast.
    A truck, bus or fire engine has air horns (compressed air through reeds, ~230-300 Hz and a fourth above,
    longer blasts); a ship's horn (foghorn) is one huge low horn at 80-150 Hz blowing for seconds, its pitch
    settling as the air pressure builds at the start, the air rushing through it, echoing across the water."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    kind = horn_kind(ctx)
    (f_a, f_b), interval, duty_c, (long_a, long_b) = HORN_KINDS[kind]
    f_lo = rng.uniform(f_a, f_b) * p.pitch
    f_hi = f_lo * 2 ** ((interval + rng.uniform(-0.5, 0.5)) / 12) if interval else 0.0
    segs, t = [], rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.2:
        if kind == "car" and rng.random() < 0.5:
            for _ in range(int(rng.integers(2, 4))):
                d = rng.uniform(0.12, 0.25)
                segs.append((t, d))
                t += d + rng.uniform(0.08, 0.15)
        else:
            d = rng.uniform(long_a, long_b)
            segs.append((t, d))
            t += d
        t += rng.uniform(0.6, 1.5)
    attack = {"car": 0.015, "air": 0.05, "fog": 0.3}[kind]
    env = _segments_env(ctx, segs, attack, 3 * attack)
    duty = np.array([np.sinc(k * duty_c) * duty_c for k in range(1, 30)])  # a pulse: harmonics sinc(k d)
    tt = np.arange(ctx.n) / sr
    wob = 1 + 0.002 * np.sin(2 * np.pi * 6 * tt)
    if kind == "fog":  # the pitch settles from ~6 % low as the pressure builds at each blast's start
        starts = np.zeros(ctx.n)
        for s0, _ in segs:
            i0 = int(s0 * sr)
            if i0 < ctx.n:
                starts[i0:] = s0
        wob = wob * (1 - 0.06 * np.exp(-np.clip(tt - starts, 0, None) / 0.3))
    x = _osc(ctx, f_lo * wob, np.abs(duty))
    if f_hi:
        x = x + 0.9 * _osc(ctx, f_hi * wob, np.abs(duty))
    x = np.tanh(2.0 * _unit(x))
    lo_cut = {"car": 300, "air": 180, "fog": 60}[kind]
    x = _bandpass(x, lo_cut, 6000, sr) * env
    if kind == "fog":  # the rush of air through the horn, and the harbour's long echo
        air = _bandpass(rng.standard_normal(ctx.n), 200, 3000, sr) * env
        x = _room(ctx, _unit(x) + 0.3 * _unit(air), 2.5, 0.8, -50.0)
    return x


def m_train(ctx: Ctx) -> np.ndarray:
    """Train: a diesel's air horn is several tuned chime horns sounded together (a chord such as B-D#-F#-G#),
    air reeds buzzing rich in harmonics; at a crossing it blows long-long-short-long. Under it the rails:
    rolling noise of steel wheels on steel rails (broadband rumble swelling as the train passes) and, on
    jointed track, each axle clicking over each rail joint: a car's two bogies give "clickety ... clack"
    pairs of clicks an axle spacing apart (2.5 m at ~20 m/s, ~0.12 s), one pair per bogie, so a rhythm of about
    one per second. The play method chooses: a horn / whistle, the rails, or (default) both. A steam
    train whistles (one breathy chime) instead of the air horn, and chuffs as it pulls away (:func:`_chuffs`;
    "chuff"/"puff" in the play method: the chuffs and the rails only)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    horn_only = _has(ctx, "horn", "whistl", "honk", "toot", "blow")
    rails_only = _has(ctx, "rail", "track", "rumbl", "clack", "roll", "passing") and not horn_only
    out = np.zeros(ctx.n)
    if not horn_only:
        speed = rng.uniform(15, 25)
        pos = speed * t
        rumble = _bandpass(rng.standard_normal(ctx.n), 60, 1500 + 1500 * p.brightness, sr)
        rumble *= np.clip(_slow_curve(ctx, t, 0.3, 0.3), 0.3, None)
        car_len, bogie, axle = rng.uniform(18, 24), rng.uniform(12, 16), rng.uniform(2.2, 2.8)
        joint = rng.uniform(18, 25)  # rail length
        # every axle of every car crosses the joint at x = 0: times of the axles passing the listener's joint
        hits = []
        for c in range(int(pos[-1] / car_len) + 2):
            for off in (0.0, axle, bogie, bogie + axle):
                x = c * car_len + off - rng.uniform(0, joint)
                if 0 <= x < pos[-1]:
                    hits.append(x / speed)
        hits = np.asarray(hits)
        steel = _strike_ir(ctx, replace(MATERIALS["metal"], t60=0.15, noise=0.3), rng.uniform(300, 500))
        clicks = np.zeros(ctx.n)
        for h in hits:
            _place(ctx, clicks, steel, h, rng.uniform(0.6, 1.0))
        out += _unit(rumble) + 0.8 * _unit(clicks)
    if _has(ctx, "steam", "chuff", "puff") and not horn_only:
        out += 0.8 * _unit(_chuffs(ctx))
    if not rails_only and not _has(ctx, "chuff", "puff"):
        steam = _has(ctx, "steam")
        if steam:  # a chime whistle: a few bells (pipes) blown by steam, each a hole tone beating with its twin
            notes = rng.uniform(400, 500) * p.pitch * np.array([1.0, 1.26, 1.5])
            notes = np.concatenate([notes, notes + rng.uniform(12, 20)])
            amps = [1 / k ** 1.5 for k in range(1, 8)]
        else:
            base = rng.uniform(300, 330) * p.pitch  # ~D#4
            notes = base * 2 ** (np.array([0, 3, 7, 10]) / 12)
            amps = [1 / k ** 0.7 for k in range(1, 20)]
        pattern = (1.0, 0.9, 0.35, 1.5)
        segs, s = [], rng.uniform(0.05, 0.3)
        for d in pattern:
            segs.append((s, d))
            s += d + 0.3
        env = _segments_env(ctx, segs, 0.08, 0.15)
        horn = sum(_osc(ctx, f * (1 + 0.003 * np.sin(2 * np.pi * 5 * t)), amps, fmax=8000) for f in notes)
        breath = _unit(_bandpass(rng.standard_normal(ctx.n), 500, 4000, sr))
        horn = (_unit(horn) + 0.5 * breath) if steam else (np.tanh(1.5 * _unit(horn)) + 0.1 * breath)
        out += (1.6 if horn_only else 1.2) * _unit(_bandpass(horn, 200, 6000, sr)) * env
    return out


def chuff_rate(ctx: Ctx, wheel_d: float, speed: np.ndarray) -> np.ndarray:
    """Exhaust beats per second of a two-cylinder double-acting steam locomotive: four per turn of the driving
    wheels (diameter ``wheel_d`` m) at ``speed`` m/s."""
    return 4 * speed / (np.pi * wheel_d)


def _chuffs(ctx: Ctx) -> np.ndarray:
    """Steam exhaust beats: each cylinder exhausts twice per wheel turn up the chimney, a breathy burst of
    steam (400 Hz-7 kHz, ~30 ms rise, ~100 ms decay), strong and weak in turn; the engine pulls away, so the
    beats quicken (3 -> 8 m/s)."""
    rng, sr = ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    wheel_d = rng.uniform(1.5, 2.0)
    speed = 3.0 + 5.0 * t / ctx.seconds
    beats = np.floor(np.cumsum(chuff_rate(ctx, wheel_d, speed)) / sr)
    ev = np.flatnonzero(np.diff(beats, prepend=0.0) > 0)
    amps = np.where(np.arange(ev.size) % 2 == 0, 1.0, 0.6) * rng.uniform(0.8, 1.0, ev.size)
    env = signal.oaconvolve(_impulses(ctx, ev / sr, amps), _swell(sr, 0.03, 0.1, 0.25))[: ctx.n]
    return _bandpass(rng.standard_normal(ctx.n), 400, 7000, sr) * env


def m_aircraft(ctx: Ctx) -> np.ndarray:
    """Aircraft flying over. A jet: broadband mixing noise of the exhaust (a broad hump at a few hundred
    Hz), the fan's blade-pass whine (2-4 kHz) and its shaft-order "buzz-saw" tones, all Doppler-shifted as
    it passes (high on approach, lower after), swelling and fading with distance, with the ground reflection
    sweeping a comb filter through the spectrum (the characteristic phasing). A propeller plane (play method
    or name says so): the blade-pass buzz (2 blades at ~2400 rpm: ~80 Hz with many harmonics) and its
    piston engine, Doppler-shifted likewise."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    speed = rng.uniform(60, 90)
    height = rng.uniform(150, 300)
    t_c = rng.uniform(0.5, 0.7) * ctx.seconds
    dop, near = _doppler(ctx, t_c, speed, height)
    level = near**1.5
    if _has(ctx, "propel", "prop ", "small plane", "cessna", "biplane"):
        bpf = rng.uniform(70, 90) * p.pitch * dop
        buzz = _osc(ctx, bpf, [1 / k ** 0.7 for k in range(1, 60)], fmax=7000)
        eng = _osc(ctx, bpf * rng.uniform(1.4, 1.6), [1 / k for k in range(1, 20)], fmax=5000)
        noise = _bandpass(rng.standard_normal(ctx.n), 100, 3000, sr)
        x = _unit(buzz) + 0.4 * _unit(eng) + 1.2 * _unit(noise)  # the blades shed turbulence: broadband as loud as the tones
    else:
        jet = _bandpass(rng.standard_normal(ctx.n), 80, 1500 + 2000 * p.brightness, sr)
        jet += 0.3 * _bandpass(rng.standard_normal(ctx.n), 1500, 8000, sr)
        shaft = rng.uniform(80, 120) * p.pitch * dop
        blades = int(rng.integers(20, 30))
        whine = _osc(ctx, shaft * blades, (1.0, 0.3), fmax=12000)
        buzzsaw = _osc(ctx, shaft, [rng.uniform(0.2, 1.0) / k ** 0.5 for k in range(1, 40)], fmax=6000)
        x = _unit(jet) + 0.25 * _unit(whine) * near + 0.15 * _unit(buzzsaw)
    # ground reflection: path difference 2 h_mic sin(elevation) / c, h_mic ~1.5 m
    elev = height / np.sqrt((speed * (t - t_c)) ** 2 + height**2)
    delay = 2 * 1.5 * elev / 343.0 * sr
    x = x + 0.7 * _frac_delay(x, delay)
    return x * level


def helicopter_rates(ctx: Ctx) -> tuple[int, float, float]:
    """Blades, main-rotor blade-pass rate (Hz) and tail-rotor blade-pass rate (Hz) for this source."""
    blades = int(ctx.rng.choice([2, 4, 4, 5]))
    rpm = {2: ctx.rng.uniform(320, 400), 4: ctx.rng.uniform(260, 360), 5: ctx.rng.uniform(230, 300)}[blades]
    main = blades * rpm / 60 * float(np.clip(ctx.p.pitch, 0.7, 1.4))
    tail = main * ctx.rng.uniform(4.5, 6.0)
    return blades, main, tail


def m_helicopter(ctx: Ctx) -> np.ndarray:
    """Helicopter: the main rotor's blades pass 13-27 times a second (2-5 blades at 230-400 rpm), each pass
    an impulsive "wop" of blade slap (thickness noise and blade-vortex interaction: a sharp pressure pulse
    ringing 100-1500 Hz); the tail rotor's faster blade-pass buzz (4.5-6 x the main rate), the turboshaft's
    whine (several kHz) and broadband rotor noise sit underneath; the whole swells and fades as it passes."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    blades, main, tail = helicopter_rates(ctx)
    t_c = rng.uniform(0.4, 0.7) * ctx.seconds
    dop, near = _doppler(ctx, t_c, rng.uniform(20, 40), rng.uniform(60, 120))
    ph = np.cumsum(main * dop) / sr
    frac = ph % 1.0
    slap_env = np.exp(-np.minimum(frac, 1 - frac) / (0.06 + 0.03 * rng.random()))  # sharp pulse per blade pass
    slap = _bandpass(rng.standard_normal(ctx.n), 80, 1500 + 1000 * p.brightness, sr) * slap_env
    thump = _osc(ctx, main * dop, [1 / k ** 0.6 for k in range(1, 40)], fmax=2000)
    tail_buzz = _osc(ctx, tail * dop, [1 / k for k in range(1, 15)], fmax=4000)
    turbine = _osc(ctx, rng.uniform(5000, 7000) * dop, (1.0,))
    broad = _bandpass(rng.standard_normal(ctx.n), 100, 4000, sr)
    x = _unit(slap) + 0.6 * _unit(thump) + 0.3 * _unit(tail_buzz) + 0.05 * _unit(turbine) + 0.3 * _unit(broad)
    return x * near


def m_motorcycle(ctx: Ctx) -> np.ndarray:
    """Motorcycle: a twin four-stroke. A parallel twin with a 360 deg crank fires once every crank turn; a V-twin
    (idling, or named: Harley, cruiser) fires twice per two turns at uneven intervals (315 deg then 405 deg of
    crank for a 45 deg V: the "potato-potato" lope). Each exhaust blowdown pulse (~1 ms rise)
    rings a short exhaust (pipe modes 150-250 Hz and their overtones), with cycle-to-cycle variation in
    strength and timing, and the combustion rasp follows the firing. Ridden, it accelerates past: the rpm
    climbs from ~2500 to ~3750 over the clip, Doppler-shifted and swelling as it passes. "idl" in the play
    method keeps it idling (~900 rpm)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    v_twin = _has(ctx, "idl", "parked", "ticking over", "harley", "v twin", "cruiser", "chopper")
    if _has(ctx, "idl", "parked", "ticking over"):
        rpm = rng.uniform(850, 1000) * _slow_curve(ctx, t, 0.7, 0.03)
        dop, near = np.ones(ctx.n), np.ones(ctx.n)
    else:
        rpm = rng.uniform(2300, 2700) * float(np.clip(p.pitch, 0.6, 1.5)) ** 0.3
        rpm = rpm * (1 + 0.5 * np.clip(t / 4.0, 0, 1)) * _slow_curve(ctx, t, 1.0, 0.02)
        dop, near = _doppler(ctx, rng.uniform(0.5, 0.7) * ctx.seconds, rng.uniform(15, 25), rng.uniform(5, 10))
    crank = rpm / 60 * dop  # turns per second
    if v_twin:
        angle = np.cumsum(crank) / sr * 360.0 % 720.0  # degrees in the four-stroke cycle
        fire = ((angle >= 0) & (angle < 315)).astype(int)  # cylinder 1 fires at 0, cylinder 2 at 315
    else:
        fire = np.floor(np.cumsum(crank) / sr).astype(int) % 2  # a 360 deg twin: once every crank turn
    ev = np.flatnonzero(np.diff(fire, prepend=fire[0]) != 0)
    gains = np.clip(1 + 0.15 * rng.standard_normal(ev.size), 0.3, None)
    ev = np.clip(ev + (0.02 * sr * 60 / rpm[ev] * rng.standard_normal(ev.size)).astype(int), 0, ctx.n - 1)
    imp = _impulses(ctx, ev / sr, gains)
    m = int(0.05 * sr)
    tt = np.arange(m) / sr
    pulse = (tt / 0.001) * np.exp(1 - tt / 0.001)
    f_pipe = rng.uniform(150, 250) * p.pitch ** 0.5
    pipe = sum(a * np.sin(2 * np.pi * f * tt) * np.exp(-tt / tau)
               for f, tau, a in ((f_pipe, 0.02, 1.0), (f_pipe * 2.9, 0.01, 0.5), (f_pipe * 5.1, 0.006, 0.3)))
    x = _lowpass(signal.oaconvolve(imp, signal.fftconvolve(pulse, pipe)[:m])[: ctx.n], 3000, sr)
    env = signal.oaconvolve(imp, np.exp(-tt / 0.005))[: ctx.n]
    rasp = _bandpass(rng.standard_normal(ctx.n), 800, 5000, sr) * env
    return (_unit(x) + 0.15 * _unit(rasp)) * (0.3 + 0.7 * near)


def bicycle_bell_rates(ctx: Ctx) -> tuple[float, float]:
    """The dome's lowest mode (Hz) and the striker's hits per second."""
    return ctx.rng.uniform(1800, 2600) * ctx.p.pitch, ctx.rng.uniform(16, 24)


def m_bicycle_bell(ctx: Ctx) -> np.ndarray:
    """Bicycle bell, the rotary "ring-ring" kind: a flick of the thumb lever spins a toothed wheel whose
    clappers strike the inside of a steel dome (55-65 mm) 16-24 times a second, 6-11 hits a flick while it
    coasts; riders ring once or twice. The dome rings inharmonic shell modes from 1.8-2.6 kHz up (1 : 1.42 :
    2.01 : 2.53 : 3.2) for about a second, its two halves a few Hz apart so it beats."""
    rng = ctx.rng
    f_dome, rate = bicycle_bell_rates(ctx)
    dome = replace(MATERIALS["bell"], ratios=(1.0, 1.42, 2.01, 2.53, 3.2), t60=1.0, damping_exp=0.5,
                   contact_ms=0.08, noise=0.2)
    ir = _strike_ir(ctx, dome, f_dome, beat_hz=3.0, detune=0.0)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.2:
        for _ in range(int(rng.integers(1, 3))):  # ring, ring
            hits = int(rng.integers(6, 12))
            for k in range(hits):
                _place(ctx, out, ir, t + k / rate, rng.uniform(0.7, 1.0))
            t += hits / rate + rng.uniform(0.2, 0.35)
        t += rng.uniform(1.2, 2.5)
    return out


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
# name -> (keyword stems (matched at word starts, scored by server.sounds.synth.choose_model), render function).
# Stems are specific to each machine so that they do not take other sources: generic words ("ring", "hum",
# "engine", "water") stay with the older models, which also win ties.
MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "vacuum": (("vacuum", "hoover", "hoovering"), m_vacuum),
    "washing_machine": (("washing machine", "washer", "laundry", "tumble", "spin cycle"), m_washing_machine),
    "kettle": (("kettle", "teakettle", "boil"), m_kettle),
    "blender": (("blender", "blend", "smoothie", "food processor", "liquidis"), m_blender),
    "hair_dryer": (("hair", "dryer", "drier", "hairdryer", "blowdryer"), m_hair_dryer),
    "saw": (("saw", "sawing", "handsaw", "hacksaw", "chainsaw", "jigsaw"), m_saw),
    "hammer": (("hammering", "hammer", "mallet", "nail"), m_hammer),
    "drill": (("drill", "drilling", "screwdriver", "power tool"), m_drill),
    "typewriter": (("typewriter", "typing", "typist"), m_typewriter),
    "clock": (("clock", "tick tock", "ticking", "pendulum", "grandfather"), m_clock),
    "printer": (("printer", "inkjet", "print head"), m_printer),
    "phone_ring": (("phone", "telephon", "smartphone", "cellphone", "ringtone", "ring"), m_phone_ring),
    "doorbell": (("doorbell", "door bell", "ding dong", "door chime"), m_doorbell),
    "shutter": (("camera", "shutter", "photograph", "snapshot", "slr"), m_shutter),
    "flush": (("toilet", "flush", "lavatory", "loo"), m_flush),
    "tap": (("running water", "water running", "sink", "washbasin", "basin", "tap water", "gush"), m_tap),
    "siren": (("siren", "ambulance", "police car", "fire engine", "fire truck", "emergency", "nee naw", "wail"),
              m_siren),
    "car_horn": (("car horn", "horn", "honk", "hooter", "beep"), m_car_horn),
    "train": (("train", "locomotive", "railway", "railroad", "rail", "track", "clickety", "freight", "horn"),
              m_train),
    "aircraft": (("aircraft", "air", "airplane", "aeroplane", "plane", "jet", "airliner", "flyover", "propeller"),
                 m_aircraft),
    "helicopter": (("helicopter", "chopper", "rotor", "hover"), m_helicopter),
    "motorcycle": (("motorcycle", "motorbike", "moped", "scooter", "harley", "dirt bike", "motor", "rev"),
                   m_motorcycle),
    "bicycle_bell": (("bicycle", "bike", "cycle", "bell", "ring"), m_bicycle_bell),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as; the first
# is its own class. "Kettle whistle" is an ontology class that YAMNet does not output.
AUDIOSET: dict[str, tuple[str, ...]] = {
    "vacuum": ("Vacuum cleaner",),
    "washing_machine": ("Mechanisms", "Slosh", "Splash, splatter", "Liquid", "Water", "Spray", "Whir", "Vibration",
                        "Rumble", "Hum"),
    "kettle": ("Kettle whistle", "Steam whistle", "Whistle", "Boiling", "Steam", "Hiss"),
    "blender": ("Blender",),
    "hair_dryer": ("Hair dryer",),
    "saw": ("Sawing", "Power tool", "Chainsaw", "Tools", "Wood"),
    "hammer": ("Hammer", "Tools"),
    "drill": ("Drill", "Power tool", "Dental drill, dentist's drill", "Tools"),
    "typewriter": ("Typewriter", "Typing", "Computer keyboard"),  # a computer keyboard is its own typing branch
    "clock": ("Clock", "Tick", "Tick-tock", "Chime", "Ratchet, pawl", "Mechanisms", "Clicking"),
    "printer": ("Printer", "Mechanisms", "Clatter", "Whir"),
    "phone_ring": ("Telephone bell ringing", "Telephone", "Ringtone", "Alarm clock", "Beep, bleep", "Alarm"),
    "doorbell": ("Doorbell", "Ding-dong", "Ding", "Chime"),
    "shutter": ("Camera", "Single-lens reflex camera"),
    "flush": ("Toilet flush", "Water", "Gurgling", "Gush", "Liquid"),
    "tap": ("Water tap, faucet", "Sink (filling or washing)", "Bathtub (filling or washing)", "Fill (with liquid)",
            "Water", "Pour", "Gush", "Trickle, dribble", "Liquid", "Gurgling", "Slosh", "Splash, splatter"),
    "siren": ("Siren", "Police car (siren)", "Ambulance (siren)", "Fire engine, fire truck (siren)",
              "Emergency vehicle", "Civil defense siren"),
    "car_horn": ("Vehicle horn, car horn, honking", "Toot", "Car", "Air horn, truck horn", "Foghorn", "Ship"),
    "train": ("Train", "Train horn", "Train whistle", "Steam whistle", "Steam", "Rail transport",
              "Railroad car, train wagon",
              "Clickety-clack", "Train wheels squealing", "Air horn, truck horn"),
    "aircraft": ("Aircraft", "Aircraft engine", "Jet engine", "Fixed-wing aircraft, airplane", "Propeller, airscrew",
                 "Rumble"),
    "helicopter": ("Helicopter", "Aircraft"),
    "motorcycle": ("Motorcycle", "Engine", "Accelerating, revving, vroom", "Motor vehicle (road)", "Idling"),
    "bicycle_bell": ("Bicycle bell", "Bell", "Ding", "Jingle, tinkle", "Bicycle"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here (when this module is imported first);
# the functions above look these names up when they run.
from .synth import (  # noqa: E402
    MATERIALS,
    Ctx,
    _bandpass,
    _bubble,
    _has,
    _impulses,
    _lowpass,
    _modal_ir,
    _place,
    _slow_curve,
    _strike_ir,
    _unit,
)
