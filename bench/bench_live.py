"""Live engine benchmark: callback CPU time per block as a fraction of the block's duration, and OSC
round-trip time, as a Markdown section of docs/benchmarks.md.

    .venv/bin/python -m bench live --write

The engine is driven from this thread exactly as a driver's callback would drive it (same code).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.live.drivers import PacedDriver
from server.live.effects import EFFECTS
from server.live.oscproto import encode
from server.live.server import Folders, LiveServer
from server.midi.song import CONTROL, NOTE_ON, PROGRAM, Event

SR = 48000


def make(block: int, tmp: Path) -> LiveServer:
    f = Folders(sets=tmp, models=tmp, midi=tmp, recordings=tmp, images=tmp)
    return LiveServer(PacedDriver(), sample_rate=SR, block=block, folders=f, session_path=None)


BUILTIN = Path(__file__).resolve().parent.parent / "instruments" / "builtin" / "keyboard.ts"


def measure(block: int, voices: int, fx: str, seconds: float, tmp: Path, timbre: bool = False) -> dict:
    s = make(block, tmp)
    try:
        if timbre:
            shutil.copyfile(BUILTIN, tmp / "keyboard.ts")
            s._set_timbre_now(0, "keyboard")
        eng = s.engine
        chans = [c for c in range(16) if c != 9]
        for c in chans:
            eng.send(Event(0.0, PROGRAM, c, 19))  # church organ: sustains as long as the key is held
            if fx == "6 fx per channel":
                for spec in EFFECTS:
                    eng.snapshot.strips[c].fx.post_enable(spec.name, True)
        if fx != "none":
            for spec in EFFECTS:
                eng.snapshot.master_fx.post_enable(spec.name, True)
        for i in range(voices):
            c = chans[i % len(chans)]
            eng.send(Event(0.0, NOTE_ON, c, 36 + (i * 7) % 60, 90))
        for _ in range(int(0.3 * SR / block)):  # warm up: attacks, first plugin calls
            eng.process(block)
        eng.stats.loads.clear()
        if timbre:  # the warm-up ran faster than real time, so the worker fell behind: let it catch
            time.sleep(0.1)  # up, then count from here
            st0 = eng.snapshot.strips[0].timbre.model.stats()
        n = int(seconds * SR / block)
        loads = []
        start = time.monotonic()
        for i in range(n):
            t0 = time.perf_counter()
            eng.process(block)
            loads.append((time.perf_counter() - t0) * SR / block)
            if timbre:  # paced like a sound card: the model's worker thread needs real time
                delay = start + (i + 1) * block / SR - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        r = {"block": block, "voices": voices, "fx": fx, "fluid_voices": eng.active_voices(), "timbre": "",
             "mean": statistics.fmean(loads), "p99": float(np.percentile(loads, 99)), "max": max(loads)}
        if timbre:
            st = eng.snapshot.strips[0].timbre.model.stats()
            r["timbre"] = (f"keyboard.ts on ch 1: worker {st['real_time_factor']:.2f}× real time, "
                           f"{st['late_blocks'] - st0['late_blocks']}/{st['blocks'] - st0['blocks']} late, "
                           f"latency {st['latency_samples']}")
        return r
    finally:
        for c in range(16):
            s.engine.send(Event(0.0, CONTROL, c, 123, 0))
        s.shutdown()


def osc_rtt(count: int, tmp: Path) -> dict:
    s = make(512, tmp)
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(s.serve("127.0.0.1", 0, duration=count * 0.01 + 30, ready=lambda _s: ready.set()))

    th = threading.Thread(target=run, daemon=True)
    th.start()
    ready.wait(60)
    port = s.osc_address[1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    ping = encode("/wave/ping", ["x"])
    rtts, lost = [], 0
    for _ in range(count):
        t0 = time.perf_counter()
        sock.sendto(ping, ("127.0.0.1", port))
        try:
            sock.recv(1024)
            rtts.append((time.perf_counter() - t0) * 1000)
        except TimeoutError:
            lost += 1
        time.sleep(0.002)
    s.request_stop()
    th.join(10)
    return {"count": count, "lost": lost, "median_ms": statistics.median(rtts),
            "p99_ms": float(np.percentile(rtts, 99)), "max_ms": max(rtts)}


def contention(tmp: Path, block: int = 1024, blocks: int = 600) -> dict:
    """The callback beside one Python thread that never stops handling OSC messages (the worst case
    for GIL hand-offs), paced in real time: wall time per block, and blocks longer than their period."""
    s = make(block, tmp)
    s.notify = lambda *a: None
    eng = s.engine
    stop = threading.Event()

    def busy() -> None:
        fx = encode("/wave/fx/set", [2, "lowpass", "cutoff_frequency_hz", 5000.0])
        ping = encode("/wave/ping", ["x"])
        while not stop.is_set():
            s.dispatcher.handle_datagram(fx, ("127.0.0.1", 1))
            s.dispatcher.handle_datagram(ping, ("127.0.0.1", 1))

    for k in range(40, 80, 3):
        eng.send(Event(0.0, NOTE_ON, 3, k, 90))
    th = threading.Thread(target=busy, daemon=True)
    th.start()
    period = block / SR
    times = []
    t_next = time.monotonic()
    try:
        for _ in range(blocks):
            t0 = time.perf_counter()
            eng.process(block)
            times.append(time.perf_counter() - t0)
            t_next += period
            d = t_next - time.monotonic()
            if d > 0:
                time.sleep(d)
    finally:
        stop.set()
        th.join(5)
        s.shutdown()
    ms = np.array(times) * 1000
    return {"block": block, "blocks": blocks, "period_ms": period * 1000, "p50_ms": float(np.median(ms)),
            "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max()), "late": int((ms > period * 1000).sum())}


def fluidsynth_cli_load(voices: int, tmp: Path, seconds: float = 20.0) -> float:
    """The peer: CPU time of the fluidsynth CLI rendering the same held notes (same font, programs, channels,
    48 kHz, its default reverb and chorus, as the engine's samplers have) per second of audio, i.e. its load
    as a fraction of real time. Child CPU time (user + system) of a ``seconds`` render, less that of a
    near-empty render (start-up, soundfont load)."""
    import resource
    import subprocess

    import mido

    from server.paths import default_soundfont

    chans = [c for c in range(16) if c != 9]

    def cpu_of(length: float) -> float:
        mf = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
        tr = mido.MidiTrack()
        mf.tracks.append(tr)
        tr += [mido.Message("program_change", channel=c, program=19) for c in chans]
        notes = [(chans[i % len(chans)], 36 + (i * 7) % 60) for i in range(voices)]
        tr += [mido.Message("note_on", channel=c, note=k, velocity=90) for c, k in notes]
        tr.append(mido.MetaMessage("text", text="end", time=round(length * 960)))
        tr += [mido.Message("note_off", channel=c, note=k, velocity=0) for c, k in notes]
        mid = tmp / f"peer-{voices}.mid"
        mf.save(mid)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["fluidsynth", "-ni", "-q", "-F", str(tmp / "peer.wav"), "-r", str(SR),
                        "-o", "audio.file.format=float", str(default_soundfont()), str(mid)],
                       check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    return max(0.0, min(cpu_of(seconds) for _ in range(2)) - min(cpu_of(0.05) for _ in range(2))) / seconds


def _setup() -> Path:
    """Switch interval as `wave serve` sets it (the audio thread gets the GIL within 1 ms); scratch folder."""
    sys.setswitchinterval(0.001)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "wave-bench-live"
    tmp.mkdir(exist_ok=True)
    return tmp


def run(seconds: float = 3.0) -> str:
    """Measure every configuration for ``seconds`` of audio; return the Markdown section."""
    tmp = _setup()
    rows = []
    for block in (256, 512, 1024):
        for voices in (1, 16, 64):
            for fx in ("none", "6 fx master", "6 fx per channel"):
                r = measure(block, voices, fx, seconds, tmp)
                print(r, file=sys.stderr)
                rows.append(r)
        if BUILTIN.is_file():
            for voices in (1, 16, 64):
                r = measure(block, voices, "6 fx master", seconds, tmp, timbre=True)
                print(r, file=sys.stderr)
                rows.append(r)
    peer = {}
    if shutil.which("fluidsynth"):
        for voices in (1, 16, 64):
            peer[voices] = fluidsynth_cli_load(voices, tmp)
            print({"fluidsynth CLI voices": voices, "load": peer[voices]}, file=sys.stderr)
    rtt = osc_rtt(500, tmp)
    print(rtt, file=sys.stderr)
    busy = contention(tmp)
    print(busy, file=sys.stderr)
    lines = [
        "## Live: engine callback load and OSC round trip",
        "",
        f"`bench/bench_live.py` on {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, {SR} Hz, TimGM6mb General MIDI font, church organ notes held. "
        "Callback load = time spent in `Engine.process` / duration of the block (1.0 = late). "
        "`6 fx` = compressor, distortion, low-pass, chorus, delay, reverb (pedalboard) on the master, or "
        "on each of the 15 melodic channel strips as well. `fluid voices` is FluidSynth's own count "
        "(a stereo sample uses two). With a timbre model (the builtin `keyboard.ts` on channel 1; the notes are "
        "spread over the 15 melodic channels, wet 1.0) the engine is paced in real time, because the model "
        "runs on its own worker thread (one torch thread): the callback only hands blocks over, so "
        "the model's own cost shows as the worker's real-time factor. "
        f"Machine load average while measuring: {os.getloadavg()[0]:.1f} (other jobs), so p99/max "
        "include preemption by other processes.",
        "",
        "The peer: the `fluidsynth` CLI rendering the same held notes to a file (same font, programs and "
        "channels, 48 kHz, its default reverb and chorus, which each channel's sampler in the engine has too), "
        "its CPU time per second of audio (less its start-up); `÷ CLI` = the engine's mean load over it, "
        "in rows without effects or a timbre model (the engine's own cost over plain FluidSynth: its "
        "per-channel samplers, block driving, mixing and master limiter). It is largest with 16 notes: one "
        "per channel keeps 15 samplers busy, each with its own reverb and chorus (what lets every channel "
        "have its own timbre model and effects), where the CLI runs one synth; with 1 note only one "
        "sampler runs (silent ones are skipped), with 64 the voices dominate.",
        "",
        "| block | notes | effects | timbre model | fluid voices | mean load | p99 load | max load "
        "| fluidsynth CLI load | ÷ CLI |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cli = peer.get(r["voices"]) if r["fx"] == "none" and not r["timbre"] else None
        vs = f"{cli:.3f} | {r['mean'] / cli:.2f}" if cli else "- | -"
        lines.append(f"| {r['block']} | {r['voices']} | {r['fx']} | {r['timbre'] or '-'} | {r['fluid_voices']} | "
                     f"{r['mean']:.3f} | {r['p99']:.3f} | {r['max']:.3f} | {vs} |")
    lines += ["", f"OSC round trip (`/wave/ping` → `/wave/pong`, loopback UDP, audio running, {rtt['count']} "
              f"pings): median {rtt['median_ms']:.3f} ms, p99 {rtt['p99_ms']:.3f} ms, max {rtt['max_ms']:.3f} ms, "
              f"{rtt['lost']} lost.", "",
              f"GIL contention (`contention()`: 16 strips, 14 notes held, one Python thread handling OSC "
              f"messages nonstop beside the callback, {busy['blocks']} blocks of {busy['block']} frames = "
              f"{busy['period_ms']:.1f} ms, paced in real time): callback wall time median {busy['p50_ms']:.2f} ms, "
              f"p99 {busy['p99_ms']:.2f} ms, max {busy['max_ms']:.2f} ms; {busy['late']} blocks late.", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3.0, help="audio seconds per configuration")
    ap.add_argument("--contention", action="store_true", help="only the GIL contention measurement")
    args = ap.parse_args()
    if args.contention:
        print(contention(_setup()))
        return 0
    print(run(args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
