"""What each builtin sound model can make, in AudioSet class names: one table, so the sound vocabulary
can be checked against it (every variant's ``sound_model`` must be able to make its ``audioset`` classes).

* :data:`CORE` covers the 21 models of :mod:`server.sounds.synth` (strike, bell, rattle ... fire): the
  classes a listener (or YAMNet) would name for what the model renders, across the materials, surfaces and
  play methods it takes (a struck glass is *Chink, clink*, a struck pot *Clang*).
* The model families publish their own table as ``AUDIOSET = {model: (class, ...)}`` in
  :mod:`server.sounds.animals`, :mod:`server.sounds.machines`, :mod:`server.sounds.instruments` and
  :mod:`server.sounds.actions`, :mod:`server.sounds.contacts`, :mod:`server.sounds.friction`,
  :mod:`server.sounds.motors`, :mod:`server.sounds.clatter`, :mod:`server.sounds.textures` and
  :mod:`server.sounds.rotors`;
  they are merged here (a family without one yet contributes nothing).

:func:`can_make` closes a model's classes upwards through the AudioSet ontology: a model that makes *Bark*
also makes *Dog* and *Domestic animals, pets* (a bark is a dog's sound), but not *Cat*. The seven
top-level nodes (*Animal*, *Music* ...) are included, so an entry may name a broad class.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from functools import lru_cache

from ..errors import ConfigError

log = logging.getLogger(__name__)

FAMILY_MODULES = ("server.sounds.animals", "server.sounds.machines", "server.sounds.instruments", "server.sounds.actions",
                  "server.sounds.contacts", "server.sounds.friction", "server.sounds.motors", "server.sounds.clatter",
                  "server.sounds.textures", "server.sounds.rotors")

# model -> AudioSet classes it renders (names exactly as in the ontology)
CORE: dict[str, tuple[str, ...]] = {
    "strike": ("Knock", "Tap", "Thump, thud", "Bang", "Clang", "Clunk", "Thunk", "Ding", "Ping", "Chink, clink",
               "Glass", "Wood", "Dishes, pots, and pans", "Cutlery, silverware", "Door", "Slam",
               "Cupboard open or close", "Drawer open or close", "Hammer", "Wood block", "Tick", "Whack, thwack",
               "Slap, smack", "Chop", "Chopping (food)", "Crack", "Clatter", "Coin (dropping)"),
    "bell": ("Bell", "Church bell", "Change ringing (campanology)", "Chime", "Wind chime", "Tubular bells", "Gong",
             "Singing bowl", "Ding", "Ding-dong", "Cowbell", "Tuning fork", "Clang", "Chink, clink", "Glass",
             "Ringing (of resonator)", "Dishes, pots, and pans"),
    "rattle": ("Rattle", "Clatter", "Jingle, tinkle", "Keys jangling", "Coin (dropping)", "Cutlery, silverware",
               "Dishes, pots, and pans", "Chink, clink", "Clang"),
    "scrape": ("Scrape", "Scratch", "Rub", "Grind", "Sanding", "Sawing", "Filing (rasp)", "Squeal", "Squeak", "Writing",
               "Sliding door", "Cutlery, silverware", "Dishes, pots, and pans"),
    "creak": ("Creak", "Squeak", "Door", "Sliding door", "Cupboard open or close", "Wood"),
    "rustle": ("Rustle", "Rustling leaves", "Whoosh, swoosh, swish"),
    "crinkle": ("Crumpling, crinkling", "Crackle", "Rustle", "Tearing", "Crushing"),
    "drops": ("Drip", "Water", "Plop", "Liquid", "Raindrop", "Water tap, faucet", "Sink (filling or washing)",
              "Splash, splatter", "Trickle, dribble", "Gurgling", "Slosh"),  # slosh: the gurgle kind's water column
    "stream": ("Stream", "Water", "Waterfall", "Gurgling", "Trickle, dribble", "Pour", "Liquid", "Fill (with liquid)", "Gush"),
    "surf": ("Waves, surf", "Ocean", "Water", "Splash, splatter"),
    "rain": ("Rain", "Rain on surface", "Raindrop", "Water"),
    "wind": ("Wind", "Wind noise (microphone)", "Whoosh, swoosh, swish", "Outside, rural or natural", "Howl (wind)"),
    "engine": ("Engine", "Idling", "Vehicle", "Motor vehicle (road)", "Car", "Truck", "Bus", "Motorcycle",
               "Heavy engine (low frequency)", "Medium engine (mid frequency)", "Light engine (high frequency)",
               "Accelerating, revving, vroom", "Traffic noise, roadway noise", "Motorboat, speedboat",
               "Boat, Water vehicle", "Lawn mower", "Engine knocking", "Race car, auto racing"),
    "hum": ("Hum", "Mains hum", "Buzz", "Mechanical fan", "Air conditioning", "Whir"),
    "chirp": ("Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet"),
    "insects": ("Insect", "Cricket"),
    "room": ("Inside, small room", "Inside, large room or hall", "Inside, public space", "Air conditioning",
             "Mechanical fan", "Environmental noise", "Hum", "Silence"),
    "footsteps": ("Walk, footsteps", "Run", "Shuffle"),
    "rolling": ("Roll", "Skateboard", "Rumble", "Clatter", "Bicycle", "Rattle"),
    "murmur": ("Chatter", "Crowd", "Hubbub, speech noise, speech babble", "Conversation", "Speech",
               "Inside, public space"),
    "fire": ("Fire", "Crackle", "Wildfire", "Sizzle", "Frying (food)"),
}


def family_tables() -> dict[str, Mapping[str, tuple[str, ...]]]:
    """Each family module's ``AUDIOSET`` table ({} for a family that has none yet or cannot be imported)."""
    out: dict[str, Mapping[str, tuple[str, ...]]] = {}
    for name in FAMILY_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError as exc:  # a family being written may not import yet: it makes nothing
            log.warning("sound model family %s does not import (%s); its models make nothing", name, exc)
            out[name] = {}
            continue
        out[name] = dict(getattr(mod, "AUDIOSET", {}) or {})
    return out


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """model -> the classes named for it (core table merged with the families'; not closed upwards)."""
    merged = dict(CORE)
    for module, tab in family_tables().items():
        for model, classes in tab.items():
            if model in merged:
                raise ConfigError(f"{module}.AUDIOSET names model {model!r}, which another table already has")
            merged[model] = tuple(classes)
    return merged


# The 16 General MIDI program families (program // 8), in order.
GM_FAMILIES = ("piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed",
               "pipe", "synth lead", "synth pad", "synth effects", "ethnic", "percussive", "sound effects")


def gm_classes(gm_program: int | None, gm_drums: bool = False) -> tuple[str, ...] | None:
    """The classes ``gm_instrument`` makes for one GM program (or the drum kit), from the instruments family's
    ``GM_FAMILY_AUDIOSET`` table; None when that family publishes no such table."""
    try:
        fam = getattr(importlib.import_module("server.sounds.instruments"), "GM_FAMILY_AUDIOSET", None)
    except ImportError:
        return None
    if not fam:
        return None
    if gm_drums:
        return tuple(fam.get("drums", ()))
    if gm_program is None or not 0 <= int(gm_program) <= 127:
        return None
    return tuple(fam.get(GM_FAMILIES[int(gm_program) // 8], ()))


@lru_cache(maxsize=512)
def can_make(model: str, *, gm_program: int | None = None, gm_drums: bool = False) -> frozenset[str]:
    """AudioSet class names the builtin ``model`` can make, closed upwards through the ontology.

    For ``gm_instrument``, ``gm_program`` (0-127) or ``gm_drums`` narrow it to what that program or the GM drum
    kit sounds like (a violin program does not make *Piano*)."""
    from .tagger import ontology

    tab = table()
    if model not in tab:
        from .synth import MODEL_FUNCS

        if model in MODEL_FUNCS:  # registered by a family that publishes no AUDIOSET entry for it
            return frozenset()
        raise ConfigError(f"unknown sound model {model!r}; known: {', '.join(sorted(set(tab) | set(MODEL_FUNCS)))}")
    names = tab[model]
    if model == "gm_instrument" and (gm_program is not None or gm_drums):
        names = gm_classes(gm_program, gm_drums) or names
    onto = ontology()
    out: set[str] = set()
    for name in names:
        try:
            node = onto.id_of(name)
        except ConfigError:
            log.warning("sound model %s names %r, which is not an AudioSet class", model, name)
            continue
        for path in onto.paths_to_top(node):
            out.update(onto.name(i) for i in path)
    return frozenset(out)


def cannot_make(model: str, classes: list[str] | tuple[str, ...], *, gm_program: int | None = None,
                gm_drums: bool = False) -> list[str]:
    """The classes of ``classes`` that ``model`` cannot make (empty when it can make them all)."""
    from .tagger import ontology

    onto = ontology()
    made = can_make(model, gm_program=gm_program, gm_drums=bool(gm_drums))
    missing = []
    for c in classes:
        try:
            name = onto.canonical(c)
        except ConfigError:
            missing.append(c)
            continue
        if name not in made:
            missing.append(c)
    return missing
