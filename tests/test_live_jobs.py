"""`/wave/generate FOLDER`: a folder of images handed to `wave batch`, its progress per image, each
finished set published atomically (issue 17)."""

from __future__ import annotations

import sys
import time

import pytest

from server.batch.summary import Progress
from server.live.jobs import parse_progress
from tests.test_live_engine import osc, render


def test_batch_progress_speaks_the_job_protocol(monkeypatch, capsys):
    monkeypatch.setenv("WAVE_PROGRESS", "json")
    p = Progress(3, enabled=False)
    for name, status in (("a", "done"), ("b", "failed"), ("c", "cached")):
        p.update({"name": name, "status": status, "seconds": 1.0})
    got = [parse_progress(line) for line in capsys.readouterr().err.splitlines()]
    assert [g[0] for g in got if g] == pytest.approx([1 / 3, 2 / 3, 1.0], abs=1e-3)
    assert got[1][1] == "b failed"


def test_a_folder_job_publishes_every_set_it_made(server):
    """The job machinery with a small stand-in for `wave batch` (which needs Ray and minutes): it speaks
    the progress protocol and leaves OUT/batch.json and OUT/<name>/instruments/<name>.sf2 per image."""
    shots = server.folders.images / "shoot"
    shots.mkdir()
    for n in ("beach", "market"):
        (shots / f"{n}.jpg").write_bytes(b"\xff\xd8\xff" + bytes(32))
    script = (
        "import json, shutil, sys, pathlib; src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]); "
        "imgs = sorted(p.stem for p in src.glob('*.jpg')) + ['broken']; recs = []\n"
        "for i, n in enumerate(imgs, 1):\n"
        "    ok = n != 'broken'\n"
        "    if ok:\n"
        "        (out / n / 'instruments').mkdir(parents=True)\n"
        f"        shutil.copyfile({str(server.gm_soundfont)!r}, out / n / 'instruments' / (n + '.sf2'))\n"
        "    recs.append({{'name': n, 'status': 'done' if ok else 'failed', 'error': None if ok else 'scene: bad'}})\n"
        "    print('@wave-progress ' + json.dumps({{'fraction': i / len(imgs), 'what': n}}), file=sys.stderr, "
        "flush=True)\n"
        "(out / 'batch.json').write_text(json.dumps({{'images': recs}})); sys.exit(1)"
    )
    server.jobs.batch_command = [sys.executable, "-c", script, "{image}", "{out}"]
    (address, args), = osc(server, "/wave/generate", "shoot", "named")
    assert address == "/wave/error" and "one set per image" in args[1]
    (_, (job_id, *_)), = osc(server, "/wave/generate", "shoot")
    t0 = time.monotonic()
    while not any(a == "/wave/job" and args[2] in ("done", "error") for a, args in server.sent):
        render(server, 0.05)
        assert time.monotonic() - t0 < 60
    reports = [(args[2], round(args[3], 2)) for a, args in server.sent if a == "/wave/job" and args[0] == job_id]
    assert ("running", 0.33) in reports and ("running", 0.67) in reports and reports[-1] == ("done", 1.0)
    msg = [args[1] for a, args in server.sent if a == "/wave/job/message" and args[0] == job_id][-1]
    assert "beach, market" in msg and "1 failed" in msg and "scene: bad" in msg
    assert {"beach", "market"} <= {n for n, _ in server.list_sets()}
    assert not any((server.folders.sets / ".jobs").iterdir())
    # outside the images folder: refused before any job
    (err,) = osc(server, "/wave/generate", "../")
    assert err[0] == "/wave/error" and "outside" in err[1][1]
