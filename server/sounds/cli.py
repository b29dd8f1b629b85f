"""``wave sounds``: scene.json or a photograph -> sound effects per source + a stereo scene."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sounds",
        help="scene -> one sound effect per source + stereo scene.wav",
        description="Render each sound source of a scene as a realistic sound effect (mono WAV) and place "
        "them in a stereo scene by where they are in the picture. Writes DIR/sources/NN_<slug>.wav, "
        "DIR/scene.wav and DIR/manifest.json; DIR is replaced only when everything succeeded.",
    )
    p.add_argument("input", help="scene .json (WAVE's or the seed's sound_source.json) or an image")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--backend", type=_backend, default="builtin", metavar="NAME",
                   help="builtin procedural synthesiser (offline, default); audioldm2 or audioldm (diffusion "
                   "models); v2a (each source heard from its box of the picture: CLIP -> --v2a-mapper -> AudioLDM, "
                   "no text step; needs --image with a scene .json); library:DIR = your own recordings (a folder tree of WAV/FLAC/OGG/MP3, indexed once "
                   "and cached; each source gets the best-matching file, trimmed to its loudest event)")
    p.add_argument("--candidates", type=int, default=None, metavar="N",
                   help="candidates per source: ranked by CLAP (model backends), or listed in the manifest "
                   "(library); default 3")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical files)")
    p.add_argument("--seconds", type=float, default=5.0, metavar="T", help="length of each sound (0.1-120 s)")
    p.add_argument("--pan-law", choices=("equal-power", "seed"), default="equal-power",
                   help="equal-power (default) or the stereo seed's area/position weights")
    p.add_argument("--sample-rate", type=int, default=48000, metavar="HZ")
    p.add_argument("--scene-backend", default="builtin", help="scene reader used when INPUT is an image")
    p.add_argument("--image", default=None, metavar="PHOTO",
                   help="the picture the scene was read from (v2a backend; default: INPUT when it is an image)")
    m = p.add_argument_group("model backends")
    from ..models.options import add_model_arguments

    add_model_arguments(m)
    m.add_argument("--model-id", dest="sound_model", default=None, help="the same as --sound-model")
    m.add_argument("--scheduler", choices=("default", "ddim", "dpm"), default=None,
                   help="dpm = DPM-Solver++ (fast, ~20 steps)")
    m.add_argument("--steps", type=int, default=None, help="diffusion steps (default 200; 20 with --scheduler dpm)")
    m.add_argument("--guidance", type=float, default=None, help="classifier-free guidance (3.5 / 2.5)")
    m.add_argument("--offload", action="store_true", help="offload sub-models to the CPU (small GPUs)")
    p.set_defaults(func=run)


def _backend(text: str) -> str:
    from ..errors import ConfigError
    from .generate import parse_backend

    try:
        parse_backend(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..models.options import options_from_args
    from ..paths import check_output
    from .generate import (
        IMAGE_SUFFIXES,
        MODEL_BACKENDS,
        build_generator,
        check_model_backend,
        load_scene,
        render_sounds,
    )

    models = options_from_args(args)
    models.export_env()  # the scene stage (when INPUT is an image) and child processes use the same device
    image = args.image
    if image is None and Path(args.input).suffix.lower() in IMAGE_SUFFIXES:
        image = args.input
    check_output(args.out, kind="folder")
    if args.backend in MODEL_BACKENDS:  # a bad device, a missing mapper or picture: before the scene is read
        check_model_backend(args.backend, models, image)
    spec = load_scene(args.input, args.scene_backend)
    generator = None
    if args.backend in MODEL_BACKENDS:
        generator = build_generator(args.backend, models, image=image, steps=args.steps, guidance=args.guidance,
                                    scheduler=args.scheduler, offload=args.offload, progress=sys.stderr.isatty())
    manifest = render_sounds(spec, args.out, backend=args.backend, candidates=args.candidates, seed=args.seed,
                             seconds=args.seconds, sample_rate=args.sample_rate, pan_law=args.pan_law,
                             generator=generator, source_label=str(args.input), models=models)
    for s in manifest["sources"]:
        if s.get("library", {}).get("file"):
            what = f"{s['library']['file']} ({s['library']['why']})"
        elif "synth" in s:
            what = s["synth"]["model"] + "/" + s["synth"]["material"] + (" (no library match)" if "library" in s else "")
        else:
            what = f"{len(s['candidates'])} cand."
        print(f"{s['file']}  {what}  {s['seconds_taken']:.2f} s")
    if "library" in manifest:
        ix = manifest["library"]["index"]
        print(f"library {manifest['library']['root']}: {ix['files']} files ({ix['indexed']} indexed now, "
              f"{ix['reused']} from the cache, {ix['skipped']} skipped)")
    print(f"{args.out}/scene.wav  {len(manifest['sources'])} sources, peak {manifest['mix']['peak_dbfs']} dBFS, "
          f"{manifest['seconds_taken']:.2f} s")
    return 0
