"""Contact sounds the general struck-object model could not make: a door opened and swung shut, a drawer slid
shut, buttons and switches clicked, scissors snipping, knuckles knocking on wood, a barrel or a bucket thumped,
a knife chopping on a board or an axe splitting logs, a mechanism clunking against its stop (a mousetrap, a
toaster, a turnstile), banknotes counted by a machine, a microphone tapped to test it, each from its physics.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.

Common physics:

* A solid is a bank of exponentially decaying modes (:func:`_plate_modes`, :func:`_beam_modes`): a plate's
  modes follow f_mn ∝ m²/a² + n²/b² (simply supported), a beam's f_n ∝ n²; each decays with the material's
  loss factor η as T60 = 2.2 / (η f) (solid wood η ≈ 0.01-0.05; a jointed, nailed or screwed structure 0.1-0.25).
* A plate radiates poorly below its coincidence frequency (:func:`coincidence_hz`): its low modes reach the ear
  10-20 dB weaker than its motion alone would say (:func:`_radiated`), though, ringing longest, they still carry
  most of a knock's energy (a tabletop's 'thock', centroid ~200 Hz).
* A hit is the modes driven by the contact force, a half-sine of the contact time (:func:`_hit`): a knuckle
  1-3 ms, a palm 6-15 ms, steel on steel well under 1 ms; the longer the contact, the less high the spectrum.
* Things used indoors are heard in their room (:func:`_room`): the diffuse tail of an exponentially decaying,
  frequency-dependent reverberation (RT60 longer at low frequencies, shorter above 2 kHz, air and furnishings)
  after a few early reflections, never a steady noise floor.
* People use things in rhythms (:func:`_bursts`): clicks and snips several a second in bursts, knocks in groups
  of two to four.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal


def _nz(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit peak (zero stays zero)."""
    m = float(np.abs(x).max()) if x.size else 0.0
    return x / m if m > 1e-12 else x


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------
def _plate_modes(f11: float, aspect: float, fmax: float, count: int) -> np.ndarray:
    """The lowest ``count`` modes (Hz, ≤ ``fmax``) of a simply supported rectangular plate whose first mode is
    ``f11``, sides 1 : ``aspect`` (aspect < 1): f_mn = f11 (m² + n²/aspect²) / (1 + 1/aspect²)."""
    m, n = np.meshgrid(np.arange(1, 13), np.arange(1, 13))
    f = f11 * (m ** 2 + (n / aspect) ** 2) / (1 + 1 / aspect ** 2)
    f = np.sort(f.ravel())
    return f[f <= fmax][:count]


def _beam_modes(f1: float, fmax: float) -> np.ndarray:
    """Modes of a simply supported beam (a slat on its supports): f_n = n² f1, up to ``fmax``."""
    n = np.arange(1, 40)
    f = f1 * n ** 2
    return f[f <= fmax]


def _t60_loss(freqs: np.ndarray, eta: float, lo: float = 0.004, hi: float = 2.0) -> np.ndarray:
    """Decay time of each mode from the loss factor ``eta``: T60 = 2.2 / (eta f)."""
    return np.clip(2.2 / (eta * np.maximum(freqs, 1.0)), lo, hi)


def _modes(ctx: Ctx, freqs: np.ndarray, t60: np.ndarray, tilt_db_oct: float = -3.0, length: float | None = None
           ) -> np.ndarray:
    """Impulse response of modes ``freqs`` with decay ``t60``, each a random excitation (where the blow lands on
    its shape) under a spectral tilt of ``tilt_db_oct`` per octave above the first."""
    rng = ctx.rng
    freqs = np.asarray(freqs, float) * (1 + 0.01 * rng.standard_normal(len(freqs)))
    amps = rng.uniform(0.3, 1.0, len(freqs)) * (freqs / freqs.min()) ** (tilt_db_oct / 6.02)
    return _modal_ir(ctx, freqs, np.asarray(t60, float), amps, length=length)


def _pulse(ctx: Ctx, ms: float) -> np.ndarray:
    """Contact force of a hit: a half-sine of ``ms`` (unit area)."""
    n = max(int(ms * 1e-3 * ctx.sr), 2)
    p = np.sin(np.pi * (np.arange(n) + 0.5) / n)
    return p / p.sum()


def _hit(ctx: Ctx, ir: np.ndarray, contact_ms: float) -> np.ndarray:
    """The modes ``ir`` driven by a contact of ``contact_ms``, at unit peak."""
    return _nz(signal.oaconvolve(ir, _pulse(ctx, contact_ms)))


def _crack(ctx: Ctx, ms: float, lo: float, hi: float, tau_ms: float) -> np.ndarray:
    """A band-limited (``lo``-``hi`` Hz) noise burst of ``ms`` rising over 0.05 ms and decaying with ``tau_ms``:
    the broadband snap of a hard contact, at unit peak (synth's ``_noise_burst`` with an attack)."""
    return _nz(_bandpass(_decay_burst(ctx, 0.05, tau_ms, ms), lo, hi, ctx.sr))


def _mix(*parts: tuple[np.ndarray, float, float], sr: int) -> np.ndarray:
    """Sum ``(grain, gain, delay_s)`` parts into one grain."""
    n = max(len(g) + int(d * sr) for g, _, d in parts)
    out = np.zeros(n)
    for g, a, d in parts:
        i = int(d * sr)
        out[i:i + len(g)] += a * g
    return out


def _room(ctx: Ctx, x: np.ndarray, rt60: float, wet: float) -> np.ndarray:
    """``x`` in a room of mid-band reverberation time ``rt60`` (s): a few early reflections (3-25 ms, from the
    walls and the floor) and a diffuse tail whose decay time depends on frequency as in furnished rooms
    (×1.3 below 250 Hz, ×1 at 500-1000 Hz, ×0.7 at 2 kHz, ×0.45 at 4 kHz and above, air absorption), mixed at
    ``wet`` of the dry energy."""
    sr, rng = ctx.sr, ctx.rng
    bands = ((20, 250, 1.3), (250, 1000, 1.0), (1000, 3000, 0.7), (3000, 0.45 * sr, 0.45))
    m = max(int(1.1 * rt60 * 1.3 * sr), int(0.03 * sr))
    k = np.arange(m) / sr
    ir = np.zeros(m)
    for lo, hi, mult in bands:
        if lo >= 0.44 * sr:
            continue
        nb = _bandpass(rng.standard_normal(m), lo, hi, sr)
        ir += nb * np.exp(-6.91 * k / (rt60 * mult))
    ir *= np.minimum(k / 0.02, 1.0)  # the diffuse field builds up over ~20 ms
    for d in rng.uniform(0.003, 0.025, 5):  # early reflections
        ir[int(d * sr)] += rng.uniform(0.3, 0.7) * np.abs(ir).max() * rng.choice((-1, 1))
    tail = signal.oaconvolve(x, ir)[: ctx.n]
    return x + np.sqrt(wet) * tail * np.std(x) / (np.std(tail) + 1e-12)


def _bursts(ctx: Ctx, rate: float, size: tuple[int, int], pause: tuple[float, float], jitter: float = 0.12
            ) -> list[list[float]]:
    """Onset times (s) of a person's actions: bursts of ``size`` actions at ``rate`` per second (inter-onset
    spread ``jitter`` of the period), separated by pauses of ``pause`` s; the first 0.1-0.4 s in, none in the
    last 0.15 s (an action cut off by the clip's end is not heard as one)."""
    rng, out, end = ctx.rng, [], ctx.seconds - 0.15
    t = 0.1 + rng.uniform(0.0, 0.3)
    while t < end:
        burst = []
        for _ in range(int(rng.integers(size[0], size[1] + 1))):
            if t >= end:
                break
            burst.append(t)
            t += (1.0 / rate) * max(1 + jitter * rng.standard_normal(), 0.3)
        out.append(burst)
        t += rng.uniform(*pause)
    return out


# ----------------------------------------------------------------------------------------------
# A door swung shut
# ----------------------------------------------------------------------------------------------
def door_panel_hz(ctx: Ctx) -> float:
    """First bending mode (Hz) of a door leaf: a simply supported plate ~2.0 × 0.85 m, 35-45 mm thick,
    f11 = (π/2) √(D/ρh) (1/a² + 1/b²) with D = E h³ / 12(1-ν²): 60-200 Hz over timber and hollow cores."""
    return float(ctx.rng.uniform(70, 150) * ctx.p.pitch ** 0.5)


# a mortise latch: the steel bolt and the strike plate ring, but the lock case sits inside the leaf, so what
# reaches the room is muffled by the wood around it (0.6-2.5 kHz, a ~1 ms contact through the case)
LATCH = dict(band=(600, 2500), t60=(0.003, 0.012), body=(400, 900), contact=1.0)


def _latch(ctx: Ctx) -> np.ndarray:
    """A latch bolt snapping into its keep (or withdrawn by the handle): :data:`LATCH`'s click."""
    return _click(ctx, LATCH)


def _slam(ctx: Ctx, f11: float, force: float) -> np.ndarray:
    """The leaf hitting its stop: wood on wood, a 1-3 ms contact (shorter for a faster swing) driving the leaf's
    plate modes, damped by its hinges, seals and frame (eta 0.12-0.24) and weighted by how well the 35-45 mm leaf
    radiates (coincidence ~360-470 Hz); the crack of the stop, the latch bolt snapping home (at half the
    leaf's level), and the leaf rattling on it in the frame (1-3 small clicks 15-60 ms after, falling by half
    each)."""
    rng, sr = ctx.rng, ctx.sr
    f = _plate_modes(f11, rng.uniform(0.4, 0.45), 5000, 40)
    leaf = _wood_knock(ctx, f, rng.uniform(0.12, 0.24), rng.uniform(1.0, 3.0) / force ** 0.5,
                       coincidence_hz(rng.uniform(35, 45)))
    parts = [(leaf, 1.0, 0.0), (_crack(ctx, 12, 300, 6000, 2.5), 0.1 * force, 0.0),
             (_latch(ctx), 0.5, rng.uniform(0.0, 0.006))]
    d = 0.0
    for k in range(int(rng.integers(1, 4))):
        d += rng.uniform(0.015, 0.06)
        parts.append((_latch(ctx), 0.3 * 0.5 ** k, d))
    return _mix(*parts, sr=sr)


def m_door(ctx: Ctx) -> np.ndarray:
    """A door opened and swung shut, in its room, every ~2 s: its handle pressed (the latch bolt withdrawn by
    the spindle: a steel click, :func:`_latch`) and released as the door opens 0.25-0.45 s later, then
    0.6-1.2 s later the leaf slams (:func:`_slam`: panel modes from 60-200 Hz (:func:`door_panel_hz`), the
    stop's crack, the latch bolt snapping home, the leaf rattling on it in the frame), all in the room's
    reverberation (RT60 0.3-0.8 s, :func:`_room`). The air the leaf pushes is 40 dB down and left out. A drawer
    (the name or play method says so) is slid shut instead (:func:`_drawer`)."""
    if _has(ctx, "drawer"):
        return _drawer(ctx)
    rng = ctx.rng
    out = np.zeros(ctx.n)
    f11 = door_panel_hz(ctx)
    t = rng.uniform(0.05, 0.3)
    while t < ctx.seconds - 0.3:
        _place(ctx, out, _latch(ctx), t, rng.uniform(0.2, 0.35))  # handle pressed: the bolt withdrawn
        _place(ctx, out, _latch(ctx), t + rng.uniform(0.25, 0.45), rng.uniform(0.15, 0.3))  # released
        t_shut = t + rng.uniform(0.6, 1.2)
        force = rng.uniform(0.7, 1.3) * ctx.p.density ** 0.3
        _place(ctx, out, _slam(ctx, f11, force), t_shut, min(force, 1.0))
        t = t_shut + rng.uniform(0.6, 1.2)
    return _room(ctx, out, rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.6))


DRAWER_RUB = 0.2  # the runners' rub at its loudest, of the front's thud peak (about -14 dB)


def _runners(ctx: Ctx, dur: float, closing: bool) -> np.ndarray:
    """A drawer's runners rubbing over ``dur`` s, unit peak: wood on wood, a 0.2-3 kHz rub whose level follows
    the speed (pushed shut it speeds up to the end; pulled open it rises and falls), with stick-slip grains at
    30-80 a second ringing the carcass's small modes."""
    rng, sr = ctx.rng, ctx.sr
    m = max(int(dur * sr), 2)
    u = np.linspace(0, 1, m)
    speed = np.minimum(u / 0.3, 1.0) if closing else np.sin(np.pi * u) ** 0.7
    rub = _bandpass(rng.standard_normal(m), 200, 3000, sr) * speed
    gt = np.cumsum(rng.exponential(1 / rng.uniform(30, 80), 400))
    idx = (gt[gt < dur] * sr).astype(int)
    grains = np.zeros(m)
    grains[idx] = rng.uniform(0.5, 1.0, idx.size) * speed[idx]
    f = np.exp(rng.uniform(np.log(600), np.log(4000), 8))
    grains = signal.oaconvolve(grains, _modes(ctx, f, rng.uniform(0.005, 0.02, 8), 0.0))[:m]
    return _nz(0.6 * _nz(rub) + 0.4 * _nz(grains))


def _drawer(ctx: Ctx) -> np.ndarray:
    """A drawer pulled open and pushed shut, every 1-2 s: the runners (:func:`_runners`, 0.3-0.6 s, at
    :data:`DRAWER_RUB`); shut, the front thuds on the carcass (a 15-20 mm panel, f11 80-160 Hz, a 4-8 ms
    contact, damped by its joints and contents, eta 0.25-0.5, radiated above coincidence) and the contents shift
    (1-3 small knocks); opened, it stops softly on its runners; in a room (RT60 0.4-0.6 s)."""
    rng = ctx.rng
    out = np.zeros(ctx.n)
    f_car = _plate_modes(rng.uniform(80, 160) * ctx.p.pitch, rng.uniform(0.5, 0.7), 5000, 40)
    fc = coincidence_hz(rng.uniform(15, 20))
    t = rng.uniform(0.05, 0.3)
    closing = True
    while t < ctx.seconds - 0.2:
        dur = rng.uniform(0.3, 0.6)
        _place(ctx, out, _runners(ctx, dur, closing), t, DRAWER_RUB)
        if closing:
            _place(ctx, out, _wood_knock(ctx, f_car, rng.uniform(0.25, 0.5), rng.uniform(4, 8), fc), t + dur, 1.0)
            for _k in range(int(rng.integers(1, 4))):
                fk = np.exp(rng.uniform(np.log(400), np.log(3000), 5))
                _place(ctx, out, _hit(ctx, _modes(ctx, fk, rng.uniform(0.01, 0.03, 5)), 1.0),
                       t + dur + rng.uniform(0.01, 0.08), 0.1)
        else:
            _place(ctx, out, _wood_knock(ctx, f_car, 0.4, 10.0, fc), t + dur, 0.2)
        t += dur + rng.uniform(0.5, 1.2)
        closing = not closing
    return _room(ctx, out, rng.uniform(0.4, 0.6), 0.35)


# ----------------------------------------------------------------------------------------------
# Clicks: switches, buttons, scissors
# ----------------------------------------------------------------------------------------------
# Kinds of button by the thing: (shell modes lo-hi Hz, shell T60 range s, contact ms, release level,
# press-to-release gap range s, burst rate per s, burst size, pause range s, the hand's rub band Hz and the
# peak of its stick-slip ticks in dB under the clicks' peak: a close microphone hears a hand on plastic ~15 dB
# under the snap, its 10 ms RMS ~40 dB under)
CLICK_KINDS: dict[str, dict] = {
    # a mouse's microswitch: a snap-action leaf spring under the button: sharp press and release ~60-110 ms
    # apart, the switch's tiny parts ringing at 1.5-6 kHz for a few ms; single and double clicks, a few a
    # second, the mouse glided on its pad between them (PTFE feet: a 0.5-6 kHz rub); its shell is tight, with
    # nothing loose to rattle after the snap
    "mouse": dict(band=(1500, 6000), t60=(0.003, 0.01), body=(700, 1600), contact=0.1, release=0.7,
                  gap=(0.06, 0.11), rate=3.0, size=(1, 4), pause=(0.15, 0.6), rub=(500, 6000), rub_db=-16.0,
                  rattle=(0, 1)),
    # a wall switch's rocker: an over-centre spring snaps it, the rocker hits its stop, the plate and the
    # wall box ring lower (1.2-4 kHz, body 400-900 Hz); one click per flick, on and off 0.2-0.6 s apart, the
    # fingertip on the plate and the rocker between them
    "switch": dict(band=(1200, 4000), t60=(0.003, 0.012), body=(400, 900), contact=0.12, release=0.0,
                   gap=(0.0, 0.0), rate=2.5, size=(2, 4), pause=(0.3, 0.8), rub=(300, 4000), rub_db=-16.0),
    # a remote's rubber dome: the dome buckles with a muffled tick and the key bottoms on the board, the
    # release softer ~100-200 ms later; presses at 2-5/s in bursts (zapping channels), the thumb sliding
    # over the rubber keys between them
    "dome": dict(band=(1500, 6000), t60=(0.003, 0.01), body=(500, 1100), contact=0.15, release=0.45,
                 gap=(0.1, 0.2), rate=3.5, size=(2, 6), pause=(0.3, 0.9), rub=(500, 6000), rub_db=-14.0),
}


def click_kind(ctx: Ctx) -> str:
    """Which button: a mouse's microswitch (a mouse, however it is pressed), a wall switch (switch, toggle,
    flick, rocker, light; not 'lightly'), a rubber-dome key (remote, dome, keypad, calculator, rubber, press) or
    a microswitch (anything else)."""
    if _has(ctx, "mouse"):
        return "mouse"
    if _has(ctx, "switch", "toggle", "flick", "rocker") or (_has(ctx, "light") and not _has(ctx, "lightly")):
        return "switch"
    if _has(ctx, "remote", "dome", "keypad", "calculator", "rubber", "press"):
        return "dome"
    return "mouse"


def _click(ctx: Ctx, kind: dict, level: float = 1.0) -> np.ndarray:
    """One click: the snap's contact (sub-millisecond) ringing the switch's small stiff parts and the shell
    (4-8 modes in ``band``, dead within ``t60``) and the housing's body (two modes in ``body``), with the
    snap's broadband tick."""
    rng = ctx.rng
    lo, hi = kind["band"]
    f = np.exp(rng.uniform(np.log(lo), np.log(hi), int(rng.integers(4, 9)))) * ctx.p.pitch ** 0.3
    shell = _modes(ctx, f, rng.uniform(*kind["t60"], f.size), 0.0)
    fb = rng.uniform(*kind["body"], 2)
    body = _modes(ctx, fb, rng.uniform(0.005, 0.015, 2), 0.0)
    g = _mix((_hit(ctx, shell, kind["contact"]), 1.0, 0.0), (_hit(ctx, body, kind["contact"] * 3), 0.35, 0.0),
             (_crack(ctx, 2.0, 2000, 12000, 0.3), 0.4, 0.0), sr=ctx.sr)
    return level * _nz(g)


def _handling(ctx: Ctx, band: tuple[float, float], db: float, peak: float) -> np.ndarray:
    """The hand moving the thing between actions (a mouse glided on its pad, a thumb over rubber keys): strokes
    of 0.15-0.5 s, each a dense train of stick-slip micro-contacts (:data:`GRAIN_RATE` a second, Poisson) of
    tiny ticks in ``band``, their rate and level swelling and fading with the hand's speed, the whole ``db``
    under ``peak``: a dry scratchy rustle, not a smooth hiss."""
    rng, sr = ctx.rng, ctx.sr
    out = np.zeros(ctx.n)
    t = rng.uniform(0.0, 0.5)
    while t < ctx.seconds:
        d = rng.uniform(0.15, 0.5)
        m = int(d * sr)
        speed = np.sin(np.pi * np.linspace(0, 1, m)) ** 2
        k = rng.poisson(rng.uniform(*GRAIN_RATE) * d)
        idx = np.sort(rng.integers(0, m, k))
        imp = np.zeros(m)
        keep = rng.random(k) < speed[idx]  # a faster hand slips more often
        imp[idx[keep]] = rng.uniform(0.2, 1.0, int(keep.sum())) * speed[idx[keep]] * rng.choice((-1, 1),
                                                                                                 int(keep.sum()))
        s = _bandpass(imp, band[0], band[1], sr)
        _place(ctx, out, s / (np.abs(s).max() + 1e-12), t, rng.uniform(0.5, 1.0))
        t += d + rng.uniform(0.1, 0.6)
    return 10 ** (db / 20) * peak * out


RATTLE_N = (1, 4)  # loose parts that tick after a click
GRAIN_RATE = (150.0, 600.0)  # stick-slip events a second of a plastic foot or a thumb over a surface


def _rattle(ctx: Ctx, kind: dict) -> np.ndarray:
    """The body answering a click: its loose parts (a rocker's play in its plate, a remote's batteries in their
    bay, the shell's clips) ticking once to three times 3-25 ms after the snap, 12-24 dB under it; a kind with
    ``rattle`` (0, 1) (a mouse: a tight shell on a microswitch, nothing loose) is the click alone."""
    rng = ctx.rng
    parts = [(_click(ctx, kind), 1.0, 0.0)]
    for _ in range(int(rng.integers(*kind.get("rattle", RATTLE_N)))):
        parts.append((_click(ctx, kind), 10 ** (-rng.uniform(12, 24) / 20), rng.uniform(0.003, 0.025)))
    return _mix(*parts, sr=ctx.sr)


def m_button_click(ctx: Ctx) -> np.ndarray:
    """Buttons and switches clicked by a person, as a close microphone on the desk hears them
    (:data:`CLICK_KINDS`, :func:`click_kind`): each press a fresh click with the plastic body's rattle
    (:func:`_rattle`), its release (a microswitch's or a dome's) 40-200 ms later and quieter, a rocker switch
    one click a flick; in bursts of a few at 2.5-3.5 a second, as a hand clicks, zaps or flicks; the hand moving
    the thing between clicks (:func:`_handling`). No room: the microphone is close, and a click's tail in a room
    is heard as a handclap."""
    rng = ctx.rng
    kind = CLICK_KINDS[click_kind(ctx)]
    out = np.zeros(ctx.n)
    for burst in _bursts(ctx, kind["rate"] * ctx.p.density, kind["size"], kind["pause"]):
        for t in burst:
            a = rng.uniform(0.6, 1.0)
            _place(ctx, out, _rattle(ctx, kind), t, a)
            if kind["release"]:
                _place(ctx, out, _rattle(ctx, kind), t + rng.uniform(*kind["gap"]), a * kind["release"])
    return out + _handling(ctx, kind["rub"], kind["rub_db"], float(np.abs(out).max()))


SNIP_T60 = (0.0012, 0.004)  # the blades held in the hand: their ring dies within a few ms


def _shear(ctx: Ctx, dur: float) -> np.ndarray:
    """The blades closing: the contact point running along the edges rubs steel on steel (noise at 2-9 kHz
    whose level rises as the blades close) and rings the thin blades (3-7 kHz modes, held, so short)."""
    sr, rng = ctx.sr, ctx.rng
    m = int(dur * sr)
    t = np.linspace(0, 1, m)
    rub = _bandpass(rng.standard_normal(m), 2000, 9000, sr) * (0.3 + 0.7 * t) * np.sin(np.pi * np.minimum(t * 1.1, 1)) ** 0.5
    f = np.exp(rng.uniform(np.log(3000), np.log(7000), 4))
    ring = signal.oaconvolve(rub, _modes(ctx, f, rng.uniform(*SNIP_T60, 4), 0.0))[:m]
    return _nz(rub) + 0.5 * _nz(ring)


def m_snip(ctx: Ctx) -> np.ndarray:
    """Scissors snipping: each cut the blades open (a light tick of the pivot), close over 50-120 ms with their
    shear (:func:`_shear`) and meet at the end with a click of the tips and finger rings (:func:`_click`,
    steel 2.5-7 kHz); 2.5-4 snips a second in runs of 3-8, as a hand cuts. Heard close up, as a hand-held
    thing is: 10 cm from the blades in a room of 40 m³ and RT60 0.4 s (critical distance 0.057 √(V/T) ≈
    0.57 m) the direct sound is ~15 dB over the room's tail, which is left out."""
    rng = ctx.rng
    steel = dict(band=(2500, 7000), t60=SNIP_T60, body=(900, 1800), contact=0.06)
    out = np.zeros(ctx.n)
    for burst in _bursts(ctx, rng.uniform(2.5, 4.0) * ctx.p.density, (3, 8), (0.3, 0.9)):
        for t in burst:
            dur = rng.uniform(0.05, 0.12)
            _place(ctx, out, _click(ctx, steel), t, 0.25)
            _place(ctx, out, _shear(ctx, dur), t + 0.04, rng.uniform(0.25, 0.4))
            _place(ctx, out, _click(ctx, steel), t + 0.04 + dur, rng.uniform(0.35, 0.5))
    return out


# ----------------------------------------------------------------------------------------------
# Knocks on wood
# ----------------------------------------------------------------------------------------------
def coincidence_hz(thickness_mm: float, c_long: float = 4000.0) -> float:
    """Critical (coincidence) frequency of a wooden plate: f_c = c² / (1.8 c_L h). Below it a plate's bending
    waves are slower than sound and radiate poorly (efficiency rising ~6 dB per octave up to it): 25 mm of
    timber ~650 Hz, a 12 mm crate slat ~1.4 kHz."""
    return 343.0 ** 2 / (1.8 * c_long * thickness_mm * 1e-3)


def _radiated(ctx: Ctx, x: np.ndarray, fc: float) -> np.ndarray:
    """What a plate radiates of its vibration ``x``: a first-order high-pass at the coincidence frequency."""
    return _highpass(x, min(fc, 0.4 * ctx.sr), ctx.sr, order=1)


def _wood_knock(ctx: Ctx, modes: np.ndarray, eta: float, contact_ms: float, fc: float) -> np.ndarray:
    """A knuckle (1-3 ms contact, bone under skin) on a wooden part of ``modes`` with loss factor ``eta``,
    plus the knuckle's own short tap (a 0.8-4 kHz burst), as radiated above the plate's coincidence ``fc``."""
    ir = _modes(ctx, modes, _t60_loss(modes, eta, hi=0.1), -1.5)
    g = _mix((_hit(ctx, ir, contact_ms), 1.0, 0.0), (_crack(ctx, 3, 800, 4000, 0.6), 0.15, 0.0), sr=ctx.sr)
    return _nz(_radiated(ctx, g, fc))


def knock_part(ctx: Ctx) -> tuple[np.ndarray, float]:
    """The wooden part knocked, up to 5 kHz, and its coincidence frequency: a bench's slats (beams 1.2-1.8 m
    on a frame, f_n = n² f1 with f1 15-30 Hz, two slats a little apart; 25-40 mm thick), a crate's side (three
    slats 0.3-0.5 m long, 12-20 mm thick, nailed to the same posts: f1 = (π/2) √(EI/ρA) / L² ≈ 120-250 Hz,
    each up to 25 % apart, and the box they are nailed into ringing along through its posts: its sides as one
    plate, f11 80-150 Hz, :data:`CRATE_BOX_F11`), or a tabletop or panel (a plate, f11 60-120 Hz; 20-30 mm)."""
    rng, pitch = ctx.rng, ctx.p.pitch
    if _has(ctx, "bench"):
        f1 = rng.uniform(15, 30) * pitch
        f = np.concatenate([_beam_modes(f1, 5000), _beam_modes(f1 * rng.uniform(1.05, 1.2), 5000)])
        return np.sort(f[f > 60]), coincidence_hz(rng.uniform(25, 40))
    if _has(ctx, "crate", "box", "pallet", "slat"):
        f1 = rng.uniform(120, 250) * pitch
        f = np.concatenate([_beam_modes(f1 * rng.uniform(1.0, 1.25), 5000) for _ in range(3)]
                           + [_plate_modes(rng.uniform(*CRATE_BOX_F11) * pitch, rng.uniform(0.5, 0.8), 5000, 30)])
        return np.sort(f), coincidence_hz(rng.uniform(12, 20))
    return _plate_modes(rng.uniform(60, 120) * pitch, rng.uniform(0.5, 0.7), 5000, 40), coincidence_hz(rng.uniform(20, 30))


# outdoors the ground's reflection is the only strong one; trees and walls scatter a faint diffuse tail,
# ~8 dB under the dry sound (indoors 0.35, ~4.6 dB under)
OUTDOOR_WET = 0.15
# loss factor of a jointed, nailed or screwed wooden structure (solid wood alone 0.01-0.05): a knock on a
# table, a bench or a crate dies in tens of ms, not the ring of a free plank
KNOCK_ETA = (0.12, 0.24)
# a crate: rough-sawn slats nailed at both ends, the box usually loaded: more damped still
CRATE_ETA = (0.2, 0.4)
CRATE_BOX_F11 = (80.0, 150.0)  # a crate's sides (~0.5 × 0.4 m of 12-20 mm slats on posts) as one plate


def m_knock(ctx: Ctx) -> np.ndarray:
    """Knuckles knocking on wood (a tabletop, a bench's slats, a crate): each knock a 1-3 ms contact driving
    the part's modes (:func:`knock_part`) with the loss factor of a jointed wooden structure (η 0.12-0.24, a crate 0.2-0.4,
    T60 = 2.2/(η f), at most 0.1 s), weighted by how well it radiates (:func:`_radiated`); knocks in
    groups of 2-4 at 4-7 a second, a group every 1-2 s; indoors (a table, a crate) in a room (RT60 0.4-0.7 s),
    a bench outdoors: the ground's reflection 4 ms later and a faint scattered tail (trees, walls). A play
    method that thumps, drums or pounds (a barrel struck like a drum, a bucket drummed on) gives soft heavy
    blows instead (:func:`_thuds`)."""
    if _has(ctx, "thump", "drum", "pound", "thud"):
        return _thuds(ctx)
    rng, sr = ctx.rng, ctx.sr
    out = np.zeros(ctx.n)
    modes, fc = knock_part(ctx)
    eta = CRATE_ETA if _has(ctx, "crate", "box", "pallet") and not _has(ctx, "bench") else KNOCK_ETA
    for burst in _bursts(ctx, rng.uniform(4.0, 7.0), (2, 4), (0.6, 1.4), jitter=0.08):
        for i, t in enumerate(burst):
            g = _wood_knock(ctx, modes, rng.uniform(*eta), rng.uniform(1.0, 3.0), fc)
            _place(ctx, out, g, t, rng.uniform(0.75, 1.0) * (1.0 if i == 0 else 0.9))
    if _has(ctx, "bench", "outdoor", "park"):  # outdoors: the ground's reflection, faint scattering around
        out = out + 0.3 * np.concatenate([np.zeros(int(0.004 * sr)), out])[: ctx.n]
        return _room(ctx, out, rng.uniform(0.3, 0.5), OUTDOOR_WET)
    return _room(ctx, out, rng.uniform(0.4, 0.7), 0.35)


# ----------------------------------------------------------------------------------------------
# Thuds: soft heavy blows
# ----------------------------------------------------------------------------------------------
# The thing thumped: (stems, f11 range Hz of the struck part, corner Hz below which it radiates ~6 dB/octave
# less, contact ms range of the blow). A body small beside the wavelength radiates inefficiently below
# ka = 1 (f = c / 2πa); a plate below its coincidence frequency.
THUD_PARTS: tuple[tuple[tuple[str, ...], tuple[float, float], float, tuple[float, float]], ...] = (
    # a barrel's head: 25-35 mm staves of oak across ~0.55 m (f11 80-160 Hz), the cask radiating as a body
    # of radius ~0.3 m (c / 2πa ≈ 180 Hz); a palm or fist, 8-15 ms
    (("barrel", "cask", "keg", "drum"), (80.0, 160.0), 180.0, (8.0, 15.0)),
    # an upturned pail: its bottom (0.25-0.3 m) on the trapped air, 70-130 Hz, radius ~0.15 m (≈360 Hz);
    # a hand, 6-12 ms
    (("bucket", "pail", "tub"), (70.0, 130.0), 360.0, (6.0, 12.0)),
    # otherwise a wooden top or panel (f11 60-120 Hz, 25 mm: coincidence ~650 Hz) under a fist, 6-12 ms
)
THUD_ETA = (0.25, 0.5)  # held by a hand, standing on the ground, full of air: heavily damped


def thud_part(ctx: Ctx) -> tuple[np.ndarray, float, tuple[float, float]]:
    """The part thumped (:data:`THUD_PARTS`; a wooden body otherwise): its plate modes up to 5 kHz, its
    radiation corner and the blow's contact time range."""
    rng = ctx.rng
    f11, corner, contact = (60.0, 120.0), coincidence_hz(25.0), (6.0, 12.0)
    for stems, f, c, ms in THUD_PARTS:
        if _has(ctx, *stems):
            f11, corner, contact = f, c, ms
            break
    modes = _plate_modes(rng.uniform(*f11) * ctx.p.pitch, rng.uniform(0.5, 0.7), 5000, 40)
    return modes, corner, contact


def _thuds(ctx: Ctx) -> np.ndarray:
    """Soft heavy blows (a barrel's head, an upturned bucket, a tabletop under a fist): each a palm or fist
    contact of several ms (:func:`thud_part`) driving the part's plate
    modes, heavily damped (:data:`THUD_ETA`), weighted by how well it radiates (:func:`_radiated`); one blow or
    two (tap-tap) at a time at ~2-3.5 a second, then a pause of 0.6-1.4 s; in a room (RT60 0.4-0.7 s)."""
    rng = ctx.rng
    out = np.zeros(ctx.n)
    modes, corner, contact = thud_part(ctx)
    for burst in _bursts(ctx, rng.uniform(2.0, 3.5), (1, 2), (0.6, 1.4), jitter=0.08):
        for i, t in enumerate(burst):
            g = _wood_knock(ctx, modes, rng.uniform(*THUD_ETA), rng.uniform(*contact), corner)
            _place(ctx, out, g, t, rng.uniform(0.75, 1.0) * (1.0 if i == 0 else 0.8))
    return _room(ctx, out, rng.uniform(0.4, 0.7), 0.35)


# ----------------------------------------------------------------------------------------------
# Chopping: a knife on a board, an axe into a log
# ----------------------------------------------------------------------------------------------
def _fracture(ctx: Ctx, dur: float, rate: float, band: tuple[float, float]) -> np.ndarray:
    """Material torn or split over ``dur`` s: a Poisson train of micro-fractures (``rate`` a second at the
    start, thinning as the crack runs out), each a tick of random sign and size in ``band``, at unit peak."""
    rng, sr = ctx.rng, ctx.sr
    m = max(int(dur * sr), 8)
    t = np.arange(m) / sr
    k = rng.poisson(rate * dur)
    at = np.sort(rng.integers(0, m, k))
    keep = rng.random(k) < np.exp(-3.0 * t[at] / dur)  # the rate falls off as the crack runs out
    imp = np.zeros(m)
    imp[at[keep]] = rng.pareto(2.5, int(keep.sum())) * rng.choice((-1, 1), int(keep.sum()))
    return _nz(_bandpass(imp, band[0], band[1], sr))


def board_modes(ctx: Ctx) -> tuple[np.ndarray, float]:
    """A chopping board on the counter: a plate ~0.4 × 0.3 m, 20-30 mm of wood (f11 ≈ 250-450 Hz), and its
    coincidence frequency."""
    rng = ctx.rng
    return (_plate_modes(rng.uniform(250, 450) * ctx.p.pitch, rng.uniform(0.65, 0.8), 6000, 30),
            coincidence_hz(rng.uniform(20, 30)))


CHOP_WET = 0.2  # a kitchen's diffuse tail, ~7 dB under the dry sound
KNIFE_ETA = (0.3, 0.5)  # a board lying on a counter (often on a damp cloth), pressed by the other hand: a dead 'tock'


def _knife_chops(ctx: Ctx) -> np.ndarray:
    """Chopping vegetables on a board: each stroke the blade through the food (a crunch: 10-30 ms of
    broadband tearing, :func:`_fracture`, 1-8 kHz) then the edge on the board (a steel edge's sub-ms contact
    on the board's modes, :func:`board_modes`, η 0.3-0.5: a board lying on a counter is dead); strokes at an uneven 2-6 a second (each gap drawn
    on its own, a cook's hand is not a metronome), runs of 3-10, between runs the blade pushing the pieces
    aside (a 0.2-0.5 s scrape of the flat of the blade over the board); in a kitchen (RT60 0.4-0.6 s)."""
    rng, sr = ctx.rng, ctx.sr
    out = np.zeros(ctx.n)
    modes, fc = board_modes(ctx)
    t, end = rng.uniform(0.1, 0.4), ctx.seconds - 0.15
    while t < end:
        for _ in range(int(rng.integers(3, 11))):
            if t >= end:
                break
            crunch = rng.uniform(0.01, 0.03)
            _place(ctx, out, _fracture(ctx, crunch, rng.uniform(1500, 4000), (1000, 8000)), t,
                   rng.uniform(0.25, 0.5))
            ir = _modes(ctx, modes, _t60_loss(modes, rng.uniform(*KNIFE_ETA), hi=0.08), -1.0)
            edge = _nz(_radiated(ctx, _hit(ctx, ir, rng.uniform(0.3, 0.6)), fc))
            _place(ctx, out, edge, t + crunch, rng.uniform(0.7, 1.0))
            t += 1.0 / rng.uniform(2.0, 6.0)
        d = rng.uniform(0.2, 0.5)
        m = int(d * sr)
        scrape = _fracture(ctx, d, 3000.0, (500, 5000)) * np.sin(np.pi * np.linspace(0, 1, m)) ** 2
        _place(ctx, out, scrape, t, rng.uniform(0.1, 0.2))
        t += d + rng.uniform(0.2, 0.6)
    return _room(ctx, out, rng.uniform(0.4, 0.6), CHOP_WET)


CRUNCH_LEVEL = (0.25, 0.5)
EDGE_LEVEL = (0.7, 1.0)


def _swing(ctx: Ctx, dur: float) -> np.ndarray:
    """The axe's swing: air over the head, broadband noise (300-3000 Hz) whose level follows the head's speed
    to the 6th power (aeroacoustic dipole) as it accelerates to the blow, at unit peak."""
    rng, sr = ctx.rng, ctx.sr
    m = int(dur * sr)
    speed = np.linspace(0.2, 1.0, m) ** 2
    return _nz(_bandpass(rng.standard_normal(m), 300, 3000, sr) * speed ** 3)


def _axe_blows(ctx: Ctx) -> np.ndarray:
    """Splitting logs with an axe: one blow every 1.5-3 s, each the swing's whoosh (:func:`_swing`, 0.25-0.4 s,
    ~20 dB under the blow), the blade's bite (a sharp crack, steel into wood in well under a millisecond,
    1.5-8 kHz, 5-15 ms) with the wood splitting along its grain (:func:`_fracture`, 40-150 ms at 0.5-5 kHz),
    the log and block thudding on the ground (heavily damped low modes 80-400 Hz), and now and then the halves
    falling (two knocks 0.3-0.6 s later); outdoors: the ground's reflection and a faint scattered tail."""
    rng, sr = ctx.rng, ctx.sr
    out = np.zeros(ctx.n)
    log = np.sort(rng.uniform(80, 400, 8)) * ctx.p.pitch
    t, end = rng.uniform(0.3, 0.8), ctx.seconds - 0.2
    while t < end:
        sw = rng.uniform(0.25, 0.4)
        _place(ctx, out, _swing(ctx, sw), t - sw, 0.1)
        bite = _crack(ctx, rng.uniform(5, 15), 1500, 8000, rng.uniform(1.0, 3.0))
        split = _fracture(ctx, rng.uniform(0.04, 0.15), rng.uniform(800, 2500), (500, 5000))
        thud = _hit(ctx, _modes(ctx, log, _t60_loss(log, rng.uniform(0.15, 0.3), hi=0.15), -3.0), 2.0)
        g = _mix((bite, 1.0, 0.0), (split, rng.uniform(0.4, 0.7), 0.002),
                 (thud, rng.uniform(0.6, 0.9), 0.0), sr=sr)
        _place(ctx, out, g, t, rng.uniform(0.8, 1.0))
        if rng.random() < 0.5:  # the halves fall off the block
            for dt in np.sort(rng.uniform(0.3, 0.6, 2)):
                _place(ctx, out, _hit(ctx, _modes(ctx, log * 2, _t60_loss(log * 2, 0.2, hi=0.1), -2.0), 3.0),
                       t + dt, rng.uniform(0.15, 0.3))
        t += rng.uniform(1.5, 3.0)
    out = out + 0.3 * np.concatenate([np.zeros(int(0.004 * sr)), out])[: ctx.n]
    return _room(ctx, out, rng.uniform(0.3, 0.5), OUTDOOR_WET)


def m_chop(ctx: Ctx) -> np.ndarray:
    """Chopping: with an axe (axe, hatchet, log, wood, split; :func:`_axe_blows`) or with a knife on a board
    (anything else: :func:`_knife_chops`)."""
    if _has(ctx, "axe", "hatchet", "log", "wood", "split", "firewood"):
        return _axe_blows(ctx)
    return _knife_chops(ctx)


# ----------------------------------------------------------------------------------------------
# Clunks: a mechanism thrown against its stop
# ----------------------------------------------------------------------------------------------
# By the thing: first mode range (Hz) of the part that hits its stop, its loss factor as mounted (a part
# stopped by a plastic or rubber buffer, held in a frame, pressed on a base: η 0.2-0.4, a clunk, not the ring
# of a free steel plate), contact ms range, what runs before the clunk, and the time between uses (s)
CLUNK_KINDS: dict[str, dict] = {
    # a toaster's carriage thrown up by its spring onto the top stop: the thin sheet-steel shell (0.4-0.6 mm,
    # f11 150-300 Hz) shakes briefly; the lever's latch releasing with a click just before
    "toaster": dict(f11=(150, 300), eta=(0.2, 0.4), contact=(0.8, 1.5), before="latch", every=(2.0, 3.0)),
    # a turnstile's arms indexed round by a person pushing through: the pawl ticks over the ratchet for
    # 0.3-0.6 s, then the hub's cam drops into its detent against a damped stop (a heavy steel hub, f11
    # 100-200 Hz), one passer every 1-2 s
    "turnstile": dict(f11=(100, 200), eta=(0.2, 0.4), contact=(1.5, 3.0), before="ratchet", every=(1.0, 2.0)),
    # a latch or a spring-loaded bar snapping shut (a mousetrap's bow onto its pine base, a stapler, a
    # hasp): a light part, f11 300-600 Hz, the catch's tick just before
    "snap": dict(f11=(300, 600), eta=(0.2, 0.4), contact=(0.3, 0.8), before="latch", every=(1.2, 2.0)),
}


def clunk_kind(ctx: Ctx) -> str:
    """Which mechanism: a toaster (toast, toaster, pop), a turnstile (turnstile, gate, arms, round) or a
    spring-loaded snap (anything else)."""
    if _has(ctx, "toast", "pop"):
        return "toaster"
    if _has(ctx, "turnstile", "arms", "round"):
        return "turnstile"
    return "snap"


def m_clunk(ctx: Ctx) -> np.ndarray:
    """A mechanism thrown against its stop (:data:`CLUNK_KINDS`, :func:`clunk_kind`): the steel part's plate
    modes (up to 6 kHz, T60 = 2.2/(η f), η 0.2-0.4) driven by a contact of 0.3-3 ms, with the metal-on-metal crack
    (2-7 kHz), after what runs before it (a latch's click, or a ratchet's pawl ticking 8-15 times a second);
    once every 1-3 s as a person uses it; in a room (RT60 0.4-0.7 s)."""
    rng, sr = ctx.rng, ctx.sr
    kind = CLUNK_KINDS[clunk_kind(ctx)]
    tick = dict(band=(2000, 7000), t60=(0.003, 0.01), body=(600, 1500), contact=0.1)
    out = np.zeros(ctx.n)
    t, end = rng.uniform(0.2, 0.6), ctx.seconds - 0.2
    while t < end:
        if kind["before"] == "ratchet":
            lead = rng.uniform(0.3, 0.6)
            n = int(lead * rng.uniform(8, 15))
            for k in range(n):
                _place(ctx, out, _click(ctx, tick), t + k * lead / n, rng.uniform(0.08, 0.15))
        else:
            lead = rng.uniform(0.03, 0.1)
            _place(ctx, out, _click(ctx, tick), t, rng.uniform(0.15, 0.3))
        modes = _plate_modes(rng.uniform(*kind["f11"]) * ctx.p.pitch, rng.uniform(0.5, 0.8), 6000, 30)
        ir = _modes(ctx, modes, _t60_loss(modes, rng.uniform(*kind["eta"]), hi=0.4), -2.0)
        g = _mix((_hit(ctx, ir, rng.uniform(*kind["contact"])), 1.0, 0.0),
                 (_crack(ctx, 4.0, 2000, 7000, 0.8), 0.3, 0.0), sr=sr)
        _place(ctx, out, _nz(g), t + lead, rng.uniform(0.8, 1.0))
        t += lead + rng.uniform(*kind["every"])
    return _room(ctx, out, rng.uniform(0.4, 0.7), 0.3)


# ----------------------------------------------------------------------------------------------
# Banknotes counted
# ----------------------------------------------------------------------------------------------
NOTE_RATE = (15.0, 25.0)  # notes a second a counting machine's rollers feed (900-1500 a minute)
NOTE_RUN = (20, 60)  # notes in one batch
NOTE_MS = (2.0, 6.0)  # a note's edge snapping off the feed roller: a brief paper flick
NOTE_BAND = (2000.0, 8000.0)  # banknote paper (~0.1 mm of stiff cotton) flicked radiates high, like a page
NOTE_TICK = 0.3  # the transport's small plastic parts ticking at each note, of the flick's peak
MOTOR_DB = -40.0  # the feed motor's whine and its brushes, under the flicks' peak
MOTOR_HZ = (50.0, 90.0)  # its shaft (3000-5400 rpm)


def _flick(ctx: Ctx) -> np.ndarray:
    """One note fed: its edge snapping off the rubber feed roller and slapping the stacker wheel (a paper flick:
    2-4 Hann-windowed noise grains of :data:`NOTE_MS` within 5 ms, sizes Pareto-spread, in :data:`NOTE_BAND`)
    and the transport's small plastic parts ticking (:data:`NOTE_TICK`), at unit peak."""
    rng, sr = ctx.rng, ctx.sr
    m = int((0.005 + 2 * NOTE_MS[1] * 1e-3) * sr)
    g = np.zeros(m)
    for _ in range(int(rng.integers(2, 5))):
        k = max(int(rng.uniform(*NOTE_MS) * 1e-3 * sr), 3)
        i = int(rng.uniform(0, 0.005) * sr)
        g[i:i + k] += rng.pareto(2.0) * np.hanning(k) * rng.standard_normal(k)
    g = _bandpass(g, NOTE_BAND[0], min(NOTE_BAND[1], 0.45 * sr), sr)
    tick = dict(band=(1500, 4000), t60=(0.002, 0.006), body=(500, 1200), contact=0.2)
    return _nz(_mix((_nz(g), 1.0, 0.0), (_click(ctx, tick), NOTE_TICK, 0.0), sr=sr))


def m_note_counter(ctx: Ctx) -> np.ndarray:
    """Banknotes counted by a machine (a cash machine's or a bank's counter): the feed rollers take the notes
    one by one at :data:`NOTE_RATE` (the pace wavering ±10 %), in batches of :data:`NOTE_RUN`, each note a paper
    flick (:func:`_flick`), under the feed motor's whine (its shaft at :data:`MOTOR_HZ` and harmonics falling
    as 1/k, its brushes' 1-5 kHz noise; :data:`MOTOR_DB` under the flicks) spinning up 80 ms before a batch and
    down 100 ms after; 0.5-1.5 s between batches (the stack taken out, the next put in); inside the machine's
    housing, in a small room (RT60 0.2-0.4 s)."""
    rng, sr = ctx.rng, ctx.sr
    out = np.zeros(ctx.n)
    motor = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.4)
    while t < ctx.seconds - 0.3:
        rate = rng.uniform(*NOTE_RATE) * ctx.p.density
        t0 = t
        for _ in range(int(rng.integers(NOTE_RUN[0], NOTE_RUN[1] + 1))):
            if t >= ctx.seconds - 0.05:
                break
            _place(ctx, out, _flick(ctx), t, rng.uniform(0.5, 1.0))
            t += max(1 + 0.1 * rng.standard_normal(), 0.5) / rate
        i0, i1 = int(max(t0 - 0.08, 0.0) * sr), min(int((t + 0.1) * sr), ctx.n)
        if i1 - i0 > 16:
            tt = np.arange(i1 - i0) / sr
            f = rng.uniform(*MOTOR_HZ)
            env = np.minimum(tt / 0.08, 1.0) * np.clip((tt[-1] - tt) / 0.1, 0.0, 1.0)
            whine = sum(np.sin(2 * np.pi * k * f * tt + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
            brush = _bandpass(rng.standard_normal(i1 - i0), 1000, min(5000, 0.45 * sr), sr)
            motor[i0:i1] += env * (_nz(whine) + 0.5 * _nz(brush))
        t += rng.uniform(0.5, 1.5)
    out = out + 10 ** (MOTOR_DB / 20) * float(np.abs(out).max()) * _nz(motor)
    return _room(ctx, out, rng.uniform(0.2, 0.4), 0.2)


# ----------------------------------------------------------------------------------------------
# A microphone tapped to test it
# ----------------------------------------------------------------------------------------------
# A dynamic capsule's diaphragm and coil (a few hundred mg) on their suspension resonate at ~80-200 Hz with a
# low Q (1-3: damped by the air behind the diaphragm); a tap on the body shakes the capsule and the diaphragm
# lags: handling noise, a heavy thump at that resonance far louder than the tap's sound in the room
MIC_RESONANCE_HZ = (80.0, 200.0)
MIC_Q = (1.0, 3.0)
MIC_TAP_MS = (3.0, 8.0)  # a fingertip on the grille or the body
# the fingertip on the steel mesh 1-2 cm from the diaphragm, heard through the air: as loud as the thump
MIC_GRILLE_DB = (-6.0, 0.0)
MIC_HALL_RT60 = (0.8, 1.5)  # a hall or a function room
MIC_LISTEN_S = (0.2, 1.0)  # one tap, the hall's answer dying away (its RT60), a moment more, the next tap
MIC_WET = 0.4  # the hall's tail, ~4 dB under the PA's direct sound


def _capsule_thump(ctx: Ctx) -> np.ndarray:
    """The capsule's response to a tap on the microphone's body: the diaphragm on its suspension, a second-order
    resonance (:data:`MIC_RESONANCE_HZ`, :data:`MIC_Q`) driven by the fingertip's half-sine force
    (:data:`MIC_TAP_MS`), heard as the coil's velocity, at unit peak."""
    rng, sr = ctx.rng, ctx.sr
    f0, q = rng.uniform(*MIC_RESONANCE_HZ) * ctx.p.pitch ** 0.3, rng.uniform(*MIC_Q)
    t = np.arange(int(0.25 * sr)) / sr
    # the diaphragm's displacement against the shaken housing rings as a damped sine; a moving coil's voltage
    # follows its velocity, the displacement's derivative (no DC: a band-pass round f0)
    ir = np.gradient(np.exp(-np.pi * f0 * t / q) * np.sin(2 * np.pi * f0 * t))
    return _nz(signal.oaconvolve(ir, _pulse(ctx, rng.uniform(*MIC_TAP_MS))))


def m_mic_tap(ctx: Ctx) -> np.ndarray:
    """A microphone tapped to test it, heard through the PA: one tap at a time, the tester listening to the
    hall's answer die away before the next (the hall's RT60, :data:`MIC_HALL_RT60`, and 0.2-1 s more,
    :data:`MIC_LISTEN_S`), each tap the capsule's thump (:func:`_capsule_thump`) with the fingertip's click on
    the grille (:data:`MIC_GRILLE_DB`); the PA's loudspeakers pass 60 Hz-12 kHz and the hall answers
    (:data:`MIC_WET`)."""
    rng, sr = ctx.rng, ctx.sr
    grille = dict(band=(1500, 5000), t60=(0.003, 0.01), body=(600, 1200), contact=0.3)
    rt60 = rng.uniform(*MIC_HALL_RT60)
    out = np.zeros(ctx.n)
    t = rng.uniform(0.1, 0.5)
    while t < ctx.seconds - 0.15:
        a = rng.uniform(0.7, 1.0)
        _place(ctx, out, _capsule_thump(ctx), t, a)
        _place(ctx, out, _click(ctx, grille), t, a * 10 ** (rng.uniform(*MIC_GRILLE_DB) / 20))
        t += rt60 + rng.uniform(*MIC_LISTEN_S)
    return _room(ctx, _bandpass(out, 60.0, 12000.0, sr), rt60, MIC_WET)  # the PA's loudspeakers


MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "door_slam": (("slammed", "swung shut", "door slam", "slamming", "drawer"), m_door),
    "button_click": (("light switch", "mouse click", "button click", "button press"), m_button_click),
    "snip": (("snip", "scissor"), m_snip),
    "knock": (("slats knocked", "knocking on the top", "knuckles knocking on", "drummed on", "struck like a drum"),
              m_knock),
    "chop": (("chopping on", "chopping wood", "chopped", "splitting log"), m_chop),
    "clunk": (("popping up", "clunking", "snapping shut"), m_clunk),
    "note_counter": (("notes counted", "counting notes", "banknotes", "note counter"), m_note_counter),
    "mic_tap": (("tapped to test", "mic tap", "microphone tapped"), m_mic_tap),
}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {
    "door_slam": ("Door", "Slam", "Knock", "Drawer open or close", "Thump, thud"),
    "button_click": ("Clicking", "Tick"),
    "snip": ("Clicking", "Scissors"),
    "knock": ("Knock", "Wood", "Tap", "Thump, thud", "Thunk"),
    "chop": ("Chop", "Chopping (food)", "Wood", "Crack", "Splinter"),
    "clunk": ("Clunk", "Whack, thwack", "Thunk", "Clicking"),
    "note_counter": ("Cash register", "Mechanisms", "Clatter", "Clicking"),
    "mic_tap": ("Thump, thud", "Tap", "Microphone"),
}

# The synthesiser's building blocks, imported last: server.sounds.synth imports this module at its end to
# register MODELS, so MODELS must exist before synth is imported from here.
from .synth import (  # noqa: E402
    Ctx,
    _bandpass,
    _decay_burst,
    _has,
    _highpass,
    _modal_ir,
    _place,
)
