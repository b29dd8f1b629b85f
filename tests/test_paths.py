"""Atomic writes: nothing half-written where a finished result is expected."""

from __future__ import annotations

import os
import stat

import pytest

from server.errors import OutputError
from server.paths import atomic_dir, atomic_path, default_soundfont


def test_atomic_path_renames_on_success_only(tmp_path):
    dest = tmp_path / "out.wav"
    with atomic_path(dest) as tmp:
        tmp.write_bytes(b"new")
        assert not dest.exists() and tmp.suffix == ".wav"
    assert dest.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(dest).st_mode) & 0o044  # readable by others like any other file
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash while writing")
    assert dest.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_atomic_dir_replaces_whole_folder(tmp_path):
    dest = tmp_path / "inst"
    with atomic_dir(dest) as d:
        (d / "a.txt").write_text("1")
    with pytest.raises(ValueError), atomic_dir(dest) as d:
        (d / "b.txt").write_text("2")
        raise ValueError("bad input halfway")
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt"]
    with atomic_dir(dest) as d:
        (d / "c.txt").write_text("3")
    assert sorted(p.name for p in dest.iterdir()) == ["c.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]


def test_unwritable_destination_named(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a folder"), atomic_path(f / "out.wav"):
        pass


def test_default_soundfont_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("WAVE_SOUNDFONT", str(tmp_path / "x.sf2"))
    assert default_soundfont() == tmp_path / "x.sf2"
    monkeypatch.delenv("WAVE_SOUNDFONT")
    assert default_soundfont().suffix == ".sf2"
