"""One entry for the live graph's insert slots: a plugin named by an LV2 URI, an LV2 bundle folder, or a
VST3 (macOS: Audio Unit) bundle, made into an unprepared slot Processor with one interface
(:class:`server.plugins.lv2.LV2Plugin` or :class:`server.plugins.vst3.ExternalPlugin`).

Paths are confined: an LV2 bundle to the server's plugins folder, a VST3/AU bundle to that folder and the
platform's standard plugin folders (:func:`server.plugins.vst3.standard_folders`). A relative name is
taken inside the plugins folder. Loader thread (a VST3 bundle is probed in a child process first).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from . import vst3

__all__ = ["new_slot", "slot_folders"]


def slot_folders(plugins_dir: str | os.PathLike[str], extra=()) -> list[Path]:
    """The folders a VST3/AU slot may load from: the plugins folder first, then ``extra``, then the
    platform's standard ones."""
    return [Path(plugins_dir), *(Path(e) for e in extra), *vst3.standard_folders()]


def _lv2_bundle(source: str, plugins_dir: Path) -> Path:
    root = Path(plugins_dir).resolve()
    p = Path(source)
    p = (p if p.is_absolute() else root / p).resolve()
    if not p.is_relative_to(root):
        raise InputError(f"plugin bundle {source!r} is outside the plugin bundle folder {root}; give a name "
                         "inside it")
    if p.suffix.lower() != ".lv2":
        raise InputError(f"plugin bundle {source!r} must end with .lv2 (or name a VST3 bundle, *.vst3, or an "
                         "installed LV2 plugin by its URI)")
    return p


def new_slot(source: str, plugins_dir: str | os.PathLike[str], *, world=None, extra_folders=()):
    """An unprepared slot Processor for ``source``; InputError (one line) when it cannot be one.
    ``source`` is kept on the slot (``.source``) so a session reloads it the way it was named."""
    from .lv2 import LV2Plugin, default_world

    if not source or "\x00" in source:
        raise InputError("empty plugin name; give an LV2 URI, an .lv2 bundle or a .vst3 bundle")
    if vst3.split_source(source)[0].lower().endswith(tuple(vst3.SUFFIXES)):
        path, name = vst3.resolve(source, slot_folders(plugins_dir, extra_folders))
        p = vst3.ExternalPlugin(path, name)
    else:
        world = world or default_world()
        if "://" in source or source.startswith("urn:"):
            info = world.info(source)
        else:
            infos = world.load_bundle(_lv2_bundle(source, Path(plugins_dir)))
            if len(infos) > 1:
                raise InputError(f"bundle {source} holds {len(infos)} plugins; load one by its URI: "
                                 f"{', '.join(i.uri for i in infos)}")
            info = infos[0]
        p = LV2Plugin(info, world=world)
    p.source = source
    return p
