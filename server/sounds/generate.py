"""Scene -> sound effects: one mono WAV per source, the stereo scene, and a manifest, written atomically.

Layout of the output folder ``DIR``::

    DIR/sources/NN_<slug>.wav   mono, one per sound source (NN from 01, in scene order)
    DIR/scene.wav               stereo mix placed by the sources' boxes
    DIR/manifest.json           backend, seed, prompts, candidate scores, timings, placements
                                (library backend: which recording each source used and why)

The folder is built beside ``DIR`` and renamed into place only when everything succeeded, so an
interrupted run leaves no half-written results (and an older ``DIR`` stays intact until then).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..audio.io import write_audio
from ..errors import ConfigError, InputError
from ..paths import atomic_dir, check_output
from . import mix as mixmod
from .prompt import NEGATIVE_PROMPT, source_prompt
from .synth import SourceDescription, check_seconds, source_seed, synthesize

log = logging.getLogger(__name__)

BACKEND_NAMES = ("builtin", "audioldm2", "audioldm", "v2a")
MODEL_BACKENDS = ("audioldm2", "audioldm", "v2a")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
LIBRARY_PREFIX = "library:"
MANIFEST_VERSION = 1
MAX_SOURCES = 64


def slugify(name: str, max_len: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return (slug[:max_len].rstrip("_")) or "source"


def _resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out:
        return audio
    from ..audio.resample import resample

    return resample(np.asarray(audio, np.float32), sr_in, sr_out)


def parse_backend(backend: str) -> tuple[str, Path | None]:
    """``'builtin'`` -> ``('builtin', None)``; ``'library:~/sounds'`` -> ``('library', Path('~/sounds'))``."""
    if isinstance(backend, str) and backend.startswith(LIBRARY_PREFIX):
        folder = backend[len(LIBRARY_PREFIX):].strip()
        if not folder:
            raise ConfigError("the library backend needs a folder: library:DIR, e.g. library:~/sounds")
        return "library", Path(folder).expanduser()
    if backend not in BACKEND_NAMES:
        raise ConfigError(f"unknown sounds backend {backend!r}; use one of: {', '.join(BACKEND_NAMES)}, "
                          "or library:DIR for a folder of your own recordings")
    return backend, None


def _synth_entry(choice: Any) -> dict:
    return {"model": choice.model, "material": choice.material, "material_known": choice.material_known,
            "model_scores": choice.scores, "timbre_words": list(choice.timbre_used),
            "params": {k: round(v, 4) for k, v in vars(choice.params).items()}}


def render_sounds(spec: Any, out_dir: str | os.PathLike[str], *, backend: str = "builtin",
                  candidates: int | None = None, seed: int = 0, seconds: float = 5.0,
                  sample_rate: int = 48000, pan_law: str = "equal-power", generator: Any = None,
                  progress: bool | None = None, source_label: str | None = None, library: Any = None,
                  image: str | os.PathLike[str] | None = None, models: Any = None, cache: Any = None) -> dict:
    """Render every sound source of ``spec`` (a :class:`server.scene.SceneSpec`) into ``out_dir``.

    ``backend`` is ``builtin``, a model (``audioldm2``, ``audioldm``, ``v2a``) or ``library:DIR`` (the user's
    own recordings, :mod:`server.sounds.library`). ``generator`` is a ready
    :class:`server.sounds.diffusion.DiffusionGenerator` (or :class:`server.sounds.v2a.V2ASources`) for the
    model backends; when omitted one is built from ``models`` (a :class:`server.models.options.ModelOptions`:
    device and checkpoints; default: the process's, :func:`server.models.options.current_options`) through
    ``cache`` (default: the process's model cache, so every call of a process shares one loaded model).
    ``v2a`` hears each source from its box of the picture: ``image``, the photo the scene was read from
    (required for v2a; ``wave make`` and ``wave sounds`` pass it). ``source_label`` only names the input in
    the manifest (``"input"``). ``library`` is a ready
    :class:`server.sounds.library.SoundLibrary` (indexed on demand when omitted). Returns the manifest (also
    written to disk).
    """
    kind, library_dir = parse_backend(backend)
    seconds = check_seconds(seconds)
    if pan_law not in mixmod.PAN_LAWS:
        raise ConfigError(f"unknown pan law {pan_law!r}; use one of: {', '.join(mixmod.PAN_LAWS)}")
    sources = list(spec.sound_sources)
    if not sources:
        raise InputError(
            "the scene has no sound sources, so there is nothing to render; add at least one entry to "
            "'sound_sources' (name, material, variants)"
        )
    if len(sources) > MAX_SOURCES:
        raise InputError(f"the scene has {len(sources)} sound sources; at most {MAX_SOURCES} are rendered at once")
    if candidates is not None and not 1 <= int(candidates) <= 16:
        raise ConfigError(f"candidates={candidates!r} is out of range; use 1 to 16")
    check_output(out_dir, kind="folder")
    if progress is None:
        progress = sys.stderr.isatty()
    if kind == "library" and library is None:
        from .library import SoundLibrary

        library = SoundLibrary(library_dir, progress=progress)
    if kind in MODEL_BACKENDS and generator is None:
        generator = build_generator(kind, models, cache=cache, progress=progress,
                                    image=image)
    used_files: set[str] = set()

    from tqdm import tqdm

    mono: list[np.ndarray] = []
    entries: list[dict] = []
    t_all = time.perf_counter()
    for i, src in enumerate(tqdm(sources, desc="sounds", unit="source", disable=not progress, file=sys.stderr)):
        desc = SourceDescription.from_source(src)
        prompt = source_prompt(spec, src)
        sseed = source_seed(seed, desc)
        t0 = time.perf_counter()
        entry: dict[str, Any] = {
            "index": i + 1, "name": src.name, "material": src.material,
            "play_method": desc.play_method, "timbre": list(desc.timbre),
            "role": src.variants[0].mapping_to_music_instrument if src.variants else None,
            "seed": sseed, "prompt": prompt,
        }
        if kind == "builtin":
            audio, choice = synthesize(desc, seconds, seed=seed, sample_rate=sample_rate)
            entry["synth"] = _synth_entry(choice)
            entry["candidates"] = [{"rank": 0, "clap_score": None}]
        elif kind == "library":
            audio, record = library.render(desc, seconds, sample_rate, used=used_files, candidates=candidates or 3)
            if audio is None:
                log.warning("%s: %s; synthesising it instead", src.name, record["why"])
                audio, choice = synthesize(desc, seconds, seed=seed, sample_rate=sample_rate)
                entry["synth"] = _synth_entry(choice)
                record["fallback"] = "builtin"
            else:
                used_files.add(record["file"])
            entry["library"] = record
            entry["candidates"] = record["candidates"]
        else:
            from .diffusion import source_core_prompt

            entry["negative_prompt"] = NEGATIVE_PROMPT
            entry["rank_prompt"] = source_core_prompt(src)  # CLAP ranks against the source itself
            extra: dict[str, Any] = {}
            if getattr(generator, "backend", None) == "v2a":  # heard from the picture, no text step
                extra["source"] = src
                entry["picture"] = generator.describe(src)
                entry.pop("rank_prompt")
            audio, sr, cands = generator.generate(prompt, NEGATIVE_PROMPT, seconds, candidates=candidates, seed=sseed,
                                                  rank_prompt=entry.get("rank_prompt"), **extra)
            audio = _resample(np.asarray(audio, np.float32), sr, sample_rate)
            entry["model_id"] = generator.model_id
            entry["model_sample_rate"] = sr
            entry["candidates"] = cands
        audio = np.nan_to_num(np.asarray(audio, np.float32).reshape(-1))
        peak = float(np.abs(audio).max()) if audio.size else 0.0
        if peak > 10 ** (-1 / 20):
            audio = audio * (10 ** (-1 / 20) / peak)
        entry["seconds_taken"] = round(time.perf_counter() - t0, 4)
        entry["file"] = f"sources/{i + 1:02d}_{slugify(src.name)}.wav"
        entry["loudness_lufs"] = round(mixmod.integrated_loudness(audio, sample_rate), 2) if peak > 0 else None
        mono.append(audio)
        entries.append(entry)
    placements = mixmod.place_sources(sources, pan_law)
    scene, summary = mixmod.mix_scene(mono, placements, sample_rate)
    for e, pl in zip(entries, placements, strict=True):
        e["placement"] = pl.to_dict()
    manifest = {
        "version": MANIFEST_VERSION,
        "input": source_label,
        "backend": kind,
        "seed": int(seed),
        "seconds": seconds,
        "sample_rate": int(sample_rate),
        "pan_law": pan_law,
        "scene_description": spec.scene_description,
        "mood_description": spec.mood_description,
        "scene_file": "scene.wav",
        "mix": summary,
        "seconds_taken": round(time.perf_counter() - t_all, 3),
        "sources": entries,
    }
    if kind == "library":
        manifest["library"] = {"root": str(library.root), "index": dict(library.stats),
                               "match_method": library.text_index.method}
    elif kind != "builtin":
        manifest["model"] = {"id": generator.model_id, "steps": generator.steps, "guidance": generator.guidance,
                             "scheduler": generator.scheduler, **model_info(generator)}
    with atomic_dir(out_dir) as tmp:
        (tmp / "sources").mkdir()
        for e, audio in zip(entries, mono, strict=True):
            write_audio(tmp / e["file"], audio[None, :], sample_rate, fmt="24")
        write_audio(tmp / "scene.wav", scene, sample_rate, fmt="24")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    log.info("wrote %d sources and scene.wav to %s in %.2f s", len(entries), out_dir, manifest["seconds_taken"])
    return manifest


def check_model_backend(kind: str, models: Any = None, image: Any = None) -> Any:
    """The ModelOptions for model backend ``kind`` (``models``: ModelOptions, a dict of them, or None for the
    process's), checked before any work: the device's name, and for v2a the mapper file and the picture."""
    from ..models.options import ModelOptions, current_options, resolve_device

    if models is None:
        models = current_options()
    elif isinstance(models, dict):
        models = ModelOptions.from_dict(models)
    resolve_device(models.device)  # a GPU asked for on a machine without one
    if kind == "v2a":
        models.mapper_path()  # a missing or unset mapper fails first, before the picture and any model
        if image is None:
            raise InputError("the v2a backend hears each source from the picture: give the scene's image "
                             "(wave sounds scene.json --image PHOTO.jpg; wave make passes it itself)")
    return models


def build_generator(kind: str, models: Any = None, *, cache: Any = None, progress: bool = False,
                    image: str | os.PathLike[str] | None = None, steps: int | None = None,
                    guidance: float | None = None, scheduler: str | None = None, offload: bool = False) -> Any:
    """The generator of model backend ``kind`` built from ``models`` (ModelOptions; default: the process's),
    its models loaded through the model cache. ``v2a`` needs ``image``: the picture the scene was read from."""
    models = check_model_backend(kind, models, image)
    if kind == "v2a":
        from ..scene.image import load_image
        from .v2a import V2ASources, load_v2a

        path = models.mapper_path()
        rgb = load_image(image)
        gen = load_v2a(path, clip=models.clip_model, clap=models.clap_model, audioldm=models.sound_model,
                       device=models.device, steps=steps, guidance=guidance, scheduler=scheduler, cache=cache,
                       progress=progress)
        out = V2ASources(gen, rgb)
        out.info = {**gen.info, "image": str(image)}
        return out
    if kind not in ("audioldm2", "audioldm"):
        raise ConfigError(f"{kind!r} is not a model backend; use one of: {', '.join(MODEL_BACKENDS)}")
    from .diffusion import DiffusionGenerator

    return DiffusionGenerator(kind, models.sound_model, device=models.device, offload=offload, scheduler=scheduler,
                              steps=steps, guidance=guidance, ranker=models.clap_model, progress=progress,
                              cache=cache)


def model_info(generator: Any) -> dict:
    """What a generator loaded (device, dtype, checkpoints), for the manifest."""
    info = dict(getattr(generator, "info", None) or {})
    key = getattr(generator, "key", None)
    if key is not None:
        info.setdefault("device", key.device)
        info.setdefault("dtype", key.dtype)
    ranker = getattr(generator, "_ranker_arg", None)
    defaults = getattr(generator, "defaults", None)
    if isinstance(ranker, str) and not getattr(defaults, "ranks_itself", False):  # audioldm2 uses its own CLAP
        info.setdefault("clap", ranker)
    return info


def load_scene(path: str | os.PathLike[str], scene_backend: str = "builtin") -> Any:
    """A SceneSpec from a ``.json`` scene file, or read from an image with the scene stage."""
    p = Path(path)
    from ..scene import SceneSpec

    if p.suffix.lower() == ".json":
        return SceneSpec.load(p)
    if not p.exists():
        raise InputError(f"{p}: no such scene file or image; give a scene .json or a photograph")
    try:
        from ..scene import read_scene  # type: ignore[attr-defined]
    except ImportError as exc:
        raise InputError(
            f"{p}: reading a scene from an image needs server.scene.read_scene, which this build lacks; "
            "run `wave scene IMAGE -o scene.json` first and pass scene.json"
        ) from exc
    return read_scene(p, backend=scene_backend)
