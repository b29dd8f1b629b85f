"""Actions of people and things that no other family covers: hands clapping and applause, wings
flapping, tyres squealing, air brakes, sails and flags flapping, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from scipy import signal


def _has(ctx: Ctx, *stems: str) -> bool:
    """Does the play method or the name contain a word starting with one of ``stems``?"""
    d = ctx.desc
    if d is None:
        return False
    text = re.sub(r"[^a-z0-9 ]+", " ", f"{d.play_method} {d.name}".lower().replace("-", " "))
    return any(re.search(r"\b" + re.escape(s), text) for s in stems)


def _resonator(x: np.ndarray, fc: float, q: float, sr: int) -> np.ndarray:
    """A two-pole resonance at ``fc`` Hz of quality ``q`` (a cavity or a plate's first mode)."""
    b, a = signal.iirpeak(min(fc, 0.45 * sr), q, fs=sr)
    return signal.lfilter(b, a, x)


def _decay_burst(ctx: Ctx, attack_ms: float, tau_ms: float, length_ms: float | None = None) -> np.ndarray:
    """White noise with a linear attack and an exponential decay (time constant ``tau_ms``)."""
    m = max(int((length_ms or 6 * tau_ms + attack_ms) * 1e-3 * ctx.sr), 2)
    t = np.arange(m) / ctx.sr * 1e3
    env = np.minimum(t / max(attack_ms, 1e-3), 1.0) * np.exp(-np.maximum(t - attack_ms, 0.0) / tau_ms)
    return ctx.rng.standard_normal(m) * env


# ----------------------------------------------------------------------------------------------
# Hands
# ----------------------------------------------------------------------------------------------
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
    audience, crowd, ovation) is 20-60 clappers, each with its own hands and its own rate (2-6 Hz, Néda et al.
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
    people = int(rng.integers(40, 101))
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
# frequency falls with size, from ~50 Hz in hummingbirds to ~2 Hz in herons and swans)
WINGBEAT_HZ: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("hummingbird",), (40.0, 55.0)),
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
    make almost no noise above ~1 kHz. A hummingbird's 40-55 Hz beat fuses into a hum at the beat rate."""
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
    lo, hi = (150.0 + 350.0 * (1 - size)), (1200.0 + 3000.0 * (1 - size)) * p.pitch ** 0.5
    if owl:
        hi = min(hi, 900.0)
    air = _bandpass(rng.standard_normal(ctx.n), lo, hi, sr) * (down + up)
    out = air / (np.std(air) + 1e-12)
    if not owl:  # feathers rustling: crackle at the turn of each stroke
        turn = np.exp(-((frac - 0.6) / 0.06) ** 2) + np.exp(-(np.minimum(frac, 1 - frac) / 0.06) ** 2)
        clicks = (rng.random(ctx.n) < 2500.0 / sr) * rng.standard_normal(ctx.n)
        rustle = _bandpass(clicks, 2000, 8000, sr) * turn
        out = out + 0.15 * rustle / (np.std(rustle) + 1e-12)
    if rate >= 30:  # the beat itself is heard as a tone (and its first harmonics)
        hum = np.sin(2 * np.pi * phase) + 0.5 * np.sin(4 * np.pi * phase) + 0.25 * np.sin(6 * np.pi * phase)
        out = out + 1.5 * hum
    return out * bout


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
        f = f0 * glide * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(3, 7) * tt))
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
    as it vents (time constant 0.15-0.4 s for the short "pssht" as the brake is applied), and the hiss darkens
    and fades with it; after a pause the brake is released (or the parking brake set), a longer and louder dump
    (0.5-1 s), begun by the valve's click."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    out = np.zeros(ctx.n)
    metal = MATERIALS["metal"]

    def vent(tau: float, length: float) -> np.ndarray:
        m = int(length * sr)
        tt = np.arange(m) / sr
        press = np.exp(-tt / tau)
        env = np.minimum(tt / 0.015, 1.0) * press
        bright = _bandpass(rng.standard_normal(m), 3000, 11000, sr) * env**2
        dark = _bandpass(rng.standard_normal(m), 1000, 5000, sr) * env
        return (bright / (np.std(bright) + 1e-12) + 0.6 * dark / (np.std(dark) + 1e-12)) * np.max(env)

    t = rng.uniform(0.1, 0.5)
    while t < ctx.seconds - 0.2:
        _place(ctx, out, vent(rng.uniform(0.15, 0.4) * p.pitch ** -0.3, 1.2), t, rng.uniform(0.5, 0.8))
        t += rng.uniform(1.0, 2.0)
        if t >= ctx.seconds - 0.2:
            break
        click = _strike_ir(ctx, metal, rng.uniform(1500, 3000))
        _place(ctx, out, 0.1 * click / (np.abs(click).max() + 1e-12), t, 1.0)
        _place(ctx, out, vent(rng.uniform(0.5, 1.0), 3.0), t + 0.01, 1.0)
        t += rng.uniform(2.0, 3.5)
    engine = m_engine(ctx)  # the idling truck or bus it comes from, under it
    return out + 0.1 * np.std(out) * engine / (np.std(engine) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Cloth in the wind
# ----------------------------------------------------------------------------------------------
def m_flap(ctx: Ctx) -> np.ndarray:
    """Cloth flapping in the wind (a flag, a sail, a tent, a kite): the fabric flutters in travelling waves
    whose free edge whips round and snaps, a sharp crack (a few ms of broadband noise to 8 kHz) after a softer
    low "whump" of the panel (80-400 Hz, ~40 ms); the snaps come irregularly, more and harder in gusts (rate
    proportional to the square of the wind speed, a slowly wandering curve), at 3-9 per second for a flag and
    1-4 for a big sail, over a continuous flutter rustle and the wind itself. A play method saying "snapped
    open" (an umbrella, a parachute) makes a few isolated big snaps."""
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
        whump = _lowpass(_decay_burst(ctx, 5.0, 15.0 if big else 8.0), 300 if big else 450, sr)
        crack = _highpass(_decay_burst(ctx, 0.2, rng.uniform(0.8, 2.0) * (1.5 if big else 1.0)), 700, sr)
        lag = int(0.02 * sr)  # the edge snaps ~20 ms after the panel turns
        grain = np.zeros(max(whump.size, lag + crack.size))
        grain[: whump.size] += whump / (np.abs(whump).max() + 1e-12)
        grain[lag:lag + crack.size] += 0.8 * crack / (np.abs(crack).max() + 1e-12)
        _place(ctx, out, grain, float(ts), gi * rng.uniform(0.5, 1.0) * (1.5 if opening else 1.0))
    rate_t = base * gust
    flutter = _bandpass(rng.standard_normal(ctx.n), 300, 3000 * p.pitch ** 0.5, sr)
    flutter *= (0.6 + 0.4 * np.sin(2 * np.pi * np.cumsum(rate_t * 2) / sr)) * gust
    wind = _lowpass(rng.standard_normal(ctx.n), 400, sr) * gust
    peak = np.abs(out).max() + 1e-12
    return 0.4 * out + peak * (0.5 * flutter / (np.abs(flutter).max() + 1e-12) + 0.15 * wind / (np.abs(wind).max() + 1e-12))


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "clap": (("clap", "hand clap", "applau", "ovation", "handclap"), m_clap),
    "wings": (("wing", "wingbeat", "take off"), m_wings),
    "tyre_squeal": (("tyre", "tires", "tyres squeal", "tire squeal", "skid"), m_tyre_squeal),
    "air_brake": (("air brake", "airbrake", "brake"), m_air_brake),
    "flap": (("flag", "flapping", "sails flap", "flapping in the wind", "banner", "tarpaulin"), m_flap),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "clap": ("Clapping", "Applause", "Hands"),
    "wings": ("Bird flight, flapping wings",),
    "tyre_squeal": ("Tire squeal", "Skidding", "Squeal"),
    "air_brake": ("Air brake", "Hiss"),
    "flap": ("Flap",),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    MATERIALS,
    Ctx,
    _bandpass,
    _highpass,
    _impulses,
    _lowpass,
    _place,
    _slow_curve,
    _strike_ir,
    m_engine,
)
