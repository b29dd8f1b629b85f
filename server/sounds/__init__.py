"""Sounds stage: scene -> one sound effect per source (builtin synthesiser, AudioLDM2, AudioLDM, the
user's library) + stereo scene.

The public names are imported on first use (PEP 562), so ``wave --help`` and the other commands do
not pay for scipy.signal and the synthesiser when they never touch this stage.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "render_sounds": ".generate",
    "integrated_loudness": ".mix",
    "mix_scene": ".mix",
    "place_sources": ".mix",
    "SourceDescription": ".synth",
    "synthesize": ".synth",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
