"""`wave batch` takes the model flags `wave make` takes, checks them before Ray starts, and every worker
process runs with them (a Ray worker on another machine does not inherit the driver's environment)."""

from __future__ import annotations

import argparse
import os

import pytest

from server.errors import ConfigError


def _parse(*argv: str) -> argparse.Namespace:
    from server.batch import cli

    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers()
    cli.register(sub)
    return ap.parse_args(["batch", "img.png", "-o", "out", *argv])


def test_model_flags_reach_the_settings_every_worker_gets(tmp_path):
    from server.batch.cli import settings_from_args

    st = settings_from_args(_parse("--device", "cpu", "--sound-model", str(tmp_path / "ldm")))
    assert st.models["device"] == "cpu" and st.models["sound_model"] == str(tmp_path / "ldm")


def test_a_worker_exports_the_runs_model_options_in_its_own_process(tmp_path, monkeypatch):
    from server.batch.cli import settings_from_args
    from server.batch.work import _export_models

    st = settings_from_args(_parse("--device", "cpu", "--clap-model", "my/clap"))
    monkeypatch.delenv("WAVE_DEVICE", raising=False)
    monkeypatch.delenv("WAVE_CLAP_MODEL", raising=False)
    _export_models(st)  # what model_stages and cpu_stages do first in a worker
    assert os.environ["WAVE_DEVICE"] == "cpu" and os.environ["WAVE_CLAP_MODEL"] == "my/clap"


def test_a_gpu_asked_for_where_there_is_none_is_one_error_before_any_work():
    import torch

    from server.batch.cli import settings_from_args

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="cuda"):
        settings_from_args(_parse("--device", "cuda"))
