"""A persistent job worker: one long-lived process that runs the server's generation jobs one at a time,
in-process, with one model cache, so a second job reuses the models the first one loaded.

Why a process: the live server's audio process stays small and safe; multi-GB models, native crashes
(a segfault in a model library, the OOM killer) and runaway memory stay in the worker. Why long-lived:
``wave make`` as a fresh subprocess per job loads every model anew (tens of seconds and GBs each time).

Two sides:

* :func:`serve` (``python -m server.live.worker``) is the worker. It reads requests, one JSON object a line,
  on stdin, and speaks the job progress protocol on stdout: every line is ``@wave-progress {json}``
  (the prefix and the ``fraction``/``what`` keys of ``wave make``'s ``WAVE_PROGRESS=json`` lines, so
  :func:`server.live.jobs.parse_progress` reads them), with ``job`` (its id) and ``event`` added::

      -> {"op": "run", "job": 7, "argv": ["make", "photo.jpg", "-o", "out", "--name", "x"], "env": {...}}
      <- @wave-progress {"event": "ready", "pid": 1234}
      <- @wave-progress {"job": 7, "event": "progress", "fraction": 0.33, "stage": "sounds", "what": "..."}
      <- @wave-progress {"job": 7, "event": "done", "rc": 0, "state": "done", "tail": [...], "loads": 2, ...}
      -> {"op": "cancel", "job": 7}        (the job stops at its next Python instruction; rc 130)
      -> {"op": "release"}                 (free every model now)
      <- @wave-progress {"event": "idle", "released": 3}   (after ``idle_release`` seconds without a job)

  A job is ``wave ARGV`` run by :func:`server.cli.main` in this process (``target`` may name another
  ``module:function`` taking ``argv`` and returning an exit status: the tests use that). Its environment
  changes (``env``, and whatever the command exports, e.g. ``--device``) are undone after it. Anything a job
  prints goes to stderr, never into the protocol.

* :class:`JobWorker` is the supervisor the server's job thread uses: :meth:`JobWorker.run` sends a job and
  blocks until it ends (progress through a callback), starting the worker when there is none and starting
  a new one when it died (a crashed job is reported as such and the next job runs in a fresh worker);
  :meth:`JobWorker.cancel` asks the running job to stop and kills the worker if it does not within a grace
  period; :meth:`JobWorker.close` ends it. Thread safety: ``run`` takes a lock (one job at a time);
  ``cancel`` and ``close`` may be called from any thread.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import io
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "@wave-progress "
DEFAULT_TARGET = "server.cli:main"
IDLE_RELEASE_S = 300.0  # models are released after this long without a job
CANCEL_GRACE_S = 10.0  # a cancelled job that has not stopped by then is killed with its worker
START_TIMEOUT_S = 120.0  # a worker that has not said "ready" by then is killed
TAIL_LINES = 5


# =============================================================================================================
# the worker process
# =============================================================================================================
class _Protocol:
    """Writes ``@wave-progress {json}`` lines to the private protocol stream; any thread."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, **obj: Any) -> None:
        line = PREFIX + json.dumps(obj, separators=(",", ":"), default=str) + "\n"
        with self.lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the supervisor is gone; the worker ends at its stdin's EOF


class _JobStderr(io.TextIOBase):
    """The worker's ``sys.stderr``: a job's ``@wave-progress`` lines (``wave make`` with WAVE_PROGRESS=json)
    become protocol events of that job; every other line goes to the real stderr and the job's tail."""

    def __init__(self, real: Any, proto: _Protocol) -> None:
        self.real, self.proto = real, proto
        self.job: int | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._buf = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._buf += text
            while "\n" in self._buf:
                line, self._buf = self._buf.split("\n", 1)
                self._line(line)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self.real.flush()

    def _line(self, line: str) -> None:
        if line.startswith(PREFIX) and self.job is not None:
            try:
                d = json.loads(line[len(PREFIX):])
            except ValueError:
                d = None
            if isinstance(d, dict) and "fraction" in d:
                self.proto.send(**{**d, "job": self.job, "event": "progress"})
                return
        if line.strip():
            self.tail.append(line.strip()[:300])
        with contextlib.suppress(Exception):
            self.real.write(line + "\n")
            self.real.flush()

    def fileno(self) -> int:
        return self.real.fileno()


def _resolve(target: str) -> Callable[[list[str]], Any]:
    mod, _, fn = str(target).partition(":")
    if not mod or not fn:
        raise ValueError(f"target {target!r} must be module:function")
    return getattr(importlib.import_module(mod), fn)


def _trim_memory() -> None:
    import ctypes
    import ctypes.util

    with contextlib.suppress(Exception):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


class _Worker:
    def __init__(self, proto: _Protocol, err: _JobStderr, idle_release: float) -> None:
        self.proto, self.err, self.idle_release = proto, err, idle_release
        self.requests: queue.Queue[dict | None] = queue.Queue()
        self.running: int | None = None
        self.done_sent = False
        self.state_lock = threading.Lock()
        self.cancelled: set[int] = set()

    # -- stdin: runs on its own thread, so a cancel arrives while a job runs ----------------------------------
    def read_requests(self, stdin: Any) -> None:
        import _thread

        for line in stdin:
            line = line.strip()
            if not line:
                continue
            try:
                req = json.loads(line)
                op = req["op"]
            except (ValueError, KeyError, TypeError):
                self.proto.send(event="error", error=f"not a request: {line[:120]!r}")
                continue
            if op == "cancel":
                with self.state_lock:
                    job = req.get("job")
                    self.cancelled.add(job)
                    if job is not None and job == self.running:
                        _thread.interrupt_main()  # -> _on_interrupt in the main thread, between instructions
            elif op in ("run", "release"):
                self.requests.put(req)
            elif op == "exit":
                break
            else:
                self.proto.send(event="error", error=f"unknown op {op!r}; use run, cancel, release or exit")
        self.requests.put(None)

    def on_interrupt(self, signum: int, frame: Any) -> None:
        """SIGINT handler (main thread): a cancel stops the job it was meant for, and nothing else."""
        if self.running is not None and self.running in self.cancelled:
            raise KeyboardInterrupt

    def loop(self) -> None:
        from ..models.cache import default_cache

        signal.signal(signal.SIGINT, self.on_interrupt)
        self.proto.send(event="ready", pid=os.getpid())
        while True:
            try:
                timeout = self.idle_release if len(default_cache()) else None
                req = self.requests.get(timeout=timeout)
            except queue.Empty:
                n = default_cache().release()
                _trim_memory()
                self.proto.send(event="idle", released=n)
                continue
            except KeyboardInterrupt:  # a cancel that arrived as its job ended
                continue
            if req is None:
                break
            self.done_sent = False
            try:
                if req["op"] == "release":
                    n = default_cache().release()
                    _trim_memory()
                    self.proto.send(event="released", released=n)
                else:
                    self.run_job(req)
            except KeyboardInterrupt:  # a cancel that landed in the job's bookkeeping: it still ends once
                self.running = None
                if req.get("op") == "run" and not self.done_sent:
                    self.proto.send(job=req.get("job"), event="done", rc=130, state="cancelled", fraction=0.0,
                                    what="cancelled", tail=[], seconds=0.0, loads=0, models=len(default_cache()))
        default_cache().release()

    def run_job(self, req: dict) -> None:
        from ..models.cache import default_cache

        job = req.get("job")
        cache = default_cache()
        loads_before = sum(cache.loads.values())
        saved_env = dict(os.environ)
        saved_cwd = os.getcwd()
        self.err.tail.clear()
        self.err.job = job
        t0 = time.perf_counter()
        rc, state, error = 1, "error", None
        try:
            with self.state_lock:
                if job in self.cancelled:
                    raise KeyboardInterrupt
                self.running = job
            os.environ.update({str(k): str(v) for k, v in (req.get("env") or {}).items()})
            os.environ["WAVE_PROGRESS"] = "json"
            fn = _resolve(req.get("target") or DEFAULT_TARGET)
            out = fn([str(a) for a in req.get("argv") or []])
            self.running = None
            rc = int(out or 0)
            state = "done" if rc == 0 else ("cancelled" if rc == 130 else "error")
        except KeyboardInterrupt:
            self.running = None
            rc, state = 130, "cancelled"
        except SystemExit as exc:  # argparse's usage errors
            self.running = None
            rc = exc.code if isinstance(exc.code, int) else 1
            state = "done" if rc == 0 else "error"
        except Exception as exc:  # a bug in a job must not end the worker: report it
            self.running = None
            error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            with self.state_lock:
                self.running = None
                self.cancelled.discard(job)
            self.err.job = None
            os.environ.clear()
            os.environ.update(saved_env)
            with contextlib.suppress(OSError):
                os.chdir(saved_cwd)
        tail = list(self.err.tail)
        if error:
            tail = (tail + [error])[-TAIL_LINES:]
        self.done_sent = True
        self.proto.send(job=job, event="done", rc=rc, state=state, fraction=1.0 if rc == 0 else 0.0,
                        what=state, tail=tail, seconds=round(time.perf_counter() - t0, 3),
                        loads=sum(cache.loads.values()) - loads_before, models=len(cache))


def serve(stdin: Any = None, *, idle_release: float = IDLE_RELEASE_S) -> int:
    """Run the worker on this process's stdin/stdout until stdin ends or an ``exit`` request."""
    # The protocol gets a private copy of stdout; fd 1 becomes stderr, so whatever a job or a C library prints
    # can never corrupt it.
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    proto = _Protocol(os.fdopen(proto_fd, "w", buffering=1, encoding="utf-8"))
    err = _JobStderr(sys.__stderr__, proto)
    sys.stdout = sys.stderr = err
    # jobs' log records go through the same stream (into their tail); `wave`'s own basicConfig is then a no-op
    logging.basicConfig(level=logging.WARNING, format="wave: %(levelname)s: %(message)s", stream=err, force=True)
    worker = _Worker(proto, err, idle_release)
    threading.Thread(target=worker.read_requests, args=(stdin or sys.stdin,), name="worker-stdin",
                     daemon=True).start()
    worker.loop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m server.live.worker",
                                description="wave serve's job worker (speaks JSON lines; see the module doc)")
    p.add_argument("--idle-release", type=float, default=IDLE_RELEASE_S, metavar="S",
                   help="release the loaded models after S seconds without a job")
    args = p.parse_args(argv)
    if not args.idle_release > 0:
        p.error("--idle-release must be > 0 seconds")
    return serve(idle_release=args.idle_release)


# =============================================================================================================
# the supervisor (in the server)
# =============================================================================================================
@dataclass
class WorkerResult:
    """How a job ended: ``state`` done | error | cancelled | crashed (the worker died under it)."""

    job: int
    rc: int
    state: str
    tail: list[str] = field(default_factory=list)
    seconds: float = 0.0
    loads: int = 0  # models this job loaded (0: every model came from the worker's cache)
    pid: int | None = None

    @property
    def ok(self) -> bool:
        return self.state == "done"


_EOF = object()


class JobWorker:
    """Runs jobs in one persistent worker process (started on the first job, started anew after a crash).

    ``idle_release``: seconds without a job after which the worker frees its models. ``env``: extra
    environment of the worker process (e.g. ``WAVE_DEVICE``). ``command``: the worker's command line
    (default ``python -m server.live.worker``)."""

    def __init__(self, *, idle_release: float = IDLE_RELEASE_S, env: dict[str, str] | None = None,
                 cwd: str | os.PathLike[str] | None = None, command: list[str] | None = None,
                 cancel_grace: float = CANCEL_GRACE_S, start_timeout: float = START_TIMEOUT_S) -> None:
        if not idle_release > 0 or not cancel_grace > 0 or not start_timeout > 0:
            raise ValueError("idle_release, cancel_grace and start_timeout must be > 0 seconds")
        self.idle_release, self.cancel_grace, self.start_timeout = idle_release, cancel_grace, start_timeout
        self.env, self.cwd = dict(env or {}), cwd
        self.command = command or [sys.executable, "-m", "server.live.worker", "--idle-release", str(idle_release)]
        self.proc: subprocess.Popen | None = None
        self.starts = 0  # worker processes started (1 + restarts)
        self.events: queue.Queue[Any] = queue.Queue()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._run_lock = threading.Lock()
        self._proc_lock = threading.Lock()
        self._job_ids = iter(range(1, 1 << 62))
        self._current: int | None = None
        self._cancel_timer: threading.Timer | None = None
        self._closed = False

    # -- process ----------------------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _start(self) -> None:
        from ..paths import REPO_ROOT

        env = {**os.environ, **self.env}
        root = str(REPO_ROOT)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.events = queue.Queue()
        self.stderr_tail.clear()
        proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, bufsize=1, cwd=self.cwd or root, env=env, start_new_session=True)
        with self._proc_lock:
            self.proc = proc
        self.starts += 1
        threading.Thread(target=self._read_stdout, args=(proc, self.events), name="worker-stdout",
                         daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(proc,), name="worker-stderr", daemon=True).start()
        ev = self._next_event(self.start_timeout)
        if ev is _EOF or ev is None or ev.get("event") != "ready":
            self._kill()
            why = "did not start in time" if ev is None else "ended while starting"
            raise RuntimeError(f"the job worker {why}: {' | '.join(self.stderr_tail) or 'no message'}")
        log.info("job worker started (pid %d)", proc.pid)

    @staticmethod
    def _read_stdout(proc: subprocess.Popen, events: queue.Queue) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith(PREFIX):
                continue  # fd 1 of the worker is the protocol only; anything else is ignored
            try:
                d = json.loads(line[len(PREFIX):])
            except ValueError:
                continue
            if isinstance(d, dict):
                events.put(d)
        events.put(_EOF)

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip()
            if line:
                self.stderr_tail.append(line[:300])
                log.debug("worker: %s", line)

    def _next_event(self, timeout: float | None) -> Any:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _send(self, obj: dict) -> bool:
        proc = self.proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            return False
        try:
            proc.stdin.write(json.dumps(obj) + "\n")
            proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def _kill(self) -> None:
        with self._proc_lock:
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its session: the worker and anything it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    # -- jobs -------------------------------------------------------------------------------------------------
    def run(self, argv: list[str], *, env: dict[str, str] | None = None, target: str | None = None,
            on_progress: Callable[[float, str, dict], None] | None = None) -> WorkerResult:
        """Run ``wave ARGV`` (or ``target(argv)``) in the worker; block until it ends. ``on_progress(fraction,
        what, event)`` is called for each progress line. Never raises for a failed or crashed job."""
        with self._run_lock:
            if self._closed:
                return WorkerResult(0, -1, "error", ["the job worker is closed"])
            if not self.alive():
                if self.proc is not None:
                    log.warning("job worker (pid %d) had ended (exit %s); starting a new one", self.proc.pid,
                                self.proc.returncode)
                try:
                    self._start()
                except (OSError, RuntimeError) as exc:
                    return WorkerResult(0, -1, "error", [str(exc)])
            job = next(self._job_ids)
            self._cancel_requested = False
            self._current = job
            pid = self.proc.pid if self.proc else None
            try:
                req = {"op": "run", "job": job, "argv": list(argv), "env": dict(env or {})}
                if target:
                    req["target"] = target
                if not self._send(req):
                    return self._crashed(job, pid)
                while True:
                    ev = self._next_event(None)
                    if ev is _EOF:
                        return self._crashed(job, pid)
                    if ev.get("job") != job:
                        continue  # idle/released notes, or a late line of an earlier job
                    if ev.get("event") == "progress" and on_progress is not None:
                        with contextlib.suppress(Exception):
                            on_progress(float(ev.get("fraction", 0.0)), str(ev.get("what", ""))[:200], ev)
                    elif ev.get("event") == "done":
                        return WorkerResult(job, int(ev.get("rc", 1)), str(ev.get("state", "error")),
                                            list(ev.get("tail") or []), float(ev.get("seconds", 0.0)),
                                            int(ev.get("loads", 0)), pid)
            finally:
                self._current = None
                if self._cancel_timer is not None:
                    self._cancel_timer.cancel()
                    self._cancel_timer = None

    def _crashed(self, job: int, pid: int | None) -> WorkerResult:
        proc = self.proc
        rc = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                rc = proc.wait(timeout=10)
        time.sleep(0.05)  # let the stderr reader take the last lines
        if self._cancel_requested:
            self._cancel_requested = False
            return WorkerResult(job, 130, "cancelled", ["cancelled: the job did not stop in time, its worker "
                                                        "was ended"], pid=pid)
        how = (f"killed by signal {signal.Signals(-rc).name}" if rc is not None and rc < 0 and -rc in
               signal.valid_signals() else f"exit {rc}")
        tail = list(self.stderr_tail)[-TAIL_LINES:]
        log.warning("job worker (pid %s) died under job %d (%s); the next job starts a new one", pid, job, how)
        return WorkerResult(job, rc if rc is not None else -1, "crashed",
                            [f"the job worker died ({how})", *tail], pid=pid)

    _cancel_requested = False

    def cancel(self) -> bool:
        """Ask the running job to stop (it ends as ``cancelled``); if it has not within ``cancel_grace``
        seconds, kill the worker (the next job starts a new one). False when no job is running."""
        job = self._current
        if job is None:
            return False
        self._cancel_requested = True
        self._send({"op": "cancel", "job": job})

        def force() -> None:
            if self._current == job:
                log.warning("job %d did not stop within %.0f s of its cancel; ending the worker", job,
                            self.cancel_grace)
                self._kill()

        self._cancel_timer = threading.Timer(self.cancel_grace, force)
        self._cancel_timer.daemon = True
        self._cancel_timer.start()
        return True

    def release(self) -> bool:
        """Ask an idle worker to free its models now (it also does so by itself after ``idle_release``)."""
        return self._send({"op": "release"})

    def close(self, timeout: float = 5.0) -> None:
        """Stop the running job (if any) and end the worker."""
        self._closed = True
        if self._current is not None:
            self._cancel_requested = True
            self._send({"op": "cancel", "job": self._current})
        self._send({"op": "exit"})
        proc = self.proc
        if proc is not None:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
            for s in (proc.stdin, proc.stdout, proc.stderr):
                with contextlib.suppress(Exception):
                    if s is not None:
                        s.close()


if __name__ == "__main__":
    sys.exit(main())

