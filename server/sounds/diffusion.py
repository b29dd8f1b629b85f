"""AudioLDM2 and AudioLDM (diffusers) sound-effect backends, with CLAP ranking of candidates.

* ``audioldm2``: :class:`diffusers.AudioLDM2Pipeline` (default ``cvssp/audioldm2``). With
  ``num_waveforms_per_prompt = N`` the pipeline itself ranks the N candidates by CLAP text-audio
  similarity (its ``score_waveforms``); the same CLAP model then gives the scores for the manifest.
* ``audioldm``: :class:`diffusers.AudioLDMPipeline` with the stereo seed's settings (guidance 2.5,
  200 DDIM steps, 3 candidates). AudioLDM 1 carries only CLAP's text tower, so candidates are ranked by a
  separate CLAP model (``laion/clap-htsat-unfused`` by default, or ``ranker=``); without one they keep
  their generation order and have no score.

Both load with ``from_pretrained`` (the real weights when present in the Hugging Face cache), use the
GPU in fp16 when there is one and the CPU in fp32 otherwise, can swap in DPM-Solver++ (``scheduler=
"dpm"``, ~20 steps) and can offload sub-models to the CPU on small GPUs (``offload=True``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, MissingDependencyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendDefaults:
    pipeline: str
    model_id: str
    steps: int
    guidance: float
    candidates: int
    scheduler: str  # "ddim", "dpm" or "default" (the checkpoint's own)
    ranks_itself: bool


BACKENDS: dict[str, BackendDefaults] = {
    "audioldm2": BackendDefaults("AudioLDM2Pipeline", "cvssp/audioldm2", 200, 3.5, 3, "default", True),
    "audioldm": BackendDefaults("AudioLDMPipeline", "cvssp/audioldm-s-full-v2", 200, 2.5, 3, "ddim", False),
}
SCHEDULERS = ("default", "ddim", "dpm")
DPM_STEPS = 20
CLAP_RANKER = "laion/clap-htsat-unfused"


@dataclass
class Ranker:
    """A CLAP model with its tokenizer and feature extractor, to score audio against text."""

    model: Any  # transformers.ClapModel
    tokenizer: Any
    feature_extractor: Any


def clap_scores(ranker: Ranker, text: str, audios: np.ndarray, sample_rate: int) -> np.ndarray:
    """CLAP logits (text vs. each audio) as the AudioLDM2 pipeline's ``score_waveforms`` computes them."""
    import librosa
    import torch

    target = int(ranker.feature_extractor.sampling_rate)
    audios = np.asarray(audios, np.float32)
    if sample_rate != target:
        audios = librosa.resample(audios, orig_sr=sample_rate, target_sr=target)
    inputs = ranker.tokenizer(text, return_tensors="pt", padding=True)
    param = next(ranker.model.parameters())
    inputs["input_features"] = ranker.feature_extractor(
        list(audios), return_tensors="pt", sampling_rate=target
    ).input_features.to(param.dtype)
    inputs = inputs.to(param.device)
    with torch.inference_mode():
        logits = ranker.model(**inputs).logits_per_text
    return logits[0].float().cpu().numpy()


class DiffusionGenerator:
    """Text-to-sound with a diffusers pipeline; one instance loads its model once and renders many sources.

    ``pipeline`` may be given ready-made (tests build tiny random-weight pipelines from configs);
    otherwise :meth:`load` calls ``from_pretrained(model_id)``.
    """

    def __init__(self, backend: str = "audioldm2", model_id: str | None = None, *, pipeline: Any = None,
                 device: str | None = None, fp16: bool | None = None, offload: bool = False,
                 scheduler: str | None = None, steps: int | None = None, guidance: float | None = None,
                 ranker: Ranker | str | None = None, progress: bool = False) -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"unknown diffusion backend {backend!r}; use one of: {', '.join(BACKENDS)}")
        self.backend = backend
        self.defaults = BACKENDS[backend]
        self.model_id = model_id or self.defaults.model_id
        sched = scheduler or self.defaults.scheduler
        if sched not in SCHEDULERS:
            raise ConfigError(f"unknown scheduler {sched!r}; use one of: {', '.join(SCHEDULERS)}")
        self.scheduler = sched
        self.steps = int(steps) if steps is not None else (DPM_STEPS if sched == "dpm" else self.defaults.steps)
        if not 1 <= self.steps <= 1000:
            raise ConfigError(f"steps={steps!r} is out of range; use 1 to 1000 (DPM-Solver: ~20, DDIM: 100-200)")
        self.guidance = float(guidance) if guidance is not None else self.defaults.guidance
        if not (0.0 <= self.guidance <= 30.0):
            raise ConfigError(f"guidance={guidance!r} is out of range; use 0 to 30 (2.5-3.5 is usual)")
        self.device = device
        self.fp16 = fp16
        self.offload = offload
        self.progress = progress
        self._ranker_arg = ranker
        self.ranker: Ranker | None = ranker if isinstance(ranker, Ranker) else None
        self.pipe = pipeline
        if pipeline is not None:
            self._configure(pipeline)

    # ---- loading ------------------------------------------------------------------------------
    def load(self) -> Any:
        if self.pipe is not None:
            return self.pipe
        try:
            import diffusers
            import torch
        except ImportError as exc:
            raise MissingDependencyError(
                f"the {self.backend} backend needs diffusers, transformers and torch: "
                "pip install 'wave-server[models]' (or use --backend builtin)"
            ) from exc
        cls = getattr(diffusers, self.defaults.pipeline)
        cuda = torch.cuda.is_available() and (self.device in (None, "cuda") or str(self.device).startswith("cuda"))
        dtype = torch.float16 if (self.fp16 if self.fp16 is not None else cuda) else torch.float32
        log.info("loading %s (%s) in %s", self.model_id, self.defaults.pipeline, dtype)
        try:
            pipe = cls.from_pretrained(self.model_id, torch_dtype=dtype)
        except (OSError, ValueError) as exc:
            raise MissingDependencyError(
                f"cannot load {self.model_id!r} for the {self.backend} backend ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); download it once with network access "
                "(huggingface-cli download " + self.model_id + "), pass --model-id PATH to a local copy, "
                "or use --backend builtin"
            ) from exc
        self.pipe = pipe
        self._configure(pipe)
        return pipe

    def _configure(self, pipe: Any) -> None:
        import torch

        if self.scheduler != "default":
            from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

            cls = DPMSolverMultistepScheduler if self.scheduler == "dpm" else DDIMScheduler
            pipe.scheduler = cls.from_config(pipe.scheduler.config)
        if self.offload and torch.cuda.is_available():
            pipe.enable_model_cpu_offload()
        else:
            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            pipe.to(device)
        pipe.set_progress_bar_config(disable=not self.progress)
        if self.defaults.ranks_itself:
            self.ranker = Ranker(pipe.text_encoder, pipe.tokenizer, pipe.feature_extractor)

    def _load_ranker(self) -> Ranker | None:
        if self.ranker is not None:
            return self.ranker
        if self._ranker_arg is False:
            return None
        name = self._ranker_arg if isinstance(self._ranker_arg, str) else CLAP_RANKER
        try:
            from transformers import ClapModel, ClapProcessor

            model = ClapModel.from_pretrained(name).eval()
            proc = ClapProcessor.from_pretrained(name)
        except (OSError, ValueError) as exc:
            log.warning("cannot load CLAP ranker %s (%s); candidates keep their generation order", name, exc)
            self._ranker_arg = False
            return None
        self.ranker = Ranker(model, proc.tokenizer, proc.feature_extractor)
        return self.ranker

    @property
    def sample_rate(self) -> int:
        return int(self.load().vocoder.config.sampling_rate)

    # ---- generation ---------------------------------------------------------------------------
    def generate(self, prompt: str, negative_prompt: str | None, seconds: float, *, candidates: int | None = None,
                 seed: int = 0) -> tuple[np.ndarray, int, list[dict]]:
        """Render ``candidates`` waveforms, rank them by CLAP; return the best ``(frames,)``, its rate, and
        every candidate's rank and score (best first)."""
        import torch

        n = int(candidates if candidates is not None else self.defaults.candidates)
        if not 1 <= n <= 16:
            raise ConfigError(f"candidates={candidates!r} is out of range; use 1 to 16 (3 is the seed's choice)")
        pipe = self.load()
        generator = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
        with torch.inference_mode():
            out = pipe(prompt, negative_prompt=negative_prompt, audio_length_in_s=float(seconds),
                       num_inference_steps=self.steps, guidance_scale=self.guidance,
                       num_waveforms_per_prompt=n, generator=generator)
        audios = np.asarray(out.audios, dtype=np.float32).reshape(n, -1)
        sr = int(pipe.vocoder.config.sampling_rate)
        ranker = self._load_ranker() if n > 1 else self.ranker
        scores: list[float | None] = [None] * n
        order = np.arange(n)
        if ranker is not None:
            s = clap_scores(ranker, prompt, audios, sr)
            order = np.argsort(-s, kind="stable")  # the pipeline's own order already, for audioldm2
            scores = [float(s[i]) for i in order]
        audios = audios[order]
        cands = [{"rank": r, "generated_index": int(order[r]),
                  "clap_score": None if sc is None or not math.isfinite(sc) else round(sc, 5)}
                 for r, sc in enumerate(scores)]
        return audios[0], sr, cands
