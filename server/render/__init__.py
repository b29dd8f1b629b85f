"""MIDI file -> WAV with General MIDI soundfonts and image-made instrument sets."""

from ..midi.song import apply_roles
from .render import (
    RenderResult,
    RenderSettings,
    open_source,
    render_midi_file,
    render_song,
    render_song_to_file,
    resolve_instrument_set,
)

__all__ = ["RenderResult", "RenderSettings", "apply_roles", "open_source", "render_midi_file",
           "render_song", "render_song_to_file", "resolve_instrument_set"]
