"""FluidSynth driven block by block as a :class:`~server.engine.processor.Processor`.

The same object is the sampler of the engine's graph (:class:`server.live.engine.Engine`), live and in
``wave render``: the engine's MIDI player hands it events at their sample offsets inside each block, and
control threads post live events into a lock-free inbox, applied at the start of the next block. Audio is written by ``fluid_synth_write_float`` straight into preallocated numpy
buffers: no per-block allocation on the audio thread.

The calls made per block (rendering, note and controller events, the voice count) go through a
``ctypes.PyDLL`` handle, which keeps the GIL: a plain ``CDLL`` call releases it, and getting it back
from a busy control thread (OSC, MIDI) can cost up to the switch interval per call — with one busy
Python thread beside it, 16-strip 1024-frame live blocks (21.3 ms) took 17-25 ms at the 99th
percentile through ``CDLL`` (0.3-1.5 % late) and 4-7 ms through ``PyDLL`` with silent synths skipped
(none late). Loading a soundfont (slow file I/O) still releases it.

FluidSynth renders in internal 64-frame periods, so an event takes effect at the next 64-frame
boundary after its sample position (1.3 ms at 48 kHz) — the same granularity as the fluidsynth CLI.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import io
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..midi.roles import DRUM_CHANNEL
from ..midi.song import AFTERTOUCH, CONTROL, NOTE_OFF, NOTE_ON, PITCHWHEEL, POLYTOUCH, PROGRAM, ROUTE, Event
from .soundfont import Preset, pick_preset, read_presets

log = logging.getLogger(__name__)

FLUID_PERIOD = 64  # FluidSynth's internal block (FLUID_BUFSIZE)
CC_BANK_MSB, CC_BANK_LSB, CC_ALL_SOUND_OFF, CC_RESET_ALL, CC_ALL_NOTES_OFF, CC_SUSTAIN = 0, 32, 120, 121, 123, 64


_V, _I = ctypes.c_void_p, ctypes.c_int


def _cfunc(lib: ctypes.CDLL, name: str, *argtypes):
    fn = getattr(lib, name)
    fn.argtypes = list(argtypes)
    fn.restype = ctypes.c_int
    return fn


def import_pyfluidsynth():
    """Import pyfluidsynth (which locates and loads libfluidsynth) without letting it write to stdout.

    pyfluidsynth prints where it found the library when ``$CI`` is set; on ``wave serve`` that line would
    land before the ready line that scripts parse, and on any command that writes JSON to stdout it would
    corrupt the output. The message goes to the debug log instead. The redirection swaps ``sys.stdout`` for
    every thread, so it is done only for the first import (normally at start-up); later calls return the
    loaded module.
    """
    loaded = sys.modules.get("fluidsynth")
    if loaded is not None:
        return loaded
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            import fluidsynth
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the system
        raise MissingDependencyError(
            "FluidSynth is not available: install libfluidsynth (Debian: apt-get install libfluidsynth3; "
            f"macOS: brew install fluid-synth) and pyfluidsynth ({exc})"
        ) from exc
    if buf.getvalue().strip():
        log.debug("pyfluidsynth: %s", buf.getvalue().strip())
    return fluidsynth


class FluidSynthSource:
    """A General MIDI sampler: one FluidSynth instance, stereo out.

    Threads: construct, :meth:`load_soundfont`, :meth:`route_channel` and :meth:`prepare` from a
    control/loader thread before the source goes live; :meth:`send` from any thread;
    :meth:`process` / :meth:`render` from the audio thread only.
    """

    latency_samples = 0

    def __init__(
        self,
        soundfonts: Sequence[str | os.PathLike[str]] = (),
        *,
        sample_rate: int = 48000,
        gain: float = 0.2,
        reverb: bool = True,
        chorus: bool = True,
        polyphony: int = 256,
        interpolation: int = 4,
    ) -> None:
        fl = import_pyfluidsynth()
        self._fl = fl
        self.sample_rate = int(sample_rate)
        self._settings_kw = {
            "synth.reverb.active": int(bool(reverb)),
            "synth.chorus.active": int(bool(chorus)),
            "synth.polyphony": int(polyphony),
            # FluidSynth 2.x: audio.period-size is the file renderer's block; keep the CLI's default.
            "synth.dynamic-sample-loading": 0,
        }
        self._gain = float(gain)
        self._interp = interpolation
        self._synth = None
        self._fonts: list[tuple[int, Path, list[Preset]]] = []
        self._routes: dict[int, tuple[int, list[Preset]]] = {}  # channel -> (sfid, presets)
        self._bank = [0] * 16
        self._inbox: collections.deque[Event] = collections.deque()
        self._buf = np.zeros((2, 0), dtype=np.float32)
        self._zeros = np.zeros((2, 0), dtype=np.float32)
        # without reverb and chorus a synth with no voice outputs zeros: process() then skips rendering
        self._can_skip = not reverb and not chorus
        self.silent = False  # audio thread: the last process() returned silence without rendering
        self._lock = threading.Lock()  # guards synth creation and font loading (control side only)
        self._create_synth()
        for sf in soundfonts:
            self.load_soundfont(sf)

    # -- set-up (control / loader thread) ---------------------------------------------------------
    def _create_synth(self) -> None:
        fl = self._fl
        synth = fl.Synth(gain=self._gain, samplerate=float(self.sample_rate), **self._settings_kw)
        self._synth = synth
        self._s = synth.synth
        lib = fl._fl  # the loaded libfluidsynth (ctypes.CDLL)
        rt = ctypes.PyDLL(lib._name, handle=lib._handle)  # the same library; calls keep the GIL
        self._write = _cfunc(rt, "fluid_synth_write_float", _V, _I, _V, _I, _I, _V, _I, _I)
        self._noteon = _cfunc(rt, "fluid_synth_noteon", _V, _I, _I, _I)
        self._noteoff = _cfunc(rt, "fluid_synth_noteoff", _V, _I, _I)
        self._cc = _cfunc(rt, "fluid_synth_cc", _V, _I, _I, _I)
        self._bend = _cfunc(rt, "fluid_synth_pitch_bend", _V, _I, _I)
        self._progchange = _cfunc(rt, "fluid_synth_program_change", _V, _I, _I)
        self._progselect = _cfunc(rt, "fluid_synth_program_select", _V, _I, _I, _I, _I)
        self._chanpressure = _cfunc(rt, "fluid_synth_channel_pressure", _V, _I, _I)
        self._keypressure = _cfunc(rt, "fluid_synth_key_pressure", _V, _I, _I, _I)
        self._voices = _cfunc(rt, "fluid_synth_get_active_voice_count", _V)
        self._sfload = _cfunc(lib, "fluid_synth_sfload", _V, ctypes.c_char_p, _I)
        self._system_reset = _cfunc(lib, "fluid_synth_system_reset", _V)
        interp = _cfunc(lib, "fluid_synth_set_interp_method", _V, _I, _I)
        if self._interp is not None:
            interp(self._s, -1, int(self._interp))

    def load_soundfont(self, path: str | os.PathLike[str]) -> int:
        """Validate and load a soundfont; later fonts take priority for (bank, program) look-ups.

        Blocking (reads the whole file): call from a control or loader thread.
        """
        path = Path(path)
        presets = read_presets(path)
        with self._lock:
            sfid = self._sfload(self._s, os.fsencode(path), 1)
        if sfid is None or sfid < 0:
            raise InputError(f"{path}: FluidSynth could not load this soundfont (corrupt sample data?)")
        self._fonts.append((sfid, path, presets))
        log.debug("loaded soundfont %s as id %d (%d presets)", path, sfid, len(presets))
        return sfid

    @property
    def soundfonts(self) -> list[tuple[int, Path]]:
        return [(sfid, p) for sfid, p, _ in self._fonts]

    def route_channel(self, channel: int, sfid: int) -> None:
        """Play ``channel`` from soundfont ``sfid`` whatever program changes say: a program change
        picks the font's matching preset, or its closest (see :func:`pick_preset`)."""
        for fid, _path, presets in self._fonts:
            if fid == sfid:
                self._routes[channel] = (sfid, presets)
                self._select_routed(channel, 0)
                return
        raise InputError(f"soundfont id {sfid} is not loaded")

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        if channels != 2:
            raise InputError(f"FluidSynthSource renders stereo; got channels={channels}")
        if int(sample_rate) != self.sample_rate:
            raise InputError(
                f"FluidSynthSource was made for {self.sample_rate} Hz; make a new one for {sample_rate} Hz"
            )
        self._buf = np.zeros((2, max_block), dtype=np.float32)
        self._zeros = np.zeros((2, max_block), dtype=np.float32)

    def reset(self) -> None:
        """Back to the state after construction: a new synth with the same fonts and routes.

        FluidSynth's system reset leaves its reverb and chorus lines ringing, so the instance is
        rebuilt (soundfonts reloaded, which blocks): call from the control thread, never live.
        """
        self._inbox.clear()
        fonts = [path for _, path, _ in self._fonts]
        routes = {ch: self._font_index(sfid) for ch, (sfid, _) in self._routes.items()}
        self.close()
        self._fonts, self._routes, self._bank = [], {}, [0] * 16
        self._create_synth()
        ids = [self.load_soundfont(p) for p in fonts]
        for ch, idx in routes.items():
            self.route_channel(ch, ids[idx])

    def _font_index(self, sfid: int) -> int:
        return [fid for fid, _, _ in self._fonts].index(sfid)

    def close(self) -> None:
        if self._synth is not None:
            self._synth.delete()
            self._synth = None

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

    # -- events -----------------------------------------------------------------------------------
    def send(self, event: Event) -> None:
        """Post an event from any thread; it is applied at the start of the next processed block."""
        self._inbox.append(event)

    def all_notes_off(self) -> None:
        """Release every note and the sustain pedal on all channels (applied next block)."""
        for ch in range(16):
            self._inbox.append(Event(0.0, CONTROL, ch, CC_SUSTAIN, 0))
            self._inbox.append(Event(0.0, CONTROL, ch, CC_ALL_NOTES_OFF, 0))

    def apply(self, e: Event) -> None:
        """Apply one event now (audio thread)."""
        k, ch = e.kind, e.channel
        if k == NOTE_ON:
            self._noteon(self._s, ch, e.a, e.b)
        elif k == NOTE_OFF:
            self._noteoff(self._s, ch, e.a)
        elif k == CONTROL:
            if e.a == CC_BANK_MSB:
                self._bank[ch] = e.b * 128 + self._bank[ch] % 128 if ch in self._routes else e.b
            self._cc(self._s, ch, e.a, e.b)
        elif k == PROGRAM:
            if ch in self._routes:
                self._select_routed(ch, e.a)
            else:
                self._progchange(self._s, ch, e.a)
        elif k == PITCHWHEEL:
            self._bend(self._s, ch, e.a + 8192)
        elif k == AFTERTOUCH:
            self._chanpressure(self._s, ch, e.a)
        elif k == POLYTOUCH:
            self._keypressure(self._s, ch, e.a, e.b)
        elif k == ROUTE:  # wave render's role routing: the program change that follows picks from font e.a
            self.route_channel(ch, e.a)

    def _select_routed(self, ch: int, program: int) -> None:
        sfid, presets = self._routes[ch]
        drums = ch == DRUM_CHANNEL
        bank = 128 if drums else self._bank[ch] // 128
        p = pick_preset(presets, bank, program, drums=drums)
        self._progselect(self._s, ch, sfid, p.bank, p.program)

    # -- audio ------------------------------------------------------------------------------------
    def _render_into(self, out: np.ndarray, start: int, stop: int) -> None:
        n = stop - start
        if n <= 0:
            return
        left = out[0, start:stop]
        right = out[1, start:stop]
        self._write(self._s, n, left.ctypes.data, 0, 1, right.ctypes.data, 0, 1)

    def render(self, out: np.ndarray, events: Sequence[tuple[int, Event]] = ()) -> np.ndarray:
        """Fill ``out`` (float32 (2, n), C-contiguous rows) applying ``events`` at their frame offsets
        (sorted, 0 <= offset < n)."""
        pos = 0
        for offset, e in events:
            if offset > pos:
                self._render_into(out, pos, offset)
                pos = offset
            self.apply(e)
        self._render_into(out, pos, out.shape[1])
        return out

    def process(self, block: np.ndarray, events: Sequence[tuple[int, Event]] = ()) -> np.ndarray:
        """Live driver: apply posted events, then render ``block.shape[1]`` frames, applying ``events``
        (sorted ``(offset, event)``, 0 <= offset < frames) at their offsets as :meth:`render` does.
        Input is ignored. Without reverb and chorus, a synth with no voice and no ``events`` is not
        rendered: the result is a shared zero buffer (never write into it) and ``silent`` is True."""
        n = block.shape[1]
        inbox = self._inbox
        while inbox:
            try:
                self.apply(inbox.popleft())
            except IndexError:  # pragma: no cover - raced with a concurrent clear
                break
        if n > self._buf.shape[1]:
            self._buf = np.zeros((2, n), dtype=np.float32)  # only if the host broke max_block
            self._zeros = np.zeros((2, n), dtype=np.float32)
        if not events and self._can_skip and not self._voices(self._s):
            self.silent = True
            return self._zeros[:, :n]
        self.silent = False
        out = self._buf[:, :n]
        if events:
            self.render(out, events)
        else:
            self._render_into(out, 0, n)
        return out

    @property
    def active_voices(self) -> int:
        return int(self._voices(self._s))
