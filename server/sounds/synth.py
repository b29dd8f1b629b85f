"""Builtin procedural sound-effect synthesiser: sound from a source's description, not from samples.

A source is described by words (name, material, play method, timbre). Three tables turn words into
sound, so the choices live in data, not in scattered ``if``s:

* :data:`SOUND_MODELS` picks the *model* (struck object, bell, rattle, scrape, rustle, crinkle,
  drops, stream, surf, rain, wind, engine, hum, chirp, footsteps, rolling, murmur, fire) by keyword
  stems found in the play method (weight 3), the name (weight 2) and the material (weight 1).
* :data:`MATERIALS` gives struck and scraped objects their modes: partial ratios (inharmonic for
  metal and glass, the free-bar series for wood), fundamental, decay time (T60) and how fast high
  partials die, contact time of the strike.
* :data:`TIMBRE_WORDS` moves the parameters (``bright`` raises brightness, ``low rumble`` lowers
  pitch and darkens, ``resonant`` lengthens decay ...).

Everything is vectorised numpy (events are placed as impulse trains and convolved with grains, noise
is shaped in the STFT domain), so 6 sources of 5 s take well under a second per source. The output is
deterministic for a seed: the random generator is seeded from the seed and a CRC of the description.
"""

from __future__ import annotations

import functools
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import signal

from ..audio.resample import resample
from ..errors import ConfigError

log = logging.getLogger(__name__)

MAX_SECONDS = 120.0
MIN_SECONDS = 0.1


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Material:
    """Modal description of a solid: partial ratios, fundamental, decay and contact stiffness."""

    ratios: tuple[float, ...]
    base_hz: float
    t60: float  # decay time of the fundamental, seconds
    damping_exp: float  # T60 of a partial scales as (f / f0) ** -damping_exp
    contact_ms: float  # duration of the strike: long = soft, dark contact
    noise: float  # share of contact noise in a strike (0..1)
    keywords: tuple[str, ...]


MATERIALS: dict[str, Material] = {
    # Thin plates and tubes: strongly inharmonic, long ring.
    "metal": Material(
        (1.0, 1.594, 2.136, 2.653, 2.918, 3.598, 4.07, 5.19), 520.0, 2.2, 0.45, 0.25, 0.05,
        ("metal", "steel", "iron", "brass", "copper", "alumin", "tin", "bronze", "chrome", "tubing", "pipe",
         "can", "cutlery", "spoon", "fork", "pan", "pot", "lid", "railing", "barricade", "fence"),
    ),
    # Church-bell partials (hum, prime, tierce, quint, nominal ...): very long ring.
    "bell": Material(
        (0.5, 1.0, 1.183, 1.506, 2.0, 2.514, 2.662, 3.011, 4.166), 520.0, 6.0, 0.35, 0.3, 0.08,
        ("bell", "gong", "chime"),
    ),
    # Glass: few bright inharmonic modes, medium ring.
    "glass": Material(
        (1.0, 2.32, 4.25, 6.63, 9.38), 1650.0, 1.1, 0.4, 0.15, 0.03,
        ("glass", "crystal", "window", "bottle", "jar", "wine"),
    ),
    "ceramic": Material(
        (1.0, 2.42, 4.39, 6.9), 1250.0, 0.45, 0.6, 0.25, 0.06,
        ("ceramic", "porcelain", "pottery", "clay", "mug", "cup", "plate", "tile"),
    ),
    # Free-free wooden bar series, quickly damped.
    "wood": Material(
        (1.0, 2.756, 5.404, 8.933), 240.0, 0.12, 0.9, 0.9, 0.45,
        ("wood", "timber", "oak", "pine", "bamboo", "trunk", "plank", "log", "board", "table", "door",
         "chair", "bench", "crate"),
    ),
    "stone": Material(
        (1.0, 1.71, 2.93, 4.12, 5.61), 850.0, 0.045, 1.1, 1.6, 0.55,
        ("stone", "rock", "concrete", "brick", "marble", "granite", "pavement", "cobble", "asphalt", "floor",
         "ground", "wall", "cement"),
    ),
    "plastic": Material(
        (1.0, 2.08, 3.71, 5.83), 680.0, 0.07, 0.8, 0.8, 0.3,
        ("plastic", "polyethylene", "nylon", "vinyl", "acrylic", "polymer", "pvc"),
    ),
    "soft": Material(
        (1.0, 1.9, 3.1), 160.0, 0.03, 1.2, 6.0, 0.7,
        ("rubber", "fabric", "cloth", "leather", "cushion", "foam", "skin", "flesh", "paper", "cardboard",
         "leaf", "leaves", "frond", "grass", "soil", "earth", "sand", "mud", "snow", "dirt", "carpet"),
    ),
}
DEFAULT_MATERIAL = "wood"


@dataclass(frozen=True)
class Params:
    """The knobs every model reads; timbre words move them."""

    pitch: float = 1.0  # multiplier of the model's base frequency
    brightness: float = 0.5  # 0 dark .. 1 bright
    decay: float = 1.0  # multiplier of decay times
    density: float = 1.0  # multiplier of event rate
    roughness: float = 0.2  # 0 regular .. 1 irregular
    squeak: float = 0.0  # tonal friction share (scrape, rolling)


# word or phrase -> (parameter, operation, value); "*" multiplies, "+" adds.
TIMBRE_WORDS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "bright": (("brightness", "+", 0.25), ("pitch", "*", 1.15)),
    "brilliant": (("brightness", "+", 0.3),),
    "shimmering": (("brightness", "+", 0.2), ("density", "*", 1.3)),
    "sparkling": (("brightness", "+", 0.25), ("density", "*", 1.3)),
    "crisp": (("brightness", "+", 0.2),),
    "sharp": (("brightness", "+", 0.2),),
    "high frequency": (("brightness", "+", 0.3), ("pitch", "*", 1.5)),
    "high pitched": (("pitch", "*", 1.6),),
    "high": (("pitch", "*", 1.3),),
    "thin": (("pitch", "*", 1.25), ("brightness", "+", 0.1)),
    "tinny": (("pitch", "*", 1.4), ("brightness", "+", 0.2)),
    "airy": (("brightness", "+", 0.15), ("roughness", "+", 0.1)),
    "dull": (("brightness", "-", 0.3), ("decay", "*", 0.6)),
    "muffled": (("brightness", "-", 0.35),),
    "muted": (("brightness", "-", 0.25), ("decay", "*", 0.5)),
    "dark": (("brightness", "-", 0.25),),
    "warm": (("brightness", "-", 0.15),),
    "soft": (("brightness", "-", 0.15), ("roughness", "-", 0.1)),
    "gentle": (("brightness", "-", 0.1), ("density", "*", 0.8)),
    "low rumble": (("pitch", "*", 0.5), ("brightness", "-", 0.3)),
    "rumble": (("pitch", "*", 0.7), ("brightness", "-", 0.2)),
    "low": (("pitch", "*", 0.75),),
    "deep": (("pitch", "*", 0.6), ("brightness", "-", 0.1)),
    "booming": (("pitch", "*", 0.6), ("decay", "*", 1.4)),
    "heavy": (("pitch", "*", 0.75), ("brightness", "-", 0.1)),
    "resonant": (("decay", "*", 1.8),),
    "ringing": (("decay", "*", 1.8), ("brightness", "+", 0.1)),
    "sustained": (("decay", "*", 1.6),),
    "echoing": (("decay", "*", 1.5),),
    "short": (("decay", "*", 0.5),),
    "dry": (("decay", "*", 0.6),),
    "staccato": (("decay", "*", 0.4),),
    "metallic": (("brightness", "+", 0.15), ("decay", "*", 1.3)),
    "clanky": (("roughness", "+", 0.3), ("brightness", "+", 0.1)),
    "clanging": (("decay", "*", 1.3), ("roughness", "+", 0.2)),
    "harsh": (("brightness", "+", 0.2), ("roughness", "+", 0.3)),
    "gritty": (("roughness", "+", 0.35),),
    "rough": (("roughness", "+", 0.3),),
    "crunchy": (("roughness", "+", 0.3), ("brightness", "+", 0.1)),
    "crinkly": (("brightness", "+", 0.15), ("density", "*", 1.2)),
    "papery": (("brightness", "+", 0.1),),
    "smooth": (("roughness", "-", 0.2),),
    "steady": (("roughness", "-", 0.2),),
    "rhythmic": (("roughness", "-", 0.25),),
    "regular": (("roughness", "-", 0.25),),
    "irregular": (("roughness", "+", 0.3),),
    "sporadic": (("density", "*", 0.5), ("roughness", "+", 0.3)),
    "sparse": (("density", "*", 0.5),),
    "occasional": (("density", "*", 0.5),),
    "dense": (("density", "*", 1.8),),
    "busy": (("density", "*", 1.6),),
    "bustling": (("density", "*", 1.6),),
    "constant": (("roughness", "-", 0.15),),
    "fast": (("density", "*", 1.5),),
    "rapid": (("density", "*", 1.7),),
    "slow": (("density", "*", 0.6),),
    "lively": (("density", "*", 1.3), ("brightness", "+", 0.1)),
    "squeak": (("squeak", "+", 0.5),),
    "squeaky": (("squeak", "+", 0.6),),
    "creaky": (("squeak", "+", 0.5), ("pitch", "*", 0.8)),
}
_TIMBRE_BOUNDS = {
    "pitch": (0.2, 5.0), "brightness": (0.0, 1.0), "decay": (0.1, 6.0), "density": (0.1, 6.0),
    "roughness": (0.0, 1.0), "squeak": (0.0, 1.0),
}


# model -> keyword stems (matched at word starts)
SOUND_MODELS: dict[str, tuple[str, ...]] = {
    "strike": ("hit", "strik", "struck", "knock", "tap", "clink", "clank", "bang", "hammer", "thump", "slam",
               "ding", "tick", "clack", "bump", "thud", "drum", "beat", "pound", "clap", "toll", "click"),
    "bell": ("bell", "chime", "gong", "ring", "toll"),
    "rattle": ("rattl", "clatter", "jingl", "jangl", "chain", "keys", "coins", "shak", "vibrat", "shudder"),
    "scrape": ("scrap", "scratch", "drag", "grind", "friction", "rub", "saw", "slid", "screech", "brush", "sweep"),
    "creak": ("creak", "squeak", "hinge", "swing", "open", "settl", "groan", "floorboard", "rocking"),
    "rustle": ("rustl", "leaf", "leav", "frond", "foliage", "bush", "grass", "branch", "tree", "palm", "swish",
               "sway", "hedge", "reed", "shrub"),
    "crinkle": ("crinkl", "crumpl", "crackl", "crisp", "paper", "bag", "wrapper", "foil", "cellophane",
                "polyethylene", "packet", "snack", "newspaper"),
    "drops": ("drip", "drop", "droplet", "splash", "bubbl", "faucet", "plop", "puddle"),
    "stream": ("stream", "river", "flow", "pour", "babbl", "brook", "waterfall", "fountain", "creek", "canal",
               "gurgl", "trickl"),
    "surf": ("wave", "surf", "sea", "ocean", "shore", "beach", "tide", "lake"),
    "rain": ("rain", "drizzl", "shower", "downpour", "storm", "patter"),
    "wind": ("wind", "breez", "gust", "blow", "whoosh", "air", "howl", "flag", "flutter", "draft", "sky", "outdoor"),
    # trains, aircraft, helicopters and scooters have models of their own (sounds/machines.py)
    "engine": ("engin", "motor", "car", "truck", "bus", "vehicl", "traffic", "idl", "rev", "tram", "generator",
               "boat", "van", "taxi", "tractor"),
    "hum": ("hum", "buzz", "electr", "fan", "conditioner", "transformer", "fridge", "refrigerator", "machin",
            "neon", "lamp", "light", "computer", "drone", "appliance", "ventilat", "monitor", "screen"),
    "chirp": ("chirp", "bird", "tweet", "sparrow", "pigeon", "whistl", "song", "warbl", "seagull", "gull"),
    "insects": ("cricket", "insect", "cicada", "grasshopper", "katydid", "frog", "night insect"),
    "room": ("room", "ambience", "ambient", "tone", "still", "quiet", "indoor", "hall", "interior", "silence"),
    "footsteps": ("footstep", "step", "walk", "stride", "march", "run", "heel", "shoe", "boot", "pedestrian",
                  "officer", "person", "man", "woman", "stair", "jog"),
    "rolling": ("roll", "wheel", "cart", "stroller", "trolley", "skateboard", "luggage", "suitcase", "pram",
                "bicycle", "bike", "tyre", "tire"),
    "murmur": ("crowd", "chatter", "murmur", "voice", "people", "talk", "conversation", "cheer", "audience",
               "spectator", "children", "babbl", "market", "cafe"),
    "fire": ("fire", "flame", "campfire", "fireplace", "burn", "bonfire", "candle", "fizz", "sizzl", "fry"),
}
WEIGHTS = {"play_method": 3.0, "name": 2.0, "material": 1.0}
DEFAULT_MODEL = "strike"


@dataclass(frozen=True)
class SourceDescription:
    """What the synthesiser reads from a sound source (one variant of it)."""

    name: str
    material: str = ""
    play_method: str = ""
    timbre: tuple[str, ...] = ()
    model: str | None = None  # the sound vocabulary's model for it (wins over keyword matching)
    audioset: tuple[str, ...] = ()  # AudioSet classes it should be heard as
    gm_program: int | None = None  # General MIDI program, for a musical instrument
    gm_drums: bool = False  # a drum of the GM kit

    @classmethod
    def from_source(cls, source, variant: int = 0) -> SourceDescription:
        """Build from a :class:`server.scene.SoundSource` (its ``variant``-th variant)."""
        v = source.variants[min(max(variant, 0), len(source.variants) - 1)] if source.variants else None
        return cls(
            name=source.name,
            material=source.material or "",
            play_method=v.play_method if v else "",
            timbre=tuple(v.timbre) if v else (),
            model=getattr(v, "sound_model", None) if v else None,
            audioset=tuple(getattr(v, "audioset", None) or ()) if v else (),
            gm_program=getattr(v, "gm_program", None) if v else None,
            gm_drums=bool(getattr(v, "gm_drums", None)) if v else False,
        )

    def text(self) -> str:
        return " | ".join([self.name, self.material, self.play_method, ", ".join(self.timbre)])


@dataclass
class Choice:
    """What the tables chose for a description (written to the manifest)."""

    model: str
    material: str
    params: Params
    scores: dict[str, float] = field(default_factory=dict)
    material_known: bool = True
    timbre_used: tuple[str, ...] = ()


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " "))


@functools.lru_cache(maxsize=4096)
def _stem_re(stem: str) -> re.Pattern:
    # compiled once each: with every family there are more stems than re's own cache holds (512), and
    # recompiling them all cost ~22 ms per source
    return re.compile(r"\b" + re.escape(stem))


def _stem_hits(text: str, stem: str) -> int:
    return 1 if _stem_re(stem).search(text) else 0


def _unit(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit RMS (silence stays silence): how a model mixes its parts by their RMS shares."""
    return x / (np.std(x) + 1e-12)


def _mains(ctx: Ctx) -> float:
    """The supply frequency a mains-powered thing hums on: 50 Hz (Europe, Asia, Africa) or 60 Hz (the Americas)."""
    return 50.0 if ctx.rng.random() < 0.5 else 60.0


def _has(ctx: Ctx, *stems: str, material: bool = False) -> bool:
    """Does the play method or the source's name (with ``material``, its material too) have a word starting with
    one of ``stems``? How a model picks its variant from the vocabulary's words. A stem ending in a space is a
    whole word ("fly " is not "flying"), at the end of the text too."""
    d = ctx.desc
    if d is None:
        return False
    text = _norm(f"{d.play_method} {d.name} {d.material}" if material else f"{d.play_method} {d.name}") + " "
    return any(_stem_re(s).search(text) for s in stems)


def choose_model(desc: SourceDescription) -> tuple[str, dict[str, float]]:
    """Score every model by keyword stems in the description's fields; the best wins."""
    fields = {"play_method": _norm(desc.play_method), "name": _norm(desc.name), "material": _norm(desc.material)}
    scores: dict[str, float] = {}
    for model, stems in SOUND_MODELS.items():
        s = sum(WEIGHTS[f] * min(1, _stem_hits(text, stem)) for f, text in fields.items() for stem in stems)
        if s:
            scores[model] = s
    if not scores:
        return DEFAULT_MODEL, {}
    best = max(scores.items(), key=lambda kv: (kv[1], -list(SOUND_MODELS).index(kv[0])))
    return best[0], scores


def material_in(text: str) -> str | None:
    """The material named earliest in ``text`` (a key of :data:`MATERIALS`), or None."""
    t = _norm(text)
    found: list[tuple[int, str]] = []
    for mat, m in MATERIALS.items():
        for kw in m.keywords:
            hit = re.search(r"\b" + re.escape(kw), t)
            if hit:
                found.append((hit.start(), mat))
    return min(found)[1] if found else None


def choose_material(desc: SourceDescription) -> tuple[str, bool]:
    """The material named earliest in the material text (then the name, then the play method)."""
    for text in (desc.material, desc.name, desc.play_method):
        mat = material_in(text)
        if mat is not None:
            return mat, True
    return DEFAULT_MATERIAL, False


def apply_timbre(words: tuple[str, ...] | list[str], base: Params | None = None) -> tuple[Params, tuple[str, ...]]:
    """Move parameters by timbre words; phrases ('low rumble') win over their single words."""
    p = base or Params()
    vals = {k: getattr(p, k) for k in _TIMBRE_BOUNDS}
    used: list[str] = []
    for word in words:
        w = " " + _norm(word) + " "
        for key in sorted(TIMBRE_WORDS, key=len, reverse=True):
            if f" {key} " in w:
                for name, op, value in TIMBRE_WORDS[key]:
                    vals[name] = vals[name] * value if op == "*" else vals[name] + (value if op == "+" else -value)
                used.append(key)
                w = w.replace(f" {key} ", " ")
    for k, (lo, hi) in _TIMBRE_BOUNDS.items():
        vals[k] = float(min(max(vals[k], lo), hi))
    return replace(p, **vals), tuple(used)


def describe(desc: SourceDescription) -> Choice:
    if desc.model is not None and desc.model in MODEL_FUNCS:
        model, scores = desc.model, {desc.model: float("inf")}
    else:
        if desc.model is not None:
            log.warning("%s: unknown sound model %r; choosing by keywords", desc.name, desc.model)
        model, scores = choose_model(desc)
    material, known = choose_material(desc)
    if model == "bell" and material not in ("bell", "glass", "ceramic"):
        material = "bell"
    params, used = apply_timbre(desc.timbre)
    return Choice(model, material, params, scores, known, used)


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    sr: int
    n: int
    rng: np.random.Generator
    p: Params
    material: Material
    surface: Material | None = None  # what the source acts on, when the play method names it ("on a wooden floor")
    desc: SourceDescription | None = None  # the source being rendered (its play method, GM program ...)

    @property
    def seconds(self) -> float:
        return self.n / self.sr


def _event_times(ctx: Ctx, rate: float, *, regular: float | None = None, start: float = 0.05) -> np.ndarray:
    """Event onsets (s): jittered periodic when regular, Poisson otherwise; ``rate`` per second."""
    rate = max(rate, 1e-3)
    reg = 1.0 - ctx.p.roughness if regular is None else regular
    dur = ctx.seconds
    times, t = [], start + ctx.rng.uniform(0, min(0.5 / rate, 0.3 * dur))
    while t < dur - 0.02 and len(times) < 20000:
        times.append(t)
        period = 1.0 / rate
        t += reg * period * (1 + 0.08 * ctx.rng.standard_normal()) + (1 - reg) * ctx.rng.exponential(period)
    return np.asarray(times or [min(start, 0.5 * dur)])


def _impulses(ctx: Ctx, times: np.ndarray, amps: np.ndarray) -> np.ndarray:
    x = np.zeros(ctx.n)
    idx = np.clip((times * ctx.sr).astype(int), 0, ctx.n - 1)
    np.add.at(x, idx, amps)
    return x


def _modal_ir(ctx: Ctx, freqs: np.ndarray, t60: np.ndarray, amps: np.ndarray, length: float | None = None,
              beat_hz: float = 0.0) -> np.ndarray:
    """Impulse response of a bank of exponentially decaying sinusoids (modal synthesis)."""
    keep = freqs < 0.45 * ctx.sr
    freqs, t60, amps = freqs[keep], t60[keep], amps[keep]
    if freqs.size == 0:
        return np.zeros(1)
    dur = min(length if length is not None else float(t60.max()) * 1.2, ctx.seconds + 0.5)
    t = np.arange(max(int(dur * ctx.sr), 16)) / ctx.sr
    phases = ctx.rng.uniform(0, 2 * np.pi, freqs.size)
    env = np.exp(-6.91 * t[None, :] / t60[:, None])  # -60 dB at t60
    osc = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None])
    if beat_hz:
        # split each mode into a doublet (asymmetric bells, cylinders): slow beating
        osc = osc + 0.6 * np.sin(2 * np.pi * (freqs[:, None] + beat_hz * (1 + np.arange(freqs.size)[:, None] * 0.3))
                                 * t[None, :] + phases[:, None] + 1.0)
    ir = (amps[:, None] * env * osc).sum(axis=0)
    fade = min(len(ir), int(0.005 * ctx.sr))
    ir[-fade:] *= np.linspace(1, 0, fade)
    return ir


def _material_modes(ctx: Ctx, mat: Material, f0: float, decay_mult: float = 1.0, detune: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ratios = np.asarray(mat.ratios) * (1 + detune * ctx.rng.standard_normal(len(mat.ratios)))
    freqs = f0 * ratios
    t60 = mat.t60 * ctx.p.decay * decay_mult * (ratios / ratios[0]) ** (-mat.damping_exp)
    tilt = -12.0 + 18.0 * ctx.p.brightness  # dB per octave-ish of partial amplitude slope
    amps = (ratios / ratios[0]) ** (tilt / 6.02 / 2) * ctx.rng.uniform(0.6, 1.0, len(ratios))
    return freqs, np.maximum(t60, 0.004), amps


def _contact(ctx: Ctx, mat: Material, ms: float | None = None) -> np.ndarray:
    """Strike excitation: a half-sine force pulse of the contact time plus a little contact noise."""
    ms = (mat.contact_ms if ms is None else ms) * (1.6 - ctx.p.brightness)
    n = max(int(ms * 1e-3 * ctx.sr), 2)
    pulse = np.sin(np.pi * np.arange(n) / n)
    noise = ctx.rng.standard_normal(n * 3) * np.exp(-np.arange(n * 3) / n)
    out = np.zeros(n * 3)
    out[:n] += pulse
    out += mat.noise * noise
    return out / np.abs(out).sum()


def _strike_ir(ctx: Ctx, mat: Material, f0: float, decay_mult: float = 1.0, beat_hz: float = 0.0,
               detune: float = 0.005) -> np.ndarray:
    freqs, t60, amps = _material_modes(ctx, mat, f0, decay_mult, detune)
    ir = _modal_ir(ctx, freqs, t60, amps, beat_hz=beat_hz)
    return signal.fftconvolve(ir, _contact(ctx, mat))


def _place(ctx: Ctx, out: np.ndarray, grain: np.ndarray, t: float, gain: float) -> None:
    i = int(t * ctx.sr)
    if i >= ctx.n:
        return
    m = min(len(grain), ctx.n - i)
    out[i:i + m] += gain * grain[:m]


def _shaped_noise(ctx: Ctx, envelope: Callable[[np.ndarray, np.ndarray], np.ndarray], nfft: int = 1024
                  ) -> np.ndarray:
    """Noise whose magnitude spectrum over time is ``envelope(freqs_hz, times_s) -> (bins, frames)``."""
    hop = nfft // 4
    frames = ctx.n // hop + 3
    freqs = np.fft.rfftfreq(nfft, 1 / ctx.sr)
    times = np.arange(frames) * hop / ctx.sr
    mag = envelope(freqs, times)
    spec = mag * np.exp(2j * np.pi * ctx.rng.random(mag.shape))
    _, x = signal.istft(spec, fs=ctx.sr, nperseg=nfft, noverlap=nfft - hop, boundary=True)
    x = x[: ctx.n]
    if len(x) < ctx.n:
        x = np.pad(x, (0, ctx.n - len(x)))
    return x


def _slow_curve(ctx: Ctx, times: np.ndarray, rate_hz: float, depth: float) -> np.ndarray:
    """A smooth random curve around 1 (gusts, swells, rpm wander), values in [1-depth, 1+depth].

    Computed on a coarse grid (at most 2048 points) and interpolated, so its cost does not grow with the
    number of samples asked for.
    """
    k = max(int(ctx.seconds * rate_hz) + 3, 3)
    knots = ctx.rng.uniform(-1, 1, k)
    grid = np.linspace(0, ctx.seconds, min(max(len(times), 2), 2048))
    curve = np.interp(grid, np.linspace(0, ctx.seconds, k), knots)
    win = max(int(len(grid) / k), 1)
    curve = np.convolve(curve, np.ones(win) / win, mode="same")
    curve = np.interp(times, grid, curve)
    return 1.0 + depth * curve / max(np.abs(curve).max(), 1e-9)


@functools.lru_cache(maxsize=1024)
def _butter_design(order: int, edges: float | tuple[float, float], btype: str, sr: int) -> np.ndarray:
    sos = signal.butter(order, list(edges) if isinstance(edges, tuple) else edges, btype=btype, fs=sr,
                        output="sos")
    sos.flags.writeable = False
    return sos


def _butter(order: int, edges: float | tuple[float, float], btype: str, sr: int) -> np.ndarray:
    """A Butterworth filter's second-order sections, designed once per (order, edges, type, rate): models that
    filter hundreds of grains through the same band (a track's links, a fire's crackle) design it once. A copy
    of the cached design: scipy's sosfilt takes a writable array."""
    return _butter_design(order, edges, btype, sr).copy()


def _bandpass(x: np.ndarray, lo: float, hi: float, sr: int, order: int = 2) -> np.ndarray:
    lo = max(lo, 10.0)
    hi = min(hi, 0.45 * sr)
    if hi <= lo * 1.05:
        hi = lo * 1.1
    return signal.sosfilt(_butter(order, (float(lo), float(hi)), "band", sr), x)


def _lowpass(x: np.ndarray, fc: float, sr: int, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_butter(order, float(min(fc, 0.45 * sr)), "low", sr), x)


def _highpass(x: np.ndarray, fc: float, sr: int, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_butter(order, float(max(fc, 10.0)), "high", sr), x)


def _bubble(ctx: Ctx, radius_m: float, gain: float = 1.0) -> np.ndarray:
    """Minnaert bubble after van den Doel (2005): f0 = 3/r, damping d, rising pitch f(t) = f0(1 + sigma t)."""
    f0 = 3.0 / radius_m
    d = 0.13 / radius_m + 0.0072 * radius_m ** -1.5
    sigma = 0.1 * d
    dur = min(6.0 / d, 0.25)
    t = np.arange(max(int(dur * ctx.sr), 8)) / ctx.sr
    phase = 2 * np.pi * f0 * (t + 0.5 * sigma * t * t)
    return gain * np.sin(phase) * np.exp(-d * t)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------
# ---- impacts by the sound class they should be heard as ---------------------------------------------
# One struck-object model serves many classes (a click, a thud, a clunk, a clang, a clink, a chop, a
# whack): what separates them is physics the material table alone does not carry — how long and how
# hard the contact is, how dense and how damped the modes are, and how the hits group in time. Each
# recipe below is that physics for one class family; the class comes from the vocabulary's AudioSet
# classes for the variant (SourceDescription.audioset), the play method's words otherwise.
_IMPACT_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("click", ("Clicking", "Tick", "Tick-tock", "Computer keyboard", "Typing")),
    ("clink", ("Chink, clink", "Cutlery, silverware", "Dishes, pots, and pans", "Coin (dropping)", "Clatter")),
    ("clang", ("Clang", "Bang")),
    ("clunk", ("Clunk", "Thunk", "Slam", "Cupboard open or close", "Drawer open or close")),
    ("chop", ("Chop", "Chopping (food)")),
    ("whack", ("Whack, thwack", "Crack", "Slap, smack", "Smash, crash")),
    ("thud", ("Thump, thud",)),
)
_IMPACT_WORDS = {
    "click": ("click", "button", "switch", "snip", "tick"), "clink": ("clink", "clatter", "rattl", "jingl"),
    "clang": ("clang", "clank"), "clunk": ("clunk", "shut", "slam", "door"), "chop": ("chop",),
    "whack": ("whack", "crack", "slap", "smack", "punch"), "thud": ("thud", "thump", "drum", "beat"),
}


def _kind_by_class(desc: SourceDescription | None, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The kind of ``table`` whose classes hold the variant's first AudioSet class that any kind holds."""
    for cls in desc.audioset if desc is not None else ():
        for kind, classes in table:
            if cls in classes:
                return kind
    return None


def impact_kind(desc: SourceDescription | None) -> str | None:
    """Which impact recipe a variant needs: from its AudioSet classes first, then its play method."""
    if desc is None:
        return None
    kind = _kind_by_class(desc, _IMPACT_CLASSES)
    if kind is not None:
        return kind
    text = _norm(desc.play_method)
    for kind, words in _IMPACT_WORDS.items():
        if any(_stem_hits(text, w) for w in words):
            return kind
    return None


def _decay_burst(ctx: Ctx, attack_ms: float, tau_ms: float, length_ms: float | None = None) -> np.ndarray:
    """White noise with a linear attack and an exponential decay (time constant ``tau_ms``)."""
    m = max(int((length_ms or 6 * tau_ms + attack_ms) * 1e-3 * ctx.sr), 2)
    t = np.arange(m) / ctx.sr * 1e3
    env = np.minimum(t / max(attack_ms, 1e-3), 1.0) * np.exp(-np.maximum(t - attack_ms, 0.0) / tau_ms)
    return ctx.rng.standard_normal(m) * env


def _noise_burst(ctx: Ctx, ms: float, lo: float, hi: float, decay_ms: float | None = None) -> np.ndarray:
    """A band-limited noise burst of ``ms`` with an exponential tail: the broadband crack of a hard contact."""
    return _bandpass(_decay_burst(ctx, 0.0, decay_ms or ms / 3, ms), lo, hi, ctx.sr, order=2)


def _dense_modes(ctx: Ctx, lo: float, hi: float, count: int, t60: tuple[float, float]) -> np.ndarray:
    """Modal IR of a thin plate or shell: ``count`` modes spread log-uniformly from lo to hi Hz (a real
    plate's modes are dense and inharmonic, which is what makes a clang a clang rather than a note)."""
    freqs = np.exp(ctx.rng.uniform(np.log(lo), np.log(hi), count))
    t60s = ctx.rng.uniform(*t60, count) * ctx.p.decay * (freqs / lo) ** -0.3
    amps = ctx.rng.uniform(0.3, 1.0, count) * (freqs / lo) ** (-0.5 + 0.8 * ctx.p.brightness)
    return _modal_ir(ctx, freqs, t60s, amps)


def _thud(ctx: Ctx, f: float, ms: float = 8.0, t60: float = 0.12) -> np.ndarray:
    """A heavy, soft impact: a low resonance (a body, a drum head, a cabinet) excited by a long contact,
    plus the low rumble of the contact itself."""
    body = _modal_ir(ctx, np.array([f, f * 1.52, f * 2.3]), np.array([t60, t60 * 0.5, t60 * 0.3]),
                     np.array([1.0, 0.45, 0.2]))
    n = max(int(ms * 1e-3 * ctx.sr), 4)
    pulse = np.sin(np.pi * np.arange(n) / n)
    x = signal.fftconvolve(body, pulse / pulse.sum())
    rumble = _lowpass(_noise_burst(ctx, 4 * ms, 30, 0.45 * ctx.sr, decay_ms=ms), 350, ctx.sr)
    x[: len(rumble)] += 0.25 * rumble / max(np.abs(rumble).max(), 1e-9) * np.abs(x).max()
    return x


def _impact_grain(ctx: Ctx, kind: str) -> np.ndarray:
    """One hit of a kind, unnormalised."""
    rng, mat = ctx.rng, ctx.material
    if kind == "click":
        # a latch or a snap dome: a sub-millisecond contact ringing a tiny stiff part (2-6 kHz), dead in ms
        g = _dense_modes(ctx, 1800, 6500, 6, (0.006, 0.02))
        snap = _noise_burst(ctx, 1.5, 1000, 9000)
        k = min(len(g), len(snap))
        g[:k] += 0.6 * snap[:k] * np.abs(g).max() / max(np.abs(snap).max(), 1e-9)
        return g
    if kind == "clink":
        # small hard objects touching: high, short, inharmonic partials (glass, china, cutlery)
        return signal.fftconvolve(_dense_modes(ctx, 2000, 7000, 8, (0.05, 0.25)), _contact(ctx, mat, 0.1))
    if kind == "clang":
        # a sheet or lid: dense modes from a few hundred Hz, long ring, a hard crack at the start
        g = _dense_modes(ctx, 250 * ctx.p.pitch, 5000, 28, (0.5, 1.6))
        crack = _noise_burst(ctx, 12, 800, 8000)
        g[: len(crack)] += crack * 0.5 * np.abs(g).max() / max(np.abs(crack).max(), 1e-9)
        return g
    if kind == "clunk":
        # a heavy latch or door: a damped low-mid thud plus a brief metallic rattle of its hardware
        x = _thud(ctx, rng.uniform(90, 160) * ctx.p.pitch, ms=6.0, t60=0.09)
        m = _dense_modes(ctx, 400, 3000, 10, (0.03, 0.09))
        k = min(len(m), len(x))
        x[:k] += 0.35 * m[:k] * np.abs(x).max() / max(np.abs(m).max(), 1e-9)
        return x
    if kind == "chop":
        # a blade into wood: a sharp crack over a short wooden knock of the board or log
        wood = _strike_ir(ctx, MATERIALS["wood"], rng.uniform(180, 320))
        crack = _noise_burst(ctx, 10, 1500, 7000)
        wood[: len(crack)] += 0.8 * crack * np.abs(wood).max() / max(np.abs(crack).max(), 1e-9)
        return wood
    if kind == "whack":
        # a hard, fast, flat contact (bat, slap, whip): mostly a broadband crack, little ring
        crack = _noise_burst(ctx, 25, 400, 8000, decay_ms=5)
        body = _thud(ctx, rng.uniform(150, 300), ms=2.0, t60=0.05)
        body[: len(crack)] += 1.5 * crack * np.abs(body).max() / max(np.abs(crack).max(), 1e-9)
        return body
    # thud: a soft heavy blow (a fist on a bag, a foot, a drum played by hand)
    return _thud(ctx, rng.uniform(90, 170) * ctx.p.pitch, ms=rng.uniform(12, 20), t60=rng.uniform(0.12, 0.22))


# Hits per second and how they group: (rate, chance of a close follow-up, follow-up gap range in s)
_IMPACT_RHYTHM = {
    "click": (2.5, 0.9, (0.06, 0.14)),  # press and release
    "clink": (1.5, 0.7, (0.04, 0.14)),  # things touch twice or three times
    "clang": (0.5, 0.4, (0.1, 0.25)),
    "clunk": (0.45, 0.3, (0.15, 0.3)),
    "chop": (2.2, 0.0, (0.0, 0.0)),
    "whack": (1.4, 0.1, (0.2, 0.4)),
    "thud": (2.0, 0.5, (0.12, 0.25)),
}


def _impacts(ctx: Ctx, kind: str) -> np.ndarray:
    """A take of one kind of impact: hits in the kind's rhythm, every hit its own grain (no two alike, so
    the take does not turn into a pitched note repeated)."""
    out = np.zeros(ctx.n)
    rate, follow, gap = _IMPACT_RHYTHM[kind]
    regular = 0.75 if kind == "chop" else None
    for t in _event_times(ctx, rate * ctx.p.density, regular=regular):
        hits = 1
        while hits < 3 and ctx.rng.random() < follow / hits:
            hits += 1
        at = t
        for h in range(hits):
            _place(ctx, out, _impact_grain(ctx, kind), at, ctx.rng.uniform(0.6, 1.0) * (0.75 ** h))
            at += ctx.rng.uniform(*gap) if gap[1] else 0.0
    return out



def m_strike(ctx: Ctx) -> np.ndarray:
    mat, p = ctx.material, ctx.p
    kind = impact_kind(ctx.desc)
    if kind is not None:
        return _impacts(ctx, kind)
    out = np.zeros(ctx.n)
    f0 = mat.base_hz * p.pitch
    ir_len_s = min(mat.t60 * p.decay * 1.2, 4.0)
    rate = p.density / max(0.6, min(ir_len_s, 2.5))  # leave rings room to decay
    for t in _event_times(ctx, rate):
        group = 1 + (ctx.rng.random() < 0.35 * (1 - p.roughness * 0.5))  # knock-knock
        for g in range(group):
            ir = _strike_ir(ctx, mat, f0 * (1 + 0.01 * ctx.rng.standard_normal()))
            _place(ctx, out, ir, t + g * ctx.rng.uniform(0.12, 0.2), ctx.rng.uniform(0.6, 1.0) * (0.8**g))
    return out


def m_bell(ctx: Ctx) -> np.ndarray:
    """A struck resonator left to ring (a bell, a bowl, a glass). A variant heard as a clink (a cup tapped
    with a spoon, a vase flicked) is small hard touches, not one long ring: the clink recipe of the impacts."""
    if impact_kind(ctx.desc) == "clink":
        return _impacts(ctx, "clink")
    mat, p = ctx.material, ctx.p
    out = np.zeros(ctx.n)
    f0 = mat.base_hz * p.pitch
    ir = _strike_ir(ctx, mat, f0, decay_mult=1.0, beat_hz=0.9, detune=0.0)
    for t in _event_times(ctx, 0.7 * p.density, regular=max(0.7, 1 - p.roughness)):
        _place(ctx, out, ir, t, ctx.rng.uniform(0.8, 1.0))
    return out


_BEAM_RATIOS = np.array([1.0, 2.756, 5.404, 8.933, 13.34])  # free-free beam (tube) bending modes


def m_rattle(ctx: Ctx) -> np.ndarray:
    """Loose parts knocking together (barricade hooks and feet, tubes, chains): each jostle sets a few loose
    joints rattling, a bout of impacts with chaotic spacing (jittered, shrinking like a bouncing contact) and
    force dying away; a collision rings both parts that meet, each at one of a few strike points (other mode
    weights). A part is a tube: free-free bending modes (1, 2.76, 5.40, 8.93, 13.3 x f1, f1 ~200-600 Hz)
    plus scattered wall modes at 1.5-7 kHz, high modes dying faster; thin tubes radiate little below
    ~700 Hz. Some jostles also clank a foot on the ground (short dull stone knock)."""
    mat, p = ctx.material, ctx.p
    sr = ctx.sr
    n_parts = int(ctx.rng.integers(3, 6))
    n_pos = 3  # strike points per part
    hits: list[tuple[float, int, float]] = []
    ground: list[tuple[float, float]] = []
    for b in _event_times(ctx, 0.7 * p.density, regular=0.2):
        length = ctx.rng.uniform(0.3, 1.0)
        force = ctx.rng.uniform(0.4, 1.0)
        if ctx.rng.random() < 0.6:
            ground.append((b, force))
        for _ in range(int(ctx.rng.integers(1, n_parts + 1))):  # loose joints set rattling by this jostle
            i, j = ctx.rng.choice(n_parts, size=2, replace=False)
            t = b + ctx.rng.uniform(0, 0.1)
            gap = ctx.rng.uniform(0.02, 0.06)
            a = force * ctx.rng.uniform(0.5, 1.0)
            shrink = ctx.rng.uniform(0.85, 1.0)
            while t < min(b + length, ctx.seconds - 0.01) and a > 0.03:
                hit = a * ctx.rng.uniform(0.3, 1.0) ** (1 + p.roughness)
                hits.append((t, i * n_pos + int(ctx.rng.integers(n_pos)), hit))
                hits.append((t, j * n_pos + int(ctx.rng.integers(n_pos)), hit * ctx.rng.uniform(0.3, 1.0)))
                gap = max(gap * shrink * np.exp(0.5 * ctx.rng.standard_normal()), 0.006)
                t += gap
                a *= ctx.rng.uniform(0.75, 0.97)
    t60_0 = min(mat.t60, 1.0) * 0.3 * p.decay
    contact = _contact(ctx, replace(mat, contact_ms=0.15, noise=0.1))  # steel on steel: a hard, short contact
    irs = []
    for _ in range(n_parts):
        f1 = np.exp(ctx.rng.uniform(np.log(200), np.log(600))) * p.pitch
        walls = np.sort(ctx.rng.uniform(1500, 7000, 8))
        freqs = np.concatenate([f1 * _BEAM_RATIOS * (1 + 0.02 * ctx.rng.standard_normal(_BEAM_RATIOS.size)), walls])
        keep = freqs < 0.45 * sr
        freqs = freqs[keep]
        t60 = np.clip(t60_0 * (freqs / f1) ** -0.4, 0.02, None)
        tt = np.arange(int(1.2 * t60.max() * sr)) / sr
        modes = (np.exp(-6.91 * tt[None, :] / t60[:, None])
                 * np.sin(2 * np.pi * freqs[:, None] * tt[None, :] + ctx.rng.uniform(0, 2 * np.pi, freqs.size)[:, None]))
        tilt = (freqs / f1) ** (0.4 * p.brightness)
        for _ in range(n_pos):
            irs.append(np.convolve(ctx.rng.uniform(0.0, 1.0, freqs.size) * tilt @ modes, contact))
    out = np.zeros(ctx.n)
    for t, k, a in hits:
        _place(ctx, out, irs[k], t, a)
    out = _highpass(out, 700, sr)
    out = out / (np.std(out) + 1e-12)
    feet = _strike_ir(ctx, replace(MATERIALS["stone"], t60=0.05), ctx.rng.uniform(300, 600))
    clank = np.zeros(ctx.n)
    for t, a in ground:
        _place(ctx, clank, feet, t, a)
    return out + 0.5 * clank / (np.std(clank) + 1e-12)


def _drag_speed(ctx: Ctx) -> tuple[np.ndarray, list[float]]:
    """Speed of a dragged object (m/s, per sample): pushes of 0.5-1.5 s that rise and fall, with pauses
    between them; within a push the object moves jerkily (the legs catch and let go, ~8 Hz)."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    v = np.zeros(ctx.n)
    starts = []
    s = ctx.rng.uniform(0.05, 0.4)
    while s < ctx.seconds - 0.2:
        dur = ctx.rng.uniform(0.5, 1.5)
        i0, i1 = int(s * ctx.sr), min(int((s + dur) * ctx.sr), ctx.n)
        u = (t[i0:i1] - s) / dur
        v[i0:i1] = ctx.rng.uniform(0.2, 0.5) * p.density**0.5 * np.clip(np.sin(np.pi * u), 0, None) ** 0.8
        starts.append(s)
        s += dur + ctx.rng.uniform(0.25, 0.9) / p.density
    jerk = np.clip(_slow_curve(ctx, t[::240], 8.0, 1.0).repeat(240)[: ctx.n], 0.2, None)
    return v * jerk, starts


def m_scrape(ctx: Ctx) -> np.ndarray:
    """Dragging (a chair across a floor): stick-slip friction. Each leg in contact sticks and slips at its
    contact's own rate (600-2500 slips/s, set by contact stiffness and mass, rising a little with speed and
    wandering with the load), skipping slips when the speed is low; a slip's strength grows with the stick
    time and the speed, with heavy-tailed sizes (asperities). The slips ring the material's modes (dense,
    quickly damped; small parts radiate little below ~400 Hz) and click; rough sliding noise
    follows the speed. The speed comes in pushes with pauses and jerks within a push."""
    mat, p = ctx.material, ctx.p
    sr = ctx.sr
    t = np.arange(ctx.n) / sr
    v, starts = _drag_speed(ctx)
    vn = v / max(v.max(), 1e-9)
    exc = np.zeros((2, ctx.n))
    for leg in range(int(ctx.rng.integers(2, 5))):
        f_slip = ctx.rng.uniform(600, 2500) * p.pitch
        load = np.clip(_slow_curve(ctx, t, 2.0, 0.15), 0.3, None)
        phase = np.cumsum(f_slip * load * (0.8 + 0.2 * vn) * (vn > 0.02)) / sr
        steps = ctx.rng.lognormal(0, 0.2 + 0.2 * p.roughness, int(phase[-1] * 1.3) + 10)
        thr = np.cumsum(steps)
        m = int(np.searchsorted(thr, phase[-1]))
        idx = np.minimum(np.searchsorted(phase, thr[:m]), ctx.n - 1)
        keep = ctx.rng.random(idx.size) < np.clip(2 * vn[idx], 0, 1)
        idx = idx[keep]
        amps = (ctx.rng.uniform(0.5, 1.0) * vn[idx] * steps[:m][keep]
                * np.minimum(ctx.rng.pareto(1.5, idx.size) + 0.2, 20))
        np.add.at(exc[leg % 2], idx, amps)
    f0 = mat.base_hz * p.pitch
    ratios = np.sort(np.exp(ctx.rng.uniform(np.log(1.3), np.log(20), 16)))
    t60 = np.clip(0.08 * p.decay * (ratios / ratios[0]) ** -0.5, 0.01, None)
    amps = ratios**-0.3 * ctx.rng.uniform(0.5, 1.0, ratios.size)
    body = sum(signal.fftconvolve(exc[k], _modal_ir(ctx, f0 * ratios * ctx.rng.uniform(0.95, 1.05, ratios.size),
                                                      t60, amps, length=0.3))[: ctx.n] for k in range(2))
    body = _highpass(body, 400, sr)
    click = _highpass(exc[0] + exc[1], 2000, sr)
    rough = _bandpass(ctx.rng.standard_normal(ctx.n), 400, 3000 + 5000 * p.brightness, sr) * vn**1.5
    out = (body / (np.std(body) + 1e-12) + 0.3 * click / (np.std(click) + 1e-12)
           + 0.2 * rough / (np.std(rough) + 1e-12))
    if p.squeak > 0:
        out = out / max(np.abs(out).max(), 1e-9) + p.squeak * _squeaks(ctx, np.asarray(starts))
    return out


def m_creak(ctx: Ctx) -> np.ndarray:
    """Creak: slow stick-slip (a click train whose rate glides between ~25 and ~120 Hz within a stroke)
    ringing the object's modes; squeakier objects glide faster and higher."""
    mat, p = ctx.material, ctx.p
    out = np.zeros(ctx.n)
    body = replace(mat, t60=min(mat.t60, 0.08), noise=0.2)
    freqs, t60, amps = _material_modes(ctx, body, body.base_hz * 4.0 * p.pitch, 1.0, 0.02)
    ir = _modal_ir(ctx, freqs, t60, amps)
    for t in _event_times(ctx, 0.5 * p.density, regular=0.3):
        dur = ctx.rng.uniform(0.5, 1.4)
        m = int(dur * ctx.sr)
        tt = np.arange(m) / ctx.sr
        lo, hi = ctx.rng.uniform(20, 40), ctx.rng.uniform(60, 130) * (1 + p.squeak)
        shape = np.sin(np.pi * tt / dur) ** ctx.rng.uniform(0.5, 2.0)
        rate = (lo + (hi - lo) * shape) * np.exp(0.5 * ctx.rng.standard_normal(m))
        clicks = np.diff(np.floor(np.cumsum(rate) / ctx.sr), prepend=0.0) * (0.3 + shape)
        _place(ctx, out, signal.fftconvolve(clicks, ir)[:m], t, 1.0)
    return out


def _squeaks(ctx: Ctx, times: np.ndarray) -> np.ndarray:
    out = np.zeros(ctx.n)
    for t in times:
        dur = ctx.rng.uniform(0.08, 0.25)
        tt = np.arange(int(dur * ctx.sr)) / ctx.sr
        f = ctx.rng.uniform(900, 2200) * ctx.p.pitch * (1 + 0.05 * np.sin(2 * np.pi * 25 * tt))
        tone = np.sin(2 * np.pi * np.cumsum(f) / ctx.sr) + 0.3 * np.sin(4 * np.pi * np.cumsum(f) / ctx.sr)
        _place(ctx, out, tone * np.sin(np.pi * tt / dur), t + 0.1, 0.4)
    return out


def _granular(ctx: Ctx, rate: float, grain_ms: tuple[float, float], band: tuple[float, float],
              gust_depth: float, amp_sigma: float = 0.6) -> np.ndarray:
    """Granular noise: impulse train of grains (random amplitudes) shaping band-limited noise."""
    times = ctx.rng.uniform(0, ctx.seconds, int(rate * ctx.seconds))
    amps = ctx.rng.lognormal(0, amp_sigma, times.size)
    imp = _impulses(ctx, times, amps)
    g = int(np.mean(grain_ms) * 1e-3 * ctx.sr)
    env = signal.fftconvolve(imp, np.hanning(max(g, 4)))[: ctx.n]
    t = np.arange(ctx.n) / ctx.sr
    env *= np.clip(_slow_curve(ctx, t[:: 256], 0.4, gust_depth), 0.05, None).repeat(256)[: ctx.n]
    noise = _bandpass(ctx.rng.standard_normal(ctx.n), band[0], band[1], ctx.sr)
    return env * noise


def _page_turns(ctx: Ctx) -> np.ndarray:
    """Leafing through a book: each page bends and sweeps through the air (a swish of 0.5-6 kHz that swells
    and fades over 0.15-0.35 s) and lands on the stack with a soft flap (a ~4 ms burst below 3 kHz); about
    one and a half pages a second, unevenly."""
    out = np.zeros(ctx.n)
    for t in _event_times(ctx, 1.5 * ctx.p.density, regular=0.5):
        dur = ctx.rng.uniform(0.15, 0.35)
        m = int(dur * ctx.sr)
        swish = _bandpass(ctx.rng.standard_normal(m), 500, 6000, ctx.sr) * np.sin(np.pi * np.arange(m) / m) ** 2
        _place(ctx, out, swish / (np.std(swish) + 1e-12), t, 0.5)
        flap = _lowpass(_decay_burst(ctx, 0.5, 4.0), 3000, ctx.sr)
        _place(ctx, out, flap / (np.abs(flap).max() + 1e-12), t + dur, ctx.rng.uniform(0.7, 1.0))
    return out


def m_rustle(ctx: Ctx) -> np.ndarray:
    """Leaves, pages, sand: a broadband hiss (1-9 kHz) whose level flickers at 2-10 Hz — many small contacts
    overlapping, so no single one stands out — and swells with the gusts or the handling. Sharp discrete
    grains on top made it a crackle (heard as fire or fireworks); a smooth flicker is heard as rustling.
    Pages turned (a play method naming pages) are discrete page turns instead (:func:`_page_turns`)."""
    if ctx.desc is not None and _stem_hits(_norm(ctx.desc.play_method), "page"):
        return _page_turns(ctx)
    p = ctx.p
    lo = 1200 + 1500 * p.brightness
    t = np.arange(ctx.n) / ctx.sr
    flicker = _lowpass(np.abs(_bandpass(ctx.rng.standard_normal(ctx.n), 2.0, 10.0 * p.density ** 0.5, ctx.sr)),
                       12.0, ctx.sr)
    flicker = 0.2 + 0.8 * flicker / (flicker.mean() + 1e-12)
    gust = np.clip(_slow_curve(ctx, t[::256], 0.5, 0.8), 0.05, None).repeat(256)[: ctx.n]
    hiss = _bandpass(ctx.rng.standard_normal(ctx.n), lo, min(lo * 6, 0.45 * ctx.sr), ctx.sr)
    return hiss * flicker * gust


def m_crinkle(ctx: Ctx) -> np.ndarray:
    """Crumpling a thin sheet: while a hand moves it (bursts whose force swells and fades), creases snap
    through as sharp ~2 ms clicks at 150-500 per second with power-law energies (Houle & Sethna), on top of
    the hiss of the sheet sliding over itself, which follows the same handling envelope."""
    p = ctx.p
    imp = np.zeros(ctx.n)
    env = np.zeros(ctx.n)
    for b in _event_times(ctx, 1.0 * p.density, regular=0.2):
        length = ctx.rng.uniform(0.4, 1.5)
        i0 = int(b * ctx.sr)
        m = min(int(length * ctx.sr), ctx.n - i0)
        if m < 16:
            continue
        tt = np.arange(m) / ctx.sr
        force = np.sin(np.pi * np.arange(m) / m) ** 0.5 * np.clip(_slow_curve(ctx, tt, 6.0, 0.7), 0.05, None)
        env[i0:i0 + m] += force
        times = np.sort(ctx.rng.uniform(0, m / ctx.sr, int(m / ctx.sr * ctx.rng.uniform(150, 500) * p.density)))
        times = times[ctx.rng.random(times.size) < np.interp(times, tt, force / force.max())]
        amps = np.minimum(ctx.rng.pareto(1.5, times.size) + 0.05, 10.0) * ctx.rng.choice([-1, 1], times.size)
        imp += _impulses(ctx, b + times, amps)
    cn = int(0.002 * ctx.sr)
    click = ctx.rng.standard_normal(cn) * np.exp(-np.arange(cn) / (cn / 5))
    x = _highpass(signal.fftconvolve(imp, click)[: ctx.n], 1000 + 1000 * p.brightness, ctx.sr)
    slide = _bandpass(ctx.rng.standard_normal(ctx.n), 2000, 12000, ctx.sr) * env
    return x / (np.std(x) + 1e-12) + 0.3 * slide / (np.std(slide) + 1e-12)


_WATER_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("splash", ("Splash, splatter", "Slosh", "Squish")),
    ("gurgle", ("Gurgling",)),
    ("drip", ("Drip", "Plop", "Raindrop", "Water tap, faucet")),
)
_WATER_WORDS = {"splash": ("splash", "splatter", "slosh", "dip", "paddl", "mop", "wad", "swim"),
                "gurgle": ("gurgl", "bubbl", "plung", "glug", "drain")}


def water_kind(desc: SourceDescription | None) -> str:
    """drip (drops falling into water one by one), splash (a body or a blade churning the surface) or gurgle
    (air forced up through water), from the variant's AudioSet classes first, then its play method."""
    kind = _kind_by_class(desc, _WATER_KINDS)
    if kind is not None or desc is None:
        return kind or "drip"
    text = _norm(desc.play_method)
    for kind, words in _WATER_WORDS.items():
        if any(_stem_hits(text, w) for w in words):
            return kind
    return "drip"


def _bubble_field(ctx: Ctx, env: np.ndarray, rate: float, r_lo: float, r_hi: float, bins: int = 12
                  ) -> np.ndarray:
    """Bubbles born at ``rate`` per second scaled by ``env`` (0..1 per sample), radii log-uniform from r_lo to
    r_hi (Minnaert pitch 3/r): each radius band is one impulse train convolved with its bubble, so the cost
    does not grow with the number of bubbles."""
    k = int(rate * ctx.seconds)
    times = ctx.rng.uniform(0, ctx.seconds, k)
    idx = np.minimum((times * ctx.sr).astype(int), ctx.n - 1)
    idx = idx[ctx.rng.random(k) < env[idx]]
    edges = np.exp(np.linspace(np.log(r_lo), np.log(r_hi), bins + 1))
    band = ctx.rng.integers(0, bins, idx.size)
    out = np.zeros(ctx.n)
    for b in range(bins):
        sel = idx[band == b]
        if sel.size == 0:
            continue
        r = float(np.exp(ctx.rng.uniform(np.log(edges[b]), np.log(edges[b + 1]))))
        imp = np.zeros(ctx.n)
        np.add.at(imp, sel, ctx.rng.uniform(0.1, 1.0, sel.size))
        out += signal.oaconvolve(imp, _bubble(ctx, r))[: ctx.n]
    return out


def m_drops(ctx: Ctx) -> np.ndarray:
    """Water, by the kind the variant is heard as (:func:`water_kind`):

    * drip: single drops falling into water, each a Minnaert bubble (1.5-4 mm: 0.75-2 kHz, rising) after the
      tick of the impact;
    * splash: a body or a blade entering the surface (an oar, a fish's tail, a mop): each entry churns the
      water for 0.6-1.5 s — entrained air as a field of small bubbles (0.5-4 mm, ~1500 born per second at the
      peak), and the sheet and spray falling back, a hiss of 0.4-9 kHz as loud — fast attack, slow decay, about one
      entry a second, and the water never quite still between them;
    * gurgle: air forced up through water (bubbles rising, a plunger, a drain): ~2000 bubbles a second of
      1-5 mm (0.6-3 kHz) released in glugs (the flow chokes and lets go a few times a second), over the slosh
      of the water column (0.15-2.5 kHz).
    """
    p = ctx.p
    kind = water_kind(ctx.desc)
    if kind == "drip":
        out = np.zeros(ctx.n)
        for t in _event_times(ctx, 2.5 * p.density, regular=0.2):
            r = ctx.rng.uniform(0.0015, 0.004) / p.pitch
            _place(ctx, out, _bubble(ctx, r), t, ctx.rng.uniform(0.4, 1.0))
            click = ctx.rng.standard_normal(int(0.002 * ctx.sr)) * 0.15
            _place(ctx, out, click, max(t - 0.003, 0), 1.0)
        return out
    t = np.arange(ctx.n) / ctx.sr
    env = np.zeros(ctx.n)
    if kind == "splash":
        for t0 in _event_times(ctx, 1.0 * p.density, regular=0.4):
            i0 = int(t0 * ctx.sr)
            dur = ctx.rng.uniform(0.6, 1.5)
            m = min(int(3 * dur * ctx.sr), ctx.n - i0)
            tt = np.arange(m) / ctx.sr
            e = np.minimum(tt / 0.02, 1.0) * np.exp(-tt / (dur / 2))
            env[i0:i0 + m] = np.maximum(env[i0:i0 + m], ctx.rng.uniform(0.5, 1.0) * e)
        env = np.maximum(env, 0.2)
        bubbles = _bubble_field(ctx, env, 1500 * p.density, 0.0005 / p.pitch, 0.004 / p.pitch)
        wash = _bandpass(ctx.rng.standard_normal(ctx.n), 400, 9000, ctx.sr) * env**1.5
        return bubbles / (np.std(bubbles) + 1e-12) + wash / (np.std(wash) + 1e-12)
    for t0 in _event_times(ctx, 0.8 * p.density, regular=0.4):
        i0 = int(t0 * ctx.sr)
        dur = ctx.rng.uniform(0.4, 1.2)
        m = min(int(dur * ctx.sr), ctx.n - i0)
        e = np.sin(np.pi * np.arange(m) / max(m, 1)) ** 0.5
        env[i0:i0 + m] = np.maximum(env[i0:i0 + m], ctx.rng.uniform(0.5, 1.0) * e)
    env = np.maximum(env, 0.2)
    glug = np.clip(_slow_curve(ctx, t, 6.0, 1.0), 0, None) ** 2
    env = env * glug / max(glug.max(), 1e-9)
    bubbles = _bubble_field(ctx, env, 2000 * p.density, 0.001 / p.pitch, 0.005 / p.pitch)
    slosh = _bandpass(ctx.rng.standard_normal(ctx.n), 150, 2500, ctx.sr) * env
    return bubbles / (np.std(bubbles) + 1e-12) + 0.5 * slosh / (np.std(slosh) + 1e-12)


def m_stream(ctx: Ctx) -> np.ndarray:
    """Running water (a brook over stones, a gushing jet, a pour): hundreds of bubbles a second entrained where
    the flow plunges (Minnaert bubbles of 0.8-5 mm: 0.6-3.75 kHz, each rising in pitch) over the broadband noise
    of the turbulent flow itself (0.3-6 kHz and up, swelling and ebbing at a few Hz as the eddies pass), the
    flow noise carrying as much energy as the bubbles (at 0.6 of it the bubbles stood out one by one and the
    clip was heard as a pour or a trickle, not a stream)."""
    p = ctx.p
    out = np.zeros(ctx.n)
    times = ctx.rng.uniform(0, ctx.seconds, int(400 * p.density * ctx.seconds))
    for t in times:
        r = np.exp(ctx.rng.uniform(np.log(0.0008), np.log(0.005))) / p.pitch
        _place(ctx, out, _bubble(ctx, r), t, ctx.rng.uniform(0.05, 0.4))
    bed = _bandpass(ctx.rng.standard_normal(ctx.n), 300, 6000 + 4000 * p.brightness, ctx.sr)
    bed *= np.clip(_slow_curve(ctx, np.arange(ctx.n) / ctx.sr, 3.0, 0.4), 0.2, None)
    return out / (np.std(out) + 1e-12) + bed / (np.std(bed) + 1e-12)


def m_surf(ctx: Ctx) -> np.ndarray:
    p = ctx.p
    period = ctx.rng.uniform(5.0, 8.0) / p.density

    def env(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        swell = 0.15 + 0.85 * (0.5 - 0.5 * np.cos(2 * np.pi * times / period)) ** 2
        fc = 300 + (1500 + 3000 * p.brightness) * swell
        return (swell[None, :] / (1 + (freqs[:, None] / fc[None, :]) ** 2)) * (freqs[:, None] > 30)

    return _shaped_noise(ctx, env)


def m_rain(ctx: Ctx) -> np.ndarray:
    """Rain: a stationary broadband bed (the countless drops further off, summed into a hiss), the taps of the
    drops striking within a metre or so (~400 a second, 1.5 ms noise grains of log-normal size, above 400 Hz)
    and a few dozen a second falling into puddles, each ringing a Minnaert bubble of 1-3 mm (1-3 kHz). Drop
    sizes spread widely (Marshall-Palmer) and a drop's impact energy goes as d^3 v^2, so the taps' amplitudes
    are log-normal over more than a decade (sigma 1.0 in ln); steady rain is heard mostly as its far field, the
    near taps carrying 0.8 of the bed's RMS (as loud as the bed with a narrower spread, their evenly strong
    strikes made the clip a helicopter's chop on some seeds)."""
    p = ctx.p
    tilt = -1.5 + 2.0 * p.brightness  # dB/octave

    def env(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        f = np.maximum(freqs, 50.0)
        shape = (f / 1000.0) ** (tilt / 6.02) * (freqs > 80) / (1 + (freqs / 14000.0) ** 4)
        return shape[:, None] * np.ones(times.size)[None, :]

    bed = _shaped_noise(ctx, env)
    taps = np.zeros(ctx.n)
    times = ctx.rng.uniform(0, ctx.seconds, int(400 * p.density * ctx.seconds))
    amps = ctx.rng.lognormal(0, 1.0, times.size) * ctx.rng.choice([-1, 1], times.size)
    taps = _impulses(ctx, times, amps)
    tap_ir = ctx.rng.standard_normal(int(0.0015 * ctx.sr)) * np.hanning(int(0.0015 * ctx.sr))
    taps = signal.fftconvolve(taps, tap_ir)[: ctx.n]
    bed = bed / (np.std(bed) + 1e-12)
    taps = _highpass(taps, 400, ctx.sr)
    taps = taps / (np.std(taps) + 1e-12)
    # nearby drops hitting puddles: audible bubbles
    drops = np.zeros(ctx.n)
    for t in ctx.rng.uniform(0, ctx.seconds, int(25 * p.density * ctx.seconds)):
        _place(ctx, drops, _bubble(ctx, ctx.rng.uniform(0.001, 0.003) / p.pitch), t, ctx.rng.uniform(0.2, 1.0))
    drops = drops / (np.std(drops) + 1e-12)
    return 0.9 * bed + 0.8 * taps + 0.35 * drops


def m_wind(ctx: Ctx) -> np.ndarray:
    """Wind heard in the open: turbulent pressure fluctuations whose power falls as f^-5/3 above a corner
    that rises with the wind speed (so the sound is low-frequency dominated, a rumble that flutters with
    the turbulence at a few Hz), a broad whoosh of air past edges and foliage whose centre also follows
    the speed, and a faint Aeolian whistle (stronger for "whistling"/"squeaky" descriptions); everything
    swells with gusts of several seconds (level ~ speed^1.5)."""
    p = ctx.p

    def env(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        gust = np.clip(_slow_curve(ctx, times, 0.25, 0.75), 0.15, None)  # wind speed / its mean
        turb = np.clip(_slow_curve(ctx, times, 2.0, 0.3), 0.2, None)  # turbulent flutter of the rumble
        f = np.maximum(freqs, 1.0)[:, None]
        corner = (60 + 120 * p.brightness) * p.pitch * gust[None, :]
        rumble = (1 + (f / corner) ** 2) ** (-5 / 12) * np.exp(-f / 3000) * (turb**1.5)[None, :]
        lf = np.log2(f)
        whoosh = 0.25 * np.exp(-0.5 * (lf - np.log2((400 + 600 * p.brightness) * p.pitch * gust)[None, :]) ** 2)
        whistle = (0.03 + 0.3 * p.squeak) * np.exp(
            -0.5 * ((lf - np.log2((350 + 300 * p.brightness) * p.pitch * gust)[None, :]) / 0.03) ** 2)
        return (rumble + whoosh + whistle) * (gust**1.5)[None, :]

    return _shaped_noise(ctx, env, nfft=2048)


def _pulse_train(ctx: Ctx, rate: np.ndarray, jitter: float) -> np.ndarray:
    inst = rate * (1 + jitter * ctx.rng.standard_normal(ctx.n))
    return np.diff(np.floor(np.cumsum(inst) / ctx.sr), prepend=0.0)


_ENGINE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("traffic", ("Traffic noise, roadway noise", "Road noise")),
    ("rev", ("Accelerating, revving, vroom", "Race car, auto racing")),
    ("light", ("Light engine (high frequency)", "Lawn mower", "Chainsaw", "Motorcycle", "Dirt bike",
               "Motorboat, speedboat")),
    ("heavy", ("Heavy engine (low frequency)", "Truck", "Bus", "Tractor", "Diesel")),
)


def engine_kind(desc: SourceDescription | None) -> str:
    """idle (a car at rest), rev, light (a small fast engine), heavy (a diesel) or traffic, from the
    variant's AudioSet classes."""
    return _kind_by_class(desc, _ENGINE_KINDS) or "idle"


def _engine(ctx: Ctx, cyl: int, rpm: np.ndarray, strokes: int = 4, f_pipe: float | None = None,
            knock: float = 0.15, bright: float = 0.0) -> np.ndarray:
    """One engine at the crank speed ``rpm`` (per sample): each cylinder fires once per cycle (two turns of
    a four-stroke, one of a two-stroke); each exhaust blowdown pulse rings the exhaust pipe and muffler (a
    quarter-wave mode and its odd-ish overtones); cylinders differ a little and combustion varies cycle to
    cycle (the idle's lope); combustion noise (``knock``: the diesel's clatter) is gated by the firing; a
    low rumble of the body underneath."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    crank = rpm / 60 * _slow_curve(ctx, t, 0.5, 0.02)  # turns per second
    turns_per_cycle = strokes / 2
    k = np.floor(np.cumsum(crank) / ctx.sr / turns_per_cycle * cyl)  # firing count
    ev = np.flatnonzero(np.diff(k, prepend=k[0]) > 0)
    fire_rate = crank[ev] * cyl / turns_per_cycle
    gains = (ctx.rng.uniform(0.75, 1.0, cyl)[(k[ev] % cyl).astype(int)]
             * np.clip(1 + 0.15 * ctx.rng.standard_normal(ev.size), 0.3, None))
    ev = np.clip(ev + (0.02 * ctx.sr / fire_rate * ctx.rng.standard_normal(ev.size)).astype(int), 0, ctx.n - 1)
    imp = _impulses(ctx, ev / ctx.sr, gains)
    m = int(0.08 * ctx.sr)
    tt = np.arange(m) / ctx.sr
    pulse = (tt / 0.0015) * np.exp(1 - tt / 0.0015)  # blowdown: ~1.5 ms rise, then decay
    f_pipe = (f_pipe or ctx.rng.uniform(70, 110)) * p.pitch**0.5
    modes = ((f_pipe, 0.04, 1.0), (f_pipe * 2.9, 0.02, 0.5), (f_pipe * 5.1, 0.012, 0.3),
             (ctx.rng.uniform(400, 700), 0.008, 0.3))  # pipe modes and a muffler chamber
    res = sum(a * np.sin(2 * np.pi * f * tt) * np.exp(-tt / tau) for f, tau, a in modes)
    x = signal.fftconvolve(imp, signal.fftconvolve(pulse, res)[:m])[: ctx.n]
    x = _lowpass(x, (1000 + 1500 * p.brightness) * (1 + 2 * bright), ctx.sr)
    env = signal.fftconvolve(imp, np.exp(-tt / 0.01))[: ctx.n]
    comb = _bandpass(ctx.rng.standard_normal(ctx.n), 800, 4000 * (1 + bright), ctx.sr) * env
    rumble = _lowpass(ctx.rng.standard_normal(ctx.n), 120 * p.pitch, ctx.sr, order=4)
    return (x / (np.std(x) + 1e-12) + knock * comb / (np.std(comb) + 1e-12)
            + 0.2 * rumble / (np.std(rumble) + 1e-12))


def m_engine(ctx: Ctx) -> np.ndarray:
    """Combustion engines by the kind the variant is heard as (:func:`engine_kind`):

    * idle: a four-stroke car engine at ~700-800 rpm, so cylinders/2 x 12-13 Hz firing pulses (4 cyl ~25 Hz;
      a "low rumble" means a bigger 6/8-cylinder engine);
    * rev: the throttle opened and closed, the crank sweeping from idle to 3500-5500 rpm and back (the
      firing rate and the pipe's excitation rise together: the "vroom");
    * light: a small two-stroke single (mower, outboard, trail bike) at 2500-3500 rpm, firing every turn
      (40-60 Hz), short bright pipe, lots of combustion noise: the buzz;
    * heavy: a six-cylinder diesel at 550-700 rpm, long low pipe, and the diesel's combustion clatter;
    * traffic: a road heard from the kerb — vehicles passing at random (each swells and fades over a few
      seconds: tyre roar, a broadband hiss below ~1.5 kHz, over its engine) on a steady distant bed.
    """
    p, rng = ctx.p, ctx.rng
    t = np.arange(ctx.n) / ctx.sr
    kind = engine_kind(ctx.desc)
    pitch = float(np.clip(p.pitch, 0.5, 2.0))
    if kind == "rev":
        idle, top = rng.uniform(800, 1000), rng.uniform(3500, 5500) * pitch ** 0.3
        curve = np.zeros(ctx.n)
        for t0 in _event_times(ctx, 0.45 * p.density, regular=0.7, start=0.3):
            rise, fall = rng.uniform(0.5, 1.0), rng.uniform(0.8, 1.5)
            up = np.clip((t - t0) / rise, 0, 1)
            down = np.exp(-np.clip(t - t0 - rise, 0, None) / (fall / 3))
            curve = np.maximum(curve, np.where(t < t0 + rise, up ** 1.5, down))
        return _engine(ctx, 4, idle + (top - idle) * curve, knock=0.25, bright=0.6)
    if kind == "light":
        rpm = rng.uniform(2500, 3500) * pitch ** 0.3 * np.ones(ctx.n)
        return _engine(ctx, 1, rpm, strokes=2, f_pipe=rng.uniform(150, 250), knock=0.5, bright=1.0)
    if kind == "heavy":
        rpm = rng.uniform(550, 700) * pitch ** 0.3 * np.ones(ctx.n)
        return _engine(ctx, 6, rpm, f_pipe=rng.uniform(45, 70), knock=0.25)
    if kind == "traffic":
        bed = _lowpass(rng.standard_normal(ctx.n), 700, ctx.sr, order=2)
        out = 0.3 * bed / (np.std(bed) + 1e-12)
        for t0 in _event_times(ctx, 0.5 * p.density, regular=0.1, start=-1.0):
            width = rng.uniform(0.8, 2.0)  # seconds of the pass-by's swell
            swell = 1 / (1 + ((t - t0) / (width / 2)) ** 2)
            tyres = _lowpass(_highpass(rng.standard_normal(ctx.n), 150, ctx.sr), rng.uniform(900, 1600), ctx.sr)
            engine = _engine(ctx, 4, rng.uniform(1500, 2500) * np.ones(ctx.n), knock=0.1)
            car = tyres / (np.std(tyres) + 1e-12) + 0.4 * engine / (np.std(engine) + 1e-12)
            out += rng.uniform(0.5, 1.0) * swell * car
        return out
    cyl = int(rng.choice([4, 4, 6])) if p.pitch >= 0.7 else int(rng.choice([6, 8]))
    rpm = 700 * rng.uniform(0.9, 1.15) * pitch ** 0.3
    return _engine(ctx, cyl, rpm * np.ones(ctx.n))


_HUM_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fan", ("Mechanical fan", "Air conditioning")),
    ("whir", ("Whir",)),
    ("mains", ("Hum", "Mains hum", "Buzz")),
)


def hum_kind(desc: SourceDescription | None) -> str:
    """fan (a ventilator: airflow chopped by its blades), whir (a small motor spinning something: its whine)
    or mains (a transformer or a motor at the mains frequency), from the variant's AudioSet classes first,
    then its play method."""
    kind = _kind_by_class(desc, _HUM_KINDS)
    if kind is not None or desc is None:
        return kind or "mains"
    text = _norm(desc.play_method)
    for kind, words in (("fan", ("fan", "blade", "ventilat", "air condition")), ("whir", ("whir", "spin"))):
        if any(_stem_hits(text, w) for w in words):
            return kind
    return "mains"


def _whir(ctx: Ctx) -> np.ndarray:
    """A small motor spinning a load (a tape capstan, a disc, a potter's wheel): its magnetic whine at the
    slot-pass rate (rev/s x slots: 1500-2700 rpm x 10 slots, 250-450 Hz) with a second harmonic, the speed
    hunting 3-6 % at 1-2 Hz as the load and the regulator fight, over the low-passed air and bearing noise
    (corner 450-900 Hz) and a little mains hum."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    speed = _slow_curve(ctx, t, ctx.rng.uniform(1.0, 2.0), ctx.rng.uniform(0.03, 0.06))
    f = ctx.rng.uniform(250, 450) * p.pitch * speed
    ph = 2 * np.pi * np.cumsum(f) / ctx.sr
    whine = np.sin(ph) + ctx.rng.uniform(0.1, 0.7) * np.sin(2 * ph + 0.5)
    air = _lowpass(ctx.rng.standard_normal(ctx.n), ctx.rng.uniform(450, 900), ctx.sr)
    hum = np.sin(2 * np.pi * 2 * _mains(ctx) * t)
    return 0.8 * whine / np.std(whine) + 0.8 * air / (np.std(air) + 1e-12) + 0.3 * hum / np.std(hum)


def _fan_parts(ctx: Ctx, blades: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A ventilator's sound, in parts to mix: the rotor turns at 13-25 rev/s (800-1500 rpm) and each of its
    ``blades`` (a range, upper bound excluded) chops the airflow as it passes the struts, so the broadband
    turbulence (corner 350-900 Hz, falling above) is amplitude-modulated at the blade-pass frequency (blades x
    rev/s) and radiates a tone there; the motor under it hums at twice the mains frequency. Returns the air
    (unit RMS before the chopping), the blade-pass tone, the motor's hum and the rotor's rev/s per sample."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    rev = ctx.rng.uniform(13, 25) * p.pitch ** 0.5 * _slow_curve(ctx, t, 1.0, 0.015)
    n_blades = int(ctx.rng.integers(*blades))
    bpf_phase = 2 * np.pi * n_blades * np.cumsum(rev) / ctx.sr
    corner = ctx.rng.uniform(350, 900) * (0.7 + 0.6 * p.brightness)
    air = _unit(_lowpass(ctx.rng.standard_normal(ctx.n), corner, ctx.sr))
    air = air * (1 + ctx.rng.uniform(0.3, 0.6) * np.sin(bpf_phase))
    tone = np.sin(bpf_phase) + 0.4 * np.sin(2 * bpf_phase + 1.0)
    mains = _mains(ctx)
    motor = np.sin(4 * np.pi * mains * t) + 0.3 * np.sin(8 * np.pi * mains * t)
    return air, tone, motor, rev


def _fan(ctx: Ctx) -> np.ndarray:
    """A ventilator (desk fan, projector or cooling fan) of 4-6 blades (:func:`_fan_parts`: a blade-pass of
    55-150 Hz): the chopped air, its tone and the motor's hum."""
    air, tone, motor, _ = _fan_parts(ctx, (4, 7))
    return (air * ctx.rng.uniform(1.0, 1.4) + 0.15 * tone / (np.std(tone) + 1e-12)
            + ctx.rng.uniform(0.2, 0.5) * motor / (np.std(motor) + 1e-12))


def m_hum(ctx: Ctx) -> np.ndarray:
    """Mains hum of a transformer / motor (fridge, ballast, fan): the iron core's magnetostriction follows B^2,
    so it hums at twice the mains frequency (50 or 60 Hz), and a saturating core squares the flux off into a
    buzz of many harmonics; a little of the mains fundamental leaks through. A motor turns slightly slower than
    the field (slip 2-5 %): its once-per-turn knock rings the metal housing and beats slowly against the hum.
    A variant heard as a fan or a whir (:func:`hum_kind`) is the fan's blade-chopped airflow (:func:`_fan`) or
    the small motor's whine (:func:`_whir`) instead."""
    kind = hum_kind(ctx.desc)
    if kind == "fan":
        return _fan(ctx)
    if kind == "whir":
        return _whir(ctx)

    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    mains = _mains(ctx)
    wander = 1 + 0.001 * (_slow_curve(ctx, t, 0.2, 1.0) - 1)
    phase = 2 * np.pi * mains * np.cumsum(wander) / ctx.sr
    b = np.sin(phase)  # flux
    core = np.sign(b) * np.abs(b) ** (0.05 + 0.1 * (1 - p.brightness))  # saturation flattens the flux
    mag = core**2 - np.mean(core**2)  # magnetostriction ~ B^2: 2 x mains and its harmonics
    mag = _lowpass(mag, 2000 + 4000 * p.brightness, ctx.sr)
    x = 0.5 * b + mag / (np.std(mag) + 1e-12)
    x *= 1 + 0.15 * (_slow_curve(ctx, t, 3.0, 1.0) - 1)
    x /= np.std(x) + 1e-12
    # motor: once-per-turn knock at mains x (1 - slip) through housing modes
    rot = mains * (1 - ctx.rng.uniform(0.02, 0.05))
    pulses = _pulse_train(ctx, np.full(ctx.n, rot), 0.02) * ctx.rng.uniform(0.7, 1.0, ctx.n)
    ratios = np.asarray(MATERIALS["metal"].ratios)
    freqs = ratios * ctx.rng.uniform(180, 260) * p.pitch
    ir = _modal_ir(ctx, freqs, np.full(freqs.size, 0.04), 1 / np.arange(1, freqs.size + 1), length=0.06)
    mech = signal.fftconvolve(pulses, ir)[: ctx.n]
    air = _bandpass(ctx.rng.standard_normal(ctx.n), 150, 1500 + 2000 * p.brightness, ctx.sr)
    return x + 0.3 * mech / (np.std(mech) + 1e-12) + 0.05 * air / (np.std(air) + 1e-12)


def m_chirp(ctx: Ctx) -> np.ndarray:
    """Bird-like calls: phrases of FM syllables (sweeps with fast vibrato), weak second harmonic."""
    p = ctx.p
    out = np.zeros(ctx.n)
    for phrase in _event_times(ctx, 0.45 * p.density, regular=0.2):
        n_syl = int(ctx.rng.integers(2, 7))
        f_top = ctx.rng.uniform(2500, 5000) * p.pitch
        t = phrase
        for _ in range(n_syl):
            dur = ctx.rng.uniform(0.04, 0.14)
            tt = np.arange(int(dur * ctx.sr)) / ctx.sr
            sweep = f_top * (1 + ctx.rng.uniform(-0.35, 0.2) * tt / dur)
            f = sweep * (1 + 0.06 * np.sin(2 * np.pi * ctx.rng.uniform(30, 90) * tt))
            ph = 2 * np.pi * np.cumsum(f) / ctx.sr
            s = (np.sin(ph) + 0.15 * np.sin(2 * ph)) * np.sin(np.pi * tt / dur) ** 2
            _place(ctx, out, s, t, ctx.rng.uniform(0.6, 1.0))
            t += dur + ctx.rng.uniform(0.02, 0.08)
    return out


def m_insects(ctx: Ctx) -> np.ndarray:
    """Crickets: several insects, each a carrier (~4.5 kHz) gated into pulses (~30/s: one closing stroke of the
    wings each) grouped in chirps. Within each pulse the carrier falls by 6 %: the scraper runs down the file
    more slowly as the stroke ends, so each tooth impact rings the harp a little later (the downward sweep
    within a syllable of field crickets; a steady carrier was heard as an electronic beep)."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    out = np.zeros(ctx.n)
    for k in range(int(np.clip(3 * p.density, 1, 8))):
        fc = ctx.rng.uniform(3800, 5200) * p.pitch
        pulse_rate = ctx.rng.uniform(25, 40)
        chirp_period = ctx.rng.uniform(0.4, 0.9)
        pulses_per_chirp = int(ctx.rng.integers(3, 6))
        phase = (t + ctx.rng.uniform(0, chirp_period)) % chirp_period
        pulse_idx = phase * pulse_rate
        gate = (pulse_idx < pulses_per_chirp) * np.sin(np.pi * (pulse_idx % 1.0)) ** 2
        ph = 2 * np.pi * np.cumsum(fc * (1 - 0.06 * (pulse_idx % 1.0))) / ctx.sr + ctx.rng.uniform(0, 6)
        carrier = np.sin(ph) + 0.2 * np.sin(2 * ph)
        out += carrier * gate * ctx.rng.uniform(0.3, 1.0) / (1 + k * 0.3)
    return out


# NC-35 noise criterion curve (dB per octave band): the spectrum of a quiet room's ventilation noise
_NC_HZ = np.array([16, 31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000])
_NC_DB = np.array([80, 72, 62, 52, 45, 40, 36, 34, 33, 32, 31], float)


def m_room(ctx: Ctx) -> np.ndarray:
    """Room tone: steady ventilation noise with the falling spectrum of a quiet room (NC-35 curve), coloured
    by the room's low axial modes (c / 2L for walls 2.4-6.5 m apart); a faint fan blade-pass tone
    (90-180 Hz, two overtones), a trace of mains hum (twice the mains and its even harmonics) and far
    traffic (a low rumble swelling slowly). No gusts: the level is steady."""
    p = ctx.p
    sr = ctx.sr
    t = np.arange(ctx.n) / sr
    dims = ctx.rng.uniform([3.0, 2.5, 2.4], [6.5, 5.0, 3.2])
    modes = np.concatenate([343.0 / (2 * d) * np.arange(1, 12) for d in dims])
    modes = modes[modes < 400]
    tilt = (p.brightness - 0.5) * 6.0  # dB per octave above 1 kHz

    def env(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        f = np.maximum(freqs, 20.0)
        db = np.interp(np.log2(f), np.log2(_NC_HZ), _NC_DB) + tilt * np.maximum(np.log2(f / 1000.0), 0)
        shape = 10 ** (db / 20) * (freqs > 25) / (1 + (f / 8000.0) ** 4)
        colour = 1 + 1.5 * np.exp(-0.5 * ((f[:, None] - modes[None, :]) / (2 + 0.05 * modes[None, :])) ** 2).sum(1)
        return (shape * colour)[:, None] * np.ones(times.size)[None, :]

    air = _shaped_noise(ctx, env, nfft=4096)
    air /= np.std(air) + 1e-12
    bpf = ctx.rng.uniform(90, 180)  # fan blade pass: rpm / 60 x blades
    wobble = 1 + 0.003 * (_slow_curve(ctx, t, 0.5, 1.0) - 1)
    ph = 2 * np.pi * bpf * np.cumsum(wobble) / sr
    fan = np.sin(ph) + 0.4 * np.sin(2 * ph + 1) + 0.2 * np.sin(3 * ph + 2)
    mains = _mains(ctx)
    hum = sum(np.sin(2 * np.pi * mains * k * t + ctx.rng.uniform(0, 6)) / k for k in (2, 4, 6))
    traffic = _lowpass(ctx.rng.standard_normal(ctx.n), 150, sr, order=4)
    traffic *= np.clip(_slow_curve(ctx, t, 0.15, 0.8), 0.2, None)
    traffic /= np.std(traffic) + 1e-12
    return air + 0.15 * fan + 0.08 * hum + 0.3 * traffic


def m_footsteps(ctx: Ctx) -> np.ndarray:
    """A walker passing on hard paving: 1.75-2.15 steps/s (adults at 1.2-1.6 m/s) with natural timing spread
    and a left/right difference in step length and force. Each step is a heel strike (a ~1 ms contact) and,
    60-120 ms later, the sole rolling down onto the toe; shoe and paving are too heavily damped to ring as
    tones, so each contact radiates a noisy transient (a bright 1.5-8 kHz click of a few ms over a 150-1200 Hz
    knock of ~10 ms) and the body's weight lands as a low thump; as the heel and then the sole load, the grit
    under them crunches (a dense burst of small grains, not a few sparse crackles) and in most steps the sole
    scuffs as it lifts. The level swells and fades as the walker passes (1 / distance), over a quiet outdoor
    noise floor ~45 dB under the steps. A surface named in the play method changes the
    contact: floorboards (wood) knock lower and ring longer, soft ground (grass, earth, snow, carpet) has
    no click, a dull knock and more crunch."""
    p = ctx.p
    sr, rng = ctx.sr, ctx.rng
    cadence = rng.uniform(1.75, 2.15) * p.density ** 0.5
    limp = rng.uniform(-0.04, 0.04)  # left and right steps differ a little in length
    times, t = [], rng.uniform(0.05, 0.4)
    while t < ctx.seconds - 0.05:
        times.append(t)
        t += (1 + (limp if len(times) % 2 else -limp)) * (1 + (0.03 + 0.05 * p.roughness) * rng.standard_normal()) / cadence
    times = np.asarray(times)
    d0, v = rng.uniform(1.5, 3.0), rng.uniform(1.2, 1.6)  # closest approach (m), walking speed (m/s)
    level = d0 / np.sqrt(d0**2 + (v * (times - rng.uniform(0.35, 0.65) * ctx.seconds)) ** 2)
    out = np.zeros(ctx.n)
    side_gain = rng.uniform(0.8, 0.95)
    for i, t in enumerate(times):
        _place(ctx, out, _footfall(ctx), t, level[i] * rng.uniform(0.85, 1.0) * (side_gain if i % 2 else 1.0))
    # quiet outdoor noise floor (far traffic and air), ~45 dB under the steps
    floor = _lowpass(rng.standard_normal(ctx.n), 600, sr) + 0.15 * _highpass(rng.standard_normal(ctx.n), 2000, sr)
    floor *= np.clip(_slow_curve(ctx, np.arange(ctx.n) / sr, 0.3, 0.4), 0.3, None)
    return out + 10 ** (-45 / 20) * np.abs(out).max() * floor / (np.std(floor) + 1e-12)


def _footfall(ctx: Ctx) -> np.ndarray:
    """One step (0.35 s): heel strike, sole slap 60-120 ms later, the weight's thump, grit and a scuff."""
    p, sr, rng = ctx.p, ctx.sr, ctx.rng
    n = int(0.35 * sr)
    roll = rng.uniform(0.06, 0.12)
    exc = np.zeros(n)  # contact force: heel short and sharp, sole flatter; each may bounce once
    for t0, a, ms in ((0.0, 1.0, rng.uniform(0.3, 0.8)), (roll, rng.uniform(0.45, 0.75), rng.uniform(1.0, 2.0))):
        m, i0 = max(int(ms * 1e-3 * sr), 2), int(t0 * sr)
        exc[i0:i0 + m] += a * np.sin(np.pi * np.arange(m) / m) / m
        if rng.random() < 0.6:
            j = i0 + int(rng.uniform(0.004, 0.012) * sr)
            exc[j:j + m] += 0.3 * a * np.sin(np.pi * np.arange(m) / m) / m
    # the surface underfoot (named in the play method; hard paving when none is): floorboards knock lower
    # and ring longer, soft ground (grass, earth, snow, carpet) damps the click and crunches
    surface = ctx.surface or MATERIALS["stone"]
    wood, soft = surface is MATERIALS["wood"], surface is MATERIALS["soft"]
    hi_band, knock_band, knock_s = (((1000, 3000 + 4000 * p.brightness), (80, 700), 0.025) if wood else
                                    ((1500, 4000), (80, 500), 0.008) if soft else
                                    ((1500, 4000 + 6000 * p.brightness), (150, 1200), 0.01))
    m = int(0.08 * sr)
    k = np.arange(m) / sr
    hi = _bandpass(rng.standard_normal(m), *hi_band, sr) * np.exp(-k / 0.004)
    mid = _bandpass(rng.standard_normal(m), *knock_band, sr) * np.exp(-k / knock_s)
    click = signal.fftconvolve(exc, (0.0 if soft else 1.0) * hi / np.abs(hi).max() + 1.2 * mid / np.abs(mid).max())[:n]
    click += (0.0 if soft else 0.3) * _highpass(exc * rng.standard_normal(n), 1500, sr)
    thump = np.zeros(n)  # the body's mass landing: ~15-25 ms, below 300 Hz
    for t0, a in ((0.0, 1.0), (roll, 0.5)):
        m, i0 = int(rng.uniform(0.015, 0.025) * sr), int(t0 * sr)
        thump[i0:i0 + m] += a * np.sin(np.pi * np.arange(m) / m) ** 2
    thump = _lowpass(np.diff(thump, prepend=0.0), 300, sr)
    grit = _grit_crunch(ctx, n, roll, soft)
    scuff = np.zeros(n)
    if rng.random() < 0.65:  # the sole often scuffs as the foot rolls off: rubber or leather sliding on stone
        i0 = int((roll + rng.uniform(0.05, 0.12)) * sr)
        m = min(int(rng.uniform(0.05, 0.12) * sr), n - i0)
        scuff[i0:i0 + m] = _bandpass(rng.standard_normal(m), 2000, min(7000, 0.45 * sr), sr) * np.hanning(m)
    s = click / (np.abs(click).max() + 1e-12) + 0.8 * thump / (np.abs(thump).max() + 1e-12)
    s += (0.4 if soft else 0.05 if wood else 0.15 + 0.1 * p.roughness) * grit / (np.abs(grit).max() + 1e-12)
    s += 0.13 * scuff / (np.abs(scuff).max() + 1e-12)
    return s * np.exp(-np.arange(n) / sr / 0.18)


def _grit_crunch(ctx: Ctx, n: int, roll: float, soft: bool) -> np.ndarray:
    """Grit crushed under a loading heel (30-60 ms) and then the sole (40-80 ms): a dense burst of grains
    (~600 a second while loaded, so ~20-80 a step) of similar size (log-normal, sigma 0.5), each grain's
    fracture a tick of 1.5-3 kHz (1-5 kHz in soft ground). Dense, even grains crunch; a few sparse grains
    with a heavy-tailed size would crackle like a fire."""
    sr, rng = ctx.sr, ctx.rng
    out = np.zeros(n)
    for t0, dur, a in ((0.0, rng.uniform(0.03, 0.06), 1.0), (roll, rng.uniform(0.04, 0.08), 0.8)):
        k = max(int(rng.poisson(600 * dur)), 1)
        tt = t0 + dur * rng.beta(1.5, 2.5, k)  # the load rises fast, the grains settle after it
        np.add.at(out, np.clip((tt * sr).astype(int), 0, n - 1), a * rng.lognormal(0, 0.5, k) * rng.choice([-1, 1], k))
    lo, hi = (1000, 5000) if soft else (1500, 3000)
    return _bandpass(out, lo, min(hi, 0.45 * sr), sr)


def m_rolling(ctx: Ctx) -> np.ndarray:
    """Wheels pushed over paving at walking pace (1-1.5 m/s): every joint between stones (10-20 cm apart,
    so ~6-15 per second) knocks the wheel, the rear axle hits it again a wheelbase later, and each knock
    rattles the frame (short metal ring); between joints the surface texture makes a rumble that swells once
    per wheel turn (speed / circumference, ~2-3 Hz: a wheel is never perfectly round); optional squeak."""
    p = ctx.p
    t = np.arange(ctx.n) / ctx.sr
    speed = ctx.rng.uniform(1.0, 1.5) * p.density  # m/s
    rot = speed / ctx.rng.uniform(0.4, 0.6)  # wheel turns per second
    joint = ctx.rng.uniform(0.1, 0.2)  # m between joints
    rumble = _bandpass(ctx.rng.standard_normal(ctx.n), 80 * p.pitch, 1500 + 2000 * p.brightness, ctx.sr)
    rumble *= 1 + 0.5 * np.sin(2 * np.pi * rot * t) ** 8
    rumble *= np.clip(_slow_curve(ctx, t, 1.0, 0.15), 0.1, None)
    out = 0.6 * rumble / (np.std(rumble) + 1e-12)
    mat = ctx.material
    wheel = _strike_ir(ctx, replace(mat, t60=min(mat.t60, 0.05)), mat.base_hz * p.pitch * 0.5)
    wheel /= np.abs(wheel).max() + 1e-9
    frame = _strike_ir(ctx, replace(MATERIALS["metal"], t60=0.15, noise=0.3), ctx.rng.uniform(600, 1200))
    frame /= np.abs(frame).max() + 1e-9
    wheelbase = ctx.rng.uniform(0.5, 0.7) / speed  # s until the rear wheels reach the same joint
    for tj in _event_times(ctx, speed / joint, regular=0.85):
        for tb, g in ((tj, 1.0), (tj + wheelbase, 0.8)):
            a = g * ctx.rng.uniform(0.4, 1.0)
            _place(ctx, out, wheel, tb, a)
            _place(ctx, out, frame, tb + 0.002, 0.5 * a * ctx.rng.uniform(0.2, 1.0))
    if p.squeak > 0:
        out += 2.5 * p.squeak * _squeaks(ctx, _event_times(ctx, rot / 2, regular=0.8))
    return out


_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410), (300, 870, 2240),
           (660, 1720, 2410), (490, 1350, 1690))


def _talk_phrases(ctx: Ctx, f_mean: float) -> tuple[np.ndarray, np.ndarray]:
    """A talker's phrases of 0.8-2.8 s with pauses of 0.2-0.9 s: the gate (1 while talking) and the pitch line,
    declining ~30 % through each phrase around ``f_mean``."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    t = np.arange(n) / sr
    talk = np.zeros(n)
    line = np.full(n, f_mean)
    s = rng.uniform(0, 0.8)
    while s < ctx.seconds:
        dur = rng.uniform(0.8, 2.8)
        i0, i1 = int(s * sr), min(int((s + dur) * sr), n)
        talk[i0:i1] = 1.0
        line[i0:i1] = f_mean * (1.15 - 0.3 * (t[i0:i1] - s) / dur)  # declination
        s += dur + rng.uniform(0.2, 0.9)
    return talk, line


def _syllable_onsets(ctx: Ctx, syllables_per_s: float) -> np.ndarray:
    """Syllable onsets (s) at ~``syllables_per_s``, gamma-timed (shape 4: speech's fairly regular rhythm)."""
    onsets, s = [], 0.0
    while s < ctx.seconds:
        onsets.append(s)
        s += ctx.rng.gamma(4.0, 1 / (4.0 * syllables_per_s))
    return np.asarray(onsets)


def _articulate(ctx: Ctx, src: np.ndarray, on: np.ndarray, talk: np.ndarray, syllables_per_s: float,
                bandwidth: float = 50.0) -> np.ndarray:
    """The voice source ``src`` through the mouth, unit RMS: each syllable a vowel of this talker's tract (the
    table scaled 0.9-1.15: tract lengths differ) whose three formants (bandwidths ``bandwidth`` + 40 Hz per
    formant) glide from the last one (coarticulation), shaped by a syllabic envelope and gated by ``talk``.
    32 ms frames at 16 kHz: a formant moves within a syllable."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    hop, nfft = 128, 512
    frames = n // hop + 1
    freqs = np.fft.rfftfreq(nfft, 1 / sr)
    ft = np.arange(frames) * hop / sr
    vowels = np.asarray(_VOWELS, float) * rng.uniform(0.9, 1.15)  # tract length differs per talker
    targets = vowels[rng.integers(len(vowels), size=on.size)]
    fm = np.stack([np.interp(ft, on + 0.08, targets[:, k]) for k in range(3)], axis=1)
    shape = sum(np.exp(-0.5 * ((freqs[:, None] - fm[None, :, k]) / (bandwidth + 40 * k)) ** 2) / (k + 1)
                for k in range(3))
    idx = np.clip(np.searchsorted(on, ft, side="right") - 1, 0, None)
    syl = np.clip(np.sin(np.pi * np.clip((ft - on[idx]) * syllables_per_s * 1.3, 0, 1)), 0, None) ** 0.7
    gate = talk[np.minimum((ft * sr).astype(int), n - 1)]
    _, _, spec = signal.stft(src, fs=sr, nperseg=nfft, noverlap=nfft - hop)
    spec = spec[:, :frames] if spec.shape[1] >= frames else np.pad(spec, ((0, 0), (0, frames - spec.shape[1])))
    _, v = signal.istft(spec * shape * (syl * gate)[None, :], fs=sr, nperseg=nfft, noverlap=nfft - hop)
    v = np.pad(v[:n], (0, max(0, n - len(v))))
    return v / (np.std(v) + 1e-12)


def _talker(ctx: Ctx, f_mean: float, syllables_per_s: float) -> np.ndarray:
    """One unintelligible talker, unit RMS: phrases of 0.8-2.8 s with pauses (:func:`_talk_phrases`); inside a
    phrase the pitch declines (~30 %) with accents on a quarter of the syllables; syllables at ~4-6 per second
    (:func:`_syllable_onsets`), each a vowel through the mouth (:func:`_articulate`), most of them opened by a
    consonant (a fricative or a burst: band noise of 30-90 ms)."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    talk, f0 = _talk_phrases(ctx, f_mean)
    on = _syllable_onsets(ctx, syllables_per_s)
    accent = np.zeros(n)
    m_acc = int(0.2 * sr)
    for so in on[rng.random(on.size) < 0.25]:
        i0 = int(so * sr)
        m = min(m_acc, n - i0)
        accent[i0:i0 + m] += 0.2 * np.sin(np.pi * np.arange(m) / m_acc)
    pulses = _pulse_train(ctx, f0 * (1 + accent), 0.02)
    src = _lowpass(pulses, 4000, sr, order=1)
    v = _articulate(ctx, src, on, talk, syllables_per_s)
    bands = [_bandpass(rng.standard_normal(n), lo, min(lo * 2.5, 0.45 * sr), sr) for lo in (1500.0, 2500.0, 4000.0)]
    cons = np.zeros(n)
    for so in on:
        i0 = int(so * sr)
        if i0 >= n or talk[i0] == 0 or rng.random() < 0.3:
            continue
        m = min(int(rng.uniform(0.03, 0.09) * sr), n - i0)
        if m < 8:
            continue
        cons[i0:i0 + m] += bands[int(rng.integers(3))][i0:i0 + m] * np.hanning(m)
    return v + 0.3 * cons / (np.std(cons) + 1e-12)


def _humming(ctx: Ctx) -> np.ndarray:
    """One person humming a tune with the mouth closed: phrases of 4-8 notes of a pentatonic scale (0.25-0.7 s
    each, gliding legato from one to the next, a slight vibrato on long notes) with a breath between phrases;
    through the nose, so the spectrum is the nasal murmur — a strong resonance near 250 Hz, weak ones near 1
    and 2.2 kHz, little above 3 kHz."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    t = np.arange(n) / sr
    root = rng.uniform(110, 140) if rng.random() < 0.5 else rng.uniform(200, 260)
    scale = np.array([0, 2, 4, 7, 9, 12, 14])
    f0 = np.full(n, root * ctx.p.pitch)
    gate = np.zeros(n)
    s = rng.uniform(0.1, 0.5)
    degree = int(rng.integers(0, 4))
    while s < ctx.seconds:
        notes = int(rng.integers(4, 9))
        for _ in range(notes):
            d = rng.uniform(0.25, 0.7)
            i0, i1 = int(s * sr), min(int((s + d) * sr), n)
            degree = int(np.clip(degree + rng.choice([-2, -1, -1, 1, 1, 2]), 0, len(scale) - 1))
            f0[i0:i1] = root * ctx.p.pitch * 2 ** (scale[degree] / 12) * (
                1 + 0.006 * np.sin(2 * np.pi * 5.5 * (t[i0:i1] - s)) * (d > 0.45))
            gate[i0:i1] = 1.0
            s += d
        s += rng.uniform(0.4, 0.9)  # a breath
    f0 = _lowpass(f0, 12.0, sr)  # legato glides between notes
    gate = _lowpass(gate, 8.0, sr)
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.003 * _slow_curve(ctx, t, 4.0, 1.0))) / sr
    src = sum(a * np.sin(k * phase) for k, a in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15), (5, 0.08), (6, 0.04)))
    nasal = sum(g * _bandpass(src, f * 0.7, f * 1.4, sr) for f, g in ((250.0, 1.0), (1000.0, 0.2), (2200.0, 0.1)))
    breath = _bandpass(rng.standard_normal(n), 200, 2000, sr)
    return (0.6 * src + nasal / (np.std(nasal) + 1e-12) * np.std(src) + 0.03 * breath) * gate


def m_murmur(ctx: Ctx) -> np.ndarray:
    """Voices (a play method that says humming: :func:`_humming`): a few talkers near enough to follow (:func:`_talker`; men at 95-140 Hz, women at 170-250 Hz,
    each at its own distance: quieter and duller further off) over the babble of a crowd further away —
    speech-shaped noise (200 Hz-1 kHz emphasis) whose level follows eight far talkers' syllables (2-7 Hz).
    The number of near talkers follows the density (a tv or one person: one or two; a crowd: five). Summing
    many near voices made chords (heard as music); a crowd is mostly its babble. Rendered at 16 kHz (speech
    carries little above 8 kHz) and resampled up."""
    factor = ctx.sr // 16000
    if factor >= 2:
        low = replace(ctx, sr=ctx.sr // factor, n=-(-ctx.n // factor))
        return resample(m_murmur(low), 1, factor)[: ctx.n]
    if ctx.desc is not None and re.search(r"\bhumm", ctx.desc.play_method.lower()):
        return _humming(ctx)
    p, rng = ctx.p, ctx.rng
    near = int(np.clip(round(4 * p.density), 1, 5))
    out = np.zeros(ctx.n)
    for _ in range(near):
        f = rng.uniform(95, 140) if rng.random() < 0.5 else rng.uniform(170, 250)
        d = rng.uniform(0.5, 1.0)
        out += d * _lowpass(_talker(ctx, f * p.pitch, rng.uniform(4, 6)), 2000 + 5000 * d, ctx.sr)
    out /= np.std(out) + 1e-12
    if near <= 2:  # one or two people: no crowd behind them
        return out
    bed = np.zeros(ctx.n)
    for _ in range(8):
        nz = _lowpass(_bandpass(rng.standard_normal(ctx.n), 200, 3500, ctx.sr), 1000, ctx.sr)
        env = _lowpass(np.abs(_bandpass(rng.standard_normal(ctx.n), 2.0, 7.0, ctx.sr)), 10, ctx.sr)
        bed += nz * env / (env.mean() + 1e-12)
    return out + min(0.6 * p.density, 1.0) * bed / (np.std(bed) + 1e-12)


_BURNER_WORDS = ("burner", "blowtorch", "torch", "gas", "furnace", "bunsen")
_GAS_FLAMES = ("lighter", "blowtorch", "bunsen", "gas burner", "camping stove")  # things whose only flame is gas


def fire_kind(desc: SourceDescription | None) -> str:
    """``burner`` (a gas flame: a stove's burner, a blowtorch, a lighter, a furnace) or ``wood`` (logs, a candle's
    wick, food sizzling: the crackle model), from the play method, or from the name of a thing whose only flame
    is gas (a kitchen stove's name alone says nothing: its pan sizzling is not its burner)."""
    if desc is None:
        return "wood"
    if any(_stem_hits(_norm(desc.play_method), w) for w in _BURNER_WORDS):
        return "burner"
    if any(_stem_hits(_norm(desc.name), w) for w in _GAS_FLAMES) and not _stem_hits(_norm(desc.play_method), "sizzl"):
        return "burner"
    return "wood"


def _burner(ctx: Ctx) -> np.ndarray:
    """A gas flame roaring: turbulent combustion noise, low-frequency heavy (below ~400 Hz), puffing at the
    flame's flicker rate (~10 Hz, a buoyant flame's puffing frequency for a burner a few cm across) and
    wandering slowly; the jet's hiss of gas at 2-8 kHz; and the flame's sputter — dust, droplets and residue
    flashing in it — as sharp clicks (noise bursts decaying in 1-3 ms, 1-10 kHz), ~30 a second alone and ~4 a
    second in bursts of 2-10 within a few tens of ms, their sizes heavy-tailed (Pareto, alpha 1.5, capped at
    30x). No wood: none of a log fire's loud pops."""
    sr, rng, n = ctx.sr, ctx.rng, ctx.n
    dur = ctx.seconds
    times = list(rng.uniform(0, dur, int(30 * ctx.p.density * dur)))
    for c in rng.uniform(0, dur, int(4 * ctx.p.density * dur)):
        k = int(rng.integers(2, 11))
        times += list(c + rng.exponential(0.03, k).cumsum() * 0.5)
    times = np.asarray([t for t in times if t < dur - 0.01])
    amps = np.minimum((rng.pareto(1.5, times.size) + 1) * 0.1, 3.0) * rng.choice([-1, 1], times.size)
    clicks = np.zeros(n)
    shape = rng.integers(0, 6, times.size)  # six decay times, each click one of them
    for g in range(6):
        sel = shape == g
        if not sel.any():
            continue
        tau = rng.uniform(1.0, 3.0) * 1e-3
        m = int(6 * tau * sr) + 2
        ir = rng.standard_normal(m) * np.exp(-np.arange(m) / sr / tau)
        clicks += signal.fftconvolve(_impulses(ctx, times[sel], amps[sel]), ir)[:n]
    clicks = _bandpass(clicks, 1000, 10000, sr)
    t = np.arange(n) / sr
    roar = _lowpass(rng.standard_normal(n), 400, sr, order=3)
    flicker = _bandpass(rng.standard_normal(n), 5.0, 15.0, sr)
    roar *= (np.clip(1 + 0.8 * flicker / (np.abs(flicker).max() + 1e-12), 0.1, None)
             * np.clip(_slow_curve(ctx, t, 0.5, 0.3), 0.3, None))
    hiss = _bandpass(rng.standard_normal(n), 2000, 8000, sr) * np.clip(_slow_curve(ctx, t, 1.0, 0.5), 0.1, None)
    return (clicks / (np.std(clicks) + 1e-12) + 0.5 * roar / (np.std(roar) + 1e-12)
            + 0.6 * hiss / (np.std(hiss) + 1e-12))


def m_fire(ctx: Ctx) -> np.ndarray:
    """Fire, by kind (:func:`fire_kind`): a gas flame (:func:`_burner`), or a wood fire — a low roar under
    crackles (sharp grains with heavy-tailed sizes) and a few loud pops."""
    if fire_kind(ctx.desc) == "burner":
        return _burner(ctx)
    p = ctx.p
    roar = _lowpass(ctx.rng.standard_normal(ctx.n), 300 + 600 * p.brightness, ctx.sr, order=3)
    roar *= np.clip(_slow_curve(ctx, np.arange(ctx.n) / ctx.sr, 2.0, 0.5), 0.1, None)
    crackle = _granular(ctx, 150 * p.density, (2, 6), (1500, 9000), 0.6, amp_sigma=1.2)
    times = ctx.rng.uniform(0, ctx.seconds, int(4 * p.density * ctx.seconds))
    pops = _impulses(ctx, times, ctx.rng.uniform(0.5, 1.0, times.size) * ctx.rng.choice([-1, 1], times.size))
    k = int(0.004 * ctx.sr)
    pops = _highpass(signal.fftconvolve(pops, ctx.rng.standard_normal(k) * np.exp(-np.arange(k) / (k / 5)))[: ctx.n],
                     800, ctx.sr)
    return (0.3 * roar / (np.std(roar) + 1e-12) + crackle / (np.std(crackle) + 1e-12)
            + 0.5 * pops / (np.std(pops) + 1e-12))


MODEL_FUNCS: dict[str, Callable[[Ctx], np.ndarray]] = {
    "strike": m_strike, "bell": m_bell, "rattle": m_rattle, "scrape": m_scrape, "creak": m_creak, "rustle": m_rustle,
    "crinkle": m_crinkle, "drops": m_drops, "stream": m_stream, "surf": m_surf, "rain": m_rain, "wind": m_wind,
    "engine": m_engine, "hum": m_hum, "chirp": m_chirp, "footsteps": m_footsteps, "rolling": m_rolling,
    "murmur": m_murmur, "fire": m_fire, "insects": m_insects, "room": m_room,
}
# Model families in their own modules (animal calls, machines, musical instruments) register here:
# each module's MODELS maps a model name to (keyword stems, render function).
from . import actions as _actions  # noqa: E402
from . import animals as _animals  # noqa: E402  (they import the building blocks above)
from . import clatter as _clatter  # noqa: E402
from . import contacts as _contacts  # noqa: E402
from . import friction as _friction  # noqa: E402
from . import instruments as _instruments  # noqa: E402
from . import machines as _machines  # noqa: E402
from . import motors as _motors  # noqa: E402
from . import rotors as _rotors  # noqa: E402
from . import textures as _textures  # noqa: E402

for _family in (_animals, _machines, _instruments, _actions, _contacts, _friction, _motors, _clatter,
                _textures, _rotors):
    for _name, (_stems, _func) in _family.MODELS.items():
        if _name in MODEL_FUNCS:  # pragma: no cover - a clash between families
            raise RuntimeError(f"sound model {_name!r} is defined twice")
        SOUND_MODELS[_name] = tuple(_stems)
        MODEL_FUNCS[_name] = _func
if set(MODEL_FUNCS) != set(SOUND_MODELS):  # pragma: no cover - a table edit without its function
    raise RuntimeError(f"SOUND_MODELS and MODEL_FUNCS differ: {set(MODEL_FUNCS) ^ set(SOUND_MODELS)}")


def source_seed(seed: int, desc: SourceDescription) -> int:
    """Per-source seed: stable across runs and Python processes (CRC, not the salted ``hash``)."""
    return (int(seed) * 1_000_003 + zlib.crc32(desc.text().encode("utf-8"))) % (2**32)


def check_seconds(seconds: float) -> float:
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        raise ConfigError(f"seconds={seconds!r} is not a number; give a duration such as 5") from None
    if not np.isfinite(s) or not (MIN_SECONDS <= s <= MAX_SECONDS):
        raise ConfigError(
            f"seconds={seconds!r} is out of range; sound effects are {MIN_SECONDS:g} to {MAX_SECONDS:g} s long"
        )
    return s


def synthesize(desc: SourceDescription, seconds: float = 5.0, *, seed: int = 0, sample_rate: int = 48000,
               model: str | None = None, material: str | None = None) -> tuple[np.ndarray, Choice]:
    """Render one source: mono float32 ``(frames,)`` peak-normalised to -1 dBFS, and what was chosen.

    ``model`` / ``material`` override the tables' choice (names from :data:`SOUND_MODELS`,
    :data:`MATERIALS`).
    """
    seconds = check_seconds(seconds)
    if not (8000 <= int(sample_rate) <= 192000):
        raise ConfigError(f"sample_rate={sample_rate!r} is out of range; use 8000 to 192000 (48000 is usual)")
    choice = describe(desc)
    if model is not None:
        if model not in MODEL_FUNCS:
            raise ConfigError(f"unknown sound model {model!r}; known: {', '.join(MODEL_FUNCS)}")
        choice.model = model
    if material is not None:
        if material not in MATERIALS:
            raise ConfigError(f"unknown material {material!r}; known: {', '.join(MATERIALS)}")
        choice.material, choice.material_known = material, True
    if not choice.material_known:
        log.info("%s: no known material in %r; using %s", desc.name, desc.material, DEFAULT_MATERIAL)
    rng = np.random.default_rng(source_seed(seed, desc))
    n = int(round(seconds * sample_rate))
    surface = material_in(desc.play_method)
    ctx = Ctx(int(sample_rate), n, rng, choice.params, MATERIALS[choice.material],
              MATERIALS[surface] if surface else None, desc)
    x = np.asarray(MODEL_FUNCS[choice.model](ctx), dtype=np.float64)[:n]
    x = _highpass(x, 20.0, ctx.sr)  # no DC / subsonic drift
    # 5 ms fade in/out so a cut never clicks
    f = min(int(0.005 * ctx.sr), n // 2)
    if f:
        x[:f] *= np.linspace(0, 1, f)
        x[-f:] *= np.linspace(1, 0, f)
    peak = float(np.abs(x).max())
    if not np.isfinite(peak) or peak < 1e-12:
        log.warning("%s: model %s produced silence", desc.name, choice.model)
        return np.zeros(n, np.float32), choice
    return (x * (10 ** (-1 / 20) / peak)).astype(np.float32), choice


def single_strike(material: str, *, f0: float | None = None, seconds: float = 3.0, sample_rate: int = 48000,
                  seed: int = 0, brightness: float = 0.5) -> np.ndarray:
    """One strike of a material (modal synthesis), unnormalised ``(frames,)``: for tests and instruments."""
    if material not in MATERIALS:
        raise ConfigError(f"unknown material {material!r}; known: {', '.join(MATERIALS)}")
    seconds = check_seconds(seconds)
    mat = MATERIALS[material]
    ctx = Ctx(int(sample_rate), int(round(seconds * sample_rate)), np.random.default_rng(seed),
              Params(brightness=brightness), mat)
    ir = _strike_ir(ctx, mat, f0 or mat.base_hz, detune=0.0)
    out = np.zeros(ctx.n)
    _place(ctx, out, ir, 0.01, 1.0)
    return out.astype(np.float32)
