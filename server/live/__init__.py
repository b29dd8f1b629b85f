"""Live performance: ``wave serve`` (OSC + MIDI in, real-time engine out) and ``wave devices``."""
