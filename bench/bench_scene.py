"""Builtin scene step on the evaluation set: does it name what is really in the picture?

Usage: .venv/bin/python -m bench scene [--write]   (or bench/bench_scene.py [--misses])

The set (bench/data/scene_eval/: images, expected.json written by hand before the code was run on
them, LICENSES.md) holds clip art and photos by group (animals, instruments, vehicles, household,
tools), pictures with no sounding object (negatives), landscapes (scenes), and composites of three
pictures side by side on a white canvas, built here from images of the set. Each picture's object
sources (not ambiences) are mapped to their sound-vocabulary source and matched against the
expected ones:

* recall: expected objects named / expected objects;
* wrong-object rate: named objects matching nothing expected (nor an 'also' object) / named objects;
* no-object rate: pictures with an expected object where no object was named at all;
* top-1: pictures whose most confident object is an expected one.

Also timed: the warm time per picture (models loaded, picture already decoded on disk).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parent / "data" / "scene_eval"
GROUP_ORDER = ("animals", "instruments", "vehicles", "household", "tools", "photos", "composites", "negatives",
               "scenes")
SINGLE_GROUPS = ("animals", "instruments", "vehicles", "household", "tools")


@dataclass
class Result:
    item: dict
    objects: list[tuple[str, str, float]]  # (vocab source, shown name, confidence), most confident first
    ambiences: list[str]
    seconds: float
    matched: int = 0
    wrong: list[str] = field(default_factory=list)


def _kind(src) -> str | None:
    from server.scene.labels import entry_for_label, sound_for_label

    e = entry_for_label(src.label) if src.label else None
    if e is None:
        e = sound_for_label(src.name.rstrip("0123456789 "))
    return e.source if e else None


def _composite(parts: list[Path]) -> np.ndarray:
    """Three pictures fitted into 300x300 cells on a white 960x340 canvas, 20 px apart."""
    canvas = Image.new("RGB", (960, 340), "white")
    for i, p in enumerate(parts):
        im = Image.open(p).convert("RGB")
        im.thumbnail((300, 300), Image.LANCZOS)
        x = 20 + 320 * i + (300 - im.width) // 2
        y = 20 + (300 - im.height) // 2
        canvas.paste(im, (x, y))
    return np.asarray(canvas)


def _picture(item: dict, tmp: Path) -> Path:
    src = item.get("source", "")
    if src.startswith("skimage:"):
        import skimage.data as sd

        arr = getattr(sd, src.split(":", 1)[1])()
        arr = arr[0] if isinstance(arr, tuple) else arr
        p = tmp / item["file"]
        Image.fromarray(np.asarray(arr)).save(p, quality=92)
        return p
    if "parts" in item:
        p = tmp / item["file"]
        Image.fromarray(_composite([DATA / "images" / f for f in item["parts"]])).save(p)
        return p
    return DATA / "images" / item["file"]


def evaluate(items: list[dict]) -> list[Result]:
    from server.scene import read_scene

    tmp = Path(tempfile.mkdtemp())
    read_scene(_picture(items[0], tmp))  # load the models once
    out = []
    for item in items:
        path = _picture(item, tmp)
        t = time.perf_counter()
        spec = read_scene(path)
        dt = time.perf_counter() - t
        objs = sorted(((_kind(s) or "?", s.name, s.confidence or 0.0) for s in spec.sound_sources if not s.ambience),
                      key=lambda o: -o[2])
        res = Result(item, objs, [s.name for s in spec.sound_sources if s.ambience], dt)
        pending = [set(alt) for alt in item["expect"]]
        also = set(item.get("also", []))
        for kind, name, _c in objs:
            hit = next((alt for alt in pending if kind in alt), None)
            if hit is not None:
                pending.remove(hit)
                res.matched += 1
            elif kind not in also and not any(kind in alt for alt in item["expect"]):
                res.wrong.append(name)
        out.append(res)
    return out


def classifier_ceiling(items: list[dict]) -> dict[str, float]:
    """How far the builtin classifier alone could take the single-object pictures: the share whose expected
    source is the classifier's most probable kind on the whole picture (probability summed over each
    vocabulary source's ImageNet classes, as the scene step sums it), and the share where it is among the
    five most probable kinds. No rule that picks among the classifier's kinds can beat the second figure."""
    from server.scene.builtin import kind_masses
    from server.scene.detect import classify
    from server.scene.image import load_image
    from server.scene.regions import plain_border

    tmp = Path(tempfile.mkdtemp())
    n = top1 = top5 = 0
    for item in items:
        if item.get("group") not in SINGLE_GROUPS:
            continue
        rgb = load_image(_picture(item, tmp))
        masses = kind_masses(classify(rgb, top=1000, pad=plain_border(rgb)))
        kinds = [k for k, _ in sorted(masses.items(), key=lambda kv: -kv[1][0])]
        alts = [set(a) for a in item["expect"]]
        n += 1
        top1 += bool(kinds) and any(kinds[0] in a for a in alts)
        top5 += any(k in a for a in alts for k in kinds[:5])
    return {"n": n, "top1": top1 / n if n else float("nan"), "top5": top5 / n if n else float("nan")}


def _rates(rs: list[Result]) -> dict[str, float | int]:
    expected = sum(len(r.item["expect"]) for r in rs)
    found = sum(len(r.objects) for r in rs)
    with_obj = [r for r in rs if r.item["expect"]]
    top1 = [r for r in with_obj if r.objects and any(r.objects[0][0] in alt for alt in r.item["expect"])]
    return {
        "n": len(rs),
        "recall": sum(r.matched for r in rs) / expected if expected else float("nan"),
        "wrong": sum(len(r.wrong) for r in rs) / found if found else 0.0,
        "wrong_n": sum(len(r.wrong) for r in rs),
        "found": found,
        "no_object": sum(1 for r in with_obj if not r.objects) / len(with_obj) if with_obj else float("nan"),
        "top1": len(top1) / len(with_obj) if with_obj else float("nan"),
    }


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.0f} %"


def report(results: list[Result], ceiling: dict[str, float] | None = None) -> str:
    groups = {g: [r for r in results if r.item["group"] == g] for g in GROUP_ORDER}
    singles = [r for g in SINGLE_GROUPS for r in groups[g]]
    times = [r.seconds for r in results]
    lines = [
        "## Scene: does the builtin step name what is in the picture?",
        "",
        f"`python -m bench scene` on the evaluation set `bench/data/scene_eval/` ({len(results)} pictures: "
        "clip art from Debian's openclipart-png, photos from mate-backgrounds and scikit-image, composites of "
        "three pictures side by side; expected sources written by hand before the code was run on them). "
        "Recall = expected objects named; wrong = named objects that match nothing expected; no-object = "
        "pictures with an expected object where none was named; top-1 = the most confident object is an "
        "expected one. Ambiences are not counted as objects.",
        "",
        "| group | pictures | recall | wrong-object | no-object | top-1 |",
        "|---|---|---|---|---|---|",
    ]
    for name, rs in [("**single objects (all five groups)**", singles), *((g, groups[g]) for g in GROUP_ORDER)]:
        if not rs:
            continue
        s = _rates(rs)
        lines.append(f"| {name} | {s['n']} | {_pct(s['recall'])} | {_pct(s['wrong'])} ({s['wrong_n']}/{s['found']}) "
                     f"| {_pct(s['no_object'])} | {_pct(s['top1'])} |")
    comp = groups["composites"]
    if comp:
        by_file = {r.item["file"]: r for r in results}
        parts = [by_file[p] for r in comp for p in r.item["parts"] if p in by_file]
        lines += ["", f"Composites: recall {_pct(_rates(comp)['recall'])} on {len(comp)} pictures of three objects; "
                  f"the same {len(parts)} pictures alone: {_pct(_rates(parts)['recall'])}."]
    neg = groups["negatives"] + groups["scenes"]
    phantom = [r for r in neg if r.objects]
    windy = [r for r in results if r.item.get("note", "").startswith("a plain white") and
             {"wind", "rain"} & set(r.ambiences)]
    scenes = [r for r in groups["scenes"] if r.item.get("ambience")]
    amb_ok = [r for r in scenes if set(r.ambiences) & set(r.item["ambience"])]
    lines += [
        f"Pictures with no sounding object (negatives, landscapes): {len(phantom)} of {len(neg)} got an object "
        f"source ({', '.join(sorted({o[1] for r in phantom for o in r.objects})) or 'none'}); the plain white "
        f"picture got {'wind or rain' if windy else 'no wind or rain'}; landscapes with an expected ambience got "
        f"one of them in {len(amb_ok)} of {len(scenes)}.",
        *([f"Ceiling of the builtin classifier on the {ceiling['n']} single-object pictures: its most probable "
           f"kind on the whole picture is the expected one for {_pct(ceiling['top1'])}, and the expected one is "
           f"among its five most probable kinds for {_pct(ceiling['top5'])} (no rule choosing among its kinds "
           "can name more)."] if ceiling else []),
        f"Time per picture, warm ({os.cpu_count()} cores, models loaded): median "
        f"{1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms.",
    ]
    return "\n".join(lines)


def misses(results: list[Result]) -> str:
    out = []
    for r in results:
        if r.matched < len(r.item["expect"]) or r.wrong:
            exp = " + ".join("/".join(a) for a in r.item["expect"]) or "nothing"
            got = ", ".join(f"{n} [{k}] {c:.2f}" for k, n, c in r.objects) or "nothing"
            out.append(f"{r.item['file']}: expected {exp}; got {got}")
    return "\n".join(out)


def run(show_misses: bool = False) -> str:
    items = json.loads((DATA / "expected.json").read_text())["images"]
    results = evaluate(items)
    text = report(results, classifier_ceiling(items))
    if show_misses:
        print(misses(results))
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="also print every picture with a miss or a wrong object")
    print(run(ap.parse_args().misses))


if __name__ == "__main__":
    main()
