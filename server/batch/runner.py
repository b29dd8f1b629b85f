"""The driver of ``wave batch``: start or join Ray, hand each image to a model actor then a CPU task,
gather results as they come, and write ``OUT/batch.json`` and ``OUT/index.html``."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingDependencyError, OutputError
from .inputs import Item
from .work import STAGING

log = logging.getLogger(__name__)

BATCH_VERSION = 1
OBJECT_STORE_BYTES = 256 * 1024**2
TASK_RETRIES = 1  # a task whose worker process died is run once more (it resumes from make's cache)


@dataclass
class BatchResult:
    out: Path
    images: list[dict[str, Any]]
    actors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    ray: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for r in self.images if r["status"] == status)

    def to_dict(self) -> dict[str, Any]:
        ok = self.count("done") + self.count("cached")
        return {"version": BATCH_VERSION, "out": str(self.out), "seconds": round(self.seconds, 3),
                "images_total": len(self.images), "done": self.count("done"), "cached": self.count("cached"),
                "failed": self.count("failed"),
                "images_per_minute": round(60 * self.count("done") / self.seconds, 3) if self.seconds else None,
                "sets": ok, "ray": self.ray, "actors": self.actors,
                "images": [{k: v for k, v in r.items() if k != "thumbnail"} for r in self.images]}


def _import_ray():
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("wave batch runs on Ray: pip install 'wave[batch]' (or pip install ray)") from None
    return ray


def warm_jit() -> None:
    """Compile librosa's numba kernels the stages use (and write numba's on-disk cache) in this process,
    before any Ray worker starts: on a fresh install, workers compiling and caching the same kernels at
    once crashed the process that loaded them half-written (a segfault in librosa's peak_pick)."""
    import librosa
    import numpy as np

    x = np.random.default_rng(0).standard_normal(22050).astype(np.float32) * 0.1
    librosa.onset.onset_detect(y=x, sr=22050)
    librosa.pyin(x[:8192], fmin=80.0, fmax=800.0, sr=22050, frame_length=1024)


def connect(address: str | None = None, workers: int | None = None) -> bool:
    """Start a local Ray with ``workers`` CPUs (default: every core), or join the cluster at ``address``.
    Returns True when this call started the session (the caller shuts it down), False when one was
    already running in this process (tests share one)."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: give 1 or more")
    opts: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING,
                            "configure_logging": False}
    warm_jit()
    if address:
        check_address(address)
        ray.init(address=address, **opts)
    else:
        # only paths and small result dicts go through the object store: a small one spares /dev/shm
        ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                 object_store_memory=OBJECT_STORE_BYTES, **opts)
    return True


def check_address(address: str) -> str:
    """``auto``, ``HOST:PORT`` (a head node's GCS) or ``ray://HOST:PORT`` (Ray Client)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if address != "auto" and not (host and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"--address {address!r}: use auto, HOST:PORT or ray://HOST:PORT (e.g. ray://head:10001)")
    return address


def run_batch(items: list[Item], out: str | os.PathLike[str], settings=None, *, address: str | None = None,
              workers: int | None = None, gpus_per_worker: float = 0.0, force: bool = False,
              progress: bool | None = None) -> BatchResult:
    """Make one set per item into ``out/<item.name>/`` (same layout and cache as ``wave make``)."""
    from ..make.pipeline import MakeSettings
    from ..paths import check_output
    from . import summary, work

    st = settings or MakeSettings()
    st.check()  # a wrong option is one error now, not one per image
    if address:
        check_address(address)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: give 1 or more")
    if not items:
        raise ConfigError("no image to make")
    if gpus_per_worker < 0:
        raise ConfigError(f"--gpus-per-worker {gpus_per_worker}: give 0 (CPU) or a positive share of a GPU")
    out = check_output(out, kind="folder")
    try:
        (out / STAGING).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror}") from exc
    ray = _import_ray()
    owned = connect(address, workers)
    t0 = time.perf_counter()
    try:
        res = ray_info = _ray_info(ray)
        cpus = int(ray_info.get("CPU", 1)) or 1
        n_actors = workers or cpus
        if gpus_per_worker:
            n_actors = min(n_actors, max(1, int(ray_info.get("GPU", 0) / gpus_per_worker)))
        n_actors = max(1, min(n_actors, len(items)))
        # model stages: actors that keep their models; they hold no CPU so the CPU tasks can use every core
        Actor = ray.remote(num_cpus=0, num_gpus=gpus_per_worker, max_restarts=1,
                           max_task_retries=TASK_RETRIES)(work.ModelWorker)
        cpu_task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(work.cpu_stages)
        actors = [Actor.remote(i) for i in range(n_actors)]
        st_ref = ray.put(st)
        pending: dict[Any, Item] = {}
        out_s = str(out.resolve())
        for i, it in enumerate(items):
            pre = actors[i % n_actors].run.remote(str(it.path), out_s, it.name, st_ref, force)
            pending[cpu_task.remote(str(it.path), out_s, it.name, st_ref, pre)] = it
        results: dict[str, dict] = {}
        bar = summary.Progress(len(items), enabled=progress)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            for ref in ready:
                it = pending.pop(ref)
                try:
                    r = ray.get(ref)
                except Exception as exc:  # the worker or actor died twice, or Ray lost the object
                    line = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                    r = {"ok": False, "status": "failed", "error": f"ray: {type(exc).__name__}: {line}"[:500],
                         "ran": []}
                r.update(image=str(it.path), name=it.name)
                results[it.name] = r
                bar.update(r)
            bar.refresh(running=min(len(pending), cpus))
        bar.close()
        actor_stats = []
        for a in actors:
            try:
                actor_stats.append(ray.get(a.stats.remote(), timeout=30))
            except Exception as exc:
                actor_stats.append({"error": f"{type(exc).__name__}"})
            ray.kill(a)
    finally:
        if owned:
            ray.shutdown()
    images = []
    for it in items:
        r = results[it.name]
        rec = {"image": str(it.path), "name": it.name, "status": r["status"],
               "seconds": round(float(r.get("seconds", 0.0)), 3), "stages_run": r.get("ran", []),
               "error": r.get("error"), "report": f"{it.name}/report.html" if r["status"] != "failed" else None,
               "failures": r.get("failures", []), "actor": r.get("actor"), "thumbnail": r.get("thumbnail", "")}
        images.append(rec)
    _tidy_staging(out)
    result = BatchResult(out, images, actor_stats, time.perf_counter() - t0,
                         {"address": address or "local", "resources": res, "actors": n_actors})
    summary.write(result)
    return result


def _ray_info(ray) -> dict[str, float]:
    return {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU", "memory")}


def _tidy_staging(out: Path) -> None:
    """Drop empty staging folders (images that failed before writing anything)."""
    st = out / STAGING
    if not st.is_dir():
        return
    for d in st.iterdir():
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    if not any(st.iterdir()):
        shutil.rmtree(st, ignore_errors=True)


def load_summary(out: str | os.PathLike[str]) -> dict:
    return json.loads((Path(out) / "batch.json").read_text("utf-8"))


__all__ = ["BatchResult", "connect", "load_summary", "run_batch"]
