"""Instrument roles and the General MIDI tables that map programs, channels and registers to them.

Roles are how image-made instruments replace General MIDI sounds: an instrument set fills up to
four roles (drums, bass, guitar, keyboard). A track's role is decided from channel 10 (drums), its
General MIDI program family, and, for families that are none of the four, its register.
"""

from __future__ import annotations

ROLES = ("drums", "bass", "guitar", "keyboard")
OTHER = "other"
DRUM_CHANNEL = 9  # MIDI channel 10, zero-based

# The 16 General MIDI program families (8 programs each): (family name, role, closest role).
# ``role`` is what `wave inspect` reports (other where none of the four fits); ``closest`` is the
# role whose instrument plays that family in an image-made General MIDI set.
GM_FAMILIES = (
    ("piano", "keyboard", "keyboard"),
    ("chromatic percussion", "keyboard", "keyboard"),
    ("organ", "keyboard", "keyboard"),
    ("guitar", "guitar", "guitar"),
    ("bass", "bass", "bass"),
    ("strings", OTHER, "keyboard"),
    ("ensemble", OTHER, "keyboard"),
    ("brass", OTHER, "keyboard"),
    ("reed", OTHER, "keyboard"),
    ("pipe", OTHER, "keyboard"),
    ("synth lead", "keyboard", "keyboard"),
    ("synth pad", "keyboard", "keyboard"),
    ("synth effects", OTHER, "keyboard"),
    ("ethnic", OTHER, "guitar"),  # sitar, banjo, shamisen, koto: plucked strings
    ("percussive", OTHER, "drums"),
    ("sound effects", OTHER, "drums"),
)
# Plucked "ethnic" programs are guitars in all but name; kalimba is a keyboard-like idiophone.
_PROGRAM_ROLE_OVERRIDES = {104: "guitar", 105: "guitar", 106: "guitar", 107: "guitar", 108: "keyboard"}
# Below this median MIDI note, a track of a family that is none of the four plays the bass role.
BASS_REGISTER_BELOW = 48  # C3

# General MIDI percussion key map (channel 10), the keys an image-made kit fills.
GM_DRUM_KEYS = {
    "acoustic_bass_drum": 35,
    "kick": 36,
    "side_stick": 37,
    "snare": 38,
    "hand_clap": 39,
    "electric_snare": 40,
    "low_floor_tom": 41,
    "closed_hat": 42,
    "high_floor_tom": 43,
    "pedal_hat": 44,
    "low_tom": 45,
    "open_hat": 46,
    "low_mid_tom": 47,
    "hi_mid_tom": 48,
    "crash": 49,
    "high_tom": 50,
    "ride": 51,
    "chinese_cymbal": 52,
    "ride_bell": 53,
    "tambourine": 54,
    "splash": 55,
    "cowbell": 56,
    "crash_2": 57,
    "ride_2": 59,
}


def gm_family(program: int) -> str:
    """Name of the General MIDI family of ``program`` (0-127)."""
    _check_program(program)
    return GM_FAMILIES[program // 8][0]


def gm_program_role(program: int) -> str:
    """The closest of the four roles for a General MIDI program: which instrument plays it in a set."""
    _check_program(program)
    return _PROGRAM_ROLE_OVERRIDES.get(program, GM_FAMILIES[program // 8][2])


def track_role(channel: int, program: int | None, median_note: float | None = None) -> str:
    """Role of a track from its channel, program and register (``other`` where none fits).

    Channel 10 is drums whatever its program. A track of a family outside the four (strings, brass...)
    that sits mostly below C3 plays the bass role.
    """
    if channel == DRUM_CHANNEL:
        return "drums"
    prog = 0 if program is None else program
    _check_program(prog)
    role = _PROGRAM_ROLE_OVERRIDES.get(prog, GM_FAMILIES[prog // 8][1])
    if role == OTHER and median_note is not None and median_note < BASS_REGISTER_BELOW:
        return "bass"
    return role


def _check_program(program: int) -> None:
    if not isinstance(program, int) or not 0 <= program <= 127:
        raise ValueError(f"General MIDI program must be an integer 0-127, got {program!r}")
