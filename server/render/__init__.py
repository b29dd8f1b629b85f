"""MIDI file -> WAV with General MIDI soundfonts and image-made instrument sets."""

from .render import RenderSettings, SongPlayer, render_midi_file, render_song, resolve_instrument_set

__all__ = ["RenderSettings", "SongPlayer", "render_midi_file", "render_song", "resolve_instrument_set"]
