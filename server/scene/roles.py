"""Automatic role mapping: fill drums, bass, guitar and keyboard from a scene's sound sources.

The rule (documented in ``docs/scene.md``):

1. Each variant gets a suitability score per role from its words (name, material, play method,
   timbre) through :data:`ROLE_CUES`, plus a bonus when the variant already asks for that role
   (a VLM's or the label table's proposal) and a small bonus from the source's confidence.
2. Roles are filled by an optimal one-to-one assignment (Hungarian method over every
   source x variant x role): each role gets the best-suited source, and no source plays two roles.
3. When there are fewer sources than roles, a source with a second variant may give that variant
   to a role still empty (``a source may yield two variants``); if it has only one variant, its
   variant is duplicated with a play method suited to the role. No role stays empty while a
   usable (non-ambience, or any when only ambiences exist) source remains.
4. Variants that play no role keep ``mapping_to_music_instrument = None``; the chosen variant of a
   source is moved first, so ``SoundSource.role`` is the role it plays.
"""

from __future__ import annotations

import re

import numpy as np

from .spec import ROLES, SceneSpec, SoundSource, Variant

# word -> weight per role. Words are matched as whole lower-case words (or prefixes with '*').
ROLE_CUES: dict[str, dict[str, float]] = {
    "drums": {
        "tap*": 1.0, "knock*": 1.0, "hit*": 1.0, "clap*": 1.0, "click*": 0.8, "crack*": 0.8, "snap*": 0.8,
        "rattl*": 0.8, "clank*": 0.8, "clink*": 0.8, "bang*": 1.0, "thud*": 0.8, "slam*": 0.8,
        "crunch*": 0.6, "crinkl*": 0.6, "rustl*": 0.5, "scrap*": 0.5, "percuss*": 1.0, "sharp": 0.5,
        "short": 0.4, "dry": 0.4, "rhythmic": 0.6, "transient*": 0.8, "drum*": 1.2, "stomp*": 0.8,
        "footstep*": 0.8, "wood*": 0.3, "metal*": 0.2, "gritty": 0.3, "skitter*": 0.4, "splash*": 0.4,
    },
    "bass": {
        "low": 1.0, "deep": 1.0, "rumbl*": 1.0, "boom*": 1.0, "hum*": 0.8, "drone*": 0.8, "engine*": 0.9,
        "motor*": 0.9, "purr*": 0.8, "growl*": 0.8, "heavy": 0.6, "thump*": 0.6, "vibrat*": 0.5,
        "buzz*": 0.4, "sub*": 0.5, "dull": 0.4, "large": 0.3, "big": 0.3, "bass": 1.2, "roar*": 0.7,
        "wind": 0.3, "warm": 0.2,
    },
    "guitar": {
        "pluck*": 1.2, "string*": 1.0, "twang*": 1.0, "strum*": 1.0, "wire*": 0.6, "spring*": 0.6,
        "rubber band": 0.8, "zip*": 0.4, "vibrant": 0.4, "bright": 0.3, "metallic": 0.3, "snap*": 0.2,
        "squeak*": 0.4, "creak*": 0.5, "guitar": 1.2, "mid*": 0.3, "nasal": 0.4, "tine*": 0.4,
        "plastic": 0.2, "rope*": 0.4, "cable*": 0.5, "whistl*": 0.3,
    },
    "keyboard": {
        "chim*": 1.2, "bell*": 1.2, "ring*": 1.0, "resonan*": 0.9, "tone*": 0.6, "glass*": 0.7,
        "ceramic": 0.6, "porcelain": 0.7, "sustain*": 0.8, "pure": 0.7, "sing*": 0.6, "tonal": 0.9,
        "melod*": 1.0, "pitch*": 0.6, "clear": 0.5, "shimmer*": 0.5, "crystal*": 0.7, "piano": 1.2,
        "key*": 0.8, "beep*": 0.6, "hollow": 0.4, "struck": 0.4, "bowl*": 0.5, "cup*": 0.3, "soft": 0.2,
        "airy": 0.2, "organ": 1.0, "pad": 0.5, "mellow": 0.4, "sweet": 0.4,
    },
}
PROPOSED_BONUS = 1.5  # the variant already names this role
CONFIDENCE_WEIGHT = 0.3
AMBIENCE_PENALTY = 0.8  # ambiences (rain, room tone) make weaker instruments than objects
DUPLICATE_PENALTY = 0.6  # cost of reusing a source's single variant for a second role

_WORD = re.compile(r"[a-z]+(?:\s[a-z]+)?")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def role_scores(source: SoundSource, variant: Variant) -> dict[str, float]:
    """Suitability of one variant of a source for each role (higher is better)."""
    text = " ".join([source.name, source.material, variant.play_method, *variant.timbre]).lower()
    words = _words(text)
    scores = {}
    for role in ROLES:
        s = 0.0
        for cue, w in ROLE_CUES[role].items():
            if " " in cue:
                hit = cue in text
            elif cue.endswith("*"):
                hit = any(word.startswith(cue[:-1]) for word in words)
            else:
                hit = cue in words
            if hit:
                s += w
        if variant.mapping_to_music_instrument == role:
            s += PROPOSED_BONUS
        if source.confidence is not None:
            s += CONFIDENCE_WEIGHT * source.confidence
        if source.ambience:
            s -= AMBIENCE_PENALTY
        if source.grounded is False:
            s -= 0.5
        scores[role] = s
    return scores


_ROLE_PLAY = {
    "drums": ("struck sharply", ["short", "percussive"]),
    "bass": ("struck softly and low", ["low", "warm"]),
    "guitar": ("plucked", ["plucked", "bright"]),
    "keyboard": ("struck to ring", ["resonant", "tonal"]),
}


def assign_roles(spec: SceneSpec) -> SceneSpec:
    """Return a copy of ``spec`` whose sources play drums, bass, guitar and keyboard (see module doc).

    Each role is filled at most once; a source plays at most one role unless sources are fewer than
    roles, in which case a source gives a second variant (or a re-voiced copy of its variant).
    """
    from scipy.optimize import linear_sum_assignment

    sources = [s.model_copy(deep=True) for s in spec.sound_sources]
    if not sources:
        return spec.model_copy(deep=True)
    usable = [i for i, s in enumerate(sources) if not s.ambience] or list(range(len(sources)))
    # candidate "slots": (source, variant index or -1 for a re-voiced copy, round)
    n_roles = len(ROLES)
    rounds = 1 if len(usable) >= n_roles else int(np.ceil(n_roles / len(usable)))
    slots: list[tuple[int, int, int]] = []
    for r in range(rounds):
        for i in usable:
            nv = len(sources[i].variants)
            if r < nv:
                slots.append((i, r, r))
            else:
                slots.append((i, -1, r))
    gain = np.zeros((len(slots), n_roles))
    for k, (i, v, r) in enumerate(slots):
        src = sources[i]
        if v >= 0:
            sc = role_scores(src, src.variants[v])
            # a variant other than the first, on round 0, may still be the source's best
            gain[k] = [sc[role] for role in ROLES]
        else:
            best = {role: max(role_scores(src, var)[role] for var in src.variants) for role in ROLES}
            gain[k] = [best[role] - DUPLICATE_PENALTY for role in ROLES]
        gain[k] -= r * 2.0  # second rounds only when first ones are used up
    # on round 0 also let any variant of a source compete (pick the source's best variant per role)
    best_variant: dict[tuple[int, str], int] = {}
    for k, (i, _v, r) in enumerate(slots):
        if r == 0:
            src = sources[i]
            for j, role in enumerate(ROLES):
                vals = [role_scores(src, var)[role] for var in src.variants]
                b = int(np.argmax(vals))
                best_variant[(i, role)] = b
                gain[k, j] = vals[b]
    # a source must not take two roles in the same round: slots of one round are distinct sources,
    # and across rounds the penalty prefers fresh sources. Solve as max-gain assignment.
    rows, cols = linear_sum_assignment(-gain)
    chosen: dict[int, list[tuple[str, int, int]]] = {}
    for k, j in zip(rows, cols, strict=True):
        i, v, r = slots[k]
        role = ROLES[j]
        if r == 0:
            v = best_variant[(i, role)]
        chosen.setdefault(i, []).append((role, v, r))
    # same-source, same-variant collisions across rounds -> re-voice the later one
    new_sources = []
    for i, src in enumerate(sources):
        picks = sorted(chosen.get(i, []), key=lambda t: t[2])
        variants = [var.model_copy(update={"mapping_to_music_instrument": None}) for var in src.variants]
        ordered: list[Variant] = []
        used_v: set[int] = set()
        for role, v, _r in picks:
            if v < 0 or v in used_v:
                # the variant is taken: an unused variant of the source suited to the role comes before a copy
                free = [k for k in range(len(variants)) if k not in used_v]
                if free:
                    v = max(free, key=lambda k: role_scores(src, src.variants[k])[role])
            if v >= 0 and v not in used_v:
                used_v.add(v)
                ordered.append(variants[v].model_copy(update={"mapping_to_music_instrument": role}))
            else:
                # re-voice the variant that suits this role best among those already used
                base = max((variants[k] for k in used_v), key=lambda var: role_scores(src, var)[role],
                           default=variants[0])
                play, timbre = _ROLE_PLAY[role]
                ordered.append(
                    base.model_copy(update={
                        "play_method": f"{base.play_method}, {play}",
                        "timbre": list(dict.fromkeys([*base.timbre, *timbre])),
                        "mapping_to_music_instrument": role,
                    })
                )
        rest = [var for k, var in enumerate(variants) if k not in used_v]
        new_sources.append(src.model_copy(update={"variants": ordered + rest}))
    return spec.model_copy(update={"sound_sources": new_sources})


def role_table(spec: SceneSpec) -> dict[str, tuple[int, int]]:
    """Role -> (source index, variant index) for every variant that names a role."""
    out: dict[str, tuple[int, int]] = {}
    for i, src in enumerate(spec.sound_sources):
        for k, var in enumerate(src.variants):
            r = var.mapping_to_music_instrument
            if r is not None and r not in out:
                out[r] = (i, k)
    return out
