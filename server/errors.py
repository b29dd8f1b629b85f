"""One exception root for WAVE, so callers and the CLI can catch what a user can act on.

Messages name the bad value and say what would work (librosa's habit). Use ``TypeError`` /
``ValueError`` subclasses so generic callers still see the usual Python categories.
"""

from __future__ import annotations


class WaveError(Exception):
    """Base class of every error WAVE raises on purpose."""


class InputError(WaveError, ValueError):
    """A file or value given to WAVE is unusable (bad MIDI, WAV, image, SFZ, model, OSC message...)."""


class ConfigError(WaveError, ValueError):
    """An option or setting is out of range or inconsistent."""


class OutputError(WaveError, OSError):
    """A result could not be written where it was asked for."""


class MissingDependencyError(WaveError, RuntimeError):
    """An optional library, program or model is not installed; the message says how to get it."""
