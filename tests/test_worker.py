"""The persistent job worker: jobs run one at a time in one long-lived process with one model cache (a model
loads once across jobs), a crashing job is reported and the next job gets a fresh worker, a cancel stops the
job (cooperatively, or by ending a worker that does not answer), idle workers release their models.

The jobs' targets are in tests/worker_jobs.py, which the worker process imports."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from server.live.worker import JobWorker
from tests.helpers import models as _models

published_audioldm, published_clap = _models.published_audioldm, _models.published_clap  # fixtures

HERE = Path(__file__).resolve().parent


T = "worker_jobs:"  # tests/worker_jobs.py: light, so a worker starts in a fraction of a second


@pytest.fixture
def worker():
    w = JobWorker(env={"PYTHONPATH": str(HERE)}, idle_release=60, cancel_grace=2, start_timeout=60)
    yield w
    w.close()


def test_a_model_loads_once_across_jobs_and_progress_is_reported(worker):
    seen = []
    a = worker.run(["m1"], target=T + "job_load", on_progress=lambda f, what, ev: seen.append((f, what)))
    b = worker.run(["m1"], target=T + "job_load")
    c = worker.run(["m2"], target=T + "job_load")
    assert (a.state, a.rc, a.loads) == ("done", 0, 1)
    assert (b.state, b.loads) == ("done", 0)  # the second job found the model in the worker's cache
    assert c.loads == 1  # another model is another load
    assert a.pid == b.pid == c.pid and worker.starts == 1
    assert seen == [(0.25, "loading"), (0.75, "running")]
    assert "this line goes to stderr, not into the protocol" in a.tail


def test_a_crashing_job_is_reported_and_the_next_job_gets_a_new_worker(worker):
    first = worker.run(["m"], target=T + "job_load")
    crash = worker.run([], target=T + "job_crash")
    assert crash.state == "crashed" and crash.pid == first.pid and not crash.ok
    assert "the job worker died (killed by signal SIGABRT)" in crash.tail[0]
    assert any("about to crash" in t for t in crash.tail)
    after = worker.run(["m"], target=T + "job_load")
    assert after.state == "done" and after.pid != first.pid and worker.starts == 2
    assert after.loads == 1  # a new worker: its cache started empty


def test_a_failing_job_is_an_error_and_the_worker_lives_on(worker):
    bad = worker.run([], target=T + "job_fail")
    assert bad.state == "error" and bad.rc == 1 and bad.tail[-1] == "RuntimeError: boom in the job"
    usage = worker.run(["make", "--no-such-option"])  # `wave` itself: argparse exits 2
    assert usage.state == "error" and usage.rc == 2
    ok = worker.run(["m"], target=T + "job_load")
    assert ok.state == "done" and ok.pid == bad.pid == usage.pid and worker.starts == 1


def test_a_job_environment_is_its_own(worker):
    r = worker.run([], target=T + "job_env", env={"WAVE_DEVICE": "cpu"})
    assert r.state == "done" and "WAVE_DEVICE=cpu" in r.tail
    r2 = worker.run([], target=T + "job_env")
    assert "WAVE_DEVICE=None" in r2.tail  # the first job's env and its own changes did not stay


def _run_in_thread(worker, target):
    started = threading.Event()
    out = {}

    def go():
        out["r"] = worker.run([], target=target, on_progress=lambda *a: started.set())

    t = threading.Thread(target=go)
    t.start()
    assert started.wait(30)
    return t, out


def test_cancel_stops_the_job_and_keeps_the_worker_and_its_models(worker):
    loaded = worker.run(["m"], target=T + "job_load")
    t, out = _run_in_thread(worker, T + "job_sleep")
    t0 = time.monotonic()
    assert worker.cancel()
    t.join(10)
    r = out["r"]
    assert (r.state, r.rc) == ("cancelled", 130) and time.monotonic() - t0 < 2
    again = worker.run(["m"], target=T + "job_load")
    assert again.pid == loaded.pid and again.loads == 0  # same worker, model still loaded
    assert not worker.cancel()  # nothing running


def test_a_job_that_ignores_its_cancel_is_ended_with_its_worker(worker):
    first = worker.run(["m"], target=T + "job_load")
    t, out = _run_in_thread(worker, T + "job_stuck")
    time.sleep(0.5)  # past the progress line, into the C call
    t0 = time.monotonic()
    worker.cancel()
    t.join(15)
    r = out["r"]
    assert r.state == "cancelled" and 1.5 < time.monotonic() - t0 < 10  # after the 2 s grace
    after = worker.run(["m"], target=T + "job_load")
    assert after.state == "done" and after.pid != first.pid


def test_an_idle_worker_releases_its_models():
    w = JobWorker(env={"PYTHONPATH": str(HERE)}, idle_release=0.5, start_timeout=60)
    try:
        assert w.run(["m"], target=T + "job_load").loads == 1
        assert w.run(["m"], target=T + "job_load").loads == 0
        time.sleep(1.5)
        r = w.run(["m"], target=T + "job_load")
        assert r.loads == 1 and w.starts == 1  # released by the same worker, loaded again
        assert w.release()  # and on request
        time.sleep(0.3)
        assert w.run(["m"], target=T + "job_load").loads == 1
    finally:
        w.close()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="> 0 seconds"):
        JobWorker(idle_release=0)


@pytest.fixture
def sounds_scene(tmp_path):
    from server.scene import SceneSpec

    scene = tmp_path / "scene.json"
    SceneSpec.from_data({"scene_description": "a farm", "mood_description": "calm", "sound_sources": [
        {"name": n, "material": "animal",
         "variants": [{"play_method": "calling", "timbre": ["low"], "mapping_to_music_instrument": None}]}
        for n in ("cow", "sheep", "goat")]}).save(scene)
    return scene


@pytest.mark.slow
def test_two_wave_sounds_jobs_share_one_loaded_pipeline(worker, sounds_scene, published_audioldm, published_clap,
                                                       tmp_path):
    """The real thing: two `wave sounds --backend audioldm` jobs (folders laid out like the published AudioLDM
    and CLAP, random weights) in one worker: the pipeline and its CLAP ranker load in the first job only."""
    argv = ["sounds", str(sounds_scene), "--backend", "audioldm", "--sound-model", str(published_audioldm),
            "--clap-model", str(published_clap), "--device", "cpu", "--steps", "2", "--candidates", "2",
            "--seconds", "0.2", "--sample-rate", "16000"]
    a = worker.run([*argv, "-o", str(tmp_path / "a")])
    b = worker.run([*argv, "-o", str(tmp_path / "b"), "--seed", "1"])
    assert (a.state, b.state) == ("done", "done"), (a.tail, b.tail)
    assert a.loads == 2 and b.loads == 0 and a.pid == b.pid  # AudioLDM + CLAP, once
    for d in ("a", "b"):
        m = json.loads((tmp_path / d / "manifest.json").read_text())
        assert len(m["sources"]) == 3 and m["model"]["id"] == str(published_audioldm)


@pytest.mark.slow
def test_the_servers_make_jobs_run_in_one_worker(tmp_path):
    """JobQueue (the server's jobs) runs `wave make` in its persistent worker: a failing job is reported with
    its error and the next job runs in the same worker process, its set published atomically."""
    from server.live.jobs import JobQueue
    from server.make.cli import BUNDLED_PHOTO

    sets = tmp_path / "sets"
    sets.mkdir()
    sent = []
    q = JobQueue(sets, lambda dest, address, args: sent.append((address, list(args))))
    try:
        broken = tmp_path / "broken.png"
        broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
        bad = q.submit(broken, "broken", None)
        good = q.submit(BUNDLED_PHOTO, "coffee", None)
        t0 = time.monotonic()
        while not any(a == "/wave/job" and args[0] == good.id and args[2] in ("done", "error") for a, args in sent):
            assert time.monotonic() - t0 < 300, sent
            time.sleep(0.2)
        assert bad.state == "error" and bad.message.startswith("exit 1:") and "broken.png" in bad.message
        assert good.state == "done", good.message
        assert (sets / "coffee.sf2").is_file() and not (sets / ".jobs" / "coffee-2").exists()
        assert q.worker is not None and q.worker.starts == 1  # both jobs in one worker process
        progress = [args[3] for address, args in sent if address == "/wave/job" and args[0] == good.id]
        assert progress == sorted(progress) and 0 < progress[1] < 1 and progress[-1] == 1.0
    finally:
        q.close()
    assert q.worker.proc.poll() is not None  # closing the queue ends the worker


@pytest.mark.slow
def test_the_servers_jobs_can_be_cancelled(tmp_path):
    """JobQueue.cancel: a queued job never starts; the running `wave make` stops in its worker, which lives on;
    neither publishes a set or leaves its work folder."""
    from server.live.jobs import JobQueue
    from server.make.cli import BUNDLED_PHOTO

    sets = tmp_path / "sets"
    sets.mkdir()
    sent = []
    q = JobQueue(sets, lambda dest, address, args: sent.append((address, list(args))))
    try:
        running = q.submit(BUNDLED_PHOTO, "first", None)
        queued = q.submit(BUNDLED_PHOTO, "second", None)
        t0 = time.monotonic()
        while running.progress == 0.0:  # its first stage has reported: it runs in the worker
            assert time.monotonic() - t0 < 120, sent
            time.sleep(0.05)
        assert q.cancel(queued.id) and queued.state == "error" and "cancelled" in queued.message
        t1 = time.monotonic()
        assert q.cancel(running.id)
        while not any(a == "/wave/job" and args[0] == running.id and args[2] == "error" for a, args in sent):
            assert time.monotonic() - t1 < 30, sent
            time.sleep(0.05)
        assert running.message == "cancelled" and time.monotonic() - t1 < 15
        assert not q.cancel(running.id)  # finished
        assert not list(sets.glob("*.sf2")) and not list((sets / ".jobs").glob("*"))
        assert q.worker.starts == 1 and q.worker.alive()  # the worker survived the cancel
        time.sleep(0.5)
        assert queued.state == "error"  # and the queued one never ran
    finally:
        q.close()
