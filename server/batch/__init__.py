"""``wave batch``: many photographs -> many instrument sets, on this machine or a Ray cluster.

``run_batch(items, out, settings)`` is the entry point; see ``docs/batch.md``. Ray is an optional
extra (``pip install wave[batch]``) imported only when a batch runs.
"""

from __future__ import annotations

__all__ = ["BatchResult", "Item", "collect_inputs", "run_batch"]


def __getattr__(name: str):
    if name in ("Item", "collect_inputs"):
        from . import inputs

        return getattr(inputs, name)
    if name in ("BatchResult", "run_batch"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
