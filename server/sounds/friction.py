"""Friction: a tip scratching over fibres and grains, an edge over grit, a zip's teeth, a chair's legs juddering, a
match struck, each from the physics of sliding contact (creaks, squeaks and crumpling are in textures.py).

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

The building blocks follow the physics of sliding contact (Akay 2002, *Acoustics of friction*; Farnell,
*Designing Sound*, ch. on friction):

* the gesture gives the sliding speed ``v(t)`` (m/s): a pen's strokes, a brush's back-and-forth, a broom's sweep;
* stick-slip: the contact sticks until the spring of the object's stiffness lets go; the slips come at a rate
  ``v / d`` (``d`` the spacing of the asperities or teeth that catch), each a small force step;
* rough-surface contact noise: the surface's height profile read at the speed ``v`` — a spatial wavelength
  ``lambda`` sounds at ``v / lambda`` Hz, so the spectrum slides up as the hand speeds up and the level grows as
  ``v^1.5``; the contact patch smooths wavelengths shorter than itself (a low-pass at ``v / patch``);
* the object radiates through its modes (dense, short for small parts; small parts radiate little low down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy import signal


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------
def _bell(u: np.ndarray, shape: float) -> np.ndarray:
    """A stroke's speed over its normalised time ``u`` in [0, 1]: accelerates, peaks, slows (a minimum-jerk
    reach is close to ``sin(pi u)^2``; ``shape`` < 1 gives a flatter top)."""
    return np.clip(np.sin(np.pi * np.clip(u, 0.0, 1.0)), 0.0, None) ** (2.0 * shape)


def _strokes(ctx: Ctx, v_peak: tuple[float, float], stroke_s: tuple[float, float], gap_s: tuple[float, float],
             bout_s: tuple[float, float], pause_s: tuple[float, float]) -> np.ndarray:
    """Sliding speed (m/s, per sample) of a hand making strokes: each stroke lasts ``stroke_s`` and peaks at
    ``v_peak``; strokes follow each other after ``gap_s`` (a reversal: the speed passes through zero) in bouts of
    ``bout_s`` separated by ``pause_s`` (the hand lifts, looks, moves on)."""
    rng, sr = ctx.rng, ctx.sr
    v = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.35)
    while t < ctx.seconds - 0.15:
        bout_end = t + rng.uniform(*bout_s)
        while t < min(bout_end, ctx.seconds - 0.1):
            d = min(rng.uniform(*stroke_s), ctx.seconds - 0.02 - t)
            i0, m = int(t * sr), int(d * sr)
            if m < 8:
                break
            v[i0:i0 + m] = np.maximum(v[i0:i0 + m], rng.uniform(*v_peak) * _bell(np.arange(m) / m, 0.7))
            t += d + rng.uniform(*gap_s)
        t += rng.uniform(*pause_s)
    return v


def _modes(ctx: Ctx, lo: float, hi: float, count: int, t60: float) -> np.ndarray:
    """Impulse response (0.25 s) of a small object: ``count`` modes log-uniform in [lo, hi] Hz, T60 ``t60`` s at
    ``lo`` shortening as f^-0.5 (damping grows with frequency)."""
    f = np.exp(ctx.rng.uniform(np.log(lo), np.log(min(hi, 0.45 * ctx.sr)), count))
    t60s = np.maximum(t60 * ctx.p.decay * (f / lo) ** -0.5, 0.004)
    amps = ctx.rng.uniform(0.5, 1.0, count) * (f / lo) ** (-0.3 + 0.4 * ctx.p.brightness)
    return _modal_ir(ctx, f, t60s, amps, length=0.25)


def _ring(exc: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """The excitation ``exc`` ringing the impulse response ``ir``, cut to the excitation's length."""
    return signal.oaconvolve(exc, ir)[: exc.size]


# ----------------------------------------------------------------------------------------------
# A zip pulled
# ----------------------------------------------------------------------------------------------
ZIP_TOOTH_PITCH_MM = (1.0, 1.5)  # slider passes one element of a #3-#5 coil or moulded zip per 1-1.5 mm
ZIP_PULL_SPEED = (0.4, 0.8)  # m/s: peak speed of a hand pulling a zip (so ~270-800 teeth a second at the peak)
# spread of a tooth's engagement time, in tooth periods (moulding tolerance, slider wobble): a zip's teeth are
# spaced to a few per cent, so the snaps keep the tooth rate and the pull buzzes at speed / pitch (0.3 of a period,
# tried first, kept the rasp's density but lost its pitch; the tagger's branch figures were mixed either way:
# seeds 0-2 3 -> 2 of 9 zip plays, held-out 5-7 3 -> 4 of 9, 8-13 6 -> 2 of 18, Zipper in the top 5 15 -> 17 of 18)
ZIP_JITTER = 0.05
ZIP_SIGMA = 1.8  # log-normal spread of the engagement forces: most teeth slip in quietly, a few snap
ZIP_CLICK_MS = 1.0  # one engagement: a ~1 ms snap
ZIP_RUMBLE = 0.2  # the tape and the bag's panel dragged through the slider, against the teeth
ZIP_SNAP_HZ = 1200.0  # the slider and a tooth (a few mm) radiate their snap only above ~1.2 kHz
ZIP_RUMBLE_HZ = 500.0  # the tape and the bag's panel: large and limp, they rumble below ~500 Hz
ZIP_PULL_S = (1.2, 2.4)  # one pull along a bag's zip (0.4-0.6 m)
ZIP_LONG_PULL_S = (2.5, 4.0)  # round a suitcase or up a tent door (1-1.5 m, slowing at the corners)
ZIP_PAUSE_S = (0.25, 0.55)  # the hand turns round before pulling back


def zip_teeth(ctx: Ctx, speed: np.ndarray, pitch_m: float, jitter: float = ZIP_JITTER) -> np.ndarray:
    """Sample indices where the slider engages a tooth: one per ``pitch_m`` travelled at ``speed`` (m/s per
    sample), each early or late by ``jitter`` of a tooth period."""
    sr = ctx.sr
    rate = np.clip(speed, 0.0, None) / pitch_m
    idx = np.flatnonzero(np.diff(np.floor(np.cumsum(rate) / sr), prepend=0.0) > 0)
    shift = jitter * ctx.rng.standard_normal(idx.size) * sr / np.maximum(rate[idx], 1.0)
    return np.clip(idx + shift.astype(int), 0, speed.size - 1)


def m_zip_pull(ctx: Ctx) -> np.ndarray:
    """A zip pulled open or shut: the slider wedges one tooth after another into (or out of) mesh, one each
    1-1.5 mm travelled, so 270-800 a second at a pull of 0.4-0.8 m/s, rising as the hand accelerates and
    falling as it slows (each early or late by only :data:`ZIP_JITTER` of a period, as evenly as the teeth are
    spaced, so the pull buzzes at the tooth rate, its pitch following the hand). The engagement forces vary log-normally (most teeth slide in
    quietly, a misaligned one snaps): each a ~1 ms snap radiated above ~1.2 kHz by the small slider and teeth,
    over the rumble of the tape and the bag dragged through the slider (below ~500 Hz, following the speed). A
    bag's zip (0.4-0.6 m) takes 1.2-2.4 s, round a suitcase or a tent door 2.5-4 s; pulls one way and back after
    a pause of 0.25-0.55 s."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    long = _has(ctx, "round", "around", "suitcase", "tent")
    pitch = rng.uniform(*ZIP_TOOTH_PITCH_MM) * 1e-3
    v = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.4:
        d = min(rng.uniform(*(ZIP_LONG_PULL_S if long else ZIP_PULL_S)), ctx.seconds - t - 0.05)
        i0, m = int(t * sr), int(d * sr)
        u = np.arange(m) / m
        v[i0:i0 + m] = rng.uniform(*ZIP_PULL_SPEED) * p.density**0.3 * np.sin(np.pi * u) ** 0.6
        t += d + rng.uniform(*ZIP_PAUSE_S)
    exc = np.zeros(ctx.n)
    teeth = zip_teeth(ctx, v, pitch)
    np.add.at(exc, teeth, rng.lognormal(0.0, ZIP_SIGMA, teeth.size))
    snaps = _ring(exc, np.hanning(max(int(ZIP_CLICK_MS * 1e-3 * sr), 4))) * _highpass(
        rng.standard_normal(ctx.n), ZIP_SNAP_HZ * p.pitch, sr)
    return _unit(snaps) + ZIP_RUMBLE * _unit(_rumble(ctx, v / max(float(v.max()), 1e-9), ZIP_RUMBLE_HZ))


# ----------------------------------------------------------------------------------------------
# Striking a light: a match, a flint lighter
# ----------------------------------------------------------------------------------------------
MATCH_SCRATCH_S = (0.20, 0.45)  # a stroke of the head along the striker (red phosphorus and powdered glass)
MATCH_GRIT_HZ = 300.0  # glass grains crushed a second at the stroke's top speed
MATCH_FLARE_S = (0.15, 0.40)  # the head's potassium chlorate flares: a hissing burst
FLARE_GAIN = 0.4  # the flare's level against the scratch (a soft whoosh, well under the scratch's clicks)
MATCH_BURN_S = (1.2, 2.5)  # then the splint burns with a small flame before it is shaken out
FLAME_GAIN = 0.12  # a match's flame is a faint roar, ~20 dB under the scratch


def _flame(ctx: Ctx, m: int) -> np.ndarray:
    """``m`` samples of a match's small flame: buoyant turbulent combustion roars below ~600 Hz (a larger flame's
    corner is lower),
    flickering at 10-15 Hz (the puffing of a small flame, Cetegen & Ahmed 1993)."""
    sr, rng = ctx.sr, ctx.rng
    roar = _lowpass(rng.standard_normal(m), 600.0, sr, order=3) + 0.3 * _bandpass(rng.standard_normal(m),
                                                                                          600, 3000, sr)
    t = np.arange(m) / sr
    puff = 1 + 0.4 * np.sin(2 * np.pi * rng.uniform(10, 15) * t + rng.uniform(0, 6.28))
    return _unit(roar) * puff


def m_match(ctx: Ctx) -> np.ndarray:
    """A match struck on the box: strokes of 0.2-0.45 s of the head over the striker's powdered glass — the
    grit crushed under the head as short cracks of log-normal sizes at a rate following the stroke's speed
    (:func:`_grit`), with the rub of the head (noise riding up with the speed) — often a stroke or two fails
    before one catches; then the head's flare, a 0.15-0.4 s whoosh of the chlorate catching over ~30 ms, and the
    splint's small flame roaring faintly for 1-2.5 s until it is shaken out."""
    sr, rng = ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.3)
    while t < ctx.seconds - 0.8:
        for k in range(int(rng.integers(1, 4))):  # the last stroke lights it
            d = rng.uniform(*MATCH_SCRATCH_S)
            m = int(d * sr)
            sub = replace(ctx, n=m)  # the stroke alone
            v = np.sin(np.pi * np.arange(m) / m) ** 0.6
            stroke = _unit(_grit(sub, v, MATCH_GRIT_HZ)) + 0.3 * _unit(_rumble(sub, v, 900.0))
            _place(ctx, out, stroke, t, rng.uniform(0.7, 1.0))
            t += d + (rng.uniform(0.25, 0.6) if k < 2 else 0.0)
            if rng.random() < 0.5:
                break
        fl = rng.uniform(*MATCH_FLARE_S)
        m = int(fl * sr)
        flare = _bandpass(rng.standard_normal(m), 300, 5000, sr) * np.exp(-np.arange(m) / (0.4 * m))
        flare *= np.minimum(np.arange(m) / (0.03 * sr), 1.0)  # the chlorate catches over ~30 ms: a whoosh
        _place(ctx, out, _unit(flare), t, FLARE_GAIN)
        burn = min(rng.uniform(*MATCH_BURN_S), ctx.seconds - t)
        m = int(burn * sr)
        if m > 16:
            fade = np.minimum(np.arange(m) / (0.1 * sr), 1.0) * np.minimum((m - np.arange(m)) / (0.15 * sr), 1.0)
            _place(ctx, out, _flame(ctx, m) * fade, t + 0.05, FLAME_GAIN)
        t += burn + rng.uniform(0.4, 0.9)
    return out


# ----------------------------------------------------------------------------------------------
# A chair dragged: legs juddering on the floor
# ----------------------------------------------------------------------------------------------
JUDDER_HZ = (150.0, 600.0)  # a leg's stick-slip rate: its bending stiffness against the chair's mass on it
JUDDER_WANDER = 0.15  # how far the rate wanders with the load within a push
JUDDER_JITTER = 0.03  # cycle-to-cycle spread of the slip period (asperity to asperity)
JUDDER_T60 = 0.05  # the frame's modes (a wooden or tubular frame, well damped at its joints)
JUDDER_GRIT = 0.3  # the feet's rasp over the grit against the judder
LEG_PUSH_SPEED = (0.2, 0.5)  # m/s: a chair pushed or pulled by hand
LEG_PUSH_S = (0.3, 1.0)  # one push: the chair moved a few cm to ~25 cm
LEG_PAUSE_S = (0.4, 1.2)  # the hands shift their grip between pushes


def m_leg_drag(ctx: Ctx) -> np.ndarray:
    """A chair (a table, a crate) dragged over a hard floor: each leg in contact judders — it bends until the
    static friction lets go, slips, sticks again — at its own rate of 150-600 Hz (the leg's bending stiffness
    against the mass it carries; rising ~20 % with the speed), regular enough to be heard as a groan or a
    squawk, with cycle-to-cycle jitter of a few per cent; a leg drops out and catches again as the load
    shifts. Each slip knocks the chair's frame (wooden bar modes, short) and the floor, and the feet rasp over
    the grit (noise following the speed). Pushes of 0.3-1 s rise and fall in speed, with pauses between."""
    sr, rng, p = ctx.sr, ctx.rng, ctx.p
    v = _strokes(ctx, LEG_PUSH_SPEED, LEG_PUSH_S, LEG_PAUSE_S, (10.0, 10.0), (0.0, 0.0))  # one bout: the clip
    vn = v / max(float(v.max()), 1e-9)
    t = np.arange(ctx.n) / sr
    exc = np.zeros(ctx.n)
    for _ in range(int(rng.integers(1, 3))):
        f = rng.uniform(*JUDDER_HZ) * p.pitch
        wander = np.clip(_slow_curve(ctx, t, 3.0, JUDDER_WANDER), 0.5, None)
        slips = _pulse_train(ctx, f * wander * (0.8 + 0.2 * vn) * (vn > 0.15), JUDDER_JITTER)
        catch = np.clip(_slow_curve(ctx, t, 4.0, 1.0), 0.0, None) > 0.6  # the leg drops out and catches
        idx = np.flatnonzero(slips > 0)
        idx = idx[catch[idx]]
        np.add.at(exc, idx, vn[idx] * rng.uniform(0.7, 1.0, idx.size))
    mat = ctx.material
    frame = _modal_ir(ctx, mat.base_hz * p.pitch * np.asarray(mat.ratios) * 2.0,
                      np.full(len(mat.ratios), JUDDER_T60), rng.uniform(0.5, 1.0, len(mat.ratios)), length=0.2)
    body = _ring(exc, frame) + 0.5 * _ring(exc, _modes(ctx, 800, 5000, 12, 0.02))
    grit = _bandpass(rng.standard_normal(ctx.n), 1000, 6000, sr) * vn**1.5
    return _unit(_highpass(body, 100, sr)) + JUDDER_GRIT * _unit(grit)


# ----------------------------------------------------------------------------------------------
# A hand plane: the iron cutting a shaving on the forward stroke, the sole dragged back
# ----------------------------------------------------------------------------------------------
PLANE_CUT_S = (0.4, 0.8)  # a forward stroke: 0.3-0.5 m of board at ~0.5-1 m/s
PLANE_RETURN_S = (0.4, 0.7)  # the plane drawn back along the board, iron clear of the cut
PLANE_TURN_S = (0.05, 0.15)  # the hands turn the stroke round
PLANE_RETURN_LOAD = 0.25  # dragged back under its own weight: a quarter of the cutting stroke's speed x load
PLANE_CATCH_HZ = 8.0  # the iron catches on the grain and the push pulses: the speed wanders below ~8 Hz
PLANE_CATCH_DEPTH = 1.0  # ... by as much as itself (clipped at a fifth: the stroke never stops mid-board)
PLANE_CONTACTS = 3  # the iron's edge, the sole's toe and its heel each stick and slip on the board
PLANE_SLIP_HZ = (600.0, 2500.0)  # slips a second at each contact (its stiffness against the plane's mass)
PLANE_SLIP_SPREAD = 0.3  # log-normal spread of a slip's force step (the grain's asperities)
PLANE_MODES = 16  # the iron and the body it is wedged in: dense modes from 1.3 to 20 x the metal's base
PLANE_T60 = 0.04  # the wedged iron and the wooden body damp each other: the lowest mode rings ~40 ms
PLANE_CLICK = 0.3  # the slips' own clicks above 2 kHz, against the ringing body
PLANE_RUB = 0.2  # the sole's rub on the board (noise riding up as v^1.5)


def _plane_speed(ctx: Ctx) -> np.ndarray:
    """Speed (1 at a cutting stroke's top) of a plane worked along a board: a forward cut of 0.4-0.8 s, the turn,
    the return drag of 0.4-0.7 s at :data:`PLANE_RETURN_LOAD`, the turn, ...; the iron catching on the grain
    makes the speed pulse below ~8 Hz."""
    rng, sr = ctx.rng, ctx.sr
    v = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.2:
        for level, span in ((1.0, PLANE_CUT_S), (PLANE_RETURN_LOAD, PLANE_RETURN_S)):
            d = min(rng.uniform(*span), ctx.seconds - 0.05 - t)
            if d <= 0.05:
                break
            i0, m = int(t * sr), int(d * sr)
            v[i0:i0 + m] = level * np.clip(np.sin(np.pi * np.arange(m) / m), 0.0, None) ** 0.5
            t += d + rng.uniform(*PLANE_TURN_S)
    tt = np.arange(ctx.n) / sr
    catch = _slow_curve(ctx, tt[::240], PLANE_CATCH_HZ, PLANE_CATCH_DEPTH).repeat(240)[: ctx.n]
    return v * np.clip(catch, 0.2, None)


def _stick_slip(ctx: Ctx, vn: np.ndarray, rate_hz: tuple[float, float], contacts: int, spread: float) -> np.ndarray:
    """Force steps of ``contacts`` contacts sticking and slipping, each at its own rate in ``rate_hz`` (wandering
    +-15 % with the load, a little faster as it slides faster), a slip each time the stored force reaches the
    next asperity's static limit (log-normal ``spread``), skipped when the speed ``vn`` (0..1) is low; a step's
    size grows with the speed, heavy-tailed (Pareto 1.5): the excitation as impulses per sample."""
    sr = ctx.sr
    t = np.arange(ctx.n) / sr
    exc = np.zeros(ctx.n)
    for _ in range(contacts):
        f_slip = ctx.rng.uniform(*rate_hz) * ctx.p.pitch
        load = np.clip(_slow_curve(ctx, t, 2.0, 0.15), 0.3, None)
        phase = np.cumsum(f_slip * load * (0.8 + 0.2 * vn) * (vn > 0.02)) / sr
        steps = ctx.rng.lognormal(0.0, spread, int(phase[-1] * 1.3) + 10)
        thr = np.cumsum(steps)
        m = int(np.searchsorted(thr, phase[-1]))
        idx = np.minimum(np.searchsorted(phase, thr[:m]), ctx.n - 1)
        keep = ctx.rng.random(idx.size) < np.clip(2 * vn[idx], 0.0, 1.0)
        idx = idx[keep]
        amps = vn[idx] * steps[:m][keep] * np.minimum(ctx.rng.pareto(1.5, idx.size) + 0.2, 20.0)
        np.add.at(exc, idx, amps)
    return exc


def m_plane_stroke(ctx: Ctx) -> np.ndarray:
    """A hand plane shaving a board: on the forward stroke (0.4-0.8 s) the iron's edge and the sole's toe and heel
    each stick and slip on the wood at 600-2500 slips a second (heavy-tailed steps, :func:`_stick_slip`), ringing
    the iron wedged in the body (dense modes from 1.3 to 20 x the metal's 520 Hz, the lowest ~40 ms, higher ones
    shorter) and clicking above 2 kHz, over the sole's rub; the plane is drawn back along the board at a quarter of
    the load (0.4-0.7 s), and the iron catching on the grain makes the push pulse below ~8 Hz."""
    sr, rng, p = ctx.sr, ctx.rng, ctx.p
    v = _plane_speed(ctx)
    exc = _stick_slip(ctx, v, PLANE_SLIP_HZ, PLANE_CONTACTS, PLANE_SLIP_SPREAD)
    ratios = np.sort(np.exp(rng.uniform(np.log(1.3), np.log(20.0), PLANE_MODES)))
    t60 = np.clip(PLANE_T60 * p.decay * (ratios / ratios[0]) ** -0.5, 0.01, None)
    base = MATERIALS["metal"].base_hz * p.pitch
    ir = _modal_ir(ctx, base * ratios * rng.uniform(0.95, 1.05, PLANE_MODES), t60,
                   ratios ** -0.3 * rng.uniform(0.5, 1.0, PLANE_MODES), length=0.3)
    body = _highpass(signal.oaconvolve(exc, ir)[: ctx.n], 400.0, sr)
    click = _highpass(exc, 2000.0, sr)
    rub = _bandpass(rng.standard_normal(ctx.n), 400.0, 7000.0, sr) * v ** 1.5
    return _unit(body) + PLANE_CLICK * _unit(click) + PLANE_RUB * _unit(rub)


# ----------------------------------------------------------------------------------------------
# Gritty scraping: a hard edge dragged over grit (a shovel, a pestle, sled runners, a chair's feet)
# ----------------------------------------------------------------------------------------------
GRIT_FRACTURES_HZ = 110.0  # grains crushed or flicked a second at full speed (a few grains per cm at ~0.3 m/s)
GRIT_SIGMA = 1.5  # log-normal spread of grain sizes (sieve analyses of sand and gravel: sigma 1-2 in ln size)
GRIT_GRAIN_MS = 2.7  # one grain's crack: a few ms (a brittle 1-3 mm grain fails in ~1 ms and rings briefly)
GRIT_LO_HZ = 1200.0  # a small grain radiates little below ~1 kHz
RUMBLE_HZ = 520.0  # the dragged body's rumble: friction noise of the big contact through its low modes
RUMBLE = 0.31  # the rumble's share against the grit


def _grit(ctx: Ctx, v: np.ndarray, rate_hz: float = GRIT_FRACTURES_HZ, sigma: float = GRIT_SIGMA,
          grain_ms: float = GRIT_GRAIN_MS, lo_hz: float = GRIT_LO_HZ) -> np.ndarray:
    """Grit crushed and flicked under a sliding edge: Poisson events at ``rate_hz`` x v (``v`` relative to the
    gesture's nominal speed: more grains are met per second the faster it slides), log-normal sizes
    (``sigma``, as grain sizes are), each a burst of ``grain_ms`` of broadband noise above ``lo_hz``."""
    rng, sr = ctx.rng, ctx.sr
    vn = np.clip(v, 0.0, None)
    hits = np.flatnonzero(rng.random(ctx.n) < rate_hz * vn / sr)
    imp = np.zeros(ctx.n)
    imp[hits] = rng.lognormal(0.0, sigma, hits.size)
    env = signal.oaconvolve(imp, np.hanning(max(int(grain_ms * 1e-3 * sr), 4)))[: ctx.n]
    return env * _highpass(rng.standard_normal(ctx.n), lo_hz, sr)


def _rumble(ctx: Ctx, v: np.ndarray, fc: float = RUMBLE_HZ) -> np.ndarray:
    """The dragged body's rumble: broadband friction noise of the large contact, radiated by the body's low
    modes (a third-order low-pass at ``fc``), its level following the speed (``v`` relative to nominal)."""
    vn = np.clip(v, 0.0, None)
    return _lowpass(ctx.rng.standard_normal(ctx.n), fc * ctx.p.pitch, ctx.sr, order=3) * vn


def _bouts(ctx: Ctx, bout_s: tuple[float, float], pause_s: tuple[float, float], shape: float) -> np.ndarray:
    """Speed (normalised to 1 at the top) of a hand working in bouts of ``bout_s`` seconds, ``pause_s`` apart:
    each bout eases in and out as ``sin(pi u)^shape`` (``shape`` < 1 gives a flatter top: a steady working pace)."""
    rng, sr = ctx.rng, ctx.sr
    v = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.2:
        d = min(rng.uniform(*bout_s), ctx.seconds - 0.05 - t)
        i0, m = int(t * sr), int(d * sr)
        v[i0:i0 + m] = np.sin(np.pi * np.arange(m) / m) ** shape
        t += d + rng.uniform(*pause_s)
    return v


def _reversals(ctx: Ctx, v: np.ndarray, per_s: tuple[float, float], depth: float) -> np.ndarray:
    """``v`` dipping at each reversal of a back-and-forth stroke: ``per_s`` reversals a second (scaled by the
    density as ``density^0.3``), the speed falling towards zero at each as ``|sin|^depth``."""
    f = ctx.rng.uniform(*per_s) * ctx.p.density**0.3
    return v * np.abs(np.sin(np.pi * f * np.arange(ctx.n) / ctx.sr + ctx.rng.uniform(0, np.pi))) ** depth


PUSH_WANDER = 0.5  # a push's speed wanders by +-50 % (RMS) with the hand, the load and the ground, below ~3 Hz


def _push(ctx: Ctx, push_s: tuple[float, float], pause_s: tuple[float, float]) -> np.ndarray:
    """Speed of a long push or drag (normalised): pushes of ``push_s`` easing in and out, ``pause_s`` apart; the
    speed wanders by :data:`PUSH_WANDER` (the hand, the load, the ground) below ~3 Hz."""
    v = _bouts(ctx, push_s, pause_s, 0.6)
    wob = _lowpass(ctx.rng.standard_normal(ctx.n), 3.0, ctx.sr)
    return np.clip(v * (1 + PUSH_WANDER * wob / (np.std(wob) + 1e-12)), 0.0, None)


# A gesture: (words that name it, bout s, pause s, reversals or strokes a second within a bout; (0, 0): none)
Gesture = tuple[tuple[str, ...], tuple[float, float], tuple[float, float], tuple[float, float]]
GRIT_GESTURES: dict[str, Gesture] = {
    # kind: (words that name it, working bout s, pause s, strokes a second within a bout); first match wins
    "glide": (("sled", "runner", "sleigh", "toboggan", "ski"), (3.5, 6.5), (0.5, 1.1), (0.0, 0.0)),  # one glide
    "dig": (("dig", "shovel", "spade"), (2.0, 4.0), (0.5, 1.0), (0.8, 1.4)),  # jabs into the gravel
    "grind": (("grind", "pestle", "mortar", "millstone"), (2.5, 4.5), (0.3, 0.8), (1.2, 2.0)),  # circling
    "sweep": (("sweep", "broom"), (2.5, 4.5), (0.3, 0.8), (1.2, 2.0)),  # sweeps of 0.25-0.4 s
    "plane": (("plane", "shaving", "planing"), (2.5, 4.5), (0.3, 0.8), (0.7, 1.1)),  # strokes of ~0.5-0.7 s
    "sharpen": (("sharpen", "pencil"), (2.0, 4.0), (0.4, 0.9), (1.2, 2.0)),  # half-turns of the pencil
    "drag": ((), (1.5, 3.5), (0.5, 1.1), (0.0, 0.0)),  # a heavy thing dragged a metre or two
}


def _gesture(ctx: Ctx, table: dict[str, Gesture]) -> str:
    """The first kind in ``table`` whose words the play method or the name contains; "drag" otherwise."""
    for kind, (stems, *_) in table.items():
        if stems and _has(ctx, *stems):
            return kind
    return "drag"


def grit_gesture(ctx: Ctx) -> str:
    """The gesture (a key of :data:`GRIT_GESTURES`) the play method or the name describes."""
    return _gesture(ctx, GRIT_GESTURES)


def m_grit_scrape(ctx: Ctx) -> np.ndarray:
    """A hard edge dragged over a gritty surface (a shovel over gravel, a pestle over crushed seeds, runners over
    snow crust, a manhole cover over the road): the grains under the edge are crushed or flicked away — short
    cracks of log-normal sizes at ~110 a second at full speed (:func:`_grit`) — over the rumble of the sliding
    body (:func:`_rumble`), both following the speed of a long push that wanders with the hand and the load."""
    _, push, pause, strokes = GRIT_GESTURES[grit_gesture(ctx)]
    v = _push(ctx, push, pause)
    if strokes[1] > 0:  # strokes within a bout: the speed passes through zero at each reversal
        v = _reversals(ctx, v, strokes, 0.5)
    return _unit(_grit(ctx, v)) + RUMBLE * _unit(_rumble(ctx, v))


# ----------------------------------------------------------------------------------------------
# Fine scratching: a pen's nib, an eraser, a toothbrush's bristles over a fine-grained surface
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tip:
    """The contact's texture: what ticks, how small, how it hisses (SI units)."""

    grains_hz: float  # fibres or grains the tip snaps over a second at full speed (the audible ones)
    sigma: float  # their log-normal size spread: most are faint, a few tick loudly
    grain_ms: float  # a tiny contact lets go in about a millisecond
    lo_hz: float  # such small contacts radiate only above this
    hiss: float  # the rub of the tip over the surface's tooth (noise riding with v^1.5), against the ticks
    hiss_lo_hz: float  # the hiss is radiated above this (the tip's contact is as small as a tick's)
    rumble: float  # the desk, the jaw or the floor under it, thumped by the strokes (low-passed at rumble_hz)
    rumble_hz: float  # the thump's low-pass corner: the desk's, the jaw's or the floor's low modes
    depth: float  # how deep the speed dips at each reversal (|sin|^depth)


FINE_TIP = Tip(210.0, 1.9, 0.9, 4000.0, 1.0, 4000.0, 0.26, 800.0, 0.5)  # a nib, eraser crumbs, bristle tips
TIPS: dict[str, Tip] = {
    # a broom's bristle tips flick over the floor's grit: a little coarser (from 2.5 kHz), a thinner floor thump
    "sweep": Tip(200.0, 1.2, 1.5, 2500.0, 1.16, 5000.0, 0.12, 435.0, 0.7),
    # sled runners on packed snow: fewer, sparser crystal snaps (~50 a second) under the runner's hiss
    "glide": Tip(53.0, 1.38, 0.9, 3570.0, 1.0, 4000.0, 0.18, 800.0, 0.57),
}

FINE_GESTURES: dict[str, Gesture] = {
    # kind: (words that name it, bout s, pause s, speed dips a second within a bout); first match wins
    # a blade drawn from its scabbard (0.6-1 s, the arm sweeping up), sheathed again after a pause
    "draw": (("scabbard", "sheath", "drawn from"), (0.6, 1.0), (0.5, 1.0), (0.0, 0.0)),
    # handwriting: lines of 2-4 s, pen lifts of 0.1-0.35 s, 5-10 letter strokes a second (Teulings & Maarse 1984:
    # strokes of 100-200 ms)
    "write": (("writ", "scribbl", "sketch", "pen ", "pencil on"), (2.0, 4.0), (0.1, 0.35), (5.0, 10.0)),
    # brushing teeth: 3.5-5 back-and-forth cycles a second (7-10 reversals), bouts of 2-4 s, moving on between
    "scrub": (("scrub", "bristle", "toothbrush"), (2.0, 4.0), (0.2, 0.5), (7.0, 10.0)),
    # a crank sharpener: the crank turned 2-4.5 times a second, its helical cutter's two flutes biting in turn
    # (4-9 chip bursts a second), for 2-4 s
    "sharpen": (("sharpen",), (2.0, 4.0), (0.4, 0.9), (4.0, 9.0)),
    # an eraser: 2-4 cycles a second over a smudge, bouts of 1-3 s, a look between
    "rub": (("rub", "eras", "polish", "wip"), (1.0, 3.0), (0.2, 0.6), (4.0, 8.0)),
    # sled runners: one long glide that swells and eases, the load rising over each ridge of the packed snow
    # (ripples 0.3-0.8 m apart at 2-5 m/s: 4-10 a second)
    "glide": (("sled", "runner", "sleigh", "toboggan", "ski"), (3.5, 6.5), (0.5, 1.1), (4.0, 10.0)),
    # a broom: sweeps of 0.5-0.8 s, bouts of 2.5-4.5 s
    "sweep": (("sweep", "broom"), (2.5, 4.5), (0.3, 0.8), (1.2, 2.0)),
    # a shovel: jabs into the gravel about once a second
    "dig": (("dig", "shovel", "spade"), (2.0, 4.0), (0.5, 1.0), (0.8, 1.4)),
    # a pestle worked in small quick circles (2-3 a second), pressed down twice a circle: 4-6 pressure peaks
    "grind": (("grind", "pestle", "mortar", "millstone"), (2.0, 4.0), (0.3, 0.8), (4.0, 6.0)),
    # a hand plane: strokes of ~0.5-0.7 s
    "plane": (("plane", "shaving", "planing"), (2.5, 4.5), (0.3, 0.8), (0.7, 1.1)),
    # a match: a stroke of 0.25-0.45 s along the striker, struck again when it fails
    "strike": (("match", "struck on the box"), (0.25, 0.45), (0.4, 0.9), (0.0, 0.0)),
    # a lighter's flint wheel: a thumb's spin of 0.1-0.2 s, again and again until it lights
    "wheel": (("flint", "lighter"), (0.1, 0.2), (0.4, 0.9), (0.0, 0.0)),
    # a chair or a crate dragged a metre or two: the whole thing chatters, sticking and slipping 6-12 times a
    # second (macro stick-slip of a pushed mass on its legs' compliance) (default)
    "drag": ((), (1.5, 3.5), (0.5, 1.1), (6.0, 12.0)),
}


def fine_gesture(ctx: Ctx) -> str:
    """The gesture (a key of :data:`FINE_GESTURES`) the play method or the name describes."""
    return _gesture(ctx, FINE_GESTURES)


def m_fine_scratch(ctx: Ctx) -> np.ndarray:
    """A small hard tip dragged over a fine-grained surface — a pen's nib or a pencil over paper, an eraser's
    crumbs over a page, a toothbrush's bristles over enamel. The tip snaps over fibres and grains at a rate
    following its speed, each a sub-millisecond tick of log-normal size radiated only above ~4 kHz (a contact
    that small radiates nothing lower), over the hiss of the tip rubbing the surface's tooth (rising as v^1.5),
    and a faint low thump of the desk (or the jaw) under the strokes. The speed comes from the hand
    (:data:`FINE_GESTURES`): bouts of strokes whose speed dips at every reversal, with lifts or pauses between."""
    sr, rng, p = ctx.sr, ctx.rng, ctx.p
    kind = fine_gesture(ctx)
    _, bout, pause, reversals = FINE_GESTURES[kind]
    v = _bouts(ctx, bout, pause, 0.5)
    tip = TIPS.get(kind, FINE_TIP)
    if reversals[1] > 0:
        v = _reversals(ctx, v, reversals, tip.depth)
    ticks = _grit(ctx, v, tip.grains_hz, tip.sigma, tip.grain_ms, min(tip.lo_hz * p.pitch, 0.4 * sr))
    hiss = _highpass(rng.standard_normal(ctx.n), min(tip.hiss_lo_hz * p.pitch, 0.4 * sr), sr) * v**1.5
    return _unit(ticks) + tip.hiss * _unit(hiss) + tip.rumble * _unit(_rumble(ctx, v, tip.rumble_hz))


# Keyword stems for free-text sources (the vocabulary names its model outright). A model the tagger has not yet
# shown better than the core model it would displace only ties with it (the core model wins a tie): leg_drag
# and match_strike. zip_pull, grit_scrape and fine_scratch win their own plays.
MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "zip_pull": (("zip", "zipper", "zip pulled"), m_zip_pull),
    "match_strike": (("striking a match",), m_match),
    "leg_drag": (("legs scraping",), m_leg_drag),
    "grit_scrape": (("digging gravel",), m_grit_scrape),
    "plane_stroke": (("shaving wood", "planing wood", "wood plane"), m_plane_stroke),
    "fine_scratch": (("writing", "writing on paper", "rubbing on paper", "eraser", "toothbrush", "bristles", "scrubbing",
                      "grinding a pencil", "pencil sharpener", "grinding spices", "pestle"), m_fine_scratch),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "zip_pull": ("Zipper (clothing)",),
    "match_strike": ("Scrape", "Fire"),
    "leg_drag": ("Scrape", "Squeak", "Creak"),
    "grit_scrape": ("Scrape", "Rub"),
    "plane_stroke": ("Sanding", "Scrape", "Tools", "Wood"),
    "fine_scratch": ("Writing", "Scratch", "Rub", "Scrape", "Grind", "Toothbrush"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    MATERIALS,
    Ctx,
    _bandpass,
    _has,
    _highpass,
    _lowpass,
    _modal_ir,
    _place,
    _pulse_train,
    _slow_curve,
    _unit,
)
