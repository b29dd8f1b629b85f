"""Actions of people and things that no other family covers: hands clapping and applause, wings
flapping, tyres squealing, air brakes, sails and flags flapping, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy import signal


def _resonator(x: np.ndarray, fc: float, q: float, sr: int) -> np.ndarray:
    """A two-pole resonance at ``fc`` Hz of quality ``q`` (a cavity or a plate's first mode)."""
    b, a = signal.iirpeak(min(fc, 0.45 * sr), q, fs=sr)
    return signal.lfilter(b, a, x)


# ----------------------------------------------------------------------------------------------
# Hands
# ----------------------------------------------------------------------------------------------
# clappers heard in an audience's applause: a theatre's or a hall's stalls, 100-200 people within earshot (fewer,
# and single claps stand out of the patter as pops: firecrackers)
AUDIENCE_CLAPPERS = (100, 201)


def _clap_times(ctx: Ctx, rate: float, sd: float, runs: bool) -> np.ndarray:
    """Onsets (s) of one clapper: nearly periodic at ``rate`` Hz (inter-onset spread ``sd`` of the period); in
    ``runs`` of 4-12 claps with pauses when one person claps, continuous in an audience."""
    rng, out = ctx.rng, []
    t = rng.uniform(0.02, 0.3 if runs else 1.0 / rate + 0.05)
    while t < ctx.seconds - 0.05:
        k = int(rng.integers(4, 13)) if runs else 10**6
        for _ in range(k):
            if t >= ctx.seconds - 0.05:
                break
            out.append(t)
            t += (1.0 / rate) * (1 + sd * rng.standard_normal())
        t += rng.uniform(0.3, 0.9)
    return np.asarray(out)


def m_clap(ctx: Ctx) -> np.ndarray:
    """Hands clapping and applause. A clap is a ~5 ms burst of air noise squeezed out as the palms meet, coloured
    by the cavity between the hands: a resonance at 0.8-2.5 kHz (cupped hands low, flat palms high) of
    quality 2-6 (Repp 1987, *The sound of two hands clapping*). One person claps at 3.5-5 Hz with an inter-clap
    spread of ~3 % (Repp's 250 ms mean period), in runs; an audience (a play method or name saying applause,
    audience, crowd, ovation) is 100-200 clappers (:data:`AUDIENCE_CLAPPERS`), each with its own hands and its own rate (2-6 Hz, Néda et al.
    2000), summed with no common beat (a Poisson-like patter), swelling in over ~0.5 s, in a hall's
    reverberation."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    audience = _has(ctx, "applau", "audience", "crowd", "ovation", "spectator", "cheer")
    out = np.zeros(ctx.n)
    if not audience:
        fc = rng.uniform(1000, 2000) * p.pitch ** 0.3
        q = rng.uniform(1.0, 2.0)
        times = _clap_times(ctx, rng.uniform(3.5, 5.0), 0.03, runs=True)
        for t in times:
            g = _decay_burst(ctx, 0.5, rng.uniform(3.0, 6.0), 40.0)
            g = _resonator(g, fc * (1 + 0.05 * rng.standard_normal()), q, sr) + 0.5 * _lowpass(g, 3000, sr)
            g = _highpass(g, 300, sr)
            _place(ctx, out, g, t, float(rng.uniform(0.8, 1.0)))
        return _in_room(ctx, out, 0.5, 0.4)
    n_groups = 10
    people = int(rng.integers(*AUDIENCE_CLAPPERS))
    group = rng.integers(0, n_groups, people)
    fcs = np.exp(rng.uniform(np.log(800), np.log(2500), n_groups)) * p.pitch ** 0.3
    for g_i in range(n_groups):
        exc = np.zeros(ctx.n)
        for _ in range(int(np.sum(group == g_i))):
            times = _clap_times(ctx, rng.uniform(2.0, 6.0), 0.05, runs=False)
            exc += _impulses(ctx, times, rng.uniform(0.5, 1.0) * rng.uniform(0.8, 1.0, times.size))
        # every clap its own noise: the group's envelope train times fresh noise
        env = _clap_env(ctx, rng.uniform(3.0, 6.0))
        burst = signal.oaconvolve(exc, env)[: ctx.n] * rng.standard_normal(ctx.n)
        out += _resonator(burst, fcs[g_i], rng.uniform(1.0, 3.0), sr) + 0.5 * _lowpass(burst, 3000, sr)
    out = _bandpass(out, 600, 6000, sr)  # and the air between the audience and the listener
    t = np.arange(ctx.n) / sr
    swell = np.minimum(t / rng.uniform(0.3, 0.7), 1.0) * _slow_curve(ctx, t, 0.5, 0.2)
    return _in_room(ctx, out * swell, 0.8, 0.15)


def _clap_env(ctx: Ctx, tau_ms: float) -> np.ndarray:
    """A clap's amplitude envelope: 0.5 ms rise, exponential decay of ``tau_ms``."""
    t = np.arange(int((0.5 + 7 * tau_ms) * 1e-3 * ctx.sr)) / ctx.sr * 1e3
    return np.minimum(t / 0.5, 1.0) * np.exp(-np.maximum(t - 0.5, 0.0) / tau_ms)


def _floor(ctx: Ctx, x: np.ndarray, db: float = -40.0) -> np.ndarray:
    """``x`` over a quiet room floor ``db`` under its peak (dark noise): between sparse events a microphone
    hears the room, not digital silence."""
    floor = _lowpass(ctx.rng.standard_normal(ctx.n), 1500, ctx.sr)
    return x + 10 ** (db / 20) * np.abs(x).max() * floor / (np.std(floor) + 1e-12)


def _in_room(ctx: Ctx, x: np.ndarray, rt60: float, wet: float) -> np.ndarray:
    """``x`` plus its diffuse reverberation (decaying noise of ``rt60`` s, darker above 6 kHz) at ``wet``."""
    m = int(1.2 * rt60 * ctx.sr)
    k = np.arange(m) / ctx.sr
    ir = _lowpass(ctx.rng.standard_normal(m) * np.exp(-6.91 * k / rt60), 6000, ctx.sr)
    ir[: int(0.003 * ctx.sr)] = 0.0
    tail = signal.oaconvolve(x, ir)[: ctx.n]
    return x + wet * tail * np.std(x) / (np.std(tail) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Wings
# ----------------------------------------------------------------------------------------------
# wingbeat rates (Hz) by kind of bird, first match wins (Pennycuick 2008, *Modelling the flying bird*:
# frequency falls with size, from 40-80 Hz in hummingbirds (ruby-throated ~53 Hz, the smallest woodstars ~80 Hz)
# to ~2 Hz in herons and swans)
WINGBEAT_HZ: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("hummingbird",), (40.0, 80.0)),
    (("gamebird", "pheasant", "grouse", "quail", "partridge", "whirr"), (16.0, 22.0)),
    (("songbird", "sparrow", "finch", "robin", "wren", "tit", "warbler", "small", "bat"), (11.0, 16.0)),
    (("owl", "raptor", "eagle", "hawk", "heron", "stork", "swan", "pelican", "crane", "vulture", "waterbird",
      "goose", "large"), (2.0, 3.5)),
    (("pigeon", "dove", "parrot", "corvid", "crow", "raven", "magpie", "gull", "duck", "turkey", "chicken",
      "fowl"), (5.0, 8.0)),
)


def wingbeat_hz(ctx: Ctx) -> tuple[float, float]:
    for stems, band in WINGBEAT_HZ:
        if _has(ctx, *stems):
            return band
    return (5.0, 8.0)


def m_wings(ctx: Ctx) -> np.ndarray:
    """Wings flapping: each downstroke pushes a broadband whoosh of air (band-passed noise, lower and longer for
    bigger wings) under a raised-cosine envelope of ~60 % of the beat, the upstroke a weaker one, and the
    feathers rustle (sparse clicks at 2-8 kHz) at each stroke's turn; the beat runs at the species' wingbeat
    rate (:data:`WINGBEAT_HZ`) in bouts of flight of 0.6-2 s with glides between. An owl's fringed feathers
    make almost no noise above ~1 kHz. A hummingbird's 40-80 Hz beat fuses into a hum at the beat rate, and
    as it hovers and feeds it chips (:func:`hummingbird_chips`)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    lo_hz, hi_hz = wingbeat_hz(ctx)
    rate = rng.uniform(lo_hz, hi_hz)
    owl = _has(ctx, "owl", "silent")
    size = np.clip(1.0 - np.log(rate / 2.0) / np.log(30.0), 0.0, 1.0)  # 1 = big slow wings, 0 = tiny fast ones
    t = np.arange(ctx.n) / sr
    # bouts of flapping (the beat's amplitude), with glides (or perching) between
    bout = np.zeros(ctx.n)
    s = rng.uniform(0.05, 0.3)
    while s < ctx.seconds:
        d = rng.uniform(0.6, 2.0) if rate < 30 else rng.uniform(1.5, 3.5)
        a = np.clip((t - s) / 0.05, 0, 1) * np.clip((s + d - t) / 0.15, 0, 1)
        bout = np.maximum(bout, a * rng.uniform(0.7, 1.0))
        s += d + rng.uniform(0.3, 1.0)
    rate_t = rate * _slow_curve(ctx, t, 1.0, 0.04)
    phase = np.cumsum(rate_t) / sr
    frac = phase % 1.0
    down = np.where(frac < 0.6, np.sin(np.pi * frac / 0.6) ** 2, 0.0)
    up = np.where(frac >= 0.6, 0.35 * np.sin(np.pi * (frac - 0.6) / 0.4) ** 2, 0.0)
    lo, hi = (300.0 + 500.0 * (1 - size)), (3000.0 + 4000.0 * (1 - size)) * p.pitch ** 0.5
    if owl:
        hi = min(hi, 900.0)
    air = _bandpass(rng.standard_normal(ctx.n), lo, hi, sr) * (down + up)
    out = air / (np.std(air) + 1e-12)
    if not owl:  # feathers rustling: crackle at the turn of each stroke
        turn = np.exp(-((frac - 0.6) / 0.06) ** 2) + np.exp(-(np.minimum(frac, 1 - frac) / 0.06) ** 2)
        clicks = (rng.random(ctx.n) < 4000.0 / sr) * rng.standard_normal(ctx.n)
        rustle = _bandpass(clicks, 2000, 8000, sr) * (0.3 + turn)
        out = out + 0.25 * rustle / (np.std(rustle) + 1e-12)
    if rate >= 30:  # the beat itself is heard as a tone (and its first harmonics)
        hum = np.sin(2 * np.pi * phase) + 0.5 * np.sin(4 * np.pi * phase) + 0.25 * np.sin(6 * np.pi * phase)
        out = out + 1.5 * hum
    out = out * bout
    if rate >= 30:  # a hummingbird hovering and feeding chips now and then, about as loud as its hum
        out = out + np.abs(out).max() * hummingbird_chips(ctx)
    return out

CHIP_HZ = ((5000.0, 7000.0), (3000.0, 4000.0))  # a hummingbird's chip note sweeps down from 5-7 kHz to 3-4 kHz
CHIP_MS = (20.0, 40.0)


def hummingbird_chips(ctx: Ctx) -> np.ndarray:
    """A hovering hummingbird's chip calls, peak ~1: short notes (:data:`CHIP_MS`) sweeping down
    (:data:`CHIP_HZ`, with a weak second harmonic), in groups of 1-3 some 0.1 s apart, a group every 0.5-2 s
    (the "chip" or "tchew" notes of ruby-throated and Anna's hummingbirds at a feeder)."""
    sr, rng = ctx.sr, ctx.rng
    chips = np.zeros(ctx.n)
    tc = rng.uniform(0.1, 0.6)
    while tc < ctx.seconds - 0.1:
        for _ in range(int(rng.integers(1, 4))):
            d = rng.uniform(*CHIP_MS) * 1e-3
            m = int(d * sr)
            tt = np.arange(m) / sr
            f = np.linspace(rng.uniform(*CHIP_HZ[0]), rng.uniform(*CHIP_HZ[1]), m)
            ph = 2 * np.pi * np.cumsum(np.minimum(f, 0.45 * sr)) / sr
            c = (np.sin(ph) + 0.2 * np.sin(2 * ph)) * np.sin(np.pi * tt / d) ** 2
            _place(ctx, chips, c, tc, rng.uniform(0.5, 1.0))
            tc += rng.uniform(0.08, 0.15)
        tc += rng.uniform(0.4, 1.5)
    return chips


# ----------------------------------------------------------------------------------------------
# Vehicles
# ----------------------------------------------------------------------------------------------
def m_tyre_squeal(ctx: Ctx) -> np.ndarray:
    """Tyre squeal: the tread sticks and slips on the road surface (stick-slip friction), a self-excited
    oscillation of the tread blocks heard as a harsh tone at 1-3 kHz rich in harmonics, its pitch gliding with
    the slip speed (falling as the car slows in a skid, wavering through a corner) and its level rough (the
    blocks entering the contact patch, 30-80 Hz), over broadband scrubbing noise. Skids last 0.8-2.5 s."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    out = np.zeros(ctx.n)
    s = rng.uniform(0.05, 0.4)
    while s < ctx.seconds - 0.3:
        d = min(rng.uniform(0.8, 2.5), ctx.seconds - s)
        i0, i1 = int(s * sr), min(int((s + d) * sr), ctx.n)
        tt = t[i0:i1] - s
        f0 = rng.uniform(1000, 2600) * p.pitch
        glide = 1.0 - rng.uniform(0.15, 0.4) * tt / d if rng.random() < 0.6 else 1.0 + 0.1 * np.sin(np.pi * tt / d)
        # the slip speed jitters as tread blocks grip and let go: a rough, noisy pitch
        jitter = _lowpass(rng.standard_normal(tt.size), 60.0, sr)
        f = f0 * glide * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(3, 7) * tt) + 0.04 * jitter / (np.std(jitter) + 1e-12))
        ph = np.cumsum(f) / sr
        tone = np.zeros(tt.size)
        for k in range(1, 8):
            if k * f0 * 1.1 < 0.45 * sr:
                tone += np.sin(2 * np.pi * k * ph + rng.uniform(0, 2 * np.pi)) / k
        rough = 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(30, 80) * tt)
        scrub = _bandpass(rng.standard_normal(tt.size), 500, 6000, sr)
        env = np.minimum(tt / 0.06, 1.0) * np.clip((d - tt) / 0.2, 0, 1)
        seg = (tone / np.std(tone) * rough + 0.25 * scrub / (np.std(scrub) + 1e-12)) * env
        out[i0:i1] += seg * rng.uniform(0.7, 1.0)
        s += d + rng.uniform(0.3, 1.2)
    engine = m_engine(ctx)  # the car whose tyres they are, revving under the squeal
    return out + 0.5 * np.std(out) * engine / (np.std(engine) + 1e-12)


def m_air_brake(ctx: Ctx) -> np.ndarray:
    """Air brake of a truck or bus: compressed air (~8 bar) vented through a valve is a choked jet, a burst of
    broadband hiss strongest at 2-8 kHz (jet noise peaks near a Strouhal number of 0.2 of a sonic jet from a
    few-mm orifice) that starts within a few ms as the valve snaps open. The tank pressure falls exponentially
    as it vents (time constant 0.3-0.6 s for the "pssht" as the brake is applied), and the hiss darkens and fades
    with it; after a pause the brake is released (or the parking brake set), a longer and louder dump (time
    constant 0.8-1.5 s), begun by the valve's click; the idling engine of the truck or bus is heard under it."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    metal = MATERIALS["metal"]

    def vent(tau: float, length: float) -> np.ndarray:
        m = int(length * sr)
        tt = np.arange(m) / sr
        press = np.exp(-tt / tau)
        env = np.minimum(tt / 0.04, 1.0) * press
        bright = _bandpass(rng.standard_normal(m), 3000, 11000, sr) * env**2
        dark = _bandpass(rng.standard_normal(m), 1000, 5000, sr) * env
        return (bright / (np.std(bright) + 1e-12) + 0.6 * dark / (np.std(dark) + 1e-12)) * np.max(env)

    t = rng.uniform(0.1, 0.5)
    while t < ctx.seconds - 0.2:
        _place(ctx, out, vent(rng.uniform(0.3, 0.6) * p.pitch ** -0.3, 1.8), t, rng.uniform(0.5, 0.8))
        t += rng.uniform(1.0, 2.0)
        if t >= ctx.seconds - 0.2:
            break
        click = _strike_ir(ctx, metal, rng.uniform(1500, 3000))
        _place(ctx, out, 0.1 * click / (np.abs(click).max() + 1e-12), t, 1.0)
        _place(ctx, out, vent(rng.uniform(0.8, 1.5), 4.0), t + 0.01, 1.0)
        t += rng.uniform(2.0, 3.5)
    engine = m_engine(ctx)  # the idling truck or bus it comes from, under it
    return out + 0.25 * np.std(out) * engine / (np.std(engine) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Cloth in the wind
# ----------------------------------------------------------------------------------------------
def m_flap(ctx: Ctx) -> np.ndarray:
    """Cloth flapping in the wind (a flag, a sail, a tent, a kite): the fabric flutters in travelling waves
    whose free edge whips round and snaps, a sharp crack (a few ms of broadband noise to 8 kHz) after a softer
    low "whump" of the panel (150-1200 Hz, ~40 ms); the snaps come irregularly, more and harder in gusts (rate
    proportional to the square of the wind speed, a slowly wandering curve), at 3-9 per second for a flag and
    1-4 for a big sail, over a continuous flutter rustle and the wind itself. A play method saying "snapped
    open" (an umbrella, a parachute) makes a few isolated big snaps. The wind that drives it is heard too
    (low-passed noise following the gusts), as a microphone beside a flag hears it: in a wind strong enough to
    flap cloth, the turbulence on the microphone carries more energy (under ~400 Hz) than the cloth's
    flutter, about two thirds of the clip's."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    big = _has(ctx, "sail", "canopy", "parachute", "tent", "tarp", "envelope", "airship", "banner")
    opening = _has(ctx, "open")
    t = np.arange(ctx.n) / sr
    gust = np.clip(_slow_curve(ctx, t, 0.4, 0.5), 0.3, None)
    base = rng.uniform(1.0, 4.0) if big else rng.uniform(3.0, 9.0)
    out = np.zeros(ctx.n)
    if opening:
        times = np.cumsum(rng.uniform(0.6, 1.6, 8)) - 0.4
    else:  # Poisson snaps, thinned by the gusts' strength squared
        cand = np.cumsum(rng.exponential(1.0 / (base * 1.5), int(ctx.seconds * base * 3) + 10))
        g = np.interp(cand, t, gust) if ctx.n else cand
        times = cand[(cand < ctx.seconds - 0.05) & (rng.random(cand.size) < (g / 1.5) ** 2)]
    for ts in times:
        if ts >= ctx.seconds - 0.05 or ts < 0:
            continue
        gi = float(np.interp(ts, t, gust))
        whump = _bandpass(_decay_burst(ctx, 5.0, 15.0 if big else 8.0), 150, 900 if big else 1200, sr)
        crack = _highpass(_decay_burst(ctx, 0.2, rng.uniform(0.8, 2.0) * (1.5 if big else 1.0)), 700, sr)
        lag = int(0.02 * sr)  # the edge snaps ~20 ms after the panel turns
        grain = np.zeros(max(whump.size, lag + crack.size))
        grain[: whump.size] += 0.5 * whump / (np.abs(whump).max() + 1e-12)
        grain[lag:lag + crack.size] += 0.8 * crack / (np.abs(crack).max() + 1e-12)
        _place(ctx, out, grain, float(ts), gi * rng.uniform(0.5, 1.0) * (1.5 if opening else 1.0))
    rate_t = base * gust
    flutter = _bandpass(rng.standard_normal(ctx.n), 300, 3000 * p.pitch ** 0.5, sr)
    flutter *= (0.6 + 0.4 * np.sin(2 * np.pi * np.cumsum(rate_t * 2) / sr)) * gust
    wind = _lowpass(rng.standard_normal(ctx.n), 400, sr) * gust
    # the cloth's flutter and the wind sit under the snaps' peak; in a lull with no snap at all they are the sound
    peak = np.abs(out).max() + 1e-12 if out.any() else 1.0
    return 0.4 * out + peak * (0.3 * flutter / (np.abs(flutter).max() + 1e-12) + 0.6 * wind / (np.abs(wind).max() + 1e-12))



# ----------------------------------------------------------------------------------------------
# Bursts, twangs, fasteners, bounces
# ----------------------------------------------------------------------------------------------
def _n_wave(ctx: Ctx, ms: float) -> np.ndarray:
    """The pressure pulse of a sudden release (a burst, a muzzle blast): an N-wave of ``ms`` duration, a sharp
    rise, a linear fall through zero to the same depth, and a sharp return."""
    m = max(int(ms * 1e-3 * ctx.sr), 4)
    return np.concatenate([np.linspace(1.0, -1.0, m), [0.0]])


def m_pop(ctx: Ctx) -> np.ndarray:
    """Bursts and pops. A balloon bursting releases its overpressure at once: an N-wave as long as the balloon
    is wide divided by the speed of sound (0.5-1 ms), then the rubber's flap, in the room. A cork leaving a
    bottle (a play method or name saying cork, champagne, bottle) is a click and then the neck's Helmholtz
    resonance (400-800 Hz, a few cycles) and the fizz after it; a suction cup or plunger letting go (suction,
    plunger) is a lower, duller "thwop" (150-300 Hz). Pops come one at a time, 1-2.5 s apart."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    cork = _has(ctx, "cork", "champagne", "bottle", "wine")
    suction = _has(ctx, "suction", "plunger", "sucker")
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.2:
        if cork or suction:
            f = (rng.uniform(400, 800) if cork else rng.uniform(150, 300)) * p.pitch
            m = int(0.08 * sr)
            tt = np.arange(m) / sr
            ring = np.sin(2 * np.pi * f * tt) * np.exp(-tt / (0.006 if cork else 0.012))
            grain = _mix2(0.6 * _n_wave(ctx, 0.3), ring)
            if cork:  # bubbles fizzing out of the opened bottle
                fizz = _highpass(_decay_burst(ctx, 5.0, 300.0, 900.0), 3000, sr)
                grain = _mix2(grain, np.concatenate([np.zeros(int(0.05 * sr)), 0.08 * fizz]))
        else:
            grain = _mix2(_n_wave(ctx, rng.uniform(0.5, 1.0) / p.pitch),
                          0.3 * _bandpass(_decay_burst(ctx, 0.2, 4.0), 300, 3000, sr))
        _place(ctx, out, grain, t, rng.uniform(0.7, 1.0))
        t += rng.uniform(1.0, 2.5)
    return _floor(ctx, _in_room(ctx, out, 0.6, 0.5))


def _mix2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of two arrays of different lengths (zero-padded to the longer)."""
    out = np.zeros(max(a.size, b.size))
    out[: a.size] += a
    out[: b.size] += b
    return out


# (keyword stems, fundamental range Hz, partial ratios, T60 s): first match wins
TWANGERS: tuple[tuple[tuple[str, ...], tuple[float, float], tuple[float, ...], float], ...] = (
    (("ruler", "desk", "blade", "cantilever"), (25.0, 90.0), (1.0, 6.27, 17.55), 0.8),  # clamped-free bar
    (("spring", "doorstop", "boing", "coil"), (180.0, 320.0), (1.0, 2.0, 3.0, 4.0), 0.9),
    (("fork", "tine", "tuning"), (500.0, 1100.0), (1.0, 6.27), 1.2),  # tuning-fork-like tines
    (("spoke", "wire", "string"), (350.0, 700.0), (1.0, 2.0, 3.0, 4.0, 5.0), 0.6),  # a tensioned wire
)


def twanger(ctx: Ctx) -> tuple[tuple[float, float], tuple[float, ...], float]:
    for stems, band, ratios, t60 in TWANGERS:
        if _has(ctx, *stems):
            return band, ratios, t60
    return TWANGERS[0][1:]


def ruler_f1(thickness_m: float, overhang_m: float, youngs_pa: float, density: float) -> float:
    """First bending mode (Hz) of a clamped-free strip: f1 = (1.875^2 / 2 pi) sqrt(E t^2 / (12 rho)) / L^2."""
    return float(1.875**2 / (2 * np.pi) * np.sqrt(youngs_pa * thickness_m**2 / (12 * density)) / overhang_m**2)


def _ruler_twang(ctx: Ctx, f1: float, t60: float) -> np.ndarray:
    """One twang of a ruler held over a desk edge: the free end swings at its first bending mode ``f1`` (with
    the 6.27 and 17.55 modes rung by each blow) and, while the swing is wide (the first 0.3-0.8 s), slaps the
    desk once a cycle: a train of woody knocks at ``f1`` a second, fading with the swing, heard as the
    "brrr" of the twang; then it rings on free."""
    sr, rng = ctx.sr, ctx.rng
    m = int(min(2.5 * t60, 3.0) * sr)
    tt = np.arange(m) / sr
    ph = 2 * np.pi * f1 * tt
    x = 0.3 * np.sin(ph) * np.exp(-6.91 * tt / t60)
    for r in (6.27, 17.55):
        if r * f1 < 0.45 * sr:
            x += 0.15 / r**0.5 * np.sin(r * ph + rng.uniform(0, 2 * np.pi)) * np.exp(-6.91 * tt * r**0.5 / t60)
    slap_s = rng.uniform(0.3, 0.8)
    knock = _strike_ir(ctx, replace(MATERIALS["wood"], t60=0.05), rng.uniform(300, 800))
    knock = knock / (np.abs(knock).max() + 1e-12)
    for tk in np.arange(int(slap_s * f1)) / f1:
        i = int(tk * sr)
        k = min(knock.size, m - i)
        x[i:i + k] += np.exp(-6.91 * tk / t60) * (1 - tk / slap_s) * rng.uniform(0.8, 1.0) * knock[:k]
    return x * np.minimum(tt / 0.002, 1.0)


def spring_echoes(ctx: Ctx, round_trip_s: float, f_lo: float, f_hi: float, t60: float, m: int) -> np.ndarray:
    """A click launched down a coil spring, heard at its end: waves on a helix are dispersive (bending waves:
    group velocity ~ sqrt(f)), so frequency f of the k-th echo arrives at k T sqrt(f_hi / f) (T = the round
    trip at f_hi): each echo is a descending chirp, longer than the one before (the "boing" of a doorstop or
    of a spring reverb), alternating in sign at each reflection and decaying with ``t60``."""
    sr = ctx.sr
    x = np.zeros(m)
    k = 1
    while k * round_trip_s < m / sr:
        t0, t1 = k * round_trip_s, min(k * round_trip_s * np.sqrt(f_hi / f_lo), m / sr)
        i0, i1 = int(t0 * sr), int(t1 * sr)
        decay = np.exp(-6.91 * t0 / t60)
        if i1 - i0 < 8 or decay / np.sqrt(k) < 0.03:  # the rest lies 30 dB down, under the coil's own ring
            break
        tt = np.arange(i0, i1) / sr
        f = np.minimum(f_hi * (k * round_trip_s / tt) ** 2, 0.45 * sr)
        # a click's flat spectrum: each band keeps its energy however long it is smeared, so the amplitude
        # follows sqrt(|df/dt|) ~ t^-1.5 (and the whole echo 1/sqrt(k) as it spreads over k times as long)
        amp = (t0 / tt) ** 1.5 / np.sqrt(k) * np.minimum(1.0, np.minimum(tt - t0, t1 - tt) * sr / 16 + 1 / 16)
        x[i0:i1] += (-1) ** k * decay * amp * np.sin(2 * np.pi * np.cumsum(f) / sr)
        k += 1
    return x


def m_twang(ctx: Ctx) -> np.ndarray:
    """Twang and boing: a plucked elastic thing ringing at its own modes (:data:`TWANGERS`). A ruler held over a
    desk edge is a clamped-free strip (bending modes 1 : 6.27 : 17.55; :func:`ruler_f1`: 25-90 Hz for a
    plastic, wooden or steel ruler 10-20 cm over the edge) that slaps the desk once a cycle while its swing is
    wide, a fading train of knocks at its own rate, then rings on (:func:`_ruler_twang`); a coil spring (a
    doorstop, a mousetrap's) is dispersive, so its "boing" glides down by a few semitones and wobbles, and the
    pluck's click runs up and down the coil, coming back each round trip (10-30 ms) as a descending chirp
    (:func:`spring_echoes`); a fork's tines ring clean at a few hundred Hz; a spoke or wire is a tensioned string (harmonic partials). Each pluck
    decays exponentially; plucks come every 1-2 s (a ruler's every 0.8-1.5 s, as soon as it has stopped)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    band, ratios, t60 = twanger(ctx)
    bar = ratios[:2] == (1.0, 6.27) and band[0] < 200
    spring = ratios == (1.0, 2.0, 3.0, 4.0)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.3:
        f0 = rng.uniform(*band) * p.pitch
        if bar:
            _place(ctx, out, _ruler_twang(ctx, f0, t60), t, rng.uniform(0.7, 1.0))
            t += rng.uniform(0.8, 1.5)
            continue
        m = int(min(2.5 * t60, 3.0) * sr)
        tt = np.arange(m) / sr
        glide = 1 + (0.25 * np.exp(-tt / 0.15) + 0.02 * np.sin(2 * np.pi * 6 * tt)) if spring else 1.0
        ph = np.cumsum(f0 * glide * np.ones(m)) / sr
        x = np.zeros(m)
        for k, r in enumerate(ratios):
            if r * f0 * 1.3 < 0.45 * sr:
                x += np.sin(2 * np.pi * r * ph + rng.uniform(0, 2 * np.pi)) * np.exp(-6.91 * tt * r**0.5 / t60) / (k + 1)
        if spring:  # the click travelling up and down the coil
            echoes = spring_echoes(ctx, rng.uniform(0.01, 0.03), 300.0, 4000.0, t60, m)
            x = x + 0.7 * np.std(x) * echoes / (np.std(echoes) + 1e-12)
        x *= np.minimum(tt / 0.002, 1.0)
        _place(ctx, out, x, t, rng.uniform(0.7, 1.0))
        t += rng.uniform(1.0, 2.0)
    return _in_room(ctx, out, 0.3, 0.2)


def m_zipper(ctx: Ctx) -> np.ndarray:
    """A zip pulled: the slider engages one tooth after another (teeth 2-3 mm apart), each a tiny hard click
    (broadband, ringing the fabric and the slider at 2-6 kHz); at a pull speed of 0.2-0.5 m/s the clicks come
    at 70-250 a second and fuse into a rasp whose pitch follows the speed: it rises as the hand accelerates
    and falls as it slows, wavering by ~30 % with the hand and the friction. Heard in a quiet room. Pulls last 0.3-0.8 s (round a suitcase, 1.5-3 s with slow corners)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    long = _has(ctx, "round", "around", "suitcase", "tent")
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    pitch_mm = rng.uniform(2.0, 3.0)
    while t < ctx.seconds - 0.3:
        d = min(rng.uniform(1.5, 3.0) if long else rng.uniform(0.3, 0.8), ctx.seconds - t - 0.05)
        k = np.linspace(0, 1, 200)
        speed = rng.uniform(0.2, 0.5) * np.sin(np.pi * k) ** 0.6  # m/s, up and down again
        if long:  # corners: the hand slows
            for c in rng.uniform(0.2, 0.8, 2):
                speed *= 1 - 0.7 * np.exp(-((k - c) / 0.05) ** 2)
        rate = np.interp(np.arange(int(d * sr)) / sr / d, k, speed) / (pitch_mm * 1e-3)  # clicks per second
        wob = _lowpass(rng.standard_normal(rate.size), 40.0, sr)  # the hand's speed and the friction vary
        rate = rate * np.clip(1 + 0.3 * wob / (np.std(wob) + 1e-12), 0.2, None)
        clicks = np.flatnonzero(np.diff(np.floor(np.cumsum(rate) / sr)) > 0)
        exc = np.zeros(rate.size)
        exc[clicks] = rng.uniform(0.5, 1.0, clicks.size) * np.sign(rng.standard_normal(clicks.size))
        grain = _decay_burst(ctx, 0.05, 0.25, 1.5)
        seg = signal.oaconvolve(exc, grain)[: exc.size]
        seg = _bandpass(seg, 1500, 9000, sr) + 0.4 * _resonator(seg, rng.uniform(2500, 4500) * p.pitch, 4.0, sr)
        _place(ctx, out, seg, t, rng.uniform(0.7, 1.0))
        t += d + rng.uniform(0.4, 1.2)
    return _floor(ctx, _in_room(ctx, out, 0.3, 0.15))


def bounce_times(t0: float, fall_s: float, e: float, end: float) -> np.ndarray:
    """Impact times of a ball dropped at ``t0`` that first falls ``fall_s`` seconds: each flight after an
    impact is ``e`` (the coefficient of restitution) times the one before, so the bounces quicken
    geometrically (total flight time fall_s (1 + 2e / (1 - e)))."""
    times, t, flight = [], t0 + fall_s, 2 * fall_s * e
    while t < end and flight > 0.008:
        times.append(t)
        t += flight
        flight *= e
    return np.asarray(times)


# sphere cavity: roots ka of j_l'(ka) = 0 for the lowest modes of a rigid-walled sphere of air (l = 1, 2, 0, 3)
SPHERE_KA: tuple[float, ...] = (2.082, 3.342, 4.493, 4.514)
SPEED_OF_SOUND = 343.0


def cavity_modes(radius_m: float) -> np.ndarray:
    """Frequencies (Hz) of the lowest air-cavity modes of a hollow ball of ``radius_m`` (a rigid-walled sphere:
    f = ka c / (2 pi a)); a basketball (a = 0.12 m) rings at ~950 Hz and 1.5 kHz (Russell 2010, *Basketballs
    as spherical acoustic cavities*), a table-tennis ball (a = 20 mm) at ~5.7 kHz."""
    return np.asarray(SPHERE_KA) * SPEED_OF_SOUND / (2 * np.pi * radius_m)


FLOOR_MODES_HZ = 500.0  # a sprung hardwood floor's dense modes (boards on joists) lie under ~500 Hz
FLOOR_T60_S = 0.08  # and are damped within ~80 ms
DRIBBLE_HZ = (1.5, 2.2)  # bounces a second of a ball bounced by hand (a dribble)
HAND_SHARE = 0.7  # of a clip of a ball bounced on the ground, the part it is bounced by hand before being let go
GYM_WET = 0.5  # a sports hall's reverberant field against the bounces (RT60 ~1 s)


def _ball_hit(ctx: Ctx, small: bool, speed: float) -> np.ndarray:
    """One impact of a ball at relative ``speed`` (1 = the first, hardest), each a little different (where it
    lands, how it spins)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    if small:  # ~1 ms contact: a tick of the thin shell (its cavity, ~5.7 kHz) on the table top's wooden modes
        tick = _highpass(_decay_burst(ctx, 0.05, 0.4, 30.0), 1500, sr)
        tt = np.arange(tick.size) / sr
        for k, f in enumerate(cavity_modes(rng.uniform(0.019, 0.021))[:2] * p.pitch):
            if f < 0.45 * sr:
                tick += 0.3 / (k + 1) * np.sin(2 * np.pi * f * tt) * np.exp(-6.91 * tt / 0.01)
        board = _strike_ir(ctx, replace(MATERIALS["wood"], t60=0.06), rng.uniform(600, 1200))
        return _mix2(tick / (np.abs(tick).max() + 1e-12), 0.8 * board / (np.abs(board).max() + 1e-12))
    m = int(0.4 * sr)
    tt = np.arange(m) / sr
    # the air cavity rings, each mode excited by how and where the ball lands
    t60 = rng.uniform(0.1, 0.2)
    ring = np.zeros(m)
    for k, (f, g) in enumerate(zip(cavity_modes(rng.uniform(0.117, 0.123))[:3] * p.pitch, (1.0, 0.5, 0.3),
                                   strict=True)):
        ring += g * rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * tt + rng.uniform(0, 2 * np.pi)) \
            * np.exp(-6.91 * tt * (k + 1) / t60)
    ring *= np.minimum(tt / 0.003, 1.0)
    # the force on the floor: a half sine over the contact (~10 ms, shorter for a harder impact) ringing the
    # sprung hardwood floor, whose boards, joists and battens have modes packed densely under ~500 Hz (no one
    # of them stands out: a dull thud, not a drum's tuned head)
    contact = rng.uniform(0.008, 0.012) * speed ** -0.2
    pulse = np.where(tt < contact, np.sin(np.pi * tt / contact), 0.0)
    k = np.arange(int(0.15 * sr)) / sr
    floor = _lowpass(rng.standard_normal(k.size) * np.exp(-6.91 * k / FLOOR_T60_S), FLOOR_MODES_HZ, sr)
    thud = signal.oaconvolve(pulse, floor)[:m]
    slap = _bandpass(_decay_burst(ctx, 0.5, 3.0, 30.0), 300, 3000, sr)  # the pebbled rubber slapping the floor
    hit = 0.15 * ring / (np.abs(ring).max() + 1e-12) + thud / (np.abs(thud).max() + 1e-12)
    hit[: slap.size] += 0.4 * slap / (np.abs(slap).max() + 1e-12)
    return hit


def m_bounce(ctx: Ctx) -> np.ndarray:
    """A ball bouncing: dropped, it hits the ground at speed v = g t; each bounce returns ``e`` of the speed
    (coefficient of restitution: basketball 0.75-0.85, table-tennis ball 0.88-0.93), so the flights shrink
    geometrically (:func:`bounce_times`) and each impact is ``e`` times softer; it comes to rest, is picked up
    and dropped again. A basketball's impact (a ~10 ms contact, so the force pulse is a thud under ~150 Hz
    ringing the sprung hardwood floor) slaps its pebbled rubber on the floor (0.3-3 kHz) and sets its air cavity
    ringing (:func:`cavity_modes`: the faint "ping" at ~950 Hz and ~1.5 kHz, T60 0.1-0.2 s), in a sports hall
    (RT60 ~1 s, :data:`GYM_WET`); the floor's dense board modes under ~500 Hz (:data:`FLOOR_MODES_HZ`) make the
    thud dull. A ball bounced on the ground (unless the play method says dropped) is bounced by hand at
    1.5-2.2 a second (:data:`DRIBBLE_HZ`) for most of the clip (:data:`HAND_SHARE`), then let go to bounce
    out. A small hard ball on a table
    ("small", "table", "ping", "pong", "marble", "golf"): a ~1 ms contact ticks the thin shell and rings the
    table top's wooden modes, in a room."""
    rng = ctx.rng
    small = _has(ctx, "small", "table", "ping", "pong", "marble", "golf")
    e = rng.uniform(0.88, 0.93) if small else rng.uniform(0.75, 0.85)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.3)
    times: list[float] = []
    if not small and not _has(ctx, "drop"):  # bounced by hand, then let go to bounce out
        rate = rng.uniform(*DRIBBLE_HZ)
        while t < HAND_SHARE * ctx.seconds:
            times.append(t)
            t += 1 / rate * (1 + 0.05 * rng.standard_normal())
    amps = [float(a) for a in rng.uniform(0.8, 1.0, len(times))]
    while t < ctx.seconds - 0.5:
        fall = rng.uniform(0.25, 0.45)  # dropped from 0.3-1 m
        bt = bounce_times(t, fall, e, ctx.seconds)
        times += list(bt)
        amps += list(e ** np.arange(bt.size))
        t = (bt[-1] if bt.size else t) + rng.uniform(0.5, 1.0)
    for ti, a in zip(times, amps, strict=True):
        _place(ctx, out, _ball_hit(ctx, small, a), ti, a)
    return _floor(ctx, _in_room(ctx, out, 0.4 if small else 1.0, 0.2 if small else GYM_WET))


# ----------------------------------------------------------------------------------------------
# Blasts
# ----------------------------------------------------------------------------------------------
def m_blast(ctx: Ctx) -> np.ndarray:
    """Gunshots, cannon fire and eruptions, heard outdoors. The muzzle blast is an N-wave whose length grows
    with the charge (1-3 ms for a gun, 10-30 ms for a cannon, so a cannon's energy lies an octave or three
    lower: a boom), reflected by the ground a few ms later and echoed by buildings and hills (a decaying tail of
    0.8-3 s that is darker than the shot). Shots come singly or in pairs, 1-2 s apart; a cannon is fired every
    2-3 s. An eruption (volcano, erupt) is a continuous rumbling roar below ~200 Hz, swelling and falling, with
    explosive booms."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    cannon = _has(ctx, "cannon", "artillery", "howitzer", "mortar", "boom", "explos")
    erupt = _has(ctx, "volcan", "erupt", "lava")
    out = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.3)
    ms = (15.0, 35.0) if (cannon or erupt) else (1.0, 3.0)
    rt = 3.0 if (cannon or erupt) else 1.5
    while t < ctx.seconds - 0.3:
        w = _n_wave(ctx, rng.uniform(*ms) / p.pitch)
        w = _mix2(w, np.concatenate([np.zeros(int(rng.uniform(0.002, 0.006) * sr)), 0.6 * w]))  # ground reflection
        crack = _highpass(_decay_burst(ctx, 0.1, 0.8 if not cannon else 3.0), 800, sr)
        # the propellant gas jetting out after the blast: turbulent, tens of ms
        gas = _lowpass(_decay_burst(ctx, 1.0, 80.0 if (cannon or erupt) else 40.0), 500 if (cannon or erupt) else 1500, sr)
        grain = _mix2(_mix2(w, 0.3 * crack / (np.abs(crack).max() + 1e-12)), 1.0 * gas / (np.abs(gas).max() + 1e-12))
        _place(ctx, out, grain, t, rng.uniform(0.7, 1.0))
        t += rng.uniform(2.0, 3.0) if (cannon or erupt) else rng.choice([0.25, 1.0, 2.0]) * rng.uniform(0.8, 1.5)
    m = int(rt * sr)
    k = np.arange(m) / sr
    echo = _lowpass(rng.standard_normal(m) * np.exp(-6.91 * k / rt), 1500 if (cannon or erupt) else 3000, sr)
    echo[: int(0.05 * sr)] = 0.0
    for d_s in rng.uniform(0.06, 0.5, 3):  # discrete echoes off buildings or hillsides
        echo[int(d_s * sr)] += rng.uniform(0.3, 0.6) * np.abs(echo).max() * 8
    tail = signal.oaconvolve(out, echo)[: ctx.n]
    out = out + 0.5 * tail * np.abs(out).max() / (np.abs(tail).max() + 1e-12)
    if erupt:
        tt = np.arange(ctx.n) / sr
        roar = _lowpass(rng.standard_normal(ctx.n), 200, sr, order=3) * np.clip(_slow_curve(ctx, tt, 0.7, 0.6), 0.2, None)
        out = 0.6 * out + np.abs(out).max() * roar / (np.abs(roar).max() + 1e-12)
    return _floor(ctx, out, -45.0)  # the open air between shots


# ----------------------------------------------------------------------------------------------
# Bodies
# ----------------------------------------------------------------------------------------------
def m_heartbeat(ctx: Ctx) -> np.ndarray:
    """A heartbeat through a stethoscope: the first sound (S1, "lub": the mitral and tricuspid valves closing)
    is ~100-140 ms of low damped vibration at 40-70 Hz and its overtones; the second (S2, "dub": the aortic and
    pulmonary valves) is shorter, higher (60-100 Hz) and comes a systole later (~0.3 s, shortening as the rate
    rises); the rate is 60-85 beats a minute with a little breathing-driven variation. A stethoscope passes
    20-600 Hz and adds the skin's rustle."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    bpm = rng.uniform(60, 85)
    out = np.zeros(ctx.n)

    def valve(f: float, dur: float) -> np.ndarray:
        m = int(dur * sr)
        tt = np.arange(m) / sr
        # a valve's closure sets the blood column and the heart wall ringing: a fast rise (~10 ms) and a damped
        # decay over the sound's length, not a swell; only a little turbulent noise rides on it
        env = (1 - np.exp(-tt / 0.01)) * np.exp(-tt / (dur / 3.5))
        x = np.sin(2 * np.pi * f * tt) + 0.5 * np.sin(2 * np.pi * 2.1 * f * tt) + 0.3 * np.sin(2 * np.pi * 3.3 * f * tt)
        noise = _bandpass(rng.standard_normal(m), 40, 300, sr)
        return (x + 0.1 * noise / (np.std(noise) + 1e-12)) * env

    s1, s2 = valve(rng.uniform(40, 70) * p.pitch, 0.12), valve(rng.uniform(60, 100) * p.pitch, 0.08)
    t = rng.uniform(0.05, 0.4)
    while t < ctx.seconds - 0.1:
        period = 60.0 / bpm * (1 + 0.04 * np.sin(2 * np.pi * t / 4.0))  # respiratory sinus arrhythmia
        _place(ctx, out, s1, t, 1.0)
        _place(ctx, out, s2, t + 0.1 + 0.2 * period, 0.7)
        t += period
    floor = _bandpass(rng.standard_normal(ctx.n), 30, 600, sr)
    return _bandpass(out, 20, 600, sr) + 0.005 * floor / (np.std(floor) + 1e-12)


def helmholtz_hz(volume_m3: float, port_area_m2: float, neck_m: float) -> float:
    """Resonance (Hz) of a cavity of ``volume_m3`` breathing through a port of ``port_area_m2`` and length
    ``neck_m``: f = c / (2 pi) sqrt(A / (V L)), with the port's end correction (1.7 times its radius) added to L."""
    r = np.sqrt(port_area_m2 / np.pi)
    return float(SPEED_OF_SOUND / (2 * np.pi) * np.sqrt(port_area_m2 / (volume_m3 * (neck_m + 1.7 * r))))


# a mask's exhalation valve: a rubber flap over the port, lifted by the outflow, flutters against its seat (as a
# snorer's soft palate does) at 25-50 Hz, modulating the exhaled air's noise by about half
MASK_FLAP_HZ = (25.0, 50.0)
MASK_FLAP_DEPTH = 0.5


def m_breathing(ctx: Ctx) -> np.ndarray:
    """Breathing: air rushing through the mouth and nose is turbulent noise shaped by the vocal tract (broad
    resonances near 500, 1500 and 2500 Hz), 12-20 breaths a minute, the inhalation (~40 % of the cycle) softer
    and brighter than the exhalation. Through a diving regulator or a mask's valves (regulator, valve, mask,
    diver) the breath also fills the mask's or mouthpiece's dead space, a cavity of 0.3-0.6 l venting through a
    valve port of 1-2 cm2: a Helmholtz resonance (:func:`helmholtz_hz`, 130-310 Hz) that gives the breath its
    hollow, close "Darth Vader" colour, and each inhalation opens the demand valve, a fainter hiss of air
    (2-8 kHz, ~20 dB under the breath); a mask's exhalation valve, a rubber flap lifted by the outflow, flutters
    on its seat at 25-50 Hz (:data:`MASK_FLAP_HZ`), modulating the exhaled noise by half
    (:data:`MASK_FLAP_DEPTH`); a diver's exhalation bubbles out of the exhaust valve under water instead
    (Minnaert bubbles of 2-8 mm). Blowing out a candle or a puff (blow, puff, candle) is one short forced exhalation (0.2-0.4 s)
    every few seconds, each after a quick breath in through the mouth (0.4-0.7 s, ~12 dB softer)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    puff = _has(ctx, "blow", "puff", "candle")
    valve = _has(ctx, "regulator", "valve", "mask", "diver", "scuba")
    diver = _has(ctx, "regulator", "diver", "scuba", "underwater")
    out = np.zeros(ctx.n)
    cavity = helmholtz_hz(rng.uniform(0.3e-3, 0.6e-3), rng.uniform(1e-4, 2e-4), rng.uniform(0.01, 0.02))

    def airflow(dur: float, bright: float) -> np.ndarray:
        m = int(dur * sr)
        tt = np.arange(m) / sr
        env = np.sin(np.pi * np.clip(tt / dur, 0, 1)) ** 1.5
        x = rng.standard_normal(m)
        y = sum(g * _resonator(x, f * p.pitch ** 0.3, 3.0, sr) for f, g in ((500, 1.0), (1500, 0.6), (2500, 0.4)))
        y = y + bright * _highpass(x, 3000, sr)
        if valve:  # the mask's or mouthpiece's cavity
            y = y + 0.8 * _resonator(x, cavity * p.pitch ** 0.3, 5.0, sr)
        return y * env / (np.std(y) + 1e-12)

    t = rng.uniform(0.1, 0.5)
    if puff:
        while t < ctx.seconds - 0.4:
            inh = rng.uniform(0.4, 0.7)  # a quick breath in through the mouth first
            _place(ctx, out, airflow(inh, 0.5), t, 0.09)
            d = rng.uniform(0.2, 0.4)
            g = airflow(d, 0.4) * np.exp(-np.arange(int(d * sr)) / sr / (0.4 * d))
            _place(ctx, out, g, t + inh + rng.uniform(0.1, 0.3), 1.0)
            t += inh + rng.uniform(1.5, 2.5)
        return _in_room(ctx, out, 0.3, 0.2)
    period = 60.0 / rng.uniform(12, 20)
    while t < ctx.seconds - 0.3:
        inh, exh = 0.4 * period, 0.5 * period
        breath_in = airflow(inh, 0.5)
        if valve:  # the demand valve's hiss under the breath
            hiss = _bandpass(rng.standard_normal(breath_in.size), 2000, 8000, sr)
            hiss *= np.sin(np.pi * np.linspace(0, 1, hiss.size)) ** 0.5
            breath_in = breath_in + 0.1 * hiss / (np.std(hiss) + 1e-12)
        _place(ctx, out, breath_in, t, 0.6 if not valve else 0.8)
        if diver:
            for bt in t + inh + np.sort(rng.uniform(0, exh, int(rng.integers(25, 50)))):
                _place(ctx, out, _bubble(ctx, rng.uniform(0.002, 0.008), rng.uniform(0.5, 1.5)), float(bt), 0.2)
        ex = airflow(exh, 0.2)
        if valve and not diver:  # the mask's exhalation flap flutters in the outflow
            tt = np.arange(ex.size) / sr
            ex = ex * (1 + MASK_FLAP_DEPTH * np.sin(2 * np.pi * rng.uniform(*MASK_FLAP_HZ) * tt))
        _place(ctx, out, ex, t + inh, 1.0)
        t += period * (1 + 0.05 * rng.standard_normal())
    return out


# ----------------------------------------------------------------------------------------------
# Small machines
# ----------------------------------------------------------------------------------------------
def m_vibrate(ctx: Ctx) -> np.ndarray:
    """A phone's vibrating alert: an eccentric mass on a tiny motor spins at 150-250 turns a second, shaking
    the phone at that rate; on a hard surface the phone rattles against it (the motion clips: a buzz rich in
    harmonics). The motor spins up in ~40 ms (its pitch rising to speed) and runs in the alert's cadence, two
    pulses of ~0.4 s 0.2 s apart, then ~1 s of silence."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    f = rng.uniform(150, 250) * p.pitch
    out = np.zeros(ctx.n)
    d = rng.uniform(0.35, 0.5)
    m = int(d * sr)
    tt = np.arange(m) / sr
    spin = 1 - np.exp(-tt / 0.04)
    ph = np.cumsum(f * spin) / sr
    x = np.sin(2 * np.pi * ph) * spin
    buzz = np.clip(2.5 * x, -1, 1) + 0.3 * _bandpass(rng.standard_normal(m), 1000, 6000, sr) * np.abs(x) ** 4
    buzz *= np.minimum((d - tt) / 0.02, 1.0)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.2:
        _place(ctx, out, buzz, t, 1.0)
        _place(ctx, out, buzz, t + d + 0.2, 1.0)
        t += 2 * d + 0.2 + rng.uniform(0.9, 1.2)
    return _in_room(ctx, out, 0.3, 0.1)


def m_static(ctx: Ctx) -> np.ndarray:
    """Static: a television tuned to no station shows and sounds the receiver's own thermal noise, white and
    steady, with faint crackle; a radio tuned between stations (tuning, radio, dial, between) hisses too, and
    as the dial moves past each carrier the receiver's oscillator beats with it, a heterodyne whistle sweeping
    down through the audio band and up again (a weak distant carrier: its beat 3-10 dB under the hiss), with
    snatches of the station's audio (here a band-limited buzz) when it is near. With no carrier the AGC holds
    the gain at its top, so the hiss is steady; it dips under each carrier the dial passes."""
    sr, rng = ctx.sr, ctx.rng
    hiss = rng.standard_normal(ctx.n)
    crackle = _impulses(ctx, rng.uniform(0, ctx.seconds, int(20 * ctx.seconds)), rng.standard_normal(int(20 * ctx.seconds)))
    out = hiss + 3.0 * _highpass(crackle, 1000, sr)
    if not _has(ctx, "tuning", "radio", "dial", "between"):
        return out
    t = np.arange(ctx.n) / sr
    out *= 0.5
    s = rng.uniform(0.2, 1.0)
    while s < ctx.seconds - 0.5:
        d = rng.uniform(0.6, 1.2)
        i0, i1 = int(s * sr), min(int((s + d) * sr), ctx.n)
        tt = t[i0:i1] - s
        fb = 4000 * np.abs(2 * tt / d - 1) ** 1.5 + 30  # sweeping down to zero beat and up again
        whistle = np.sin(2 * np.pi * np.cumsum(fb) / sr)
        near = np.exp(-((2 * tt / d - 1) / 0.25) ** 2)
        station = _bandpass(np.sign(np.sin(2 * np.pi * rng.uniform(100, 200) * tt)) + 0.5 * rng.standard_normal(tt.size),
                            300, 3000, sr)
        strength = rng.uniform(0.2, 0.5)  # a distant carrier's beat, under the receiver's own hiss
        agc = 1.0 - 0.6 * strength * near  # the AGC turns the gain (and the hiss) down under a carrier
        out[i0:i1] = out[i0:i1] * agc + strength * whistle * (1 - near) + 4.0 * strength * station * near
        s += d + rng.uniform(0.3, 1.0)
    return out


def m_feedback(ctx: Ctx) -> np.ndarray:
    """Acoustic feedback: where the loop from loudspeaker through the room into the microphone has a gain
    above one at some frequency (one of the room's peaks, 1-4 kHz), that frequency grows exponentially out of
    the room noise (20-60 dB a second) until the amplifier saturates (a whine with odd harmonics) and the
    fader is pulled down; it comes back, sometimes at another frequency."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = 0.003 * _lowpass(rng.standard_normal(ctx.n), 3000, sr)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.5:
        d = min(rng.uniform(1.2, 2.5), ctx.seconds - t)
        m = int(d * sr)
        tt = np.arange(m) / sr
        f = rng.uniform(1000, 4000) * p.pitch * (1 + 0.003 * np.sin(2 * np.pi * rng.uniform(3, 6) * tt))
        growth = rng.uniform(20, 60) / 8.686  # dB/s to nepers/s
        amp = 1e-3 * np.exp(growth * tt)
        x = np.tanh(amp * np.sin(2 * np.pi * np.cumsum(f) / sr) * 3) / np.tanh(3)
        x *= np.clip((d - tt) / 0.05, 0, 1)  # the fader pulled down
        _place(ctx, out, x, t, 1.0)
        t += d + rng.uniform(0.3, 1.0)
    return out


# a sewing machine's parts that click once a turn of the main shaft, at their phase of the turn: the needle bar
# at the bottom of its stroke and the rotary hook catching the thread half a turn later (steel, Hz range, gain)
SEWING_PARTS: tuple[tuple[float, tuple[float, float], float], ...] = (
    (0.0, (2500.0, 4000.0), 1.0), (0.5, (3000.0, 6000.0), 0.6))
SEWING_KNOCK = 0.5  # the cast body's knock at each stitch, against the needle bar's click (-6 dB)
SEWING_RATTLE = (6, 0.15)  # loose parts (bobbin case, feed dog, thread guides) clicking through each turn: count, gain
SEWING_MOTOR = 0.05  # the motor's brush noise against the clicks' peak (-26 dB): a whir, not an engine's hum


def m_sewing(ctx: Ctx) -> np.ndarray:
    """A sewing machine: each turn of the main shaft makes a stitch, 10-17 a second at full speed (600-1000
    stitches a minute). In a turn the needle bar clicks at the bottom of its stroke and the rotary hook half a
    turn later (:data:`SEWING_PARTS`: small steel parts ringing at 2.5-6 kHz for ~20 ms), over a knock of the
    cast body (:data:`SEWING_KNOCK`); loose parts (the bobbin case, the feed dog, the thread guides) click
    softly at random through the turn (:data:`SEWING_RATTLE`). Its small universal motor (9-12 turns to each
    stitch, through the belt) whirs: brush noise on the commutator (1-5 kHz) swelling once a turn, well under
    the clatter (:data:`SEWING_MOTOR`). The seamstress stitches in runs of 1-3 s, her foot on the pedal bringing
    the machine up to speed, wandering between about two thirds and full speed, and down again."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    steel = replace(MATERIALS["metal"], t60=0.02, noise=0.3, contact_ms=0.1)
    body = replace(MATERIALS["metal"], t60=0.04)
    parts = []
    for phase, (f_lo, f_hi), g in SEWING_PARTS:
        tick = _strike_ir(ctx, steel, rng.uniform(f_lo, f_hi) * p.pitch)
        parts.append((phase, g * tick / (np.abs(tick).max() + 1e-12)))
    knock = _strike_ir(ctx, body, rng.uniform(300, 600))
    knock = SEWING_KNOCK * knock / (np.abs(knock).max() + 1e-12)
    n_rattle, g_rattle = SEWING_RATTLE
    out = np.zeros(ctx.n)
    whir = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.3:
        d = min(rng.uniform(1.0, 3.0), ctx.seconds - t - 0.05)
        top = rng.uniform(10, 17)
        k = np.arange(int(d * sr)) / sr
        speed = top * np.clip(k / 0.25, 0, 1) * np.clip((d - k) / 0.2, 0, 1)  # stitches per second
        foot = np.clip(_slow_curve(replace(ctx, n=k.size), k, 1.5, 0.3), 0.3, 1.0)  # the pedal
        speed = speed * foot / foot.max()
        turns = np.cumsum(speed) / sr
        for phase, tick in parts:
            for i in np.flatnonzero(np.diff(np.floor(turns + phase)) > 0):
                _place(ctx, out, tick, t + i / sr, 0.6 + 0.4 * speed[i] / top)
        for i in np.flatnonzero(np.diff(np.floor(turns)) > 0):
            _place(ctx, out, knock, t + i / sr, 0.6 + 0.4 * speed[i] / top)
            for _ in range(n_rattle):
                tick = parts[int(rng.integers(len(parts)))][1]
                _place(ctx, out, tick, t + i / sr + rng.uniform(0, 1 / max(speed[i], 5)), g_rattle * rng.uniform(0.3, 1.0))
        turn = np.cumsum(speed * rng.uniform(9, 12)) / sr  # the motor's turns
        brush = _bandpass(rng.standard_normal(k.size), 1000, 5000, sr) * (1 + 0.5 * np.sin(2 * np.pi * turn))
        brush *= speed / top
        i0 = int(t * sr)
        whir[i0:i0 + brush.size] += brush[: ctx.n - i0]
        t += d + rng.uniform(0.4, 1.2)
    out = out + SEWING_MOTOR * whir * np.abs(out).max() / (np.abs(whir).max() + 1e-12)
    return _floor(ctx, _in_room(ctx, out, 0.3, 0.15))  # in a sewing room


# ----------------------------------------------------------------------------------------------
# Sports: each play method is a session of the game, not one hit
# ----------------------------------------------------------------------------------------------
def _half_sine(ctx: Ctx, ms: float) -> np.ndarray:
    """The force of a contact lasting ``ms``: a half sine (Hertzian contact), unit area. Its spectrum is flat up
    to ~1/(2 ms) and falls beyond its first null at 1.5/ms kHz: a long contact is a dull thud."""
    m = max(int(round(ms * 1e-3 * ctx.sr)), 2)
    pulse = np.sin(np.pi * (np.arange(m) + 0.5) / m)
    return pulse / pulse.sum()


def _impact(ctx: Ctx, contact_ms: float, freqs: Sequence[float] | np.ndarray, t60s: Sequence[float] | np.ndarray,
            amps: Sequence[float] | np.ndarray, length: float = 0.4) -> np.ndarray:
    """A body's ringing modes (``freqs`` Hz, ``t60s`` s, ``amps``) driven by a half-sine contact of
    ``contact_ms``; peak 1."""
    ir = _modal_ir(ctx, np.asarray(freqs, float), np.asarray(t60s, float), np.asarray(amps, float), length=length)
    x = signal.oaconvolve(_half_sine(ctx, contact_ms), ir)
    return x / (np.abs(x).max() + 1e-12)


def _burst(ctx: Ctx, ms: float, lo: float, hi: float) -> np.ndarray:
    """Band noise of ``lo``-``hi`` Hz decaying over ``ms`` (a slap of leather, the felt of a ball); peak 1."""
    x = _bandpass(_decay_burst(ctx, 0.1, ms / 3, ms * 2), lo, hi, ctx.sr)
    return x / (np.abs(x).max() + 1e-12)


# a tennis racket's stringbed (the strings on the ball's mass: 500-600 Hz), its frame's first bending and
# hoop modes (~130-180 Hz and ~500-600 Hz, strongly damped in the hand), Brody, Cross & Lindsey 2002, *The Physics
# and Technology of Tennis*; contact 4-5 ms
STRINGBED_HZ = (500.0, 600.0)
TENNIS_CONTACT_MS = (4.0, 5.0)


def tennis_rally(ctx: Ctx) -> list[tuple[float, str, float]]:
    """(time s, event, gain) of a tennis session: a serve (the ball bounced 2-3 times on the court first),
    then a rally of 3-9 shots, each crossing the net in 0.5-0.75 s to a bounce and returned 0.4-0.7 s later
    (hit to hit 1-1.5 s), the far player quieter; then the point is over and the next serve comes."""
    rng, out = ctx.rng, []
    t = rng.uniform(0.05, 0.4)
    near = bool(rng.random() < 0.5)
    while t < ctx.seconds:
        if near:  # bounced before the serve, then tossed
            for _ in range(int(rng.integers(2, 4))):
                out.append((t, "bounce", 0.35))
                t += rng.uniform(0.45, 0.6)
            t += rng.uniform(0.6, 0.9)  # the toss
        for _shot in range(int(rng.integers(3, 10))):
            out.append((t, "hit", 1.0 if near else 0.35))
            fly = rng.uniform(0.5, 0.75)
            out.append((t + fly, "bounce", 0.3 if near else 0.6))
            t += fly + rng.uniform(0.45, 0.7)
            near = not near
        t += rng.uniform(1.5, 3.0)
    return [e for e in out if e[0] < ctx.seconds]


def m_racket(ctx: Ctx) -> np.ndarray:
    """A tennis racket striking the ball, in a rally (:func:`tennis_rally`). At each hit the ball sits on the
    strings for 4-5 ms; the force peaks sharply as the flattened ball stiffens (modelled as a half sine of a
    third of the contact, 1.3-1.7 ms, which a 4-5 ms half sine could not give: its first null is at ~330 Hz),
    and the stringbed rings at 500-600 Hz (T60 40-80 ms) — the "ping" — over the frame's damped bending mode
    (130-180 Hz) and the felt ball's compression pop (a 2-3 ms burst at 1-5 kHz). A bounce on a hard court
    is the ball alone: a 4-5 ms contact, its pop and a faint ring of its air cavity (a 33 mm sphere,
    :func:`cavity_modes`: ~3.4 kHz). On an open court, in the open air (no reverberant field)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    for t, kind, g in tennis_rally(ctx):
        contact = rng.uniform(*TENNIS_CONTACT_MS)
        pop = _burst(ctx, rng.uniform(2.0, 3.0), 1000, 5000)
        if kind == "hit":
            fs = rng.uniform(*STRINGBED_HZ) * p.pitch
            body = _impact(ctx, contact / 3, [fs, fs * 2.03, rng.uniform(130, 180)],
                           [rng.uniform(0.04, 0.08), 0.03, 0.02], [1.0, 0.3, 0.5], length=0.15)
            x = _mix2(0.6 * body, pop)
        else:
            ring = _impact(ctx, 0.3, cavity_modes(rng.uniform(0.032, 0.034))[:2], [0.01, 0.008], [1.0, 0.5], 0.05)
            thump = _impact(ctx, contact, [rng.uniform(150, 250)], [0.02], [1.0], 0.06)
            x = _mix2(thump, _mix2(0.8 * pop, 0.2 * ring))
        if g < 0.5:  # far: the air dulls it
            x = _lowpass(x, 3000, sr)
        _place(ctx, out, x, t, g * rng.uniform(0.85, 1.0))
    return out  # an open court: no reverberant field to speak of


# a wooden baseball bat's free-free bending modes (the handle held lightly: Russell 2003, *Vibrational modes of
# a baseball bat*: 170, 560, 1150 Hz; the hoop-free wood has little above); the ball stays on the bat ~0.7 ms
BAT_MODES_HZ = (170.0, 560.0, 1150.0)
BAT_CONTACT_MS = (0.6, 0.9)


def m_bat(ctx: Ctx) -> np.ndarray:
    """A wooden bat cracking a ball, at batting practice: a pitch every 2-3.5 s, most of them hit. The ball
    leaves the bat after ~0.7 ms, so the contact excites the bat's bending modes (:data:`BAT_MODES_HZ`, T60
    0.05-0.15 s, the low one damped by the hands) and a broadband crack (the ball's cover and the wood's
    surface: a sub-ms noise burst, 1-8 kHz); a miss pops into the catcher's mitt instead (:func:`_glove_catch`).
    The crack comes back off the stands 0.15-0.3 s later, over a little of their reverberation (RT60 0.3 s)."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.8)
    while t < ctx.seconds - 0.05:
        if rng.random() < 0.8:
            contact = rng.uniform(*BAT_CONTACT_MS)
            modes = np.asarray(BAT_MODES_HZ) * rng.uniform(0.95, 1.05) * p.pitch
            body = _impact(ctx, contact, modes, [0.05, rng.uniform(0.08, 0.15), rng.uniform(0.05, 0.1)],
                           [0.6, 1.0, 0.7], length=0.3)
            crack = _burst(ctx, rng.uniform(0.6, 1.2), 1000, 8000)
            x = _mix2(body, crack)
            _place(ctx, out, x, t, rng.uniform(0.8, 1.0))
            _place(ctx, out, _lowpass(x, 2500, sr), t + rng.uniform(0.15, 0.3), 0.15)
        else:
            _place(ctx, out, _glove_catch(ctx), t, 0.6)
        t += rng.uniform(2.0, 3.5)
    return _in_room(ctx, out, 0.3, 0.1)  # a ball park's stands


# a leather glove's pocket and the hand behind it: the catch's mass-spring thud at 100-200 Hz
GLOVE_THUD_HZ = (100.0, 200.0)


def _glove_catch(ctx: Ctx) -> np.ndarray:
    """A ball into a leather glove: the leather slaps (a 1-2 ms burst at 0.5-4 kHz as the pocket's skin is hit
    and folds) over the thud of the pocket and the hand (a heavily damped mode at 100-200 Hz driven by the
    ball's ~5 ms stop)."""
    rng = ctx.rng
    thud = _impact(ctx, rng.uniform(4.0, 6.0), [rng.uniform(*GLOVE_THUD_HZ) * ctx.p.pitch], [0.04], [1.0], 0.12)
    slap = _burst(ctx, rng.uniform(1.0, 2.0), 500, 4000)
    return _mix2(thud, 0.9 * slap)


def m_glove(ctx: Ctx) -> np.ndarray:
    """A baseball glove. Playing catch (the default): the ball pops into the near glove (:func:`_glove_catch`)
    and, thrown back, into the far one (quieter, duller) every 1.2-2 s; the catcher sometimes pounds the
    pocket before throwing. A play method saying fist, pound or punch: the fist pounding the pocket, 2-4
    thumps at 3-5 a second, then a pause (a fist is softer than a ball: a longer contact, 8-12 ms, under the
    skin's slap on the leather)."""
    sr, rng = ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    pound = _has(ctx, "fist", "pound", "punch")
    t = rng.uniform(0.1, 0.5)
    near = True
    while t < ctx.seconds - 0.05:
        if pound or rng.random() < 0.2:
            rate = rng.uniform(3.0, 5.0)
            for _ in range(int(rng.integers(2, 5))):
                thud = _impact(ctx, rng.uniform(8.0, 12.0), [rng.uniform(*GLOVE_THUD_HZ)], [0.05], [1.0], 0.12)
                _place(ctx, out, _mix2(thud, 0.8 * _burst(ctx, 2.0, 300, 2000)), t, rng.uniform(0.6, 0.8))
                t += 1 / rate
            t += rng.uniform(0.6, 1.2) if pound else 0.3
            continue
        x = _glove_catch(ctx)
        _place(ctx, out, x if near else _lowpass(x, 2500, sr), t, 1.0 if near else 0.4)
        near = not near
        t += rng.uniform(1.2, 2.0)
    return _in_room(ctx, out, 0.3, 0.1)  # a ball park's stands


# a heavy bag: 30-45 kg of sand and rags in a leather cylinder, swinging on a chain; struck, its mass on the
# glove's give rings at 60-120 Hz
BAG_THUD_HZ = (60.0, 120.0)


def punch_times(ctx: Ctx) -> np.ndarray:
    """Onsets (s) of a boxer's punches: combinations of 2-5 at 3-5 a second, 0.5-1.4 s apart."""
    rng, out = ctx.rng, []
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.05:
        rate = rng.uniform(3.0, 5.0)
        for _ in range(int(rng.integers(2, 6))):
            out.append(t)
            t += (1 / rate) * (1 + 0.08 * rng.standard_normal())
        t += rng.uniform(0.5, 1.4)
    return np.asarray([x for x in out if x < ctx.seconds])


def m_punching_bag(ctx: Ctx) -> np.ndarray:
    """A heavy bag punched in combinations (:func:`punch_times`). Each punch: the glove's leather slaps the
    bag's (a 2-4 ms burst at 0.3-3 kHz), the sand-filled mass thuds (a damped 60-120 Hz mode under a 10-15 ms
    contact: the glove's padding), and the chain and its swivel jingle 40-150 ms later as the bag swings
    (small steel links: brief rings at 2-6 kHz). In a gym (RT60 ~0.8 s)."""
    p, rng = ctx.p, ctx.rng
    out = np.zeros(ctx.n)
    steel = replace(MATERIALS["metal"], t60=0.03, noise=0.2, contact_ms=0.1)
    for t in punch_times(ctx):
        f = rng.uniform(*BAG_THUD_HZ) * p.pitch
        thud = _impact(ctx, rng.uniform(10.0, 15.0), [f, f * 1.6], [0.08, 0.04], [1.0, 0.3], 0.25)
        slap = _burst(ctx, rng.uniform(2.0, 4.0), 300, 3000)
        g = rng.uniform(0.7, 1.0)
        _place(ctx, out, _mix2(thud, 0.6 * slap), t, g)
        for _ in range(int(rng.integers(2, 5))):  # the chain's links
            link = _strike_ir(ctx, steel, rng.uniform(2000, 6000))
            _place(ctx, out, link / (np.abs(link).max() + 1e-12), t + rng.uniform(0.04, 0.15), 0.02 * g)
    return _in_room(ctx, out, 0.8, 0.2)  # a gym


# phenolic resin balls (57 mm, 170 g) touch for ~0.2-0.3 ms: a click whose energy lies near 1/contact, 3.3-5 kHz
# (the balls' own lowest modes, ~16 kHz for a 57 mm resin sphere, lie above it); the cue's leather tip stays on
# the cue ball ~1 ms: a lower tock
BALL_CONTACT_MS = (0.2, 0.3)
CUE_CONTACT_MS = (0.8, 1.5)
# loss factor of a hard thermoset (phenolic resin): a mode at f rings for T60 = 2.2 / (eta f), 14-73 ms at 3-8 kHz
PHENOLIC_LOSS = (0.01, 0.02)
# peaks relative to a ball-on-ball click: the soft leather tip (a 4x longer contact: a 4x smaller force
# derivative) tocks ~20 dB under it, the rubber cushion's 5 ms give thuds ~26 dB under it
TOCK_GAIN = 0.1
CUSHION_GAIN = 0.05


def ball_click(ctx: Ctx) -> np.ndarray:
    """Two pool balls meeting, peak 1: a rigid ball radiates as it is accelerated, so the pressure follows
    the force's derivative, a doublet of the 0.2-0.3 ms contact (:data:`BALL_CONTACT_MS`) whose energy peaks
    near 1/contact (3.3-5 kHz), and the two balls and the air between them ring on at that frequency (the
    click's bright colour) as long as the resin's loss allows (:data:`PHENOLIC_LOSS`: T60 = 2.2 / (eta f))."""
    rng = ctx.rng
    contact_ms = rng.uniform(*BALL_CONTACT_MS)
    d = np.diff(_half_sine(ctx, contact_ms), prepend=0.0, append=0.0)
    fc = 1e3 / contact_ms * ctx.p.pitch
    t60 = 2.2 / (rng.uniform(*PHENOLIC_LOSS) * fc)
    ring = _modal_ir(ctx, np.array([fc, fc * 1.5]), np.array([t60, t60 / 1.5]), np.array([1.0, 0.5]), 0.08)
    return _mix2(0.5 * d / np.abs(d).max(), ring / (np.abs(ring).max() + 1e-12))


def m_billiards(ctx: Ctx) -> np.ndarray:
    """Pool balls in play. A shot: the cue's tock (its ~1 ms tip contact ringing the cue's wood at 1-2 kHz);
    the cue ball runs 0.3-1.2 m at 1-3 m/s (silently here) to clicks as it meets others (ball on ball for
    0.2-0.3 ms, :func:`ball_click`; the balls' own modes lie far above hearing), 1-3 of them as the object
    ball runs on, and a thud on a rubber cushion (a 5 ms contact: 200-400 Hz); the cue's tock and the cushion's
    thud sit 20 and 26 dB under a click (:data:`TOCK_GAIN`, :data:`CUSHION_GAIN`). A session opens on the break half the time (the rack scattered: 10-25
    clicks in ~0.6 s, cushion thuds over 1.5 s) and goes on shot by shot, 1.5-3 s of aiming apart. In a room
    (RT60 ~0.5 s)."""
    rng = ctx.rng
    out = np.zeros(ctx.n)

    def click(t: float, g: float) -> None:
        _place(ctx, out, ball_click(ctx), t, g)

    def cushion(t: float, g: float) -> None:
        _place(ctx, out, _impact(ctx, 5.0, [rng.uniform(200, 400)], [0.03], [1.0], 0.08), t, CUSHION_GAIN * g)

    def tock(t: float, g: float) -> None:
        x = _impact(ctx, rng.uniform(*CUE_CONTACT_MS), [rng.uniform(1000, 2000), rng.uniform(2500, 3500)],
                    [0.015, 0.01], [1.0, 0.4], 0.05)
        _place(ctx, out, x, t, TOCK_GAIN * g)

    t = rng.uniform(0.1, 0.5)
    if rng.random() < 0.5:  # the break
        tock(t, 1.0)
        t0 = t + rng.uniform(0.08, 0.15)
        for tc in np.sort(t0 + rng.exponential(0.25, int(rng.integers(10, 26)))):
            click(float(tc), rng.uniform(0.3, 1.0))
        for tc in t0 + rng.uniform(0.2, 1.5, int(rng.integers(4, 9))):
            cushion(float(tc), rng.uniform(0.5, 1.0))
        t += rng.uniform(2.0, 3.0)
    while t < ctx.seconds - 0.1:
        g = rng.uniform(0.6, 1.0)
        tock(t, g)
        speed = rng.uniform(1.0, 3.0)  # m/s over a 0.3-1.2 m path
        tc = t + rng.uniform(0.3, 1.2) / speed
        click(tc, g)
        for _ in range(int(rng.integers(1, 4))):  # the object ball on to another
            tc += rng.uniform(0.15, 0.6)
            click(tc, g * rng.uniform(0.3, 0.7))
        cushion(tc + rng.uniform(0.2, 0.6), g)
        t += rng.uniform(1.5, 3.0)
    return _in_room(ctx, out, 0.5, 0.15)  # a pool room


# ----------------------------------------------------------------------------------------------
# Crowds
# ----------------------------------------------------------------------------------------------
LAUGH_SYLLABLES_HZ = (4.0, 6.0)  # "ha" syllables a second in a laugh bout (Bachorowski et al. 2001: ~4.7 Hz)
LAUGH_F0_HZ = (200.0, 500.0)  # laughter's voiced f0, well above the same talker's speech
CHEER_VOICES = (30, 61)  # voices in one cheer of a stadium or hall crowd
# talkers in a crowd's babble raise their voices over it (the Lombard effect, ~3.5 dB): the raised voices
# popping out stand that much over the babble's level
LOMBARD_GAIN = 10 ** (3.5 / 20)
CALLS_PER_S = (3.0, 7.0)  # raised voices popping out of the babble of a crowd of dozens (sparse to dense)


def _laugh(ctx: Ctx, m: int) -> np.ndarray:
    """One laugh bout of ``m`` samples: "ha" syllables at 4-6 a second, each an aspiration (an /h/: breath
    noise) opening into a breathy /a/ (F1 ~800 Hz, F2 ~1.3 kHz, F3 ~2.5 kHz) on a high f0 (200-500 Hz); each syllable on
    its own pitch (±3 semitones) falling ~10 % within it, the bout drifting down while the syllables weaken
    (Bachorowski et al. 2001: laughter is irregular, noisy and high)."""
    sr, rng = ctx.sr, ctx.rng
    rate = rng.uniform(*LAUGH_SYLLABLES_HZ)
    t = np.arange(m) / sr
    syl = (t * rate) % 1.0
    k = (t * rate).astype(int)
    steps = 2 ** (rng.uniform(-3, 3, k.max() + 1) / 12)
    f0 = rng.uniform(*LAUGH_F0_HZ) * ctx.p.pitch * (1 - 0.3 * t / (m / sr)) * steps[k] * (1 - 0.1 * syl)
    sub = replace(ctx, n=m)
    pulses = _lowpass(_pulse_train(sub, f0, 0.04), 4000, sr, order=1)
    voice = pulses / (np.std(pulses) + 1e-12) + 2.0 * rng.standard_normal(m)  # breathy: the harmonics weak
    voiced = np.clip(np.sin(np.pi * np.clip((syl - 0.25) / 0.6, 0, 1)), 0, None) ** 0.8
    breath = np.exp(-(((syl - 0.12) / 0.08) ** 2))
    decay = np.exp(-t / (m / sr))
    f1, f2 = rng.uniform(700, 900), rng.uniform(1150, 1450)
    v = voice * voiced
    vowel = _resonator(v, f1, 4, sr) + 0.6 * _resonator(v, f2, 6, sr) + 0.3 * _resonator(v, 2500, 8, sr)
    h = _bandpass(rng.standard_normal(m), 500, 4000, sr) * breath
    x = vowel / (np.std(vowel) + 1e-12) + 0.4 * h / (np.std(h) + 1e-12)
    return x * decay * np.minimum(t / 0.02, 1.0)


def _call(ctx: Ctx, m: int) -> np.ndarray:
    """A raised voice out of the babble, ``m`` samples (0.3-0.8 s): talking over a crowd people lift their
    voice (the Lombard effect: f0 up to 250-400 Hz, more level), here one called word on an open vowel with
    a rise and fall of ~15 %."""
    sr, rng = ctx.sr, ctx.rng
    t = np.arange(m) / sr
    d = m / sr
    f0 = rng.uniform(250, 400) * ctx.p.pitch * (1 + 0.15 * np.sin(np.pi * t / d))
    ph = 2 * np.pi * np.cumsum(f0) / sr
    src = sum(np.sin(k * ph) / k ** 0.8 for k in range(1, 13))
    vowel = np.asarray(_VOWELS[int(rng.integers(len(_VOWELS)))], float)
    x = sum(_resonator(src, f, 5 + 2 * i, sr) / (i + 1) for i, f in enumerate(vowel))
    return x / (np.std(x) + 1e-12) * np.sin(np.pi * t / d) ** 0.5


def _crowd_voice(ctx: Ctx, f_mean: float, syllables_per_s: float) -> np.ndarray:
    """One talker in a crowd, unit RMS: :func:`_talker`'s phrasing and mouth (its building blocks), but each
    syllable on its own pitch (±5 semitones around the phrase's declining line: lively conversation, so summed
    voices never hold a chord) and a breathy voice (aspiration noise in the source)."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    t = np.arange(n) / sr
    talk, line = _talk_phrases(ctx, f_mean)
    on = _syllable_onsets(ctx, syllables_per_s)
    semis = rng.uniform(-5.0, 5.0, on.size)
    idx_n = np.clip(np.searchsorted(on, t, side="right") - 1, 0, None)
    f0 = line * 2 ** (_lowpass(semis[idx_n], 20.0, sr) / 12)
    src = _lowpass(_pulse_train(ctx, f0, 0.03), 4000, sr, order=1)
    src = src / (np.std(src) + 1e-12) + 0.5 * _bandpass(rng.standard_normal(n), 300, 6000, sr) / 0.3
    return _articulate(ctx, src, on, talk, syllables_per_s, bandwidth=60.0)


def m_crowd(ctx: Ctx) -> np.ndarray:
    """A crowd of people in a room, a shop or a hall: 8-14 talkers at 2-10 m (:func:`_crowd_voice`: each its own
    pitch, syllable rate and phrasing; further ones quieter by 1/r and duller), none near enough to follow,
    summed into babble, out of which raised voices call out (:func:`_call`, :data:`CALLS_PER_S`, more in a
    denser crowd); a play method saying laugh adds laughter (:func:`_laugh`: bouts of 0.5-1.5 s, now and then
    several at once). A play method naming cheering, a stadium, an arena or a roar: the crowd roars, dozens of
    raised voices (:data:`CHEER_VOICES`) shouting together every 2-4 s, in a big space (RT60 1.5-2.5 s). All
    in the space's reverberation (RT60 0.6-1.2 s for a room or a shop). Rendered at 16 kHz (voices carry
    little above 8 kHz) and resampled up."""
    factor = ctx.sr // 16000
    if factor >= 2:
        low = replace(ctx, sr=ctx.sr // factor, n=-(-ctx.n // factor))
        return resample(m_crowd(low), 1, factor)[: ctx.n]
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    babble = np.zeros(ctx.n)
    for _ in range(int(np.clip(round(8 + 6 * (p.density - 0.5)), 8, 14))):
        f = rng.uniform(95, 140) if rng.random() < 0.5 else rng.uniform(170, 250)
        r = rng.uniform(2.0, 10.0)  # m
        v = _crowd_voice(ctx, f * p.pitch, rng.uniform(4.0, 6.0))
        babble += (2.0 / r) * _lowpass(v, 8000 - 500 * r, sr)
    babble /= np.std(babble) + 1e-12
    calls = np.zeros(ctx.n)
    rate = CALLS_PER_S[0] + (CALLS_PER_S[1] - CALLS_PER_S[0]) * float(np.clip((p.density - 0.5) / 1.5, 0.0, 1.0))
    t = rng.exponential(1 / rate)
    while t < ctx.seconds - 0.3:
        _place(ctx, calls, _call(ctx, int(rng.uniform(0.3, 0.8) * sr)), t, rng.uniform(0.2, 1.0))
        t += rng.exponential(1 / rate)
    big = _has(ctx, "cheer", "stadium", "roar", "fans", "arena", "goal")
    # a conversing crowd's talkers raise their voices over its babble; in a stadium the roar swamps them
    out = babble + (1.0 if big else LOMBARD_GAIN) * calls / (np.std(calls) + 1e-12)
    if _has(ctx, "laugh"):  # people laughing: bouts every ~1.5 s, now and then several together
        laughs = np.zeros(ctx.n)
        t = rng.exponential(1.5)
        while t < ctx.seconds - 0.3:
            m = int(rng.uniform(0.5, 1.5) * sr)
            for k in range(1 if rng.random() < 0.6 else int(rng.integers(2, 5))):
                _place(ctx, laughs, _laugh(ctx, m), t + 0.15 * k * rng.random(), rng.uniform(0.3, 0.8))
            t += rng.exponential(1.5)
        out = out + 0.5 * laughs / (np.std(laughs) + 1e-12)
    if big:  # the crowd roars: every 2-4 s dozens of voices shout at once, swelling within ~0.3 s
        cheers = np.zeros(ctx.n)
        t = rng.uniform(0.2, 1.5)
        while t < ctx.seconds - 0.3:
            for _ in range(int(rng.integers(*CHEER_VOICES))):
                _place(ctx, cheers, _call(ctx, int(rng.uniform(0.4, 1.2) * sr)), t + rng.exponential(0.3),
                       rng.uniform(0.2, 1.0))
            t += rng.uniform(2.0, 4.0)
        out = out + 1.5 * cheers / (np.std(cheers) + 1e-12)
    return _in_room(ctx, out, rng.uniform(1.5, 2.5) if big else rng.uniform(0.6, 1.2), 0.5)


# ----------------------------------------------------------------------------------------------
# Wind heard in the open
# ----------------------------------------------------------------------------------------------
WIND_TURBULENCE_HZ = 400.0  # wind noise on a microphone: eddies of the flow at the capsule, energy under ~400 Hz
GUST_KNOTS_PER_S = 0.4  # the gust curve's knots: swells of ~2.5 s
GUST_DEPTH = 0.8  # open country: gusts reach 1.5-2 times the mean speed, lulls nearly calm (gust factor ~1.8)
FOLIAGE_FLUTTER_HZ = (6.0, 18.0)  # leaves and grass blades flutter at 6-18 Hz in a fresh breeze
FOLIAGE_BAND_HZ = (300.0, 3000.0)  # the rustle of fluttering leaves and grass
FOLIAGE_SHARE = 1 / 3  # the rustle's peak against the turbulence's: wind noise dominates a microphone outdoors


def m_open_wind(ctx: Ctx) -> np.ndarray:
    """Wind across open country as a microphone there hears it: the flow's eddies at the capsule are wind noise,
    energy under ~400 Hz (:data:`WIND_TURBULENCE_HZ`) whose level follows the wind speed, so it swells and
    lulls with the gusts (:data:`GUST_KNOTS_PER_S`, :data:`GUST_DEPTH`: gust factor ~1.8, lulls nearly calm);
    over it the rustle of leaves and grass (:data:`FOLIAGE_BAND_HZ`) fluttering at 6-18 Hz, faster and louder
    in the gusts (:data:`FOLIAGE_FLUTTER_HZ`), a third of the turbulence's peak (:data:`FOLIAGE_SHARE`).
    The same texture is the wind under :func:`m_flap`'s cloth."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    t = np.arange(ctx.n) / sr
    gust = np.clip(_slow_curve(ctx, t, GUST_KNOTS_PER_S, GUST_DEPTH), 0.3, None)
    rate = rng.uniform(*FOLIAGE_FLUTTER_HZ) * gust
    rustle = _bandpass(rng.standard_normal(ctx.n), FOLIAGE_BAND_HZ[0], FOLIAGE_BAND_HZ[1] * p.pitch ** 0.5, sr)
    rustle *= (0.6 + 0.4 * np.sin(2 * np.pi * np.cumsum(rate) / sr)) * gust
    wind = _lowpass(rng.standard_normal(ctx.n), WIND_TURBULENCE_HZ, sr) * gust
    return wind / (np.abs(wind).max() + 1e-12) + FOLIAGE_SHARE * rustle / (np.abs(rustle).max() + 1e-12)


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "clap": (("clap", "hand clap", "applau", "ovation", "handclap"), m_clap),
    "wings": (("wing", "wingbeat", "take off"), m_wings),
    "tyre_squeal": (("tyre", "tires", "tyres squeal", "tire squeal", "skid"), m_tyre_squeal),
    "air_brake": (("air brake", "airbrake", "brake"), m_air_brake),
    "flap": (("flag", "flapping", "sails flap", "flapping in the wind", "banner", "tarpaulin"), m_flap),
    "pop": (("pop", "burst", "cork"), m_pop),
    "twang": (("twang", "boing", "plucked spoke", "spring twang"), m_twang),
    "zipper": (("zip", "zipper"), m_zipper),
    "bounce": (("bounc", "dribbl"), m_bounce),
    "blast": (("gunshot", "gunfire", "gun", "rifle", "pistol", "cannon", "artillery", "explosion", "eruption",
               "volcano"), m_blast),
    "heartbeat": (("heartbeat", "heart beat", "heart sound", "stethoscope"), m_heartbeat),
    "breathing": (("breathing", "breaths", "inhal", "exhal", "blown out", "regulator"), m_breathing),
    "vibrate": (("vibrat",), m_vibrate),
    "static": (("static", "white noise", "between stations"), m_static),
    "feedback": (("feedback",), m_feedback),
    "sewing": (("sewing", "stitch"), m_sewing),
    "racket": (("racket", "racquet", "tennis", "struck off the strings"), m_racket),
    "bat_crack": (("baseball bat", "bat cracking", "batting"), m_bat),
    "glove_catch": (("baseball glove", "mitt", "into the glove"), m_glove),
    "punching_bag": (("punching bag", "heavy bag", "punch bag"), m_punching_bag),
    "billiards": (("pool table", "billiard", "snooker", "cue ball", "balls clacking"), m_billiards),
    "open_wind": (("wind across open", "wind blowing across", "open wind"), m_open_wind),
    "crowd": (("crowd", "chatter", "audience murmur", "customers chatting", "hubbub", "cheering crowd", "stadium"),
              m_crowd),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "clap": ("Clapping", "Applause", "Hands"),
    "wings": ("Bird flight, flapping wings", "Buzz"),  # a hummingbird's 40-80 Hz wingbeat hums
    "tyre_squeal": ("Tire squeal", "Skidding", "Squeal"),
    "air_brake": ("Air brake", "Hiss"),
    "flap": ("Flap", "Wind", "Sailboat, sailing ship"),  # a sail's flapping is the sound of a sailboat
    "pop": ("Burst, pop", "Bang"),
    "twang": ("Twang", "Boing"),
    "zipper": ("Zipper (clothing)",),
    "bounce": ("Bouncing", "Basketball bounce", "Ping"),  # a table-tennis ball's tick
    "blast": ("Gunshot, gunfire", "Artillery fire", "Boom", "Explosion", "Eruption", "Rumble"),
    "heartbeat": ("Heart sounds, heartbeat",),
    "breathing": ("Breathing", "Puff"),
    "vibrate": ("Cellphone buzz, vibrating alert",),
    "static": ("Static", "White noise"),
    "feedback": ("Squeal",),
    "sewing": ("Sewing machine", "Mechanisms"),
    "racket": ("Whack, thwack", "Ping"),
    "bat_crack": ("Whack, thwack", "Crack"),
    "glove_catch": ("Slap, smack", "Thump, thud"),
    "punching_bag": ("Thump, thud", "Slap, smack"),
    "billiards": ("Clicking", "Chink, clink"),
    "open_wind": ("Wind", "Wind noise (microphone)", "Rustling leaves"),
    "crowd": ("Crowd", "Chatter", "Hubbub, speech noise, speech babble", "Laughter", "Cheering", "Speech",
              "Inside, public space"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from ..audio.resample import resample  # noqa: E402
from .synth import (  # noqa: E402
    _VOWELS,
    MATERIALS,
    Ctx,
    _articulate,
    _bandpass,
    _bubble,
    _decay_burst,
    _has,
    _highpass,
    _impulses,
    _lowpass,
    _modal_ir,
    _place,
    _pulse_train,
    _slow_curve,
    _strike_ir,
    _syllable_onsets,
    _talk_phrases,
    m_engine,
)
