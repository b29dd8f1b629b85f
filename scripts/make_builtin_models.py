#!/usr/bin/env python3
"""Regenerate the builtin timbre models: ``instruments/builtin/<role>.ts`` (nn~ TorchScript).

Usage: ``.venv/bin/python scripts/make_builtin_models.py [--out DIR] [ROLE ...]``. Needs nn_tilde in
the venv (``scripts/setup-rave-venv.sh`` installs it with ``--no-deps``). Each file is reloaded and
every method compared with the in-memory module (atol 1e-6) before it replaces the old one.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.timbre.builtin import BUILTIN_DIR, ROLES, export_builtin


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roles", nargs="*", choices=[*ROLES, []], metavar="ROLE", help="default: all roles")
    ap.add_argument("--out", type=Path, default=BUILTIN_DIR)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for role in args.roles or ROLES:
        path = export_builtin(role, args.out / f"{role}.ts")
        print(f"{role}: {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
