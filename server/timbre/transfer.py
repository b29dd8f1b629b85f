"""Offline timbre transfer: run an nn~ model over a whole sound, block by block.

The same :class:`ModelRunner` runs inside the streaming processor's worker, so offline and
streaming results are the same computation (see ``stream.py``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from ..audio.resample import resample
from ..errors import ConfigError, InputError
from .model import NNModel

log = logging.getLogger(__name__)

DEFAULT_BLOCK = 2048


@dataclass(frozen=True)
class LatentControls:
    """Latent edits between ``encode`` and ``decode``: ``z' = z * scale + bias + temperature * noise``.

    ``bias`` / ``scale`` are per latent dimension (a shorter list leaves the rest unchanged; one value
    applies to all). ``dry_wet`` mixes the (latency-aligned) dry sound: 1 = only the model, 0 = dry.
    Instances are immutable: a control thread swaps a new one in (an atomic reference store).
    """

    bias: tuple[float, ...] = field(default=())
    scale: tuple[float, ...] = field(default=())
    temperature: float = 0.0
    dry_wet: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("bias", "scale"):
            vals = tuple(float(v) for v in getattr(self, name))
            if not all(math.isfinite(v) for v in vals):
                raise ConfigError(f"latent {name} {vals} must be finite numbers")
            object.__setattr__(self, name, vals)
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ConfigError(f"temperature {self.temperature} must be a finite number >= 0")
        if not 0.0 <= self.dry_wet <= 1.0:
            raise ConfigError(f"dry_wet {self.dry_wet} must be between 0 (dry) and 1 (only the model)")

    @property
    def edits_latent(self) -> bool:
        return bool(self.bias or self.scale or self.temperature > 0)

    def vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        scale = np.ones(dim, dtype=np.float32)
        bias = np.zeros(dim, dtype=np.float32)
        for src, dst in ((self.scale, scale), (self.bias, bias)):
            if len(src) == 1:
                dst[:] = src[0]
            elif src:
                if len(src) > dim:
                    raise ConfigError(f"{len(src)} latent values given but the model has {dim} latent dimensions")
                dst[: len(src)] = src
        return scale, bias


class ModelRunner:
    """Runs one model instance block by block with latent controls; keeps its own state.

    Not thread-safe: one runner per thread (the streaming worker owns one). With ``clock`` (e.g.
    ``time.thread_time``), ``model_time`` accumulates the time spent inside the model's own methods,
    so a host can tell its own per-block work from the model's.
    """

    def __init__(self, model: NNModel, method: str = "forward", controls: LatentControls | None = None,
                 *, clock=None) -> None:
        if method not in ("forward", "latent") and method not in model.methods:
            raise ConfigError(f"model {model.name} has no method {method!r}; it has {sorted(model.methods)}")
        self.model = model
        self.method = method
        self.controls = controls or LatentControls()
        self.in_channels = model.method("encode" if method == "latent" else method).in_channels
        self.out_channels = model.method("decode" if method == "latent" else method).out_channels
        self.multiple = model.block_multiple("latent" if self._use_latent(self.controls) else method)
        import torch

        self._torch = torch
        self._gen = torch.Generator().manual_seed(int(self.controls.seed))
        self._clock = clock
        self.model_time = 0.0
        self._latent_for: LatentControls | None = None
        self._latent_path = False

    def _call(self, method: str, x):
        if self._clock is None:
            return self.model.run(method, x)
        t0 = self._clock()
        y = self.model.run(method, x)
        self.model_time += self._clock() - t0
        return y

    def _use_latent(self, c: LatentControls) -> bool:
        if self.method == "latent":
            return True
        if c.edits_latent and self.method == "forward":
            if not self.model.has_latent:
                raise ConfigError(f"model {self.model.name} has no encode/decode: latent controls need them")
            return True
        return False

    def bound_method(self, controls: LatentControls | None = None):
        """The model's method itself (bound once, called on a tensor with no wrapper in between) when
        ``controls`` need no latent path, else None. For a streaming worker's per-chunk call; it must add
        the time spent in it to :attr:`model_time` itself."""
        c = controls or self.controls
        return None if self._use_latent(c) else getattr(self.model.module, self.method)

    def run_block(self, block: np.ndarray, controls: LatentControls | None = None) -> np.ndarray:
        """``block``: float32 ``(in_channels, frames)``, frames a multiple of the ratio → model output."""
        x = self._torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32)[None])
        y = self.run_tensor(x, controls)
        return (y.detach() if y.requires_grad else y).numpy()[0]

    def run_tensor(self, x, controls: LatentControls | None = None):
        """The same on a tensor ``(1, in_channels, frames)``; returns the model's tensor (no copies)."""
        torch = self._torch
        c = controls or self.controls
        if c is not self._latent_for:  # controls are immutable: decide once per controls object
            self._latent_path, self._latent_for = self._use_latent(c), c
        if self._latent_path:
            z = self._call("encode", x)
            if c.edits_latent:
                scale, bias = c.vectors(z.shape[1])
                z = z * torch.from_numpy(scale)[None, :, None] + torch.from_numpy(bias)[None, :, None]
                if c.temperature > 0:
                    z = z + c.temperature * torch.randn(z.shape, generator=self._gen)
            return self._call("decode", z)
        return self._call(self.method, x)


def _match_channels(audio: np.ndarray, channels: int) -> np.ndarray:
    if audio.shape[0] == channels:
        return audio
    if channels == 1:
        return audio.mean(axis=0, keepdims=True)
    return np.repeat(audio[:1], channels, axis=0)


def measure_latency(model: NNModel, method: str = "forward", *, block: int | None = None, seconds: float = 0.5) -> int:
    """Model latency in samples: first output sample where an impulse's run departs from silence's.

    Two runs from the clean state, the same random seed; the difference isolates the impulse's effect even for
    models whose output is not silent on silence (RAVE's noise generator, biases).
    """
    import torch

    probe = ModelRunner(model, method)
    mult = probe.multiple
    block = block or mult * max(1, DEFAULT_BLOCK // mult)
    n_blocks = max(1, int(math.ceil(seconds * model.sr / block)))
    outs = []
    runner = ModelRunner(model, method)
    for impulse in (False, True):
        model.reset_state()
        torch.manual_seed(0)
        ys = []
        with torch.inference_mode():
            for b in range(n_blocks):
                x = np.zeros((probe.in_channels, block), np.float32)
                if impulse and b == 0:
                    x[:, 0] = 1.0
                ys.append(runner.run_block(x))
        outs.append(np.concatenate(ys, axis=-1))
    model.reset_state()
    diff = np.abs(outs[1] - outs[0]).max(axis=0)
    peak = float(diff.max())
    if peak <= 0:
        return 0
    return int(np.argmax(diff > peak * 1e-3))


def transfer(
    audio: np.ndarray,
    sr: int,
    model: NNModel,
    *,
    method: str = "forward",
    controls: LatentControls | None = None,
    block: int = DEFAULT_BLOCK,
    align: bool = True,
    tail: float = 0.0,
    progress=None,
) -> np.ndarray:
    """Transfer ``audio`` (float32 ``(channels, frames)`` at ``sr``) through ``model``; same sr out.

    Each channel runs in turn through a mono model from its clean state (stereo in, stereo out); the
    model's streaming state is reset before and after (its optimised graphs are kept). With
    ``align`` the model's measured latency is removed, so output sample *i* lines up with input *i*.
    ``tail`` seconds of silence are appended so resonances ring out.
    """
    if audio.ndim != 2 or audio.shape[1] == 0:
        raise InputError(f"audio must be (channels, frames) with frames > 0, got shape {audio.shape}")
    controls = controls or LatentControls()
    x = resample(np.asarray(audio, dtype=np.float32), sr, model.sr)
    if tail > 0:
        x = np.concatenate([x, np.zeros((x.shape[0], int(tail * model.sr)), np.float32)], axis=1)
    frames = x.shape[1]
    probe = ModelRunner(model, method, controls)
    blk = probe.multiple * max(1, int(round(block / probe.multiple)))
    path = "latent" if probe._use_latent(controls) else method
    latency = measure_latency(model, path) if align else 0
    total = frames + latency
    n_blocks = int(math.ceil(total / blk))
    padded = np.zeros((x.shape[0], n_blocks * blk), np.float32)
    padded[:, :frames] = x
    if probe.in_channels == 1:
        groups = [padded[c : c + 1] for c in range(padded.shape[0])]
    else:
        groups = [_match_channels(padded, probe.in_channels)]
    import torch

    outs = []
    with torch.inference_mode():
        for g, src in enumerate(groups):
            model.reset_state()
            runner = ModelRunner(model, method, controls)
            torch.manual_seed(int(controls.seed) + g)
            ys = []
            for b in range(n_blocks):
                ys.append(runner.run_block(src[:, b * blk : (b + 1) * blk]))
                if progress is not None:
                    progress.update(1)
            outs.append(np.concatenate(ys, axis=-1))
    model.reset_state()
    wet = np.concatenate(outs, axis=0)
    wet = wet[:, latency : latency + frames]
    if wet.shape[0] != x.shape[0]:
        wet = _match_channels(wet, x.shape[0])
    if controls.dry_wet < 1.0:
        wet = controls.dry_wet * wet + (1.0 - controls.dry_wet) * x
    out = resample(wet, model.sr, sr)
    n_out = int(round(frames * sr / model.sr))
    if out.shape[1] < n_out:
        out = np.pad(out, ((0, 0), (0, n_out - out.shape[1])))
    return np.ascontiguousarray(out[:, :n_out], dtype=np.float32)
