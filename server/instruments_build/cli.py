"""``wave build``: a sound → an SFZ + SF2 instrument of a role, or a folder of role-tagged sounds → a set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROLE_CHOICES = ("drums", "bass", "guitar", "keyboard")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build",
        help="sound -> playable SFZ + SF2 instrument (or a folder of role-tagged sounds -> a GM instrument set)",
        description=(
            "Build a multi-sampled, looped, velocity-layered instrument from SOUND for a role, or, when "
            "SOUND is a folder holding drums/bass/guitar/keyboard-named sounds, one instrument set: an SF2 "
            "covering every General MIDI program (bank 128: the drum kit) and one SFZ per role."
        ),
    )
    p.add_argument(
        "sound", type=Path, help="sound file (WAV/FLAC/AIFF/OGG) or a folder of role-tagged sounds"
    )
    p.add_argument(
        "--role", choices=ROLE_CHOICES, help="role of a single sound (required unless SOUND is a folder)"
    )
    p.add_argument("--name", help="instrument or set name (default: the file or folder name)")
    p.add_argument("--sfz-dir", type=Path, default=None, help="folder for NAME/ (default: sfz_out/)")
    p.add_argument("--sf2-dir", type=Path, default=None, help="folder for NAME.sf2 (default: instruments/)")
    p.add_argument("--step", type=int, default=3, help="semitones between sampled roots (default 3)")
    p.add_argument(
        "--force-pitch",
        nargs="?",
        const=True,
        default=False,
        metavar="NOTE",
        help=(
            "for a melodic role, a sound with no stable pitch (noise, a gliding chirp) is refused; this imposes "
            "one with a tuned resonator, at NOTE (C4, F#2, a MIDI key, 440Hz) or by default the note nearest "
            "the sound's strongest partial; a pitched sound ignores it"
        ),
    )
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from . import build_instrument, build_set

    name = args.name or args.sound.stem.replace(" ", "_")
    from .pitch import force_pitch_key

    force_pitch_key(args.force_pitch)  # a bad NOTE is refused before any work
    kw = dict(name=name, sfz_dir=args.sfz_dir, sf2_dir=args.sf2_dir, step=args.step, force_pitch=args.force_pitch)
    if args.sound.is_dir():
        result = build_set(args.sound, **kw)
    else:
        if not args.role:
            raise ConfigError("--role drums|bass|guitar|keyboard is required when SOUND is a file")
        result = build_instrument(args.sound, args.role, **kw)
    if args.json:
        print(json.dumps(result.report(), indent=1, default=str))
    else:
        for role, path in result.sfz.items():
            print(f"{role}: {path}")
            pitch = result.instruments[role].info.get("pitch")
            if pitch and pitch.get("summary"):
                print(f"  {pitch['summary']}")
            kit = result.instruments[role].info.get("kit")
            if kit:
                own = sum(not v["derived"] for v in kit.values())
                print(
                    f"  kit: {len(kit)} keys ({min(v['key'] for v in kit.values())}-"
                    f"{max(v['key'] for v in kit.values())}), {own} from the sound's own hits, the rest derived"
                )
        print(f"sf2: {result.sf2}  ({result.seconds:.1f} s)")
    return 0
