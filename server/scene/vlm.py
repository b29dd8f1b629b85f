"""Language-model backends: Qwen2.5-VL (``qwen2.5-vl``) and BLIP captions (``blip``), via transformers.

The VLM gets the seed's audio-oriented prompt (backward design: the text is written for the sound
generator, not as a caption): scene and mood first, then sound-producing objects with material, play
method, timbre and a role, with a few-shot example. Its output is parsed by :func:`parse_scene_text`,
which repairs the usual damage (code fences, prose around the JSON, single quotes, trailing commas,
Python literals, a truncated tail, a list of sources without the wrapper) and validates against the
schema; when nothing can be repaired the backend retries, a bounded number of times.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError, MissingDependencyError
from .spec import ROLES, SceneSpec, normalise_role

log = logging.getLogger(__name__)

DEFAULT_VLM = "Qwen/Qwen2.5-VL-7B-Instruct"
DEFAULT_BLIP = "Salesforce/blip-image-captioning-large"

# Visual-token budget of one photo for Qwen2.5-VL. Each visual token covers a 28x28-pixel square (14-pixel
# patches merged 2x2), so the image processor resizes a photo to at most MAX_VISUAL_TOKENS * 784 pixels
# (1280 tokens ~ 1 megapixel: Qwen's own recommended upper setting) and at least MIN_VISUAL_TOKENS * 784.
# The checkpoint's preprocessor_config.json allows 12845056 pixels (16384 tokens): a 12-megapixel photo would
# become ~15,300 visual tokens, minutes of prefill and many GB of attention memory for no better scene.
MAX_VISUAL_TOKENS = 1280
MIN_VISUAL_TOKENS = 256

FEW_SHOT = {
    "scene_description": "A shaded veranda with potted plants, wooden shutters and a hanging paper lantern.",
    "mood_description": "calm, sun-dappled, contemplative",
    "sound_sources": [
        {"name": "paper lantern", "material": "paper with frame",
         "variants": [{"play_method": "gentle crinkle in the breeze", "timbre": ["soft", "papery"],
                       "mapping_to_music_instrument": "drums"}]},
        {"name": "wooden shutters", "material": "painted wood and metal hinges",
         "variants": [{"play_method": "hinge creak", "timbre": ["creaky", "dry"],
                       "mapping_to_music_instrument": "guitar"}]},
    ],
}

PROMPT = (
    "You describe a photograph for a sound designer who will generate its sounds and build musical "
    "instruments from them. Write for the sound generator, not as a caption.\n"
    "1. scene_description: one sentence on the place, time of day and weather.\n"
    "2. mood_description: three mood words.\n"
    "3. sound_sources: only objects you can actually see that can make a sound (and ambience such as wind, "
    "rain or water if visible). For each: name, material, and variants with play_method (how it is made to "
    "sound), timbre (2-4 adjectives) and mapping_to_music_instrument: one of drums, bass, guitar, keyboard, "
    "or null if it suits none.\n"
    "Answer with JSON only, in exactly this form:\n" + json.dumps(FEW_SHOT)
)


# ---- parsing and repair ---------------------------------------------------------------------------
def _extract_json_block(text: str) -> str:
    fence = re.search(r"```(?:json)?\s*(.*?)(?:```|$)", text, re.S)
    if fence and "{" in fence.group(1):
        text = fence.group(1)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        raise ValueError("no JSON object in the output")
    text = text[min(starts):]
    # cut after the matching close bracket if there is one
    depth = 0
    for i, ch in _structural_chars(text):
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[: i + 1]
    return text


def _structural_chars(text: str):
    """Yield ``(index, char)`` for the characters outside JSON strings, and the quote characters.

    A double quote that opens or closes a string is yielded too (as ``'"'``), so callers can tell
    whether the text ends inside a string; escaped quotes inside strings are not.
    """
    in_str, esc = False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
                yield i, ch
            continue
        if ch == '"':
            in_str = True
        yield i, ch


def _close_truncated(text: str) -> str:
    """Close strings and brackets left open by a generation cut at max_new_tokens."""
    stack, in_str = [], False
    for _, ch in _structural_chars(text):
        if ch == '"':
            in_str = not in_str
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    out = text + ('"' if in_str else "")
    out = re.sub(r",\s*$", "", out.rstrip())
    out = re.sub(r':\s*$', ": null", out)
    out = re.sub(r',\s*"[^"]*"\s*$', "", out)  # a dangling key with no value
    return out + "".join(reversed(stack))


def _repair(text: str) -> str:
    t = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    t = re.sub(r"//[^\n]*", "", t)
    # single-quoted strings -> double-quoted (only when no double quotes are used for keys)
    if not re.search(r'"\s*:', t) and "'" in t:
        t = re.sub(r"'([^'\\]*(?:\\.[^'\\]*)*)'", lambda m: json.dumps(m.group(1)), t)
    t = re.sub(r"\bNone\b", "null", t)
    t = re.sub(r"\bTrue\b", "true", t)
    t = re.sub(r"\bFalse\b", "false", t)
    t = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*:)", r'\1"\2"\3', t)  # unquoted keys
    t = _close_truncated(t)
    t = re.sub(r",\s*([}\]])", r"\1", t)  # trailing commas
    return t


def _coerce(data: Any) -> Any:
    """Shape fixes on parsed data: wrapper missing, timbre as a string, a role key misnamed, extra keys."""
    if isinstance(data, list):
        data = {"scene_description": "", "mood_description": "", "sound_sources": data}
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if "sound_sources" not in data:
        for alt in ("sources", "objects", "sound_objects", "soundSources"):
            if alt in data:
                data["sound_sources"] = data.pop(alt)
    data.setdefault("scene_description", "")
    data.setdefault("mood_description", "")
    if isinstance(data.get("mood_description"), list):
        data["mood_description"] = ", ".join(map(str, data["mood_description"]))
    allowed_top = {"scene_description", "mood_description", "sound_sources", "mood"}
    data = {k: v for k, v in data.items() if k in allowed_top}
    srcs = data.get("sound_sources")
    if isinstance(srcs, list):
        fixed = []
        for s in srcs:
            if isinstance(s, str):
                s = {"name": s}
            if not isinstance(s, dict):
                continue
            s = dict(s)
            s.setdefault("material", "")
            variants = s.get("variants")
            if not variants:
                v = {k: s.pop(k) for k in ("play_method", "timbre", "mapping_to_music_instrument") if k in s}
                v.setdefault("play_method", f"{s.get('name', 'object')} sounding")
                variants = [v]
            vs = []
            for v in variants if isinstance(variants, list) else [variants]:
                if not isinstance(v, dict):
                    continue
                v = dict(v)
                for alt in ("role", "instrument", "mapping"):
                    if alt in v and "mapping_to_music_instrument" not in v:
                        v["mapping_to_music_instrument"] = v.pop(alt)
                role = normalise_role(v.get("mapping_to_music_instrument"))
                if "mapping_to_music_instrument" in v:
                    v["mapping_to_music_instrument"] = role if role in ROLES else None  # truncated or unknown
                if isinstance(v.get("timbre"), str):
                    v["timbre"] = [w.strip() for w in re.split(r"[,;/]", v["timbre"]) if w.strip()]
                v.setdefault("timbre", [])
                v.setdefault("play_method", f"{s.get('name', 'object')} sounding")
                vs.append({k: v[k] for k in ("play_method", "timbre", "mapping_to_music_instrument") if k in v})
            s["variants"] = vs
            keep = {"name", "material", "variants", "box", "depth", "confidence", "grounded", "ambience"}
            fixed.append({k: val for k, val in s.items() if k in keep})
        data["sound_sources"] = fixed
    return data


def parse_scene_text(text: str) -> SceneSpec:
    """Parse a model's answer into a SceneSpec, repairing common damage; InputError when hopeless."""
    try:
        block = _extract_json_block(text)
    except ValueError as exc:
        raise InputError(f"model output: {exc}: {text[:120]!r}") from None
    data = None
    for candidate in (block, _repair(block)):
        try:
            data = json.loads(candidate)
            break
        except json.JSONDecodeError:
            continue
    if data is None:
        raise InputError(f"model output is not valid JSON even after repair: {block[:120]!r}")
    spec = SceneSpec.from_data(_coerce(data), source="model output")
    if not spec.sound_sources:
        raise InputError("model output lists no sound sources")
    return spec


# ---- devices ----------------------------------------------------------------------------------------
def auto_device_dtype(device: str | None = None, dtype: str | None = None, model: str = "qwen2.5-vl"):
    """``(device, torch dtype)`` for scene model ``model`` (a registry name: ``qwen2.5-vl`` or ``blip``).

    Device None or ``auto``: ``WAVE_DEVICE`` when set, else CUDA, then MPS, else the CPU. Dtype None: the
    registry's (:func:`server.models.registry.dtype_on`: bfloat16 on CUDA, float16 on MPS, float32 on the
    CPU), float16 on a CUDA GPU without bfloat16 support."""
    import torch

    from ..models.cache import default_device
    from ..models.registry import dtype_on

    if device is None or device == "auto":
        device = default_device()
    if device is None:
        device = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    if dtype is None:
        name = dtype_on(model, device)
        if name == "bfloat16" and device.startswith("cuda") and not torch.cuda.is_bf16_supported():
            name = "float16"
        tdtype = getattr(torch, name)
    else:
        tdtype = getattr(torch, str(dtype), None)
        if not isinstance(tdtype, torch.dtype) or dtype not in ("float32", "float16", "bfloat16"):
            raise ConfigError(f"unknown dtype {dtype!r}; use float32, float16 or bfloat16")
    return device, tdtype


def _require_transformers() -> None:
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "this backend needs transformers: pip install 'wave-server[models]' (or use --backend builtin)"
        ) from None


# ---- Qwen2.5-VL -------------------------------------------------------------------------------------------
def set_pixel_budget(image_processor: Any, max_tokens: int = MAX_VISUAL_TOKENS,
                     min_tokens: int = MIN_VISUAL_TOKENS) -> tuple[int, int]:
    """Bound the pixels a Qwen2-VL-family image processor keeps so one image costs at most ``max_tokens``
    (and at least ``min_tokens``) visual tokens; returns ``(min_pixels, max_pixels)``."""
    if not (isinstance(max_tokens, int) and isinstance(min_tokens, int) and 4 <= min_tokens <= max_tokens <= 16384):
        raise ConfigError(f"visual token budget min={min_tokens!r}, max={max_tokens!r} is out of range; "
                          f"use 4 <= min <= max <= 16384 (default {MIN_VISUAL_TOKENS}..{MAX_VISUAL_TOKENS})")
    unit = (int(image_processor.patch_size) * int(image_processor.merge_size)) ** 2
    min_pixels, max_pixels = min_tokens * unit, max_tokens * unit
    image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    for name, value in (("min_pixels", min_pixels), ("max_pixels", max_pixels)):
        if getattr(image_processor, name, None) is not None:  # older releases keep them as attributes too
            setattr(image_processor, name, value)
    return min_pixels, max_pixels


def load_qwen(model: str | Path = DEFAULT_VLM, *, device: str | None = None, dtype: str | None = None,
              max_visual_tokens: int = MAX_VISUAL_TOKENS, min_visual_tokens: int = MIN_VISUAL_TOKENS):
    """(model, processor) for a Qwen2.5-VL checkpoint by hub id or local folder.

    bf16 on GPUs that have it (fp16 on others), fp32 on the CPU; loaded once per process (model cache keyed
    by checkpoint, device and dtype); images bounded to ``max_visual_tokens`` visual tokens.
    """
    _require_transformers()
    from ..models.cache import ModelKey, default_cache

    dev, tdtype = auto_device_dtype(device, dtype, "qwen2.5-vl")
    key = ModelKey("qwen2.5-vl", str(model), dev, str(tdtype).removeprefix("torch."))
    net, proc = default_cache().get(key, lambda: _load_qwen(model, dev, tdtype))
    set_pixel_budget(proc.image_processor, max_visual_tokens, min_visual_tokens)
    return net, proc


def _load_qwen(model: str | Path, dev: str, tdtype: Any) -> tuple[Any, Any]:
    from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

    try:
        net = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(model), dtype=tdtype)
        try:
            proc = AutoProcessor.from_pretrained(str(model))
        except (ImportError, AttributeError, ValueError) as exc:  # no torchvision: no video processor
            log.info("AutoProcessor failed (%s); using the PIL image processor without video support", exc)
            proc = qwen_processor_pil(str(model))
    except OSError as exc:
        raise MissingDependencyError(
            f"cannot load VLM {model!r}: {exc}. Download it once (wave models fetch qwen2.5-vl, or "
            f"huggingface-cli download {DEFAULT_VLM}) and pass its folder with --model, or use --backend builtin"
        ) from None
    return net.to(dev).eval(), proc


def qwen_processor_pil(model: str | Path | None = None, *, tokenizer: Any = None, image_processor: Any = None,
                       chat_template: str | None = None) -> Any:
    """A Qwen2.5-VL processor built on ``Qwen2VLImageProcessorPil``, for installs without torchvision.

    transformers' processor insists on a video processor class (which needs torchvision); images alone
    need none, so a private subclass skips the class check for that one attribute (nothing is patched
    process-wide).
    """
    from transformers import AutoTokenizer, Qwen2VLImageProcessorPil

    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(str(model))
    if image_processor is None:
        image_processor = (Qwen2VLImageProcessorPil.from_pretrained(str(model)) if model is not None
                           else Qwen2VLImageProcessorPil())
    if chat_template is None:
        chat_template = getattr(tokenizer, "chat_template", None)
    return _image_only_processor_class()(image_processor=image_processor, tokenizer=tokenizer,
                                         video_processor=None, chat_template=chat_template)


_IMAGE_ONLY: Any = None


def _image_only_processor_class() -> Any:
    global _IMAGE_ONLY
    if _IMAGE_ONLY is None:
        from transformers import Qwen2_5_VLProcessor

        class Qwen2_5_VLImageOnlyProcessor(Qwen2_5_VLProcessor):
            """Qwen2.5-VL processor for images only: no video processor (which needs torchvision)."""

            def check_argument_for_proper_class(self, argument_name, argument):
                if argument_name == "video_processor" and argument is None:
                    return None
                return super().check_argument_for_proper_class(argument_name, argument)

        _IMAGE_ONLY = Qwen2_5_VLImageOnlyProcessor
    return _IMAGE_ONLY


def qwen_generate(rgb: np.ndarray, net: Any, processor: Any, *, prompt: str = PROMPT, max_new_tokens: int = 768,
                  do_sample: bool = False, temperature: float = 0.7) -> str:
    """One generation: chat template with the image, greedy (or sampled on retries) decoding."""
    import torch
    from PIL import Image

    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    inputs = processor(text=[text], images=[Image.fromarray(rgb)], return_tensors="pt")
    inputs = inputs.to(net.device)
    kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": do_sample}
    if do_sample:
        kwargs["temperature"] = temperature
    with torch.inference_mode():
        out = net.generate(**inputs, **kwargs)
    new = out[:, inputs["input_ids"].shape[1]:]
    return processor.batch_decode(new, skip_special_tokens=True)[0]


def qwen_scene(rgb: np.ndarray, net: Any, processor: Any, *, retries: int = 2, **gen) -> tuple[SceneSpec, list[str]]:
    """Generate and parse, retrying (sampled) up to ``retries`` times; returns the spec and raw outputs."""
    outputs: list[str] = []
    last: InputError | None = None
    for attempt in range(retries + 1):
        raw = qwen_generate(rgb, net, processor, do_sample=attempt > 0, **gen)
        outputs.append(raw)
        try:
            return parse_scene_text(raw), outputs
        except InputError as exc:
            log.warning("VLM attempt %d/%d gave unusable output: %s", attempt + 1, retries + 1, exc)
            last = exc
    raise InputError(f"the VLM gave no valid scene after {retries + 1} attempts; last problem: {last}")


# ---- BLIP captions --------------------------------------------------------------------------------------------
def load_blip(model: str | Path = DEFAULT_BLIP, *, device: str | None = None, dtype: str | None = None):
    _require_transformers()

    from ..models.cache import ModelKey, default_cache

    dev, tdtype = auto_device_dtype(device, dtype, "blip")
    key = ModelKey("blip", str(model), dev, str(tdtype).removeprefix("torch."))
    return default_cache().get(key, lambda: _load_blip(model, dev, tdtype))


def _load_blip(model: str | Path, dev: str, tdtype: Any) -> tuple[Any, Any]:
    from transformers import BlipForConditionalGeneration, BlipProcessor

    try:
        net = BlipForConditionalGeneration.from_pretrained(str(model), dtype=tdtype)
        proc = BlipProcessor.from_pretrained(str(model))
    except OSError as exc:
        raise MissingDependencyError(
            f"cannot load captioner {model!r}: {exc}. Download it once and pass its folder with --model, "
            "or use --backend builtin"
        ) from None
    return net.to(dev).eval(), proc


def blip_captions(rgb: np.ndarray, net: Any, processor: Any, *, n: int = 3, max_new_tokens: int = 30) -> list[str]:
    """Captions: one unconditional, plus ones prompted towards objects and sounds (the IMMU seed's path)."""
    import torch
    from PIL import Image

    img = Image.fromarray(rgb)
    prompts = [None, "a photograph of", "the objects in this picture are"][:max(1, n)]
    caps = []
    for p in prompts:
        inputs = processor(images=img, text=p, return_tensors="pt") if p else processor(images=img, return_tensors="pt")
        inputs = inputs.to(net.device)
        with torch.inference_mode():
            out = net.generate(**inputs, max_new_tokens=max_new_tokens)
        caps.append(processor.decode(out[0], skip_special_tokens=True).strip())
    return caps


def captions_to_scene(captions: list[str]) -> SceneSpec:
    """Sources from the sound-table objects the captions name (plus ambience words), scene from the captions."""
    from .builtin import _source
    from .labels import ALIASES, SILENT, SOUND_TABLE, sound_for_label
    from .spec import SoundSource, Variant

    text = " ".join(captions).lower()
    names = sorted(set(SOUND_TABLE) | set(ALIASES), key=len, reverse=True)
    found: list[str] = []
    for key in names:
        if key in SILENT:
            continue
        if re.search(rf"\b{re.escape(key)}s?\b", text):
            entry = sound_for_label(key)
            if entry is not None and entry.name not in found:
                found.append(entry.name)
                text = re.sub(rf"\b{re.escape(key)}s?\b", " ", text)
    sources = []
    for name in found:
        entry = next(e for e in [*SOUND_TABLE.values(), *map(sound_for_label, found)] if e and e.name == name)
        sources.append(_source(entry))
    amb = {"rain": ("rain", "water drops", "rain falling"), "wind": ("wind", "moving air", "wind blowing"),
           "beach": ("waves", "sea water", "waves breaking on the shore"), "river": ("water", "river", "water flowing"),
           "forest": ("leaves", "foliage", "leaves rustling"), "street": ("traffic", "distant cars", "traffic hum"),
           "city": ("traffic", "distant cars", "traffic hum")}
    joined = " ".join(captions).lower()
    for word, (name, material, play) in amb.items():
        if re.search(rf"\b{word}\b", joined) and all(s.name != name for s in sources):
            sources.append(SoundSource(name=name, material=material, ambience=True,
                                       variants=[Variant(play_method=play, timbre=["ambient", "soft"])]))
    desc = captions[0] if captions and captions[0] else "an image"
    return SceneSpec(scene_description=desc[:1].upper() + desc[1:], mood_description="", sound_sources=sources)
