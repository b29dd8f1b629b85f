"""The block-processing contract shared by offline rendering and the live server."""

from .processor import Chain, Processor

__all__ = ["Chain", "Processor"]
