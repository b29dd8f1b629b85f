"""A module-scoped fixture for tests of tiny torch models: they run much faster on one thread on a shared
machine; the setting is restored afterwards. Bind it in a module as ``_one_torch_thread = one_torch_thread``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
