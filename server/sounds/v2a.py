"""V2A-Mapper: sound from an object's picture, with no text step (Wang et al., "V2A-Mapper: A Lightweight
Solution for Vision-to-Audio Generation by Connecting Foundation Models", AAAI 2024; the Image-to-Stereo seed).

    crop of the object -> CLIP image embedding -> mapper -> CLAP audio embedding -> AudioLDM -> sound

AudioLDM is conditioned on CLAP embeddings (it was trained on CLAP *audio* embeddings and takes CLAP *text*
embeddings at inference), so a CLIP image embedding translated into CLAP's audio space can drive it directly,
in place of the text embedding (``prompt_embeds``). Only the mapper is trained, on (image, audio) pairs.

What is built here: the paper's **regression mapper** (the variant it reports as slightly better on relevance,
CLAP score; the generative diffusion mapper, better on fidelity/variety, is not built): a residual MLP from
CLIP's to CLAP's embedding, trained on L2-normalised embeddings with mean squared error plus a cosine term.
A mapper file (``.pt``) carries its contract (format version, dimensions, the CLIP and CLAP checkpoints it was
trained between) and is refused at load when it does not fit the encoders it is used with.

Candidates are ranked by the cosine between each candidate's CLAP audio embedding and the mapped embedding:
the audio closest to what the picture should sound like wins.
"""

from __future__ import annotations

import logging
import math
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio.resample import resample
from ..errors import ConfigError, InputError, MissingDependencyError

log = logging.getLogger(__name__)

MAPPER_FORMAT = 1
DEFAULT_CLIP = "openai/clip-vit-base-patch32"


def _features(out: Any) -> Any:
    """Projected embeddings from ``get_image_features``/``get_audio_features`` (a tensor, or an output whose
    ``pooler_output`` holds them in transformers 5)."""
    return out if hasattr(out, "dim") else out.pooler_output


def build_mapper(clip_dim: int, clap_dim: int, hidden: int = 1024, layers: int = 4, dropout: float = 0.1) -> Any:
    """The regression mapper: input projection, ``layers`` pre-norm residual MLP blocks, output projection."""
    import torch
    from torch import nn

    for name, v in (("clip_dim", clip_dim), ("clap_dim", clap_dim), ("hidden", hidden)):
        if not isinstance(v, int) or v < 1:
            raise ConfigError(f"{name}={v!r} must be a positive integer")
    if not isinstance(layers, int) or not 0 <= layers <= 32:
        raise ConfigError(f"layers={layers!r} must be 0 to 32")

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, hidden * 2), nn.GELU(),
                                     nn.Dropout(dropout), nn.Linear(hidden * 2, hidden))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.net(x)

    class Mapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = {"clip_dim": clip_dim, "clap_dim": clap_dim, "hidden": hidden, "layers": layers,
                           "dropout": dropout}
            self.inp = nn.Linear(clip_dim, hidden)
            self.blocks = nn.Sequential(*[Block() for _ in range(layers)])
            self.out = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, clap_dim))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = nn.functional.normalize(x, dim=-1)
            return nn.functional.normalize(self.out(self.blocks(self.inp(x))), dim=-1)

    return Mapper()


def mapper_loss(pred: Any, target: Any) -> Any:
    """MSE between L2-normalised embeddings plus (1 - cosine), averaged over the batch."""
    import torch.nn.functional as F

    p, t = F.normalize(pred, dim=-1), F.normalize(target, dim=-1)
    return F.mse_loss(p, t) * p.shape[-1] + (1 - (p * t).sum(-1)).mean()


@dataclass
class TrainResult:
    mapper: Any
    train_loss: list[float]
    val_cosine: float  # mean cosine of mapped vs true CLAP embeddings on the held-out pairs
    baseline_cosine: float  # the same before training


def train_mapper(clip_emb: np.ndarray, clap_emb: np.ndarray, *, hidden: int = 1024, layers: int = 4,
                 epochs: int = 200, lr: float = 1e-3, batch: int = 64, val_fraction: float = 0.1,
                 seed: int = 0) -> TrainResult:
    """Train a mapper on paired embeddings (rows of ``clip_emb`` and ``clap_emb`` belong together)."""
    import torch

    x = np.asarray(clip_emb, np.float32)
    y = np.asarray(clap_emb, np.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise InputError(f"embeddings must be two 2-D arrays with one row per pair; got {x.shape} and {y.shape}")
    if len(x) < 4:
        raise InputError(f"{len(x)} pairs are too few to train a mapper; give at least 4 (hundreds in practice)")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("embeddings contain NaN or infinite values")
    if not 0 <= val_fraction < 1:
        raise ConfigError(f"val_fraction={val_fraction!r} must be in [0, 1)")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    order = torch.randperm(len(x), generator=g).numpy()
    n_val = max(1, int(round(len(x) * val_fraction))) if val_fraction > 0 else 0
    val, tr = order[:n_val], order[n_val:]
    xt, yt = torch.from_numpy(x[tr]), torch.from_numpy(y[tr])
    model = build_mapper(x.shape[1], y.shape[1], hidden, layers)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))

    def val_cos() -> float:
        if not n_val:
            return float("nan")
        model.eval()
        with torch.no_grad():
            p = model(torch.from_numpy(x[val]))
            t = torch.nn.functional.normalize(torch.from_numpy(y[val]), dim=-1)
            return float((p * t).sum(-1).mean())

    baseline = val_cos()
    losses = []
    for _ in range(int(epochs)):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        total = 0.0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            loss = mapper_loss(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        losses.append(total / len(xt))
    model.eval()
    return TrainResult(model, losses, val_cos(), baseline)


def save_mapper(mapper: Any, path: str | Path, *, clip: str, clap: str) -> None:
    """Write the mapper with its contract (format, dimensions, the encoders it maps between)."""
    import torch

    from ..paths import atomic_path

    meta = {"format": MAPPER_FORMAT, "config": dict(mapper.config), "clip": str(clip), "clap": str(clap)}
    with atomic_path(path) as tmp:
        torch.save({"meta": meta, "state_dict": mapper.state_dict()}, tmp)


def load_mapper(path: str | Path, *, clip_dim: int | None = None, clap_dim: int | None = None) -> tuple[Any, dict]:
    """(mapper, meta); refused with the reason when the file is not a mapper or does not fit the encoders."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such V2A mapper file; train one with `wave v2a train PAIRS_DIR -o {p.name}` "
                         "(or give --v2a-mapper the path of an existing one)")
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
        meta, state = data["meta"], data["state_dict"]
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        raise InputError(f"{p} is not a V2A mapper file ({exc.__class__.__name__}); give a file written by "
                         "`wave v2a train`, or train a new one") from None
    if not isinstance(meta, dict) or meta.get("format") != MAPPER_FORMAT:
        fmt = meta.get("format") if isinstance(meta, dict) else None
        raise InputError(f"{p}: mapper format {fmt!r}; this WAVE reads format {MAPPER_FORMAT}: retrain it with "
                         "`wave v2a train`")
    cfg = meta["config"]
    for name, want in (("clip_dim", clip_dim), ("clap_dim", clap_dim)):
        if want is not None and cfg[name] != want:
            raise ConfigError(f"{p} maps {cfg['clip_dim']}-d CLIP to {cfg['clap_dim']}-d CLAP embeddings, but the "
                              f"encoders in use have {name} {want}; use the CLIP ({meta['clip']}) and CLAP "
                              f"({meta['clap']}) it was trained with")
    mapper = build_mapper(cfg["clip_dim"], cfg["clap_dim"], cfg["hidden"], cfg["layers"], cfg.get("dropout", 0.1))
    try:
        mapper.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise InputError(f"{p}: the mapper's weights do not fit its own config ({first[:120]}); the file is damaged: "
                         "retrain it with `wave v2a train`") from None
    return mapper.eval(), meta


def _cache(cache: Any) -> Any:
    from ..models.cache import default_cache

    return cache if cache is not None else default_cache()


def _key(backend: str, checkpoint: str, device: str, dtype: str) -> Any:
    from ..models.cache import ModelKey

    return ModelKey(backend, str(checkpoint), device, dtype)


def _device_dtype(registry_name: str, device: str | None) -> tuple[str, str]:
    from ..models.options import resolve_device
    from ..models.registry import dtype_on

    dev = resolve_device(device)
    return dev, dtype_on(registry_name, dev)


def _from_pretrained(cls: Any, checkpoint: str, what: str, dtype: str) -> Any:
    import torch

    try:
        return cls.from_pretrained(str(checkpoint), dtype=getattr(torch, dtype))
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise MissingDependencyError(
            f"cannot load the {what} checkpoint {checkpoint!r} ({exc.__class__.__name__}: {first[:160]}); put it in "
            f"the local cache (wave models fetch {'clip' if what == 'CLIP' else 'clap-ranker'}, or --from DIR) or pass --{what.lower()}-model with "
            "a local folder") from None


class ImageEncoder:
    """CLIP image tower: RGB crops -> L2-normalised embeddings ``(n, d)``."""

    def __init__(self, model: Any, processor: Any) -> None:
        self.model, self.processor = model.eval(), processor

    @classmethod
    def load(cls, checkpoint: str = DEFAULT_CLIP, *, device: str | None = None, cache: Any = None) -> ImageEncoder:
        """CLIP from ``checkpoint`` (hub id or folder) through the model cache, on ``device`` (auto)."""
        from transformers import CLIPImageProcessor, CLIPModel

        dev, dtype = _device_dtype("clip", device)

        def build() -> tuple[Any, Any]:
            model = _from_pretrained(CLIPModel, checkpoint, "CLIP", dtype).eval().to(dev)
            return model, CLIPImageProcessor.from_pretrained(checkpoint)

        return cls(*_cache(cache).get(_key("clip", checkpoint, dev, dtype), build))

    @property
    def dim(self) -> int:
        return int(self.model.config.projection_dim)

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        import torch

        inputs = self.processor(images=list(crops), return_tensors="pt")
        param = next(self.model.parameters())
        with torch.inference_mode():
            f = _features(self.model.get_image_features(pixel_values=inputs["pixel_values"].to(param.device,
                                                                                                 param.dtype)))
        return torch.nn.functional.normalize(f.float(), dim=-1).cpu().numpy()


class AudioEncoder:
    """CLAP audio tower: waveforms -> L2-normalised embeddings ``(n, d)`` (the space AudioLDM is trained in)."""

    def __init__(self, model: Any, feature_extractor: Any) -> None:
        self.model, self.feature_extractor = model.eval(), feature_extractor

    @classmethod
    def load(cls, checkpoint: str = "laion/clap-htsat-unfused", *, device: str | None = None,
             cache: Any = None) -> AudioEncoder:
        """CLAP from ``checkpoint`` (hub id or folder) through the model cache, on ``device`` (auto)."""
        from transformers import ClapFeatureExtractor, ClapModel

        dev, dtype = _device_dtype("clap-ranker", device)

        def build() -> tuple[Any, Any]:
            model = _from_pretrained(ClapModel, checkpoint, "CLAP", dtype).eval().to(dev)
            return model, ClapFeatureExtractor.from_pretrained(checkpoint)

        return cls(*_cache(cache).get(_key("clap-audio", checkpoint, dev, dtype), build))

    @property
    def dim(self) -> int:
        return int(self.model.config.projection_dim)

    def embed(self, audios: np.ndarray | list[np.ndarray], sample_rate: int) -> np.ndarray:
        import torch

        target = int(self.feature_extractor.sampling_rate)
        xs = [np.asarray(a, np.float32) for a in audios]
        if sample_rate != target:
            xs = [resample(a, sample_rate, target) for a in xs]
        feats = self.feature_extractor(xs, sampling_rate=target, return_tensors="pt")
        param = next(self.model.parameters())
        with torch.inference_mode():
            f = _features(self.model.get_audio_features(input_features=feats["input_features"].to(param.device,
                                                                                                  param.dtype)))
        return torch.nn.functional.normalize(f.float(), dim=-1).cpu().numpy()


class V2AGenerator:
    """Picture -> sound: CLIP (``image``) -> ``mapper`` -> AudioLDM (``pipeline``), candidates ranked by CLAP
    (``audio``) against the mapped embedding."""

    def __init__(self, image: ImageEncoder, mapper: Any, pipeline: Any, audio: AudioEncoder | None = None, *,
                 steps: int = 200, guidance: float = 2.5) -> None:
        clap_dim = int(mapper.config["clap_dim"])
        if mapper.config["clip_dim"] != image.dim:
            raise ConfigError(f"the mapper takes {mapper.config['clip_dim']}-d CLIP embeddings; this CLIP gives "
                              f"{image.dim}-d")
        text_dim = int(pipeline.text_encoder.config.projection_dim)
        if clap_dim != text_dim:
            raise ConfigError(f"the mapper gives {clap_dim}-d CLAP embeddings; this AudioLDM is conditioned on "
                              f"{text_dim}-d ones")
        if audio is not None and audio.dim != clap_dim:
            raise ConfigError(f"the mapper gives {clap_dim}-d CLAP embeddings but the ranking CLAP gives {audio.dim}-d; "
                              "use the CLAP the mapper was trained with (--clap-model)")
        if not 1 <= int(steps) <= 1000 or not 0 <= float(guidance) <= 30:
            raise ConfigError(f"steps={steps!r} (1-1000) or guidance={guidance!r} (0-30) is out of range")
        self.image, self.mapper, self.pipe, self.audio = image, mapper, pipeline, audio
        self.steps, self.guidance = int(steps), float(guidance)
        self.scheduler: Any = None  # set by load_v2a: the scheduler this generator uses on a shared pipeline
        self.info: dict[str, Any] = {}  # what was loaded (checkpoints, device, dtype), for the manifest

    def condition(self, crop: np.ndarray) -> np.ndarray:
        """The CLAP-space embedding ``(d,)`` the picture is mapped to."""
        import torch

        with torch.inference_mode():
            return self.mapper(torch.from_numpy(self.image.embed([crop]))).numpy()[0]

    def generate(self, crop: np.ndarray, seconds: float, *, candidates: int = 3,
                 seed: int = 0) -> tuple[np.ndarray, int, list[dict]]:
        import torch

        if not 1 <= int(candidates) <= 16:
            raise ConfigError(f"candidates={candidates!r} is out of range; use 1 to 16")
        cond = self.condition(crop)
        param = next(self.pipe.unet.parameters())
        emb = torch.from_numpy(cond)[None].to(param.device, param.dtype)
        g = torch.Generator(device="cpu").manual_seed(int(seed) % (2**63))
        lock = self.pipe.__dict__.get("_wave_lock")  # a cached pipeline shared with other generators
        with lock if lock is not None else _nullcontext(), torch.inference_mode():
            if self.scheduler is not None:
                self.pipe.scheduler = self.scheduler
            out = self.pipe(prompt_embeds=emb, audio_length_in_s=float(seconds), num_inference_steps=self.steps,
                            guidance_scale=self.guidance, num_waveforms_per_prompt=int(candidates), generator=g)
        audios = np.asarray(out.audios, np.float32).reshape(int(candidates), -1)
        sr = int(self.pipe.vocoder.config.sampling_rate)
        scores: list[float | None] = [None] * len(audios)
        order = np.arange(len(audios))
        if self.audio is not None:
            s = self.audio.embed(list(audios), sr) @ cond
            order = np.argsort(-s, kind="stable")
            scores = [float(s[i]) for i in order]
        cands = [{"rank": r, "generated_index": int(order[r]),
                  "clap_cosine": None if sc is None or not math.isfinite(sc) else round(sc, 5)}
                 for r, sc in enumerate(scores)]
        return audios[order[0]], sr, cands


def _nullcontext() -> Any:
    import contextlib

    return contextlib.nullcontext()


def mapper_key_name(path: Path) -> str:
    """The cache key's checkpoint for a mapper file: its path with size and modification time, so a
    retrained file at the same path is loaded anew."""
    st = path.stat()
    return f"{path.resolve()}#{st.st_size}-{st.st_mtime_ns}"


def load_v2a(mapper: str | Path, *, clip: str | None = None, clap: str | None = None,
             audioldm: str | None = None, device: str | None = None, steps: int | None = None,
             guidance: float | None = None, scheduler: str | None = None, rank: bool = True,
             cache: Any = None, progress: bool = False) -> V2AGenerator:
    """A ready :class:`V2AGenerator`, every part through the model cache (one load per process):

    * the mapper file (checked first: a missing or damaged file fails before any large model loads);
    * CLIP (``clip``; default: the checkpoint the mapper was trained with);
    * AudioLDM (``audioldm``; default ``cvssp/audioldm-s-full-v2``), on ``device`` in its registry dtype,
      with the seed's settings (DDIM, 200 steps, guidance 2.5) unless told otherwise;
    * CLAP's audio tower to rank candidates (``clap``; default: the mapper's). A CLAP that cannot be loaded
      only costs the ranking (warned); ``rank=False`` skips it.
    """
    from ..models.options import ModelOptions
    from .diffusion import DiffusionGenerator

    path = ModelOptions(v2a_mapper=str(mapper)).mapper_path()
    meta_box: dict[str, Any] = {}

    def build_mapper_from_file() -> Any:
        m, meta = load_mapper(path)
        m.wave_meta = meta
        return m

    net = _cache(cache).get(_key("v2a-mapper", mapper_key_name(path), "cpu", "float32"), build_mapper_from_file)
    meta_box = net.wave_meta
    clip_id = clip or meta_box["clip"]
    clap_id = clap or meta_box["clap"]
    image = ImageEncoder.load(clip_id, device=device, cache=cache)
    dg = DiffusionGenerator("audioldm", audioldm, device=device, scheduler=scheduler, steps=steps, guidance=guidance,
                            ranker=False, progress=progress, cache=cache)
    pipe = dg.load()
    audio = None
    if rank:
        try:
            audio = AudioEncoder.load(clap_id, device=device, cache=cache)
        except MissingDependencyError as exc:
            log.warning("%s; candidates keep their generation order", exc)
    gen = V2AGenerator(image, net, pipe, audio, steps=dg.steps, guidance=dg.guidance)
    gen.scheduler = dg._scheduler
    key = dg.key
    gen.info = {"mapper": str(path), "mapper_config": dict(net.config), "mapper_trained_with":
                {"clip": meta_box["clip"], "clap": meta_box["clap"]}, "clip": str(clip_id),
                "clap": str(clap_id) if audio is not None else None, "audioldm": dg.model_id,
                "device": key.device if key else None, "dtype": key.dtype if key else None,
                "scheduler": dg.scheduler}
    return gen


IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
AUDIO_EXTS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


def find_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """(image, audio) files of the same stem in ``folder`` and below: ``dog.jpg`` + ``dog.wav``."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder; give a folder of pairs such as dog.jpg + dog.wav")
    images: dict[Path, Path] = {}
    audios: dict[Path, Path] = {}
    for p in sorted(root.rglob("*")):
        key = p.with_suffix("")
        if p.suffix.lower() in IMAGE_EXTS:
            images.setdefault(key, p)
        elif p.suffix.lower() in AUDIO_EXTS:
            audios.setdefault(key, p)
    pairs = [(images[k], audios[k]) for k in sorted(images) if k in audios]
    if len(pairs) < 4:
        raise InputError(f"{root} holds {len(pairs)} (image, audio) pairs of the same name; at least 4 are needed "
                         "(hundreds in practice): e.g. dog.jpg + dog.wav")
    return pairs


def embed_pairs(pairs: list[tuple[Path, Path]], image: ImageEncoder, audio: AudioEncoder, *,
                seconds: float = 10.0, batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """CLIP embeddings of the images and CLAP embeddings of the first ``seconds`` of the audio files."""
    import librosa
    from PIL import Image

    sr = int(audio.feature_extractor.sampling_rate)
    xs, ys = [], []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i:i + batch]
        crops = [np.asarray(Image.open(ip).convert("RGB")) for ip, _ in chunk]
        waves = [librosa.load(str(ap), sr=sr, mono=True, duration=seconds)[0] for _, ap in chunk]
        xs.append(image.embed(crops))
        ys.append(audio.embed(waves, sr))
    return np.concatenate(xs), np.concatenate(ys)


class V2ASources:
    """The sounds stage's view of V2A: one picture, many sources. ``generate`` has the signature of
    :meth:`server.sounds.diffusion.DiffusionGenerator.generate` plus ``source`` (a SoundSource): the source's
    box is cropped with context (the whole picture for a source with no box, e.g. ambience) and turned into
    sound; the text prompts are recorded but not used (V2A has no text step)."""

    backend = "v2a"

    def __init__(self, v2a: V2AGenerator, rgb: np.ndarray, *, model_id: str | None = None) -> None:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 4:
            raise InputError(f"the picture must be an RGB array of at least 4x4 pixels; got shape {rgb.shape}")
        self.v2a, self.rgb = v2a, rgb
        self.model_id = model_id or v2a.info.get("audioldm") or "v2a"
        sched = v2a.scheduler if v2a.scheduler is not None else v2a.pipe.scheduler
        self.steps, self.guidance, self.scheduler = v2a.steps, v2a.guidance, type(sched).__name__

    def describe(self, source: Any) -> dict:
        """What a source was heard from: its box (with the crop's context) or the whole picture."""
        box = getattr(source, "box", None) if source is not None else None
        h, w = self.rgb.shape[:2]
        return {"box": list(box) if box is not None else None,
                "crop": "box with context" if box is not None else "whole picture",
                "crop_pixels": list(self.crop(source).shape[:2][::-1]), "picture_pixels": [w, h]}

    def crop(self, source: Any) -> np.ndarray:
        from ..scene.detect import crop_box

        box = getattr(source, "box", None) if source is not None else None
        return self.rgb if box is None else crop_box(self.rgb, tuple(box))

    def generate(self, prompt: str, negative_prompt: str | None, seconds: float, *, candidates: int | None = None,
                 seed: int = 0, rank_prompt: str | None = None, source: Any = None) -> tuple[np.ndarray, int, list[dict]]:
        return self.v2a.generate(self.crop(source), seconds, candidates=candidates or 3, seed=seed)
