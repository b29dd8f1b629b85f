"""The block-processing contract shared by offline rendering and the live server."""

from .processor import Processor

__all__ = ["Processor"]
