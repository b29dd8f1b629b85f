"""``wave plugins``: the third-party plugins WAVE can host (LV2 through liblilv; VST3, and on macOS Audio
Units, through pedalboard, each bundle opened in a child process)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plugins",
        help="list the LV2 (and VST3) plugins that can go into the live graph's insert slots",
        description="Every LV2 plugin lilv finds on LV2_PATH (default: ~/.lv2, /usr/local/lib/lv2, /usr/lib/lv2) "
        "with its URI, name, parameters (port symbol, range, default), whether it reports latency, whether "
        "it is an instrument, and host features it needs that WAVE lacks (such a plugin is refused at load). "
        "VST3 bundles (*.vst3; on macOS also Audio Units, *.component) are listed from the platform's standard "
        "folders (Linux: ~/.vst3, /usr/local/lib/vst3, /usr/lib/vst3; macOS: ~/Library/Audio/Plug-Ins/VST3 and "
        "Components and their /Library twins; Windows: Common Files\\VST3) and --plugin-path, each opened in a "
        "child process: path, name, parameters (Python name, range, default), latency in samples, whether it "
        "is an instrument; a bundle that fails or crashes to load is listed with its error.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--lv2-path", default=None, metavar="PATHS",
                   help="folders to search for LV2 bundles, separated by ':' (default: LV2_PATH or the standard ones)")
    p.add_argument("--plugin-path", action="append", default=[], metavar="DIR",
                   help="another folder of VST3 bundles (repeatable)")
    p.add_argument("--params", action="store_true", help="text output: list each plugin's parameters too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from .lv2 import World, default_world
    from .vst3 import discover

    for d in args.plugin_path:
        if not Path(d).is_dir():
            raise ConfigError(f"--plugin-path {d}: not a folder")
    world = World(args.lv2_path) if args.lv2_path is not None else default_world()
    rows = [p.to_dict() for p in world.plugins()] + discover(args.plugin_path)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return 0
    for r in rows:
        if "error" in r:
            print(f"{r['uri']}  {r['name']}  [{r['format']}; error: {r['error']}]")
            continue
        if r["format"] == "lv2":
            flags = [f"{r['audio_in']}in/{r['audio_out']}out"]
            if r["latency"]:
                flags.append("latency")
            if r.get("state"):
                flags.append("state")
        else:
            flags = [r["format"], f"latency {r['latency']}"]
        if r["instrument"]:
            flags.append("instrument")
        if r["unsupported_features"]:
            flags.append("unsupported: " + ", ".join(u.rsplit("/", 1)[-1] for u in r["unsupported_features"]))
        print(f"{r['uri']}  {r['name']}  [{'; '.join(flags)}]")
        if args.params:
            for q in r["params"]:
                print(f"    {q['symbol']:<16} {q['lo']:g} … {q['hi']:g} (default {q['default']:g})  {q['name']}")
    print(f"{len(rows)} plugin(s)", file=sys.stderr)
    return 0
