"""Textures of many tiny events: creaking, squeaking, crumpling, rustling, trickling sand, each from its physics
(stick-slip, friction squeal, crackling noise, leaf contacts, grain impacts).

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

The keyword stems are a subset of the core models' (creak, crinkle, rustle, stream), so a description that names no
model keeps landing on the core model (a tie goes to the core table); the vocabulary names these models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import signal


def _metallic(ctx: Ctx) -> bool:
    d = ctx.desc
    text = f"{d.material} {d.play_method} {' '.join(d.timbre)}".lower() if d is not None else ""
    return any(w in text for w in ("metal", "steel", "iron", "chain", "spring"))


# ----------------------------------------------------------------------------------------------
# Creaking: stick-slip
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Motion:
    """How the load moves a creaking joint: strokes of ``period_s`` (``per_period`` creaks each, e.g. a swing's
    chain squeaks at both ends of its arc), each creak lasting ``duty`` of its share of the period."""

    period_s: tuple[float, float]
    per_period: int
    duty: tuple[float, float]
    contacts: int  # joints slipping at once (a wicker basket: many fibre crossings)


# A rocking chair or a cradle rocks once every 1-2 s (a pendulum of ~0.5-1 m: T = 2 pi sqrt(L/g)) and creaks
# once per rock; a swing (L ~ 2 m) has a 2.5-3 s period and its chain squeaks at both ends of the arc; a sprung
# seat bounces at 1-2 Hz under a shifting body; a screw is driven by wrist turns of 0.6-0.9 s; a wicker basket
# flexed in the hands creaks at many crossings at once.
MOTIONS: dict[str, Motion] = {
    "rock": Motion((1.2, 1.8), 1, (0.55, 0.75), 1),
    "swing": Motion((2.5, 3.0), 2, (0.55, 0.7), 1),
    "spring": Motion((0.7, 1.1), 1, (0.5, 0.7), 2),
    "screw": Motion((0.6, 0.9), 1, (0.55, 0.75), 1),
    "wicker": Motion((0.9, 1.6), 1, (0.6, 0.8), 3),
    "load": Motion((1.3, 2.2), 1, (0.5, 0.8), 1),
}
_MOTION_WORDS = (("swing", ("swing",)), ("rock", ("rock", "cradle")), ("spring", ("spring", "couch", "sofa", "mattress")),
                 ("screw", ("screw", "corkscrew")), ("wicker", ("wicker", "basket", "rattan")))

SLIP_PEAK_HZ = (25.0, 45.0)  # slips per second at the stroke's fastest (the rate wanders with load and speed)
SLIP_ONSET = 0.3  # below this share of the peak rate the joint stays stuck (the spring never reaches the limit)
MU_JITTER = 0.25  # spread of the static friction from asperity to asperity: period and size of each slip
WOOD_MODES = (300.0, 6000.0, 18, 0.006)  # lo, hi Hz, count, T60 s: a joint's small, heavily damped pieces
METAL_MODES = (600.0, 6000.0, 18, 0.01)  # a chain link or a spring coil: stiffer, rings a little longer
RADIATION_HP = 600.0  # a joint is a small radiator: little below ~600 Hz


def creak_motion(ctx: Ctx) -> str:
    """The kind of motion (a key of :data:`MOTIONS`) named by the play method or the name; "load" otherwise."""
    for kind, stems in _MOTION_WORDS:
        if _has(ctx, *stems):
            return kind
    return "load"


def _stroke_speed(ctx: Ctx, motion: Motion, dur_s: tuple[float, float] | None = None) -> np.ndarray:
    """Sliding speed at the joint (0..1 per sample): one minimum-jerk bell per creak, ``per_period`` creaks per
    period, the period jittered a few per cent (a hand or a body keeps the rhythm loosely). Each bell lasts
    ``motion.duty`` of its share of the period, or ``dur_s`` seconds when given."""
    rng, sr = ctx.rng, ctx.sr
    v = np.zeros(ctx.n)
    period = rng.uniform(*motion.period_s)
    share = period / motion.per_period
    t = rng.uniform(0.0, 0.5 * share)
    while t < ctx.seconds:
        d = share * rng.uniform(*motion.duty) if dur_s is None else rng.uniform(*dur_s)
        i0, m = int(t * sr), int(d * sr)
        m = min(m, ctx.n - i0)
        if m > 8:
            u = np.arange(m) / (d * sr)
            v[i0:i0 + m] = np.maximum(v[i0:i0 + m], 16 * u ** 2 * (1 - u) ** 2 * rng.uniform(0.75, 1.0))
        t += share * (1 + 0.06 * rng.standard_normal())
    return v


def _slip_times(ctx: Ctx, rate: np.ndarray, onset: float, jitter: float = MU_JITTER
                ) -> tuple[np.ndarray, np.ndarray]:
    """Stick-slip: the joint sticks while the spring (the wood's compliance) loads at the sliding speed, and slips
    when the force reaches the static friction, dropping it by a step. The stick time is (static limit) / (loading
    rate): slips come at ``rate`` per second, each stick time and force step scaled by the asperity's own static
    friction (``jitter``, :data:`MU_JITTER` for a creak). Below ``onset`` slips per second the joint stays stuck."""
    rng, sr = ctx.rng, ctx.sr
    times, amps = [], []
    t = 0.0
    while t < ctx.seconds - 0.002 and len(times) < 50000:
        r = rate[min(int(t * sr), ctx.n - 1)]
        if r < onset:
            t += 0.003
            continue
        mu = max(0.2, 1.0 + jitter * rng.standard_normal())
        times.append(t)
        amps.append(mu)
        t += mu / r
    return np.asarray(times), np.asarray(amps)


def m_creak_slip(ctx: Ctx) -> np.ndarray:
    """A joint creaking under a moving load: stick-slip. Each slip is a sudden force drop (an impulse) that rings
    the joint's small, heavily damped pieces (dense modes 300-6000 Hz, T60 ~6 ms in wood, ~30 ms in a metal link
    or coil); slips come at 25-45 per second at the stroke's fastest, the rate following the sliding speed and
    wandering with the load, and stop when the joint sticks (so each creak starts and ends in separate ticks).
    The motion sets the rhythm (:data:`MOTIONS`): once per rock for a rocking chair or a cradle, at both ends of
    the arc for a swing's chain, per bounce for springs, per wrist turn for a screw, many crossings at once for
    wicker."""
    rng, sr, p = ctx.rng, ctx.sr, ctx.p
    motion = MOTIONS[creak_motion(ctx)]
    lo, hi, count, t60 = METAL_MODES if _metallic(ctx) else WOOD_MODES
    out = np.zeros(ctx.n)
    t = np.arange(ctx.n) / sr
    for _ in range(motion.contacts):
        v = _stroke_speed(ctx, motion)
        load = np.clip(_slow_curve(ctx, t, 3.0, 0.4), 0.3, None)
        peak = rng.uniform(*SLIP_PEAK_HZ) * p.density
        times, mu = _slip_times(ctx, peak * v / load, SLIP_ONSET * peak)
        if times.size == 0:
            times, mu = np.array([0.5 * ctx.seconds]), np.ones(1)
        # the force step grows with the load and the asperity's static friction
        amps = mu * np.interp(times, t, load) * rng.choice([-1.0, 1.0], times.size)
        f = np.exp(rng.uniform(np.log(lo * p.pitch), np.log(min(hi * p.pitch, 0.45 * sr)), count))
        t60s = t60 * p.decay * rng.uniform(0.5, 1.5, count) * (f / lo) ** -0.3
        a = rng.uniform(0.3, 1.0, count) * (f / lo) ** (-0.6 + 1.2 * p.brightness)
        ir = _modal_ir(ctx, f, t60s, a)
        out += signal.oaconvolve(_impulses(ctx, times, amps), ir)[: ctx.n]
    return _highpass(out, RADIATION_HP, sr)


SQUEAK_SLIP_HZ = (600.0, 1400.0)  # slips per second from a squeak's start to its fastest (locked near a mode)
SQUEAK_S = (0.15, 0.35)  # one squeak: the pivot turns under load for a fraction of a second
SQUEAK_JITTER = 0.01  # locked to a mode, the slips are far more regular than a creak's
SQUEAK_ONSET = 0.15  # below this share of the peak speed the pivot sticks
SQUEAK_MODES = (1000.0, 6000.0, 16, 0.01)  # lo, hi Hz, count, T60 s: a chain link, a screw, a spring coil


def m_squeak_slip(ctx: Ctx) -> np.ndarray:
    """A squeak: stick-slip fast enough to lock near a mode of the small parts in contact (friction squeal,
    Akay 2002). A chain link turning on its hook, a screw driven into wood or a spring coil rubbing its
    neighbour slips 600-1400 times a second, the rate rising and falling with the sliding speed through the
    squeak (0.15-0.35 s), nearly regular (±1 %), each slip ringing the part's modes (1-6 kHz, T60 ~10 ms): a
    short, gliding, slightly rough tone. The motion sets the rhythm as for a creak (:data:`MOTIONS`): at both
    ends of a swing's arc, once per wrist turn of a screw, per bounce of a sprung seat, once per rock."""
    return _squeal(ctx, _stroke_speed(ctx, MOTIONS[creak_motion(ctx)], SQUEAK_S))


def _squeal(ctx: Ctx, v: np.ndarray) -> np.ndarray:
    """The squeak of :func:`m_squeak_slip` for a sliding speed ``v`` (0..1 per sample)."""
    rng, sr, p = ctx.rng, ctx.sr, ctx.p
    lo_hz, hi_hz = (f * p.pitch for f in SQUEAK_SLIP_HZ)
    rate = np.where(v >= SQUEAK_ONSET, lo_hz + (hi_hz - lo_hz) * v, 0.0)
    times, mu = _slip_times(ctx, rate, 1.0, SQUEAK_JITTER)
    if times.size == 0:
        times, mu = np.array([0.5 * ctx.seconds]), np.ones(1)
    amps = mu * np.interp(times, np.arange(ctx.n) / sr, v)
    lo, hi, count, t60 = SQUEAK_MODES
    f = np.exp(rng.uniform(np.log(lo), np.log(min(hi, 0.45 * sr)), count))
    ir = _modal_ir(ctx, f, t60 * p.decay * rng.uniform(0.5, 1.5, count), rng.uniform(0.3, 1.0, count))
    return signal.oaconvolve(_impulses(ctx, times, amps), ir)[: ctx.n]


# A sprung seat (a couch, a mattress, an old armchair): the load bounces on coil springs; the coils rub their
# neighbours and the frame (squeak_slip's squeal) and, each time the load lands, the coil under it rings at its surge
# modes: fixed-fixed, f_n = n (1/2) sqrt(k / m_coil): k 2-8 kN/m and 10-25 g of wire give ~140-450 Hz; the coil's
# ends make the overtones a few per cent sharp of harmonic; the upholstery damps it within about a tenth of a second.
COIL_SURGE_HZ = (150.0, 350.0)  # a seat coil's first surge mode (picked within 140-450 Hz on seeds 0-3)
COIL_OVERTONES = (1.0, 2.05, 3.1)  # n = 1, 2, 3, a little stretched by the coil's closed ends
COIL_AMPS = (1.0, 0.5, 0.3)
COIL_T60_S = 0.1  # steel wire ringing inside the padding, which damps it (picked within 0.1-0.4 s on seeds 0-3)
COIL_LEVEL = 0.6  # the coil's ring against the squeak (RMS; picked on seeds 0-3)
BOUNCE_ONSET = 0.05  # a bounce starts when the seat's speed rises past this share of its peak


def m_spring_squeak(ctx: Ctx) -> np.ndarray:
    """A sprung seat bounced on: each bounce (per :data:`MOTIONS`' spring rhythm, 0.7-1.1 s) the coils rub
    their neighbours and the frame — :func:`m_squeak_slip`'s friction squeal — and the coil the load lands on
    rings at its surge modes (150-350 Hz and its near-harmonic overtones, T60 ~0.1 s in the padding), struck
    at the bounce's start, ~4 dB under the squeak (RMS)."""
    rng, sr = ctx.rng, ctx.sr
    v = _stroke_speed(ctx, MOTIONS[creak_motion(ctx)], SQUEAK_S)
    squeak = _squeal(ctx, v)
    landings = np.flatnonzero((v[1:] > BOUNCE_ONSET) & (v[:-1] <= BOUNCE_ONSET)) / sr
    f = rng.uniform(*COIL_SURGE_HZ, len(COIL_OVERTONES)) * np.asarray(COIL_OVERTONES) * ctx.p.pitch
    ir = _modal_ir(ctx, f, np.full(f.size, COIL_T60_S * ctx.p.decay), np.asarray(COIL_AMPS))
    coil = signal.oaconvolve(_impulses(ctx, landings, rng.uniform(0.5, 1.0, landings.size)), ir)[: ctx.n]
    return squeak / (np.std(squeak) + 1e-12) + COIL_LEVEL * coil / (np.std(coil) + 1e-12)


# A screw driven by hand: each wrist turn (0.6-0.9 s) the thread squeals in the wood (squeak_slip's squeal); then the
# hand turns back to regrip and the bit, lifted a little, drops back into the slot: a small steel click.
REGRIP_DELAY_S = (0.05, 0.15)  # the wrist turns back after a turn before the bit reseats
BIT_MODES = (2000.0, 7000.0, 8, 0.02)  # lo, hi Hz, count, T60 s: a screwdriver's tip and the screw's head
BIT_LEVEL = 0.3  # the clicks' RMS against the squeal's (~10 dB under; picked on seeds 0-3)
TURN_END = 0.02  # a turn ends when the sliding speed falls below this share of its peak


def m_screw_drive(ctx: Ctx) -> np.ndarray:
    """A screw driven into wood by hand: each wrist turn the thread squeals against the wood
    (:func:`m_squeak_slip`'s friction squeal, once per 0.6-1.1 s turn), and 50-150 ms after the turn the hand
    turns back to regrip and the bit drops back into the slot: a small steel click (modes 2-7 kHz, T60 ~20 ms)
    ~10 dB under the squeal."""
    rng, sr = ctx.rng, ctx.sr
    v = _stroke_speed(ctx, MOTIONS[creak_motion(ctx)], SQUEAK_S)
    squeak = _squeal(ctx, v)
    ends = np.flatnonzero((v[1:] <= TURN_END) & (v[:-1] > TURN_END)) / sr + rng.uniform(*REGRIP_DELAY_S)
    lo, hi, count, t60 = BIT_MODES
    f = np.exp(rng.uniform(np.log(lo), np.log(min(hi, 0.45 * sr)), count))
    ir = _modal_ir(ctx, f, np.full(count, t60 * ctx.p.decay), rng.uniform(0.3, 1.0, count))
    ends = ends[ends < ctx.seconds]
    clicks = signal.oaconvolve(_impulses(ctx, ends, rng.uniform(0.5, 1.0, ends.size)), ir)[: ctx.n]
    clicks = _highpass(clicks, 1500.0, sr)
    return squeak / (np.std(squeak) + 1e-12) + BIT_LEVEL * clicks / (np.std(clicks) + 1e-12)


# A hanging chain (a swing's, a punching bag's): the link on the hook squeaks while it turns, and the links below
# pivot on one another through the whole half swing, knocking as they turn (the thin steel rings of a chain:
# RING_RATIOS from 2.5-6 kHz, ringing 30-100 ms, as in clatter's links).
LINK_KNOCK_RATE = 100.0  # link-on-link knocks a second at the swing's fastest (as for links moved by a hand)
LINK_SWING_S = 0.6  # the links turn through most of a half swing: the squeak's speed smoothed over ~0.6 s
LINK_LEVEL = 0.6  # the knocks' RMS against the squeak's (~4 dB under: the squeak is the louder, picked on seeds 0-3)
CHAIN_LINK_HZ = (2500.0, 6000.0)  # a chain link's first in-plane mode (15-30 mm radius, 5-8 mm wire)
LINK_GRID_S = 0.005  # the knocks' Poisson stream is drawn on a 5 ms grid


def m_chain_squeak(ctx: Ctx) -> np.ndarray:
    """A chain swinging on its hook: the top link squeaks as it turns on the hook (:func:`m_squeak_slip`'s
    friction squeal, in the motion's rhythm: at both ends of a swing's arc) and the links below pivot on one
    another through the half swing, knocking as they turn: a Poisson stream of up to ~100 knocks a second
    following the swing's speed (the squeak's speed smoothed over ~0.6 s), each a hard steel click ringing the
    two thin rings that meet (first mode 2.5-6 kHz, T60 30-100 ms)."""
    rng, sr, p = ctx.rng, ctx.sr, ctx.p
    v = _stroke_speed(ctx, MOTIONS[creak_motion(ctx)], SQUEAK_S)
    squeak = _squeal(ctx, v)
    w = max(int(LINK_SWING_S * sr), 3)
    swing = signal.oaconvolve(v, np.hanning(w))[w // 2: w // 2 + ctx.n]
    swing = np.clip(swing / (swing.max() + 1e-12), 0.0, 1.0)
    f1 = np.exp(rng.uniform(np.log(CHAIN_LINK_HZ[0]), np.log(CHAIN_LINK_HZ[1]), 10))
    bank = _part_bank(ctx, f1, RING_RATIOS, rng.uniform(0.03, 0.1, 10) * p.decay, damping_exp=0.5, points=2,
                      detune=0.03)
    step = max(int(LINK_GRID_S * sr), 1)
    counts = rng.poisson(LINK_KNOCK_RATE * swing[::step] * step / sr)
    hits = [((k + rng.uniform(0.0, 1.0)) * step / sr, rng.uniform(0.2, 1.0) * swing[k * step])
            for k in np.flatnonzero(counts) for _ in range(counts[k])]
    links = _highpass(_collide(ctx, hits, bank, _clicks(ctx, 6, (0.05, 0.3), 1500, 0.45 * sr), 0.5), 200, sr)
    return squeak / (np.std(squeak) + 1e-12) + LINK_LEVEL * links / (np.std(links) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Crumpling: crackling noise
# ----------------------------------------------------------------------------------------------
CRUMPLE_GESTURE_S = (0.4, 1.0)  # a squeeze of the hands
CRUMPLE_GAP_S = (0.02, 0.1)  # between squeezes: the hands shift their grip, the sheet nearly silent
CRUMPLE_CLICK_RATE = 2000.0  # creases giving way per second at the squeeze's strongest
CRUMPLE_ENERGY_EXP = 1.5  # P(E) ~ E^-exp (Houle & Sethna 1996 ~1.3-1.6; Kramer & Lobkovsky 1996)
CRUMPLE_ENERGY_MAX = 300.0  # energy of the largest click against the smallest (a finite sheet)
CRUMPLE_CLICK_MS = (3.0, 10.0)  # a crease buckling through: a few-ms transient
SLIDE = 0.05  # the sheet sliding on itself: its hiss against the clicks (RMS ratio)
SHEET_BAND = {"paper": (2500.0, 7500.0), "plastic": (3000.0, 12000.0)}  # the sheet's radiating band, Hz


def _gestures(ctx: Ctx, length_s: tuple[float, float], gap_s: tuple[float, float]) -> np.ndarray:
    """The hands' squeezing force (0..1): bells of ``length_s`` separated by rests of ``gap_s``."""
    rng, sr = ctx.rng, ctx.sr
    force = np.zeros(ctx.n)
    t = rng.uniform(0.02, 0.2)
    while t < ctx.seconds:
        d = rng.uniform(*length_s)
        i0 = int(t * sr)
        m = min(int(d * sr), ctx.n - i0)
        if m > 8:
            force[i0:i0 + m] += np.sin(np.pi * np.arange(m) / (d * sr)) * rng.uniform(0.5, 1.0)
        t += d + rng.uniform(*gap_s)
    if not force.any():
        force[: ctx.n // 2] = np.sin(np.pi * np.arange(ctx.n // 2) / (ctx.n // 2))
    return force


GRAIN_LENGTHS = 6  # grain lengths log-spaced over a contact's range: one convolution each, whatever the count


def _grains(ctx: Ctx, idx: np.ndarray, amps: np.ndarray, ms: tuple[float, float]) -> np.ndarray:
    """Noise grains (Hann-windowed, :data:`GRAIN_LENGTHS` lengths log-spread over ``ms``) at sample ``idx`` with
    ``amps``."""
    rng, sr = ctx.rng, ctx.sr
    env = np.zeros(ctx.n)
    which = rng.integers(0, GRAIN_LENGTHS, idx.size)
    for k, length in enumerate(np.exp(np.linspace(np.log(ms[0]), np.log(ms[1]), GRAIN_LENGTHS))):
        sel = which == k
        if not sel.any():
            continue
        imp = np.zeros(ctx.n)
        np.add.at(imp, idx[sel], amps[sel])
        env += signal.oaconvolve(imp, np.hanning(max(int(length * 1e-3 * sr), 3)))[: ctx.n]
    return env * rng.standard_normal(ctx.n)


def sheet_kind(ctx: Ctx) -> str:
    """plastic (a bag, a wrapper, foil, film) or paper: the key of :data:`SHEET_BAND`."""
    d = ctx.desc
    text = f"{d.name} {d.material}".lower() if d is not None else ""
    plastic = ("plastic", "polyethylene", "bag", "wrapper", "foil", "cellophane", "film", "crisp packet")
    return "plastic" if any(w in text for w in plastic) else "paper"


def m_crumple(ctx: Ctx) -> np.ndarray:
    """A sheet crumpled in the hands: crackling noise. While a squeeze lasts (0.4-1 s, :func:`_gestures`, with
    brief rests of 20-100 ms between squeezes in which the sheet is nearly silent), creases give way one after
    another as clicks, a Poisson train following the hands' force (up to ~2000 a second at the squeeze's
    strongest), whose energies follow a power law P(E) ~ E^-1.5 over 2.5 decades (Houle & Sethna 1996; Kramer &
    Lobkovsky 1996): very many faint ones, a few loud. Each click is a 3-10 ms broadband transient radiated
    through the sheet's band (paper 2.5-7.5 kHz, thin plastic film 3-12 kHz); the sheet sliding on itself adds a
    faint hiss under the squeeze."""
    force = _gestures(ctx, CRUMPLE_GESTURE_S, CRUMPLE_GAP_S)
    lo, hi = SHEET_BAND[sheet_kind(ctx)]
    return _contacts(ctx, force, CRUMPLE_CLICK_RATE, CRUMPLE_ENERGY_MAX, CRUMPLE_CLICK_MS, (lo, hi))


def _contacts(ctx: Ctx, force: np.ndarray, rate: float, energy_max: float, ms: tuple[float, float],
              band: tuple[float, float]) -> np.ndarray:
    """Contact events driven by a force: a Poisson train at up to ``rate`` a second following ``force``, energies
    P(E) ~ E^-:data:`CRUMPLE_ENERGY_EXP` capped at ``energy_max``, each a noise grain of ``ms`` through ``band``
    (moved up or down by the brightness), plus the faint hiss of the surfaces sliding (:data:`SLIDE`)."""
    rng, sr, p = ctx.rng, ctx.sr, ctx.p
    lam = rate * p.density * (0.02 + 0.98 * force / force.max())
    idx = np.nonzero(rng.poisson(lam / sr))[0]
    energy = np.minimum((1.0 - rng.random(idx.size)) ** (-1.0 / (CRUMPLE_ENERGY_EXP - 1.0)), energy_max)
    amps = np.sqrt(energy) * np.sqrt(force[idx] + 0.05)
    lo, hi = band[0] * (0.8 + 0.4 * p.brightness), min(band[1] * (0.8 + 0.4 * p.brightness), 0.45 * sr)
    clicks = _bandpass(_grains(ctx, idx, amps, ms), lo, hi, sr)
    slide = _bandpass(rng.standard_normal(ctx.n), 1000.0, min(6000.0, 0.45 * sr), sr) * force
    return clicks / (np.std(clicks) + 1e-12) + SLIDE * slide / (np.std(slide) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Leaves and sand
# ----------------------------------------------------------------------------------------------
LEAF_MOVE_S = (0.4, 1.0)  # a branch swaying through, a hand brushing the plant: one movement
LEAF_REST_S = (0.02, 0.1)  # between movements
LEAF_CONTACT_RATE = 2000.0  # leaf-on-leaf contacts per second at a movement's strongest (many leaves)
LEAF_ENERGY_MAX = 10.0  # leaves slide onto each other rather than snap: a narrow spread of contact energies
LEAF_CONTACT_MS = (8.0, 25.0)  # a leaf sliding across its neighbour: a soft-onset swish of 8-25 ms
LEAF_BAND = (2500.0, 7500.0)  # thin, light blades radiate mostly in 2-6 kHz
GUST_HZ = 0.5  # in a breeze the gusts swell and fade over seconds (0.1-1 Hz)
GUST_DEPTH = 0.8


def m_leaf_rustle(ctx: Ctx) -> np.ndarray:
    """Leaves rustling: many leaf-on-leaf contacts. While a branch sways through or a hand brushes the plant
    (movements of 0.4-1 s with brief rests), leaves slide across their neighbours at up to ~2000 contacts a
    second following the movement's force; each contact is a soft-onset swish of 8-25 ms radiated by the thin
    blades in 2.5-7.5 kHz, with a narrow spread of energies (sliding, not snapping: a crumpled sheet's creases
    span 2.5 decades, a leaf's contacts one). In a breeze (a play method saying breeze, wind or gust) the
    movements swell and fade with the gusts (0.1-1 Hz)."""
    sr = ctx.sr
    force = _gestures(ctx, LEAF_MOVE_S, LEAF_REST_S)
    if _has(ctx, "breez", "wind", "gust"):
        t = np.arange(ctx.n) / sr
        force = force * np.clip(_slow_curve(ctx, t[::256], GUST_HZ, GUST_DEPTH), 0.05, None).repeat(256)[: ctx.n]
    return _contacts(ctx, force, LEAF_CONTACT_RATE, LEAF_ENERGY_MAX, LEAF_CONTACT_MS, LEAF_BAND)


# An hourglass's lower bulb: the stream lands on the apex of a small cone (2-4 cm), which steepens past the angle of
# repose and lets go: the grains slide down the flank in avalanches (Jaeger, Liu & Nagel 1989: a slowly fed heap
# relaxes in discrete avalanches). The sound is the grains sliding over the layer beneath, not the stream's landing.
SAND_AVALANCHE_S = (0.4, 1.0)  # one avalanche: the flank (2-4 cm) run down at ~5-10 cm/s
SAND_RECHARGE_S = (0.02, 0.1)  # the stream steepens the apex again within a fraction of a second (~0.5 g/s fed)
SAND_CONTACT_RATE = 4000.0  # grain-cluster slips a second at an avalanche's strongest (thousands of grains)
SAND_ENERGY_MAX = 3.0  # sieved grains are alike: their slips' energies spread far less than a crease's or a leaf's
SAND_CONTACT_MS = (8.0, 25.0)  # a cluster of grains sliding over the layer beneath: a soft-onset swish
SAND_BAND = (2000.0, 7500.0)  # 0.1-0.5 mm grains radiate only high up (the glass bulb adds little below 2 kHz)


def m_sand_trickle(ctx: Ctx) -> np.ndarray:
    """Sand trickling in an hourglass: the stream lands on the apex of the lower pile, which steepens past the
    angle of repose and lets go, the grains sliding down its flank in avalanches of 0.4-1 s (the flank run down at
    ~5-10 cm/s) that follow each other after 20-100 ms (the stream recharges the apex). While an avalanche runs,
    clusters of grains slip over the layer beneath at up to ~4000 a second following its strength, each a
    soft-onset swish of 8-25 ms radiated above ~2 kHz, their energies spread narrowly (the grains are alike: a
    crease's energies span 2.5 decades, a grain cluster's half of one); between avalanches only the stream's
    landings (2 % of the rate) are heard."""
    force = _gestures(ctx, SAND_AVALANCHE_S, SAND_RECHARGE_S)
    return _contacts(ctx, force, SAND_CONTACT_RATE, SAND_ENERGY_MAX, SAND_CONTACT_MS, SAND_BAND)


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "creak_slip": (("creak",), m_creak_slip),
    "squeak_slip": (("squeak",), m_squeak_slip),
    "chain_squeak": (("chain squeak",), m_chain_squeak),
    "spring_squeak": (("spring squeak",), m_spring_squeak),
    "screw_drive": (("screw squeak",), m_screw_drive),
    "crumple": (("crumpl",), m_crumple),
    "leaf_rustle": (("rustl",), m_leaf_rustle),
    "sand_trickle": (("trickl",), m_sand_trickle),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "creak_slip": ("Creak", "Squeak", "Wood"),
    "squeak_slip": ("Squeak", "Creak"),
    "chain_squeak": ("Squeak", "Creak", "Clatter"),
    "spring_squeak": ("Squeak", "Creak", "Boing"),
    "screw_drive": ("Squeak", "Creak", "Clicking"),
    "crumple": ("Crumpling, crinkling",),
    "leaf_rustle": ("Rustling leaves", "Rustle"),
    "sand_trickle": ("Rustle",),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here. The play-method word test is the
# actions family's (synth imports actions first).
from .clatter import RING_RATIOS, _clicks, _collide, _part_bank  # noqa: E402
from .synth import (  # noqa: E402
    Ctx,
    _bandpass,
    _has,
    _highpass,
    _impulses,
    _modal_ir,
    _slow_curve,
)
