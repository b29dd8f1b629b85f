"""The live graph's control side: what a name in a session or an OSC message resolves to, the members
built from it (samplers, LV2 instruments, timbre models, plugin slots, effect chains), the snapshot a
session describes, and the pure edits that turn one snapshot into the next.

Threads: :class:`GraphBuilder` loads and prepares members on the loader thread (or at start-up, before
the audio callback runs); the edit functions only rebuild immutable :class:`Snapshot` tuples. Nothing
here publishes: :meth:`server.live.server.LiveServer._publish` applies an edit under its lock and
retires what left the graph, which is closed only once the callback has acknowledged the new snapshot.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError, MissingDependencyError, WaveError
from ..paths import INSTRUMENTS_DIR, MIDI_DIR, REPO_ROOT
from .effects import EffectChain
from .engine import DryWet, Retiring, Snapshot, Strip
from .session import Session

log = logging.getLogger(__name__)

GM = "gm"  # the General MIDI set: the server's default soundfont
LV2_SET = "lv2:"  # a channel's "set" named lv2:URI is played by that LV2 instrument plugin
VST3_SET = "vst3:"  # vst3:PATH (or lv2:PATH ending .vst3): that VST3 (macOS: AU) instrument plays it
MAX_PLUGIN_SLOTS = 8  # plugin insert slots per channel and on the master


@dataclass
class Folders:
    """Where names in OSC messages are looked up; nothing outside these folders is reachable."""

    sets: Path = INSTRUMENTS_DIR
    models: Path = INSTRUMENTS_DIR / "builtin"
    midi: Path = MIDI_DIR
    recordings: Path = REPO_ROOT / "recordings"
    images: Path = REPO_ROOT / "images"
    plugins: Path = REPO_ROOT / "plugins"  # LV2 bundles loadable by folder name (URIs come from discovery)


def confine(name: str, root: Path, suffixes: tuple[str, ...], what: str) -> Path:
    """``root/name`` if it stays inside ``root`` and has one of ``suffixes``; InputError otherwise."""
    if not name or "\x00" in name:
        raise InputError(f"empty {what} name")
    root = Path(root).resolve()
    p = Path(name)
    p = (p if p.is_absolute() else root / p).resolve()
    if not p.is_relative_to(root):
        raise InputError(f"{what} {name!r} is outside the {what} folder {root}; give a name inside it")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"{what} {name!r} must end with {' or '.join(suffixes)}")
    return p


def is_bundle_path(name: str) -> bool:
    """Whether an instrument's name is a VST3/AU bundle path (``x.vst3``, ``x.vst3#Plugin``)."""
    return name.split("#", 1)[0].lower().endswith((".vst3", ".component"))


def trim_heap() -> None:
    """``malloc_trim(0)`` where the C library has it (glibc); elsewhere nothing. Control thread only."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None


def latent_dims(model) -> int | None:
    """Latent dimensions of a streaming nn~ model (0: none), or None when it does not say."""
    inner = getattr(model, "model", None)
    dims = getattr(inner, "latent_dim", None)
    return int(dims) if isinstance(dims, int) else None


def file_size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def at_rate(path: Path, sample_rate: int) -> Path:
    """``path``, or, for a shipped builtin model and a graph at another rate than it was made for, the same
    model made for ``sample_rate`` (:func:`server.timbre.builtin.builtin_path`): played directly instead of
    resampled (at 44.1 kHz and 256-frame blocks, 513 samples of latency instead of 2514)."""
    from ..timbre.builtin import BUILTIN_SR, builtin_path, builtin_role

    role = builtin_role(path)
    return builtin_path(role, sample_rate) if role is not None and int(sample_rate) != BUILTIN_SR else path


def load_timbre_model(path: Path):
    """A streaming timbre Processor for a ``.ts`` model (:class:`server.timbre.stream.StreamingTimbre`)."""
    try:
        from ..timbre.stream import StreamingTimbre
    except ImportError as exc:
        raise MissingDependencyError(f"streaming timbre models need torch and server.timbre ({exc})") from exc
    return StreamingTimbre(path)


# -- pure edits: snapshot -> snapshot ---------------------------------------------------------------
def slots_of(snap: Snapshot, target: int) -> tuple:
    """The plugin slots of channel ``target`` (0-15) or of the master (-1)."""
    return snap.master_plugins if target < 0 else snap.strips[target].plugins


def slot_of(snap: Snapshot, target: int, slot: int):
    """Plugin slot ``slot`` of ``target``; InputError naming the slots there when there is no such slot."""
    slots = slots_of(snap, target)
    if slot >= len(slots):
        where = "the master" if target < 0 else f"channel {target}"
        raise InputError(f"{where} has {len(slots)} plugin slot(s) (0-{len(slots) - 1}); "
                         f"/wave/plugin/list {target} shows them" if slots else
                         f"{where} has no plugin; load one with /wave/plugin/load {target} URI")
    return slots[slot]


def with_slots(snap: Snapshot, target: int, slots) -> Snapshot:
    """``snap`` with the plugin slots of ``target`` (channel 0-15, master -1) replaced by ``slots``."""
    if target < 0:
        return replace(snap, master_plugins=tuple(slots))
    strips = list(snap.strips)
    strips[target] = replace(strips[target], plugins=tuple(slots))
    return replace(snap, strips=tuple(strips))


def with_sources(snap: Snapshot, sources: dict, set_name: str, replay: Callable[[int], Iterable]) -> Snapshot:
    """``snap`` with channel ``c`` played by ``sources[c]`` (set ``set_name``); ``replay(c)``: the events
    that bring a new source to the channel's state (program, controllers, bend). The old source rings on
    beside the new one until its notes end (:class:`Retiring`); at most one rings on per channel: older
    ones are released."""
    strips = list(snap.strips)
    for c, src in sources.items():
        for e in replay(c):
            src.send(e)
        old = strips[c]
        for r in old.retiring:
            r.release()
        strips[c] = replace(old, source=src, set_name=set_name, retiring=(*old.retiring, Retiring(old.source)))
    return replace(snap, strips=tuple(strips))


def without_finished(snap: Snapshot, gone: list) -> Snapshot:
    """``snap`` without the retiring sources the audio thread has marked done; they are appended to
    ``gone`` (to be retired by the publisher)."""
    strips = list(snap.strips)
    for i, st in enumerate(strips):
        if any(r.done for r in st.retiring):
            gone.extend(r.source for r in st.retiring if r.done)
            strips[i] = replace(st, retiring=tuple(r for r in st.retiring if not r.done))
    return replace(snap, strips=tuple(strips))


def loaded_bytes(snap: Snapshot) -> int:
    """Estimated memory of the samplers in the graph (each holds its own copy of its set's samples)."""
    total = 0
    for src in snap.sources:
        for _, path in getattr(src, "soundfonts", ()):  # an LV2 instrument source has none
            total += file_size(path)
    return total


class GraphBuilder:
    """Builds graph members and snapshots from names, confined to ``folders``, prepared for
    ``sample_rate`` and ``block``. Loader thread or start-up: loading may take seconds. ``strict``: a
    set, model or plugin of a session that cannot be loaded is an error instead of a warning with
    General MIDI / no model / no plugin in its place."""

    def __init__(self, folders: Folders, sample_rate: int, block: int, gm_soundfont: Path, *,
                 strict: bool = False) -> None:
        self.folders = folders
        self.sample_rate = sample_rate
        self.block = block
        self.gm_soundfont = Path(gm_soundfont)
        self.strict = bool(strict)

    # -- members ----------------------------------------------------------------------------------
    def set_path(self, name: str) -> Path:
        if name == GM:
            return self.gm_soundfont
        return confine(name if name.endswith((".sf2", ".sf3")) else f"{name}.sf2", self.folders.sets,
                       (".sf2", ".sf3"), "set")

    def new_source(self, set_name: str, channel: int, state: dict | None = None):
        """A prepared source for ``channel``: a FluidSynth sampler of set ``set_name`` (reverb and chorus
        off: effects are the graph's), the LV2 instrument of an ``lv2:URI`` name, or the VST3/AU
        instrument of a ``vst3:PATH`` name (``state``: its saved ``state()``, restored before it plays)."""
        from ..engine.fluid import FluidSynthSource

        for prefix in (VST3_SET, LV2_SET):
            if set_name.startswith(prefix):  # an instrument plugin plays the channel instead of a sampler
                name = set_name[len(prefix):]
                if prefix == VST3_SET or is_bundle_path(name):
                    return self.new_vst3_instrument(name, state)
                return self.new_instrument(name, state)
        src = FluidSynthSource([self.set_path(set_name)], sample_rate=self.sample_rate, reverb=False, chorus=False)
        src.route_channel(channel, src.soundfonts[0][0])
        src.prepare(self.sample_rate, self.block, 2)
        return src

    def new_instrument(self, uri: str, state: dict | None = None):
        """A prepared LV2 instrument source for ``uri`` (checked against discovery); ``state`` (its saved
        ``state()``: control values and LV2 state) restored before it plays."""
        from ..plugins.instrument import LV2Instrument
        from ..plugins.lv2 import default_world

        world = default_world()
        src = LV2Instrument(world.info(uri), world=world)
        if state:
            src.restore(dict(state))
        src.prepare(self.sample_rate, self.block, 2)
        return src

    def new_vst3_instrument(self, source: str, state: dict | None = None):
        """A prepared VST3/AU instrument source for bundle ``source`` (``PATH`` or ``PATH#NAME``), confined
        to the plugin folders and probed in a child process first; ``state`` restored before it plays."""
        from ..plugins import vst3, vst3_instrument
        from ..plugins.slots import slot_folders

        path, name = vst3.resolve(source, slot_folders(self.folders.plugins))
        src = vst3_instrument.load(path, name, state=state, sample_rate=self.sample_rate, block=self.block)
        src.source = source
        return src

    def new_plugin(self, source: str):
        """An unprepared slot Processor for an LV2 URI (checked against discovery), an LV2 bundle folder
        inside the plugins folder, or a VST3 (macOS: AU) bundle (:func:`server.plugins.slots.new_slot`;
        the first LV2 call scans the LV2 folders, a VST3 bundle is probed in a child process first)."""
        from ..plugins.slots import new_slot

        return new_slot(source, self.folders.plugins)

    def with_timbre(self, snap: Snapshot, ch: int, model: str, wet: float = 1.0) -> Snapshot:
        """``snap`` with timbre model ``model`` (a ``.ts`` in the models folder; ``""``/``"none"``: no
        model) on channel ``ch``, loaded, measured and warmed up."""
        strips = list(snap.strips)
        if model in ("", "none"):
            strips[ch] = replace(strips[ch], timbre=None, timbre_name="")
        else:
            path = confine(model if model.endswith(".ts") else f"{model}.ts", self.folders.models, (".ts",), "model")
            if not path.is_file():
                raise InputError(f"model {model!r} not found in {self.folders.models}")
            proc = DryWet(load_timbre_model(at_rate(path, self.sample_rate)), wet)
            proc.prepare(self.sample_rate, self.block, 2)  # measures latency and warms the model up
            strips[ch] = replace(strips[ch], timbre=proc, timbre_name=model)
        return replace(snap, strips=tuple(strips))

    # -- a session's graph ------------------------------------------------------------------------
    def initial_snapshot(self, session: Session) -> Snapshot:
        """The graph ``session`` describes: its sets per channel, effect chains, timbre models with their
        latent edits, and plugin slots with their values."""
        strips = []
        for ch in range(16):
            name = session.sets.get(ch, GM)
            try:
                # an instrument plugin's own state, where the session keeps one (channel -> its state())
                src = self.new_source(name, ch, getattr(session, "source_state", {}).get(ch))
            except WaveError as exc:
                if name == GM or self.strict:
                    raise
                log.warning("channel %d: set %r from the session cannot be loaded (%s); playing General MIDI",
                            ch + 1, name, exc)
                name, src = GM, self.new_source(GM, ch)
            fx = EffectChain()
            fx.restore(session.fx.get(ch, {}))
            strips.append(Strip(ch, src, name, fx))
        master = EffectChain()
        master.restore(session.fx.get(-1, {}))
        snap = Snapshot(tuple(strips), master)
        for ch, t in session.timbre.items():
            try:
                snap = self.with_timbre(snap, ch, t.get("model", ""), float(t.get("wet", 1.0)))
                model = snap.strips[ch].timbre.model if snap.strips[ch].timbre is not None else None
                edits = {k: tuple(t[k]) for k in ("bias", "scale") if t.get(k)}
                dims = latent_dims(model) if model is not None else None
                for k, vals in list(edits.items()):
                    if dims is not None and len(vals) > dims:
                        if any(v != (0.0 if k == "bias" else 1.0) for v in vals[dims:]):
                            log.warning("channel %d: the session's timbre %s edits dimensions %d-%d, but model %r "
                                        "has %d; those entries are skipped", ch + 1, k, dims, len(vals) - 1,
                                        t.get("model"), dims)
                        edits[k] = vals[:dims]
                if model is not None and edits and hasattr(model, "set_controls"):
                    model.set_controls(**edits)
            except WaveError as exc:
                if self.strict:
                    raise InputError(f"channel {ch + 1}: timbre model {t.get('model')!r} cannot be loaded: {exc}") \
                        from exc
                log.warning("channel %d: timbre model %r from the session cannot be loaded: %s", ch + 1, t, exc)
        return self.restore_plugins(snap, session)

    def restore_plugins(self, snap: Snapshot, session: Session) -> Snapshot:
        """The session's plugin slots with their control values, instantiated and prepared."""
        for target, saved in sorted(session.plugins.items()):
            if not -1 <= target <= 15:
                continue
            made = []
            for d in saved:
                try:
                    p = self.new_plugin(str(d.get("source") or d.get("uri", "")))
                    p.restore(dict(d.get("values", {})))
                    p.bypass = bool(d.get("bypass", False))
                    p.prepare(self.sample_rate, self.block, 2)
                    made.append(p)
                except WaveError as exc:
                    where = "master" if target < 0 else f"channel {target + 1}"
                    if self.strict:
                        raise InputError(f"{where}: plugin {d.get('uri')!r} cannot be loaded: {exc}") from exc
                    log.warning("%s: plugin %r from the session cannot be loaded: %s", where, d.get("uri"), exc)
            snap = with_slots(snap, target, made)
        return snap
