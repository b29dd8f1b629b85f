"""MIDI file -> WAV with General MIDI soundfonts and image-made instrument sets.

The names below are imported on first use (:mod:`.render`, :mod:`server.midi.song`), so ``wave --help``
does not load numpy for them.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__all__ = ["RenderResult", "RenderSettings", "apply_roles", "open_source", "render_midi_file",
           "render_song", "render_song_to_file", "resolve_instrument_set"]

__getattr__ = lazy_exports(__name__, {**{name: ".render" for name in __all__ if name != "apply_roles"},
                                      "apply_roles": "..midi.song"})
