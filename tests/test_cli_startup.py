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
