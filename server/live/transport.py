"""Transport of ``wave serve``: MIDI file playback through the engine's player, and recording of the
live output to a WAV file. Control thread; the audio thread only reads what :meth:`Engine.play` and
:meth:`Engine.add_tap` handed it."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import InputError
from .drivers import WavWriter
from .engine import Engine
from .graph import confine

log = logging.getLogger(__name__)


class Transport:
    """Play MIDI files from ``midi_dir`` and record into ``recordings_dir`` (names confined to them)."""

    def __init__(self, engine: Engine, midi_dir: Path, recordings_dir: Path) -> None:
        self.engine = engine
        self.midi_dir = midi_dir
        self.recordings_dir = recordings_dir
        self.recorder: WavWriter | None = None

    def play(self, file: str) -> None:
        """Start MIDI file ``file`` (in the MIDI folder) from its beginning, replacing what plays."""
        from ..midi.song import load_song

        path = confine(file, self.midi_dir, (".mid", ".midi"), "MIDI file")
        song = load_song(path)
        self.engine.play(song.events_at(self.engine.sample_rate))

    def stop(self) -> None:
        self.engine.play(None)

    def record_start(self, file: str, overwrite: bool = False) -> None:
        """Record the output into ``file`` (a ``.wav`` in the recordings folder); an existing file is
        replaced only with ``overwrite``."""
        if self.recorder is not None:
            raise InputError("already recording; send /wave/record/stop first")
        path = confine(file, self.recordings_dir, (".wav",), "recording")
        if path.exists() and not overwrite:
            raise InputError(f"recording {path.name} exists; choose another name or send "
                             f"/wave/record/start {file} 1 to replace it")
        self.recorder = WavWriter(path, self.engine.sample_rate)
        self.engine.add_tap(self.recorder.put)

    def record_stop(self) -> tuple[str, float]:
        """Stop recording; ``(file name, seconds recorded)``."""
        rec = self.recorder
        if rec is None:
            raise InputError("not recording; send /wave/record/start FILE first")
        self.recorder = None
        self.engine.remove_tap(rec.put)
        path = rec.close()
        return path.name, rec.frames / self.engine.sample_rate

    def close(self) -> None:
        """At shutdown (the callback stopped): close a recording still running."""
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
