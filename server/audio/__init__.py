"""Audio file I/O and small DSP helpers shared by every stage."""

from .io import AudioInfo, read_audio, write_audio

__all__ = ["AudioInfo", "read_audio", "write_audio"]
