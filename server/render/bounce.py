"""Bounce: a MIDI file through the live server's graph, offline (``wave render SONG.mid --session S``).

The graph is the one ``wave serve`` plays, built by the same code from the same session description
(sets per channel, timbre models with their mix and latent edits, effect chains per channel and on
the master, master gain): per-channel sampler → timbre model → effect chain → latency alignment →
master chain → limiter → safety stage. Here no sound card paces it: blocks are pulled as fast as the
machine makes them ("freewheel"), and a timbre model's worker is waited for instead of being skipped
when late, so a bounce is what the performer heard when nothing was late. The output starts at the
song's time zero (the graph's latency is trimmed) and goes to disk block by block, through the same
driver and writer as the plain ``wave render`` (render.py), whose graph is this one without a session.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, InputError
from ..midi.song import Song
from ..paths import check_output
from .render import (
    _BYTES,
    BOUNCE_BLOCK,
    RenderResult,
    RenderSettings,
    _blocks,
    _check_space,
    _progress_bar,
    song_frames,
    write_stream,
)

log = logging.getLogger(__name__)


class OfflineDriver:
    """No device: the graph is pulled by :func:`bounce_to_file` as fast as it renders."""

    name = "offline"
    latency_samples = 0

    def open(self, sample_rate: int, block: int) -> tuple[int, int]:
        return int(sample_rate), int(block)

    def start(self, engine) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class ChannelEdit:
    """What ``--timbre`` and ``--fx`` change in the session before the bounce."""

    timbre: dict[int, dict]
    fx: dict[int, dict]


def parse_edits(timbre: list[str], fx: list[str]) -> ChannelEdit:
    """``--timbre CH=MODEL[:WET]`` and ``--fx CH=EFFECT.PARAM=VALUE`` (CH 1-16 or ``master``)."""
    from ..live.effects import effect_spec

    def channel(text: str, flag: str, master: bool) -> int:
        t = text.strip().lower()
        if master and t == "master":
            return -1
        try:
            ch = int(t.removeprefix("ch"))
        except ValueError:
            ch = 0
        if not 1 <= ch <= 16:
            raise InputError(f"{flag} {text!r}: a channel is 1-16" + (" or 'master'" if master else ""))
        return ch - 1

    out = ChannelEdit({}, {})
    for item in timbre:
        ch_text, sep, rest = item.partition("=")
        if not sep or not rest:
            raise InputError(f"--timbre expects CH=MODEL[:WET], e.g. 2=keyboard:0.5; got {item!r}")
        model, _, wet = rest.partition(":")
        try:
            w = float(wet) if wet else 1.0
        except ValueError:
            raise InputError(f"--timbre {item!r}: WET {wet!r} is not a number 0-1") from None
        if not 0.0 <= w <= 1.0:
            raise InputError(f"--timbre {item!r}: WET must be 0-1")
        out.timbre[channel(ch_text, "--timbre", False)] = {"model": model.strip(), "wet": w}
    for item in fx:
        ch_text, sep, rest = item.partition("=")
        target, sep2, value = rest.rpartition("=")
        effect, dot, param = target.partition(".")
        if not sep or not sep2 or not dot:
            raise InputError(f"--fx expects CH=EFFECT.PARAM=VALUE, e.g. 3=reverb.room_size=0.8 or "
                             f"master=lowpass.cutoff_frequency_hz=8000; got {item!r}")
        try:
            v = effect_spec(effect.strip()).param(param.strip()).check(effect, float(value))
        except ValueError as exc:
            raise InputError(f"--fx {item!r}: {exc}") from None
        d = out.fx.setdefault(channel(ch_text, "--fx", True), {}).setdefault(effect.strip(), {"on": True})
        d[param.strip()] = v
    return out


def bounce_to_file(
    song: Song,
    out: str | os.PathLike[str],
    *,
    session=None,
    folders=None,
    soundfont: str | os.PathLike[str] | None = None,
    edits: ChannelEdit | None = None,
    fmt: str = "24",
    settings: RenderSettings | None = None,
) -> RenderResult:
    """Render ``song`` through the live graph described by ``session`` (a
    :class:`server.live.session.Session`; empty: General MIDI on every channel) to a WAV at ``out``.

    ``folders`` (:class:`server.live.server.Folders`) are where the session's set and model names are
    found, as for ``wave serve``. ``settings``: sample rate, block, tail, normalisation (``raw`` skips
    only the normalisation: the session's master section is part of what the performer played, where a
    plain render's ``raw`` is the channel mix without it). ``out`` is replaced only when complete.
    """
    from ..audio.io import WAV_FORMATS
    from ..live.server import Folders, LiveServer
    from ..live.session import Session

    st = settings or RenderSettings(block=BOUNCE_BLOCK)
    st.check()
    if fmt not in WAV_FORMATS:
        raise ConfigError(f"WAV format {fmt!r} is not one of {', '.join(WAV_FORMATS)}")
    out = check_output(out)
    session = Session() if session is None else session
    if edits is not None:
        session.timbre.update(edits.timbre)
        for ch, effects in edits.fx.items():
            session.fx.setdefault(ch, {}).update(effects)
    subtype = WAV_FORMATS[fmt]
    server = LiveServer(OfflineDriver(), sample_rate=st.sample_rate, block=st.block, folders=folders or Folders(),
                        session=session, soundfont=soundfont, strict=True)
    try:
        eng = server.engine
        for strip in eng.snapshot.strips:
            if strip.timbre is not None and hasattr(strip.timbre.model, "freewheel"):
                strip.timbre.model.freewheel = True  # wait for the model: nothing is late offline
            if hasattr(strip.source, "freewheel"):
                strip.source.freewheel = True  # an instrument plugin slower than real time is waited for too
        frames = song_frames(song, st)
        two_pass = not st.raw and st.normalize == "peak"
        _check_space(out, frames * 2 * (_BYTES[subtype] + (4 if two_pass else 0)))
        eng.play(song.events_at(st.sample_rate))
        bar = _progress_bar(frames * (2 if two_pass else 1), st, "bounce + normalise" if two_pass else "bounce")
        try:
            peak, gain = write_stream(out, _blocks(eng, frames, st, bar), frames, st, subtype, bar, normalise=two_pass)
        finally:
            if bar is not None:
                bar.close()
        faults = list(eng.faults)
        if faults:
            log.warning("bounce: %d fault(s) in the graph; first: %s", len(faults), faults[0])
    finally:
        server.shutdown()
    return RenderResult(out, frames, st.sample_rate, 20 * np.log10(peak) if peak > 0 else float("-inf"),
                        20 * float(np.log10(gain)))
