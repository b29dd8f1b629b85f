"""The genres the composer writes in, as one table: what each sounds like in words (matched against the
picture's description), its tempo range, swing, General MIDI programs per role, chord progressions,
bass and comping patterns and its drum template.

Patterns are on a 16-step grid per 4/4 bar (steps are sixteenth notes). Drum templates are strings of
16 characters per GM drum key (``X`` accent, ``x`` hit, ``o`` ghost note, ``.`` rest), one groove for calm
moods and one for aroused ones, and a fill for the last beat of a section. Progressions are scale
degrees (1-7) of the song's mode, so one table serves every key and mode: the mode gives each chord its
quality (in a major key degree 2 is minor, in Dorian degree 4 is major).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STEPS = 16  # per 4/4 bar
HIT_VELOCITY = {"X": 1.0, "x": 0.8, "o": 0.45}


@dataclass(frozen=True)
class Genre:
    name: str
    description: str  # what the genre evokes, matched against the picture's words
    bpm: tuple[float, float]  # arousal 0 -> low end, 1 -> high end
    swing: float  # where the off-beat eighth falls inside the beat (0.5 straight, 0.667 triplet swing)
    programs: dict[str, tuple[int, int]]  # role -> (GM program for the lead, for the accompaniment)
    progressions: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]  # (A, B) degree lists, one per chord
    bars_per_chord: int
    sevenths: bool  # four-note chords
    bass: dict[str, tuple[tuple[int, int, str], ...]]  # level -> (step, length in steps, tone)
    comp: dict[str, tuple[tuple[int, int], ...]]  # level -> (step, length in steps) of each chord stroke
    comp_style: str  # block | strum | arp | pad
    drums: dict[str, dict[str, str]]  # "calm" | "busy" | "fill" -> GM drum key name -> 16-step string
    melody_notes: tuple[float, float]  # melody notes per bar at arousal 0 and 1
    sixteenths: bool  # the melody may use sixteenth notes
    lead_order: tuple[str, ...] = ("keyboard", "guitar")  # which role carries the melody, first present
    extra: dict = field(default_factory=dict)


def _d(**rows: str) -> dict[str, str]:
    for name, row in rows.items():
        if len(row) != STEPS or set(row) - set("Xxo."):
            raise ValueError(f"drum row {name!r} must be {STEPS} of X x o .")
    return rows


GENRES: dict[str, Genre] = {g.name: g for g in (
    Genre(
        "ambient",
        "ambient soundscape, slow evolving pads, calm nature, sky, clouds, sea, mountains, fog, empty room, "
        "stillness, meditation, space, drones",
        bpm=(60, 84), swing=0.5,
        programs={"keyboard": (88, 89), "guitar": (24, 24), "bass": (35, 35)},
        progressions=(((1, 4, 1, 5), (6, 4, 1, 4)), ((1, 6, 4, 1), (4, 5, 6, 4))),
        bars_per_chord=2, sevenths=True,
        bass={"calm": ((0, 16, "R"),), "busy": ((0, 8, "R"), (8, 8, "5"))},
        comp={"calm": ((0, 16),), "busy": ((0, 8), (8, 8))}, comp_style="pad",
        drums={"calm": _d(ride="o.......o......."),
               "busy": _d(kick="x...............", ride="o...o...o...o..."),
               "fill": {}},
        melody_notes=(1.5, 3.0), sixteenths=False,
    ),
    Genre(
        "lo-fi hip hop",
        "lo-fi hip hop beats, cozy room, coffee cup, desk, books, study, rainy window, night city, cat, "
        "vinyl crackle, relaxed, mellow, chill",
        bpm=(70, 92), swing=0.6,
        programs={"keyboard": (4, 4), "guitar": (26, 27), "bass": (33, 33)},
        progressions=(((2, 5, 1, 6), (4, 3, 2, 5)), ((4, 3, 6, 5), (2, 5, 1, 1)), ((1, 6, 2, 5), (4, 4, 3, 6))),
        bars_per_chord=1, sevenths=True,
        bass={"calm": ((0, 6, "R"), (10, 4, "5")), "busy": ((0, 5, "R"), (7, 2, "R"), (10, 3, "5"), (14, 2, "8"))},
        comp={"calm": ((0, 8), (10, 6)), "busy": ((0, 6), (6, 4), (12, 4))}, comp_style="block",
        drums={"calm": _d(kick="X......x..x.....", snare="....X.......X...", closed_hat="x.x.x.x.x.x.x.x."),
               "busy": _d(kick="X......x..x..x..", snare="....X.......X..o", closed_hat="x.xxx.x.x.xxx.x."),
               "fill": {}},
        melody_notes=(3.0, 5.0), sixteenths=False,
    ),
    Genre(
        "pop",
        "pop song, bright sunny day, people, friends, party, street, shopping, colourful, happy, city, "
        "summer, radio, catchy",
        bpm=(92, 128), swing=0.5,
        programs={"keyboard": (0, 4), "guitar": (27, 25), "bass": (33, 33)},
        progressions=(((1, 5, 6, 4), (4, 1, 5, 6)), ((6, 4, 1, 5), (4, 5, 1, 1)), ((1, 4, 6, 5), (2, 4, 1, 5))),
        bars_per_chord=1, sevenths=False,
        bass={"calm": ((0, 6, "R"), (6, 2, "R"), (8, 8, "5")),
              "busy": ((0, 2, "R"), (2, 2, "R"), (4, 2, "R"), (6, 2, "R"), (8, 2, "R"), (10, 2, "R"),
                       (12, 2, "5"), (14, 2, "8"))},
        comp={"calm": ((0, 8), (8, 8)), "busy": ((0, 4), (4, 4), (8, 4), (12, 4))}, comp_style="block",
        drums={"calm": _d(kick="X.......X.......", snare="....X.......X...", closed_hat="x.x.x.x.x.x.x.x."),
               "busy": _d(kick="X..x..x.X.......", snare="....X.......X...", closed_hat="xxxxxxxxxxxxxxxx"),
               "fill": _d(snare="............xxxx")},
        melody_notes=(3.5, 6.0), sixteenths=True,
    ),
    Genre(
        "rock",
        "rock band, loud electric guitars, motorcycle, car, engine, road, stadium, concert, energy, rebellion, "
        "garage, highway, power",
        bpm=(100, 152), swing=0.5,
        programs={"keyboard": (18, 16), "guitar": (29, 30), "bass": (34, 34)},
        progressions=(((1, 5, 4, 1), (6, 4, 1, 5)), ((1, 4, 5, 4), (6, 5, 4, 5)), ((1, 3, 4, 1), (6, 4, 5, 5))),
        bars_per_chord=1, sevenths=False,
        bass={"calm": ((0, 4, "R"), (4, 4, "R"), (8, 4, "R"), (12, 4, "R")),
              "busy": tuple((s, 2, "R") for s in range(0, 16, 2))},
        comp={"calm": ((0, 8), (8, 8)), "busy": ((0, 3), (3, 3), (6, 2), (8, 3), (11, 3), (14, 2))},
        comp_style="strum",
        drums={"calm": _d(kick="X.......X.......", snare="....X.......X...", closed_hat="x.x.x.x.x.x.x.x."),
               "busy": _d(kick="X.......X.X.....", snare="....X.......X...", closed_hat="x.x.x.x.x.x.x.x."),
               "fill": _d(snare="............xx..", high_tom="..............x.", low_tom="...............x")},
        melody_notes=(3.0, 5.5), sixteenths=False,
    ),
    Genre(
        "jazz",
        "jazz club, smoky bar, restaurant, wine glass, saxophone, evening, elegant, dinner, lounge, "
        "cafe terrace, piano bar, sophisticated",
        bpm=(88, 176), swing=2 / 3,
        programs={"keyboard": (0, 0), "guitar": (26, 26), "bass": (32, 32)},
        progressions=(((2, 5, 1, 6), (2, 5, 1, 1)), ((1, 6, 2, 5), (3, 6, 2, 5)), ((4, 7, 3, 6), (2, 5, 1, 1))),
        bars_per_chord=1, sevenths=True,
        bass={"calm": ((0, 4, "R"), (4, 4, "W"), (8, 4, "W"), (12, 4, "A")),
              "busy": ((0, 4, "R"), (4, 4, "W"), (8, 4, "W"), (12, 4, "A"))},
        comp={"calm": ((0, 4), (6, 6)), "busy": ((0, 3), (6, 4), (12, 2), (14, 2))}, comp_style="block",
        drums={"calm": _d(ride="x...x.x.x...x.x.", pedal_hat="....x.......x..."),
               "busy": _d(ride="x...x.x.x...x.x.", pedal_hat="....x.......x...", kick="o.......o.......",
                          snare="..........o....o"),
               "fill": _d(snare="............x.x.")},
        melody_notes=(3.5, 6.5), sixteenths=False,
    ),
    Genre(
        "folk",
        "acoustic folk song, countryside, farm, animals, horse, cow, sheep, field, forest, wooden cabin, "
        "campfire, village, river, simple life",
        bpm=(80, 128), swing=0.5,
        programs={"keyboard": (21, 0), "guitar": (25, 25), "bass": (32, 32)},
        progressions=(((1, 4, 1, 5), (4, 1, 5, 1)), ((1, 5, 4, 1), (6, 4, 5, 5)), ((1, 1, 4, 5), (4, 4, 1, 5))),
        bars_per_chord=1, sevenths=False,
        bass={"calm": ((0, 8, "R"), (8, 8, "5")), "busy": ((0, 4, "R"), (4, 4, "5"), (8, 4, "R"), (12, 4, "5"))},
        comp={"calm": tuple((s, 2) for s in range(0, 16, 2)), "busy": tuple((s, 2) for s in range(0, 16, 2))},
        comp_style="arp",
        drums={"calm": _d(kick="X.......X.......", side_stick="....x.......x..."),
               "busy": _d(kick="X.......X.......", snare="....x.......x...", tambourine="x.x.x.x.x.x.x.x."),
               "fill": {}},
        melody_notes=(3.0, 5.0), sixteenths=False,
    ),
    Genre(
        "electronic dance",
        "electronic dance music, club night, neon lights, dance floor, festival crowd, synthesizers, computer, "
        "screens, technology, laser, fast, euphoric",
        bpm=(118, 132), swing=0.5,
        programs={"keyboard": (81, 89), "guitar": (27, 27), "bass": (38, 38)},
        progressions=(((6, 4, 1, 5), (4, 5, 6, 6)), ((1, 5, 6, 4), (6, 4, 5, 5)), ((6, 6, 4, 5), (4, 1, 5, 6))),
        bars_per_chord=1, sevenths=False,
        bass={"calm": ((2, 2, "R"), (6, 2, "R"), (10, 2, "R"), (14, 2, "R")),
              "busy": ((2, 2, "R"), (6, 2, "R"), (10, 2, "R"), (14, 2, "8"))},
        comp={"calm": ((0, 2), (6, 2), (12, 2)), "busy": ((0, 2), (3, 2), (6, 2), (10, 2), (12, 2))},
        comp_style="block",
        drums={"calm": _d(kick="X...X...X...X...", hand_clap="....x.......x...", open_hat="..x...x...x...x."),
               "busy": _d(kick="X...X...X...X...", hand_clap="....x.......x...", open_hat="..x...x...x...x.",
                          closed_hat="x.x.x.x.x.x.x.x."),
               "fill": _d(snare="........xxxxxxxx")},
        melody_notes=(4.0, 7.0), sixteenths=True,
    ),
    Genre(
        "cinematic",
        "cinematic film score, epic landscape, castle, ruins, storm, ocean waves, night sky, astronaut, rocket, "
        "adventure, drama, dark tension, heroic",
        bpm=(64, 116), swing=0.5,
        programs={"keyboard": (0, 89), "guitar": (24, 24), "bass": (32, 32)},
        progressions=(((1, 6, 3, 7), (4, 1, 5, 5)), ((1, 4, 6, 5), (6, 4, 1, 5)), ((1, 7, 6, 7), (4, 6, 5, 5))),
        bars_per_chord=1, sevenths=False,
        bass={"calm": ((0, 8, "R"), (8, 8, "R")), "busy": tuple((s, 2, "R") for s in range(0, 16, 2))},
        comp={"calm": ((0, 16),), "busy": tuple((s, 2) for s in range(0, 16, 2))}, comp_style="arp",
        drums={"calm": _d(kick="X.......X.......", low_floor_tom="......x.......x."),
               "busy": _d(kick="X..x..x.X..x..x.", low_floor_tom="....x.......x...", snare="............x.x."),
               "fill": _d(low_tom="............xxxx")},
        melody_notes=(2.0, 4.5), sixteenths=False,
    ),
)}

GENRE_NAMES = tuple(GENRES)
ALIASES = {"lofi": "lo-fi hip hop", "lo-fi": "lo-fi hip hop", "edm": "electronic dance", "dance": "electronic dance",
           "electronic": "electronic dance", "film": "cinematic"}


def genre(name: str) -> Genre:
    """The genre called ``name`` (or a short alias: lofi, edm, film); a clear error otherwise."""
    from ..errors import ConfigError

    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in GENRES:
        raise ConfigError(f"unknown genre {name!r}; choose one of {', '.join(GENRE_NAMES)} "
                          f"(aliases {', '.join(ALIASES)})")
    return GENRES[key]
