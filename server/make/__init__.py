"""`wave make`: image -> instruments, a mood-fitted song and a visual report, with a per-stage cache."""

from .pipeline import MakeResult, MakeSettings, make

__all__ = ["MakeResult", "MakeSettings", "make"]
