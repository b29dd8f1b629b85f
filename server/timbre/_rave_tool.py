"""Helpers run *inside* the acids-rave tool venv (``.tools/rave-venv``), never imported by WAVE.

``python _rave_tool.py random-run CONFIG RUN_DIR [--sr SR]`` writes a RAVE run folder
(``config.gin`` + a checkpoint of a randomly initialised model built from one of acids-rave's
configs), which ``rave export --run RUN_DIR --streaming --channels 1`` then exports. WAVE's tests use
it to build a tiny random-weight RAVE model (no download), exactly as a trained run would be exported.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="_rave_tool")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random-run")
    r.add_argument("config")
    r.add_argument("run_dir", type=Path)
    r.add_argument("--sr", type=int, default=None)
    r.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.cmd == "random-run":
        random_run(args.config, args.run_dir, args.sr, args.seed)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
