"""MIDI input through python-rtmidi: a port by name, or a virtual port (ALSA, or JACK MIDI on JACK).

Raw MIDI bytes are decoded by :func:`decode` (pure, tested on its own) into
:class:`~server.midi.song.Event`; the rtmidi callback thread hands them to a function that must not
block (the server posts them to the engine's lock-free inboxes).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from ..errors import ConfigError, MissingDependencyError
from ..midi.song import AFTERTOUCH, CONTROL, NOTE_OFF, NOTE_ON, PITCHWHEEL, POLYTOUCH, PROGRAM, Event

log = logging.getLogger(__name__)

_STATUS = {0x80: NOTE_OFF, 0x90: NOTE_ON, 0xA0: POLYTOUCH, 0xB0: CONTROL, 0xC0: PROGRAM, 0xD0: AFTERTOUCH,
           0xE0: PITCHWHEEL}


def decode(data: list[int] | bytes) -> Event | None:
    """One channel-voice message → Event (note on with velocity 0 becomes note off); others → None."""
    if not data:
        return None
    status = data[0]
    kind = _STATUS.get(status & 0xF0)
    if kind is None:
        return None
    ch = status & 0x0F
    d1 = data[1] & 0x7F if len(data) > 1 else 0
    d2 = data[2] & 0x7F if len(data) > 2 else 0
    if kind in (NOTE_ON, NOTE_OFF, POLYTOUCH, CONTROL) and len(data) < 3:
        return None
    if kind == NOTE_ON and d2 == 0:
        kind = NOTE_OFF
    if kind == PITCHWHEEL:
        if len(data) < 3:
            return None
        return Event(0.0, PITCHWHEEL, ch, (d2 << 7 | d1) - 8192)
    return Event(0.0, kind, ch, d1, d2)


def _rtmidi():
    try:
        import rtmidi
    except ImportError as exc:  # pragma: no cover
        raise MissingDependencyError(f"MIDI input needs python-rtmidi (pip install 'wave-server[live]'): {exc}") from exc
    return rtmidi


def list_ports(api: str = "default") -> list[str]:
    rtmidi = _rtmidi()
    m = rtmidi.MidiIn(_api(api), name="wave-probe")
    try:
        return list(m.get_ports())
    finally:
        m.delete()


def _api(api: str) -> int:
    rtmidi = _rtmidi()
    return {"default": rtmidi.API_UNSPECIFIED, "alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK}[api]


class MidiInput:
    """Opens ``port`` ("virtual" or a substring of a port name) and forwards decoded events."""

    def __init__(self, port: str, on_event: Callable[[Event, float], None], *, api: str = "default",
                 client_name: str = "wave", jack_server: str | None = None) -> None:
        rtmidi = _rtmidi()
        self._on_event = on_event
        # rtmidi opens its JACK client on $JACK_DEFAULT_SERVER: the audio's server, not the default one
        saved = os.environ.get("JACK_DEFAULT_SERVER")
        if api == "jack" and jack_server:
            os.environ["JACK_DEFAULT_SERVER"] = jack_server
        try:
            self.midi = rtmidi.MidiIn(_api(api), name=client_name)
        except rtmidi.SystemError as exc:
            raise ConfigError(
                f"cannot open MIDI input ({api}): {exc}; on Linux without the ALSA sequencer (/dev/snd/seq) "
                "run with --audio jack to use JACK MIDI"
            ) from exc
        finally:
            if api == "jack" and jack_server:
                if saved is None:
                    os.environ.pop("JACK_DEFAULT_SERVER", None)
                else:
                    os.environ["JACK_DEFAULT_SERVER"] = saved
        self.midi.ignore_types(sysex=True, timing=True, active_sense=True)
        if port == "virtual":
            self.midi.open_virtual_port("midi_in")
            self.port_name = f"{client_name}:midi_in"
        else:
            ports = self.midi.get_ports()
            matches = [i for i, name in enumerate(ports) if port.lower() in name.lower()]
            if not matches:
                self.midi.delete()
                raise ConfigError(
                    f"no MIDI input port matches {port!r}; available: {', '.join(ports) or 'none'} "
                    "(or use --midi-in virtual)"
                )
            self.midi.open_port(matches[0])
            self.port_name = ports[matches[0]]
        self.midi.set_callback(self._callback)
        log.info("MIDI input on %s", self.port_name)

    def _callback(self, msg_and_delta, _data=None) -> None:
        t = time.perf_counter()  # when it arrived: the engine places it in its block by this time
        data, _delta = msg_and_delta
        e = decode(data)
        if e is not None:
            try:
                self._on_event(e, t)
            except Exception:  # never let a bad message kill rtmidi's thread
                log.exception("MIDI event %r failed", data)

    def close(self) -> None:
        self.midi.cancel_callback()
        self.midi.close_port()
        self.midi.delete()
