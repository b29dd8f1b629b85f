"""Helpers run *inside* the acids-rave tool venv (``.tools/rave-venv``), never imported by WAVE.

``python _rave_tool.py random-run CONFIG RUN_DIR [--sr SR]`` writes a RAVE run folder
(``config.gin`` + a checkpoint of a randomly initialised model built from one of acids-rave's
configs), which ``rave export --run RUN_DIR --streaming --channels 1`` then exports. WAVE's tests use
it to build a tiny random-weight RAVE model (no download), exactly as a trained run would be exported.

``python _rave_tool.py train [--progress-every N] -- RAVE_TRAIN_FLAGS...`` runs acids-rave's own
``rave train`` (``scripts.train.main``, unchanged) after a preflight that turns its deep tracebacks
into messages a user can act on, and with one extra Lightning callback that prints
``wave-progress train STEP MAX_STEPS`` lines, which WAVE's wrapper parses. The preflight checks
what makes ``rave train`` fail late on a small data set:
- fewer training examples than one batch (``drop_last``: the epoch would be empty);
- a training window (``--n_signal``) shorter than the config's multi-band STFT needs
  (raspberry / v1: 16 bands × 2048-point STFT → ``n_signal`` ≥ 32768);
- a validation set with fewer latent frames than the latent size (RAVE fits a PCA of the latent
  on the validation set: ``n_components = LATENT_SIZE`` needs at least that many frames).
Each failure prints ``wave-rave-error: MESSAGE`` on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Run as a script, this file's folder is sys.path[0]; WAVE's own rave.py there must not shadow acids-rave.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != _HERE]


def random_run(config: str, run_dir: Path, sr: int | None, seed: int) -> None:
    import gin
    import rave
    import torch

    torch.manual_seed(seed)
    cfg_dir = Path(rave.__file__).parent
    gin.add_config_file_search_path(str(cfg_dir))
    gin.add_config_file_search_path(str(cfg_dir / "configs"))
    name = config if config.endswith(".gin") else f"{config}.gin"
    bindings = [f"SAMPLING_RATE = {sr}"] if sr else []
    gin.parse_config_files_and_bindings([str(cfg_dir / "configs" / name)], bindings)
    model = rave.RAVE()
    model.eval()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.gin").write_text(gin.config_str())
    ckpt_dir = run_dir / "version_0" / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "callbacks": {}}, ckpt_dir / "random.ckpt")


ERROR_EXIT = 2


def _fail(message: str) -> None:
    print(f"wave-rave-error: {message}", file=sys.stderr, flush=True)
    sys.exit(ERROR_EXIT)


def _gin_name(config: str) -> str:
    return config if config.endswith(".gin") else f"{config}.gin"


def _window_ok(model, n_channels: int, n_signal: int) -> str | None:
    """Run the config's losses on a silent training window; the error text when they fail."""
    import torch

    x = torch.zeros(1, n_channels, n_signal)
    try:
        with torch.no_grad():
            _, x_mb = model.encode(x, return_mb=True)
            model.multiband_audio_distance(x_mb, x_mb)
            model.audio_distance(x, x)
    except (RuntimeError, ValueError) as exc:
        return str(exc).splitlines()[0]
    return None


def preflight(flags) -> None:
    """Check the data set and window against the config before ``rave train`` starts (see module doc)."""
    import gin
    import rave
    import rave.blocks
    import rave.dataset
    import torch

    n_channels = rave.dataset.get_training_channels(flags.db_path, flags.channels)
    gin.bind_parameter("RAVE.n_channels", n_channels)
    gin.parse_config_files_and_bindings([_gin_name(c) for c in flags.config], flags.override)
    try:
        model = rave.RAVE(n_channels=flags.channels)
        model.eval()
        n_signal = int(flags.n_signal)
        err = _window_ok(model, n_channels, n_signal)
        if err is not None:
            ok = next((2**k for k in range(10, 21) if 2**k > n_signal and _window_ok(model, n_channels, 2**k) is None),
                      None)
            hint = f"use --n-signal {ok} or more" if ok else "use a longer --n-signal"
            _fail(f"training window n_signal={n_signal} is too short for config {flags.config}: its losses "
                  f"fail on it ({err}); {hint}")
        dataset = rave.dataset.get_dataset(flags.db_path, model.sr, n_signal, n_channels=n_channels)
        n = len(dataset)
        if n < 2:
            _fail(f"the preprocessed data set {flags.db_path} holds {n} example(s) of >= {n_signal} samples; "
                  "RAVE needs at least 2 (one to train, one to validate): give longer or more audio files "
                  "or a shorter --n-signal")
        first = dataset[0]
        if first.shape[-1] != n_signal:
            _fail(f"data set examples hold {first.shape[-1]} samples, fewer than n_signal={n_signal}: "
                  "preprocess with --num_signal >= n_signal / 2")
        train, val = rave.dataset.split_dataset(dataset, 98)
        if len(train) < flags.batch:
            _fail(f"{len(train)} training example(s) but batch size {flags.batch}: every epoch would be empty "
                  f"(drop_last); use --batch {max(1, len(train))} or less, or more data")
        if isinstance(model.encoder, rave.blocks.VariationalEncoder):
            with torch.no_grad():
                z = model.encode(torch.zeros(1, n_channels, n_signal))
            latent, frames = z.shape[1] // 2, z.shape[-1] * len(val)
            if frames < latent:
                _fail(f"the validation set ({len(val)} example(s) × {z.shape[-1]} latent frames = {frames}) is "
                      f"smaller than the latent size {latent}: RAVE fits a PCA with {latent} components on it. "
                      f"Use more data, a longer --n-signal, or a smaller latent (--override LATENT_SIZE={frames})")
        print(f"wave-preflight examples={n} train={len(train)} val={len(val)} sr={model.sr}", flush=True)
    finally:
        gin.clear_config()


def train(rave_argv: list[str], every: int) -> None:
    """``rave train`` (acids-rave's ``scripts.train.main``) with a preflight and a progress callback."""
    import pytorch_lightning as pl
    from absl import app

    from scripts import train as rave_train  # defines the absl flags

    class Progress(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            step, total = int(trainer.global_step), int(trainer.max_steps)
            if step % every == 0 or step >= total:
                print(f"wave-progress train {step} {total}", flush=True)

    base = pl.Trainer

    def trainer_with_progress(*args, callbacks=(), **kwargs):
        return base(*args, callbacks=[*callbacks, Progress()], **kwargs)

    def main(argv) -> None:
        preflight(rave_train.FLAGS)
        rave_train.pl.Trainer = trainer_with_progress
        rave_train.main(argv)

    sys.argv = [rave_train.__name__, *rave_argv]
    app.run(main)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="_rave_tool")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random-run")
    r.add_argument("config")
    r.add_argument("run_dir", type=Path)
    r.add_argument("--sr", type=int, default=None)
    r.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("train")
    t.add_argument("--progress-every", type=int, default=1)
    t.add_argument("rave_args", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    if args.cmd == "random-run":
        random_run(args.config, args.run_dir, args.sr, args.seed)
    elif args.cmd == "train":
        rest = args.rave_args[1:] if args.rave_args[:1] == ["--"] else args.rave_args
        train(rest, max(1, args.progress_every))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
