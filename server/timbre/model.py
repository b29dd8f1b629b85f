"""Load and validate RAVE / nn~ TorchScript models (``.ts``).

An nn~ model is a TorchScript module that answers ``get_methods()``; each method ``m`` has a
buffer ``m_params = [in_channels, in_ratio, out_channels, out_ratio]``, and the model has a sample
rate ``sr``. Blocks fed to a method must be multiples of its ``in_ratio``. WAVE needs either
``forward`` or the ``encode`` + ``decode`` pair, fed with 1 or 2 audio channels.

Threading: :meth:`NNModel.load` and :meth:`NNModel.fresh` read files / deserialize; call them from a
loader or control thread. :meth:`NNModel.run` may be called from one worker thread per instance.
"""

from __future__ import annotations

import io
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, MissingDependencyError

log = logging.getLogger(__name__)

# Channel counts the engine can feed (mono, stereo).
ENGINE_CHANNELS = (1, 2)


@dataclass(frozen=True)
class MethodInfo:
    """One nn~ method's contract: ``[in_channels, in_ratio, out_channels, out_ratio]``."""

    name: str
    in_channels: int
    in_ratio: int
    out_channels: int
    out_ratio: int


class NNModel:
    """A loaded nn~ model: its TorchScript module plus the validated contract.

    Each instance owns its module and so its streaming state (RAVE's cached convolutions, the
    builtin models' resonators). Use :meth:`fresh` to get an independent copy with clean state.
    """

    def __init__(self, module, data: bytes, path: Path | None, name: str) -> None:
        self.module = module
        self._data = data
        self.path = path
        self.name = name
        self.methods = _read_methods(module, name)
        self.sr = _read_sr(module, name)
        self.attributes = _read_attributes(module)
        self._has_reset = hasattr(module, "reset_state")
        # clean streaming state (RAVE's cached-convolution pads are buffers), restored by reset_state()
        self._clean = [] if self._has_reset else [(n, b.detach().clone()) for n, b in module.named_buffers()]
        if "forward" not in self.methods and not {"encode", "decode"} <= set(self.methods):
            raise InputError(
                f"model {name} has methods {sorted(self.methods)} but WAVE needs 'forward' or both "
                "'encode' and 'decode' (an nn~ / RAVE export)"
            )
        for m in ("forward", "encode"):
            info = self.methods.get(m)
            if info is not None and info.in_channels not in ENGINE_CHANNELS:
                raise InputError(
                    f"model {name}: method '{m}' takes {info.in_channels} input channels; the engine "
                    f"can feed {' or '.join(map(str, ENGINE_CHANNELS))} (mono or stereo audio). "
                    "Export it with `rave export --channels 1`"
                )
        for m in ("forward", "decode"):
            info = self.methods.get(m)
            if info is not None and info.out_channels not in ENGINE_CHANNELS:
                raise InputError(
                    f"model {name}: method '{m}' returns {info.out_channels} channels; the engine plays "
                    "1 or 2 audio channels"
                )
        if "encode" in self.methods and "decode" in self.methods:
            enc, dec = self.methods["encode"], self.methods["decode"]
            if enc.out_channels != dec.in_channels or enc.out_ratio != dec.in_ratio:
                raise InputError(
                    f"model {name}: encode gives {enc.out_channels} latent channels at ratio "
                    f"{enc.out_ratio} but decode takes {dec.in_channels} at ratio {dec.in_ratio}"
                )

    # -- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NNModel:
        """Load ``path`` (a ``.ts`` file) with plain ``torch.jit.load`` and validate its contract."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"model file {path} does not exist")
        data = path.read_bytes()
        return cls.from_bytes(data, path=path)

    @classmethod
    def from_bytes(cls, data: bytes, *, path: Path | None = None, name: str | None = None) -> NNModel:
        torch = _torch()
        label = name or (str(path) if path else "<bytes>")
        try:
            module = torch.jit.load(io.BytesIO(data), map_location="cpu")
        except Exception as exc:  # torch raises RuntimeError / ValueError / zipfile errors
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"model {label} is not a TorchScript file that torch.jit.load can read ({first}); "
                "give an nn~ / RAVE export (.ts)"
            ) from exc
        module.eval()
        return cls(module, data, path, label)

    def fresh(self) -> NNModel:
        """An independent copy with clean streaming state (reloads the bytes) and the same attributes."""
        twin = NNModel.from_bytes(self._data, path=self.path, name=self.name)
        for attr in self.attributes:
            try:
                values = self.get_attribute(attr)
                if not isinstance(values, tuple):
                    values = (values,)
                if values != twin.get_attribute(attr):
                    twin.set_attribute(attr, *values)
            except Exception as exc:  # an attribute that cannot be copied keeps its default
                log.debug("attribute %s not copied: %s", attr, exc)
        return twin

    def reset_state(self) -> None:
        """Return the module to its clean streaming state, keeping its optimised TorchScript graphs.

        Cheaper than :meth:`fresh` (a reloaded module re-profiles its first calls, ~seconds for RAVE).
        Call it from the thread that owns this instance.
        """
        if self._has_reset:
            self.module.reset_state()
            return
        for name, buf in self._clean:
            owner = self.module
            *path, leaf = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, leaf, buf.clone())

    # -- contract ------------------------------------------------------------------------------
    @property
    def has_latent(self) -> bool:
        return "encode" in self.methods and "decode" in self.methods

    @property
    def latent_dim(self) -> int:
        return self.methods["encode"].out_channels if self.has_latent else 0

    def block_multiple(self, method: str = "forward") -> int:
        """Smallest block (in samples) every method used for ``method`` accepts."""
        names = ["encode", "decode"] if method == "latent" else [method]
        mult = 1
        for n in names:
            info = self.method(n)
            mult = math.lcm(mult, info.in_ratio)
            if n == "encode":
                mult = math.lcm(mult, info.out_ratio)
        return mult

    def method(self, name: str) -> MethodInfo:
        if name not in self.methods:
            raise InputError(f"model {self.name} has no method '{name}'; it has {sorted(self.methods)}")
        return self.methods[name]

    def run(self, method: str, x):
        """Call ``method`` on a tensor ``(batch, channels, frames)``; returns the module's tensor."""
        return getattr(self.module, method)(x)

    def set_attribute(self, name: str, *values) -> None:
        """Set an nn~ attribute (``set_<name>``), e.g. ``set_attribute("note", 48.0)``."""
        if name not in self.attributes:
            raise InputError(f"model {self.name} has no attribute '{name}'; it has {self.attributes}")
        getattr(self.module, f"set_{name}")(*values)

    def get_attribute(self, name: str):
        if name not in self.attributes:
            raise InputError(f"model {self.name} has no attribute '{name}'; it has {self.attributes}")
        return getattr(self.module, f"get_{name}")()

    def describe(self) -> dict:
        return {
            "name": self.name,
            "sr": self.sr,
            "methods": {k: [v.in_channels, v.in_ratio, v.out_channels, v.out_ratio] for k, v in self.methods.items()},
            "attributes": list(self.attributes),
        }

    def __repr__(self) -> str:
        return f"NNModel({self.name!r}, sr={self.sr}, methods={sorted(self.methods)})"


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise MissingDependencyError("timbre transfer needs torch: pip install 'torch==2.13.0'") from exc
    return torch


def _read_methods(module, name: str) -> dict[str, MethodInfo]:
    if not hasattr(module, "get_methods"):
        raise InputError(
            f"model {name} is TorchScript but not an nn~ model: it has no get_methods() "
            "(export it with nn_tilde / `rave export`)"
        )
    try:
        names = list(module.get_methods())
    except Exception as exc:
        raise InputError(f"model {name}: get_methods() failed: {exc}") from exc
    out: dict[str, MethodInfo] = {}
    for m in names:
        params = getattr(module, f"{m}_params", None)
        if params is None or not hasattr(module, m):
            raise InputError(f"model {name} lists method '{m}' but has no '{m}_params' or no '{m}' method")
        vals = [int(v) for v in params.tolist()]
        if len(vals) != 4 or min(vals) < 1:
            raise InputError(
                f"model {name}: {m}_params is {vals}; expected [in_channels, in_ratio, out_channels, out_ratio]"
            )
        out[m] = MethodInfo(m, *vals)
    return out


def _read_sr(module, name: str) -> int:
    sr = getattr(module, "sr", None)
    if sr is None and hasattr(module, "get_sample_rate"):
        sr = module.get_sample_rate()
    try:
        sr = int(sr)
    except (TypeError, ValueError):
        sr = -1
    if sr <= 0:
        raise InputError(f"model {name} declares no sample rate ('sr'); nn~ models must set one")
    return sr


def _read_attributes(module) -> list[str]:
    if hasattr(module, "get_attributes"):
        try:
            return [str(a) for a in module.get_attributes()]
        except Exception:  # an attribute table that fails is treated as empty, and logged
            log.warning("get_attributes() failed; ignoring attributes")
    return []
