"""``wave v2a train``: train a V2A mapper (CLIP image space -> CLAP audio space) on (image, audio) pairs."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "v2a", help="V2A-Mapper: train the picture -> sound mapper on (image, audio) pairs",
        description="Sound from an object's picture with no text step: CLIP image embedding -> mapper -> CLAP "
        "audio embedding -> AudioLDM (docs/models.md).")
    sub = p.add_subparsers(dest="v2a_command", metavar="SUBCOMMAND", required=True)
    t = sub.add_parser("train", help="train a mapper on a folder of pairs (dog.jpg + dog.wav, ...)")
    t.add_argument("pairs", metavar="DIR", help="folder of image and audio files paired by name")
    t.add_argument("-o", "--out", required=True, metavar="FILE.pt", help="mapper file to write")
    t.add_argument("--clip", default="openai/clip-vit-base-patch32", help="CLIP checkpoint (hub id or folder)")
    t.add_argument("--clap", default="laion/clap-htsat-unfused", help="CLAP checkpoint (the one AudioLDM uses)")
    t.add_argument("--epochs", type=int, default=200)
    t.add_argument("--hidden", type=int, default=1024, help="width of the mapper's residual MLP")
    t.add_argument("--layers", type=int, default=4, help="residual blocks")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--val-fraction", type=float, default=0.1, help="pairs held out to report the mapper's cosine")
    t.add_argument("--seconds", type=float, default=10.0, help="audio read from the start of each file (CLAP: 10 s)")
    t.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..paths import check_output
    from . import v2a

    if args.epochs < 1 or args.lr <= 0 or not 0 < args.seconds <= 60:
        raise ConfigError("--epochs must be >= 1, --lr > 0 and --seconds 0-60")
    check_output(args.out, kind="file")
    pairs = v2a.find_pairs(args.pairs)
    image, audio = v2a.ImageEncoder.load(args.clip), v2a.AudioEncoder.load(args.clap)
    x, y = v2a.embed_pairs(pairs, image, audio, seconds=args.seconds)
    res = v2a.train_mapper(x, y, hidden=args.hidden, layers=args.layers, epochs=args.epochs, lr=args.lr,
                           val_fraction=args.val_fraction, seed=args.seed)
    v2a.save_mapper(res.mapper, args.out, clip=args.clip, clap=args.clap)
    print(json.dumps({"pairs": len(pairs), "out": str(args.out), "val_cosine": round(res.val_cosine, 4),
                      "untrained_val_cosine": round(res.baseline_cosine, 4),
                      "final_train_loss": round(res.train_loss[-1], 5)}))
    return 0
