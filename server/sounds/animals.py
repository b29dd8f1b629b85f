"""Animal calls by source-filter synthesis: an excitation with the species' pitch contour,
vibrato, roughness and noise, through formant filters of its vocal tract, in its call rhythm.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples.
"""

from __future__ import annotations

from collections.abc import Callable

MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {}
