"""MIDI files: parsing into a sample-timed event list, and General MIDI track roles."""
