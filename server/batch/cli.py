"""``wave batch INPUT... -o OUT``: many photographs -> many instrument sets on Ray (see ``docs/batch.md``)."""

from __future__ import annotations

import argparse


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give e.g. 1 or 0.5") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text}: give 0 (CPU only) or a positive share of a GPU")
    return v


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..make.cli import _backends, _sound_backend

    p = subparsers.add_parser(
        "batch",
        help="many images -> one `wave make` set each, in parallel on this machine or a Ray cluster",
        description="Run `wave make` on every image into OUT/<name>/, with models loaded once per worker. "
        "Finished sets are skipped (a rerun only redoes what changed); OUT/batch.json and OUT/index.html "
        "list every image with its status, time and error.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image files, folders (searched recursively) or .txt/.csv lists of image paths")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder: OUT/<name>/ per image")
    p.add_argument("--address", default=None, metavar="auto|HOST:PORT|ray://HOST:PORT",
                   help="join this Ray cluster (default: start Ray on this machine)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="parallel images (local: CPUs given to Ray; default: every core)")
    p.add_argument("--gpus-per-worker", type=_positive_float, default=0.0, metavar="G",
                   help="GPUs each model worker holds (e.g. 1 or 0.5; default 0: CPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_argument_group("make options (as in `wave make`)")
    g.add_argument("--song", default=None, metavar="FILE.mid", help="arrange this MIDI file instead of composing")
    g.add_argument("--genre", default=None, metavar="GENRE", help="genre of the composed songs")
    g.add_argument("--backends", type=_backends, default={}, metavar="SPEC",
                   help="scene=builtin|qwen2.5-vl|blip, sounds=builtin|audioldm2|audioldm, detector=...")
    g.add_argument("--sound-backend", type=_sound_backend, default=None, metavar="NAME",
                   help="sounds backend; overrides --backends sounds=")
    g.add_argument("--timbre-model", action="append", metavar="ROLE=MODEL.ts", help="nn~/RAVE model for a role")
    g.add_argument("--no-timbre", action="store_true", help="build instruments from the raw sounds")
    g.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical outputs)")
    g.add_argument("--seconds", type=float, default=3.0, help="length of each generated sound (s)")
    g.add_argument("--step", type=int, default=4, help="semitones between sampled root keys (1-12)")
    g.add_argument("--no-scene-layer", action="store_true", help="no soundscape under intro/outro")
    g.add_argument("--force", action="store_true", help="re-run every stage of every image")
    from ..models.options import add_model_arguments

    add_model_arguments(p)
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace):
    from ..make.cli import _models, prepare_models
    from ..make.pipeline import MakeSettings
    from ..models.options import options_from_args

    b = args.backends
    st = MakeSettings(scene_backend=b.get("scene", "builtin"), detector=b.get("detector", "builtin"),
                      sounds_backend=args.sound_backend or b.get("sounds", "builtin"),
                      timbre_models=_models(args.timbre_model), timbre=not args.no_timbre, seed=args.seed,
                      seconds=args.seconds, step=args.step, song=args.song, genre=args.genre,
                      layer_scene=not args.no_scene_layer)
    # checked here (a bad device, a missing v2a mapper: one line before Ray starts), carried in the
    # settings to every worker, which exports them in its own process (work._export_models)
    st.models = prepare_models(st.sounds_backend, options_from_args(args)).to_dict()
    return st


def run(args: argparse.Namespace) -> int:
    from .inputs import collect_inputs, name_items
    from .runner import run_batch

    st = settings_from_args(args)
    st.check()
    items = name_items(collect_inputs(args.inputs))
    res = run_batch(items, args.out, st, address=args.address, workers=args.workers,
                    gpus_per_worker=args.gpus_per_worker, force=args.force,
                    progress=False if args.no_progress else None)
    d = res.to_dict()
    for r in res.images:
        if r["status"] == "failed":
            print(f"failed: {r['name']} ({r['image']}): {r['error']}")
    print(f"{d['sets']} sets ({d['done']} made, {d['cached']} already made), {d['failed']} failed in "
          f"{d['seconds']:.1f} s: {res.out / 'index.html'}")
    return 1 if d["failed"] else 0
