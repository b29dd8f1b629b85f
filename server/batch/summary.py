"""The batch's summary: ``OUT/batch.json``, ``OUT/index.html`` and the progress bar."""

from __future__ import annotations

import html
import json
import os
import sys
from typing import Any

from ..paths import atomic_path


class Progress:
    """One bar for the images (done / cached / failed / running) on a terminal; one line per finished
    image otherwise (a log, a CI job)."""

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        self.total, self.n = total, 0
        self.counts = {"done": 0, "cached": 0, "failed": 0}
        tty = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        self.lines = enabled is None and not tty
        if tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="image", desc="wave batch", file=sys.stderr, dynamic_ncols=True)

    def update(self, r: dict[str, Any]) -> None:
        self.n += 1
        self.counts[r["status"]] = self.counts.get(r["status"], 0) + 1
        if os.environ.get("WAVE_PROGRESS") == "json":  # the live server's jobs read this protocol
            print("@wave-progress " + json.dumps({"fraction": round(self.n / max(self.total, 1), 4),
                                                  "what": f"{r['name']} {r['status']}", "index": self.n,
                                                  "images": self.total}), file=sys.stderr, flush=True)
        if self.bar is not None:
            self.bar.update(1)
        elif self.lines:
            tail = f"  {r.get('error')}" if r["status"] == "failed" else ""
            print(f"[{self.n}/{self.total}] {r['name']} {r['status']} in {float(r.get('seconds', 0)):.1f} s{tail}",
                  file=sys.stderr, flush=True)

    def refresh(self, running: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix(dict(self.counts, running=running), refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def write(result) -> None:
    out = result.out
    with atomic_path(out / "batch.json") as tmp:
        tmp.write_text(json.dumps(result.to_dict(), indent=1) + "\n", "utf-8")
    with atomic_path(out / "index.html") as tmp:
        tmp.write_text(index_html(result), "utf-8")


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:.4em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}
img{max-width:160px;max-height:160px;border-radius:4px}.failed{color:#b00}.err{font-family:monospace;font-size:.85em}"""


def index_html(result) -> str:
    d = result.to_dict()
    e = html.escape
    rows = []
    for r in result.images:
        name = e(r["name"])
        thumb = f"<img alt='{name}' src='{r['thumbnail']}'>" if r.get("thumbnail") else "&mdash;"
        if r["status"] == "failed":
            link, player = name, ""
        else:
            link = f"<a href='{name}/report.html'>{name}</a>"
            player = f"<audio controls preload='none' src='{name}/song.wav'></audio>"
        notes = r.get("error") or "; ".join(f"{f['stage']}: {f['what']} failed" for f in r.get("failures", []))
        rows.append(f"<tr><td>{thumb}</td><td>{link}<br><small>{e(r['image'])}</small></td>"
                    f"<td class='{e(r['status'])}'>{e(r['status'])}</td><td>{r['seconds']:.1f} s</td>"
                    f"<td>{player}</td><td class='err'>{e(notes or '')}</td></tr>")
    head = (f"{d['sets']} sets ({d['done']} made, {d['cached']} already made), {d['failed']} failed, "
            f"in {d['seconds']:.1f} s")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>wave batch</title>"
            f"<style>{_CSS}</style></head><body><h1>wave batch</h1><p>{e(head)}</p>"
            "<table><tr><th></th><th>set</th><th>status</th><th>time</th><th>song</th><th>error</th></tr>"
            + "\n".join(rows) + "</table></body></html>\n")
