"""Fixtures shared by the test modules."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _restore_wave_environment():
    """Commands export their model options as WAVE_* variables so every stage and child process follows
    them (server/models/options.py); a test that runs a command's main() in-process must not leave them
    to the tests after it (a leaked WAVE_DEVICE=cpu or WAVE_SOUND_MODEL=PATH changed what later tests loaded)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("WAVE_")}
    yield
    for k in [k for k in os.environ if k.startswith("WAVE_") and k not in saved]:
        del os.environ[k]
    os.environ.update(saved)


@pytest.fixture()
def server(tmp_path):
    """A LiveServer on the paced driver, not started (tests pull blocks themselves); what it would send
    to clients is collected in ``server.sent`` as ``(address, args)``. Modules may define their own."""
    from tests.test_live_engine import make_server

    s = make_server(tmp_path, capture=True)
    yield s
    s.shutdown()
