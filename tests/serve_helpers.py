"""Starting ``wave serve`` as a subprocess: its first stdout line must be the ready line, within a deadline."""

from __future__ import annotations

import queue
import subprocess
import threading

import pytest


def ready_line(proc: subprocess.Popen, timeout: float = 60.0) -> str:
    """Return ``wave serve``'s first stdout line, which must be its ready line; otherwise kill it and fail.

    Scripts parse that line for the OSC port and latency, so anything printed before it (a library's
    import-time message, a warning) is a failure too. Never blocks past ``timeout``, and reads stderr only
    after the server is gone.
    """
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        line = f"(no line on stdout within {timeout:g} s)\n"
    if line.startswith("wave serve: ready"):
        return line
    proc.kill()
    proc.wait(10)
    pytest.fail(f"wave serve did not print its ready line first: {line}{proc.stderr.read()}")
