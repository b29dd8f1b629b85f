"""``wave make IMAGE``: the whole pipeline in one command (see ``docs/make.md``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ..models.options import ModelOptions

BUNDLED_PHOTO = Path(__file__).resolve().parent / "data" / "coffee.jpg"


def _backends(text: str) -> dict[str, str]:
    """``scene=builtin,sounds=audioldm2,detector=builtin`` or one name for every stage."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            out.update({"scene": part, "sounds": part, "detector": part})
            continue
        k, v = (x.strip() for x in part.split("=", 1))
        if k not in ("scene", "sounds", "detector"):
            raise argparse.ArgumentTypeError(f"unknown stage {k!r} in --backends; use scene=, sounds=, detector=")
        out[k] = v
    return out


def _models(items: list[str] | None) -> dict[str, str]:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise ConfigError(f"--timbre-model {it!r} must be ROLE=MODEL.ts (or ROLE=builtin:ROLE)")
        role, model = it.split("=", 1)
        out[role.strip()] = model.strip()
    return out


def _sound_backend(text: str) -> str:
    from ..sounds.generate import parse_backend

    try:
        parse_backend(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "make",
        help="image -> scene, sounds, instrument set, a song composed for it and report.html",
        description="Run scene -> sounds -> timbre -> build -> song -> report on a photograph. Finished "
        "stages are reused when their inputs and settings are unchanged (unless --force).",
    )
    p.add_argument("image", nargs="?", default=str(BUNDLED_PHOTO),
                   help=f"photograph (default: the bundled demo photo {BUNDLED_PHOTO.name})")
    p.add_argument("-o", "--out", default=None, metavar="DIR", help="output folder (default out/<image name>)")
    p.add_argument("--name", default=None, help="instrument set name (default: the image's file name)")
    p.add_argument("--song", default=None, metavar="FILE.mid",
                   help="play this MIDI file (e.g. midi/sunday_market.mid), fitted to the mood, instead of the "
                   "song composed for the picture (default: composed; see `wave compose`)")
    from ..compose.cli import _genre
    from ..compose.genres import GENRE_NAMES

    p.add_argument("--genre", type=_genre, default=None, metavar="GENRE",
                   help=f"genre of the composed song: {', '.join(GENRE_NAMES)} (default: the one the scene's "
                   "description is nearest)")
    p.add_argument("--backends", type=_backends, default={}, metavar="SPEC",
                   help="scene=builtin|qwen2.5-vl|blip, sounds=builtin|audioldm2|audioldm, detector=...; "
                   "default builtin everywhere (offline)")
    p.add_argument("--scene-backend", default=None, metavar="NAME",
                   help="scene backend: builtin, qwen2.5-vl or blip; overrides --backends scene= (default: "
                   "env WAVE_SCENE_BACKEND, which `wave serve --scene-backend` sets for its jobs, else builtin)")
    p.add_argument("--sound-backend", type=_sound_backend, default=None, metavar="NAME",
                   help="sounds backend: builtin, audioldm2, audioldm, v2a (each source heard from its box of the "
                   "photo through --v2a-mapper), or library:DIR to use your own recordings "
                   "(a folder tree of WAV/FLAC/OGG/MP3); overrides --backends sounds= (default: env "
                   "WAVE_SOUND_BACKEND, which `wave serve --sound-backend` sets for its jobs, else builtin)")
    p.add_argument("--timbre-model", action="append", metavar="ROLE=MODEL.ts",
                   help="nn~/RAVE model for a role (default builtin:<role>); repeatable")
    p.add_argument("--no-timbre", action="store_true", help="build instruments from the raw sounds")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed -> identical outputs)")
    p.add_argument("--seconds", type=float, default=3.0, help="length of each generated sound (s)")
    p.add_argument("--step", type=int, default=4, help="semitones between sampled root keys (1-12)")
    p.add_argument("--no-scene-layer", action="store_true", help="do not layer the soundscape under intro/outro")
    p.add_argument("--force", action="store_true", help="re-run every stage, ignoring the cache")
    from ..models.options import add_model_arguments

    add_model_arguments(p)
    p.set_defaults(func=run)


def prepare_models(sounds_backend: str, models: ModelOptions) -> ModelOptions:
    """Check the model options before any work (a bad device, a missing v2a mapper: one line) and export them
    to this process's environment, where every stage's backend (and any child process) reads them."""
    from ..models.options import resolve_device

    resolve_device(models.device)
    if sounds_backend == "v2a":
        models.mapper_path()
    models.export_env()
    return models


def run(args: argparse.Namespace) -> int:
    from ..models.options import backends_from_env, options_from_args
    from .pipeline import MakeSettings, default_name, make

    image = Path(args.image)
    out = Path(args.out) if args.out else Path("out") / default_name(image)
    b = args.backends
    env = backends_from_env()  # the defaults `wave serve --scene-backend/--sound-backend` gives its jobs
    st = MakeSettings(name=args.name, scene_backend=args.scene_backend or b.get("scene") or env.get("scene", "builtin"),
                      detector=b.get("detector", "builtin"),
                      sounds_backend=args.sound_backend or b.get("sounds") or env.get("sounds", "builtin"),
                      timbre_models=_models(args.timbre_model),
                      timbre=not args.no_timbre, seed=args.seed, seconds=args.seconds, step=args.step,
                      song=args.song, genre=args.genre, layer_scene=not args.no_scene_layer)
    st.models = prepare_models(st.sounds_backend, options_from_args(args)).to_dict()
    res = make(image, out, st, force=args.force)
    for f in res.failures:
        print(f"skipped: {f['stage']}: {f['what']}: {f['error']}")
    arr = res.arrangement or {}
    if arr:
        if arr.get("chosen_by") == "composer":
            print(f"song: composed, {arr['genre']} in {arr['modal_key']} at {arr['bpm']:.1f} BPM, "
                  f"{arr['seconds']:.1f} s")
        else:
            print(f"song: {Path(arr['song']).name} in {arr['key']} at {arr['bpm']:.1f} BPM")
    print(f"{out / 'report.html'}  ({res.total_seconds:.1f} s)")
    return 0
