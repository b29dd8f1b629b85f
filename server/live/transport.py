"""Transport of ``wave serve``: MIDI file playback through the engine's player, and recording of the
live output to a WAV file. Control thread; the audio thread only reads what :meth:`Engine.play` and
:meth:`Engine.add_tap` handed it."""

from __future__ import annotations

import logging

from ..errors import InputError
from .drivers import WavWriter
from .engine import Engine
from .graph import Folders, confine

log = logging.getLogger(__name__)


class Transport:
    """Play MIDI files from the MIDI folder and record into the recordings folder of ``folders`` (names
    confined to them)."""

    def __init__(self, engine: Engine, folders: Folders) -> None:
        self.engine = engine
        self.folders = folders
        self.recorder: WavWriter | None = None

    def play(self, file: str) -> None:
        """Start MIDI file ``file`` (in the MIDI folder) from its beginning, replacing what plays."""
        from ..midi.song import load_song

        path = confine(file, self.folders.midi, (".mid", ".midi"), "MIDI file")
        song = load_song(path)
        self.engine.play(song.events_at(self.engine.sample_rate))

    def stop(self) -> None:
        self.engine.play(None)

    def record_start(self, file: str, overwrite: bool = False) -> None:
        """Record the output into ``file`` (a ``.wav`` in the recordings folder); an existing file is
        replaced only with ``overwrite``."""
        if self.recorder is not None:
            raise InputError("already recording; send /wave/record/stop first")
        path = confine(file, self.folders.recordings, (".wav",), "recording")
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
