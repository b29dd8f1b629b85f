"""``wave models``: list every model backend and its checkpoint; ``wave models fetch NAME...`` caches them."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "models",
        help="list the model backends and their checkpoints; fetch them ahead of an offline gig",
        description="Without a sub-command: every model backend with its checkpoint, whether it is in the "
        "local Hugging Face cache (HF_HUB_CACHE / HF_HOME honoured), its size on disk and the device and dtype "
        "it would run with. `wave models fetch NAME...` downloads checkpoints into that cache (or copies "
        "them from a local mirror with --from DIR), so later runs work offline (HF_HUB_OFFLINE=1).",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--device", default=None, help="device to report for (default: cuda when present, else cpu)")
    p.add_argument("--cache-dir", default=None, metavar="DIR", help="hub cache folder (default: HF_HUB_CACHE)")
    sub = p.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    f = sub.add_parser("fetch", help="put checkpoints into the local cache",
                       description="Download (or copy with --from) each named checkpoint into the hub cache.")
    f.add_argument("names", nargs="+", metavar="NAME", help="model names from `wave models` (or hub ids); all = every one")
    f.add_argument("--from", dest="source", default=None, metavar="DIR",
                   help="local mirror holding DIR/<org>/<name>/ (no network)")
    f.add_argument("--cache-dir", dest="fetch_cache_dir", default=None, metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def run(args: argparse.Namespace) -> int:
    from . import registry

    cache_dir = getattr(args, "fetch_cache_dir", None) or args.cache_dir
    if args.models_command == "fetch":
        names = [m.name for m in registry.MODELS] if args.names == ["all"] else args.names
        for n in names:
            registry.lookup(n)  # refuse a bad name before fetching anything
        for n in names:
            path = registry.fetch(n, source=args.source, cache_dir=cache_dir)
            print(f"{registry.lookup(n).checkpoint}: {path} ({_size(registry.folder_bytes(path))})")
        return 0
    rows = registry.status(cache_dir, args.device)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    head = ("name", "checkpoint", "cached", "size", "device", "dtype", "used by")
    table = [(r["name"], r["checkpoint"], "yes" if r["cached"] else "no", _size(r["size_bytes"]),
              r["device"], r["dtype"], r["used_by"]) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table, strict=False)]
    for line in (head, *table):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    print(f"cache: {registry.hub_cache_dir(cache_dir)}")
    missing = [r["name"] for r in rows if not r["cached"]]
    if missing:
        print(f"not cached: {' '.join(missing)} (wave models fetch NAME... while online)")
    return 0
