"""Package names imported on first use (PEP 562), so ``wave --help`` and unrelated commands do not
load numpy, scipy, pydantic or music21 for a stage they never touch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` that imports ``exports[name]`` (a module relative to the
    package) on first access of ``name`` and keeps it in the package's namespace."""

    def __getattr__(name: str) -> object:
        mod = exports.get(name)
        if mod is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(mod, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
