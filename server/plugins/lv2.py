"""LV2 plugins: discovery (:class:`World`), descriptions (:class:`PluginInfo`) and a stereo Processor
(:class:`LV2Plugin`) that the live engine and the offline bounce drive alike.

Threads: :class:`World` and everything that instantiates, activates or frees a plugin run on the
control or loader thread (``World`` takes a lock). :meth:`LV2Plugin.process` is the audio thread's
only entry: it applies posted parameter changes (a lock-free inbox), copies the block into buffers
connected once at :meth:`LV2Plugin.prepare`, and calls the plugin's ``run``; it never allocates.

Host features WAVE provides: ``urid:map`` and ``urid:unmap`` (one process-wide table),
``options:options`` (sample rate, min/max/nominal block length), ``buf-size:boundedBlockLength``.
A plugin that requires any other feature is refused with a message naming it.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import threading
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_float, c_uint32, c_void_p
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import lilv as L
from .lilv import LV2_CORE, LV2_Feature, iter_nodes, iter_plugins, lib, node_str

log = logging.getLogger(__name__)

__all__ = ["LV2Plugin", "ParamInfo", "PluginInfo", "PortInfo", "STATE_KEY", "World", "default_world", "urid"]

URID = "http://lv2plug.in/ns/ext/urid#"
OPTIONS = "http://lv2plug.in/ns/ext/options#"
BUF_SIZE = "http://lv2plug.in/ns/ext/buf-size#"
PARAMS = "http://lv2plug.in/ns/ext/parameters#"
WORKER = "http://lv2plug.in/ns/ext/worker#"
MIDI_EVENT = "http://lv2plug.in/ns/ext/midi#MidiEvent"
ATOM = L.ATOM

# Features WAVE passes to every instance, and "features" that are plugin properties the host meets.
PROVIDED = (URID + "map", URID + "unmap", OPTIONS + "options", BUF_SIZE + "boundedBlockLength", WORKER + "schedule")
SATISFIED = frozenset(PROVIDED) | {LV2_CORE + "hardRTCapable", LV2_CORE + "isLive", LV2_CORE + "inPlaceBroken"}
ATOM_CAPACITY = 8192  # bytes of an atom sequence buffer (events a plugin may write per block)
SMOOTH_MS = 10.0  # a continuous parameter's change is ramped over this long (LiveServer/Engine do not smooth)
SMOOTH_STEP = 16  # frames per sub-block while a ramp runs: control ports are read once per run() call
DEFAULT_LV2_PATH = ("~/.lv2", "/usr/local/lib/lv2", "/usr/lib/lv2")
STATE_FLAGS = 1 | 2  # LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE
STATE_KEY = "#state"  # in a slot's saved values: the plugin's own state (LV2 state text)


# -- urid:map / urid:unmap ------------------------------------------------------------------------
_URIDS: dict[str, int] = {}
_URIS: list[ctypes.Array] = [ctypes.create_string_buffer(b"")]  # index = URID (0 is never a URID)
_URID_LOCK = threading.Lock()


def urid(uri: str) -> int:
    """The process-wide URID of ``uri`` (mapped on first use). Any thread."""
    with _URID_LOCK:
        u = _URIDS.get(uri)
        if u is None:
            u = _URIDS[uri] = len(_URIS)
            _URIS.append(ctypes.create_string_buffer(uri.encode()))
        return u


@CFUNCTYPE(c_uint32, c_void_p, c_char_p)
def _map_cb(handle, uri):
    try:
        return urid(uri.decode("utf-8", "replace")) if uri else 0
    except Exception:  # a callback must not raise into C
        return 0


@CFUNCTYPE(c_void_p, c_void_p, c_uint32)
def _unmap_cb(handle, u):
    if 0 < u < len(_URIS):
        return ctypes.addressof(_URIS[u])
    return None


class _Map(ctypes.Structure):
    _fields_ = [("handle", c_void_p), ("map", type(_map_cb))]


class _Unmap(ctypes.Structure):
    _fields_ = [("handle", c_void_p), ("unmap", type(_unmap_cb))]


class _Option(ctypes.Structure):
    _fields_ = [("context", c_uint32), ("subject", c_uint32), ("key", c_uint32), ("size", c_uint32),
                ("type", c_uint32), ("value", c_void_p)]


_URID_MAP = _Map(None, _map_cb)
_URID_UNMAP = _Unmap(None, _unmap_cb)


_WORK_FN = CFUNCTYPE(ctypes.c_int, c_void_p, c_uint32, c_void_p)  # schedule_work and respond: (handle, size, data)


class _Schedule(ctypes.Structure):
    _fields_ = [("handle", c_void_p), ("schedule_work", _WORK_FN)]


class _WorkerInterface(ctypes.Structure):
    _fields_ = [("work", CFUNCTYPE(ctypes.c_int, c_void_p, _WORK_FN, c_void_p, c_uint32, c_void_p)),
                ("work_response", _WORK_FN), ("end_run", c_void_p)]


class _Features:
    """The NULL-terminated ``LV2_Feature*`` array of one instance, and the memory it points into.

    ``worker:schedule`` is met synchronously: a job the plugin schedules during ``run`` is kept (copied),
    and :meth:`_Instance.run` has the plugin do it right after that ``run`` returns, then delivers its
    responses and calls ``end_run``, on the same thread (deterministic, so a bounce is repeatable; the
    work LV2 plugins schedule is loading a table or a file at a setting change)."""

    def __init__(self, sample_rate: int, max_block: int) -> None:
        self.jobs: collections.deque[bytes] = collections.deque()
        self.responses: collections.deque[bytes] = collections.deque()
        self._schedule_cb = _WORK_FN(self._on_schedule)
        self._respond_cb = _WORK_FN(self._on_respond)
        self._schedule_struct = _Schedule(None, self._schedule_cb)
        self._ints = (ctypes.c_int32 * 3)(1, int(max_block), int(max_block))  # min, max, nominal
        self._rate = c_float(float(sample_rate))
        i32, f32 = urid(ATOM + "Int"), urid(ATOM + "Float")
        opts = [(BUF_SIZE + "minBlockLength", i32, ctypes.addressof(self._ints)),
                (BUF_SIZE + "maxBlockLength", i32, ctypes.addressof(self._ints) + 4),
                (BUF_SIZE + "nominalBlockLength", i32, ctypes.addressof(self._ints) + 8),
                (PARAMS + "sampleRate", f32, ctypes.addressof(self._rate))]
        self._opts = (_Option * (len(opts) + 1))()
        for k, (key, typ, addr) in enumerate(opts):
            self._opts[k] = _Option(0, 0, urid(key), 4, typ, addr)  # context 0: LV2_OPTIONS_INSTANCE
        data = {URID + "map": ctypes.addressof(_URID_MAP), URID + "unmap": ctypes.addressof(_URID_UNMAP),
                OPTIONS + "options": ctypes.addressof(self._opts), BUF_SIZE + "boundedBlockLength": None,
                WORKER + "schedule": ctypes.addressof(self._schedule_struct)}
        self._feats = [LV2_Feature(uri.encode(), data[uri]) for uri in PROVIDED]
        self.array = (POINTER(LV2_Feature) * (len(self._feats) + 1))(
            *[ctypes.pointer(f) for f in self._feats], None)

    def _on_schedule(self, handle, size, data) -> int:
        self.jobs.append(ctypes.string_at(data, size) if size else b"")
        return 0  # LV2_WORKER_SUCCESS

    def _on_respond(self, handle, size, data) -> int:
        self.responses.append(ctypes.string_at(data, size) if size else b"")
        return 0


# -- descriptions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortInfo:
    index: int
    symbol: str
    name: str
    kind: str  # "audio", "control", "cv", "atom" or "other"
    output: bool
    lo: float = 0.0
    hi: float = 1.0
    default: float = 0.0
    toggled: bool = False
    integer: bool = False
    enumeration: bool = False
    optional: bool = False
    midi: bool = False  # an atom input that takes MIDI events (an instrument's note input)


ParamInfo = PortInfo  # a parameter is a control input port


@dataclass(frozen=True)
class PluginInfo:
    uri: str
    name: str
    bundle: str  # the bundle folder
    plugin_class: str
    instrument: bool
    ports: tuple[PortInfo, ...]
    latency_port: int | None
    required_features: tuple[str, ...]
    state: bool = False  # the plugin implements the LV2 state extension (state:interface)

    @property
    def unsupported(self) -> tuple[str, ...]:
        return tuple(f for f in self.required_features if f not in SATISFIED)

    @property
    def audio_in(self) -> tuple[PortInfo, ...]:
        return tuple(p for p in self.ports if p.kind == "audio" and not p.output)

    @property
    def audio_out(self) -> tuple[PortInfo, ...]:
        return tuple(p for p in self.ports if p.kind == "audio" and p.output)

    @property
    def params(self) -> tuple[PortInfo, ...]:
        return tuple(p for p in self.ports if p.kind == "control" and not p.output)

    def param(self, name: str) -> PortInfo:
        """A parameter by port symbol (or, failing that, by its display name)."""
        for p in self.params:
            if p.symbol == name:
                return p
        for p in self.params:
            if p.name == name:
                return p
        raise InputError(f"plugin {self.name!r} has no parameter {name!r}; it has "
                         f"{', '.join(p.symbol for p in self.params) or 'none'}")

    def check(self, name: str, value: float) -> tuple[PortInfo, float]:
        p = self.param(name)
        v = float(value)
        if not np.isfinite(v) or v < p.lo or v > p.hi:
            raise InputError(f"{self.name}: {p.symbol}={value!r} is out of range; use {p.lo:g} … {p.hi:g}")
        if p.integer or p.toggled or p.enumeration:
            v = float(round(v))
        return p, v

    def to_dict(self) -> dict:
        return {"uri": self.uri, "name": self.name, "format": "lv2", "bundle": self.bundle,
                "class": self.plugin_class, "instrument": self.instrument,
                "audio_in": len(self.audio_in), "audio_out": len(self.audio_out),
                "latency": self.latency_port is not None, "state": self.state,
                "params": [{k: v for k, v in asdict(p).items() if k not in ("kind", "output", "optional", "midi")}
                           for p in self.params],
                "unsupported_features": list(self.unsupported)}


def _path_of(uri: str) -> str:
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(uri).path)
    return uri


class World:
    """A lilv world: every LV2 plugin found on ``lv2_path`` (default: ``$LV2_PATH``, else
    ~/.lv2, /usr/local/lib/lv2, /usr/lib/lv2). Control/loader threads (methods take a lock)."""

    def __init__(self, lv2_path: str | None = None) -> None:
        self._lib = lib()
        self._lock = threading.RLock()
        self.lv2_path = lv2_path if lv2_path is not None else os.environ.get(
            "LV2_PATH", os.pathsep.join(os.path.expanduser(p) for p in DEFAULT_LV2_PATH))
        self._w = self._lib.world_new()
        self._nodes: dict[str, int] = {}
        path_node = self._lib.new_string(self._w, self.lv2_path.encode())
        self._lib.world_set_option(self._w, b"http://drobilla.net/ns/lilv#lv2-path", path_node)
        self._lib.node_free(path_node)
        self._lib.world_load_all(self._w)
        self._infos: dict[str, PluginInfo] = {}

    def node(self, uri: str):
        """An interned URI node (owned by this World)."""
        n = self._nodes.get(uri)
        if n is None:
            n = self._nodes[uri] = self._lib.new_uri(self._w, uri.encode())
        return n

    def _all(self):
        return self._lib.world_get_all_plugins(self._w)

    def uris(self) -> list[str]:
        with self._lock:
            return sorted(node_str(self._lib.plugin_get_uri(p)) for p in iter_plugins(self._all()))

    def plugins(self) -> list[PluginInfo]:
        """Every plugin that lilv could read, sorted by URI (a plugin whose data does not verify is
        skipped with a warning)."""
        out = []
        for uri in self.uris():
            try:
                out.append(self.info(uri))
            except InputError as exc:
                log.warning("%s", exc)
        return out

    def plugin_ptr(self, uri: str):
        with self._lock:
            p = self._lib.plugins_get_by_uri(self._all(), self.node(uri))
            if not p:
                raise InputError(f"no LV2 plugin {uri!r} is installed (searched {self.lv2_path}); "
                                 "`wave plugins` lists the installed ones")
            return p

    def info(self, uri: str) -> PluginInfo:
        with self._lock:
            info = self._infos.get(uri)
            if info is None:
                info = self._infos[uri] = self._describe(self.plugin_ptr(uri), uri)
            return info

    def load_bundle(self, path: str | os.PathLike[str]) -> list[PluginInfo]:
        """Load one bundle folder (``*.lv2``) and describe the plugins it holds."""
        p = Path(path).resolve()
        if not p.is_dir() or not (p / "manifest.ttl").is_file():
            raise InputError(f"{path}: not an LV2 bundle (a folder with a manifest.ttl)")
        with self._lock:
            before = set(self.uris())
            uri_node = self._lib.new_file_uri(self._w, None, (str(p) + "/").encode())
            self._lib.world_load_bundle(self._w, uri_node)
            self._lib.node_free(uri_node)
            found = []
            for plug in iter_plugins(self._all()):
                b = _path_of(node_str(self._lib.plugin_get_bundle_uri(plug))).rstrip("/")
                if b == str(p):
                    found.append(node_str(self._lib.plugin_get_uri(plug)))
            if not found:
                raise InputError(f"{path}: the bundle holds no readable LV2 plugin (its manifest.ttl or plugin "
                                 "data could not be parsed)")
            log.debug("bundle %s: %d plugin(s), %d new", p, len(found), len(set(found) - before))
            return [self.info(u) for u in sorted(found)]

    def _describe(self, plug, uri: str) -> PluginInfo:
        lb = self._lib
        if not lb.plugin_verify(plug):
            raise InputError(f"LV2 plugin {uri!r}: its data does not verify (a broken or incomplete bundle)")
        name_node = lb.plugin_get_name(plug)
        name = node_str(name_node) or uri
        lb.node_free(name_node)
        klass = node_str(lb.plugin_class_get_uri(lb.plugin_get_class(plug)))
        n = lb.plugin_get_num_ports(plug)
        mins, maxs, defs = (c_float * n)(), (c_float * n)(), (c_float * n)()
        lb.plugin_get_port_ranges_float(plug, mins, maxs, defs)
        nd = self.node
        ports = []
        instrument = klass == LV2_CORE + "InstrumentPlugin"
        for i in range(n):
            midi = False
            port = lb.plugin_get_port_by_index(plug, i)
            output = bool(lb.port_is_a(plug, port, nd(LV2_CORE + "OutputPort")))
            if lb.port_is_a(plug, port, nd(LV2_CORE + "AudioPort")):
                kind = "audio"
            elif lb.port_is_a(plug, port, nd(LV2_CORE + "ControlPort")):
                kind = "control"
            elif lb.port_is_a(plug, port, nd(LV2_CORE + "CVPort")):
                kind = "cv"
            elif lb.port_is_a(plug, port, nd(ATOM + "AtomPort")):
                kind = "atom"
                midi = not output and bool(lb.port_supports_event(plug, port, nd(MIDI_EVENT)))
                instrument = instrument or midi
            else:
                kind = "other"
            pname_node = lb.port_get_name(plug, port)
            pname = node_str(pname_node)
            lb.node_free(pname_node)
            lo, hi, de = float(mins[i]), float(maxs[i]), float(defs[i])
            lo = 0.0 if np.isnan(lo) else lo
            hi = (max(lo, 1.0) if np.isnan(hi) else hi)
            de = min(max(lo if np.isnan(de) else de, lo), hi)

            def has(prop: str, port=port) -> bool:
                return bool(lb.port_has_property(plug, port, nd(LV2_CORE + prop)))

            ports.append(PortInfo(i, node_str(lb.port_get_symbol(plug, port)), pname, kind, output, lo, hi, de,
                                  has("toggled"), has("integer"), has("enumeration"), has("connectionOptional"),
                                  midi))
        latency = int(lb.plugin_get_latency_port_index(plug)) if lb.plugin_has_latency(plug) else None
        feats = lb.plugin_get_required_features(plug)
        required = tuple(node_str(f) for f in iter_nodes(feats)) if feats else ()
        if feats:
            lb.nodes_free(feats)
        bundle = _path_of(node_str(lb.plugin_get_bundle_uri(plug))).rstrip("/")
        state = bool(lb.plugin_has_extension_data(plug, nd(L.STATE + "interface")))
        return PluginInfo(uri, name, bundle, klass, instrument, tuple(ports), latency, required, state)

    def save_state(self, uri: str, inst: _Instance) -> str | None:
        """The instance's own state (what its state:interface saves; port values are not included: the
        slot keeps those) as Turtle text, or None when it saved nothing. Control thread: LV2 allows this
        while the audio thread runs the plugin."""
        lb = self._lib
        with self._lock:
            plug = self.plugin_ptr(uri)
            st = lb.state_new_from_instance(plug, inst.ptr, ctypes.addressof(_URID_MAP), None, None, None, None,
                                            None, None, STATE_FLAGS, ctypes.cast(inst.features.array, c_void_p))
            if not st:
                return None
            try:
                if lb.state_get_num_properties(st) == 0:
                    return None
                text = lb.state_to_string(self._w, ctypes.addressof(_URID_MAP), ctypes.addressof(_URID_UNMAP), st,
                                          b"urn:wave:state", None)
                if not text:
                    return None
                try:
                    return ctypes.string_at(text).decode("utf-8")
                finally:
                    lb.free(text)
            finally:
                lb.state_free(st)

    def restore_state(self, uri: str, inst: _Instance, text: str) -> None:
        """Restore state text from :meth:`save_state` into an instance that is not running (loader
        thread, before it is published: the state restore is in LV2's instantiation class). InputError
        when the text does not parse or is another plugin's."""
        lb = self._lib
        with self._lock:
            st = lb.state_new_from_string(self._w, ctypes.addressof(_URID_MAP), text.encode("utf-8"))
            if not st:
                raise InputError(f"LV2 plugin {uri!r}: the saved state does not parse as an LV2 state")
            try:
                owner = node_str(lb.state_get_plugin_uri(st))
                if owner and owner != uri:
                    raise InputError(f"LV2 plugin {uri!r}: the saved state belongs to {owner!r}")
                lb.state_restore(st, inst.ptr, None, None, STATE_FLAGS, ctypes.cast(inst.features.array, c_void_p))
            finally:
                lb.state_free(st)

    def instantiate(self, uri: str, sample_rate: int, features: _Features):
        """A new ``LilvInstance*`` (free with ``lib().instance_free``); InputError when the plugin refuses."""
        with self._lock:
            plug = self.plugin_ptr(uri)
            inst = self._lib.plugin_instantiate(plug, float(sample_rate), features.array)
        if not inst:
            raise InputError(f"LV2 plugin {uri!r} failed to instantiate at {sample_rate} Hz (its library is "
                             "missing or broken, or it refused the host)")
        return inst


_DEFAULT: World | None = None
_DEFAULT_LOCK = threading.Lock()


def default_world() -> World:
    """The process's World over ``$LV2_PATH`` and the standard folders (built on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = World()
        return _DEFAULT


# -- the Processor ------------------------------------------------------------------------------------
class _Instance:
    """One activated instance with its buffers connected once."""

    def __init__(self, world: World, info: PluginInfo, sample_rate: int, max_block: int) -> None:
        self.features = _Features(sample_rate, max_block)
        self.ptr = world.instantiate(info.uri, sample_rate, self.features)
        desc = self.ptr.contents.lv2_descriptor.contents
        self.handle = self.ptr.contents.lv2_handle
        self._run = desc.run
        self._activate = ctypes.cast(desc.activate, L.HANDLE_FN) if desc.activate else None
        self._deactivate = ctypes.cast(desc.deactivate, L.HANDLE_FN) if desc.deactivate else None
        self._worker = self._end_run = None
        if desc.extension_data:
            ext = ctypes.cast(desc.extension_data, CFUNCTYPE(c_void_p, c_char_p))(f"{WORKER}interface".encode())
            if ext:
                self._worker = ctypes.cast(ext, POINTER(_WorkerInterface)).contents
                end = self._worker.end_run
                self._end_run = ctypes.cast(end, L.HANDLE_FN_INT) if end else None
        n_ports = len(info.ports)
        self.ctrl = np.zeros(max(n_ports, 1), dtype=np.float32)
        for p in info.ports:
            if p.kind == "control":
                self.ctrl[p.index] = p.default
        self.ins = np.zeros((max(len(info.audio_in), 1), max_block), dtype=np.float32)
        self.outs = np.zeros((max(len(info.audio_out), 1), max_block), dtype=np.float32)
        self.cv = np.zeros((n_ports, max_block), dtype=np.float32) if any(p.kind == "cv" for p in info.ports) \
            else None
        atoms = [p for p in info.ports if p.kind == "atom"]
        self.atom = np.zeros((max(len(atoms), 1), ATOM_CAPACITY // 4), dtype=np.uint32)
        self._atom_outs = [self.atom[k, :2] for k, p in enumerate(atoms) if p.output]  # header views
        self._seq, self._chunk = urid(ATOM + "Sequence"), urid(ATOM + "Chunk")
        connect = desc.connect_port
        ai = ao = ak = 0
        self.atom_rows: dict[int, np.ndarray] = {}  # port index -> its sequence buffer (uint32 words)
        for p in info.ports:
            if p.kind == "audio":
                buf = self.outs[ao] if p.output else self.ins[ai]
                ao, ai = (ao + 1, ai) if p.output else (ao, ai + 1)
                addr = buf.ctypes.data
            elif p.kind == "control":
                addr = self.ctrl.ctypes.data + 4 * p.index
            elif p.kind == "cv":
                addr = self.cv[p.index].ctypes.data
            elif p.kind == "atom":
                row = self.atom[ak]
                row[0], row[1] = 8, self._seq  # an empty sequence: body = {unit, pad}
                self.atom_rows[p.index] = row
                ak += 1
                addr = row.ctypes.data
            else:
                addr = None  # an unknown port type: only a connectionOptional one gets here
            connect(self.handle, p.index, addr)
        self.active = False

    def activate(self) -> None:
        if not self.active:
            if self._activate is not None:
                self._activate(self.handle)
            self.active = True

    def deactivate(self) -> None:
        if self.active:
            if self._deactivate is not None:
                self._deactivate(self.handle)
            self.active = False

    def run(self, n: int) -> None:
        for head in self._atom_outs:  # an output sequence's capacity is given afresh before each run
            head[0] = ATOM_CAPACITY - 8
            head[1] = self._chunk
        self._run(self.handle, n)
        if self._worker is not None:
            self.work()

    def work(self) -> None:
        """Do the worker jobs the plugin scheduled, deliver the responses, end the run cycle."""
        f, w = self.features, self._worker
        while f.jobs:
            job = f.jobs.popleft()
            buf = ctypes.create_string_buffer(job, len(job) or 1)
            w.work(self.handle, f._respond_cb, None, len(job), buf)
        while f.responses:
            r = f.responses.popleft()
            buf = ctypes.create_string_buffer(r, len(r) or 1)
            w.work_response(self.handle, len(r), buf)
        if self._end_run is not None:
            self._end_run(self.handle)

    def free(self) -> None:
        if self.ptr:
            self.deactivate()
            lib().instance_free(self.ptr)
            self.ptr = None


def restore_saved(plugin, values: dict) -> None:
    """What :meth:`LV2Plugin.state` (or an LV2 instrument's) saved, into ``plugin``: the LV2 state text under
    :data:`STATE_KEY` is kept for its next instance (``plugin._state_text``), the control values are set with
    ``plugin.set``; a name the plugin no longer has is skipped with a warning."""
    values = dict(values)
    text = values.pop(STATE_KEY, None)
    if isinstance(text, str) and text:
        plugin._state_text = text
    for k, v in values.items():
        try:
            plugin.set(k, v)
        except InputError as exc:
            log.warning("%s", exc)


class LV2Plugin:
    """An LV2 plugin as a stereo Processor (``prepare / process / reset``, ``latency_samples``).

    Channel mapping: a plugin with two audio inputs and outputs gets left and right; a mono plugin (one
    in, one out) runs as two instances, one per side (Carla's "force stereo"); one in and two out gets
    the mid signal; one out and no more goes to both sides. Parameters are its control input ports,
    addressed by symbol (or name). :meth:`set` validates and posts a value from any thread; the audio
    thread applies it at the start of its next block: a toggle, an integer or a choice at once, a continuous
    value ramped linearly over :attr:`smooth_ms` (the plugin then runs in sub-blocks of :data:`SMOOTH_STEP`
    frames with the ramp's values: an LV2 control port is read once per ``run``, and not every plugin
    smooths its own jumps — a gain that jumps clicks). ``smooth_ms = 0`` applies every value at once.
    """

    def __init__(self, plugin: str | PluginInfo, *, world: World | None = None) -> None:
        self.world = world or default_world()
        self.info = plugin if isinstance(plugin, PluginInfo) else self.world.info(plugin)
        info = self.info
        if info.unsupported:
            raise InputError(f"LV2 plugin {info.name!r} ({info.uri}) requires host features WAVE does not provide: "
                             f"{', '.join(info.unsupported)}; WAVE provides {', '.join(PROVIDED)}")
        if not info.audio_out:
            raise InputError(f"LV2 plugin {info.name!r} has no audio output; an insert slot needs an audio effect "
                             "(instrument and MIDI plugins are not hosted in slots)")
        if not info.audio_in:
            raise InputError(f"LV2 plugin {info.name!r} has no audio input (an instrument or generator); insert "
                             "slots take audio effects")
        bad = [p.symbol for p in info.ports if p.kind == "other" and not p.optional]
        if bad:
            raise InputError(f"LV2 plugin {info.name!r} has ports of a type WAVE cannot connect: {', '.join(bad)}")
        self.name = info.name
        self.source = info.uri  # what it was loaded from (a URI, or a bundle folder): saved with the session
        self.values: dict[str, float] = {p.symbol: p.default for p in info.params}  # control thread's view
        self._inbox: collections.deque[tuple[int, float]] = collections.deque()
        self._insts: list[_Instance] = []
        self._config: tuple[int, int] | None = None
        self._out = np.zeros((2, 0), dtype=np.float32)
        self._ramp_out = self._out
        self.latency_samples = 0
        self.max_block = 0
        self.bypass = False  # set by the control side: the slot passes its input through
        self.faulted = ""  # set by the audio thread when the output was non-finite (the slot is bypassed)
        self.overruns = 0  # audio thread: blocks in a row it took longer than the block's duration
        self._state_text: str | None = None  # LV2 state to restore at the next instantiation (restore/reset)
        self.smooth_ms = SMOOTH_MS
        self._continuous = {p.index for p in info.params if not (p.toggled or p.integer or p.enumeration)}
        self._ramps: dict[int, list[float]] = {}  # audio thread: port index -> [from, to, frames done, frames]
        self._sample_rate = 48000

    # -- control / loader thread -------------------------------------------------------------------
    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        """Instantiate (one or two instances), connect, activate, and measure the latency with one
        block of silence. Loader thread; a second call with the same settings does nothing."""
        if self._config == (int(sample_rate), int(max_block)):
            return
        self.close()
        info = self.info
        pair = len(info.audio_in) == 1 and len(info.audio_out) == 1
        self._insts = [_Instance(self.world, info, int(sample_rate), int(max_block)) for _ in range(2 if pair else 1)]
        self._config = (int(sample_rate), int(max_block))
        self._sample_rate = int(sample_rate)
        self._ramps = {}
        self.max_block = int(max_block)
        self._out = np.zeros((2, max_block), dtype=np.float32)
        self._ramp_out = np.zeros((2, max_block), dtype=np.float32)
        for sym, v in self.values.items():
            for inst in self._insts:
                inst.ctrl[info.param(sym).index] = v
        self._restore_state()
        for inst in self._insts:
            inst.activate()
            if inst._worker is not None:
                inst.work()  # jobs the plugin scheduled while restoring (loading a file its state names)
        self._measure_latency()

    def _restore_state(self) -> None:
        """The pending LV2 state into the fresh instances (not running yet); a state that does not apply
        is logged and the control values stand."""
        text = self._state_text
        if not text or not self.info.state:
            return
        try:
            for inst in self._insts:
                self.world.restore_state(self.info.uri, inst, text)
        except InputError as exc:
            log.warning("%s; restoring its control values only", exc)

    def _measure_latency(self) -> None:
        lat = self.info.latency_port
        if lat is None:
            self.latency_samples = 0
            return
        for _ in range(2):  # some plugins (x42 nodelay) take the new setting in at the first run
            for inst in self._insts:
                inst.run(self.max_block)
        self.latency_samples = max(0, int(round(float(self._insts[0].ctrl[lat]))))
        for inst in self._insts:  # start clean
            inst.deactivate()
            inst.ins[:] = 0.0
            inst.activate()

    def set(self, param: str, value: float) -> float:
        """Validate and post a parameter value (any thread); returns the value as it will be applied
        (integers and toggles rounded)."""
        p, v = self.info.check(param, value)
        self.values[p.symbol] = v
        self._inbox.append((p.index, v))
        return v

    def state(self) -> dict:
        """The control values by port symbol and, for a plugin with the LV2 state extension that saved
        something, its state as text under :data:`STATE_KEY`. Control thread."""
        d: dict = dict(self.values)
        text = self.save_state()
        if text:
            d[STATE_KEY] = text
        return d

    def save_state(self) -> str | None:
        """The plugin's own LV2 state (Turtle text) saved through its state:interface now, or the state
        it was restored with while it is not instantiated; None when it has none. Control thread."""
        if not self.info.state:
            return None
        if self._insts:
            return self.world.save_state(self.info.uri, self._insts[0]) or self._state_text
        return self._state_text

    def restore(self, values: dict) -> None:
        """Set saved control values (and the LV2 state under :data:`STATE_KEY`, restored into the plugin
        when it is next instantiated: :meth:`prepare`); a name the plugin no longer has is skipped with
        a warning."""
        restore_saved(self, values)

    def refresh_latency(self) -> int:
        """Control thread: the plugin's latency as its latency port reports it now."""
        lat = self.info.latency_port
        if lat is not None and self._insts:
            self.latency_samples = max(0, int(round(float(self._insts[0].ctrl[lat]))))
        return self.latency_samples

    def close(self) -> None:
        """Deactivate and free the instances (control thread, after the audio thread let go)."""
        insts, self._insts = self._insts, []
        for inst in insts:
            inst.free()
        self._config = None

    # -- audio thread ----------------------------------------------------------------------------------
    def apply_posted(self) -> None:
        inbox = self._inbox
        ramp_frames = int(self.smooth_ms * 1e-3 * self._sample_rate)
        while inbox:
            i, v = inbox.popleft()
            now = float(self._insts[0].ctrl[i]) if self._insts else v
            if ramp_frames > 0 and i in self._continuous and v != now:
                self._ramps[i] = [now, v, 0, ramp_frames]  # a newer value restarts from where it is
            else:
                self._ramps.pop(i, None)
                for inst in self._insts:
                    inst.ctrl[i] = v

    def _step_ramps(self, n: int) -> None:
        """Set each ramping port to its value at the end of the next ``n`` frames (equal steps; the last
        one lands exactly on the target)."""
        done = []
        for i, r in self._ramps.items():
            a, b, k, total = r
            v = b if k + n >= total else a + (b - a) * (k + n) / total
            for inst in self._insts:
                inst.ctrl[i] = v
            r[2] = k + n
            if r[2] >= total:
                done.append(i)
        for i in done:
            del self._ramps[i]

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (2, n) float32 -> (2, n) float32: a view of the plugin's own buffers, valid until the
        next call."""
        if self._inbox:
            self.apply_posted()
        n = block.shape[1]
        if n > self.max_block:
            return np.concatenate([self.process(block[:, i : i + self.max_block]).copy()
                                   for i in range(0, n, self.max_block)], axis=1)
        if not self._ramps:
            return self._run(block, n)
        out = self._ramp_out  # not self._out: _run writes the mono paths' result there at [:, :m]
        pos = 0
        while pos < n:  # while a parameter ramps: sub-blocks, each with the ramp's value
            m = min(SMOOTH_STEP, n - pos) if self._ramps else n - pos
            if self._ramps:
                self._step_ramps(m)
            y = self._run(block[:, pos : pos + m], m)
            out[:, pos : pos + m] = y  # y may be a view of the plugin's buffers: copy before the next run
            pos += m
        return out[:, :n]

    def _run(self, block: np.ndarray, n: int) -> np.ndarray:
        insts = self._insts
        a = insts[0]
        if len(insts) == 2:  # mono plugin, one instance per side
            b = insts[1]
            a.ins[0, :n] = block[0]
            b.ins[0, :n] = block[1]
            a.run(n)
            b.run(n)
            out = self._out
            out[0, :n] = a.outs[0, :n]
            out[1, :n] = b.outs[0, :n]
            return out[:, :n]
        if len(self.info.audio_in) >= 2:
            a.ins[0, :n] = block[0]
            a.ins[1, :n] = block[1]
        else:
            np.add(block[0], block[1], out=a.ins[0, :n])
            a.ins[0, :n] *= 0.5
        a.run(n)
        if len(self.info.audio_out) >= 2:
            return a.outs[:2, :n]
        out = self._out
        out[0, :n] = a.outs[0, :n]
        out[1, :n] = a.outs[0, :n]
        return out[:, :n]

    def reset(self) -> None:
        """Clear the plugin's state: a fresh instance with the current values. Control thread (it
        instantiates; a plugin's deactivate/activate does not reliably clear its state: x42 darc keeps
        its gain)."""
        cfg = self._config
        if cfg is not None:
            self._state_text = self.save_state()  # its settings survive the fresh instance
            self.close()
            self.prepare(*cfg)
