"""`wave make`: image -> instruments, a mood-fitted song and a visual report, with a per-stage cache.

The public names are imported on first use (PEP 562): ``wave --help`` does not load numpy for them.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {"MakeResult": ".pipeline", "MakeSettings": ".pipeline", "make": ".pipeline"}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
