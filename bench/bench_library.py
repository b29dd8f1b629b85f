"""Benchmark of the ``library:DIR`` backend's text matching: does a scene's thing find its recording?

A library is laid out as a sound designer's would be, one recording per sound kind of the vocabulary
(``server/vocab``, 263 sources): ``<group>/<source>/<source> <first play method>.wav`` (``animals/big cat/big
cat roaring.wav``). Every COCO and ImageNet entry of the vocabulary (757: ``Siberian husky`` is a dog,
``brown bear`` a bear) is a query, as the scene stage would name it: its display name and material, with
and without the play method. A query is right when its source's file ranks first (top 1) or in the first 5.
Three matchers: the backend's (WordLlama embedding + character n-gram TF-IDF), TF-IDF alone (what runs
without ``wordllama``) and the embedding alone. No audio is read: the files' texts go straight into
:class:`server.sounds.library.TextIndex`, so the run takes seconds.

Run: ``.venv/bin/python bench/bench_library.py`` or ``python -m bench library [--write]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.sounds import library as lib_mod  # noqa: E402


def build() -> tuple[list[lib_mod.LibraryFile], list[tuple[str, str, str, str, str]]]:
    """The library's files (one per vocabulary source) and the queries (key, name, material, play, source)."""
    from server.vocab import vocabulary

    v = vocabulary()
    files, index = [], {}
    for key, src in v.sources.items():
        rel = f"{src.group}/{key}/{key} {src.plays[0].method}.wav"
        index[key] = len(files)
        files.append(lib_mod.LibraryFile(rel, 1, 0, 1.0, 48000, 1, "WAV/PCM_16"))
    queries = [(e.key, e.name, e.material, v.sources[e.source].plays[0].method, e.source) for e in v.entries()]
    return files, queries


def evaluate(files, queries, *, embedding: bool = True, ngrams: bool = True, play: bool = True) -> dict:
    ti = lib_mod.TextIndex(files)
    if not embedding:
        ti.doc_vec = None
    want = {f.path.split("/")[1]: i for i, f in enumerate(files)}
    top1 = top5 = hard1 = hard = 0
    t0 = time.perf_counter()
    for _key, name, material, method, source in queries:
        query = f"{name} {method}" if play else name
        total, emb, lex = ti.scores(query, material)
        s = total if (embedding and ngrams) or emb is None else (emb if not ngrams else lex)
        order = np.argsort(-s, kind="stable")[:5]
        hit1, hit5 = order[0] == want[source], want[source] in order
        top1 += hit1
        top5 += hit5
        if name.lower() != source.lower():
            hard += 1
            hard1 += hit1
    n = len(queries)
    return {"queries": n, "top1": round(top1 / n, 3), "top5": round(top5 / n, 3),
            "renamed": hard, "renamed_top1": round(hard1 / max(hard, 1), 3),
            "ms_per_query": round(1000 * (time.perf_counter() - t0) / n, 2)}


def bench() -> dict:
    files, queries = build()
    have_embedding = lib_mod.text_embedder() is not None
    out: dict = {"files": len(files), "embedding": have_embedding, "rows": {}}
    for play in (False, True):
        for label, emb, ngr in (("embedding + n-gram TF-IDF (the backend)", True, True),
                                ("n-gram TF-IDF only (no wordllama)", False, True),
                                ("embedding only", True, False)):
            if emb and not have_embedding:
                continue
            out["rows"][(label, play)] = evaluate(files, queries, embedding=emb, ngrams=ngr, play=play)
    return out


def run() -> str:
    """Markdown section for ``python -m bench`` (docs/benchmarks.md)."""
    try:
        res = bench()
    except ImportError as exc:
        return f"## Sounds: library matching\n\n- skipped ({exc})"
    lines = ["## Sounds: library matching (`library:DIR`)", "",
             f"- {res['files']} recordings (one per vocabulary source, named `<group>/<source>/<source> <play>.wav`); "
             f"every vocabulary entry as a query. Right = its source's file ranks first (top 1) / in the first 5. "
             "*Renamed* = entries whose name differs from their source's (`Siberian husky` -> dog).", "",
             "| query | matcher | top 1 | top 5 | renamed: top 1 | ms/query |", "|---|---|---|---|---|---|"]
    for (label, play), r in res["rows"].items():
        q = "name + material + play method" if play else "name + material"
        lines.append(f"| {q} | {label} | {r['top1']:.0%} | {r['top5']:.0%} | {r['renamed_top1']:.0%} "
                     f"({r['renamed']}) | {r['ms_per_query']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
