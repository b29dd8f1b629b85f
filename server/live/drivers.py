"""Audio drivers: who calls ``Engine.process`` and where the sound goes.

``--audio`` spec: ``null`` (paced by the wall clock, sound discarded), ``wav:PATH`` (paced like a
sound card, written to PATH, finished atomically at stop), ``jack`` / ``jack:SERVER`` (a JACK client;
``JACK_DEFAULT_SERVER`` also picks the server) and ``portaudio`` / ``portaudio:DEVICE`` (sounddevice).

Each driver: ``open(sample_rate, block) -> (sample_rate, block)`` (the host may impose its own),
``start(engine)``, ``stop()``; ``latency_samples`` is the output buffering it adds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, MissingDependencyError, OutputError
from ..paths import FILE_MODE

log = logging.getLogger(__name__)


class WavWriter:
    """Writes blocks handed over by the audio thread (``put``, never blocks) from its own thread.

    The file is written under a temporary name beside ``path`` and renamed on :meth:`close`.
    Blocks that do not fit in the queue are counted in ``dropped`` (never silently lost).
    """

    def __init__(self, path: str | os.PathLike[str], sample_rate: int, *, max_blocks: int = 512) -> None:
        import soundfile as sf

        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".part.wav", dir=parent)
        except OSError as exc:
            raise OutputError(f"cannot record to {self.path}: {exc.strerror}") from exc
        os.close(fd)
        self._tmp = Path(tmp)
        self._file = sf.SoundFile(self._tmp, "w", samplerate=int(sample_rate), channels=2, subtype="FLOAT")
        self.sample_rate = int(sample_rate)
        self._q: queue.Queue = queue.Queue(maxsize=max_blocks)
        self.dropped = 0
        self.frames = 0
        self._thread = threading.Thread(target=self._run, name=f"wav-writer:{self.path.name}", daemon=True)
        self._thread.start()

    def put(self, block: np.ndarray) -> None:
        """Audio thread: hand over a copy of ``block`` (channels, frames)."""
        try:
            self._q.put_nowait(block.T.copy())
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                break
            self._file.write(item)
            self.frames += item.shape[0]

    def close(self) -> Path:
        """Finish the file (waits for queued blocks) and rename it into place."""
        self._q.put(None)
        self._thread.join()
        self._file.close()
        os.chmod(self._tmp, FILE_MODE)  # mkstemp made it private; a take is an ordinary file
        os.replace(self._tmp, self.path)
        if self.dropped:
            log.warning("%s: %d blocks were dropped (writer too slow)", self.path, self.dropped)
        return self.path

    def abort(self) -> None:
        self._q.put(None)
        self._thread.join()
        self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()


class PacedDriver:
    """Calls the engine from its own thread at the wall clock's pace (``null`` and ``wav:PATH``)."""

    def __init__(self, wav_path: str | None = None) -> None:
        self.wav_path = wav_path
        self.latency_samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._writer: WavWriter | None = None
        self.name = f"wav:{wav_path}" if wav_path else "null"

    def open(self, sample_rate: int, block: int) -> tuple[int, int]:
        self.sample_rate, self.block = int(sample_rate), int(block)
        self.latency_samples = self.block
        if self.wav_path:
            self._writer = WavWriter(self.wav_path, self.sample_rate)
        return self.sample_rate, self.block

    def start(self, engine) -> None:
        self._thread = threading.Thread(target=self._run, args=(engine,), name="audio-paced", daemon=True)
        self._thread.start()

    def _run(self, engine) -> None:
        period = self.block / self.sample_rate
        t_next = time.monotonic()
        writer = self._writer
        while not self._stop.is_set():
            out = engine.process(self.block)
            if writer is not None:
                writer.put(out)
            t_next += period
            delay = t_next - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -period:  # a whole block behind: a sound card would have glitched
                behind = int(-delay / period)
                engine.driver_late(behind)
                t_next = time.monotonic()

    def abort(self) -> None:
        """Stop without finishing the WAV (a failed start leaves no file behind)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._writer is not None:
            path = self._writer.close()
            log.info("wrote %s", path)
            self._writer = None


class JackDriver:
    """A JACK client with two output ports (``out_L``, ``out_R``); optionally connected to playback."""

    def __init__(self, server: str | None = None, *, client_name: str = "wave", connect: bool = False) -> None:
        self.server = server or os.environ.get("JACK_DEFAULT_SERVER") or None
        self.client_name = client_name
        self.connect = connect
        self.client = None
        self.latency_samples = 0
        self.name = f"jack:{self.server or 'default'}"

    def open(self, sample_rate: int, block: int) -> tuple[int, int]:
        try:
            import jack
        except (ImportError, OSError) as exc:  # pragma: no cover - system dependent
            raise MissingDependencyError(f"JACK is not available (needs JACK-Client: pip install 'wave-server[live]'; and the JACK library, libjack): {exc}") from exc
        try:
            self.client = jack.Client(self.client_name, servername=self.server, no_start_server=True)
        except jack.JackOpenError as exc:
            raise ConfigError(
                f"no JACK server {self.server or '(default)'} is running; start one (e.g. "
                f"`jackd -d dummy -r {sample_rate} -p {block}`) or use --audio portaudio|wav:PATH|null"
            ) from exc
        sr, bs = int(self.client.samplerate), int(self.client.blocksize)
        if sr != sample_rate or bs != block:
            log.info("JACK server runs at %d Hz / %d frames; using those", sr, bs)
        self.outports = [self.client.outports.register("out_L"), self.client.outports.register("out_R")]
        self.midi_client = None
        self.midi_port = None
        self.latency_samples = bs
        return sr, bs

    def open_midi_in(self, client_name: str = "wave-midi", name: str = "midi_in") -> str:
        """Open a JACK MIDI input (a client of its own, ``wave-midi:midi_in``) whose events reach the
        engine with their frame time: each plays one period later at its exact offset inside the block,
        as sample-accurate as a MIDI file. Call before :meth:`start`; returns the port's full name."""
        import jack

        try:
            self.midi_client = jack.Client(client_name, servername=self.server, no_start_server=True)
        except jack.JackOpenError as exc:
            raise ConfigError(f"cannot open a JACK MIDI client on {self.server or '(default)'}: {exc}") from exc
        self.midi_port = self.midi_client.midi_inports.register(name)
        return self.midi_port.name

    def start(self, engine) -> None:
        ports = self.outports
        client = self.client

        @client.set_process_callback
        def _process(frames: int) -> None:
            out = engine.process(frames, frame_time=client.last_frame_time)
            ports[0].get_array()[:] = out[0]
            ports[1].get_array()[:] = out[1]

        @client.set_xrun_callback
        def _xrun(delay: float) -> None:
            engine.driver_late(1)

        client.activate()
        if self.midi_port is not None:
            from .midi_in import decode

            mclient, mport = self.midi_client, self.midi_port

            @mclient.set_process_callback
            def _midi(frames: int) -> None:
                t = mclient.last_frame_time
                for offset, data in mport.incoming_midi_events():
                    e = decode(bytes(data))
                    if e is not None:
                        engine.send_frame(e, t + offset)

            mclient.activate()
        if self.connect:
            playback = client.get_ports(is_physical=True, is_input=True, is_audio=True)
            for src, dst in zip(ports, playback, strict=False):
                client.connect(src, dst)

    @property
    def port_names(self) -> list[str]:
        return [p.name for p in self.outports]

    def stop(self) -> None:
        if self.midi_client is not None:
            self.midi_client.deactivate()
            self.midi_client.close()
            self.midi_client = None
        if self.client is not None:
            self.client.deactivate()
            self.client.close()
            self.client = None


class PortAudioDriver:
    """sounddevice output stream (macOS, Windows, desktop Linux)."""

    def __init__(self, device: str | None = None) -> None:
        self.device = int(device) if device and device.isdigit() else (device or None)
        self.stream = None
        self.latency_samples = 0
        self.name = f"portaudio:{device or 'default'}"

    def open(self, sample_rate: int, block: int) -> tuple[int, int]:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise MissingDependencyError(f"PortAudio is not available (needs sounddevice: pip install 'wave-server[live]'; and the PortAudio library): {exc}") from exc
        self._sd = sd
        try:
            sd.check_output_settings(device=self.device, channels=2, dtype="float32", samplerate=sample_rate)
        except (sd.PortAudioError, ValueError) as exc:
            raise ConfigError(
                f"PortAudio output device {self.device or '(default)'} cannot play 2 channels at {sample_rate} Hz: "
                f"{exc}; list devices with `wave devices`"
            ) from exc
        self.sample_rate, self.block = int(sample_rate), int(block)
        return self.sample_rate, self.block

    def start(self, engine) -> None:
        sd = self._sd

        def _callback(outdata, frames, _time, status) -> None:
            if status.output_underflow:
                engine.driver_late(1)
            outdata[:] = engine.process(frames).T

        self.stream = sd.OutputStream(
            samplerate=self.sample_rate, blocksize=self.block, device=self.device, channels=2,
            dtype="float32", callback=_callback, latency="low",
        )
        self.stream.start()
        self.latency_samples = int(round(self.stream.latency * self.sample_rate))

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()
            self.stream = None


def make_driver(spec: str, *, jack_connect: bool = False, client_name: str = "wave"):
    kind, _, arg = spec.partition(":")
    if kind == "null" and not arg:
        return PacedDriver()
    if kind == "wav":
        if not arg:
            raise ConfigError("--audio wav:PATH needs a file path, e.g. wav:out.wav")
        return PacedDriver(arg)
    if kind == "jack":
        return JackDriver(arg or None, client_name=client_name, connect=jack_connect)
    if kind == "portaudio":
        return PortAudioDriver(arg or None)
    raise ConfigError(f"--audio {spec!r}: use jack[:SERVER], portaudio[:DEVICE], wav:PATH or null")
