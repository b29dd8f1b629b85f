"""Real checkpoints end to end: opt-in (``WAVE_REAL_WEIGHTS=1``), each test skipped with the reason when its
checkpoint is not in the local Hugging Face cache (fetch them with ``wave models fetch NAME``).

Run on a GPU machine with ``bench/gpu_check.sh`` (or ``WAVE_REAL_WEIGHTS=1 pytest -m real_weights -s``); each
test prints one ``REAL`` line: load and run time, device, dtype and peak GPU memory. The checks are what a
listener or a user would check first: finite, non-silent audio of the asked length that CLAP relates to its
own prompt more than to an unrelated one; a scene with sources; a caption; a cup found in the coffee photo.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from server.models.registry import BY_NAME, cached_snapshot

pytestmark = [
    pytest.mark.real_weights,
    pytest.mark.skipif(os.environ.get("WAVE_REAL_WEIGHTS") != "1",
                       reason="real checkpoints are opt-in: set WAVE_REAL_WEIGHTS=1 (bench/gpu_check.sh does)"),
]
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

PHOTO = Path(__file__).resolve().parent.parent / "server" / "make" / "data" / "coffee.jpg"


def need(name: str) -> str:
    spec = BY_NAME[name]
    if cached_snapshot(spec.checkpoint) is None:
        pytest.skip(f"{spec.checkpoint} is not in the local cache: wave models fetch {name}")
    return spec.checkpoint


class Report:
    """Times and peak GPU memory of one backend, printed as one REAL line."""

    def __init__(self, name: str) -> None:
        self.name, self.parts = name, []
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def time(self, what: str, t0: float) -> None:
        self.parts.append(f"{what} {time.perf_counter() - t0:.1f} s")

    def done(self, device: str, dtype: str) -> None:
        peak = (f"peak GPU {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if torch.cuda.is_available()
                else "no GPU")
        print(f"\nREAL {self.name}: {', '.join(self.parts)}, {device} {dtype}, {peak}")


def _audio_checks(gen, prompt: str, other: str) -> None:
    from server.sounds.diffusion import clap_scores

    rep = Report(gen.backend)
    t0 = time.perf_counter()
    pipe = gen.load()
    rep.time("load", t0)
    t0 = time.perf_counter()
    audio, sr, cands = gen.generate(prompt, "music, low quality", 4.0, candidates=2, seed=1, rank_prompt=prompt)
    rep.time("2 x 4 s", t0)
    assert sr == 16000 and abs(len(audio) / sr - 4.0) < 0.05 and np.isfinite(audio).all()
    rms_db = 20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2)) + 1e-12)
    assert rms_db > -50, f"{gen.backend} made near-silence ({rms_db:.1f} dBFS)"
    if gen.ranker is not None:
        own, unrelated = clap_scores(gen.ranker, prompt, audio[None, :], sr)[0], \
            clap_scores(gen.ranker, other, audio[None, :], sr)[0]
        assert own > unrelated, f"CLAP: '{prompt}' {own:.2f} <= '{other}' {unrelated:.2f}"
    assert len(cands) == 2
    rep.done(str(pipe.device), str(pipe.unet.dtype).removeprefix("torch."))


def test_audioldm2_real():
    from server.sounds.diffusion import DiffusionGenerator

    need("audioldm2")
    _audio_checks(DiffusionGenerator("audioldm2", scheduler="dpm"), "a dog barking", "a church organ chord")


def test_audioldm_real():
    from server.sounds.diffusion import DiffusionGenerator

    need("audioldm")
    ranker = None if cached_snapshot(BY_NAME["clap-ranker"].checkpoint) else False
    _audio_checks(DiffusionGenerator("audioldm", scheduler="dpm", ranker=ranker), "rain falling on a tin roof",
                  "a trumpet fanfare")


@pytest.mark.parametrize("name", ["qwen2.5-vl", "qwen2.5-vl-3b"])
def test_qwen_real(name):
    from server.scene import vlm
    from server.scene.image import load_image

    checkpoint = need(name)
    rep = Report(name)
    t0 = time.perf_counter()
    net, proc = vlm.load_qwen(checkpoint)
    rep.time("load", t0)
    t0 = time.perf_counter()
    spec, raw = vlm.qwen_scene(load_image(PHOTO), net, proc, retries=2)
    rep.time(f"scene ({len(raw)} attempt(s))", t0)
    assert spec.sound_sources and spec.scene_description
    rep.done(str(net.device), str(net.dtype).removeprefix("torch."))


def test_blip_real():
    from server.scene import vlm
    from server.scene.image import load_image

    checkpoint = need("blip")
    rep = Report("blip")
    t0 = time.perf_counter()
    net, proc = vlm.load_blip(checkpoint)
    rep.time("load", t0)
    t0 = time.perf_counter()
    caps = vlm.blip_captions(load_image(PHOTO), net, proc)
    rep.time("3 captions", t0)
    assert all(caps) and any(w in " ".join(caps).lower() for w in ("cup", "coffee", "mug", "saucer"))
    rep.done(str(net.device), str(net.dtype).removeprefix("torch."))


@pytest.mark.parametrize("name", ["detr", "owlvit"])
def test_detector_real(name):
    from server.scene.detect import run_detector
    from server.scene.image import load_image

    checkpoint = need(name)
    rep = Report(name)
    t0 = time.perf_counter()
    dets = run_detector(load_image(PHOTO), name, model=checkpoint, threshold=0.3)
    rep.time("load + detect", t0)
    assert any(d.label in ("cup", "coffee cup", "mug") for d in dets), [d.label for d in dets]
    rep.done("cpu", "float32")
