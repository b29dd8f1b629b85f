"""WAVE: turn a photograph into playable instruments and music.

Stages live in subpackages (``scene``, ``sounds``, ``timbre``, ``build``, ``render``, ``live``), each a
pure core with a thin I/O shell; ``engine`` holds the block-processing contract shared by offline
rendering and the live server. Library modules only log through ``logging.getLogger(__name__)``;
the ``wave`` entry point configures logging.
"""

from .errors import WaveError

__version__ = "0.1.0"
__all__ = ["WaveError", "__version__"]
