"""Motors and engines: humming transformers and appliance motors, combustion engines (idling, diesel, small
singles, outboards, a loaded winch, a race car passing, distant traffic) and a trolley's rattling wheels, each
from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

The tagger that checks these models (YAMNet) hears 125 Hz - 7.5 kHz: a mains hum's 100/120 Hz line or an
engine's 6-40 Hz firing rate are below it, so what identifies each machine is how those low rates shape the
sound above them: the hum's even harmonics up to kilohertz, each firing's broadband pulse rung through the
exhaust pipe, the clatter, ticks and whine that ride on the firings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy import signal

SPEED_OF_SOUND = 343.0  # m/s in air
EXHAUST_SOUND_SPEED = 500.0  # m/s in hot exhaust gas (~350-450 C)


# ----------------------------------------------------------------------------------------------
# Electrical hum: transformers, chokes, heating elements
# ----------------------------------------------------------------------------------------------
def _magnetostriction(ctx: Ctx, mains: float, saturation: float) -> tuple[np.ndarray, np.ndarray]:
    """The iron's strain under the flux ``B = sin(2 pi mains t)``: ~B^2, so at twice the mains frequency;
    ``saturation`` (0 linear .. 1 hard) flattens the flux into a square, and B^2 then dips sharply at each
    zero crossing: a pulse train at 100/120 Hz whose even harmonics of the mains stay strong up to kHz.
    Returns the strain (zero mean) and the flux (unit peak), per sample."""
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
    return signal.oaconvolve(pulses, ir)[: ctx.n]


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
# Combustion engines
# ----------------------------------------------------------------------------------------------
def firing_hz(rpm: float, cylinders: int, strokes: int = 4) -> float:
    """Firings a second: every cylinder fires once per cycle, two crank turns for a four-stroke and one
    for a two-stroke (cyl x rpm / 120 for a four-stroke)."""
    if strokes not in (2, 4) or cylinders < 1:
        raise ValueError(f"an engine has 1 or more cylinders and 2 or 4 strokes, not {cylinders} and {strokes}")
    return cylinders * rpm / 60.0 / (strokes / 2)


def _firings(ctx: Ctx, rpm: np.ndarray, cylinders: int, strokes: int, cov: float) -> tuple[np.ndarray, np.ndarray]:
    """Firing times (s) for the per-sample crank speed ``rpm`` and each firing's strength: the cylinders
    differ a little (5-15 %), and combustion varies cycle to cycle by ``cov`` (coefficient of variation of
    the indicated pressure: ~3 % loaded, 10-20 % at a lean idle, more in a small single)."""
    rate = firing_hz(1.0, cylinders, strokes) * rpm  # firings per second, per sample
    k = np.floor(np.cumsum(rate) / ctx.sr)
    idx = np.flatnonzero(np.diff(k, prepend=k[0]) > 0)
    cyl_gain = ctx.rng.uniform(0.85, 1.0, cylinders)
    gains = cyl_gain[np.arange(idx.size) % cylinders] * np.clip(1 + cov * ctx.rng.standard_normal(idx.size), 0.2, None)
    jitter = 0.01 / np.maximum(rate[idx], 1.0) * ctx.rng.standard_normal(idx.size)  # 1 % of a period
    return idx / ctx.sr + jitter, gains


def _exhaust_ir(ctx: Ctx, length_m: float, reflection: float, blowdown_ms: float) -> np.ndarray:
    """Impulse response of a firing's blowdown pulse (a ``blowdown_ms`` rise and a decay as the exhaust
    valve opens) through the exhaust pipe: a tube closed at the valve and open at the tailpipe, so the
    pulse comes back every round trip 2 L / c (c ~500 m/s in hot gas) inverted by the open end and
    weakened by ``reflection``: resonances at odd multiples of c / 4L (a 2.5 m pipe: 50, 150, 250 Hz ...).
    Radiation from the open end rises with frequency (a first difference)."""
    sr = ctx.sr
    m = int(0.03 * sr)
    tt = np.arange(m) / sr
    tau = blowdown_ms * 1e-3
    pulse = (tt / tau) * np.exp(1 - tt / tau)
    d = max(int(round(2 * length_m / EXHAUST_SOUND_SPEED * sr)), 1)
    echoes = max(int(np.ceil(np.log(1e-3) / np.log(max(reflection, 1e-3)))), 1)
    comb = np.zeros(d * echoes + 1)
    comb[:: d] = (-reflection) ** np.arange(echoes + 1)
    ir = signal.oaconvolve(comb, pulse)
    return np.diff(ir, prepend=0.0) * sr / 1000.0


def _gated_noise(ctx: Ctx, times: np.ndarray, gains: np.ndarray, lo: float, hi: float, tau_ms: float
                 ) -> np.ndarray:
    """Band noise (``lo``-``hi`` Hz) in short bursts at ``times``, each decaying in ``tau_ms``: combustion
    knock through the block, valve closures, the intake's gulps."""
    env = signal.oaconvolve(_impulses(ctx, np.clip(times, 0, ctx.seconds - 1e-3), gains),
                             np.exp(-np.arange(int(5 * tau_ms * 1e-3 * ctx.sr)) / (tau_ms * 1e-3 * ctx.sr)))[: ctx.n]
    return _bandpass(ctx.rng.standard_normal(ctx.n), lo, hi, ctx.sr) * env


def _combustion(ctx: Ctx, rpm: np.ndarray, cylinders: int, *, strokes: int = 4, cov: float = 0.1,
                pipe_m: float = 2.5, reflection: float = 0.7, muffler_hz: float = 800.0,
                clatter: float = 0.1, valves: float = 0.05, intake: float = 0.1, gear_teeth: int = 0,
                gear: float = 0.0) -> np.ndarray:
    """One engine at the per-sample crank speed ``rpm``: each firing's exhaust blowdown through the
    pipe (:func:`_exhaust_ir`) and the muffler (a low-pass at ``muffler_hz``); the combustion's pressure
    rise through the block (``clatter``: sharp 1-4 kHz knocks, a diesel's chatter); the valve train's
    ticks (``valves``: each valve seating, twice a firing, 2-5 kHz); the intake's gulps (``intake``:
    200-1500 Hz noise gated by the firings); gear whine (``gear``: teeth x crank rev/s). ``clatter``, ``valves``,
    ``intake`` and ``gear`` are RMS levels relative to the exhaust's (0 leaves the part out); ``pipe_m`` is the
    exhaust's length in metres and ``reflection`` its open end's pressure reflection (0-1)."""
    sr, rng = ctx.sr, ctx.rng
    times, gains = _firings(ctx, rpm, cylinders, strokes, cov)
    imp = _impulses(ctx, np.clip(times, 0, ctx.seconds - 1e-3), gains)
    rate = float(np.median(firing_hz(1.0, cylinders, strokes) * rpm))
    ex = signal.oaconvolve(imp, _exhaust_ir(ctx, pipe_m, reflection, rng.uniform(1.0, 2.0) * min(1.0, 40 / rate) ** 0.3
                                             ))[: ctx.n]
    ex = _lowpass(ex, muffler_hz, sr, order=2)
    out = _unit(ex)
    if clatter:
        out += clatter * _unit(_gated_noise(ctx, times + 0.002, gains ** 2, 1000, 4000, 1.5))
    if valves:
        vt = np.sort(np.concatenate([times + 0.3 / max(rate, 1), times + 0.6 / max(rate, 1)]))
        out += valves * _unit(_gated_noise(ctx, vt, rng.uniform(0.5, 1.0, vt.size), 2000, 5000, 0.4))
    if intake:
        out += intake * _unit(_gated_noise(ctx, times + 0.5 / max(rate, 1), np.ones(times.size), 200, 1500, 6.0))
    if gear and gear_teeth:
        ph = 2 * np.pi * gear_teeth * np.cumsum(rpm / 60.0) / sr
        out += gear * np.sqrt(2) * np.sin(ph)
    return out


def _steady_rpm(ctx: Ctx, lo: float, hi: float, hunt: float = 0.02) -> np.ndarray:
    """A crank speed held steady (an idle, a governor, a throttle held open), per sample: near a set point
    drawn from ``lo``-``hi`` rpm, hunting slowly (under 1 Hz) by at most ``hunt`` of it."""
    t = np.arange(ctx.n) / ctx.sr
    return ctx.rng.uniform(lo, hi) * _slow_curve(ctx, t, 0.7, hunt)


def m_idling_engine(ctx: Ctx) -> np.ndarray:
    """A petrol car engine idling. A plain one is a four-cylinder four-stroke at 650-850 rpm (22-28 firings
    a second), each blowdown ringing a 2.5-4 m exhaust and its silencer (muffled above 500-900 Hz), lean
    idle combustion varying 8-15 % cycle to cycle (the lope), the valve train ticking faintly, the intake
    gulping. A low, deep or heavy timbre is a bigger engine: a V8 at 750-900 rpm (50-60 firings a
    second) through longer twin pipes (3.9-5.4 m), its tappets and intake louder, a little combustion
    clatter and the timing gears' whine."""
    p, rng = ctx.p, ctx.rng
    if p.pitch >= 0.9:
        rpm = _steady_rpm(ctx, 650, 850)
        return _combustion(ctx, rpm, 4, cov=rng.uniform(0.08, 0.15), pipe_m=rng.uniform(2.5, 4.0),
                           reflection=rng.uniform(0.6, 0.8),
                           muffler_hz=rng.uniform(500, 900) * (0.7 + 0.6 * p.brightness), clatter=0.05,
                           valves=rng.uniform(0.03, 0.08), intake=0.1)
    rpm = _steady_rpm(ctx, 750, 900)
    return _combustion(ctx, rpm, 8, cov=rng.uniform(0.07, 0.1), pipe_m=rng.uniform(3.9, 5.4),
                       reflection=rng.uniform(0.6, 0.8), muffler_hz=rng.uniform(670, 1200), clatter=0.17, valves=0.165,
                       intake=0.39, gear_teeth=30, gear=0.075)


def m_diesel_engine(ctx: Ctx) -> np.ndarray:
    """A truck's, bus's or tractor's diesel. Idling or chugging (a play method saying so): six cylinders (four
    in a tractor) at 600-800 rpm, 30-40 firings a second, combustion steady (4-8 % cycle to cycle), a long
    pipe (3-5 m) to a big silencer; otherwise under way: six cylinders pulling at 1400-1800 rpm (70-90
    firings a second), a 2.7-3.8 m pipe, the silencer passing more (1.1-1.9 kHz), the intake breathing
    hard. Either way compression ignition makes each firing's pressure rise 3-5 times steeper than a
    petrol engine's, and that knock rings through the block as the diesel's clatter (1-4 kHz); the valve
    train ticks; the injection pump's and timing gears' whine."""
    p, rng = ctx.p, ctx.rng
    if _has(ctx, "idl", "chug", "tick over", "ticking over"):
        cyl = 6 if rng.random() < 0.7 else 4
        rpm = _steady_rpm(ctx, 600, 800, 0.015)
        return _combustion(ctx, rpm, cyl, cov=rng.uniform(0.04, 0.08), pipe_m=rng.uniform(3.0, 5.0),
                           reflection=rng.uniform(0.6, 0.8), muffler_hz=rng.uniform(600, 1200) * (0.7 + 0.6 * p.brightness),
                           clatter=rng.uniform(0.5, 0.9), valves=0.05, intake=0.15, gear_teeth=int(rng.integers(40, 70)),
                           gear=rng.uniform(0.02, 0.06))
    rpm = _steady_rpm(ctx, 1400, 1800, 0.015)
    return _combustion(ctx, rpm, 6, cov=rng.uniform(0.04, 0.08), pipe_m=rng.uniform(2.7, 3.8),
                       reflection=rng.uniform(0.6, 0.8), muffler_hz=rng.uniform(1100, 1900) * (0.7 + 0.6 * p.brightness),
                       clatter=rng.uniform(0.6, 0.95), valves=0.14, intake=0.36, gear_teeth=int(rng.integers(40, 70)),
                       gear=0.055)


def m_small_engine(ctx: Ctx) -> np.ndarray:
    """A small air-cooled single (lawn mower, generator, strimmer): one cylinder at a governed 2800-3300
    rpm; a four-stroke fires every other turn (23-28 a second), a two-stroke (a play method or name
    saying two-stroke, strimmer, chainsaw, moped) every turn (47-55); a short pipe (15-30 cm) into a
    small can, so the pipe's resonances sit at 400-800 Hz and the sound is bright; combustion varies a lot
    cycle to cycle (15-25 %); the cooling fins ring and the valve train ticks loudly."""
    p, rng = ctx.p, ctx.rng
    two = _has(ctx, "two stroke", "strimmer", "chainsaw", "moped", "outboard", "trimmer")
    rpm = _steady_rpm(ctx, 2800, 3300, 0.02) * p.pitch ** 0.2
    return _combustion(ctx, rpm, 1, strokes=2 if two else 4, cov=rng.uniform(0.15, 0.25),
                       pipe_m=rng.uniform(0.15, 0.3), reflection=rng.uniform(0.5, 0.7),
                       muffler_hz=rng.uniform(1500, 3000), clatter=rng.uniform(0.2, 0.4), valves=rng.uniform(0.1, 0.2),
                       intake=0.2)


def m_outboard(ctx: Ctx) -> np.ndarray:
    """A motorboat's outboard motor under way: a three- or four-cylinder four-stroke at 4000-5500 rpm
    (100-180 firings a second) whose exhaust leaves under water through the propeller hub, so the
    blowdowns arrive muffled and broken into bubbles (a short pipe, heavy low-pass, strongly varying
    pulses); the lower unit's bevel gears whine (teeth x crank rev/s); the hull slaps the chop 1-3 times a
    second (low thumps, 80-400 Hz) and the bow wave and wake hiss (broadband spray, 500 Hz-5 kHz)."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    cyl = int(rng.choice([3, 4]))
    rpm = _steady_rpm(ctx, 4000, 5500, 0.03) * p.pitch ** 0.2
    eng = _combustion(ctx, rpm, cyl, cov=rng.uniform(0.2, 0.35), pipe_m=rng.uniform(0.6, 1.0),
                      reflection=rng.uniform(0.4, 0.6), muffler_hz=rng.uniform(700, 1200), clatter=0.15, valves=0.1,
                      intake=0.3, gear_teeth=int(rng.integers(12, 20)), gear=rng.uniform(0.05, 0.12))
    spray = _bandpass(rng.standard_normal(ctx.n), 500, 5000, sr) * _slow_curve(ctx, t, 2.0, 0.4)
    slaps = _event_times(ctx, rng.uniform(1.0, 3.0), regular=0.4)
    thump = np.zeros(ctx.n)
    for ts in slaps:
        g = _noise_burst(ctx, rng.uniform(30, 80), 80, 400, rng.uniform(20, 50))
        _place(ctx, thump, g, ts, rng.uniform(0.5, 1.0))
    return _unit(eng) + rng.uniform(0.4, 0.7) * _unit(spray) + rng.uniform(0.3, 0.6) * _unit(thump)


def m_winch(ctx: Ctx) -> np.ndarray:
    """A crane's winch hauling: the diesel under load (six cylinders at 1500-1900 rpm, 75-95 firings a
    second, combustion steady: little cycle-to-cycle variation, strong clatter) geared down to the drum;
    the reduction gears whine at teeth x shaft rev/s and grind (their mesh's rough, load-modulated
    noise, 1-3 kHz); the cable creaks onto the drum."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    rpm = _steady_rpm(ctx, 1500, 1900, 0.03) * p.pitch ** 0.2
    eng = _combustion(ctx, rpm, 6, cov=rng.uniform(0.03, 0.06), pipe_m=rng.uniform(2.0, 3.5),
                      reflection=rng.uniform(0.6, 0.8), muffler_hz=rng.uniform(800, 1400), clatter=rng.uniform(0.4, 0.7),
                      valves=0.08, intake=0.2, gear_teeth=int(rng.integers(20, 40)), gear=rng.uniform(0.05, 0.15))
    shaft = rpm / 60.0 / rng.uniform(3.0, 6.0)  # the gearbox's intermediate shaft
    teeth = int(rng.integers(25, 45))
    mesh = teeth * shaft
    ph = 2 * np.pi * np.cumsum(mesh) / sr
    whine = np.sin(ph) + 0.5 * np.sin(2 * ph + 1.0)
    grind = _bandpass(rng.standard_normal(ctx.n), 1000, 3000, sr) * (1 + 0.8 * np.sin(ph) ** 2)
    grind *= _slow_curve(ctx, t, 1.5, 0.3)
    return _unit(eng) + rng.uniform(0.1, 0.25) * _unit(whine) + rng.uniform(0.2, 0.4) * _unit(grind)


def pass_by(ctx: Ctx, src: np.ndarray, speed_m_s: float, closest_m: float, t_closest: float) -> np.ndarray:
    """``src`` (emitted at the source, per sample) heard from the roadside as the source drives past in a
    straight line at ``speed_m_s``, ``closest_m`` from the listener at ``t_closest`` s: each sample is heard
    r / c later (so the pitch is raised by c / (c - v cos) on approach and lowered going away: the Doppler
    drop) and its pressure falls as 1 / r (normalised to 1 at the closest point). The source was already
    sounding before the take began: what reaches the listener in the first r / c seconds left it before t = 0,
    and is read from ``src`` mirrored about its start (continuous, the same spectrum), not left silent."""
    if closest_m <= 0 or not 0 <= speed_m_s < SPEED_OF_SOUND:
        raise ValueError(f"a pass-by needs a closest distance above 0 m and a speed of 0-{SPEED_OF_SOUND:.0f} m/s, "
                         f"not {closest_m} m and {speed_m_s} m/s")
    # emitted up to r(0) / (c - v) before t = 0 is heard by t = 0: the emission times start that much earlier
    lead = int(np.ceil(np.hypot(closest_m, speed_m_s * t_closest) / (SPEED_OF_SOUND - speed_m_s) * ctx.sr)) + 2
    tau = np.arange(-lead, ctx.n) / ctx.sr  # emission times
    r = np.hypot(closest_m, speed_m_s * (tau - t_closest))
    heard_at = tau + r / SPEED_OF_SOUND
    t = tau[lead:]
    emitted = np.interp(t, heard_at, tau)  # invert: the emission time heard at t (heard_at is increasing)
    dist = np.interp(emitted, tau, r)
    return np.interp(emitted, tau, np.pad(src, (lead, 0), mode="reflect")) * (closest_m / dist)


def _shift_rpm(ctx: Ctx, lo: float, hi: float) -> np.ndarray:
    """A car accelerating through the gears: the crank speed climbs from ``lo`` to ``hi`` rpm in 0.8-1.5 s,
    drops by the gear ratio step (~0.7) at each upshift, and climbs again."""
    rng, sr = ctx.rng, ctx.sr
    rpm = np.empty(ctx.n)
    i, r = 0, rng.uniform(lo, hi)
    while i < ctx.n:
        dur = int(rng.uniform(0.8, 1.5) * sr)
        seg = np.linspace(r, hi, dur)
        rpm[i : i + dur] = seg[: ctx.n - i]
        i += dur
        r = max(lo, hi * rng.uniform(0.68, 0.75))
    return _lowpass(rpm, 20.0, sr, order=1)


def m_race_car(ctx: Ctx) -> np.ndarray:
    """A race car revving past: a touring or rally car's four or six cylinders climbing through the gears
    (4000-7500 rpm: 130-375 firings a second, dropping ~30 % at each upshift) through short, barely
    silenced pipes (0.8-1.5 m, muffled only above 1-3.5 kHz), combustion hard and even (7-12 % cycle to
    cycle), the intake's roar; heard from the trackside as it passes at 40-70 m/s, 10-30 m away, closest
    1.8-3 s in (:func:`pass_by`: the swelling level, the Doppler drop, the fade), with the tyres' and the
    air's broadband roar that passes with it."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    cyl = int(rng.choice([4, 4, 6]))
    lo = rng.uniform(4000, 5000)
    rpm = _shift_rpm(ctx, lo, lo * rng.uniform(1.45, 1.6)) * p.pitch ** 0.2
    eng = _combustion(ctx, rpm, cyl, cov=rng.uniform(0.07, 0.12), pipe_m=rng.uniform(0.8, 1.5),
                      reflection=rng.uniform(0.5, 0.7), muffler_hz=rng.uniform(1000, 3500), clatter=0.2, valves=0.1,
                      intake=0.3)
    roar = _bandpass(rng.standard_normal(ctx.n), 200, 3000, sr)
    src = _unit(eng) + rng.uniform(0.5, 1.0) * _unit(roar)
    return pass_by(ctx, src, rng.uniform(40, 70), rng.uniform(10, 30), rng.uniform(1.8, 3.0) * ctx.seconds / 5.0)


TRAFFIC_SR = 8000  # distant traffic has nothing above ~2.5 kHz: it is rendered at this rate


def m_traffic_hum(ctx: Ctx) -> np.ndarray:
    """Traffic heard from a distance (50-300 m): a steady roar of many vehicles whose engines and tyres
    merge (4-6 cars at 1500-2500 rpm and a diesel or two, muffled; tyre noise, 300 Hz-1.5 kHz, peaking
    near 1 kHz), low-passed by the distance (the air and the ground absorb the highs, so the hum is
    dominated below 1 kHz), while one or two nearer vehicles swell and fade over a few seconds."""
    if ctx.sr > TRAFFIC_SR:  # nothing above 2.5 kHz survives the distance: render at 8 kHz, then resample
        low = replace(ctx, sr=TRAFFIC_SR, n=int(np.ceil(ctx.n * TRAFFIC_SR / ctx.sr)))
        y = resample(m_traffic_hum(low), TRAFFIC_SR, ctx.sr)
        return np.pad(y, (0, max(ctx.n - len(y), 0)))[: ctx.n]
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    bed = np.zeros(ctx.n)
    for _ in range(int(rng.integers(4, 7))):
        diesel = rng.random() < 0.25
        rpm = _steady_rpm(ctx, 1200, 1800, 0.05) if diesel else _steady_rpm(ctx, 1500, 2500, 0.08)
        eng = _combustion(ctx, rpm, 6 if diesel else 4, cov=0.05, pipe_m=rng.uniform(2.5, 4.5), reflection=0.7,
                          muffler_hz=rng.uniform(400, 800), clatter=0.5 if diesel else 0.0, valves=0.0, intake=0.0)
        bed += rng.uniform(0.3, 1.0) * _unit(eng) * _slow_curve(ctx, t, 0.3, 0.4)
    tyres = _bandpass(rng.standard_normal(ctx.n), 300, 1500, sr)
    out = _unit(bed) + rng.uniform(0.5, 0.9) * _unit(tyres) * _slow_curve(ctx, t, 0.3, 0.3)
    for _ in range(int(rng.integers(1, 3))):
        rpm = _steady_rpm(ctx, 1800, 2800, 0.05)
        car = _unit(_combustion(ctx, rpm, 4, cov=0.05, pipe_m=3.0, reflection=0.7, muffler_hz=900, clatter=0.0,
                                valves=0.0, intake=0.1)) + 0.8 * _unit(_bandpass(rng.standard_normal(ctx.n), 300, 2500, sr))
        out += rng.uniform(0.4, 0.8) * pass_by(ctx, car, rng.uniform(12, 20), rng.uniform(15, 40),
                                               rng.uniform(0.0, ctx.seconds))
    return _lowpass(out, min(rng.uniform(1500, 2500) * (0.7 + 0.6 * p.brightness), 0.4 * sr), sr)


# ----------------------------------------------------------------------------------------------
# Rolling wheels
# ----------------------------------------------------------------------------------------------
def _texture_grains(ctx: Ctx, rate: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The pavement's texture under a small hard wheel: each asperity it climbs is a tiny impact, at
    ``rate`` per second (speed / asperity spacing: 1.3 m/s over 2-10 mm stones, 130-650 a second), of
    random size (exponential), scaled by the per-sample ``level``."""
    p_hit = np.clip(rate / ctx.sr, 0, 1)
    hits = (ctx.rng.random(ctx.n) < p_hit) * ctx.rng.exponential(1.0, ctx.n)
    return hits * level


def m_wheels(ctx: Ctx) -> np.ndarray:
    """A trolley's small hard wheels (castors 4-8 cm across) pushed over paving at walking pace (1-1.5 m/s,
    so 5-10 wheel turns a second) with a loose wire or sheet-metal body. The stone texture (1-2 mm grit)
    makes a dense train of tiny impacts (:func:`_texture_grains`) that the hard wheel passes to the body,
    whose shell modes (480 Hz - 1.9 kHz) colour it, damped within 10-45 ms by the load in it, and a share
    goes straight through bright (1-6 kHz); a wheel is never round, so the rumble swells once a turn; at
    each joint between paving stones (irregular, 0.22-0.4 m apart: setts and small slabs) the wheels drop
    in and knock the edge, two wheels a few ms apart, and the loose parts rattle for up to 60 ms after (2-5
    short metal clicks, 1.5-6 kHz, louder than the knock); between joints the frame's loose wires and
    handle rattle on their own ~10 times a second, each a dry click (a wire on a wire: 2.2-8.8 kHz modes
    dying in 4-20 ms, not a ring), together ~3 times the rolling roar's RMS: what is heard of a trolley
    pushed over paving is mostly its basket."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    speed = rng.uniform(1.0, 1.5) * p.density ** 0.5 * _slow_curve(ctx, t, 0.5, 0.1)
    turn = speed / (np.pi * rng.uniform(0.04, 0.08))  # rev/s
    out_of_round = 1 + 0.33 * np.sin(2 * np.pi * np.cumsum(turn) / sr)
    grains = _texture_grains(ctx, speed / rng.uniform(0.0011, 0.0022), out_of_round)
    body = _dense_modes(ctx, 480, 1900, 10, (0.01, 0.045))
    rumble = _unit(signal.oaconvolve(grains, body)[: ctx.n]) + 0.44 * _unit(_bandpass(grains, 1000, 6000, sr))
    out = _unit(rumble)
    knock_ir = _dense_modes(ctx, 120, 900, 8, (0.03, 0.1))
    knock_ir /= np.abs(knock_ir).max() + 1e-12
    pos, joint_m = np.cumsum(speed) / sr, rng.uniform(0.0, 0.3)  # distance rolled (m), the next joint's place
    while joint_m < pos[-1]:
        tj = float(np.searchsorted(pos, joint_m)) / sr
        for dt in (0.0, rng.uniform(0.002, 0.012)):
            _place(ctx, out, knock_ir, tj + dt, 0.07 * rng.uniform(0.5, 1.0))
        for _ in range(int(rng.integers(2, 6))):
            _place(ctx, out, _noise_burst(ctx, rng.uniform(2, 5), 1500, 6000), tj + rng.uniform(0.005, 0.06),
                   2.0 * rng.uniform(0.4, 1.0))
        joint_m += rng.uniform(0.22, 0.4)
    times = np.flatnonzero(rng.random(ctx.n) < 10.0 / sr) / sr  # the frame's own rattles: Poisson, ~10 a second
    frame_rattle = np.zeros(ctx.n)
    ring = _dense_modes(ctx, 2200, 8800, 8, (0.004, 0.02))
    for tr in times:
        _place(ctx, frame_rattle, ring, tr, rng.uniform(0.3, 1.0))
    return out + 3.0 * _unit(frame_rattle) * out_of_round

# ----------------------------------------------------------------------------------------------
# Tracks
# ----------------------------------------------------------------------------------------------
def link_rate_hz(speed_m_s: float, pitch_m: float) -> float:
    """Track links a second that the sprocket draws round and lays on the ground: speed / link pitch (a
    0.15 m link at 3 m/s, 11 km/h: 20 a second)."""
    if not speed_m_s > 0 or not pitch_m > 0:
        raise ValueError(f"a track needs a positive speed and link pitch, not {speed_m_s} m/s and {pitch_m} m")
    return speed_m_s / pitch_m


def _link_times(ctx: Ctx, speed: np.ndarray, pitch_m: float) -> np.ndarray:
    """When each link of one track lands (s): every time the track has run on by one pitch (``speed`` in m/s
    per sample), from a random phase, each landing 0-3 ms early or late (the pins' play)."""
    pos = np.cumsum(speed) / ctx.sr / pitch_m + ctx.rng.uniform(0, 1)
    idx = np.flatnonzero(np.diff(np.floor(pos), prepend=np.floor(pos[0])) > 0)
    return idx / ctx.sr + ctx.rng.uniform(-0.003, 0.003, idx.size)


def _clank(ctx: Ctx, lo: float, hi: float, t60: tuple[float, float], thud_hz: float) -> np.ndarray:
    """One track link slapping down: a hard steel-on-steel contact (a 1-2 ms broadband crack) ringing the
    thick shoe's dense, inharmonic plate modes (``lo``-``hi`` Hz) that the ground, the rubber pad and the
    pins damp within ``t60`` (tens of ms: no bell's ring), and the vehicle's weight landing on it, a low
    thump at ``thud_hz``."""
    rng, sr = ctx.rng, ctx.sr
    ir = _dense_modes(ctx, lo, hi, 12, t60)
    ir /= np.abs(ir).max() + 1e-12
    crack = _noise_burst(ctx, rng.uniform(1.0, 2.5), 800, 7000)
    crack /= np.abs(crack).max() + 1e-12
    m = int(0.04 * sr)
    thump = np.sin(2 * np.pi * thud_hz * np.arange(m) / sr) * np.exp(-np.arange(m) / (0.008 * sr))
    out = np.zeros(max(len(ir), m, len(crack)))
    out[: len(ir)] += ir
    out[: len(crack)] += rng.uniform(0.5, 1.0) * crack
    out[:m] += rng.uniform(0.3, 0.6) * thump
    return out


def m_tracks(ctx: Ctx) -> np.ndarray:
    """A tracked vehicle (a tank, a bulldozer, an excavator) running over hard ground. Each of its two tracks
    is a chain of 0.14-0.19 m steel links that the sprocket draws round and lays down at speed / pitch
    (:func:`link_rate_hz`: 3-6 m/s, 11-22 km/h across country, 16-43 links a second per track, the two
    tracks out of step); each link
    slaps down with the vehicle's weight on it, a heavy clank whose shoe rings only tens of ms (the soil,
    the rubber pads and the pins damp it, :func:`_clank`), no two alike. The sprocket's teeth grind the
    link bushings (rough 0.6-3 kHz noise at the same rate), the return run slaps the support rollers a few
    times a second (a duller clank, 150 Hz-1.5 kHz), the road wheels now and then squeal on the guide
    horns (1.2-3.5 kHz, 0.2-0.8 s), all over the engine's low rumble (a V12 diesel at 1800-2200 rpm,
    heavily silenced)."""
    p, rng, sr = ctx.p, ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    pitch_m = rng.uniform(0.14, 0.19)
    speed = rng.uniform(3.0, 6.0) * p.density ** 0.5 * _slow_curve(ctx, t, 0.3, 0.12)
    links = np.zeros(ctx.n)
    for _side in range(2):
        side_speed = speed * (1 + rng.uniform(-0.03, 0.03))  # steering: one track a little faster
        for tl in _link_times(ctx, side_speed, pitch_m):
            grain = _clank(ctx, 350 * p.pitch, 4000 * p.pitch, (0.02, 0.06), rng.uniform(70, 130))
            _place(ctx, links, grain, max(tl, 0.0), rng.uniform(0.5, 1.0))
    rate = speed / pitch_m
    mesh = 1 + 0.8 * np.sin(np.pi * np.cumsum(rate) / sr) ** 8
    grind = _bandpass(rng.standard_normal(ctx.n), 600, 3000, sr) * mesh * _slow_curve(ctx, t, 1.0, 0.3)
    slaps = np.zeros(ctx.n)
    for ts in _event_times(ctx, rng.uniform(2.0, 5.0), regular=0.3):
        _place(ctx, slaps, _clank(ctx, 150, 1500, (0.03, 0.08), rng.uniform(60, 90)), ts, rng.uniform(0.4, 1.0))
    squeal = np.zeros(ctx.n)
    for ts in _event_times(ctx, rng.uniform(0.3, 0.8), regular=0.0):
        dur = rng.uniform(0.2, 0.8)
        m = int(dur * sr)
        tt = np.arange(m) / sr
        f = rng.uniform(1200, 3500) * (1 + 0.01 * np.sin(2 * np.pi * rng.uniform(4, 9) * tt))
        ph = 2 * np.pi * np.cumsum(f) / sr
        env = np.sin(np.pi * tt / dur) ** 2
        _place(ctx, squeal, env * (np.sin(ph) + 0.3 * np.sin(2 * ph)), ts, rng.uniform(0.4, 1.0))
    rpm = _steady_rpm(ctx, 1800, 2200, 0.03)
    eng = _combustion(ctx, rpm, 12, cov=0.05, pipe_m=rng.uniform(1.5, 2.5), reflection=0.7,
                      muffler_hz=rng.uniform(300, 600), clatter=0.2, valves=0.0, intake=0.1)
    return (_unit(links) + 0.4 * _unit(grind) + rng.uniform(0.3, 0.6) * _unit(slaps)
            + rng.uniform(0.1, 0.25) * _unit(squeal) + rng.uniform(0.3, 0.5) * _unit(eng))


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "transformer_hum": (("transformer", "electrical hum", "mains hum", "ballast"), m_transformer_hum),
    "idling_engine": (("idling", "idle"), m_idling_engine),
    "diesel_engine": (("diesel",), m_diesel_engine),
    "outboard": (("outboard", "motorboat", "speedboat"), m_outboard),
    "winch": (("winch",), m_winch),
    "wheels": (("trolley", "castor", "caster", "wheels rattling"), m_wheels),
    "race_car": (("race car", "racing car", "revving past", "rally car"), m_race_car),
    "traffic_hum": (("traffic noise", "traffic hum", "distant traffic", "motorway", "highway"), m_traffic_hum),
    "tracks": (("tank tracks", "caterpillar track", "crawler track", "tracks clank"), m_tracks),
    "small_engine": (("lawn mower", "lawnmower", "mower", "generator", "two stroke"), m_small_engine),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "transformer_hum": ("Hum", "Mains hum", "Buzz", "Noise", "Air conditioning", "Mechanisms"),  # the motor's knock
    "idling_engine": ("Engine", "Idling", "Vehicle", "Motor vehicle (road)", "Car", "Medium engine (mid frequency)"),
    "diesel_engine": ("Engine", "Heavy engine (low frequency)", "Idling", "Vehicle", "Motor vehicle (road)", "Truck",
                      "Bus"),
    "outboard": ("Motorboat, speedboat", "Boat, Water vehicle", "Vehicle", "Engine", "Splash, splatter"),
    "wheels": ("Roll", "Rattle", "Clatter", "Rumble"),
    "race_car": ("Race car, auto racing", "Accelerating, revving, vroom", "Vehicle", "Car passing by", "Engine",
                  "Motor vehicle (road)", "Car"),
    "traffic_hum": ("Traffic noise, roadway noise", "Vehicle", "Motor vehicle (road)", "Car passing by", "Car"),
    "winch": ("Engine", "Heavy engine (low frequency)", "Medium engine (mid frequency)", "Mechanisms", "Grind"),
    "tracks": ("Clatter", "Clang", "Rattle", "Squeal", "Rumble"),
    "small_engine": ("Engine", "Light engine (high frequency)", "Lawn mower", "Chainsaw", "Motorcycle",
                     "Motorboat, speedboat"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from ..audio.resample import resample  # noqa: E402
from .synth import (  # noqa: E402
    MATERIALS,
    Ctx,
    _bandpass,
    _dense_modes,
    _event_times,
    _has,
    _impulses,
    _lowpass,
    _mains,
    _modal_ir,
    _noise_burst,
    _place,
    _pulse_train,
    _slow_curve,
    _unit,
)
