"""Builtin timbre models: the input sound excites a bank of resonators tuned like the instrument.

Each role (keyboard, bass, guitar, drums) is a modal resonator: damped sinusoidal modes at the
partials of the instrument's note (stiff-string partials for the keyboard, plucked-string partials
and a few fixed body modes for the guitar, a strong fundamental for the bass, membrane (Bessel)
modes for the drums). The sound effect is the excitation, so the result keeps the source's texture
(its onsets, noise and rhythm) but rings and tunes like the role.

The resonator's impulse response is applied with a uniformly partitioned overlap-save convolution
(partition ``P`` samples, so the model's latency is ``P``); its output does not depend on how the
host cuts the stream into blocks. Models are ``nn_tilde.Module`` subclasses exported as nn~
TorchScript with methods ``encode`` / ``decode`` / ``forward`` (all ``[1, 1, 1, 1]``; the latent of
a builtin model is its excitation signal) and attributes ``note`` (MIDI note, float) and ``decay``
(multiplier of the decay times).

``nn_tilde`` is needed only to build/export (``scripts/make_builtin_models.py``); the exported
``instruments/builtin/<role>.ts`` files load with plain ``torch.jit.load``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, InputError, MissingDependencyError
from ..paths import INSTRUMENTS_DIR, atomic_path, cache_dir

log = logging.getLogger(__name__)

BUILTIN_DIR = INSTRUMENTS_DIR / "builtin"
ROLES = ("keyboard", "bass", "guitar", "drums")
BUILTIN_SR = 48000
PARTITION = 256

# Bessel-function zeros of an ideal membrane, relative to the (0,1) mode.
MEMBRANE_RATIOS = (1.0, 1.594, 2.136, 2.296, 2.653, 2.918, 3.156, 3.501, 3.600, 3.652, 4.060, 4.154)


@dataclass(frozen=True)
class RoleSpec:
    """One role's resonator, in one table (no scattered ifs)."""

    note: float  # default MIDI note
    n_partials: int
    inharmonicity: float  # stiff-string B (keyboard); partial k at k*sqrt(1+B k^2)/sqrt(1+B)
    tau1: float  # decay time (s, to 1/e) of the first partial
    tau_exp: float  # tau_k = tau1 / k**tau_exp
    amp_exp: float  # a_k = 1 / k**amp_exp
    pluck: float  # pluck position (0 = none): a_k *= |sin(pi k pluck)|
    ir_seconds: float
    dry: float = 0.0  # fraction of the (latency-aligned) excitation added to the output
    membrane: bool = False  # inharmonic membrane modes instead of string partials
    body: tuple[tuple[float, float, float], ...] = field(default=())  # fixed (Hz, amp, tau) modes
    gain: float = 1.0


ROLE_SPECS: dict[str, RoleSpec] = {
    "keyboard": RoleSpec(note=60, n_partials=32, inharmonicity=1.5e-4, tau1=1.2, tau_exp=0.7, amp_exp=1.0,
                         pluck=0.12, ir_seconds=1.5),
    "bass": RoleSpec(note=40, n_partials=20, inharmonicity=1e-4, tau1=1.0, tau_exp=0.6, amp_exp=1.4,
                     pluck=0.2, ir_seconds=1.5),
    "guitar": RoleSpec(note=52, n_partials=30, inharmonicity=5e-5, tau1=0.9, tau_exp=0.8, amp_exp=1.0,
                       pluck=0.18, ir_seconds=1.5,
                       body=((98.0, 0.25, 0.05), (204.0, 0.2, 0.04), (390.0, 0.12, 0.03))),
    "drums": RoleSpec(note=45, n_partials=len(MEMBRANE_RATIOS), inharmonicity=0.0, tau1=0.35, tau_exp=0.9,
                      amp_exp=0.7, pluck=0.0, ir_seconds=0.6, dry=0.35, membrane=True),
}


def mode_table(spec: RoleSpec) -> tuple[list[float], list[float], list[float]]:
    """Relative frequency ratios, amplitudes and decay factors of a role's note-tuned modes."""
    ratios, amps, taus = [], [], []
    for k in range(1, spec.n_partials + 1):
        if spec.membrane:
            r = MEMBRANE_RATIOS[k - 1]
        else:
            b = spec.inharmonicity
            r = k * math.sqrt(1 + b * k * k) / math.sqrt(1 + b)
        a = 1.0 / (k**spec.amp_exp)
        if spec.pluck > 0:
            a *= abs(math.sin(math.pi * k * spec.pluck)) + 0.05
        ratios.append(r)
        amps.append(a)
        taus.append(1.0 / (k**spec.tau_exp))
    return ratios, amps, taus


def _nn_tilde():
    try:
        import nn_tilde
    except ImportError as exc:
        raise MissingDependencyError(
            "building builtin timbre models needs nn_tilde: "
            ".venv/bin/pip install --no-deps 'nn-tilde>=1.6.0' 'cached-conv>=2.5.0' "
            "(or run scripts/setup-rave-venv.sh); the exported .ts files load without it"
        ) from exc
    return nn_tilde


def build_module(role: str, *, sr: int = BUILTIN_SR, partition: int = PARTITION):
    """Build the builtin resonator module of ``role`` (an ``nn_tilde.Module``, not yet scripted)."""
    if role not in ROLE_SPECS:
        raise ConfigError(f"unknown builtin role {role!r}; choose one of {', '.join(ROLES)}")
    spec = ROLE_SPECS[role]
    import torch

    nn_tilde = _nn_tilde()

    class BuiltinResonator(nn_tilde.Module):
        """A note-tuned modal resonator bank driven by the input sound (see module docstring)."""

        def __init__(self) -> None:
            super().__init__(sr=sr)
            ratios, amps, taus = mode_table(spec)
            self.P = partition
            self.n_parts = max(1, int(math.ceil(spec.ir_seconds * sr / partition)))
            self.sample_rate = float(sr)
            self.tau1 = float(spec.tau1)
            self.dry = float(spec.dry)
            self.gain = float(spec.gain)
            self.register_buffer("ratios", torch.tensor(ratios, dtype=torch.float64))
            self.register_buffer("amps", torch.tensor(amps, dtype=torch.float64))
            self.register_buffer("taus", torch.tensor(taus, dtype=torch.float64))
            body = spec.body or ((0.0, 0.0, 1.0),)
            self.register_buffer("body_f", torch.tensor([b[0] for b in body], dtype=torch.float64))
            self.register_buffer("body_a", torch.tensor([b[1] for b in body], dtype=torch.float64))
            self.register_buffer("body_tau", torch.tensor([b[2] for b in body], dtype=torch.float64))
            n = self.n_parts
            self.register_buffer("H", torch.zeros(n, partition + 1, dtype=torch.complex64))
            self.register_buffer("fdl", torch.zeros(1, 2 * n, partition + 1, dtype=torch.complex64))
            self.register_buffer("in_buf", torch.zeros(1, partition))
            self.register_buffer("prev_in", torch.zeros(1, partition))
            self.register_buffer("out_buf", torch.zeros(1, partition))
            self.fill = 0
            self.w = 0
            self.built_note = -1.0
            self.built_decay = -1.0
            self.register_attribute("note", float(spec.note))
            self.register_attribute("decay", 1.0)
            self.register_method("encode", 1, 1, 1, 1, input_labels=["(signal) sound"],
                                 output_labels=["(signal) excitation"])
            self.register_method("decode", 1, 1, 1, 1, input_labels=["(signal) excitation"],
                                 output_labels=["(signal) resonated sound"])
            self.register_method("forward", 1, 1, 1, 1, input_labels=["(signal) sound"],
                                 output_labels=["(signal) resonated sound"])
            self.shrink()

        @torch.jit.export
        def shrink(self) -> None:
            """Drop the derived spectra and state (rebuilt on the next call) so the file stays small."""
            self.H = torch.zeros(0, self.P + 1, dtype=torch.complex64)
            self.fdl = torch.zeros(0, 0, self.P + 1, dtype=torch.complex64)
            self.built_note = -1.0
            self.fill = 0
            self.w = 0

        @torch.jit.export
        def impulse_response(self) -> torch.Tensor:
            """The resonator's impulse response (float64, ``n_parts * P`` samples) for note/decay."""
            note = float(self.note[0])
            decay = max(float(self.decay[0]), 1e-3)
            f0 = 440.0 * 2.0 ** ((note - 69.0) / 12.0)
            L = self.n_parts * self.P
            t = torch.arange(L, dtype=torch.float64) / self.sample_rate
            f = self.ratios * f0
            keep = f < 0.45 * self.sample_rate
            f = f[keep]
            a = self.amps[keep]
            tau = self.taus[keep] * self.tau1 * decay
            h = (a.unsqueeze(1) * torch.sin(2 * math.pi * f.unsqueeze(1) * t.unsqueeze(0))
                 * torch.exp(-t.unsqueeze(0) / tau.unsqueeze(1))).sum(0)
            bt = self.body_tau * decay
            hb = (self.body_a.unsqueeze(1) * torch.sin(2 * math.pi * self.body_f.unsqueeze(1) * t.unsqueeze(0))
                  * torch.exp(-t.unsqueeze(0) / bt.unsqueeze(1))).sum(0)
            nf = L // 10  # raised-cosine fade over the last tenth
            fade = torch.ones(L, dtype=torch.float64)
            fade[L - nf :] = 0.5 * (1 + torch.cos(torch.linspace(0.0, math.pi, nf, dtype=torch.float64)))
            h = (h + hb) * fade
            norm = torch.sqrt((h * h).sum()).clamp_min(1e-12)
            return h / norm * self.gain

        @torch.jit.export
        def rebuild(self) -> None:
            h = self.impulse_response().to(torch.float32).reshape(self.n_parts, self.P)
            padded = torch.cat([h, torch.zeros_like(h)], dim=1)
            self.H = torch.fft.rfft(padded, dim=1)
            self.built_note = float(self.note[0])
            self.built_decay = float(self.decay[0])

        @torch.jit.export
        def reset_state(self) -> None:
            """Silence the resonators (clean streaming state)."""
            self.fdl = torch.zeros(1, 2 * self.n_parts, self.P + 1, dtype=torch.complex64)
            self.in_buf = torch.zeros(1, self.P)
            self.prev_in = torch.zeros(1, self.P)
            self.out_buf = torch.zeros(1, self.P)
            self.fill = 0
            self.w = 0

        def _partition(self, x: torch.Tensor) -> torch.Tensor:
            # overlap-save of one partition x (B, P) against the partitioned impulse response
            n = self.n_parts
            X = torch.fft.rfft(torch.cat([self.prev_in, x], dim=1), dim=1)
            self.w = (self.w - 1) % n
            self.fdl[:, self.w] = X
            self.fdl[:, self.w + n] = X
            Y = (self.fdl[:, self.w : self.w + n] * self.H.unsqueeze(0)).sum(1)
            y = torch.fft.irfft(Y, n=2 * self.P, dim=1)[:, self.P :]
            self.prev_in = x
            return y + self.dry * x

        @torch.jit.export
        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return x

        @torch.jit.export
        def decode(self, z: torch.Tensor) -> torch.Tensor:
            if float(self.note[0]) != self.built_note or float(self.decay[0]) != self.built_decay:
                self.rebuild()
            B = z.shape[0]
            if self.fdl.shape[0] != B or self.fdl.shape[1] != 2 * self.n_parts:
                self.fdl = torch.zeros(B, 2 * self.n_parts, self.P + 1, dtype=torch.complex64)
                self.in_buf = torch.zeros(B, self.P)
                self.prev_in = torch.zeros(B, self.P)
                self.out_buf = torch.zeros(B, self.P)
                self.fill = 0
            x = z[:, 0, :]  # (B, N) -> (B, N), latency P
            N = x.shape[1]
            out = torch.zeros(B, N)
            pos = 0
            while pos < N:
                k = min(self.P - self.fill, N - pos)
                self.in_buf[:, self.fill : self.fill + k] = x[:, pos : pos + k]
                out[:, pos : pos + k] = self.out_buf[:, self.fill : self.fill + k]
                self.fill += k
                pos += k
                if self.fill == self.P:
                    self.out_buf = self._partition(self.in_buf.clone())
                    self.fill = 0
            return torch.tanh(out).unsqueeze(1)

        @torch.jit.export
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.decode(self.encode(x))

        @torch.jit.export
        def get_latency(self) -> int:
            return self.P

    module = BuiltinResonator()
    module.eval()
    return module


def export_builtin(role: str, dest: str | Path | None = None, *, sr: int = BUILTIN_SR, check: bool = True) -> Path:
    """Build, script and save ``role``'s model, made for ``sr``, to ``dest`` (default
    ``instruments/builtin/<role>.ts``).

    With ``check``, the saved file is reloaded and every method compared with the in-memory module
    (atol 1e-6), neutone's round-trip habit.
    """
    import torch

    dest = Path(dest) if dest is not None else BUILTIN_DIR / f"{role}.ts"
    module = build_module(role, sr=sr)
    scripted = torch.jit.script(module)
    with atomic_path(dest) as tmp:
        scripted.save(str(tmp))
        if check:
            roundtrip_check(module, torch.jit.load(str(tmp)))
    log.info("exported builtin %s model to %s", role, dest)
    return dest


def roundtrip_check(module, loaded, *, atol: float = 1e-6, frames: int = 4096) -> float:
    """Call every method of the in-memory and the reloaded model on the same input; return max error."""
    import torch

    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 1, frames, generator=g) * 0.3
    worst = 0.0
    for m in loaded.get_methods():
        module.reset_state()
        loaded.reset_state()
        a = getattr(module, m)(x)
        b = getattr(loaded, m)(x)
        err = float((a - b).abs().max())
        worst = max(worst, err)
        if not err <= atol:
            raise InputError(f"builtin model method {m}: reloaded output differs by {err:.3g} > {atol}")
    return worst


def builtin_path(role: str, sr: int = BUILTIN_SR) -> Path:
    """Path of the exported builtin model for ``role`` (built on demand if missing).

    ``sr`` other than :data:`BUILTIN_SR`: the same model made for that rate, kept in the cache folder
    (:func:`server.paths.cache_dir`, ``builtin/<role>-<sr>-<code hash>.ts``; a few seconds to make the first
    time). A stream at that rate then plays it directly: resampling a 48 kHz model for a 44.1 kHz stream
    costs more latency than the model itself (soxr's stream holds back ~1000 samples each way).
    """
    if role not in ROLE_SPECS:
        raise ConfigError(f"unknown builtin role {role!r}; choose one of {', '.join(ROLES)}")
    sr = int(sr)
    if sr == BUILTIN_SR:
        path = BUILTIN_DIR / f"{role}.ts"
        if not path.is_file():
            log.warning("builtin model %s missing; building it (run `make models` to regenerate all)", path)
            export_builtin(role, path)
        return path
    if not 8000 <= sr <= 192000:
        raise ConfigError(f"sample rate {sr} Hz is outside 8000-192000 Hz")
    path = cache_dir() / "builtin" / f"{role}-{sr}-{_code_hash()}.ts"
    if not path.is_file():
        log.info("making the builtin %s model for %d Hz in %s", role, sr, path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        export_builtin(role, path, sr=sr)
    return path


def builtin_role(path: str | Path) -> str | None:
    """The role when ``path`` is one of the shipped builtin models (``instruments/builtin/<role>.ts``)."""
    p = Path(path)
    try:
        shipped = p.resolve().parent == BUILTIN_DIR.resolve()
    except OSError:
        return None
    return p.stem if shipped and p.suffix == ".ts" and p.stem in ROLE_SPECS else None


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    """What a cached model depends on: this module's source (a changed model is made again)."""
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]


def resolve_model(model: str | Path | None, role: str | None = None) -> Path:
    """``builtin:<role>`` / a role name / a path to a ``.ts`` file → a model file path."""
    if model is None:
        if role is None:
            raise ConfigError("give a model (.ts path or builtin:<role>) or a role")
        return builtin_path(role)
    s = str(model)
    if s.startswith("builtin:"):
        return builtin_path(s.split(":", 1)[1])
    if s in ROLE_SPECS and not Path(s).exists():
        return builtin_path(s)
    return Path(s)
