"""Helpers used only by the tests: measurements of audio and MIDI that the package itself never needs."""
