"""compose: mood + genre + roles -> an original multi-track General MIDI song (see ``docs/compose.md``)."""

from .classify import GenreChoice, classify_genre
from .composer import Composition, compose, compose_scene, scene_mood
from .genres import GENRE_NAMES, GENRES

__all__ = ["GENRES", "GENRE_NAMES", "Composition", "GenreChoice", "classify_genre", "compose", "compose_scene",
           "scene_mood"]
