"""Generation jobs of ``wave serve``: an image (or a folder of images) → instrument set(s), made by a
worker process beside the live server.

The server talks to this module through :class:`JobQueue` only: :meth:`JobQueue.submit` (control
thread; refuses when the queue is full), :meth:`JobQueue.close` (at shutdown), ``jobs`` (the records,
bounded) and the ``notify(dest, address, args)`` callback it is given, through which every job reports
``/wave/job`` and ``/wave/job/message``. Each job runs on its own supervising thread; at most
:data:`MAX_JOBS_RUNNING` run at once (each uses the machine's cores), the others wait queued.

A job runs ``wave make`` (one image) or ``wave batch`` (a folder) with ``WAVE_PROGRESS=json``: they
then write one progress line per stage on stderr (:func:`parse_progress`). ``wave make`` jobs run in one
persistent worker process (:mod:`server.live.worker`) that keeps its models loaded between jobs (released
after :data:`WORKER_IDLE_RELEASE_S` without a job) and is started anew if it dies; ``wave batch`` and a
custom ``generate_command`` run as a subprocess per job. The work folder lies beside
the sets folder (same file system), so a finished set appears in the sets folder atomically (one
``os.replace``); the work folder is removed whatever happened. A failed job reports an error and the
server lives on.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..paths import REPO_ROOT
from .worker import JobWorker

log = logging.getLogger(__name__)

MAX_JOBS_RUNNING = 1  # generation jobs at once (each uses the machine's cores)
MAX_JOBS_QUEUED = 4  # more wait; beyond that /wave/generate is refused
MAX_JOBS_KEPT = 32  # finished jobs remembered
WORKER_IDLE_RELEASE_S = 300.0  # the job worker frees its models after this long without a job
PROGRESS_PREFIX = "@wave-progress "  # `wave make` with WAVE_PROGRESS=json: one JSON object a line on stderr
SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
RESERVED_SET_NAMES = ("gm",)  # the General MIDI set of the live server

Notify = Callable[[object, str, list], None]


def parse_progress(line: str) -> tuple[float, str] | None:
    """``(fraction, what)`` from one stderr line of a job, or None when it is not a progress line."""
    if not line.startswith(PROGRESS_PREFIX):
        return None
    try:
        d = json.loads(line[len(PROGRESS_PREFIX):])
        fraction = float(d["fraction"])
    except (ValueError, KeyError, TypeError):
        return None
    if not math.isfinite(fraction):
        return None
    return min(max(fraction, 0.0), 1.0), str(d.get("what", ""))[:200]


def valid_set_name(name: str) -> bool:
    """Whether ``name`` may name a set in the sets folder (1-64 letters, digits, ``_-.``; not ``gm``)."""
    return bool(SET_NAME.fullmatch(name)) and name not in RESERVED_SET_NAMES


def check_set_name(name: str) -> str:
    """``name`` if :func:`valid_set_name`, else InputError saying what would work."""
    if not valid_set_name(name):
        raise InputError(f"set name {name!r}: use 1-64 letters, digits, '_', '-', '.', starting with a "
                         "letter or digit (not 'gm')")
    return name


@dataclass
class Job:
    id: int
    kind: str
    state: str = "queued"  # queued, running, done, error
    progress: float = 0.0
    message: str = ""
    dest: tuple | None = None  # where its reports go (the requester's reply destination)
    cancelled: bool = False
    proc: subprocess.Popen | None = field(default=None, repr=False)


class JobQueue:
    """Generation jobs of one server. ``sets``: the sets folder finished sets are published into;
    ``notify(dest, address, args)``: sends a report (any thread). ``generate_command`` and
    ``batch_command`` are argument templates with ``{image}``, ``{out}`` and ``{name}``."""

    def __init__(self, sets: str | os.PathLike[str], notify: Notify, *,
                 generate_command: list[str] | None = None, batch_command: list[str] | None = None,
                 use_worker: bool = True, worker_idle_release: float = WORKER_IDLE_RELEASE_S) -> None:
        self.sets = Path(sets)
        self.notify = notify
        # `wave make IMAGE -o OUT --name NAME` writes OUT/instruments/NAME.sf2 (and its report, SFZ...)
        self._make_command = [sys.executable, "-m", "server", "make", "{image}", "-o", "{out}", "--name", "{name}"]
        self.generate_command = generate_command or list(self._make_command)
        # the default `wave make` runs in the persistent worker (models stay loaded between jobs)
        self.use_worker = use_worker
        self.worker_idle_release = worker_idle_release
        self.worker: JobWorker | None = None
        # a folder of images: `wave batch` on a local Ray, one worker (the server keeps a core for audio)
        self.batch_command = batch_command or [
            sys.executable, "-m", "server", "batch", "{image}", "-o", "{out}", "--workers", "1", "--no-progress",
        ]
        self.jobs: dict[int, Job] = {}
        self._slots = threading.Semaphore(MAX_JOBS_RUNNING)
        self._ids = itertools.count(1)
        self._stopping = False

    def active(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.state in ("queued", "running")]

    def submit(self, image: Path, name: str, dest) -> Job:
        """Queue a job making set ``name`` from ``image`` (a file: ``wave make``; a folder: ``wave batch``,
        one set per image named after it). Control thread. InputError when the queue is full."""
        active = self.active()
        if len(active) >= MAX_JOBS_RUNNING + MAX_JOBS_QUEUED:
            raise InputError(f"{len(active)} generation jobs are running or waiting (the limit); "
                             "send /wave/generate again when one has finished")
        job = Job(next(self._ids), "generate", dest=dest)
        self.jobs[job.id] = job
        for old_id in [i for i, j in self.jobs.items() if j.state in ("done", "error")][:-MAX_JOBS_KEPT]:
            del self.jobs[old_id]  # the record of finished jobs is bounded too
        threading.Thread(target=self._run, args=(job, Path(image), name), name=f"job-{job.id}",
                         daemon=True).start()
        return job

    def cancel(self, job_id: int) -> bool:
        """Stop job ``job_id``: a queued one never starts, a running one is stopped (the worker's job at its
        next Python instruction, a subprocess by SIGTERM); it then reports ``error`` with the message
        ``cancelled``. False when there is no such job or it has finished. Control thread."""
        job = self.jobs.get(job_id)
        if job is None or job.state not in ("queued", "running"):
            return False
        job.cancelled = True
        if job.state == "queued":
            job.state, job.message = "error", "cancelled before it started"
            self._report(job)
        elif job.proc is not None and job.proc.poll() is None:
            job.proc.terminate()
        elif self.worker is not None:
            self.worker.cancel()
        return True

    def close(self) -> None:
        """Queued jobs do not start; running worker processes are asked to stop (SIGTERM)."""
        self._stopping = True
        for job in list(self.jobs.values()):
            if job.proc is not None and job.proc.poll() is None:
                job.proc.terminate()
        if self.worker is not None:
            self.worker.close()  # its running job is cancelled, the process ends

    # -- job threads ------------------------------------------------------------------------------
    def _report(self, job: Job) -> None:
        self.notify(job.dest, "/wave/job", [job.id, job.kind, job.state, float(job.progress)])
        if job.message:
            self.notify(job.dest, "/wave/job/message", [job.id, job.message])

    def _run(self, job: Job, image: Path, name: str) -> None:
        with self._slots:  # one at a time (a job takes the machine's cores); the others wait queued
            if job.state == "queued" and not self._stopping:
                self._run_now(job, image, name)

    def _run_now(self, job: Job, image: Path, name: str) -> None:
        work = self.sets / ".jobs" / f"{name}-{job.id}"  # beside the sets: same file system
        subst = {"image": str(image), "name": name, "out": str(work)}
        folder = image.is_dir()
        cmd = [part.format(**subst) for part in (self.batch_command if folder else self.generate_command)]
        job.state = "running"
        self._report(job)
        if not folder and self.use_worker and self.generate_command == self._make_command:
            rc, tail = self._run_in_worker(job, ["make", str(image), "-o", str(work), "--name", name])
        else:
            rc, tail = self._run_subprocess(job, cmd)
        if folder:
            self._publish_batch(job, work, rc, tail)
            shutil.rmtree(work, ignore_errors=True)
            self._report(job)
            return
        made = work / "instruments" / f"{name}.sf2"
        out = self.sets / f"{name}.sf2"
        if rc == 0 and made.is_file():
            os.replace(made, out)  # the finished set appears atomically
            job.state, job.progress, job.message = "done", 1.0, f"set {name} is ready: /wave/set/load {name}"
        elif job.cancelled:
            job.state, job.message = "error", "cancelled"
        else:
            job.state = "error"
            job.message = (f"exit {rc}: " + " | ".join(t for t in tail if t))[-400:] if rc else \
                f"the job finished but wrote no {made.relative_to(work)}"
        shutil.rmtree(work, ignore_errors=True)  # sounds, SFZ, report: tens of MB per job, never read again
        self._report(job)

    def _run_subprocess(self, job: Job, cmd: list[str]) -> tuple[int, list[str]]:
        """``cmd`` as a subprocess of its own; its ``@wave-progress`` stderr lines become the job's progress."""
        tail: list[str] = []
        try:
            env = {**os.environ, "WAVE_PROGRESS": "json"}  # `wave make` then reports each stage as a line
            job.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        cwd=REPO_ROOT, start_new_session=True, env=env)
            if job.cancelled:  # cancelled while it was being started
                job.proc.terminate()
            for line in job.proc.stderr:
                p = parse_progress(line)
                if p is None:
                    tail = (tail + [line.strip()])[-5:]
                    continue
                fraction, what = p
                if fraction > job.progress:
                    job.progress, job.message = min(fraction, 0.99), what
                    self._report(job)
            rc = job.proc.wait()
        except OSError as exc:
            rc, tail = -1, [str(exc)]
        return rc, tail

    def _run_in_worker(self, job: Job, argv: list[str]) -> tuple[int, list[str]]:
        """``wave ARGV`` in the persistent worker (started on first use, anew after a crash)."""
        if self.worker is None:
            self.worker = JobWorker(idle_release=self.worker_idle_release, cwd=REPO_ROOT)

        def progress(fraction: float, what: str, _event: dict) -> None:
            if job.cancelled:  # a cancel that came while the job was being handed to the worker
                self.worker.cancel()
                return
            if fraction > job.progress:
                job.progress, job.message = min(fraction, 0.99), what
                self._report(job)

        if job.cancelled:
            return 130, ["cancelled"]
        res = self.worker.run(argv, on_progress=progress)
        if res.state == "crashed":
            log.warning("job %d: %s", job.id, " | ".join(res.tail))
        rc = res.rc if res.rc != 0 or res.ok else 1
        return rc, res.tail

    def _publish_batch(self, job: Job, work: Path, rc: int, tail: list[str]) -> None:
        """A folder's batch ended (exit 1: some image failed): every finished set appears in the sets
        folder, each atomically; the job reports what was made and what failed."""
        made, failed = [], []
        try:
            summary = json.loads((work / "batch.json").read_text())
        except (OSError, ValueError):
            summary = {"images": []}
        for rec in summary.get("images", []):
            n = str(rec.get("name", ""))
            sf2 = work / n / "instruments" / f"{n}.sf2"
            if rec.get("status") != "failed" and valid_set_name(n) and sf2.is_file():
                os.replace(sf2, self.sets / f"{n}.sf2")
                made.append(n)
            else:
                failed.append(f"{n}: {rec.get('error') or 'no set'}")
        if made:
            job.state, job.progress = "done", 1.0
            job.message = (f"sets ready: {', '.join(made)} (/wave/set/load NAME)"
                           + (f"; {len(failed)} failed: {' | '.join(failed)}" if failed else ""))[:400]
        else:
            job.state = "error"
            job.message = (f"exit {rc}: " + " | ".join(failed or [t for t in tail if t]))[-400:]
