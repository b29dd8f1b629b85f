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

Pipelines and the CLAP ranker are loaded through the process-wide :mod:`server.models.cache`, keyed by
backend, checkpoint, device and dtype: every generator of a process (each ``render_sounds`` call of
``wave make``, each server job) shares one loaded pipeline.

The published ``cvssp/audioldm2`` checkpoint declares its language model as ``transformers.GPT2Model``,
which has no generation methods; diffusers' own loop calls ``_update_model_kwargs_for_generation`` on it
and fails with transformers 5 (diffusers issue #12630). WAVE drives that loop itself
(:func:`language_model_generate`, bound to the pipeline instance only), which works for ``GPT2Model`` and
``GPT2LMHeadModel`` alike.

Candidates are ranked by CLAP against the source's own core prompt (``rank_prompt``: the thing, its
material, how it is played, its timbre), not the whole context prompt, so scene words ("bell tower") do
not decide which candidate wins.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..audio.resample import resample
from ..errors import ConfigError, MissingDependencyError
from ..models.cache import ModelCache, ModelKey, default_cache

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
_CONFIGURE_LOCK = threading.Lock()


@dataclass
class Ranker:
    """A CLAP model with its tokenizer and feature extractor, to score audio against text."""

    model: Any  # transformers.ClapModel
    tokenizer: Any
    feature_extractor: Any


def clap_scores(ranker: Ranker, text: str, audios: np.ndarray, sample_rate: int) -> np.ndarray:
    """CLAP logits (text vs. each audio) as the AudioLDM2 pipeline's ``score_waveforms`` computes them."""
    import torch

    target = int(ranker.feature_extractor.sampling_rate)
    audios = np.asarray(audios, np.float32)
    if sample_rate != target:
        audios = resample(audios, sample_rate, target)
    inputs = ranker.tokenizer(text, return_tensors="pt", padding=True)
    param = next(ranker.model.parameters())
    inputs["input_features"] = ranker.feature_extractor(
        list(audios), return_tensors="pt", sampling_rate=target
    ).input_features.to(param.dtype)
    inputs = inputs.to(param.device)
    with torch.inference_mode():
        logits = ranker.model(**inputs).logits_per_text
    return logits[0].float().cpu().numpy()


def core_prompt(name: str, material: str = "", play_method: str = "",
                timbre: list[str] | tuple[str, ...] = ()) -> str:
    """The source itself in a short CLAP-style caption (no scene, no mood, no instructions): what candidates
    are ranked against."""
    def clean(t: str | None) -> str:
        return " ".join((t or "").split()).strip().rstrip(".")

    what = f"The sound of {clean(name)}"
    if clean(material) and clean(material).lower() != clean(name).lower():
        what += f" made of {clean(material)}"
    if clean(play_method):
        what += f", {clean(play_method)}"
    words = [clean(w) for w in timbre if clean(w)]
    return what + (f"; {', '.join(words)}." if words else ".")


def source_core_prompt(source: Any, variant: int = 0) -> str:
    """:func:`core_prompt` of a :class:`server.scene.SoundSource` (its first variant by default)."""
    variants = list(getattr(source, "variants", None) or [])
    v = variants[min(variant, len(variants) - 1)] if variants else None
    return core_prompt(source.name, getattr(source, "material", "") or "",
                       getattr(v, "play_method", "") if v is not None else "",
                       tuple(getattr(v, "timbre", ()) or ()) if v is not None else ())


def language_model_generate(language_model: Any, inputs_embeds: Any, max_new_tokens: int | None = None,
                            attention_mask: Any = None, **_unused: Any) -> Any:
    """AudioLDM2's autoregressive step: ``max_new_tokens`` hidden states from the GPT-2 language model.

    The same computation as ``AudioLDM2Pipeline.generate_language_model`` (feed the sequence, append the last
    hidden state, continue from the key/value cache), written against the model's plain ``forward`` so it
    works for ``GPT2Model`` (the published checkpoint) as well as ``GPT2LMHeadModel``.
    """
    import inspect

    import torch

    n = int(max_new_tokens if max_new_tokens is not None else language_model.config.max_new_tokens)
    # transformers >= 5.2x names the key/value cache ``cache``; older releases ``past_key_values``
    cache_arg = "cache" if "cache" in inspect.signature(language_model.forward).parameters else "past_key_values"
    past = None
    step = inputs_embeds
    for _ in range(n):
        out = language_model(inputs_embeds=step, attention_mask=attention_mask, use_cache=True,
                             output_hidden_states=True, return_dict=True, **{cache_arg: past})
        nxt = out.hidden_states[-1][:, -1:, :]
        inputs_embeds = torch.cat([inputs_embeds, nxt], dim=1)
        past = out.get("cache", None) if out.get("cache", None) is not None else out.get("past_key_values")
        step = nxt
        if attention_mask is not None:
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones((attention_mask.shape[0], 1))],
                                       dim=-1)
    return inputs_embeds[:, -n:, :]


def _bind_language_model_loop(pipe: Any) -> None:
    """Give this AudioLDM2 pipeline instance (not the class) WAVE's language-model loop."""
    def generate_language_model(inputs_embeds: Any = None, max_new_tokens: int = 8, **kwargs: Any) -> Any:
        return language_model_generate(pipe.language_model, inputs_embeds, max_new_tokens, **kwargs)

    object.__setattr__(pipe, "generate_language_model", generate_language_model)


def resolve_device_dtype(device: str | None, fp16: bool | None, backend: str = "audioldm2") -> tuple[str, Any]:
    """``(device, torch dtype)``: ``device`` resolved (None/auto: ``WAVE_DEVICE``, else CUDA when present, else
    CPU; :func:`server.models.options.resolve_device`), in the dtype the registry gives ``backend`` there
    (AudioLDM/AudioLDM2: float16 on a GPU, float32 on the CPU) unless ``fp16`` says otherwise."""
    import torch

    from ..models.options import resolve_device
    from ..models.registry import dtype_on

    device = resolve_device(device)
    if fp16 is None:
        return device, getattr(torch, dtype_on(backend, device))
    return device, (torch.float16 if fp16 else torch.float32)


class DiffusionGenerator:
    """Text-to-sound with a diffusers pipeline; one instance loads its model once and renders many sources.

    ``pipeline`` may be given ready-made (tests build tiny random-weight pipelines from configs);
    otherwise :meth:`load` calls ``from_pretrained(model_id)``.
    """

    def __init__(self, backend: str = "audioldm2", model_id: str | None = None, *, pipeline: Any = None,
                 device: str | None = None, fp16: bool | None = None, offload: bool = False,
                 scheduler: str | None = None, steps: int | None = None, guidance: float | None = None,
                 ranker: Ranker | str | bool | None = None, progress: bool = False,
                 cache: ModelCache | None = None) -> None:
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
        from ..models.options import check_device

        self.device = None if device is None else check_device(device)
        self.fp16 = fp16
        self.offload = offload
        self.progress = progress
        self._ranker_arg = ranker
        self.ranker: Ranker | None = ranker if isinstance(ranker, Ranker) else None
        self.cache = cache
        self.key: ModelKey | None = None
        self._scheduler: Any = None
        self.pipe = pipeline
        if pipeline is not None:
            self._configure(pipeline)

    # ---- loading ------------------------------------------------------------------------------
    def _cache(self) -> ModelCache:
        return self.cache if self.cache is not None else default_cache()

    def load(self) -> Any:
        """The pipeline: the one given, or the process cache's (loaded once per backend, checkpoint, device
        and dtype with ``from_pretrained``)."""
        if self.pipe is not None:
            return self.pipe
        try:
            import diffusers
            import torch  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError(
                f"the {self.backend} backend needs diffusers, transformers and torch: "
                "pip install 'wave-server[models]' (or use --backend builtin)"
            ) from exc
        cls = getattr(diffusers, self.defaults.pipeline)
        device, dtype = resolve_device_dtype(self.device, self.fp16, self.backend)
        where = f"{device}+offload" if self.offload and device.startswith("cuda") else device
        self.key = ModelKey(self.backend, self.model_id, where, str(dtype).removeprefix("torch."))
        cache = self._cache()
        pipe = cache.get(self.key, lambda: self._from_pretrained(cls, dtype, device))
        self.pipe = pipe
        self._configure(pipe)
        return pipe

    def _from_pretrained(self, cls: Any, dtype: Any, device: str) -> Any:
        log.info("loading %s (%s) in %s on %s", self.model_id, self.defaults.pipeline, dtype, device)
        try:
            pipe = cls.from_pretrained(self.model_id, dtype=dtype)
        except (OSError, ValueError) as exc:
            raise MissingDependencyError(
                f"cannot load {self.model_id!r} for the {self.backend} backend ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); download it once with network access "
                f"(wave models fetch {self.backend}, or huggingface-cli download {self.model_id}), "
                "pass --model-id PATH to a local copy, or use --backend builtin"
            ) from exc
        if self.offload and device.startswith("cuda"):
            pipe.enable_model_cpu_offload()
        else:
            pipe.to(device)
        return pipe

    def _configure(self, pipe: Any) -> None:
        import torch

        # the checkpoint's own scheduler, kept on the instance so generators that share a cached pipeline
        # each use their own (set before every call)
        with _CONFIGURE_LOCK:
            base = pipe.__dict__.get("_wave_base_scheduler")
            if base is None:
                base = pipe.scheduler
                object.__setattr__(pipe, "_wave_base_scheduler", base)
                object.__setattr__(pipe, "_wave_lock", threading.Lock())
        if self.scheduler != "default":
            from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

            cls = DPMSolverMultistepScheduler if self.scheduler == "dpm" else DDIMScheduler
            self._scheduler = cls.from_config(base.config)
        else:
            self._scheduler = base
        pipe.scheduler = self._scheduler
        if self.key is None:  # a ready-made pipeline: place it as asked
            if self.offload and torch.cuda.is_available():
                pipe.enable_model_cpu_offload()
            else:
                from ..models.options import resolve_device

                pipe.to(resolve_device(self.device))
        pipe.set_progress_bar_config(disable=not self.progress)
        if self.backend == "audioldm2":
            _bind_language_model_loop(pipe)
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
        except ImportError:
            return None

        from ..models.options import resolve_device
        from ..models.registry import dtype_on

        device = resolve_device(self.device)
        dtype = dtype_on("clap-ranker", device)

        def build() -> Ranker:
            import torch

            model = ClapModel.from_pretrained(name, dtype=getattr(torch, dtype)).eval().to(device)
            proc = ClapProcessor.from_pretrained(name)
            return Ranker(model, proc.tokenizer, proc.feature_extractor)

        try:
            self.ranker = self._cache().get(ModelKey("clap-ranker", name, device, dtype), build)
        except (OSError, ValueError) as exc:
            log.warning("cannot load CLAP ranker %s (%s); candidates keep their generation order", name, exc)
            self._ranker_arg = False
            return None
        return self.ranker

    @property
    def sample_rate(self) -> int:
        return int(self.load().vocoder.config.sampling_rate)

    # ---- generation ---------------------------------------------------------------------------
    def generate(self, prompt: str, negative_prompt: str | None, seconds: float, *, candidates: int | None = None,
                 seed: int = 0, rank_prompt: str | None = None) -> tuple[np.ndarray, int, list[dict]]:
        """Render ``candidates`` waveforms for ``prompt``, rank them by CLAP against ``rank_prompt`` (the
        source's core prompt, :func:`source_core_prompt`; ``prompt`` when not given); return the best
        ``(frames,)``, its rate, and every candidate's rank and score (best first)."""
        import torch

        n = int(candidates if candidates is not None else self.defaults.candidates)
        if not 1 <= n <= 16:
            raise ConfigError(f"candidates={candidates!r} is out of range; use 1 to 16 (3 is the seed's choice)")
        pipe = self.load()
        generator = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
        # a cached pipeline may be shared by generators on several threads: one call at a time, each with its
        # own scheduler
        with pipe.__dict__["_wave_lock"], torch.inference_mode():
            pipe.scheduler = self._scheduler
            out = pipe(prompt, negative_prompt=negative_prompt, audio_length_in_s=float(seconds),
                       num_inference_steps=self.steps, guidance_scale=self.guidance,
                       num_waveforms_per_prompt=n, generator=generator)
        audios = np.asarray(out.audios, dtype=np.float32).reshape(n, -1)
        sr = int(pipe.vocoder.config.sampling_rate)
        ranker = self._load_ranker() if n > 1 else self.ranker
        scores: list[float | None] = [None] * n
        order = np.arange(n)
        if ranker is not None:
            s = clap_scores(ranker, rank_prompt or prompt, audios, sr)
            order = np.argsort(-s, kind="stable")
            scores = [float(s[i]) for i in order]
        audios = audios[order]
        cands = [{"rank": r, "generated_index": int(order[r]),
                  "clap_score": None if sc is None or not math.isfinite(sc) else round(sc, 5)}
                 for r, sc in enumerate(scores)]
        return audios[0], sr, cands
