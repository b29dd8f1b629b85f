"""``wave compose scene.json -o song.mid``: an original song for a scene (see ``docs/compose.md``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError


def _roles(text: str) -> list[str]:
    from ..midi.roles import ROLES

    roles = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise argparse.ArgumentTypeError(f"--roles {text!r}: give a comma-separated list of {', '.join(ROLES)}")
    return roles


def _genre(text: str) -> str:
    from .genres import genre

    try:
        return genre(text).name
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    from .genres import GENRE_NAMES

    p = sub.add_parser(
        "compose",
        help="scene.json -> an original multi-track General MIDI song from its mood and genre",
        description="Write an original 45-90 s General MIDI song (intro, A, B, A', outro) for a scene: key and "
        "mode from its valence, tempo, loudness and density from its arousal (its mood words when it has no "
        "mood), the genre its description is nearest (unless --genre), parts only for the roles given.",
    )
    p.add_argument("scene", type=Path, help="scene.json (from `wave scene` or `wave make`)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .mid file to write")
    p.add_argument("--genre", type=_genre, default=None,
                   help=f"one of: {', '.join(GENRE_NAMES)} (default: chosen from the scene's description)")
    p.add_argument("--bars", type=int, default=None, help="total bars, 8-128 (default: sized to 45-90 s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed -> same song); default 0")
    p.add_argument("--roles", type=_roles, default=None, metavar="LIST",
                   help="roles the instrument set has, e.g. drums,bass,keyboard (default: the roles the scene's "
                   "sources play; all four if it names none)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE",
                   help="also write the song's plan (genre and scores, key, tempo, form, chords, parts)")
    p.set_defaults(func=cmd_compose)


def cmd_compose(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..midi.roles import ROLES
    from ..paths import atomic_path, check_output
    from ..scene import SceneSpec
    from .composer import compose_scene, scene_roles

    if args.output.suffix.lower() not in (".mid", ".midi"):
        raise ConfigError(f"-o {args.output}: the output must be a .mid file")
    check_output(args.output, kind="file")
    if args.json is not None:
        check_output(args.json, kind="file")
    if not args.scene.is_file():
        raise InputError(f"{args.scene}: no such scene file")
    spec = SceneSpec.load(args.scene)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    roles = args.roles or scene_roles(spec) or list(ROLES)
    c = compose_scene(spec, genre=args.genre, roles=roles, seed=args.seed, bars=args.bars)
    with atomic_path(args.output) as tmp:
        c.to_midi().save(str(tmp))
    info = c.info()
    if args.json is not None:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(info, indent=1) + "\n", "utf-8")
    form = " ".join(f"{s['name']}:{s['bars']}" for s in info["form"])
    parts = ", ".join(f"{name} ({p['role']})" for name, p in info["parts"].items())
    print(f"{args.output}: {info['genre']} ({info['genre_method']} {info['genre_score']:.2f}) in {info['key']} at "
          f"{info['bpm']:.1f} BPM, {info['bars']} bars ({form}), {info['seconds']:.1f} s; "
          f"mood valence {info['valence']:+.2f} arousal {info['arousal']:.2f} ({info['mood_source']}); "
          f"parts {parts}")
    return 0
