"""Sounds stage: scene -> one sound effect per source (builtin synthesiser, AudioLDM2, AudioLDM) + stereo scene."""

from __future__ import annotations

from .generate import render_sounds
from .mix import integrated_loudness, mix_scene, place_sources
from .synth import SourceDescription, synthesize

__all__ = ["SourceDescription", "integrated_loudness", "mix_scene", "place_sources", "render_sounds", "synthesize"]
