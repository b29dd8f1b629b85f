"""The sound of a role played by a source's later play method.

A scene source may list several play methods (variants); :func:`server.sounds.render_sounds` renders
each source with its first one. When the role table gives a role to a source's variant ``K > 0`` (a
beach's breeze for the drums, its waves for the bass), that role needs the source rendered again with
variant ``K`` first: written beside the source's own sound as ``<file>_vK.wav`` and recorded in the
sounds manifest under the source's ``variants``.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def render_role_variants(spec: Any, manifest: dict, out: Path, work: Path,
                         table: dict[str, tuple[int, int]], **render_kw: Any) -> tuple[dict[str, str], list[dict]]:
    """The file (relative to ``out``, the folder ``manifest``'s files are in) of the sound that plays
    each role of ``table`` (role -> (source index, variant index)): the source's own sound for its first
    variant, else the source rendered with that variant first (``render_kw``: the arguments of
    :func:`server.sounds.render_sounds`, as for the whole scene), added to ``manifest`` in place.

    Returns ``(role_sounds, failures)``; a variant that fails to render is one failure
    (``{"what", "error"}``) and its role is left out: the caller decides what the role plays then.
    ``work`` is a scratch folder on the same file system as ``out`` (each variant is moved in place)."""
    from .generate import render_sounds

    role_sounds: dict[str, str] = {}
    failures: list[dict] = []
    for role, (i, k) in table.items():
        entry = manifest["sources"][i]
        if k == 0:
            role_sounds[role] = entry["file"]
            continue
        src = spec.sound_sources[i]
        voiced = src.model_copy(update={"variants": [src.variants[k], *src.variants[:k], *src.variants[k + 1:]],
                                        "box": src.box})
        one = spec.model_copy(update={"sound_sources": [voiced]})
        tmp = Path(work) / f"variant_{role}"
        try:
            m = render_sounds(one, tmp, **render_kw)
            rel = entry["file"].replace(".wav", f"_v{k}.wav")
            os.replace(tmp / m["sources"][0]["file"], Path(out) / rel)
            role_sounds[role] = rel
            entry.setdefault("variants", {})[str(k)] = {"file": rel, "role": role,
                                                          "prompt": m["sources"][0]["prompt"]}
        except Exception as exc:  # a backend may fail in any way: this role is reported, the rest go on
            log.warning("the %s variant of %r failed: %s", role, src.name, exc)
            failures.append({"what": f"{role} variant of '{src.name}'", "error": f"{type(exc).__name__}: {exc}"})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return role_sounds, failures
