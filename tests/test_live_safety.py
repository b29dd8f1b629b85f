"""Speaker safety: nothing a model outputs may hurt a performance.

Hostile processors (NaN once, inf, huge values, DC, raising) on a timbre slot; the output must stay
finite, under the hard ceiling, free of DC, and recover; the fault is reported.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from server.live.engine import CEILING, DryWet
from tests.test_live_engine import BLOCK, SR, db, f0_cents, make_server, osc, render


class Hostile:
    """A timbre Processor that passes its input through, except on the blocks it poisons."""

    latency_samples = 0

    def __init__(self, value: float, blocks: range) -> None:
        self.value, self.blocks, self.n = value, blocks, 0
        self.resets = 0

    def prepare(self, sample_rate, max_block, channels=2):
        pass

    def process(self, block):
        i, self.n = self.n, self.n + 1
        if i in self.blocks:
            out = block.copy()
            out[:, block.shape[1] // 3:] = self.value
            return out
        return block

    def reset(self):
        self.resets += 1


def install(server, ch: int, proc) -> None:
    server._publish(lambda s: replace(s, strips=tuple(
        replace(st, timbre=DryWet(proc), timbre_name="hostile") if st.channel == ch else st for st in s.strips)))


def clear(server, ch: int) -> None:
    server._publish(lambda s: replace(s, strips=tuple(
        replace(st, timbre=None, timbre_name="") if st.channel == ch else st for st in s.strips)))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_non_finite_model_output_never_reaches_the_speakers_and_never_latches(server, value):
    render(server, 0.1)
    install(server, 1, Hostile(value, range(5, 6)))
    osc(server, "/wave/note", 0, 69, 120)
    osc(server, "/wave/note", 1, 36, 60)  # C2: no partial near A4
    y = render(server, 1.0)
    assert np.isfinite(y).all()
    assert np.abs(y).max() <= CEILING + 1e-6
    # channel 0 plays on in tune after the fault
    assert abs(f0_cents(y[0, SR // 2: SR // 2 + 16384], 440.0)) < 10
    # the faulty model is bypassed and reported; the control side names the channel
    st = server.engine.stats
    assert st.nonfinite_blocks >= 1
    server._report_audio_errors()
    errors = [args for address, args in server.sent if address == "/wave/error"]
    assert errors and "channel 1" in errors[0][1] and "non-finite" in errors[0][1]
    # everything off: silence, no DC latch
    clear(server, 1)
    osc(server, "/wave/panic")
    osc(server, "/wave/note", 0, 69, 0)
    osc(server, "/wave/note", 1, 36, 0)
    render(server, 1.5)
    tail = render(server, 0.5)
    assert np.abs(tail).max() < 1e-3, np.abs(tail).max()


def test_huge_model_output_is_held_under_the_ceiling(server):
    install(server, 2, Hostile(1e6, range(0, 10_000)))
    osc(server, "/wave/note", 2, 60, 100)
    y = render(server, 0.5)
    assert np.isfinite(y).all()
    assert np.abs(y).max() <= CEILING + 1e-6


def test_dc_from_a_model_is_blocked_at_the_output(server):
    install(server, 2, Hostile(0.8, range(0, 10_000)))
    osc(server, "/wave/note", 2, 60, 1)  # barely audible: the output is the model's DC
    y = render(server, 3.0)
    late = y[:, 2 * SR:]
    assert abs(float(late.mean())) < 0.01, late.mean()


def _reverb_take(server, poison: bool) -> np.ndarray:
    osc(server, "/wave/fx/set", -1, "reverb", "room_size", 0.9)
    if poison:
        install(server, 1, Hostile(np.nan, range(3, 4)))
    osc(server, "/wave/note", 1, 60, 100)
    render(server, 0.5)
    if poison:
        clear(server, 1)
    osc(server, "/wave/note", 1, 60, 0)
    osc(server, "/wave/note", 0, 69, 100)
    return render(server, 1.0)


def test_after_a_fault_the_reverb_tail_and_notes_sound_as_without_it(server, tmp_path):
    """NaN into the master reverb would poison its state for good; after the fault the output is
    what a clean server plays (the faulty block went through dry)."""
    y = _reverb_take(server, poison=True)
    assert server.engine.stats.nonfinite_blocks == 1
    (tmp_path / "ref").mkdir()
    ref_server = make_server(tmp_path / "ref")
    try:
        ref = _reverb_take(ref_server, poison=False)
    finally:
        ref_server.shutdown()
    assert np.isfinite(y).all()
    assert db(y - ref) < db(ref) - 40, (db(y - ref), db(ref))


class Closable:
    latency_samples = 0

    def __init__(self) -> None:
        self.closed = False

    def prepare(self, *a):
        pass

    def process(self, block):
        return block

    def reset(self):
        pass

    def close(self):
        self.closed = True


def test_retired_objects_are_closed_only_after_the_callback_acknowledges(server):
    eng = server.engine
    old = Closable()
    install(server, 3, old)
    eng.process(256)
    server._started = True  # as if a driver ran the callback: nothing may be closed before it acks
    try:
        gone: list = []

        def edit(snap):
            gone.append(snap.strips[3].timbre)
            return replace(snap, strips=tuple(replace(st, timbre=None) if st.channel == 3 else st
                                              for st in snap.strips))

        server._publish(edit, gone)  # publishes, retires ``gone`` with the new graph, collects what it can
        assert len(gone) == 1 and gone[0] is not None  # the channel's wrapper around ``old``
        assert not old.closed and eng.retired_pending == 1  # the callback may still hold the old graph
        eng.process(256)  # one block with the new graph: the old one is let go
        server._collect()
        assert old.closed and eng.retired_pending == 0
    finally:
        server._started = False


def test_queued_set_loads_are_coalesced_per_channel(server, monkeypatch):
    """40 loads of all 16 channels queued at once must not build 640 synths (the OOM of the issue)."""
    made = []
    real = server.graph.new_source

    def counting(name, ch):
        made.append((name, ch))
        return real(name, ch)

    monkeypatch.setattr(server.graph, "new_source", counting)
    gate = __import__("threading").Event()
    server._loader.submit(gate.wait)  # hold the loader as a slow load would
    for _ in range(40):
        assert osc(server, "/wave/set/load", "gm", -1) == []
    gate.set()
    server._loader.submit(lambda: None).result(timeout=60)
    assert len(made) == 16, len(made)
    superseded = [a for address, a in server.sent if address == "/wave/error" and "replaced" in a[1]]
    assert len(superseded) == 39
    assert [a for address, a in server.sent if address == "/wave/set/loaded"] == [["gm", -1]]
    # the replaced samplers ring out and are then reaped and closed
    render(server, 0.2)
    assert server.reap_retired() == 16
    assert server.engine.retired_pending == 0


def test_a_set_load_beyond_the_memory_budget_is_refused(server):
    server.memory_budget = server._loaded_bytes() + 1
    (address, args), = osc(server, "/wave/set/load", "gm", -1)
    assert address == "/wave/error" and "budget" in args[1] and "--memory-budget" in args[1]


def _load_builtin(server, ch: int = 0) -> None:
    import shutil

    from tests.test_live_engine import BUILTIN, wait_loader

    shutil.copyfile(BUILTIN, server.folders.models / "keyboard.ts")
    assert osc(server, "/wave/timbre/model", ch, "keyboard") == []
    wait_loader(server)


def test_a_latent_index_beyond_the_model_is_refused_and_the_session_still_loads(server, tmp_path):
    _load_builtin(server)
    dims = server.engine.snapshot.strips[0].timbre.model.model.latent_dim
    assert dims > 0
    (address, args), = osc(server, "/wave/timbre/bias", 0, dims, 0.5)
    assert address == "/wave/error" and f"has {dims} latent dimensions" in args[1]
    assert osc(server, "/wave/timbre/scale", 0, dims - 1, 2.0) == []
    # a session written with more dimensions than the model has (an older model, a hand edit) loads
    server.session.timbre[0]["bias"] = [0.1] * (dims + 5)
    server._dirty = True
    server.flush_session()
    restored = make_server(tmp_path)
    try:
        t = restored.engine.snapshot.strips[0].timbre
        assert t is not None and len(t.model.controls.bias) == dims
    finally:
        restored.shutdown()


def test_a_model_that_raises_is_muted_reported_and_its_worker_lives(server):
    _load_builtin(server)
    slot = server.engine.snapshot.strips[0].timbre
    stream = slot.model
    runner = stream._runners[0]
    calls = {"n": 0}

    def exploding(real):  # fault injection: the model raises from its 3rd chunk on
        def run(*a, **k):
            calls["n"] += 1
            if calls["n"] >= 3:
                raise RuntimeError("model exploded")
            return real(*a, **k)
        return run

    for name in ("run_block", "run_tensor"):
        setattr(runner, name, exploding(getattr(runner, name)))
    runner.bound_method = lambda controls: None  # no shortcut past the wrappers
    stream.set_controls(dry_wet=1.0)  # a new controls object: the worker binds again
    osc(server, "/wave/note", 0, 60, 100)
    y = render(server, 1.0)
    assert np.isfinite(y).all()
    assert stream._thread.is_alive() and stream.errors >= 1 and "model exploded" in stream.error
    assert slot.faulted
    server._report_audio_errors()
    errors = [a[1] for address, a in server.sent if address == "/wave/error"]
    assert any("channel 0" in e and "model exploded" in e for e in errors), errors
    # bypassed: the channel plays dry, in tune
    osc(server, "/wave/note", 0, 60, 0)
    osc(server, "/wave/note", 0, 69, 120)
    y = render(server, 0.5)
    assert db(y) > -50 and abs(f0_cents(y[0, 4800:4800 + 16384], 440.0)) < 10


def test_wave_make_reports_progress_per_stage_as_a_protocol(monkeypatch, capsys):
    from server.live.jobs import parse_progress
    from server.make.pipeline import STAGES, _print_progress

    monkeypatch.setenv("WAVE_PROGRESS", "json")
    for i, stage in enumerate(STAGES, 1):
        _print_progress(i, stage, "running", None)
        _print_progress(i, stage, "done", 0.5)
    lines = capsys.readouterr().err.splitlines()
    fractions = [p[0] for p in map(parse_progress, lines) if p is not None]
    assert len(fractions) == 2 * len(STAGES)
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert parse_progress("[1/8] scene ... 50%") is None and parse_progress("@wave-progress {bad") is None


def test_generation_jobs_are_capped_and_names_checked(server):
    import sys

    from server.live.jobs import MAX_JOBS_QUEUED, MAX_JOBS_RUNNING

    (server.folders.images / "a.jpg").write_bytes(b"\xff\xd8\xff" + bytes(32))
    server.jobs.generate_command = [sys.executable, "-c", "import time; time.sleep(30)"]
    (address, args), = osc(server, "/wave/generate", "a.jpg", "-rf")
    assert address == "/wave/error" and "starting with a letter or digit" in args[1]
    replies = [osc(server, "/wave/generate", "a.jpg", f"s{i}") for i in range(MAX_JOBS_RUNNING + MAX_JOBS_QUEUED + 2)]
    accepted = [r for r in replies if r[0][0] == "/wave/job"]
    refused = [r for r in replies if r[0][0] == "/wave/error"]
    assert len(accepted) == MAX_JOBS_RUNNING + MAX_JOBS_QUEUED and len(refused) == 2
    assert "limit" in refused[0][0][1][1]
    import time

    time.sleep(0.5)
    running = [j for j in server.jobs.jobs.values() if j.state == "running"]
    assert len(running) == MAX_JOBS_RUNNING


def test_a_recording_never_overwrites_unless_asked(server):
    import os
    import stat

    take = server.folders.recordings
    take.mkdir(exist_ok=True)
    (take / "take1.wav").write_bytes(b"yesterday")
    (address, args), = osc(server, "/wave/record/start", "take1.wav")
    assert address == "/wave/error" and "exists" in args[1]
    assert (take / "take1.wav").read_bytes() == b"yesterday"
    assert osc(server, "/wave/record/start", "take2.wav") == [("/wave/ok", ["/wave/record/start"])]
    render(server, 0.1)
    osc(server, "/wave/record/stop")
    assert stat.S_IMODE(os.stat(take / "take2.wav").st_mode) & 0o044  # readable like any other file
    assert osc(server, "/wave/record/start", "take1.wav", 1)[0][0] == "/wave/ok"
    render(server, 0.1)
    osc(server, "/wave/record/stop")
    assert (take / "take1.wav").read_bytes()[:4] == b"RIFF"


class Stalling(Closable):
    """A timbre slot whose process() stalls the callback for ``stall`` seconds once, and that fails
    loudly if it is used after being closed (what freeing FluidSynth under a callback would do)."""

    def __init__(self, stall: float) -> None:
        super().__init__()
        self.stall, self.used_after_close = stall, False
        import threading

        self.entered = threading.Event()

    def process(self, block):
        if self.closed:
            self.used_after_close = True
        if self.stall:
            self.entered.set()
            import time

            time.sleep(self.stall)
            self.stall = 0.0
        if self.closed:
            self.used_after_close = True
        return block


def test_a_stalled_callback_delays_the_free_of_what_it_holds(server):
    """The callback stalls for 10 blocks inside the old model while the control side swaps it out and
    tries to free it: it is closed only after the callback has finished a block with the new graph."""
    import threading

    eng = server.engine
    old = Stalling(stall=10 * BLOCK / SR)
    install(server, 4, old)
    server._started = True
    try:
        t = threading.Thread(target=lambda: [eng.process(BLOCK) for _ in range(3)])
        t.start()
        assert old.entered.wait(5)
        server._set_timbre_now(4, "none")  # swap while the callback is inside the old model
        for _ in range(20):
            server._collect()
            assert not old.closed or not t.is_alive()
        t.join(10)
        server._collect()
        assert old.closed and not old.used_after_close
    finally:
        server._started = False


class PureDelay:
    """A timbre slot that only delays by ``latency_samples`` (as a model's look-ahead would)."""

    def __init__(self, latency: int) -> None:
        self.latency_samples = latency

    def prepare(self, sample_rate, max_block, channels=2):
        self._h = np.zeros((channels, self.latency_samples + max_block), dtype=np.float32)

    def process(self, block):
        n, lat = block.shape[1], self.latency_samples
        self._h[:, lat : lat + n] = block
        out = self._h[:, :n].copy()
        self._h[:, :lat] = self._h[:, n : n + lat]
        return out

    def reset(self):
        self._h[:] = 0


def _onset_of(server, ch: int) -> int:
    render(server, 0.5)  # the last note has rung out
    ref = server.engine.watch_onset()
    osc(server, "/wave/note", ch, 76, 127)  # a wood block on... any program: a sharp attack
    render(server, 0.3)
    osc(server, "/wave/note", ch, 76, 0)
    return server.engine.first_sound_frame - ref


def test_channels_with_and_without_a_model_stay_sample_aligned(server):
    for ch in (0, 1):
        osc(server, "/wave/program", ch, 115)  # woodblock
        _onset_of(server, ch)  # a synth's first note starts a few frames later than the next ones
    before = _onset_of(server, 0)
    assert before == _onset_of(server, 1)
    slot = DryWet(PureDelay(1000))
    slot.prepare(SR, BLOCK, 2)
    server._publish(lambda s: replace(s, strips=tuple(
        replace(st, timbre=slot, timbre_name="delay") if st.channel == 1 else st for st in s.strips)))
    assert server.engine.latency_samples == 1000
    render(server, 0.2)  # the re-alignment cross-fade is done
    plain, modelled = _onset_of(server, 0), _onset_of(server, 1)
    assert plain == modelled, (plain, modelled)
    assert plain - before == 1000  # the channel without a model now waits for the one with it
    # the model removed: back to no delay, both channels again on the same sample
    clear(server, 1)
    render(server, 0.2)
    assert server.engine.latency_samples == 0
    assert _onset_of(server, 0) == before == _onset_of(server, 1)


def test_a_latency_change_re_aligns_without_a_click(server):
    osc(server, "/wave/program", 0, 19)  # organ: a steady tone
    osc(server, "/wave/note", 0, 57, 100)
    before = render(server, 0.5)
    slot = DryWet(PureDelay(777))
    slot.prepare(SR, BLOCK, 2)
    server._publish(lambda s: replace(s, strips=tuple(
        replace(st, timbre=slot, timbre_name="delay") if st.channel == 5 else st for st in s.strips)))
    after = render(server, 0.5)  # channel 0 moves from 0 to 777 frames of delay here
    y = np.concatenate([before[0], after[0]])
    step = np.abs(np.diff(y))
    steady = step[: before.shape[1] - 1].max()
    assert step.max() <= 2.0 * steady, (step.max(), steady)
