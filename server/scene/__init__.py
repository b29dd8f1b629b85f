"""Scene stage: image -> audio-oriented :class:`SceneSpec` (scene, mood, sound sources, roles).

``read_scene(image, backend=..., detector=...)`` is the one entry point; see ``docs/scene.md``.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_exports
from ..errors import ConfigError

if TYPE_CHECKING:
    from .spec import SceneSpec

__all__ = ["BACKENDS", "Mood", "Role", "SceneSpec", "SoundSource", "Variant", "assign_roles", "read_scene"]

# imported on first use (PEP 562): `wave --help` does not load pydantic for them
_LAZY = {"assign_roles": ".roles", "Mood": ".spec", "Role": ".spec", "SceneSpec": ".spec", "SoundSource": ".spec",
         "Variant": ".spec"}

__getattr__ = lazy_exports(__name__, _LAZY)

BACKENDS = ("builtin", "qwen2.5-vl", "blip")
log = logging.getLogger(__name__)


def read_scene(
    image_path: str | os.PathLike[str],
    *,
    backend: str = "builtin",
    detector: str = "builtin",
    **options: Any,
) -> SceneSpec:
    """Read an image into a SceneSpec with roles assigned.

    Options: ``threshold`` (detector score, 0.4), ``detector_model`` (YOLO/DETR/OWL-ViT weights),
    ``classifier`` (True: the ImageNet classifier adds evidence), ``guard`` ("flag" | "drop" | "off",
    hallucination guard for model backends), ``model`` (VLM/BLIP hub id, local folder, or a loaded
    model), ``processor`` (with a loaded model), ``device``, ``dtype``, ``retries`` (2),
    ``max_new_tokens``, ``roles`` (True: assign roles automatically).
    """
    from .builtin import builtin_scene, gather_evidence, ground
    from .cues import mood_from_cues, mood_words
    from .image import load_image

    if backend not in BACKENDS:
        raise ConfigError(f"unknown scene backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    rgb = load_image(image_path)
    det_opts = {k: options[k] for k in ("threshold",) if k in options}
    if "detector_model" in options:
        det_opts["model"] = options["detector_model"]
    ev = gather_evidence(rgb, detector=detector, classifier=options.get("classifier", True), **det_opts)
    if backend == "builtin":
        spec = builtin_scene(ev)
    else:
        from . import vlm

        model = options.get("model")
        processor = options.get("processor")
        dev = {"device": options.get("device"), "dtype": options.get("dtype")}
        if backend == "qwen2.5-vl":
            if model is None or isinstance(model, (str, os.PathLike)):
                model, processor = vlm.load_qwen(model or vlm.DEFAULT_VLM, **dev)
            gen = {k: options[k] for k in ("max_new_tokens",) if k in options}
            spec, _raw = vlm.qwen_scene(rgb, model, processor, retries=options.get("retries", 2), **gen)
        else:
            if model is None or isinstance(model, (str, os.PathLike)):
                model, processor = vlm.load_blip(model or vlm.DEFAULT_BLIP, **dev)
            captions = vlm.blip_captions(rgb, model, processor)
            log.info("captions: %s", captions)
            spec = vlm.captions_to_scene(captions)
        spec = ground(spec, ev, guard=options.get("guard", "flag"))
        if not spec.sound_sources:
            log.warning("%s backend gave no usable source; using the builtin scene's sources", backend)
            spec = spec.model_copy(update={"sound_sources": builtin_scene(ev).sound_sources})
        if ev.cues is not None and spec.mood is None:
            mood = mood_from_cues(ev.cues)
            update: dict[str, Any] = {"mood": mood}
            if not spec.mood_description:
                update["mood_description"] = mood_words(mood)
            spec = spec.model_copy(update=update)
    if options.get("roles", True):
        from .roles import assign_roles

        spec = assign_roles(spec)
    return spec
