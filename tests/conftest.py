"""Fixtures shared by the live engine's test modules."""

from __future__ import annotations

import pytest


@pytest.fixture()
def server(tmp_path):
    """A LiveServer on the paced driver, not started (tests pull blocks themselves); what it would send
    to clients is collected in ``server.sent`` as ``(address, args)``. Modules may define their own."""
    from tests.test_live_engine import make_server

    s = make_server(tmp_path)
    s.sent = []
    s.notify = lambda dest, address, args: s.sent.append((address, args))
    yield s
    s.shutdown()
