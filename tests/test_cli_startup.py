"""Start-up: ``wave --help`` and every sub-command's ``--help`` load no numerical library, and ``wave render``
loads only what a render uses (issue 14, item 5). The time itself is a benchmark figure (bench_render)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "torch", "transformers", "librosa", "soundfile", "pedalboard", "fluidsynth", "mido")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_wave_help_builds_every_command_without_numerical_libraries():
    mods = _modules_after("import contextlib, io\nfrom server.cli import build_parser\n"
                          "p = build_parser()\nwith contextlib.redirect_stdout(io.StringIO()):\n"
                          "    p.format_help()\n")
    assert "server.render.cli" in mods and "server.instruments_build.cli" in mods  # every command registered
    assert not {m.split(".")[0] for m in mods} & set(HEAVY)


@pytest.mark.parametrize("command", ["render", "build", "make", "sounds", "serve"])
def test_a_commands_help_loads_no_numerical_library(command):
    mods = _modules_after("import contextlib, io\nfrom server.cli import main\n"
                          f"with contextlib.redirect_stdout(io.StringIO()):\n"
                          f"    try:\n        main([{command!r}, '--help'])\n    except SystemExit:\n        pass\n")
    assert not {m.split(".")[0] for m in mods} & set(HEAVY)


def test_the_package_names_still_import_on_first_use():
    from server.instruments_build import build_set
    from server.render import RenderSettings, apply_roles

    assert callable(build_set) and callable(apply_roles) and RenderSettings().sample_rate == 48000
    with pytest.raises(AttributeError, match="no attribute"):
        import server.render as r

        r.not_a_name  # noqa: B018


def test_a_render_process_loads_only_what_rendering_uses_and_one_blas_thread(tmp_path):
    from midi_helpers import band_song

    mid = band_song(tmp_path / "song.mid", 0.05)
    out = tmp_path / "out.wav"
    code = ("import os, sys\nos.environ.pop('OPENBLAS_NUM_THREADS', None)\nfrom server.cli import main\n"
            f"assert main(['render', {str(mid)!r}, '-o', {str(out)!r}, '--no-progress']) == 0\n"
            "print('BLAS', os.environ.get('OPENBLAS_NUM_THREADS'))")
    r = subprocess.run([sys.executable, "-c", code + "\nimport json; print(json.dumps(sorted(sys.modules)))"],
                       capture_output=True, text=True, check=True)
    lines = r.stdout.splitlines()
    mods = {m.split(".")[0] for m in json.loads(lines[-1])}
    assert out.stat().st_size > 44
    assert {"numpy", "fluidsynth", "soundfile", "pedalboard"} <= mods  # what a render uses
    assert not mods & {"scipy", "torch", "transformers", "librosa", "mido", "music21"}
    assert "BLAS 1" in lines  # numpy was loaded after the render asked for one BLAS thread


def test_a_users_blas_setting_wins(monkeypatch):
    from server.render.cli import single_blas_thread

    code = ("import os\nos.environ['OPENBLAS_NUM_THREADS'] = '3'\nfrom server.render.cli import single_blas_thread\n"
            "single_blas_thread()\nprint(os.environ['OPENBLAS_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "3"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    single_blas_thread()  # this process has numpy already: nothing is set, since it could no longer apply
    import os

    assert "OPENBLAS_NUM_THREADS" not in os.environ
