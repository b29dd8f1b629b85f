"""`wave serve`'s generation jobs, driven by a real OSC client (python-osc) against a real server process:
the server's --scene-backend/--sound-backend, --device and model flags reach its `wave make` jobs (through the
environment the job worker inherits), and `/wave/job/cancel` stops a long-running job."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.make.cli import BUNDLED_PHOTO
from tests.helpers.models import RUN_ENV as ENV
from tests.serve_helpers import ready_line

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


class Served:
    """`wave serve --audio null` on a free port, with its own sets and images folders, and one python-osc
    client whose socket receives the replies."""

    def __init__(self, tmp: Path, *flags: str) -> None:
        from pythonosc.udp_client import SimpleUDPClient

        self.sets, self.images = tmp / "sets", tmp / "images"
        self.sets.mkdir()
        self.images.mkdir()
        shutil.copyfile(BUNDLED_PHOTO, self.images / "coffee.jpg")
        env = {k: v for k, v in os.environ.items() if k not in ENV}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--audio", "null", "--osc-port", "0", "--sets-dir",
             str(self.sets), "--images-dir", str(self.images), "--duration", "600", *flags],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env, CI="true"))
        port = int(re.search(r"osc=udp:127\.0\.0\.1:(\d+)", ready_line(self.proc)).group(1))
        self.client = SimpleUDPClient("127.0.0.1", port)
        self.seen: list[tuple[str, list]] = []

    def send(self, address: str, *args) -> None:
        self.client.send_message(address, list(args))

    def wait_for(self, pred, timeout: float) -> tuple[str, list]:
        """The first reply (address, args) that ``pred`` accepts, reading replies for up to ``timeout`` s."""
        t0 = time.monotonic()
        for a, args in self.seen:
            if pred(a, args):
                return a, args
        while time.monotonic() - t0 < timeout:
            for m in self.client.get_messages(0.5):
                self.seen.append((m.address, list(m.params)))
                if pred(m.address, list(m.params)):
                    return m.address, list(m.params)
            assert self.proc.poll() is None, self.proc.stderr.read()
        pytest.fail(f"no such reply within {timeout} s; got {self.seen}")

    def close(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.client.close()
        return self.proc.stderr.read()


@pytest.fixture
def serve(tmp_path):
    made: list[Served] = []

    def start(*flags: str) -> Served:
        made.append(Served(tmp_path, *flags))
        return made[-1]

    yield start
    for s in made:
        s.close()


def _job_id(served: Served) -> int:
    """Start a job; the id of the new one (the first queued report of an id not seen before)."""
    known = {x[0] for a, x in served.seen if a == "/wave/job"}
    served.send("/wave/generate", "coffee.jpg")
    _, args = served.wait_for(lambda a, x: a == "/wave/job" and x[2] == "queued" and x[0] not in known, 10)
    return args[0]


def test_the_servers_model_options_reach_its_make_jobs(serve, tmp_path):
    """`wave serve --device cpu --sound-backend audioldm --sound-model DIR`: the job's `wave make` runs the
    audioldm backend on DIR (here a checkpoint folder that is not there, so the job fails naming it, after its
    builtin scene stage ran)."""
    missing = tmp_path / "no-such-ldm-checkpoint"
    s = serve("--device", "cpu", "--sound-backend", "audioldm", "--sound-model", str(missing))
    job = _job_id(s)
    _, state = s.wait_for(lambda a, x: a == "/wave/job" and x[0] == job and x[2] in ("done", "error"), 240)
    _, msg = s.wait_for(lambda a, x: a == "/wave/job/message" and x[0] == job and "sounds" in x[1], 5)
    assert state[2] == "error" and state[3] > 0  # failed after the scene stage
    assert f"cannot load '{missing}' for the audioldm backend" in msg[1]
    assert not list(s.sets.glob("*.sf2"))


def test_the_worker_inherits_the_servers_device_and_checkpoints(tmp_path, monkeypatch):
    """What cmd_serve exports (job_options) is what a job worker started afterwards sees; paths are made
    absolute (jobs run in the repository folder)."""
    import argparse

    from server.live.cli import job_options, register
    from server.live.worker import JobWorker

    for var in ENV:
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    (tmp_path / "ldm").mkdir()
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--device", "cpu", "--sound-model", "ldm", "--scene-backend", "blip",
                              "--sound-backend", "audioldm"])
    job_options(args)
    assert os.environ["WAVE_SOUND_MODEL"] == str(tmp_path / "ldm")
    assert (os.environ["WAVE_SCENE_BACKEND"], os.environ["WAVE_SOUND_BACKEND"]) == ("blip", "audioldm")
    w = JobWorker(env={"PYTHONPATH": str(HERE)}, idle_release=60, start_timeout=60)
    try:
        r = w.run([], target="worker_jobs:job_env")
        assert r.state == "done" and "WAVE_DEVICE=cpu" in r.tail
    finally:
        w.close()
    for bad, words in ((["--sound-backend", "audioldm3"], "unknown sounds backend"),
                       (["--scene-backend", "gpt"], "choose one of builtin"),
                       (["--sound-backend", "v2a"], "--v2a-mapper")):
        with pytest.raises(Exception, match=words):
            job_options(parser.parse_args(["serve", *bad]))


def test_a_gpu_asked_for_on_a_machine_without_one_stops_the_server_at_start(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    r = subprocess.run([sys.executable, "-m", "server", "serve", "--audio", "null", "--osc-port", "0",
                        "--device", "cuda", "--duration", "1"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "no CUDA GPU" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_job_cancel_over_osc_stops_a_running_and_a_queued_job(serve):
    """`/wave/job/cancel` from a python-osc client: the running `wave make` (builtin backends, ~15 s) stops
    within seconds of the cancel, the queued one never starts, neither publishes a set; a finished or unknown
    job is an error naming it."""
    s = serve()
    running = _job_id(s)
    queued = _job_id(s)
    assert running != queued
    # its scene stage has finished: the job runs in the worker (progress 1/6)
    s.wait_for(lambda a, x: a == "/wave/job" and x[0] == running and x[2] == "running" and x[3] > 0, 120)
    s.send("/wave/job/cancel", queued)
    s.wait_for(lambda a, x: a == "/wave/ok" and x == ["/wave/job/cancel"], 5)
    _, q = s.wait_for(lambda a, x: a == "/wave/job" and x[0] == queued and x[2] == "error", 5)
    t0 = time.monotonic()
    s.send("/wave/job/cancel", running)
    _, r = s.wait_for(lambda a, x: a == "/wave/job" and x[0] == running and x[2] == "error", 30)
    assert time.monotonic() - t0 < 15
    _, msg = s.wait_for(lambda a, x: a == "/wave/job/message" and x[0] == running and x[1] == "cancelled", 5)
    s.send("/wave/job/cancel", running)
    _, err = s.wait_for(lambda a, x: a == "/wave/error" and "already finished" in x[1], 5)
    assert err[0] == "/wave/job/cancel" and f"job {running}" in err[1]
    s.send("/wave/job/cancel", 999)
    _, err = s.wait_for(lambda a, x: a == "/wave/error" and "no job 999" in x[1], 5)
    time.sleep(1.0)
    assert not [x for a, x in s.seen if a == "/wave/job" and x[0] == queued and x[2] == "running"]
    assert not list(s.sets.glob("*.sf2")) and not list((s.sets / ".jobs").glob("*"))
    # the server and its worker live on: a new job runs
    again = _job_id(s)
    s.wait_for(lambda a, x: a == "/wave/job" and x[0] == again and x[2] == "running", 60)
    s.send("/wave/job/cancel", again)
    s.wait_for(lambda a, x: a == "/wave/job" and x[0] == again and x[2] == "error", 60)
