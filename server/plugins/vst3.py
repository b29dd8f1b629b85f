"""VST3 plugins (and Audio Units on macOS) through pedalboard's ``load_plugin``: discovery, folder
confinement, and a stereo Processor (:class:`ExternalPlugin`) with the same slot interface as
:class:`server.plugins.lv2.LV2Plugin`, so the live engine and the offline bounce drive both alike.

A plugin is first opened in a child process (:func:`probe`): a bundle that crashes, hangs or fails while
loading is reported as one error there and never takes the server down. Only a plugin that probed
cleanly is loaded into the server's process.

Threads: :func:`probe`, :func:`find_bundles`, :func:`resolve`, construction, :meth:`ExternalPlugin.prepare`,
``set``, ``state``, ``restore``, ``refresh_latency``, ``reset`` and ``close`` run on the control or loader
thread. :meth:`ExternalPlugin.process` is the audio thread's only entry: it applies posted parameter
changes (raw values computed on the control side) and calls pedalboard's ``process`` (which releases the
GIL while the plugin runs).

Parameters are the plugin's automatable parameters, addressed by pedalboard's Python name (``gain_db``)
or by the plugin's display name (``Gain``). Values are in the plugin's own units (dB, Hz, ...); a boolean
is 0/1 and a parameter with named choices takes the choice's index.
"""

from __future__ import annotations

import base64
import binascii
import collections
import concurrent.futures
import json
import logging
import os
import re
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, MissingDependencyError
from .lv2 import STATE_KEY, PluginInfo, PortInfo

log = logging.getLogger(__name__)

__all__ = ["ExternalInfo", "ExternalPlugin", "STATE_KEY", "find_bundles", "probe", "resolve", "standard_folders"]

SUFFIXES = {".vst3": "vst3", ".component": "au"}
# VST3 has no MIDI controller events: a plugin maps each controller to a parameter (IMidiMapping), which
# JUCE fills from the CC events it is given. DPF names them "MIDI Ch. 1 CC 7"; they are not listed.
MIDI_CC_PROXY = re.compile(r"^MIDI Ch\. ?\d+ CC \d+$")
PROBE_TIMEOUT_S = 60.0


def standard_folders() -> list[Path]:
    """The platform's standard VST3 (and, on macOS, Audio Unit) folders, whether they exist or not."""
    home = Path.home()
    if sys.platform == "darwin":
        return [home / "Library/Audio/Plug-Ins/VST3", Path("/Library/Audio/Plug-Ins/VST3"),
                home / "Library/Audio/Plug-Ins/Components", Path("/Library/Audio/Plug-Ins/Components")]
    if sys.platform.startswith("win"):
        common = Path(os.environ.get("COMMONPROGRAMFILES", r"C:\Program Files\Common Files"))
        local = Path(os.environ.get("LOCALAPPDATA", str(home / "AppData" / "Local")))
        return [local / "Programs" / "Common" / "VST3", common / "VST3"]
    return [home / ".vst3", Path("/usr/local/lib/vst3"), Path("/usr/lib/vst3")]


def _is_bundle(p: Path) -> bool:
    return p.suffix.lower() in SUFFIXES and (p.is_dir() or p.is_file())


def find_bundles(extra=()) -> list[Path]:
    """Every ``*.vst3`` (and ``*.component``) bundle under the standard folders and ``extra`` folders,
    resolved and without duplicates (a bundle's own insides are not searched)."""
    seen: dict[Path, None] = {}
    for folder in [*standard_folders(), *(Path(os.path.expanduser(str(e))) for e in extra)]:
        if not folder.is_dir():
            continue
        stack = [folder]
        while stack:
            d = stack.pop()
            try:
                entries = sorted(d.iterdir())
            except OSError as exc:
                log.warning("%s: cannot be listed (%s)", d, exc)
                continue
            for e in entries:
                if _is_bundle(e):
                    seen.setdefault(e.resolve(), None)
                elif e.is_dir() and not e.is_symlink():
                    stack.append(e)
    return sorted(seen)


def split_source(source: str) -> tuple[str, str | None]:
    """``PATH`` or ``PATH#Plugin Name`` (one plugin of a bundle that holds several)."""
    path, sep, name = source.partition("#")
    return path, (name or None) if sep else None


def resolve(source: str, folders) -> tuple[Path, str | None]:
    """The bundle ``source`` names, confined to ``folders`` (a relative name is taken inside the first).
    InputError when it is outside them, has another suffix, or does not exist."""
    path, name = split_source(source)
    if not path or "\x00" in path:
        raise InputError("empty plugin path")
    roots = [Path(os.path.expanduser(str(f))).resolve() for f in folders]
    if not roots:
        raise InputError("no plugin folder is configured")
    p = Path(os.path.expanduser(path))
    p = (p if p.is_absolute() else roots[0] / p).resolve()
    if not any(p.is_relative_to(r) for r in roots):
        raise InputError(f"plugin {path!r} is outside the plugin folders ({', '.join(map(str, roots))}); "
                         "put the bundle in one of them")
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"plugin {path!r} must end with {' or '.join(SUFFIXES)} (an LV2 plugin is named by its "
                         "URI or its .lv2 bundle)")
    if sys.platform != "darwin" and p.suffix.lower() == ".component":
        raise InputError(f"plugin {path!r}: Audio Units are hosted on macOS only")
    if not p.exists():
        raise InputError(f"plugin {path!r} does not exist ({p})")
    return p, name


# -- descriptions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExternalInfo(PluginInfo):
    """A VST3/AU plugin's description: ``uri`` is the bundle path (``#name`` for one plugin of several),
    ``ports`` are its automatable parameters (as control input ports), ``latency`` what it reported at
    load. ``latency_port`` is None: a VST3 plugin has no latency port, and a latency it changes while it
    plays is not seen (JUCE delivers its restart request on a message loop pedalboard does not run); the
    slot reads the latency each time it is prepared."""

    format: str = "vst3"
    plugin_name: str = ""
    latency: int = 0
    manufacturer: str = ""
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # parameter symbol -> its named values
    channels: int = 2  # 2: stereo; 1: a mono plugin (run as two instances, one per side)

    def to_dict(self) -> dict:
        return {"uri": self.uri, "name": self.name, "format": self.format, "bundle": self.bundle,
                "class": self.plugin_class, "instrument": self.instrument, "manufacturer": self.manufacturer,
                "channels": self.channels, "latency": self.latency,
                "params": [{k: v for k, v in asdict(p).items() if k not in ("kind", "output", "optional", "midi")}
                           for p in self.params],
                "unsupported_features": []}

    @classmethod
    def from_dict(cls, d: dict) -> ExternalInfo:
        ports = tuple(PortInfo(kind="control", output=False, **q) for q in d["params"])
        return cls(d["uri"], d["name"], d["bundle"], d["class"], bool(d["instrument"]), ports, None, (),
                   format=d["format"], plugin_name=d.get("plugin_name", ""), latency=int(d["latency"]),
                   manufacturer=d.get("manufacturer", ""),
                   choices=tuple((k, tuple(v)) for k, v in d.get("choices", {}).items()),
                   channels=int(d.get("channels", 2)))


_THREAD: concurrent.futures.ThreadPoolExecutor | None = None
_THREAD_LOCK = threading.Lock()


def on_plugin_thread(fn, *args):
    """Run ``fn(*args)`` on the one thread that loads, prepares, resets and frees VST3/AU plugins in this
    process, and return its result. JUCE (inside pedalboard) takes the first thread that hosts a plugin
    as its message thread and refuses to re-instantiate a plugin on any other; the server loads from
    its loader thread and restores a session from the main thread, so both go through this one."""
    global _THREAD
    with _THREAD_LOCK:
        if _THREAD is None:
            _THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="wave-vst3")
        ex = _THREAD
    if threading.current_thread().name.startswith("wave-vst3"):
        return fn(*args)
    return ex.submit(fn, *args).result()


def _load(path: Path, name: str | None):
    """The pedalboard plugin at ``path`` (in this process, on the plugin thread). InputError when it
    cannot be loaded."""
    return on_plugin_thread(_load_here, path, name)


def _load_here(path: Path, name: str | None):
    try:
        import pedalboard
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise MissingDependencyError(f"VST3 hosting needs pedalboard ({exc}); pip install pedalboard") from exc
    _skip_cc_proxies()
    try:
        if name is None and path.suffix.lower() == ".vst3":
            names = pedalboard.VST3Plugin.get_plugin_names_for_file(str(path))
            if len(names) > 1:
                raise InputError(f"{path} holds {len(names)} plugins; name one as PATH#NAME: {', '.join(names)}")
        return pedalboard.load_plugin(str(path), plugin_name=name)
    except InputError:
        raise
    except Exception as exc:  # pedalboard raises ImportError/RuntimeError/ValueError for a bad bundle
        raise InputError(f"plugin {path} failed to load: {str(exc).strip() or type(exc).__name__}") from exc


def _skip_cc_proxies() -> None:
    """Have pedalboard skip DPF's MIDI-controller stand-ins as it skips JUCE's ("MIDI CC "): it builds a
    Python parameter for every parameter, probing each one's range (a DPF synth has 2,080 of them,
    over a minute of work)."""
    try:
        from pedalboard import _pedalboard
    except ImportError:  # pragma: no cover
        return
    ignored = getattr(_pedalboard, "PARAMETER_NAME_REGEXES_TO_IGNORE", None)
    if isinstance(ignored, set) and MIDI_CC_PROXY not in ignored:
        ignored.add(MIDI_CC_PROXY)


def _params(plug) -> tuple[tuple[PortInfo, ...], dict[str, tuple[str, ...]], dict[str, str]]:
    """(parameters as control ports, named choices per symbol, symbol -> the plugin's parameter name)."""
    ports, choices, names = [], {}, {}
    for sym, q in plug.parameters.items():
        cpp = plug._get_parameter(q.name)
        if cpp is None or not cpp.is_automatable:  # DPF's latency readout and other read-only values
            continue
        if MIDI_CC_PROXY.match(str(q.name)):  # a VST3 synth's stand-ins for MIDI controllers: sent as CC events
            continue
        cur = getattr(plug, sym)
        toggled = integer = enum = False
        if q.type is bool:
            lo, hi, de, toggled = 0.0, 1.0, float(bool(cur)), True
        elif q.type is str:
            vals = tuple(str(v) for v in q.valid_values)
            choices[sym] = vals
            lo, hi, enum = 0.0, float(max(len(vals) - 1, 0)), True
            de = float(vals.index(str(cur))) if str(cur) in vals else 0.0
        else:
            lo, hi = float(q.min_value), float(q.max_value)
            de = round(min(max(float(cur), lo), hi), 5) + 0.0  # -1e-06 as the plugin's text gives 0 dB
            integer = bool(q.step_size) and float(q.step_size) == 1.0
        ports.append(PortInfo(len(ports), sym, str(q.name), "control", False, lo, hi, de, toggled, integer, enum))
        names[sym] = str(q.name)
    return tuple(ports), choices, names


def describe_loaded(plug, path: Path, name: str | None) -> ExternalInfo:
    ports, choices, _ = _params(plug)
    fmt = SUFFIXES.get(path.suffix.lower(), "vst3")
    uri = f"{path}#{name}" if name else str(path)
    # latency is known once the plugin is prepared
    channels = instrument_channels(plug, uri, 48000, 256) if plug.is_instrument else _channels(plug, uri, 48000, 256)
    latency = int(plug.reported_latency_samples)
    return ExternalInfo(uri, str(plug.name), str(path), str(getattr(plug, "category", "") or ""),
                        bool(plug.is_instrument), ports, None, (), format=fmt, plugin_name=name or "",
                        latency=latency, manufacturer=str(getattr(plug, "manufacturer_name", "") or ""),
                        choices=tuple(choices.items()), channels=channels)


def _channels(plug, uri: str, sample_rate: int, block: int) -> int:
    """Prepare ``plug`` with one block of silence, stereo or else mono; the channel count it took."""
    try:
        plug.process(np.zeros((2, block), dtype=np.float32), float(sample_rate), block, reset=True)
        return 2
    except Exception as exc:
        stereo_error = exc
    try:
        plug.process(np.zeros((1, block), dtype=np.float32), float(sample_rate), block, reset=True)
        return 1
    except Exception:
        raise InputError(f"plugin {uri} cannot process stereo or mono audio: {stereo_error}") from stereo_error


def instrument_channels(plug, uri: str, sample_rate: int, block: int) -> int:
    """Prepare instrument ``plug`` with one empty block (no MIDI), stereo or else mono; the channel count
    it took. Without pedalboard's reset: for a plugin whose voices outlive a reset, that re-creates the
    plugin from its saved state, which is slow, and which DPF-built plugins do not always survive."""
    errors = []
    for ch in (2, 1):
        try:
            plug([], duration=(block + 0.5) / sample_rate, sample_rate=float(sample_rate), num_channels=ch,
                 buffer_size=block, reset=False)
            return ch
        except Exception as exc:
            errors.append(exc)
    raise InputError(f"instrument {uri} cannot render stereo or mono audio: {errors[0]}") from errors[0]


_PROBED: dict[tuple, ExternalInfo] = {}
_PROBE_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple:
    try:
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        return tuple(sorted((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    except OSError as exc:
        raise InputError(f"plugin {path}: {exc.strerror or exc}") from exc


def _child(args: list[str], path: Path, timeout: float) -> dict:
    """Run ``python -m server.plugins.vst3 ARGS`` and return its JSON answer; InputError naming the bundle
    when it failed, crashed or ran past ``timeout`` seconds."""
    cmd = [sys.executable, "-m", "server.plugins.vst3", *args]
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(root))
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"plugin {path} did not finish loading within {timeout:g} s (refused)") from exc
    if r.returncode < 0:
        raise InputError(f"plugin {path} crashed while loading (signal {-r.returncode}); refused")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    try:
        d = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        d = {}
    if r.returncode != 0 or "error" in d or not d:
        why = d.get("error") or (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise InputError(why if str(path) in why else f"plugin {path}: {why}")
    return d


def probe(path: Path, name: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> ExternalInfo:
    """Describe one plugin of a bundle (``name``: one of several) by loading it in a child process,
    cached by path and the bundle files' sizes and times (a rebuilt library is probed again).
    InputError naming the bundle when the child fails, crashes or runs past ``timeout`` seconds."""
    path = Path(path)
    key = (str(path), name, _stamp(path))
    with _PROBE_LOCK:
        if key in _PROBED:
            return _PROBED[key]
    info = ExternalInfo.from_dict(_child([str(path)] + ([name] if name else []), path, timeout))
    with _PROBE_LOCK:
        _PROBED[key] = info
    return info


def probe_all(path: Path, timeout: float = PROBE_TIMEOUT_S) -> list[ExternalInfo]:
    """Every plugin of a bundle, described in one child process (the bundle's names are read there
    too: reading them loads its library)."""
    path = Path(path)
    return [ExternalInfo.from_dict(d) for d in _child(["--all", str(path)], path, timeout)["plugins"]]


def discover(extra=(), workers: int = 4) -> list[dict]:
    """``wave plugins`` rows for every bundle found (one per plugin; a bundle that fails is one row with
    its ``error``), probed ``workers`` at a time."""

    def one(b: Path) -> list[dict]:
        try:
            return [i.to_dict() for i in probe_all(b)]
        except InputError as exc:
            return [{"uri": str(b), "name": b.stem, "format": SUFFIXES.get(b.suffix.lower(), "vst3"),
                     "bundle": str(b), "error": str(exc)}]

    bundles = find_bundles(extra)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, len(bundles)))) as ex:
        return [row for rows in ex.map(one, bundles) for row in rows]


# -- the Processor ------------------------------------------------------------------------------------
class ExternalPlugin:
    """A VST3/AU plugin as a stereo Processor with the LV2 slot interface (``prepare / process / reset``,
    ``latency_samples``, ``set``, ``values``, ``state``/``restore``, ``bypass``, ``faulted``, ``close``).

    Construct it with a resolved bundle path (see :func:`resolve`); it is probed in a child process first
    unless ``info`` is given. ``state()`` holds the control values and, under :data:`STATE_KEY`, the
    plugin's own state (``raw_state``, base64): restoring that reproduces what the values cannot (a
    plugin's internal settings), and the values are the fallback when the state does not apply."""

    plays_midi = False  # an insert slot: instruments are refused (server.plugins.vst3_instrument plays them)

    def __init__(self, path: str | os.PathLike[str], name: str | None = None, *, info: ExternalInfo | None = None,
                 probe_first: bool = True) -> None:
        path = Path(path)
        self.info = info or (probe(path, name) if probe_first else None)
        self._plugin = _load(path, name)
        self._twin = None  # a mono plugin's second instance (the right side)
        self._path, self._plugin_name = path, name
        if self.info is None:
            self.info = describe_loaded(self._plugin, path, name)
        if self.info.instrument and not self._plugin.is_effect and not self.plays_midi:
            raise InputError(f"plugin {self.info.name!r} is an instrument; insert slots take audio effects "
                             "(an instrument plays a channel: /wave/plugin/instrument)")
        _, self._choices, self._cpp_names = _params(self._plugin)
        self.name = self.info.name
        self.source = self.info.uri
        self.values: dict[str, float] = {p.symbol: p.default for p in self.info.params}
        self._inbox: collections.deque[tuple[str, float]] = collections.deque()
        self._pending_state: bytes | None = None
        self._config: tuple[int, int] | None = None
        self.sample_rate = 48000
        self.max_block = 0
        self.latency_samples = int(self.info.latency)
        self.bypass = False
        self.faulted = ""
        self.overruns = 0

    # -- control / loader thread -------------------------------------------------------------------
    def _raw(self, symbol: str, v: float) -> float:
        q = self._plugin.parameters[symbol]
        if symbol in self._choices:
            return float(q.get_raw_value_for(self._choices[symbol][int(v)]))
        if q.type is bool:
            return float(q.get_raw_value_for(bool(v)))
        # the plugin's own text parser is exact; pedalboard's mapping snaps to its 1/1000 raw grid. Trust the
        # parser when its raw value reads back as the value asked for.
        cpp = self._plugin._get_parameter(self._cpp_names[symbol])
        try:
            raw = float(cpp.get_raw_value_for_text(repr(float(v))))
            back = float(str(cpp.get_text_for_raw_value(raw)).split()[0])
            lo, hi = float(q.min_value), float(q.max_value)
            if 0.0 <= raw <= 1.0 and abs(back - v) <= max(1e-3 * (hi - lo), float(q.step_size or 0.0), 1e-6):
                return raw
        except (ValueError, IndexError, TypeError, AttributeError):
            pass
        return float(q.get_raw_value_for(float(v)))

    def set(self, param: str, value: float) -> float:
        """Validate and post a value (control thread: the plugin converts it to its raw value)."""
        p, v = self.info.check(param, value)
        try:
            raw = self._raw(p.symbol, v)
        except ValueError as exc:
            raise InputError(f"{self.name}: {p.symbol}={value!r}: {exc}") from exc
        self.values[p.symbol] = v
        self._inbox.append((self._cpp_names[p.symbol], raw))
        return v

    def state(self) -> dict:
        """The control values by symbol, and the plugin's own state under :data:`STATE_KEY`."""
        d: dict = dict(self.values)
        try:
            raw = bytes(self._plugin.raw_state)
        except Exception as exc:  # a plugin that cannot save: the values are what is kept
            log.warning("%s: its state cannot be read (%s); saving the control values only", self.name, exc)
            return d
        # values posted but not applied yet may lag in the blob: restore() sets the values after it
        d[STATE_KEY] = base64.b64encode(raw).decode("ascii")
        return d

    def restore(self, values: dict) -> None:
        """Saved values (and state) from :meth:`state`, before the slot is prepared (loader thread): the
        plugin's state first, then the values (they win where both name a parameter, and are what
        remains when the state does not load)."""
        values = dict(values)
        blob = values.pop(STATE_KEY, None)
        if isinstance(blob, str) and blob:
            try:
                self._pending_state = base64.b64decode(blob.encode("ascii"), validate=True)
            except (binascii.Error, ValueError):
                log.warning("%s: the saved state is not base64; restoring the control values only", self.name)
        given = {}
        for k, v in values.items():
            try:
                given[self.info.param(k).symbol] = self.set(k, v)
            except InputError as exc:
                log.warning("%s", exc)
        if self._config is None and self._apply_state():
            self.values.update(self._read_values())
            self.values.update(given)

    def _apply_state(self) -> bool:
        blob, self._pending_state = self._pending_state, None
        if blob is None:
            return False
        try:
            self._plugin.raw_state = blob
            if self._twin is not None:
                self._twin.raw_state = blob
        except Exception as exc:
            log.warning("%s: the saved state does not load (%s); restoring the control values only", self.name, exc)
            return False
        finally:
            self._apply_posted()  # the saved values after the state (they agree when both were saved)
        return True

    def _read_values(self) -> dict[str, float]:
        """The parameters' values as the plugin holds them now (control thread, before it plays)."""
        out = {}
        for p in self.info.params:
            try:
                cur = getattr(self._plugin, p.symbol)
                if p.symbol in self._choices:
                    out[p.symbol] = float(self._choices[p.symbol].index(str(cur)))
                elif p.toggled:
                    out[p.symbol] = float(bool(cur))
                else:
                    out[p.symbol] = round(min(max(float(cur), p.lo), p.hi), 5) + 0.0
            except (AttributeError, ValueError, TypeError, RuntimeError):
                continue
        return out

    def prepare(self, sample_rate: int, max_block: int, channels: int = 2) -> None:
        """Prepare the plugin for ``sample_rate`` and blocks up to ``max_block`` (one block of silence)
        and read its latency. Loader thread; a second call with the same settings does nothing."""
        if self._config == (int(sample_rate), int(max_block)):
            return
        self.sample_rate, self.max_block = int(sample_rate), int(max_block)
        self._apply_state()
        self._apply_posted()
        on_plugin_thread(self._prepare_here)
        self._config = (self.sample_rate, self.max_block)

    def _prepare_here(self) -> None:
        plug = self._plugin
        channels = _channels(plug, repr(self.name), self.sample_rate, self.max_block)
        if channels == 1 and self._twin is None:  # Carla's "force stereo": one more instance, same settings
            twin = _load_here(self._path, self._plugin_name)
            try:
                twin.raw_state = plug.raw_state
            except Exception as exc:  # its parameters still follow: every posted value goes to both
                log.warning("%s: the second (right) instance did not take the first's state: %s", self.name, exc)
            for cpp_name in self._cpp_names.values():
                q = twin._get_parameter(cpp_name)
                if q is not None:
                    q.raw_value = plug._get_parameter(cpp_name).raw_value
            self._twin = twin
        if self._twin is not None:
            _channels(self._twin, repr(self.name), self.sample_rate, self.max_block)
            self._twin.reset()
        plug.reset()
        self.latency_samples = max(0, int(plug.reported_latency_samples))

    def refresh_latency(self) -> int:
        """Control thread: the latency the plugin reports now."""
        if self._config is not None:
            self.latency_samples = max(0, int(self._plugin.reported_latency_samples))
        return self.latency_samples

    def reset(self) -> None:
        """Clear the plugin's audio state (tails, delay lines); its settings stay. Control thread, while
        the audio thread does not run it (a faulted or removed slot)."""
        self._apply_posted()
        on_plugin_thread(self._plugin.reset)
        if self._twin is not None:
            on_plugin_thread(self._twin.reset)

    def close(self) -> None:
        """Free the plugin (control thread, after the audio thread let go; freed on the plugin thread)."""
        plugs = [p for p in (self._plugin, self._twin) if p is not None]
        self._plugin = self._twin = None
        self._config = None
        if plugs:
            on_plugin_thread(_drop, plugs)

    # -- audio thread ------------------------------------------------------------------------------
    def _apply_posted(self) -> None:
        inbox, plug, twin = self._inbox, self._plugin, self._twin
        while inbox:
            cpp_name, raw = inbox.popleft()
            q = plug._get_parameter(cpp_name)
            if q is not None:
                q.raw_value = raw
            if twin is not None:
                q = twin._get_parameter(cpp_name)
                if q is not None:
                    q.raw_value = raw

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (2, n) float32 -> (2, n) float32 (a new array)."""
        if self._inbox:
            self._apply_posted()
        n = block.shape[1]
        if self._twin is not None:  # a mono plugin: one instance per side
            sr, mb = float(self.sample_rate), self.max_block
            left = self._plugin.process(block[0:1], sr, mb, reset=False)
            right = self._twin.process(block[1:2], sr, mb, reset=False)
            out = np.zeros((2, n), dtype=np.float32)
            out[0, n - left.shape[1] :] = left[0, max(left.shape[1] - n, 0) :]
            out[1, n - right.shape[1] :] = right[0, max(right.shape[1] - n, 0) :]
            return out
        out = self._plugin.process(block, float(self.sample_rate), self.max_block, reset=False)
        if out.shape[1] != n or out.shape[0] != 2:
            # pedalboard trims a latent plugin's first output samples after a reset (its offline latency
            # compensation): put them back as silence so the stream keeps its length and its delay, which
            # the engine compensates. A mono output goes to both sides.
            full = np.zeros((2, n), dtype=np.float32)
            m = min(out.shape[1], n)
            full[:, n - m :] = out[:, out.shape[1] - m :]
            out = full
        return out


def _drop(refs: list) -> None:
    refs.clear()  # the last reference goes here, on the plugin thread


def _describe_dict(path: Path, name: str | None) -> dict:
    info = on_plugin_thread(describe_loaded, _load(path, name), path, name)
    d = info.to_dict()
    d["plugin_name"] = info.plugin_name
    d["choices"] = {k: list(v) for k, v in info.choices}
    return d


def _main(argv: list[str]) -> int:
    """The probe: ``python -m server.plugins.vst3 PATH [NAME]`` describes one plugin, ``--all PATH`` every
    plugin of the bundle (``{"plugins": [...]}``), as one JSON line; ``{"error": ...}`` and status 1 when
    it cannot be loaded."""
    try:
        if argv[0] == "--all":
            path = Path(argv[1])
            names: list[str | None] = [None]
            if path.suffix.lower() == ".vst3":
                import pedalboard

                try:
                    found = on_plugin_thread(pedalboard.VST3Plugin.get_plugin_names_for_file, str(path))
                except Exception as exc:
                    raise InputError(f"plugin {path} failed to load: {str(exc).strip() or type(exc).__name__}") \
                        from exc
                names = [None] if len(found) <= 1 else list(found)
            print(json.dumps({"plugins": [_describe_dict(path, n) for n in names]}), flush=True)
        else:
            print(json.dumps(_describe_dict(Path(argv[0]), argv[1] if len(argv) > 1 else None)), flush=True)
        return 0
    except InputError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
