"""``wave scene IMAGE [-o scene.json] [--backend ...] [--detector ...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BACKENDS = ("builtin", "qwen2.5-vl", "blip")
DETECTORS = ("builtin", "yolo", "detr", "owlvit", "none")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scene", help="image -> scene.json (sound sources, mood, roles)",
                              description="Read a photograph into an audio-oriented scene (SceneSpec JSON).")
    p.add_argument("image", nargs="?", help="image file (JPEG, PNG, WebP, GIF, TIFF...)")
    p.add_argument("-o", "--output", help="write the scene here (default: print to stdout)")
    p.add_argument("--backend", choices=BACKENDS, default="builtin", help="scene reader (default: builtin, offline)")
    p.add_argument("--detector", choices=DETECTORS, default="builtin", help="object detector (default: builtin)")
    p.add_argument("--model", help="VLM / BLIP checkpoint: hub id or local folder")
    p.add_argument("--detector-model", help="YOLO checkpoint or DETR/OWL-ViT hub id or folder")
    p.add_argument("--threshold", type=float, default=0.4, help="detector score threshold (default 0.4)")
    p.add_argument("--guard", choices=("flag", "drop", "off"), default="flag",
                   help="ungrounded model sources: flag them (default), drop them, or skip the check")
    p.add_argument("--retries", type=int, default=2, help="VLM retries when its JSON is invalid (default 2)")
    p.add_argument("--no-roles", action="store_true", help="keep the backend's roles as they are")
    p.add_argument("--write-schema", metavar="PATH", help="write the SceneSpec JSON Schema to PATH and exit")
    from ..models.options import add_model_arguments

    add_model_arguments(p, only=("device",))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from . import read_scene
    from .spec import write_json_schema

    if args.write_schema:
        write_json_schema(args.write_schema)
        print(f"wrote {args.write_schema}", file=sys.stderr)
        return 0
    if not args.image:
        raise ConfigError("wave scene needs an IMAGE (or --write-schema PATH)")
    from ..models.options import options_from_args, resolve_device

    models = options_from_args(args)  # --device over WAVE_DEVICE
    if args.backend != "builtin" or args.detector not in ("builtin", "none"):
        resolve_device(models.device)  # a GPU asked for and absent: one line, before the image is read
    models.export_env()  # the detectors read the device from the environment
    opts = {"threshold": args.threshold, "guard": args.guard, "retries": args.retries, "roles": not args.no_roles}
    for key in ("model", "detector_model"):
        if getattr(args, key):
            opts[key] = getattr(args, key)
    if models.device != "auto":
        opts["device"] = models.device
    spec = read_scene(Path(args.image), backend=args.backend, detector=args.detector, **opts)
    if args.output:
        spec.save(args.output)
        print(f"wrote {args.output}: {len(spec.sound_sources)} sources", file=sys.stderr)
    else:
        print(spec.to_json())
    return 0
