"""Job targets run inside the persistent job worker by tests/test_worker.py (kept light: no torch)."""

from __future__ import annotations

import json
import os
import sys
import time

from server.live.worker import PREFIX


def _progress(fraction: float, what: str) -> None:
    print(PREFIX + json.dumps({"fraction": fraction, "what": what}), file=sys.stderr, flush=True)


def job_load(argv: list[str]) -> int:
    """Load "model" ``argv[0]`` (4 MB of weights) through the process cache and use it."""
    from server.models.cache import ModelKey, default_cache

    _progress(0.25, "loading")
    weights = default_cache().get(ModelKey("test", argv[0], "cpu", "float32"), lambda: bytearray(4 << 20),
                                  nbytes=4 << 20)
    print("this line goes to stderr, not into the protocol")  # a job's stdout never reaches the protocol
    os.write(1, b"and so does raw fd 1\n")
    _progress(0.75, "running")
    return 0 if len(weights) == 4 << 20 else 1


def job_crash(argv: list[str]) -> int:
    print("about to crash", file=sys.stderr, flush=True)
    os.abort()  # SIGABRT: a native crash takes the whole process down
    return 0


def job_fail(argv: list[str]) -> int:
    raise RuntimeError("boom in the job")


def job_sleep(argv: list[str]) -> int:
    _progress(0.1, "sleeping")
    t = time.monotonic()
    while time.monotonic() - t < 60:
        time.sleep(0.02)
    return 0


def job_stuck(argv: list[str]) -> int:
    import ctypes

    libc = ctypes.CDLL(None)
    _progress(0.1, "stuck in C")
    libc.sleep(60)  # no Python instruction for 60 s: a cooperative cancel cannot land
    return 0


def job_env(argv: list[str]) -> int:
    print(f"WAVE_DEVICE={os.environ.get('WAVE_DEVICE')}", file=sys.stderr)
    os.environ["WAVE_LEAK"] = "1"  # undone after the job
    return 0 if os.environ.get("WAVE_LEAK_BEFORE") is None else 3


