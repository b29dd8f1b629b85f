"""Live MIDI from JACK at its frame: sample-accurate like a MIDI file (issue 15).

Its own module: a JACK client of this process on a second server while test_live_jack's module
fixture holds one on the first crashed libjack here, so each module's servers live apart.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.serve_helpers import ready_line
from tests.test_live_jack import REPO, Recorder, dummy_jackd, stop_process


@pytest.mark.parametrize("period", [256, 512, 1024])
def test_jack_midi_is_sample_accurate_inside_the_block(period, tmp_path):
    """Notes sent by a JACK client at known frames, each at another offset inside its cycle: every onset
    in the recording comes the same time after its frame. Before, every event played at the start of
    the next block (a spread of up to one period). FluidSynth starts a voice at its next 64-frame
    period, so the spread allowed is 64 frames plus the onset detector's tolerance."""
    offsets = [0, period // 4, period // 2, period - 1, 7, period // 3, 3 * period // 4, period // 8]
    with dummy_jackd(f"wave-midi-{period}", period) as name:
        env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"} | {"PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--audio", f"jack:{name}", "--midi-in",
                                 "virtual", "--osc-port", "0", "--sets-dir", str(tmp_path)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rec = None
        try:
            ready = ready_line(proc)
            assert f"block={period}" in ready and "midi=wave-midi:midi_in" in ready, ready
            latency = int(re.search(r"latency=(\d+)", ready).group(1))
            rec = Recorder(name)
            rec.client.connect("wave:out_L", "wave-test-rec:in_L")
            rec.client.connect("wave:out_R", "wave-test-rec:in_R")
            rec.client.connect("wave-test-midi:midi_out", "wave-midi:midi_in")
            time.sleep(0.3)
            for _attempt in range(2):  # an xrun of this shared machine shifts a cycle: one retake
                rec.pos, rec.sent_at, rec.by_frame_time = 0, [], True
                rec.buf[:] = 0.0
                rec.recording = True
                for off in offsets:  # claves on the GM kit: a sharp, short attack
                    rec.outbox.append((off, bytes([0x99, 75, 127])))
                    time.sleep(0.1)
                    rec.outbox.append((0, bytes([0x89, 75, 0])))
                    time.sleep(0.3)
                time.sleep(0.2)
                rec.recording = False
                y = np.abs(rec.buf[0, :rec.pos]) + np.abs(rec.buf[1, :rec.pos])
                sent = [f - rec.start_frame for f in rec.sent_at[0::2]]  # frames into the recording
                assert len(sent) == len(offsets)
                delays, missing = [], []
                for s in sent:
                    win = y[s : s + 8 * period + 4096]
                    if win.max(initial=0.0) <= 1e-3:  # a cycle the recorder lost (xrun): no take of this note
                        missing.append(s)
                        continue
                    thresh = 0.1 * win.max()  # each note against its own peak
                    assert y[max(s - 64, 0) : s].max(initial=0) < thresh, s
                    delays.append(int(np.flatnonzero(win > thresh)[0]))
                if missing:
                    continue  # retake
                spread = max(delays) - min(delays)
                print(f"period {period}: onset after its frame {sorted(delays)} frames (latency {latency})")
                if spread <= 64 + 16:
                    break
        finally:
            if rec is not None:
                rec.close()
            stop_process(proc, 20)
    assert not missing, f"no sound recorded after the notes sent at frames {missing} in either take"
    assert spread <= 64 + 16, (period, list(zip(offsets, delays, strict=True)))
    assert min(delays) <= latency + 2 * period + 64, (delays, latency)
