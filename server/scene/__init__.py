"""Scene stage: image -> audio-oriented :class:`SceneSpec` (scene, mood, sound sources, roles)."""

from __future__ import annotations

from .spec import Mood, Role, SceneSpec, SoundSource, Variant

__all__ = ["Mood", "Role", "SceneSpec", "SoundSource", "Variant"]
