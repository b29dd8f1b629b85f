"""Spinning machinery: fans, a projector's cooling fan, a tape or disc transport, a potter's wheel, a
compressor, each from its physics (blade-pass tones and broadband turbulence, the motor's electrical and
mechanical orders, bearings, the load on the drive).

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples. :data:`AUDIOSET`
lists, per model, the AudioSet classes it is meant to be heard as.
"""

from __future__ import annotations

from collections.abc import Callable

MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {}

# model -> AudioSet classes (display names exactly as in the ontology) it is meant to be heard as
AUDIOSET: dict[str, tuple[str, ...]] = {}
