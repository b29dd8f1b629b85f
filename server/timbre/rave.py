"""acids-rave in its own tool venv: training, export, random-weight models, and training sets.

acids-rave 2.3.1 pins numpy<2, scipy 1.10 and pytorch-lightning 1.9, so it never enters WAVE's
``.venv``: ``scripts/setup-rave-venv.sh`` builds ``.tools/rave-venv`` and this module drives its
``rave`` command (``preprocess`` → ``train`` → ``export --streaming --channels 1``) in subprocesses.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError, MissingDependencyError, OutputError
from ..paths import REPO_ROOT, atomic_path

log = logging.getLogger(__name__)

RAVE_VENV = Path(os.environ.get("WAVE_RAVE_VENV", REPO_ROOT / ".tools" / "rave-venv"))
SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup-rave-venv.sh"
TOOL_SCRIPT = Path(__file__).with_name("_rave_tool.py")
RAVE_MODELS_DIR = REPO_ROOT / "instruments" / "rave"

# General MIDI program and note range (MIDI) of each role's training set; drums use GM drum keys.
DATASET_ROLES: dict[str, dict] = {
    "keyboard": {"program": 0, "low": 36, "high": 96},
    "bass": {"program": 33, "low": 28, "high": 60},
    "guitar": {"program": 25, "low": 40, "high": 84},
    "drums": {"program": 0, "low": 35, "high": 81, "drum": True},
}


def rave_python() -> Path:
    return RAVE_VENV / "bin" / "python"


def ensure_rave_venv(*, install: bool = True) -> Path:
    """Return the tool venv's python, creating the venv with the setup script when missing."""
    py = rave_python()
    ok = py.is_file() and (RAVE_VENV / ".wave-rave-ok").is_file()
    if not ok and install:
        log.info("creating the acids-rave tool venv with %s", SETUP_SCRIPT)
        res = subprocess.run(["bash", str(SETUP_SCRIPT)], cwd=REPO_ROOT)
        ok = res.returncode == 0 and py.is_file()
    if not ok:
        raise MissingDependencyError(
            f"acids-rave tool venv missing at {RAVE_VENV}; create it with `bash {SETUP_SCRIPT}` "
            "(needs network access to PyPI)"
        )
    return py


def _run(args: list[str], what: str, cwd: Path | None = None) -> None:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    log.info("%s: %s", what, " ".join(args))
    res = subprocess.run(args, cwd=cwd, env=env)
    if res.returncode != 0:
        raise OutputError(f"{what} failed (exit {res.returncode}): {' '.join(args)}")


def _rave(*args: str, what: str, cwd: Path | None = None) -> None:
    ensure_rave_venv()
    _run([str(RAVE_VENV / "bin" / "rave"), *args], what, cwd=cwd)


def export_run(run_dir: Path, out_dir: Path, name: str, *, streaming: bool = True) -> Path:
    """``rave export --run RUN --streaming --channels 1`` → ``out_dir/<name>[_streaming].ts``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["export", "--run", str(run_dir), "--channels", "1", "--output", str(out_dir), "--name", name]
    if streaming:
        args.append("--streaming")
    _rave(*args, what="rave export", cwd=run_dir)
    path = out_dir / (f"{name}_streaming.ts" if streaming else f"{name}.ts")
    if not path.is_file():
        raise OutputError(f"rave export finished but {path} was not written")
    return path


def build_random_model(out: Path, *, config: str = "raspberry", sr: int | None = None, seed: int = 0) -> Path:
    """A random-weight RAVE model from one of acids-rave's configs, exported for streaming.

    Used by the tests and the benchmark (no download); a trained run exports the same way.
    """
    out = Path(out)
    if out.is_file():
        return out
    py = ensure_rave_venv()
    work = out.parent / f".{out.stem}.build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        args = [str(py), str(TOOL_SCRIPT), "random-run", config, str(work / "run"), "--seed", str(seed)]
        if sr:
            args += ["--sr", str(sr)]
        _run(args, "build random RAVE run")
        ts = export_run(work / "run", work / "export", "model")
        with atomic_path(out) as tmp:
            shutil.copyfile(ts, tmp)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def has_cuda_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True).returncode == 0


def train(
    role: str,
    data: Path,
    *,
    out_dir: Path | None = None,
    config: str = "v2_small",
    sr: int = 44100,
    max_steps: int = 500_000,
    batch: int = 8,
    gpu: int | None = None,
    name: str | None = None,
    n_signal: int | None = None,
) -> Path:
    """Preprocess ``data`` (a folder of audio), train a RAVE model and export it; returns the ``.ts``.

    Runs on the first CUDA GPU when one exists (``gpu``), otherwise on the CPU (slow: days).
    """
    data = Path(data)
    if not data.is_dir():
        raise InputError(f"training data folder {data} does not exist")
    if max_steps < 1:
        raise ConfigError(f"max_steps {max_steps} must be >= 1")
    if shutil.which("ffmpeg") is None:
        raise MissingDependencyError(
            "rave preprocess decodes audio with ffmpeg, which is not installed "
            "(Debian: apt-get install ffmpeg; macOS: brew install ffmpeg)"
        )
    name = name or role
    out_dir = Path(out_dir or REPO_ROOT / "out" / "rave" / name)
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "preprocessed"
    _rave("preprocess", "--input_path", str(data), "--output_path", str(db), "--channels", "1",
          "--sampling_rate", str(sr), *(["--num_signal", str(n_signal)] if n_signal else []),
          what="rave preprocess")
    if gpu is None:
        gpu = 0 if has_cuda_gpu() else -1
    if gpu < 0:
        log.warning("no CUDA GPU found: training RAVE on the CPU is very slow")
    _rave("train", "--config", config, "--db_path", str(db), "--out_path", str(out_dir / "runs"),
          "--name", name, "--channels", "1", "--max_steps", str(max_steps), "--batch", str(batch),
          "--gpu", str(gpu), "--val_every", str(max(1, min(10000, max_steps // 2))),
          "--progress", "false" if not sys.stderr.isatty() else "true",
          *(["--n_signal", str(n_signal)] if n_signal else []), what="rave train")
    runs = sorted((out_dir / "runs").glob(f"{name}*"), key=os.path.getmtime)
    if not runs:
        raise OutputError(f"rave train wrote no run folder under {out_dir / 'runs'}")
    return export_run(runs[-1], RAVE_MODELS_DIR, name)


def render_dataset(
    role: str,
    out_dir: Path,
    *,
    soundfont: Path | None = None,
    sr: int = 44100,
    seconds: float = 4.0,  # >= acids-rave's 131072-sample training examples at 44.1 kHz
    velocities: tuple[int, ...] = (40, 80, 120),
    step: int = 1,
) -> list[Path]:
    """Render a training set for ``role`` from a General MIDI soundfont: one WAV per note × velocity.

    A stand-in for NSynth when the user has none. Notes cover the role's range (``DATASET_ROLES``).
    """
    if role not in DATASET_ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(DATASET_ROLES)}")
    try:
        import fluidsynth
    except ImportError as exc:
        raise MissingDependencyError("rendering a dataset needs pyfluidsynth (pip install pyfluidsynth)") from exc
    from ..audio.io import write_audio
    from ..paths import default_soundfont

    sf = Path(soundfont) if soundfont else default_soundfont()
    if not sf.is_file():
        raise InputError(f"soundfont {sf} does not exist")
    spec = DATASET_ROLES[role]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    synth = fluidsynth.Synth(gain=0.8, samplerate=float(sr))
    sfid = synth.sfload(str(sf))
    if sfid < 0:
        raise InputError(f"fluidsynth could not load soundfont {sf}")
    chan = 9 if spec.get("drum") else 0
    synth.program_select(chan, sfid, 128 if spec.get("drum") else 0, spec["program"])
    on = int(seconds * 0.75 * sr)
    total = int(seconds * sr)
    paths = []
    try:
        for note in range(spec["low"], spec["high"] + 1, step):
            for vel in velocities:
                synth.noteon(chan, note, vel)
                a = np.asarray(synth.get_samples(on))
                synth.noteoff(chan, note)
                b = np.asarray(synth.get_samples(total - on))
                st = np.concatenate([a, b]).astype(np.float32).reshape(-1, 2).T / 32768.0  # int16 frames
                mono = st.mean(axis=0, keepdims=True).astype(np.float32)
                if np.abs(mono).max() < 1e-4:
                    continue  # no sound for this key in this soundfont
                p = out_dir / f"{role}_{note:03d}_{vel:03d}.wav"
                write_audio(p, mono, sr, fmt="16")
                paths.append(p)
                synth.get_samples(int(0.2 * sr))  # let the voice die before the next note
    finally:
        synth.delete()
    if not paths:
        raise OutputError(f"soundfont {sf} produced no sound for role {role}")
    return paths
