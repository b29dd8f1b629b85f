"""Build output safety: output paths are checked before any work, and an instrument (SFZ folder and SF2)
is replaced as a unit or not at all."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import server.instruments_build.build as build
from server.cli import main
from server.errors import OutputError
from server.instruments_build import build_instrument, build_set
from tests.test_build_players import harmonic_tone


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256 (what 'nothing changed on disk' compares)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture()
def tone(tmp_path) -> Path:
    p = tmp_path / "tone.wav"
    sf.write(str(p), harmonic_tone(261.63, 1.0, 48000), 48000)
    return p


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if the build reads or analyses any audio."""

    def forbidden(*a, **k):
        raise AssertionError("the build did work before checking its outputs")

    monkeypatch.setattr(build, "_read", forbidden)
    monkeypatch.setattr(build, "make_instrument", forbidden)


def test_sf2_dir_that_is_a_file_fails_before_any_work(tmp_path, tone, no_work):
    blocker = tmp_path / "instruments"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="instruments"):
        build_instrument(tone, "keyboard", name="t", sfz_dir=tmp_path / "sfz", sf2_dir=blocker)
    assert not (tmp_path / "sfz").exists()
    assert blocker.read_text() == "not a folder"
    with pytest.raises(OutputError, match="instruments"):
        build_set({"keyboard": tone}, name="s", sfz_dir=tmp_path / "sfz", sf2_dir=blocker)
    assert not (tmp_path / "sfz").exists()


def test_sfz_folder_that_is_a_file_fails_before_any_work(tmp_path, tone, no_work):
    (tmp_path / "sfz").mkdir()
    (tmp_path / "sfz" / "t").write_text("a file where the instrument folder goes")
    with pytest.raises(OutputError, match="sfz"):
        build_instrument(tone, "keyboard", name="t", sfz_dir=tmp_path / "sfz", sf2_dir=tmp_path / "sf2")
    assert not (tmp_path / "sf2").exists()


def test_cli_one_line_for_a_file_as_sf2_dir(tmp_path, tone, capsys, no_work):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(
        [
            "build",
            str(tone),
            "--role",
            "keyboard",
            "--sf2-dir",
            str(blocker),
            "--sfz-dir",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(blocker) in err and err.count("cannot write") == 1, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("what", ["instrument", "set"])
def test_instrument_is_replaced_as_a_unit_or_not_at_all(tmp_path, tone, monkeypatch, what):
    sfz_dir, sf2_dir = tmp_path / "sfz", tmp_path / "sf2"

    def run():
        if what == "set":
            return build_set({"keyboard": tone}, name="t", sfz_dir=sfz_dir, sf2_dir=sf2_dir, step=12)
        return build_instrument(tone, "keyboard", name="t", sfz_dir=sfz_dir, sf2_dir=sf2_dir, step=12)

    run()
    before = tree(tmp_path)
    sf.write(str(tone), harmonic_tone(330.0, 1.0, 48000), 48000)  # a new source: a different instrument
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).suffix == ".sf2":
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left"):
        run()
    monkeypatch.setattr(os, "replace", real_replace)
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if k != "tone.wav"} == {
        k: v for k, v in before.items() if k != "tone.wav"
    }, "a failed build changed the old instrument"
    assert not [p for d in (sfz_dir, sf2_dir) for p in d.iterdir() if p.name.startswith(".")], "leftovers"
    # and a successful rebuild replaces both
    res = run()
    after = tree(tmp_path)
    changed = {k for k in before if k != "tone.wav" and after.get(k) != before[k]}
    assert f"sf2/{res.sf2.name}" in changed and any(k.startswith("sfz/") for k in changed)


def test_writes_nothing_when_asked_for_neither(tmp_path, tone):
    res = build_instrument(
        tone,
        "bass",
        name="t",
        sfz_dir=tmp_path / "a",
        sf2_dir=tmp_path / "b",
        write_sfz_files=False,
        write_sf2_file=False,
        step=12,
    )
    assert res.sf2 is None and not res.sfz
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert np.isfinite(res.seconds)
