"""Text prompts for the diffusion backends, in the seed project's structure.

Scene and mood context first, then the source (name, material, play method, timbre), then the
instruction that it is a natural sound and not music and that it fits the mood. The negative prompt
steers away from music and low quality.
"""

from __future__ import annotations

NEGATIVE_PROMPT = (
    "music, melody, musical instrument, song, singing, speech, beat, low quality, distorted, clipping, "
    "noise artifacts, muffled, low bitrate"
)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()).strip().rstrip(".")


def build_prompt(scene_description: str, mood_description: str, name: str, material: str = "",
                 play_method: str = "", timbre: list[str] | tuple[str, ...] = ()) -> str:
    """One sound-effect prompt for one source variant."""
    parts = []
    scene = _clean(scene_description)
    mood = _clean(mood_description)
    if scene:
        parts.append(f"Scene: {scene}.")
    if mood:
        parts.append(f"Mood: {mood}.")
    what = f"The sound of {_clean(name)}"
    if material:
        what += f" made of {_clean(material)}"
    if play_method:
        what += f", {_clean(play_method)}"
    parts.append(what + ".")
    words = [_clean(w) for w in timbre if _clean(w)]
    if words:
        parts.append(f"Timbre: {', '.join(words)}.")
    parts.append("A natural, realistic sound effect recorded on location, not music, no melody, no instruments.")
    if mood:
        parts.append(f"Consistent with a {mood.lower()} atmosphere.")
    return " ".join(parts)


def source_prompt(spec, source, variant: int = 0) -> str:
    """Prompt for ``source`` (a :class:`server.scene.SoundSource`) of ``spec`` (a SceneSpec)."""
    v = source.variants[min(variant, len(source.variants) - 1)]
    return build_prompt(spec.scene_description, spec.mood_description, source.name, source.material,
                        v.play_method, v.timbre)
