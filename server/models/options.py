"""Model options of one run: the device, and the checkpoints the model backends load.

One table (:data:`OPTIONS`) drives the command-line flags (``wave make``, ``wave sounds``; the same
:func:`add_model_arguments` serves ``wave serve`` and ``wave scene``), their validation, and the
environment variables that carry them into child processes (the server's job worker, ``wave make``
subprocesses, Ray workers)::

    flag              field          environment          what it chooses
    --device          device         WAVE_DEVICE          auto | cpu | cuda | cuda:N | mps
    --sound-model     sound_model    WAVE_SOUND_MODEL     AudioLDM2 / AudioLDM checkpoint (v2a: its AudioLDM)
    --clap-model      clap_model     WAVE_CLAP_MODEL      CLAP that ranks candidates (v2a: default from the mapper)
    --clip-model      clip_model     WAVE_CLIP_MODEL      CLIP image tower of v2a (default from the mapper)
    --v2a-mapper      v2a_mapper     WAVE_V2A_MAPPER      the mapper file ``wave v2a train`` wrote

``auto`` picks CUDA when a GPU is present, then Apple's MPS, else the CPU. On a GPU each backend runs in the
dtype the registry gives it (:func:`server.models.registry.dtype_on`): AudioLDM/AudioLDM2 in float16,
Qwen2.5-VL and BLIP in bfloat16, CLIP/CLAP/detectors in float32; on the CPU everything is float32.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
_DEVICE_RE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(text: str | None) -> str:
    """The device name, lower-cased, when it is one of auto, cpu, cuda, cuda:N, mps; ConfigError otherwise."""
    dev = "auto" if text is None else str(text).strip().lower()
    if not _DEVICE_RE.fullmatch(dev):
        raise ConfigError(f"device {text!r} is not a device; use auto, cpu, cuda, cuda:N (e.g. cuda:1) or mps")
    return dev


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def resolve_device(device: str | None = None) -> str:
    """The concrete device to run on: ``auto``/None -> ``WAVE_DEVICE`` if set, else cuda when a GPU is
    present, then mps, else cpu. A GPU asked for and absent is a ConfigError saying what is there."""
    from .cache import default_device

    dev = check_device(device)
    if dev == "auto":
        dev = default_device() or "auto"
    torch = _torch()
    if dev == "auto":
        if torch is not None and torch.cuda.is_available():
            return "cuda"
        if torch is not None and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if dev.startswith("cuda"):
        if torch is None or not torch.cuda.is_available():
            raise ConfigError(f"device {dev!r} was asked for but no CUDA GPU is available here; use --device cpu "
                              "(or auto)")
        index = int(dev.split(":")[1]) if ":" in dev else 0
        if index >= torch.cuda.device_count():
            raise ConfigError(f"device {dev!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                              f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    if dev == "mps" and (torch is None or not getattr(torch.backends, "mps", None)
                         or not torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' was asked for but Apple's Metal backend is not available; use --device cpu")
    return dev


@dataclass(frozen=True)
class OptionSpec:
    field: str
    flag: str
    env: str
    metavar: str
    help: str


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("device", "--device", "WAVE_DEVICE", "DEV",
               "auto (default: cuda when a GPU is present, then mps, else cpu), cpu, cuda, cuda:N or mps; on a GPU "
               "each model runs in its registry dtype (`wave models`)"),
    OptionSpec("sound_model", "--sound-model", "WAVE_SOUND_MODEL", "ID",
               "checkpoint (hub id or folder) of the sounds backend: AudioLDM2 (default cvssp/audioldm2) or AudioLDM "
               "(default cvssp/audioldm-s-full-v2; also v2a's)"),
    OptionSpec("clap_model", "--clap-model", "WAVE_CLAP_MODEL", "ID",
               "CLAP that ranks the candidates (default laion/clap-htsat-unfused; v2a: the one its mapper was "
               "trained with)"),
    OptionSpec("clip_model", "--clip-model", "WAVE_CLIP_MODEL", "ID",
               "CLIP image tower of the v2a backend (default: the one its mapper was trained with)"),
    OptionSpec("v2a_mapper", "--v2a-mapper", "WAVE_V2A_MAPPER", "FILE.pt",
               "mapper of the v2a backend (CLIP image -> CLAP audio space), written by `wave v2a train`"),
)


@dataclass(frozen=True)
class ModelOptions:
    """Which device and checkpoints the model backends of a run use (None: the backend's default)."""

    device: str = "auto"
    sound_model: str | None = None
    clap_model: str | None = None
    clip_model: str | None = None
    v2a_mapper: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", check_device(self.device))
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "device" and v is not None and not str(v).strip():
                raise ConfigError(f"{f.name.replace('_', '-')} is empty; give a hub id or a folder, or leave it out")

    # ---- conversions -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ModelOptions:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown model option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: (str(v) if v is not None else None) for k, v in data.items()})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelOptions:
        """The options the environment carries (``WAVE_DEVICE``, ``WAVE_SOUND_MODEL`` ...)."""
        env = os.environ if env is None else env
        kw: dict[str, Any] = {}
        for o in OPTIONS:
            v = env.get(o.env, "").strip()
            if v:
                try:
                    kw[o.field] = check_device(v) if o.field == "device" else v
                except ConfigError:
                    raise ConfigError(f"{o.env}={v!r} is not a device; use auto, cpu, cuda, cuda:N or mps") from None
        return cls(**kw)

    def to_env(self) -> dict[str, str]:
        """Environment variables that carry these options into a child process (only the ones set)."""
        out = {}
        for o in OPTIONS:
            v = getattr(self, o.field)
            if v is not None and not (o.field == "device" and v == "auto"):
                out[o.env] = str(v)
        return out

    def export_env(self) -> None:
        """Put these options into this process's environment, so every backend and child process sees them
        (called once by a command's entry point, never by library code)."""
        os.environ.update(self.to_env())

    def over(self, base: ModelOptions) -> ModelOptions:
        """These options, with ``base``'s where these leave one unset (None / device auto)."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)
              if getattr(self, f.name) is not None and not (f.name == "device" and self.device == "auto")}
        return replace(base, **kw)

    # ---- checks ----------------------------------------------------------------------------------
    def mapper_path(self) -> Path:
        """The v2a mapper file, checked to exist; a one-line error saying how to get one otherwise."""
        if not self.v2a_mapper:
            raise InputError("the v2a backend needs a trained mapper: --v2a-mapper FILE.pt (or WAVE_V2A_MAPPER); "
                             "train one with `wave v2a train PAIRS_DIR -o FILE.pt`")
        p = Path(self.v2a_mapper).expanduser()
        if not p.is_file():
            raise InputError(f"{p}: no such V2A mapper file; train one with `wave v2a train PAIRS_DIR -o {p.name}` "
                             "or pass --v2a-mapper with the path of an existing one")
        return p


# The backends of a `wave make` whose command line names none: `wave serve --scene-backend/--sound-backend`
# exports them, and the server's make jobs (its job worker and job subprocesses) inherit them.
BACKEND_ENV = {"scene": "WAVE_SCENE_BACKEND", "sounds": "WAVE_SOUND_BACKEND"}


def check_backends(scene: str | None = None, sounds: str | None = None) -> dict[str, str]:
    """``{"scene": ..., "sounds": ...}`` for the ones given, each checked (ConfigError naming what works)."""
    out: dict[str, str] = {}
    if scene is not None:
        from ..make.pipeline import SCENE_BACKENDS

        if scene not in SCENE_BACKENDS:
            raise ConfigError(f"scene backend {scene!r}; choose one of {', '.join(SCENE_BACKENDS)}")
        out["scene"] = scene
    if sounds is not None:
        from ..sounds.generate import parse_backend

        kind, folder = parse_backend(sounds)  # ConfigError naming the backends
        if kind == "library":  # absolute: a job runs in another folder
            if not folder.is_dir():
                raise ConfigError(f"sounds backend {sounds!r}: {folder} is not a folder of recordings")
            sounds = f"library:{folder.resolve()}"
        out["sounds"] = sounds
    return out


def backends_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The default backends the environment carries (``WAVE_SCENE_BACKEND``, ``WAVE_SOUND_BACKEND``), checked."""
    env = os.environ if env is None else env
    given = {k: env.get(v, "").strip() or None for k, v in BACKEND_ENV.items()}
    try:
        return check_backends(given["scene"], given["sounds"])
    except ConfigError as exc:
        where = ", ".join(f"{v}={env.get(v)!r}" for v in BACKEND_ENV.values() if env.get(v))
        raise ConfigError(f"{exc} (from the environment: {where})") from None


def export_backends(backends: Mapping[str, str]) -> None:
    """Put the default backends (:func:`check_backends`'s result) into this process's environment (an entry
    point's job, like :meth:`ModelOptions.export_env`)."""
    os.environ.update({BACKEND_ENV[k]: v for k, v in backends.items()})


def current_options() -> ModelOptions:
    """The process's options: what the environment carries (see :meth:`ModelOptions.export_env`)."""
    return ModelOptions.from_env()


# ---- command line ------------------------------------------------------------------------------------
def _device_arg(text: str) -> str:
    try:
        return check_device(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_model_arguments(parser: argparse.ArgumentParser | Any, *, only: tuple[str, ...] | None = None,
                        title: str = "models") -> None:
    """Add the model flags of :data:`OPTIONS` (or the ``only`` fields) to ``parser`` as a group."""
    group = parser if isinstance(parser, argparse._ArgumentGroup) else parser.add_argument_group(title)
    for o in OPTIONS:
        if only is not None and o.field not in only:
            continue
        kw: dict[str, Any] = {"dest": o.field, "default": None, "metavar": o.metavar,
                              "help": f"{o.help} (env {o.env})"}
        if o.field == "device":
            kw["type"] = _device_arg
        group.add_argument(o.flag, **kw)


def options_from_args(args: argparse.Namespace, base: ModelOptions | None = None) -> ModelOptions:
    """The flags given on the command line, over ``base`` (default: the environment's options)."""
    given = {o.field: getattr(args, o.field) for o in OPTIONS if getattr(args, o.field, None) is not None}
    return ModelOptions(**given).over(base if base is not None else current_options())
