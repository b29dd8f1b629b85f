from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main() -> None:
    names = sorted(m.name[6:] for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("names", nargs="*", choices=[*names, []], help="benchmarks to run (default: all)")
    ap.add_argument("--write", action="store_true", help="replace each benchmark's section in docs/benchmarks.md")
    args = ap.parse_args()
    for name in args.names or names:
        mod = importlib.import_module(f"bench.bench_{name}")
        section = mod.run()
        print(section)
        if args.write:
            replace_section(name, section)


def replace_section(name: str, text: str) -> None:
    """Sections are delimited by <!-- bench:NAME --> ... <!-- /bench:NAME --> markers."""
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"<!-- bench:{name} -->\n{text.strip()}\n<!-- /bench:{name} -->"
    pat = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    doc = pat.sub(lambda _: block, doc) if pat.search(doc) else doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc)


if __name__ == "__main__":
    main()
