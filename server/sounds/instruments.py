"""Musical instruments sound like themselves: a short phrase of their General MIDI program
(or the GM drum kit) from the bundled soundfont.

Each model here is registered into :data:`server.sounds.synth.MODEL_FUNCS` through :data:`MODELS`:
``name -> (keyword stems, render function)``; a render function takes a
:class:`server.sounds.synth.Ctx` and returns mono float audio of ``ctx.n`` samples.
"""

from __future__ import annotations

from collections.abc import Callable

MODELS: dict[str, tuple[tuple[str, ...], Callable]] = {}
