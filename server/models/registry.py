"""Every model backend WAVE can use, with the checkpoint it loads by default, and where that checkpoint is.

One table (:data:`MODELS`) drives ``wave models`` (list: checkpoint, in the local Hugging Face cache or
not, size on disk, the device and dtype it would run with) and ``wave models fetch NAME...`` (put the
checkpoint into the local cache ahead of time, so a gig can run offline).

``fetch`` downloads from the Hugging Face Hub (``huggingface_hub.snapshot_download``), or, with
``source=DIR``, copies from a local mirror laid out as ``DIR/<org>/<name>/`` (a ``git clone`` of the hub
repository, a USB stick, another machine's snapshot folder) into the cache in the hub's own layout, so
``from_pretrained("<org>/<name>")`` then finds it with no network (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, MissingDependencyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what the user types: wave models fetch NAME
    checkpoint: str  # hub id
    library: str  # diffusers | transformers
    used_by: str  # the command and option that use it
    gpu_dtype: str  # dtype on a CUDA GPU (CPU: float32)
    licence: str  # as the model card states it; "model card" when not checked


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("audioldm2", "cvssp/audioldm2", "diffusers", "wave sounds --backend audioldm2; wave make --sound-backend audioldm2",
              "float16", "cc-by-nc-sa-4.0"),
    ModelSpec("audioldm", "cvssp/audioldm-s-full-v2", "diffusers", "wave sounds --backend audioldm|v2a; wave make --sound-backend audioldm|v2a",
              "float16", "model card"),
    ModelSpec("clap-ranker", "laion/clap-htsat-unfused", "transformers",
              "ranks audioldm and v2a candidates (audioldm2 carries its own CLAP); wave v2a train", "float32",
              "apache-2.0"),
    ModelSpec("qwen2.5-vl", "Qwen/Qwen2.5-VL-7B-Instruct", "transformers", "wave scene --backend qwen2.5-vl; wave make --backends scene=qwen2.5-vl",
              "bfloat16", "apache-2.0"),
    ModelSpec("qwen2.5-vl-3b", "Qwen/Qwen2.5-VL-3B-Instruct", "transformers",
              "wave scene --backend qwen2.5-vl --model Qwen/Qwen2.5-VL-3B-Instruct (smaller GPUs)", "bfloat16",
              "model card (Qwen research licence)"),
    ModelSpec("blip", "Salesforce/blip-image-captioning-large", "transformers", "wave scene --backend blip; wave make --backends scene=blip",
              "bfloat16", "bsd-3-clause"),
    ModelSpec("detr", "facebook/detr-resnet-50", "transformers", "wave scene --detector detr --detector-model ID",
              "float32", "apache-2.0"),
    ModelSpec("clip", "openai/clip-vit-base-patch32", "transformers", "--sound-backend v2a and wave v2a train (the V2A-Mapper's image side)",
              "float32", "mit"),
    ModelSpec("owlvit", "google/owlvit-base-patch32", "transformers",
              "wave scene --detector owlvit --detector-model ID", "float32", "apache-2.0"),
)
BY_NAME = {m.name: m for m in MODELS}


def lookup(name: str) -> ModelSpec:
    if name in BY_NAME:
        return BY_NAME[name]
    for m in MODELS:
        if m.checkpoint == name:
            return m
    raise ConfigError(f"unknown model {name!r}; use one of: {', '.join(BY_NAME)} (or its hub id)")


def hub_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The Hugging Face hub cache (``HF_HUB_CACHE`` / ``HF_HOME`` honoured)."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("HF_HUB_CACHE")
    if env:
        return Path(env)
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home) / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def _repo_folder(cache: Path, checkpoint: str) -> Path:
    return cache / ("models--" + checkpoint.replace("/", "--"))


def cached_snapshot(checkpoint: str, cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The snapshot folder of ``checkpoint`` that ``refs/main`` points to, when it is in the cache."""
    repo = _repo_folder(hub_cache_dir(cache_dir), checkpoint)
    ref = repo / "refs" / "main"
    if ref.is_file():
        snap = repo / "snapshots" / ref.read_text().strip()
        if snap.is_dir() and any(snap.iterdir()):
            return snap
    return None


def folder_bytes(folder: Path) -> int:
    """Bytes of the files in ``folder`` (links followed to their blobs, each blob counted once)."""
    seen: set[Path] = set()
    total = 0
    for p in folder.rglob("*"):
        if p.is_file():
            real = p.resolve()
            if real not in seen:
                seen.add(real)
                total += real.stat().st_size
    return total


def would_run_on(spec: ModelSpec, device: str | None = None) -> tuple[str, str]:
    """(device, dtype) the backend would use: CUDA with its GPU dtype when present, else the CPU in float32."""
    if device is None:
        from .cache import default_device

        device = default_device()
    if device is None:
        try:
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        except ImportError:
            device = "cpu"
    return device, dtype_on(spec.name, device)


def dtype_on(name: str, device: str) -> str:
    """The dtype model ``name`` (registry name or checkpoint; unknown ones count as float32 models) runs in on
    ``device``: its GPU dtype on CUDA, float16 on MPS for a model that runs in half precision on a GPU
    (Metal's bfloat16 support is partial), float32 on the CPU."""
    spec = BY_NAME.get(name) or next((m for m in MODELS if m.checkpoint == name), None)
    gpu = spec.gpu_dtype if spec is not None else "float32"
    if str(device).startswith("cuda"):
        return gpu
    if str(device) == "mps":
        return "float32" if gpu == "float32" else "float16"
    return "float32"


def status(cache_dir: str | os.PathLike[str] | None = None, device: str | None = None) -> list[dict[str, Any]]:
    """One row per model: name, checkpoint, cached, size_bytes (on disk, when cached), device, dtype, used_by."""
    rows = []
    for m in MODELS:
        snap = cached_snapshot(m.checkpoint, cache_dir)
        dev, dtype = would_run_on(m, device)
        rows.append({"name": m.name, "checkpoint": m.checkpoint, "library": m.library, "cached": snap is not None,
                     "path": str(snap) if snap else None, "size_bytes": folder_bytes(snap) if snap else None,
                     "device": dev, "dtype": dtype, "used_by": m.used_by, "licence": m.licence})
    return rows


# Weight formats that torch-based from_pretrained never reads.
UNUSED_FORMATS = ("*.msgpack", "*.h5", "*.ot", "*.onnx", "*.onnx_data", "*.tflite", "*.mlmodel", "*.gguf")


def ignore_patterns(repo_files: list[str]) -> list[str]:
    """Files of a hub repository that loading never reads: Flax/TF/ONNX/Core ML weights; in a folder that has
    plain ``.safetensors`` weights, its ``.bin`` ones (diffusers and transformers prefer safetensors); and
    variant weights (``*.fp16.safetensors``) where plain ones exist (WAVE loads without ``variant=``)."""
    import posixpath

    def plain(name: str) -> bool:  # model.safetensors, model-00001-of-00002.safetensors; not model.fp16.safetensors
        return posixpath.basename(name).count(".") == 1

    out = list(UNUSED_FORMATS)
    weights = [f for f in repo_files if f.endswith((".safetensors", ".bin"))]
    plain_st = {posixpath.dirname(f) for f in weights if f.endswith(".safetensors") and plain(f)}
    plain_any = {posixpath.dirname(f) for f in weights if plain(f)}
    for f in weights:
        folder = posixpath.dirname(f)
        if (f.endswith(".bin") and folder in plain_st) or (not plain(f) and folder in plain_any):
            out.append(f)
    return out


def fetch(name: str, *, source: str | os.PathLike[str] | None = None,
          cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Put ``name``'s checkpoint into the local cache and return its snapshot folder.

    ``source``: a local mirror folder holding ``<org>/<name>/`` (no network); otherwise the Hugging Face Hub.
    """
    spec = lookup(name)
    cache = hub_cache_dir(cache_dir)
    if source is None:
        try:
            from huggingface_hub import snapshot_download
        except ImportError as exc:
            raise MissingDependencyError("fetching needs huggingface_hub: pip install 'wave-server[models]'") from exc
        log.info("downloading %s into %s", spec.checkpoint, cache)
        try:
            from huggingface_hub import HfApi

            ignore = ignore_patterns(HfApi().list_repo_files(spec.checkpoint))
            return Path(snapshot_download(spec.checkpoint, cache_dir=str(cache), ignore_patterns=ignore))
        except Exception as exc:  # network, auth, missing repo: one clear line
            raise MissingDependencyError(
                f"cannot download {spec.checkpoint} ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                "check the network, or copy it from another machine with: wave models fetch "
                f"{spec.name} --from DIR (DIR/{spec.checkpoint}/ holding the repository files)"
            ) from None
    src = Path(source).expanduser() / spec.checkpoint
    if not src.is_dir() or not any(src.iterdir()):
        raise InputError(f"{src}: no such folder; --from DIR needs DIR/{spec.checkpoint}/ with the repository's "
                         "files (model_index.json or config.json and the weights)")
    if not ((src / "model_index.json").is_file() or (src / "config.json").is_file()):
        raise InputError(f"{src} has neither model_index.json nor config.json; it is not a model repository")
    return _copy_into_cache(src, spec.checkpoint, cache)


def _copy_into_cache(src: Path, checkpoint: str, cache: Path) -> Path:
    """Lay ``src`` out in the hub cache: blobs by content hash, a snapshot of links, refs/main -> revision."""
    files = sorted(p for p in src.rglob("*") if p.is_file() and ".git" not in p.relative_to(src).parts)
    digests = {}
    for p in files:
        h = hashlib.sha256()
        with p.open("rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                h.update(block)
        digests[p] = h.hexdigest()
    revision = hashlib.sha1("".join(f"{p.relative_to(src).as_posix()}:{digests[p]}\n"
                                    for p in files).encode()).hexdigest()
    repo = _repo_folder(cache, checkpoint)
    blobs = repo / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    snap_tmp = repo / "snapshots" / f".{revision}.partial"
    shutil.rmtree(snap_tmp, ignore_errors=True)
    for p in files:
        blob = blobs / digests[p]
        if not blob.exists():
            tmp = blobs / f".{digests[p]}.partial"
            shutil.copyfile(p, tmp)
            os.replace(tmp, blob)
        link = snap_tmp / p.relative_to(src)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    snap = repo / "snapshots" / revision
    if snap.exists():
        shutil.rmtree(snap_tmp)
    else:
        os.replace(snap_tmp, snap)
    (repo / "refs").mkdir(exist_ok=True)
    ref_tmp = repo / "refs" / ".main.partial"
    ref_tmp.write_text(revision)
    os.replace(ref_tmp, repo / "refs" / "main")
    log.info("copied %d files of %s into %s", len(files), checkpoint, snap)
    return snap
