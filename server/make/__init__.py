"""`wave make`: image -> instruments, a mood-fitted song and a visual report, with a per-stage cache.

The public names are imported on first use (PEP 562): ``wave --help`` does not load numpy for them.
"""

from __future__ import annotations

__all__ = ["MakeResult", "MakeSettings", "make"]


def __getattr__(name: str):
    if name in __all__:
        from . import pipeline

        value = getattr(pipeline, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
