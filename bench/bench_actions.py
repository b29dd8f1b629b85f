"""Benchmark of the actions family (``server/sounds/actions.py``): does an independent tagger hear each play of
the sound vocabulary that uses an action model as what the vocabulary says it is?

Every vocabulary play whose ``sound_model`` is an action model (claps, wings, tyres, air brakes, cloth, pops,
twangs, zips, bounces, blasts, heartbeat, breathing, vibration, static, feedback, sewing) is rendered with its
source's name, material, play method and timbre words for 3 seeds, 5 s at 16 kHz (the tagger's rate), and tagged
by YAMNet scored on the AudioSet ontology (:mod:`server.sounds.tagger`, as :mod:`bench.bench_sounds`): *in
branch* = the clip's depth-2 branch is one of the play's classes' branches; *class in top 5* = one of the play's
classes is among the clip's five best. Run ``python -m bench actions`` (``--write`` updates docs/benchmarks.md),
or ``python bench/bench_actions.py [--only MODEL ...]`` to print the tagger's answers while working on a model.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_sounds import render_and_judge, vocabulary_cases  # noqa: E402
from server.sounds import actions  # noqa: E402

SEEDS = (0, 1, 2)


def action_cases(only: tuple[str, ...] = ()):
    cases = [c for c in vocabulary_cases(all_plays=True) or [] if c.model in actions.MODELS]
    return [c for c in cases if not only or c.model in only]


def bench(only: tuple[str, ...] = (), seeds: tuple[int, ...] = SEEDS) -> dict:
    t0 = time.perf_counter()
    rows = render_and_judge(action_cases(only), seeds)
    per_play: dict[tuple[str, str], list[dict]] = defaultdict(list)
    per_model: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        per_play[(r["case"], r["play_method"])].append(r)
        per_model[r["model"]].append(r)
    return {"rows": rows, "per_play": per_play, "per_model": per_model, "seconds": time.perf_counter() - t0}


def markdown(res: dict) -> str:
    rows = res["rows"]
    n = len(rows)
    ib = sum(r["in_branch"] for r in rows)
    c5 = sum(r["class_top5"] for r in rows)
    lines = [f"Actions family ({len(res['per_play'])} vocabulary plays x {len(SEEDS)} seeds = {n} clips of 5 s at "
             f"16 kHz, YAMNet on the AudioSet ontology): in the right branch **{ib / max(n, 1):.0%}**, a named class "
             f"in the top 5 **{c5 / max(n, 1):.0%}**.", "",
             "| model | plays | in branch | class in top 5 |", "|---|---|---|---|"]
    for m in actions.MODELS:
        rs = res["per_model"].get(m, [])
        if rs:
            plays = len({(r["case"], r["play_method"]) for r in rs})
            lines.append(f"| {m} | {plays} | {sum(r['in_branch'] for r in rs)}/{len(rs)} | "
                         f"{sum(r['class_top5'] for r in rs)}/{len(rs)} |")
    lines += ["", "| source (play) | model | classes | in branch | class in top 5 | heard as (tagger's top 1) |",
              "|---|---|---|---|---|---|"]
    for (name, play), rs in res["per_play"].items():
        top1 = sorted({r["top5"][0].rsplit(" ", 1)[0] for r in rs if r["top5"]})
        lines.append(f"| {name} ({play}) | {rs[0]['model']} | {'; '.join(rs[0]['audioset'])} | "
                     f"{sum(r['in_branch'] for r in rs)}/{len(rs)} | {sum(r['class_top5'] for r in rs)}/{len(rs)} | "
                     f"{', '.join(top1)} |")
    return "\n".join(lines)


def run() -> str:
    from server.sounds.tagger import TaggerUnavailable

    try:
        return markdown(bench())
    except TaggerUnavailable as exc:
        return f"Actions family: not measured ({exc})."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=[], help="models to judge (default: all of the family)")
    args = ap.parse_args(argv)
    res = bench(tuple(args.only))
    for (name, play), rs in res["per_play"].items():
        print(f"{name[:16]:16s} {play[:28]:28s} {rs[0]['model']:11s} B{sum(r['in_branch'] for r in rs)} "
              f"C{sum(r['class_top5'] for r in rs)}  " + " | ".join(r["top5"][0] + " / " + str(r["branch"]).split("/")[-1][:20]
                                                         for r in rs))
    print(f"({res['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
