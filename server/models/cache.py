"""One load per process: a cache of loaded models keyed by backend, checkpoint, device and dtype.

``wave make``, ``wave sounds`` and the server's jobs all load their model backends through
:func:`default_cache`, so a second source, a second image or a second ``render_sounds`` call reuses the
pipeline that is already in memory instead of building a new multi-GB one.

The cache holds at most ``budget`` bytes of model weights (``WAVE_MODEL_MEMORY``, e.g. ``12G``; by default
half of the machine's RAM). When a new model would exceed it, the least recently used models are released
first; a single model larger than the budget is still loaded (with a warning) since the job needs it.
:meth:`ModelCache.release` frees one model or all of them explicitly (and returns the GPU memory to the
driver).

Thread safety: every method takes one lock; a model is built at most once even when two threads ask for
it at the same time (the second waits for the first). Call from job or control threads, never from an
audio callback.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

log = logging.getLogger(__name__)

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_bytes(text: str | int | float) -> int:
    """``'12G'`` -> 12 GiB in bytes; ``'512M'``, ``'2.5g'``, plain numbers are bytes."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", str(text))
        if not m:
            raise ConfigError(f"memory size {text!r} is not understood; write e.g. 12G, 512M or 2.5GB")
        value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not value > 0:
        raise ConfigError(f"memory size {text!r} must be positive, e.g. 12G")
    return int(value)


def default_budget() -> int:
    """``WAVE_MODEL_MEMORY`` if set, otherwise half of the physical memory (8 GiB if it cannot be read)."""
    env = os.environ.get("WAVE_MODEL_MEMORY")
    if env:
        return parse_bytes(env)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def default_device() -> str | None:
    """``WAVE_DEVICE`` (cpu, cuda, cuda:N, mps) when set: the device every model backend of this process uses
    unless a call names one (``--device`` of ``wave make``/``wave sounds`` exports it here, so child processes
    follow). Unset or ``auto``: None (the backend picks: cuda when present, else cpu)."""
    dev = os.environ.get("WAVE_DEVICE", "").strip().lower()
    if not dev or dev == "auto":
        return None
    if not (dev == "cpu" or dev == "mps" or re.fullmatch(r"cuda(:\d+)?", dev)):
        raise ConfigError(f"WAVE_DEVICE={dev!r} is not a device; use auto, cpu, cuda, cuda:N or mps")
    return dev


def model_bytes(obj: Any) -> int:
    """Bytes held by the parameters and buffers of a torch module, a diffusers pipeline, or a tuple of them."""
    seen: set[int] = set()
    total = 0

    def visit(o: Any) -> None:
        nonlocal total
        if o is None or id(o) in seen:
            return
        seen.add(id(o))
        if hasattr(o, "parameters") and hasattr(o, "buffers") and callable(o.parameters):
            for t in list(o.parameters()) + list(o.buffers()):
                if id(t) not in seen:
                    seen.add(id(t))
                    total += t.numel() * t.element_size()
            return
        comps = getattr(o, "components", None)
        if isinstance(comps, dict):  # a diffusers pipeline
            for c in comps.values():
                visit(c)
        elif isinstance(o, (tuple, list)):
            for c in o:
                visit(c)

    visit(obj)
    return total


@dataclass(frozen=True)
class ModelKey:
    """What makes two loads the same model: backend, checkpoint (hub id or folder), device and dtype."""

    backend: str
    checkpoint: str
    device: str
    dtype: str

    def __str__(self) -> str:
        return f"{self.backend}:{self.checkpoint} on {self.device} ({self.dtype})"


@dataclass
class _Entry:
    obj: Any
    nbytes: int


class ModelCache:
    """Loaded models by :class:`ModelKey`, within a memory budget (bytes; ``None`` = :func:`default_budget`)."""

    def __init__(self, budget: int | str | None = None) -> None:
        self.budget = default_budget() if budget is None else parse_bytes(budget)
        self._entries: OrderedDict[ModelKey, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self._building: dict[ModelKey, threading.Event] = {}
        self.loads: Counter[ModelKey] = Counter()  # how many times each key was built (1 = loaded once)

    # ---- queries ---------------------------------------------------------------------------------
    def __contains__(self, key: ModelKey) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list[ModelKey]:
        with self._lock:
            return list(self._entries)

    @property
    def used(self) -> int:
        with self._lock:
            return sum(e.nbytes for e in self._entries.values())

    # ---- loading ---------------------------------------------------------------------------------
    def get(self, key: ModelKey, loader: Callable[[], Any], nbytes: int | None = None) -> Any:
        """The model for ``key``: the cached one, or ``loader()``'s result, cached (and counted in ``loads``).
        ``nbytes``: its size when :func:`model_bytes` cannot see it (not a torch model: an OpenCV net, a
        TFLite interpreter, an ONNX session)."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    return entry.obj
                waiting = self._building.get(key)
                if waiting is None:
                    self._building[key] = threading.Event()
                    break
            waiting.wait()  # another thread is building it; look again
        try:
            obj = loader()
            nbytes = model_bytes(obj) if nbytes is None else int(nbytes)
            with self._lock:
                self.loads[key] += 1
                self._make_room(nbytes, key)
                self._entries[key] = _Entry(obj, nbytes)
            log.info("loaded %s (%.1f MiB; cache %.1f of %.1f MiB)", key, nbytes / 2**20, self.used / 2**20,
                     self.budget / 2**20)
            return obj
        finally:
            with self._lock:
                self._building.pop(key).set()

    def _make_room(self, nbytes: int, key: ModelKey) -> None:
        while self._entries and self.used + nbytes > self.budget:
            old, entry = next(iter(self._entries.items()))
            log.info("releasing %s (%.1f MiB) to stay within the model memory budget", old, entry.nbytes / 2**20)
            del self._entries[old]
        if nbytes > self.budget:
            log.warning("%s needs %.1f MiB, more than the model memory budget of %.1f MiB "
                        "(WAVE_MODEL_MEMORY); loading it anyway", key, nbytes / 2**20, self.budget / 2**20)

    # ---- release ---------------------------------------------------------------------------------
    def release(self, key: ModelKey | None = None) -> int:
        """Forget ``key`` (or every model when ``None``) and free its memory; returns how many were released."""
        with self._lock:
            if key is None:
                n = len(self._entries)
                self._entries.clear()
            else:
                n = 1 if self._entries.pop(key, None) is not None else 0
        if n:
            gc.collect()
            try:
                import torch

                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            except ImportError:
                pass
        return n


_DEFAULT: ModelCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> ModelCache:
    """The process-wide cache shared by every stage of this process."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ModelCache()
        return _DEFAULT


def file_model_key(backend: str, files: str | os.PathLike[str] | tuple | list) -> ModelKey:
    """The key of a model loaded from files (not a hub checkpoint): the first file's path with the files'
    sizes and modification times, so a replaced file is loaded anew. CPU, float32."""
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    if not paths:
        raise ConfigError(f"{backend}: no model files given")
    stamp = []
    for p in paths:
        st = os.stat(p)
        stamp.append(f"{st.st_size}-{st.st_mtime_ns}")
    return ModelKey(backend, f"{os.path.realpath(paths[0])}#{'+'.join(stamp)}", "cpu", "float32")


def load_file_model(backend: str, files: str | os.PathLike[str] | tuple | list, loader: Callable[[], Any],
                    cache: ModelCache | None = None) -> Any:
    """A model built by ``loader()`` from ``files`` (an OpenCV net, a TFLite interpreter, an ONNX session),
    through the process cache: loaded once, counted in the memory budget at the files' size, released
    with the others. E.g. the builtin detector:
    ``load_file_model("ssd-mobilenet-v2", (pb, pbtxt), lambda: cv2.dnn.readNetFromTensorflow(str(pb), str(pbtxt)))``.
    """
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    key = file_model_key(backend, paths)
    size = sum(os.stat(p).st_size for p in paths)
    return (cache if cache is not None else default_cache()).get(key, loader, nbytes=size)


def release_all() -> int:
    """Release every model held by the process-wide cache (e.g. when a job or the server ends)."""
    return default_cache().release()
