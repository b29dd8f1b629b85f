"""The ``wave`` command line: one sub-command per stage.

Each stage keeps its own ``cli`` module with a ``register(subparsers)`` function, so this file only
lists them. Stage modules import their heavy libraries (torch, transformers...) inside the command
function, so ``wave --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys

from . import __version__
from .errors import WaveError

# (module, what it adds). Order is the order in `wave --help`.
COMMAND_MODULES = (
    "server.make.cli",  # make: image -> instruments + song + report
    "server.batch.cli",  # batch: many images -> many sets on Ray (local or a cluster)
    "server.compose.cli",  # compose: scene -> an original song for its mood and genre
    "server.scene.cli",  # scene: image -> scene.json
    "server.sounds.cli",  # sounds: scene -> sound effects + stereo scene
    "server.timbre.cli",  # timbre, rave: timbre transfer, RAVE training
    "server.instruments_build.cli",  # build: sound -> SFZ + SF2 instrument
    "server.render.cli",  # render, inspect, demo
    "server.live.cli",  # serve, devices
    "server.models.cli",  # models: list model backends and their checkpoints, fetch them
    "server.sounds.v2a_cli",  # v2a: train the picture -> sound mapper
    "server.plugins.cli",  # plugins: list the LV2/VST3 plugins the live graph can host
)

log = logging.getLogger("server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wave",
        description="WAVE: turn a photograph into playable instruments and music.",
    )
    parser.add_argument("--version", action="version", version=f"wave {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                continue  # stage not part of this build
        except ModuleNotFoundError:
            continue
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="wave: %(levelname)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WaveError as exc:
        print(f"wave {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"wave {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `wave inspect song.mid | head`: the reader left; nothing more to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
