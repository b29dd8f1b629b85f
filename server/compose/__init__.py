"""compose: mood + genre + roles -> an original multi-track General MIDI song (see ``docs/compose.md``).

The public names are imported on first use (PEP 562): ``wave --help`` does not load numpy and
music21 for them.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "GenreChoice": ".classify", "classify_genre": ".classify",
    "Composition": ".composer", "compose": ".composer", "compose_scene": ".composer", "scene_mood": ".composer",
    "GENRES": ".genres", "GENRE_NAMES": ".genres",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value
    return value
