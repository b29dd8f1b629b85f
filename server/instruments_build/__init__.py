"""Instrument builder: any sound → a playable SFZ and SF2 instrument; drums → a key-mapped GM kit.

``build_instrument`` turns one sound into one instrument of a role (``sfz_out/NAME/NAME.sfz`` with
its samples, and ``instruments/NAME.sf2``); ``build_set`` turns up to four role-tagged sounds into
an instrument set: one SF2 whose presets cover all 128 General MIDI programs (each played by the
closest role, ``server.midi.roles.gm_program_role``) plus the drum kit in bank 128, and one SFZ
per role. Everything is written to temporary paths and renamed into place when complete.

The functions live in :mod:`.build` and are imported on first use, so ``wave --help`` and commands that
never build (``wave render``) do not load numpy and soundfile for them.
"""

from __future__ import annotations

from .._lazy import lazy_exports

__all__ = ["BuildResult", "build_instrument", "build_set", "make_instrument", "gm_presets", "ROLES"]

__getattr__ = lazy_exports(__name__, {name: ".build" for name in __all__})
