"""acids-rave in its own tool venv: training, export, random-weight models, and training sets.

acids-rave 2.3.1 pins numpy<2, scipy 1.10 and pytorch-lightning 1.9, so it never enters WAVE's
``.venv``: ``scripts/setup-rave-venv.sh`` builds ``.tools/rave-venv`` and this module drives its
``rave`` command (``preprocess`` → ``train`` → ``export --streaming --channels 1``) in subprocesses.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
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


_PROGRESS = re.compile(r"wave-progress (\w+) (\d+) (\d+)")
_ERROR = "wave-rave-error: "

# progress(stage, done, total): stage is "preprocess", "train" or "export"; train counts steps.
ProgressFn = Callable[[str, int, int], None]


def _run_logged(args: list[str], what: str, log_path: Path, *, progress: ProgressFn | None = None,
                cwd: Path | None = None) -> None:
    """Run a tool command with its output in ``log_path``; parse progress and preflight errors.

    ``wave-progress STAGE DONE TOTAL`` lines go to ``progress`` and the log (INFO, about every 1 %);
    a ``wave-rave-error: MESSAGE`` line becomes a :class:`ConfigError` with that message; any other
    failure raises :class:`OutputError` with the log's last lines.
    """
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONUNBUFFERED="1")
    log.info("%s: %s (output in %s)", what, " ".join(args), log_path)
    errors: list[str] = []
    tail: list[str] = []
    last_logged = -1
    with open(log_path, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            fh.write(line)
            tail = (tail + [line.rstrip()])[-15:]
            if _ERROR in line:
                errors.append(line.split(_ERROR, 1)[1].strip())
            for stage, done, total in _PROGRESS.findall(line):
                done, total = int(done), int(total)
                if progress is not None:
                    progress(stage, done, total)
                pct = 100 * done // max(1, total)
                if pct != last_logged or done == total:
                    last_logged = pct
                    log.info("%s: step %d/%d", what, done, total)
        rc = proc.wait()
    if errors:
        raise ConfigError(f"{what}: {errors[-1]}")
    if rc != 0:
        raise OutputError(f"{what} failed (exit {rc}); last lines of {log_path}:\n" + "\n".join(tail))


def _rave(*args: str, what: str, cwd: Path | None = None, log_path: Path | None = None) -> None:
    ensure_rave_venv()
    cmd = [str(RAVE_VENV / "bin" / "rave"), *args]
    if log_path is None:
        _run(cmd, what, cwd=cwd)
    else:
        _run_logged(cmd, what, log_path, cwd=cwd)


def export_run(run_dir: Path, out_dir: Path, name: str, *, streaming: bool = True,
               log_path: Path | None = None) -> Path:
    """``rave export --run RUN --streaming --channels 1`` → ``out_dir/<name>[_streaming].ts``.

    ``run_dir`` is a ``rave train`` run folder (``config.gin`` + ``version_*/checkpoints/*.ckpt``);
    acids-rave exports its newest checkpoint. The file is exported into a scratch folder and moved
    into place atomically; the export's output goes to ``log_path`` (default ``RUN/export.log``).
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.gin").is_file():
        raise InputError(f"{run_dir} is not a RAVE run folder: it has no config.gin (give the folder "
                         "`rave train` made under its --out_path, e.g. out/rave/keyboard/runs/keyboard_<hash>)")
    if not any(run_dir.rglob("*.ckpt")):
        raise InputError(f"RAVE run {run_dir} holds no checkpoint (*.ckpt): training never reached a "
                         "validation or the end of an epoch")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fname = f"{name}_streaming.ts" if streaming else f"{name}.ts"
    with tempfile.TemporaryDirectory(prefix=f".{name}-export-", dir=out_dir) as tmp:
        args = ["export", "--run", str(run_dir.resolve()), "--channels", "1", "--output", tmp, "--name", name]
        if streaming:
            args.append("--streaming")
        log_path = Path(log_path or run_dir / "export.log")
        _rave(*args, what="rave export", cwd=run_dir, log_path=log_path)
        made = Path(tmp) / fname
        if not made.is_file():
            raise OutputError(f"rave export finished but wrote no {fname} (see {log_path})")
        path = out_dir / fname
        with atomic_path(path) as part:
            shutil.move(made, part)
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


DEFAULT_N_SIGNAL = 131072  # acids-rave's training window (samples)


def _newest_run(runs_dir: Path, name: str, since: float) -> Path:
    """The run folder ``<name>_<gin hash>`` whose newest checkpoint was written after ``since``."""
    ckpts = [c for c in runs_dir.glob(f"{name}_*/version_*/checkpoints/*.ckpt") if c.stat().st_mtime >= since]
    if not ckpts:
        raise OutputError(f"rave train finished but wrote no checkpoint under {runs_dir}/{name}_*/ "
                          "(a checkpoint is written at each validation: check --val-every <= --steps)")
    return max(ckpts, key=lambda c: c.stat().st_mtime).parents[2]


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
    val_every: int | None = None,
    workers: int | None = None,
    overrides: Sequence[str] = (),
    models_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Preprocess ``data`` (a folder of audio), train a RAVE model and export it; returns the ``.ts``.

    Stages, each in the tool venv with its output in ``out_dir/<stage>.log``:
    1. ``rave preprocess`` into ``out_dir/preprocessed`` (rebuilt each time): examples of
       ``n_signal`` samples (files shorter than that are skipped);
    2. ``rave train --config CONFIG`` (plus ``overrides``, gin bindings such as ``LATENT_SIZE=8``)
       for ``max_steps`` steps, validating and checkpointing every ``val_every`` steps, on the first
       CUDA GPU when one exists (``gpu``), otherwise on the CPU; a preflight refuses a data set or
       window that the config cannot train on, with the reason;
    3. ``rave export --streaming --channels 1`` of the run's newest checkpoint →
       ``models_dir/<name>_streaming.ts`` (default ``instruments/rave/``).
    ``progress(stage, done, total)`` is called as stages start and end and after training steps.
    """
    data = Path(data)
    if not data.is_dir():
        raise InputError(f"training data folder {data} does not exist")
    if role not in DATASET_ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of {', '.join(DATASET_ROLES)}")
    if max_steps < 1:
        raise ConfigError(f"max_steps {max_steps} must be >= 1")
    if batch < 1:
        raise ConfigError(f"batch {batch} must be >= 1")
    n_signal = DEFAULT_N_SIGNAL if n_signal is None else int(n_signal)
    if n_signal < 2048 or n_signal % 2:
        raise ConfigError(f"n_signal {n_signal} must be an even number of samples >= 2048 (acids-rave: 131072)")
    val_every = max(1, min(10000, max_steps // 2)) if val_every is None else int(val_every)
    if not 1 <= val_every <= max_steps:
        raise ConfigError(f"val_every {val_every} must be between 1 and max_steps {max_steps}: checkpoints "
                          "are written at validations, so a run without one exports nothing")
    if workers is None:
        workers = min(8, max(0, (os.cpu_count() or 1) - 1))
    if workers < 0:
        raise ConfigError(f"workers {workers} must be >= 0 (0 loads data in the training process)")
    for ov in overrides:
        if "=" not in ov:
            raise ConfigError(f"override {ov!r} must be a gin binding NAME=VALUE, e.g. LATENT_SIZE=8")
    if shutil.which("ffmpeg") is None:
        raise MissingDependencyError(
            "rave preprocess decodes audio with ffmpeg, which is not installed "
            "(Debian: apt-get install ffmpeg; macOS: brew install ffmpeg)"
        )
    py = ensure_rave_venv()
    name = name or role
    out_dir = Path(out_dir or REPO_ROOT / "out" / "rave" / name)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)

    # 1. preprocess: acids-rave cuts files into examples of 2 × --num_signal samples
    db = out_dir / "preprocessed"
    shutil.rmtree(db, ignore_errors=True)  # lmdb keeps stale keys from an earlier data set
    report("preprocess", 0, 1)
    _rave("preprocess", "--input_path", str(data), "--output_path", str(db), "--channels", "1",
          "--sampling_rate", str(sr), "--num_signal", str(n_signal // 2),
          what="rave preprocess", log_path=out_dir / "preprocess.log")
    if not (db / "metadata.yaml").is_file():
        raise OutputError(f"rave preprocess wrote no data set in {db} (see {out_dir / 'preprocess.log'})")
    report("preprocess", 1, 1)

    # 2. train (acids-rave's train script, with WAVE's preflight and progress callback)
    if gpu is None:
        gpu = 0 if has_cuda_gpu() else -1
    if gpu < 0:
        log.warning("no CUDA GPU used: training RAVE on the CPU is very slow")
    runs_dir = out_dir / "runs"
    args = ["--config", config, "--db_path", str(db), "--out_path", str(runs_dir), "--name", name,
            "--channels", "1", "--max_steps", str(max_steps), "--batch", str(batch), "--gpu", str(gpu),
            "--val_every", str(val_every), "--n_signal", str(n_signal), "--workers", str(workers),
            "--noprogress"]
    for ov in overrides:
        args += ["--override", ov]
    started = time.time() - 1.0
    report("train", 0, max_steps)
    _run_logged([str(py), str(TOOL_SCRIPT), "train", "--progress-every", str(max(1, max_steps // 1000)), "--",
                 *args], "rave train", out_dir / "train.log", progress=progress)
    run = _newest_run(runs_dir, name, started)

    # 3. export for streaming, mono
    report("export", 0, 1)
    path = export_run(run, Path(models_dir or RAVE_MODELS_DIR), name, log_path=out_dir / "export.log")
    report("export", 1, 1)
    log.info("exported %s from run %s", path, run)
    return path


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
    from ..engine.fluid import import_pyfluidsynth

    fluidsynth = import_pyfluidsynth()
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
