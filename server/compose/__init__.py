"""compose: mood + genre + roles -> an original multi-track General MIDI song (see ``docs/compose.md``).

The public names are imported on first use (PEP 562): ``wave --help`` does not load numpy and
music21 for them.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "GenreChoice": ".classify", "classify_genre": ".classify",
    "Composition": ".composer", "compose": ".composer", "compose_scene": ".composer", "scene_mood": ".composer",
    "GENRES": ".genres", "GENRE_NAMES": ".genres",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
