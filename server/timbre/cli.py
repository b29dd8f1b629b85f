"""``wave timbre`` (timbre transfer with an nn~ / RAVE model) and ``wave rave ...`` (training)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import ConfigError

log = logging.getLogger(__name__)

ROLE_CHOICES = ("keyboard", "bass", "guitar", "drums")


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from exc


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "timbre",
        help="turn a sound into an instrument's timbre with a RAVE / nn~ model",
        description="Run a sound through a RAVE / nn~ TorchScript model (or a builtin one) offline.",
    )
    p.add_argument("input", type=Path, nargs="?", help="input audio file")
    p.add_argument("-o", "--output", type=Path, help="output WAV")
    p.add_argument("-m", "--model", default=None,
                   help="model: a .ts file, builtin:<role> or a role name (default: builtin model of --role)")
    p.add_argument("--role", choices=ROLE_CHOICES, default="keyboard", help="role for the builtin default model")
    p.add_argument("--method", default="forward", help="model method: forward (default), latent, or another")
    p.add_argument("--note", type=float, default=None, help="MIDI note of a builtin model (attribute 'note')")
    p.add_argument("--decay", type=float, default=None, help="decay multiplier of a builtin model")
    p.add_argument("--bias", type=_floats, default=(), help="latent bias per dimension, e.g. 0.5,-1")
    p.add_argument("--scale", type=_floats, default=(), help="latent scale per dimension, e.g. 1.2")
    p.add_argument("--temperature", type=float, default=0.0, help="latent noise (std) added before decoding")
    p.add_argument("--dry-wet", type=float, default=1.0, help="1 = only the model, 0 = only the dry sound")
    p.add_argument("--seed", type=int, default=0, help="random seed (latent noise, RAVE's noise)")
    p.add_argument("--block", type=int, default=2048, help="block size in samples (rounded to the model ratio)")
    p.add_argument("--tail", type=float, default=0.0, help="seconds of silence appended to ring out")
    p.add_argument("--format", default="24", choices=("16", "24", "32", "float"), help="output sample format")
    p.add_argument("--info", action="store_true", help="print the model's methods, sr and attributes, then exit")
    p.set_defaults(func=cmd_timbre)

    r = subparsers.add_parser("rave", help="train / export RAVE models (acids-rave in its own venv)")
    rs = r.add_subparsers(dest="rave_command", metavar="ACTION")
    t = rs.add_parser("train", help="preprocess, train and export a RAVE model for a role")
    t.add_argument("--role", choices=ROLE_CHOICES, required=True)
    t.add_argument("--data", type=Path, required=True, help="folder of training audio")
    t.add_argument("--config", default="v2_small", help="acids-rave config (v2_small, v2, raspberry...)")
    t.add_argument("--override", action="append", default=[], metavar="NAME=VALUE",
                   help="gin binding for the config, repeatable (e.g. LATENT_SIZE=8)")
    t.add_argument("--steps", type=int, default=500_000, help="training steps")
    t.add_argument("--val-every", type=int, default=None,
                   help="validate and checkpoint every N steps (default: steps/2, at most 10000)")
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--sr", type=int, default=44100)
    t.add_argument("--gpu", type=int, default=None, help="GPU index, -1 for CPU (default: GPU 0 when present)")
    t.add_argument("--workers", type=int, default=None, help="data-loading processes (default: cores - 1, at most 8)")
    t.add_argument("--out", type=Path, default=None, help="work folder: data set, runs, logs (default out/rave/<name>)")
    t.add_argument("--name", default=None, help="model name (default: the role)")
    t.add_argument("--models-dir", type=Path, default=None,
                   help="where the exported <name>_streaming.ts goes (default instruments/rave)")
    t.add_argument("--n-signal", type=int, default=None,
                   help="training window in samples (acids-rave default 131072; raspberry needs >= 32768)")
    t.set_defaults(func=cmd_rave_train)
    d = rs.add_parser("dataset", help="render a role's training set from a soundfont (NSynth stand-in)")
    d.add_argument("--role", choices=ROLE_CHOICES, required=True)
    d.add_argument("-o", "--output", type=Path, required=True, help="folder for the WAV files")
    d.add_argument("--soundfont", type=Path, default=None)
    d.add_argument("--sr", type=int, default=44100)
    d.add_argument("--step", type=int, default=1, help="semitones between notes")
    d.set_defaults(func=cmd_rave_dataset)
    e = rs.add_parser("export", help="export a RAVE run folder for streaming (--channels 1)")
    e.add_argument("run", type=Path)
    e.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    e.add_argument("--name", default="model")
    e.set_defaults(func=cmd_rave_export)
    n = rs.add_parser("random", help="export a random-weight RAVE model from a config (tests, benchmarks)")
    n.add_argument("-o", "--output", type=Path, required=True, help="output .ts")
    n.add_argument("--config", default="raspberry")
    n.add_argument("--sr", type=int, default=None)
    n.set_defaults(func=cmd_rave_random)
    s = rs.add_parser("setup", help="create the acids-rave tool venv (.tools/rave-venv)")
    s.set_defaults(func=cmd_rave_setup)
    r.set_defaults(func=lambda a: (r.print_help(), 2)[1])


def cmd_timbre(args) -> int:
    import numpy as np

    from ..audio.io import read_audio, write_audio
    from .builtin import resolve_model
    from .model import NNModel
    from .transfer import LatentControls, ModelRunner, transfer

    model = NNModel.load(resolve_model(args.model, args.role))
    if args.info:
        print(json.dumps(model.describe(), indent=2))
        return 0
    if args.input is None or args.output is None:
        raise ConfigError("give an input file and -o OUTPUT.wav (or --info)")
    if args.note is not None:
        model.set_attribute("note", float(args.note))
    if args.decay is not None:
        model.set_attribute("decay", float(args.decay))
    if args.block < 1:
        raise ConfigError(f"--block {args.block} must be >= 1")
    controls = LatentControls(bias=args.bias, scale=args.scale, temperature=args.temperature,
                              dry_wet=args.dry_wet, seed=args.seed)
    audio, sr = read_audio(args.input)
    from tqdm import tqdm

    runner = ModelRunner(model, args.method, controls)
    blk = runner.multiple * max(1, round(args.block / runner.multiple))
    n_blocks = audio.shape[0] if runner.in_channels == 1 else 1
    n_blocks *= int(np.ceil((audio.shape[1] * model.sr / sr + args.tail * model.sr) / blk)) + 2
    with tqdm(total=n_blocks, unit="block", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        out = transfer(audio, sr, model, method=args.method, controls=controls, block=args.block,
                       tail=args.tail, progress=bar)
    write_audio(args.output, out, sr, fmt=args.format)
    peak = float(np.abs(out).max()) if out.size else 0.0
    log.info("wrote %s (%.2f s, peak %.1f dBFS)", args.output, out.shape[1] / sr, 20 * np.log10(max(peak, 1e-9)))
    print(args.output)
    return 0


def cmd_rave_train(args) -> int:
    from tqdm import tqdm

    from .rave import train

    with tqdm(total=args.steps, unit="step", desc="rave train", disable=not sys.stderr.isatty(),
              file=sys.stderr) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "train":
                bar.update(done - bar.n)
            else:
                bar.set_postfix_str(f"{stage} {'done' if done == total else '...'}")

        path = train(args.role, args.data, out_dir=args.out, config=args.config, sr=args.sr,
                     max_steps=args.steps, batch=args.batch, gpu=args.gpu, n_signal=args.n_signal,
                     val_every=args.val_every, workers=args.workers, overrides=args.override,
                     name=args.name, models_dir=args.models_dir, progress=progress)
    print(path)
    return 0


def cmd_rave_dataset(args) -> int:
    from .rave import render_dataset

    paths = render_dataset(args.role, args.output, soundfont=args.soundfont, sr=args.sr, step=args.step)
    print(f"{len(paths)} files in {args.output}")
    return 0


def cmd_rave_export(args) -> int:
    from .rave import export_run

    print(export_run(args.run, args.output, args.name))
    return 0


def cmd_rave_random(args) -> int:
    from .rave import build_random_model

    print(build_random_model(args.output, config=args.config, sr=args.sr))
    return 0


def cmd_rave_setup(args) -> int:
    from .rave import ensure_rave_venv

    print(ensure_rave_venv())
    return 0
