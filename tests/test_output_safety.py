"""Output safety of the CLI: a failed command never touches an existing output, and every unusable
output path is one clear line, checked before any work (issue 13)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import mido
import pytest

REPO = Path(__file__).resolve().parent.parent


def wave(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def good_midi(path: Path) -> Path:
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr += [mido.Message("note_on", note=60, velocity=90, time=0), mido.Message("note_off", note=60, time=240)]
    mid.tracks.append(tr)
    mid.save(path)
    return path


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): (digest(p) if p.is_file() else "dir") for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("failure", ["bad midi", "missing soundfont", "bad map", "missing midi"])
def test_a_failed_render_leaves_an_existing_output_byte_identical(tmp_path, failure):
    out = tmp_path / "song.wav"
    out.write_bytes(b"RIFF yesterday's song" * 1000)
    before = digest(out)
    mid = good_midi(tmp_path / "ok.mid")
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd garbage")
    args = {
        "bad midi": [str(bad)],
        "missing soundfont": [str(mid), "--soundfont", str(tmp_path / "nope.sf2")],
        "bad map": [str(mid), "--map", "nonsense"],
        "missing midi": [str(tmp_path / "gone.mid")],
    }[failure]
    r = wave("render", *args, "-o", str(out), "--no-progress", cwd=tmp_path)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    assert out.is_file() and digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["song.wav", "ok.mid", "bad.mid"])


def test_unusable_outputs_are_one_line_each_and_change_nothing(tmp_path):
    mid = good_midi(tmp_path / "ok.mid")
    folder = tmp_path / "existing"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    before = tree(tmp_path)
    for out, words in ((Path("/proc/x.wav"), "/proc"), (Path("/sys/x.wav"), "/sys"), (folder, "existing folder"),
                       (a_file / "x.wav", "not a folder")):
        r = wave("render", str(mid), "-o", str(out), "--no-progress", cwd=tmp_path)
        assert r.returncode != 0, out
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert words in lines[0], lines[0]
        assert tree(tmp_path) == before
    assert not Path("/proc/x.wav").exists()
