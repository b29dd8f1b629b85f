"""Plugin host benchmark: the LV2 host's own time per block around a plugin (total minus the plugin's
run), the live engine's callback load with 16 channels x 2 plugins against the 25 % budget, and, with
WAVE_TEST_VST3=/path/to/plugin.vst3, a VST3 slot's time per block against pedalboard's bare call.

    .venv/bin/python -m bench plugins [--write]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SR = 48000
BALANCE = "http://gareus.org/oss/lv2/balance"
DARC = "http://gareus.org/oss/lv2/darc#stereo"
NODELAY = "http://gareus.org/oss/lv2/nodelay"  # mono: two instances


def host_overhead(uri: str, block: int, reps: int = 2000) -> tuple[float, float]:
    """(median µs per ``process()`` call, median µs spent in the plugin's own ``run`` calls within it)."""
    from server.plugins.lv2 import LV2Plugin

    p = LV2Plugin(uri)
    p.prepare(SR, block, 2)
    x = (np.random.default_rng(0).standard_normal((2, block)) * 0.1).astype(np.float32)
    acc = [0.0]
    for inst in p._insts:
        orig = inst._run

        def timed(handle, n, orig=orig):
            t = time.perf_counter()
            orig(handle, n)
            acc[0] += time.perf_counter() - t

        inst._run = timed
    totals, inner = [], []
    for _ in range(reps):
        acc[0] = 0.0
        t = time.perf_counter()
        p.process(x)
        totals.append(time.perf_counter() - t)
        inner.append(acc[0])
    p.close()
    return statistics.median(totals) * 1e6, statistics.median(inner) * 1e6


def vst3_times(path: str, block: int, reps: int = 2000) -> tuple[float, float]:
    """(median µs per ``ExternalPlugin.process`` call, median µs per bare pedalboard ``process`` call of a
    second instance of the same plugin, both on the same audio)."""
    import pedalboard

    from server.plugins.vst3 import ExternalPlugin, on_plugin_thread

    p = ExternalPlugin(path)
    p.prepare(SR, block, 2)
    bare = on_plugin_thread(pedalboard.load_plugin, path)
    on_plugin_thread(lambda: bare.process(np.zeros((2, block), np.float32), SR, block, reset=True))
    x = (np.random.default_rng(0).standard_normal((2, block)) * 0.1).astype(np.float32)
    slot, raw = [], []
    for i in range(reps):
        for which in ((0, 1) if i % 2 else (1, 0)):  # alternate which runs first (cache effects)
            t = time.perf_counter()
            if which == 0:
                p.process(x)
                slot.append(time.perf_counter() - t)
            else:
                bare.process(x, SR, block, reset=False)
                raw.append(time.perf_counter() - t)
    p.close()
    return statistics.median(slot) * 1e6, statistics.median(raw) * 1e6


def engine_load(block: int, plugins: bool, seconds: float = 4.0) -> float:
    from server.live.drivers import PacedDriver
    from server.live.graph import with_slots
    from server.live.server import Folders, LiveServer
    from server.midi.song import NOTE_ON, PROGRAM, Event

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        s = LiveServer(PacedDriver(), sample_rate=SR, block=block,
                       folders=Folders(sets=t, models=t, midi=t, recordings=t, images=t, plugins=t), session_path=None)
        try:
            if plugins:
                def edit(snap):
                    for ch in range(16):
                        slots = []
                        for uri in (DARC, BALANCE):
                            p = s.graph.new_plugin(uri)
                            p.prepare(SR, block, 2)
                            slots.append(p)
                        snap = with_slots(snap, ch, slots)
                    return snap

                s._publish(edit)
            eng = s.engine
            for c in range(16):
                eng.send(Event(0.0, PROGRAM, c, 19))
                eng.send(Event(0.0, NOTE_ON, c, 48 + c, 90))
            for _ in range(20):
                eng.process(block)
            eng.stats.loads.clear()
            loads = []
            for _ in range(int(seconds * SR / block)):
                eng.process(block)
                loads.append(eng.stats.last_load)
            return float(np.mean(loads))
        finally:
            s.shutdown()


def run() -> str:
    lines = ["## Plugins: LV2 host overhead and 16 channels x 2 plugins", "",
             f"`python -m bench plugins` on {platform.machine()}, {os.cpu_count()} cores (shared), x42-plugins "
             "(Debian). Host overhead = median time of `LV2Plugin.process` minus the median time of the plugin's "
             "own `run` calls (copying the block into the connected buffers, applying posted parameters, ctypes "
             "calls).", "",
             "| plugin | block | process µs | plugin run µs | host overhead µs | overhead % of block |",
             "|---|---|---|---|---|---|"]
    for uri, label in ((BALANCE, "x42 balance (stereo)"), (DARC, "x42 darc (stereo)"),
                       (NODELAY, "x42 nodelay (mono: 2 instances)")):
        for block in (256, 512, 1024):
            total, plug = host_overhead(uri, block)
            over = max(total - plug, 0.0)
            lines.append(f"| {label} | {block} | {total:.1f} | {plug:.1f} | {over:.1f} | "
                         f"{100 * over * 1e-6 * SR / block:.2f} |")
    lines += ["", "Live engine callback load (mean fraction of the block's duration; 16 channels each "
              "holding an organ note):", "", "| block | no plugins | 16 x (darc + balance) | budget |",
              "|---|---|---|---|"]
    for block in (256, 512, 1024):
        a, b = engine_load(block, False), engine_load(block, True)
        lines.append(f"| {block} | {100 * a:.1f} % | {100 * b:.1f} % | 25 % |")
    vst3 = os.environ.get("WAVE_TEST_VST3")
    if vst3:
        lines += ["", f"VST3 slot (`{Path(vst3).name}` through pedalboard): median µs per block of the slot's "
                  "`process` and of a bare `pedalboard` call on a second instance; the difference is WAVE's own "
                  "work (posted parameters, the length check).", "",
                  "| block | slot µs | bare pedalboard µs | WAVE overhead µs | slot % of block |", "|---|---|---|---|---|"]
        for block in (256, 512, 1024):
            a, b = vst3_times(vst3, block)
            lines.append(f"| {block} | {a:.1f} | {b:.1f} | {max(a - b, 0.0):.1f} | "
                         f"{100 * a * 1e-6 * SR / block:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
