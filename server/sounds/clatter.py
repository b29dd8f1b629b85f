"""Loose things knocking together (coins, a chain's links, mail's rings, pills in a bottle, grains in a shaker) and
vessels struck or sung (a cup, a vase, a bowl, a wine glass), each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

What they share: many small hard parts collide, each collision a contact click (a metal-on-metal contact lasts
tens of microseconds, so it is broadband) ringing both parts at their own modes, briefly; no two parts alike
(a pile of coins of several sizes, a chain's links cast a little differently), and the collisions come in the
showers or streams the motion makes (a shake's turnaround, a bounce series, a body's stride). A bank of
ringing parts is built once per take and each collision picks two parts and a strike point (other mode
weights), so the take never turns into one pitched note repeated (which a listener, and the tagger, hears as a
bell or a telephone). A vessel is one resonator instead: its bending modes in nearly degenerate pairs, struck
(:func:`m_vessel_tap`) or driven by a rubbing finger's stick-slip (:func:`m_rim_rub`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# Mode ratios of a thin free disc (a coin): (2,0), (0,1), (3,0), (1,1), (4,0), (2,1), (5,0) of a free circular
# plate with Poisson's ratio ~0.3 (Leissa 1969, *Vibration of plates*, table 2.1; Fletcher & Rossing 1998 §3.6).
DISC_RATIOS = (1.0, 1.73, 2.33, 2.91, 3.91, 4.11, 5.24)


# ----------------------------------------------------------------------------------------------
# Parts and collisions
# ----------------------------------------------------------------------------------------------
def _part_bank(ctx: Ctx, f1s: Sequence[float], ratios: Sequence[float], t60s: Sequence[float],
               damping_exp: float = 0.5, points: int = 3, detune: float = 0.02) -> list[np.ndarray]:
    """Impulse responses of loose parts, ``points`` per part: part ``i`` has modes ``f1s[i] * ratios`` Hz (each
    detuned by ``detune``, a relative standard deviation: no two parts are cast alike), the first ringing
    ``t60s[i]`` s, higher ones shorter as ``(f/f1) ** -damping_exp`` (never under 4 ms); each strike point
    weights the modes differently (a node there, an antinode elsewhere). Modes above 0.45 x the sample rate
    are dropped; a part left with none rings one mode at 0.4 x the sample rate instead."""
    r = np.asarray(ratios, float)
    out = []
    for f1, t60 in zip(f1s, t60s, strict=True):
        freqs = f1 * r * (1 + detune * ctx.rng.standard_normal(r.size))
        keep = freqs < 0.45 * ctx.sr
        freqs = freqs[keep]
        if freqs.size == 0:
            freqs = np.array([0.4 * ctx.sr])
        decay = np.maximum(t60 * (freqs / freqs[0]) ** -damping_exp, 0.004)
        for _ in range(points):
            w = ctx.rng.uniform(0.0, 1.0, freqs.size) ** 1.5
            w[0] = max(w[0], 0.3)
            out.append(_modal_ir(ctx, freqs, decay, w))
    return out


def _clicks(ctx: Ctx, count: int, ms: tuple[float, float], lo: float, hi: float) -> list[np.ndarray]:
    """Contact clicks: ``count`` noise bursts in ``lo``-``hi`` Hz, each decaying over a contact time drawn from
    ``ms`` (a time constant of a third of it), 2 x ``ms[1]`` long: a hard contact is short and broadband."""
    return [_noise_burst(ctx, ms[1] * 2, lo, hi, decay_ms=ctx.rng.uniform(*ms) / 3) for _ in range(count)]


def _collide(ctx: Ctx, hits: Sequence[tuple[float, float]], bank: Sequence[np.ndarray],
             clicks: Sequence[np.ndarray], click_gain: float, pair: bool = True) -> np.ndarray:
    """Place collisions ``(time s, force)``: each rings one part (two when ``pair``: both parts that meet, the
    second less) at a random strike point, with a contact click ``click_gain`` times the ring's level."""
    out = np.zeros(ctx.n)
    ring = np.zeros(ctx.n)
    rng = ctx.rng
    scale = [1.0 / (np.abs(b).max() + 1e-12) for b in bank]
    cscale = [1.0 / (np.abs(c).max() + 1e-12) for c in clicks]
    for t, a in hits:
        k = int(rng.integers(len(bank)))
        _place(ctx, ring, bank[k], t, a * scale[k])
        if pair:
            j = int(rng.integers(len(bank)))
            _place(ctx, ring, bank[j], t + rng.uniform(0, 3e-4), a * rng.uniform(0.2, 0.7) * scale[j])
        c = int(rng.integers(len(clicks)))
        _place(ctx, out, clicks[c], t, a * click_gain * cscale[c])
    return ring + out


def _shower(rng: np.random.Generator, t0: float, count: int, spread_s: float, force: float,
            end: float) -> list[tuple[float, float]]:
    """A shower of ``count`` collisions after ``t0``: exponentially spread over ~``spread_s`` (most at once, a
    tail of late ones), forces scattered and falling with time."""
    dts = rng.exponential(spread_s / 3, count)
    return [(t0 + dt, force * rng.uniform(0.15, 1.0) * np.exp(-dt / spread_s)) for dt in dts if t0 + dt < end]


def _shake_times(ctx: Ctx, rate: tuple[float, float], regular: float) -> np.ndarray:
    """Turnarounds of a shaking hand: two per shake cycle (each end of the stroke), the cycle ``rate`` Hz
    (2-5 Hz by hand), timing spread less when ``regular`` is near 1; shaken in bouts of 1-3 s with pauses."""
    rng = ctx.rng
    out, t = [], rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.05:
        f = rng.uniform(*rate) * max(ctx.p.density, 0.2) ** 0.3
        bout_end = t + rng.uniform(1.2, 3.0)
        while t < min(bout_end, ctx.seconds - 0.05):
            out.append(t)
            t += 0.5 / f * (1 + (1 - regular) * 0.25 * rng.standard_normal())
        t += rng.uniform(0.25, 0.7)
    return np.asarray(out)


# ----------------------------------------------------------------------------------------------
# Coins
# ----------------------------------------------------------------------------------------------
def _coin_bank(ctx: Ctx, count: int, damped: float, f_lo: float = 3000.0, f_hi: float = 7500.0
               ) -> list[np.ndarray]:
    """``count`` coins of 16-30 mm: first disc mode ``f_lo``-``f_hi`` Hz (2-8 kHz: smaller and thicker =
    higher), ring 0.05-0.3 s free, ``damped`` times that when they lie on each other or in cloth."""
    f1 = np.exp(ctx.rng.uniform(np.log(f_lo), np.log(f_hi), count)) * ctx.p.pitch ** 0.3
    t60 = ctx.rng.uniform(0.05, 0.3, count) * ctx.p.decay * damped
    return _part_bank(ctx, f1, DISC_RATIOS, t60, damping_exp=0.6, points=3)


def _coin_drop(rng: np.random.Generator, t0: float, force: float, end: float, hard: bool
               ) -> list[tuple[float, float]]:
    """One coin dropped: the first impact, bounces whose gaps shrink geometrically (restitution 0.3-0.6 on a
    hard surface; the first gap 2*v*e/g for a 0.1-0.5 m fall), then, on a hard flat surface, the rolling
    wobble of Euler's disk: contacts whose rate rises (15 -> 80 Hz) as the coin settles, ending abruptly."""
    hits = [(t0, force)]
    e = rng.uniform(0.3, 0.6) if hard else rng.uniform(0.15, 0.3)
    v = np.sqrt(2 * 9.81 * rng.uniform(0.1, 0.5))
    gap, t, a = 2 * v * e / 9.81, t0, force
    while gap > 0.008 and t + gap < end:
        t += gap
        a *= e * rng.uniform(0.8, 1.1)
        hits.append((t, a))
        gap *= e
    if hard and rng.random() < 0.8:
        dur = rng.uniform(0.3, 1.2)
        r0, r1 = rng.uniform(12, 20), rng.uniform(50, 90)
        tau = 1.0 / r0  # the wobble's first contact follows the last bounce
        while tau < dur and t + tau < end:
            rate = r0 * (r1 / r0) ** (tau / dur)
            hits.append((t + tau, a * 0.7 * (0.5 + 0.5 * tau / dur) * rng.uniform(0.6, 1.0)))
            tau += 1.0 / rate
    return hits


def m_coins(ctx: Ctx) -> np.ndarray:
    """Coins. Each coin is a thin free disc (modes 1 : 1.73 : 2.33 : 2.91 ..., first 2-8 kHz, ring 0.05-0.3 s
    free, shorter when it lies on other coins); a collision rings both coins that meet, with a broadband
    contact click. The play method says what the coins do:

    * *pouring* (a slot machine paying out): large coins or tokens (30-40 mm, first mode 1.2-3.5 kHz) pushed
      out in spurts onto the heap in the tray, each spurt a cascade of 100-300 collisions over 0.3-1 s, damped
      by the heap, with the grating of coins sliding over each other;
    * *dropping* (into a meter's slot): coins one at a time, 0.5-1.5 s apart, large ones (2-4 kHz) landing on
      the coins in the vault (damped to a third): an impact, bounces with geometrically shrinking gaps and
      the rising chatter of its rolling wobble (Euler's disk);
    * otherwise *jingling / shaken* (a coin box, a purse): a pile of 6-20 coins (4-7.5 kHz) thrown together
      at each stroke of an uneven shake (2-5 strokes a second, not a beat), a shower of 10-40 clinks over
      50-200 ms, damped by the pile and, in a purse or wallet, by the leather (which also muffles the top)."""
    rng = ctx.rng
    end = ctx.seconds - 0.01
    soft = _has(ctx, "wallet", "purse", "pocket", "leather", "bag", "pouch", material=True)
    hits: list[tuple[float, float]] = []
    grate = 0.0
    if _has(ctx, "pour", "pay", "spill", "cascad", "stream", material=True):
        # a machine pays out large coins or tokens (30-40 mm: first mode 1.2-3.5 kHz) in spurts onto the heap in
        # its tray: each spurt a cascade of 100-300 collisions over 0.3-1 s as the coins tumble over each other,
        # damped by the heap, and sliding (a grating noise that follows the collisions)
        bank = _coin_bank(ctx, 14, 0.3, 1200, 3500)
        t = rng.uniform(0.05, 0.3)
        while t < end:
            hits += _shower(rng, t, int(rng.integers(100, 301)), rng.uniform(0.3, 1.0), rng.uniform(0.4, 1.0), end)
            t += rng.exponential(1.0 / (rng.uniform(1.5, 3.0) * ctx.p.density)) + 0.1
        click_gain, grate = 1.5, 0.6
    elif _has(ctx, "drop", "insert", "slot", "fall", material=True):
        # into a meter's vault: each coin lands on the coins already there, which damp its ring
        bank = _coin_bank(ctx, 8, 0.35, 2000, 4000)
        t = rng.uniform(0.05, 0.4)
        while t < end - 0.2:
            hits += _coin_drop(rng, t, rng.uniform(0.6, 1.0), end, hard=True)
            t += rng.uniform(0.5, 1.5) / ctx.p.density
        click_gain = 1.0
    else:
        # a hand shaking a box or jingling a purse is not a metronome: strokes of 2-5 Hz, broken and uneven,
        # so the showers overlap and the pile never settles into a beat
        bank = _coin_bank(ctx, int(rng.integers(6, 21)), 0.35 if soft else 0.6, 4000, 7500)
        t = rng.uniform(0.05, 0.3)
        while t < end:
            hits += _shower(rng, t, int(rng.integers(10, 41)), rng.uniform(0.05, 0.2), rng.uniform(0.3, 1.0), end)
            t += rng.exponential(1.0 / (rng.uniform(2.0, 5.0) * ctx.p.density))
        click_gain = 0.4 if soft else 0.7
    clicks = _clicks(ctx, 6, (0.05, 0.3), 1500, 0.45 * ctx.sr)
    x = _collide(ctx, hits, bank, clicks, click_gain)
    if grate:
        env = np.convolve(np.abs(x), np.ones(int(0.02 * ctx.sr)) / (0.02 * ctx.sr), mode="same")
        x = _unit(_highpass(x, 300, ctx.sr)) + grate * _unit(_bandpass(rng.standard_normal(ctx.n), 1500, 0.45 * ctx.sr,
                                                                       ctx.sr) * env)
    x = _unit(_highpass(x, 400, ctx.sr))
    if soft:  # leather muffles the top of the ring
        x = _lowpass(x, 6000, ctx.sr)
    return x


# ----------------------------------------------------------------------------------------------
# Chains and mail
# ----------------------------------------------------------------------------------------------
# In-plane bending modes of a thin ring (a chain link, a mail ring): n(n^2-1)/sqrt(n^2+1), n = 2..5, over n = 2.
RING_RATIOS = (1.0, 2.83, 5.42, 8.76)
# how far the links' collision rate swings with each stroke of the motion: over 1, the rate is clipped at zero
# for part of each stroke (~a fifth of it at 1.3): between strokes the links hang still and the mail is silent
LINK_DEPTH = 1.3


def _motion_stream(ctx: Ctx, rate: float, strokes: tuple[float, float], depth: float = 0.9
                   ) -> list[tuple[float, float]]:
    """Collisions of many loose parts moved by a hand or a body: a Poisson stream, ``rate`` a second on
    average, swelling and ebbing (by ``depth``) with each stroke of the motion (``strokes`` per second, the
    pace wandering +-30 %); a collision's force follows the swell."""
    rng = ctx.rng
    dt = 0.005
    tt = np.arange(0.0, ctx.seconds, dt)
    f = rng.uniform(*strokes) * max(ctx.p.density, 0.2) ** 0.3 * _slow_curve(ctx, tt, 1.0, 0.3)
    m = np.clip(1 + depth * np.sin(2 * np.pi * np.cumsum(f) * dt + rng.uniform(0, 2 * np.pi)), 0, None)
    counts = rng.poisson(rate * m * dt)
    return [(tt[k] + rng.uniform(0, dt), rng.uniform(0.2, 1.0) * min(m[k], 1.5))
            for k in np.flatnonzero(counts) for _ in range(counts[k])]


def m_links(ctx: Ctx) -> np.ndarray:
    """Steel links or rings knocking together: a chain's links rattling, mail's rings jingling. A link is a thin
    ring; its in-plane modes (1 : 2.83 : 5.42 : 8.76) start at f = (h / R^2) sqrt(E / 12 rho) / 2 pi x 2.68:
    2.5-6 kHz for a chain's links (15-30 mm radius, 5-8 mm wire), 4-10 kHz as the lowest in band for mail's
    small rings (their true first modes lie higher still); held by their neighbours they ring only 30-100 ms.
    Moved by a hand or a body (0.7-2 strokes a second), the links meet ~100 times a second on average, swelling
    with each stroke and resting between strokes (:data:`LINK_DEPTH`), each collision a hard steel contact (a
    broadband click) ringing the two links that meet."""
    rng = ctx.rng
    mail = _has(ctx, "mail", "rings", "chainmail", "hauberk", material=True)
    f_lo, f_hi = (4000.0, 10000.0) if mail else (2500.0, 6000.0)
    f1 = np.exp(rng.uniform(np.log(f_lo), np.log(f_hi), 10)) * ctx.p.pitch ** 0.3
    bank = _part_bank(ctx, f1, RING_RATIOS, rng.uniform(0.03, 0.1, 10) * ctx.p.decay, damping_exp=0.5, points=2,
                      detune=0.03)
    hits = _motion_stream(ctx, 100.0, (0.7, 2.0), depth=LINK_DEPTH)
    x = _collide(ctx, hits, bank, _clicks(ctx, 6, (0.05, 0.3), 1500, 0.45 * ctx.sr), 0.5)
    return _highpass(x, 200, ctx.sr)


# ----------------------------------------------------------------------------------------------
# Grains in a shell: pills in a bottle, a shaker
# ----------------------------------------------------------------------------------------------
# A thin wall's local modes over its first, borrowed from an ideal circular membrane's (a subset of the Bessel
# zero ratios j_mn / j_01 = 1, 1.59, 2.14, 2.65, 2.92, 3.60, 4.06; Fletcher & Rossing 1998 §3.5): dense and
# inharmonic, as a bottle's or a tin's wall is (its exact plate or shell ratios depend on its curvature).
PLATE_RATIOS = (1.0, 1.59, 2.14, 2.65, 2.92, 3.6, 4.07)


def m_grains(ctx: Ctx) -> np.ndarray:
    """Many light hard grains (pills, beads, rice, salt) shaken in a shell. A grain is too small to ring in the
    audible band (a 10 mm tablet's first mode is far above 10 kHz), so each impact is a contact click (0.05-0.5
    ms) coloured by what it hits: the shell's wall modes.

    * a metal or glass shaker: modes from 1.5-3 kHz ringing 80-250 ms; the grains fly as a mass, a shower of
      20-100 impacts over 15-50 ms at each turnaround of the shake (two per cycle, 2-5 cycles a second, in
      bouts), the leading grains hardest, a few stragglers between;
    * a thin plastic bottle (pills): a lossy wall whose local modes ring only 10-35 ms at 4-10 kHz (a 3-4 cm
      bottle with a 1 mm wall), the pills' impacts a dense stream (~400 a second) swelling and ebbing with
      each stroke of the shake (:func:`_motion_stream`)."""
    rng = ctx.rng
    end = ctx.seconds - 0.01
    hard = _has(ctx, "metal", "glass", "steel", "tin", "ceramic", material=True) and not _has(ctx, "plastic", material=True)
    if not hard:
        f1 = np.exp(rng.uniform(np.log(4000), np.log(10000), 10)) * ctx.p.pitch ** 0.3
        walls = _part_bank(ctx, f1, PLATE_RATIOS, rng.uniform(0.012, 0.035, 10) * ctx.p.decay, damping_exp=0.5,
                           points=3)
        hits = _motion_stream(ctx, 400.0 * ctx.p.density, (2.0, 5.0))
        x = _collide(ctx, hits, walls, _clicks(ctx, 6, (0.05, 0.5), 2000, 0.45 * ctx.sr), 0.3, pair=False)
        return _highpass(x, 100, ctx.sr)
    walls = _part_bank(ctx, rng.uniform(1500, 3000, 3), PLATE_RATIOS[:6],
                       rng.uniform(0.08, 0.25, 3) * ctx.p.decay, damping_exp=0.4, points=3)
    hits: list[tuple[float, float]] = []
    for t0 in _shake_times(ctx, (2.0, 5.0), 1 - ctx.p.roughness):
        hits += _shower(rng, t0, int(rng.integers(20, 101)), rng.uniform(0.015, 0.05), rng.uniform(0.6, 1.0), end)
        hits += [(t0 + rng.uniform(0.02, 0.15), rng.uniform(0.05, 0.2)) for _ in range(int(rng.integers(2, 8)))]
    clicks = _clicks(ctx, 8, (0.05, 0.3), 800, 0.45 * ctx.sr)
    x = _collide(ctx, hits, walls, clicks, 0.8, pair=False)
    return _highpass(x, 300, ctx.sr)


# ----------------------------------------------------------------------------------------------
# Vessels: a glass rubbed to sing, a cup, vase or bowl tapped
# ----------------------------------------------------------------------------------------------
# Bending modes (n, 0) of a wine glass or cup, n = 2..5, over the first (Rossing 1994, "Acoustics of the glass
# harmonica"; French 1983, "In vino veritas"): 1 : 2.3-2.6 : 4.2-4.6 : 6.6-7.3.
CUP_RATIOS = (1.0, 2.42, 4.39, 6.9)


def m_rim_rub(ctx: Ctx) -> np.ndarray:
    """A wine glass sung by a wet finger round its rim (a glass harp). The finger's stick-slip locks onto the
    glass's lowest bending mode (2,0) (a wine glass 400-900 Hz; a tumbler higher) and pumps it up over 0.5-1.5 s
    to a steady, nearly pure tone, its harmonics 35-40 dB down (the friction force is not quite a sine); the mode is a
    degenerate pair split by 0.5-3 Hz (the glass is never perfectly round), so the tone beats, and the vibration
    pattern follows the finger round the rim (1-2 turns a second), so a fixed ear hears the level swell at
    twice the turn rate; under it the finger's squeak, a faint rubbing noise (~45 dB down) while it rubs.
    Long strokes of 3-8 s with a brief lift (the tone rings down over its t60 of 1-3 s) between them."""
    rng, sr = ctx.rng, ctx.sr
    t = np.arange(ctx.n) / sr
    f1 = rng.uniform(400, 900) * ctx.p.pitch
    split = rng.uniform(0.5, 3.0)
    t60 = rng.uniform(1.0, 3.0) * ctx.p.decay
    # the drive: strokes that build the mode up (a first-order rise, time constant 0.3-0.6 s) and let it go
    drive = np.zeros(ctx.n)
    s0 = rng.uniform(0.0, 0.3)
    while s0 < ctx.seconds:
        s1 = min(s0 + rng.uniform(3.0, 8.0), ctx.seconds)
        drive[int(s0 * sr):int(s1 * sr)] = rng.uniform(0.7, 1.0)
        s0 = s1 + rng.uniform(0.2, 0.5)
    tau_up = rng.uniform(0.3, 0.6)
    a_up = np.exp(-1 / (tau_up * sr))
    a_dn = np.exp(-6.91 / (t60 * sr))
    amp = np.zeros(ctx.n)
    level = 0.0
    for i in range(0, ctx.n, 64):  # a slow envelope: 64-sample steps are ample
        d = drive[i]
        level = d + (level - d) * (a_up ** 64 if d > level else a_dn ** 64)
        amp[i:i + 64] = level
    turn = rng.uniform(1.0, 2.0)
    swell = 1 + 0.25 * np.cos(2 * np.pi * 2 * turn * t + rng.uniform(0, 6.3))
    phase = 2 * np.pi * f1 * t * _slow_curve(ctx, t, 0.5, 0.0005)
    tone = (np.sin(phase) + 0.8 * np.sin(phase + 2 * np.pi * split * t)
            + 0.02 * np.sin(2 * phase) + 0.01 * np.sin(3 * phase))
    squeak = _bandpass(rng.standard_normal(ctx.n), 1000, 0.45 * sr, sr) * (drive > 0) * (0.5 + 0.5 * swell)
    return amp * swell * tone + 0.005 * _unit(squeak)


# How each vessel is struck and rings: (first mode Hz, t60 of the first mode s, contact ms, taps in a run,
# pause between runs s). A cup tapped with a spoon: a metal-on-ceramic contact, the cup's modes from 1-3 kHz
# ringing 0.3-1 s, 2-5 taps a run; a vase flicked with a fingernail: 1-3 taps a run (its modes and their
# decay come from its wall and glaze instead, :func:`vase_modes`; the first two fields are what a thin vessel
# of its size would do); a bowl's rim struck gently (a finger, a soft mallet): a long contact, a wide
# bowl's low modes (250-700 Hz) ringing 2-6 s, as a singing bowl does.
VESSELS: dict[str, tuple[tuple[float, float], tuple[float, float], float, tuple[int, int], tuple[float, float]]] = {
    "cup": ((1000, 3000), (0.3, 1.0), 0.1, (2, 5), (0.8, 1.8)),
    "vase": ((500, 1500), (0.5, 1.5), 0.3, (1, 3), (0.8, 2.0)),
    "bowl": ((250, 700), (2.0, 6.0), 3.0, (1, 2), (2.0, 4.0)),
}


def vessel_kind(ctx: Ctx) -> str:
    """cup, vase or bowl, from the name and the play method (a cup when nothing says otherwise)."""
    if _has(ctx, "bowl", "rim struck", "singing", material=True):
        return "bowl"
    if _has(ctx, "vase", "fingernail", "flick", "urn", material=True):
        return "vase"
    return "cup"


def _vessel_hit(ctx: Ctx, freqs: np.ndarray, decays: np.ndarray, split: float, contact_ms: float) -> np.ndarray:
    """One tap: the vessel's modes, each a pair ``split`` Hz apart, weighted by where it is struck (higher modes
    weaker), through the contact's half-sine force; a spoon (a contact under 0.2 ms) adds its own click and
    brief ring (2-5 kHz)."""
    rng, sr = ctx.rng, ctx.sr
    r = freqs / freqs[0]
    w = rng.uniform(0.3, 1.0, r.size) * r ** (-0.3 + 0.8 * ctx.p.brightness)
    ring = _modal_ir(ctx, freqs, decays, w) + _modal_ir(ctx, freqs + split, decays, w * rng.uniform(0.3, 1.0))
    n = max(int(contact_ms * 1e-3 * sr), 2)
    pulse = np.sin(np.pi * np.arange(n) / n)
    hit = np.convolve(ring, pulse / pulse.sum())
    if contact_ms < 0.2:
        spoon = _modal_ir(ctx, rng.uniform(2000, 5000) * np.array([1.0, 2.76]), np.array([0.03, 0.015]),
                          np.array([1.0, 0.5]))
        m = min(len(spoon), len(hit))
        hit[:m] += 0.3 * spoon[:m] * np.abs(hit).max() / (np.abs(spoon).max() + 1e-12)
    return hit


def vessel_modes(ctx: Ctx, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    """A vessel's mode frequencies (Hz, :data:`CUP_RATIOS` detuned by ~1 %), their t60s (s; higher modes die
    faster, as ratio ** -0.8) and the split of its mode pairs (0.5-3 Hz: never perfectly round)."""
    f_range, t60_range, *_ = VESSELS[kind]
    rng = ctx.rng
    f1 = rng.uniform(*f_range) * ctx.p.pitch
    t60 = rng.uniform(*t60_range) * ctx.p.decay
    r = np.asarray(CUP_RATIOS) * (1 + 0.01 * rng.standard_normal(len(CUP_RATIOS)))
    return f1 * r, t60 * r ** -0.8, float(rng.uniform(0.5, 3.0))


# A glazed ceramic vase (stoneware or porcelain, walls 4-7 mm) is not a bell: besides the (n, 0) bending modes
# of a cup (:data:`CUP_RATIOS`) a thick, shaped wall has families of (n, 1) modes (a node round the waist,
# ~1.3-1.6 x above each) and (n, 2) modes (~2.0-2.6 x), and the glaze and the fired body damp every mode alike
# in loss factor (0.004-0.015), so T60 = 2.2 / (eta f): a few tenths of a second at 1-2 kHz, the higher modes
# shorter; a fingernail (hard keratin) touches the glaze for 0.05-0.15 ms, so it drives every mode in band and
# clicks as loudly as the ring's onset.
CERAMIC_ETA = (0.004, 0.015)
VASE_FAMILIES = ((1.3, 1.6), (2.0, 2.6))  # (n, 1) and (n, 2) modes over each (n, 0)
VASE_WALL_MM = (4.0, 7.0)
VASE_NECK_CM = (4.0, 6.0)  # the radius where a fingernail taps it: the neck or the rim
CERAMIC_E, CERAMIC_RHO, CERAMIC_NU = 65e9, 2400.0, 0.22  # fired stoneware / porcelain: Pa, kg/m³, Poisson
NAIL_MS = (0.05, 0.15)
NAIL_CLICK = 1.0  # the nail's click, of the ring's peak
NAIL_CLICK_MS = (0.3, 1.0)
VASE_RADIATION = 1.0  # the shell's radiation rising with frequency below coincidence: mode weights ∝ (f/f1)^this


def ring_mode_hz(h: float, radius: float, n: int = 2) -> float:
    """The (n, 0) bending mode (Hz) of a thin ring or a long open cylinder of wall ``h`` and ``radius`` (m) in
    fired ceramic: f = (1/2π) (h/R²) √(E/12ρ(1-ν²)) n(n²-1)/√(n²+1) (Fletcher & Rossing 1998, §2.17); a
    vase's neck of 4-6 cm with 4-7 mm walls: 0.7-2.9 kHz."""
    c = np.sqrt(CERAMIC_E / (12 * CERAMIC_RHO * (1 - CERAMIC_NU ** 2)))
    return float(h / radius ** 2 * c * n * (n * n - 1) / np.sqrt(n * n + 1) / (2 * np.pi))


def vase_modes(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, float]:
    """A glazed ceramic vase's modes (Hz, ascending): the (n, 0) series at :data:`CUP_RATIOS` over the (2, 0)
    mode of its neck (:func:`ring_mode_hz`, walls :data:`VASE_WALL_MM`, radius :data:`VASE_NECK_CM`) and the
    (n, 1), (n, 2) families above it (:data:`VASE_FAMILIES`), detuned ~2 %, each mode's T60 = 2.2 / (η f)
    with one η per vase (:data:`CERAMIC_ETA`), and the split of its mode pairs (1-6 Hz: a thrown pot is less
    round than a glass)."""
    rng = ctx.rng
    f1 = ring_mode_hz(rng.uniform(*VASE_WALL_MM) * 1e-3, rng.uniform(*VASE_NECK_CM) * 1e-2) * ctx.p.pitch
    r0 = np.asarray(CUP_RATIOS)
    r = np.concatenate([r0] + [r0 * rng.uniform(*fam, r0.size) for fam in VASE_FAMILIES])
    r = r * (1 + 0.02 * rng.standard_normal(r.size))
    f = np.sort(f1 * r)
    f = f[f < 0.45 * ctx.sr]
    eta = rng.uniform(*CERAMIC_ETA)
    return f, np.clip(2.2 / (eta * f) * ctx.p.decay, 0.01, 2.0), float(rng.uniform(1.0, 6.0))


def _nail_tap(ctx: Ctx, freqs: np.ndarray, decays: np.ndarray, split: float) -> np.ndarray:
    """A fingernail's tap on a glazed vessel: the contact (:data:`NAIL_MS`) drives every mode in band (a short
    contact's force spectrum is flat to ~1/contact), each radiated more the higher it is
    (:data:`VASE_RADIATION`), at a random strike point (random weights), each mode a pair ``split`` Hz apart;
    with the nail's own click (a :data:`NAIL_CLICK_MS` noise burst at 2-10 kHz, :data:`NAIL_CLICK` of the
    ring's peak)."""
    rng, sr = ctx.rng, ctx.sr
    w = rng.uniform(0.3, 1.0, freqs.size) * (freqs / freqs[0]) ** VASE_RADIATION
    ring = _modal_ir(ctx, freqs, decays, w) + _modal_ir(ctx, freqs + split, decays, w * rng.uniform(0.3, 1.0))
    n = max(int(rng.uniform(*NAIL_MS) * 1e-3 * sr), 2)
    pulse = np.sin(np.pi * np.arange(n) / n)
    hit = np.convolve(ring, pulse / pulse.sum())
    click = _noise_burst(ctx, rng.uniform(*NAIL_CLICK_MS), 2000, min(10000, 0.45 * sr))
    hit[:click.size] += NAIL_CLICK * click * np.abs(hit).max() / (np.abs(click).max() + 1e-12)
    return hit


def m_vessel_tap(ctx: Ctx) -> np.ndarray:
    """A cup, vase or bowl tapped (:data:`VESSELS`): the striker's contact, then the vessel's bending modes
    (1 : 2.42 : 4.39 : 6.9) ringing (a glazed ceramic vase: :func:`vase_modes`, struck by a fingernail,
    :func:`_nail_tap`), in runs of taps 0.16-0.33 s apart."""
    kind = vessel_kind(ctx)
    _, _, contact_ms, per_run, gap = VESSELS[kind]
    vase = kind == "vase"
    freqs, decays, split = vase_modes(ctx) if vase else vessel_modes(ctx, kind)
    rng = ctx.rng
    out = np.zeros(ctx.n)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.05:
        for k in range(int(rng.integers(per_run[0], per_run[1] + 1))):
            g = _nail_tap(ctx, freqs, decays, split) if vase else _vessel_hit(ctx, freqs, decays, split, contact_ms)
            _place(ctx, out, g, t, rng.uniform(0.6, 1.0) * 0.85 ** k)
            t += rng.uniform(0.16, 0.33)
        t += rng.uniform(*gap)
    return out


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "coins": (("coin", "coins", "loose change"), m_coins),
    "links": (("chain", "chains", "links", "chain mail", "chainmail"), m_links),
    "grains": (("pill", "pills", "beads", "rice", "shaker", "maraca"), m_grains),
    "rim_rub": (("rim rubbed", "glass harp", "singing glass", "wet finger"), m_rim_rub),
    "vessel_tap": (("tapped with a spoon", "fingernail", "rim struck"), m_vessel_tap),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "coins": ("Coin (dropping)", "Jingle, tinkle", "Chink, clink", "Clatter"),
    "links": ("Rattle", "Clatter", "Jingle, tinkle", "Chink, clink"),
    "grains": ("Rattle", "Clatter", "Chink, clink"),
    "rim_rub": ("Glass", "Ringing (of resonator)", "Sine wave"),
    "vessel_tap": ("Chink, clink", "Ringing (of resonator)", "Singing bowl", "Dishes, pots, and pans", "Glass"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    Ctx,
    _bandpass,
    _has,
    _highpass,
    _lowpass,
    _modal_ir,
    _noise_burst,
    _place,
    _slow_curve,
    _unit,
)
