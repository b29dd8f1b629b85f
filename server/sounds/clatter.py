"""Loose things knocking together: coins, chains, rings, pills in a bottle, a print head, shakers, tracks, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

What they share: many small hard parts collide, each collision a contact click (a metal-on-metal contact lasts
tens of microseconds, so it is broadband) ringing both parts at their own modes, briefly; no two parts alike
(a pile of coins of several sizes, a chain's links cast a little differently), and the collisions come in the
showers the motion makes (a shake's turnaround, a bounce series, a track plate meeting a wheel). A bank of
ringing parts is built once per take and each collision picks two parts and a strike point (other mode
weights), so the take never turns into one pitched note repeated (which a listener, and the tagger, hears as a
bell or a telephone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

# Mode ratios of a thin free disc (a coin): (2,0), (0,1), (3,0), (1,1), (4,0), (2,1), (5,0) of a free circular
# plate with Poisson's ratio ~0.3 (Leissa 1969, *Vibration of plates*, table 2.1; Fletcher & Rossing 1998 §3.6).
DISC_RATIOS = (1.0, 1.73, 2.33, 2.91, 3.91, 4.11, 5.24)


def _has(ctx: Ctx, *stems: str) -> bool:
    """Does the play method, the name or the material contain a word starting with one of ``stems``?"""
    d = ctx.desc
    if d is None:
        return False
    text = re.sub(r"[^a-z0-9 ]+", " ", f"{d.play_method} {d.name} {d.material}".lower().replace("-", " "))
    return any(re.search(r"\b" + re.escape(s), text) for s in stems)


def _norm(x: np.ndarray) -> np.ndarray:
    return x / (np.std(x) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Parts and collisions
# ----------------------------------------------------------------------------------------------
def _part_bank(ctx: Ctx, f1s: Sequence[float], ratios: Sequence[float], t60s: Sequence[float],
               damping_exp: float = 0.5, points: int = 3, detune: float = 0.02) -> list[np.ndarray]:
    """Impulse responses of loose parts, ``points`` per part: part ``i`` has modes ``f1s[i] * ratios`` (each
    detuned a little: no two parts are cast alike), the first ringing ``t60s[i]`` s, higher ones shorter as
    ``(f/f1) ** -damping_exp``; each strike point weights the modes differently (a node there, an antinode
    elsewhere)."""
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
    """Contact clicks: ``count`` band-limited noise bursts of ``ms`` (a hard contact is short and broadband)."""
    return [_bandpass(_decay_burst(ctx, 0.0, ctx.rng.uniform(*ms) / 3, ms[1] * 2), lo, hi, ctx.sr)
            for _ in range(count)]


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

    * *pouring* (a slot machine paying out): a hopper pushing out 8-15 coins a second onto the heap in its
      tray, each landing coin knocking 3-10 others (a shower of clinks over 30-80 ms);
    * *dropping* (into a meter's slot): coins one at a time, 0.5-1.5 s apart, large ones (2-4 kHz) landing on
      the coins in the vault (damped to a third): an impact, bounces with geometrically shrinking gaps and
      the rising chatter of its rolling wobble (Euler's disk);
    * otherwise *jingling / shaken* (a coin box, a purse): a pile of 6-20 coins (4-7.5 kHz) thrown together
      at each stroke of an uneven shake (2-5 strokes a second, not a beat), a shower of 10-40 clinks over
      50-200 ms, damped by the pile and, in a purse or wallet, by the leather (which also muffles the top)."""
    rng = ctx.rng
    end = ctx.seconds - 0.01
    soft = _has(ctx, "wallet", "purse", "pocket", "leather", "bag", "pouch")
    hits: list[tuple[float, float]] = []
    if _has(ctx, "pour", "pay", "spill", "cascad", "stream"):
        bank = _coin_bank(ctx, 14, 0.6, 4000, 7500)
        rate = rng.uniform(8, 15) * ctx.p.density
        t = rng.uniform(0.05, 0.3)
        while t < end:
            # each coin lands on the heap in the tray and knocks the coins it meets: a small shower
            hits += _shower(rng, t, int(rng.integers(3, 11)), rng.uniform(0.03, 0.08), rng.uniform(0.5, 1.0), end)
            t += rng.exponential(1.0 / rate)
        click_gain = 0.6
    elif _has(ctx, "drop", "insert", "slot", "fall"):
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
    x = _norm(_highpass(x, 400, ctx.sr))
    if soft:  # leather muffles the top of the ring
        x = _lowpass(x, 6000, ctx.sr)
    return x


# ----------------------------------------------------------------------------------------------
# Grains in a shell: pills in a bottle, a shaker
# ----------------------------------------------------------------------------------------------
def m_grains(ctx: Ctx) -> np.ndarray:
    """Many light hard grains (pills, beads, rice, salt) shaken in a shell. A grain is too small to ring in the
    audible band (a 10 mm pill's first mode is far above 10 kHz), so each impact is a contact click (0.05-0.3
    ms) coloured by what it hits: the shell's wall modes -- a plastic bottle's from 0.9-1.8 kHz, low Q, t60
    20-50 ms; a metal or glass shaker's from 1.5-3 kHz, t60 80-250 ms. The grains fly as a mass: at each turnaround of the shake
    (two per cycle, 2-5 cycles a second by hand) they hit the end wall in a shower of 20-100 impacts over
    15-50 ms, the leading grains hardest; in between a few stragglers and grains sliding along the wall."""
    rng = ctx.rng
    end = ctx.seconds - 0.01
    hard = _has(ctx, "metal", "glass", "steel", "tin", "ceramic") and not _has(ctx, "plastic")
    if hard:
        walls = _part_bank(ctx, rng.uniform(1500, 3000, 3), (1.0, 1.59, 2.14, 2.65, 2.92, 3.6),
                           rng.uniform(0.08, 0.25, 3) * ctx.p.decay, damping_exp=0.4, points=3)
    else:
        walls = _part_bank(ctx, rng.uniform(900, 1800, 3), (1.0, 1.52, 2.3, 3.1, 3.9),
                           rng.uniform(0.02, 0.05, 3) * ctx.p.decay, damping_exp=0.6, points=3)
    hits: list[tuple[float, float]] = []
    for t0 in _shake_times(ctx, (2.0, 5.0), 1 - ctx.p.roughness):
        hits += _shower(rng, t0, int(rng.integers(20, 101)), rng.uniform(0.015, 0.05), rng.uniform(0.6, 1.0), end)
        hits += [(t0 + rng.uniform(0.02, 0.15), rng.uniform(0.05, 0.2)) for _ in range(int(rng.integers(2, 8)))]
    clicks = _clicks(ctx, 8, (0.05, 0.3), 800, 0.45 * ctx.sr)
    x = _collide(ctx, hits, walls, clicks, 1.5 if not hard else 0.8, pair=False)
    return _highpass(x, 300, ctx.sr)


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "coins": (("coin", "coins", "loose change"), m_coins),
    "grains": (("pill", "pills", "beads", "rice", "shaker", "maraca"), m_grains),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "coins": ("Coin (dropping)", "Jingle, tinkle", "Chink, clink", "Clatter"),
    "grains": ("Rattle", "Clatter", "Chink, clink"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    Ctx,
    _bandpass,
    _decay_burst,
    _highpass,
    _lowpass,
    _modal_ir,
    _place,
)
