"""A small ctypes binding of liblilv-0 (the LV2 reference host library): just what WAVE's plugin host uses.

No maintained Python binding of lilv installs from PyPI, and Debian's ``python3-lilv`` is not in this
distribution, so this module binds the C library directly (Debian ``liblilv-0-0``). Everything here
runs on the control or loader thread; the audio thread only calls the plugin's own ``run`` through
:mod:`server.plugins.lv2`.

Ownership follows lilv's documentation: nodes returned as ``const`` belong to the world and are not
freed; nodes the caller owns (``lilv_new_*``, ``lilv_plugin_get_name``, ``lilv_port_get_name``,
``lilv_plugin_get_required_features``) are freed here right after use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from ctypes import POINTER, c_bool, c_char_p, c_double, c_float, c_uint32, c_void_p

from ..errors import MissingDependencyError

__all__ = ["LV2_DESCRIPTOR", "LilvInstance", "lib"]

LV2_CORE = "http://lv2plug.in/ns/lv2core#"
ATOM = "http://lv2plug.in/ns/ext/atom#"
STATE = "http://lv2plug.in/ns/ext/state#"


class LV2_DESCRIPTOR(ctypes.Structure):
    _fields_ = [
        ("URI", c_char_p),
        ("instantiate", c_void_p),
        ("connect_port", ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_void_p)),
        ("activate", c_void_p),
        ("run", ctypes.CFUNCTYPE(None, c_void_p, c_uint32)),
        ("deactivate", c_void_p),
        ("cleanup", c_void_p),
        ("extension_data", c_void_p),
    ]


class LilvInstance(ctypes.Structure):
    """``struct LilvInstanceImpl`` (public in lilv.h: the instance functions are inline there)."""

    _fields_ = [("lv2_descriptor", POINTER(LV2_DESCRIPTOR)), ("lv2_handle", c_void_p), ("pimpl", c_void_p)]


class LV2_Feature(ctypes.Structure):
    _fields_ = [("URI", c_char_p), ("data", c_void_p)]


HANDLE_FN = ctypes.CFUNCTYPE(None, c_void_p)
HANDLE_FN_INT = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p)  # LV2_Worker_Interface.end_run

# name: (restype, argtypes)
_SIGNATURES = {
    "lilv_world_new": (c_void_p, []),
    "lilv_world_free": (None, [c_void_p]),
    "lilv_world_load_all": (None, [c_void_p]),
    "lilv_world_set_option": (None, [c_void_p, c_char_p, c_void_p]),
    "lilv_new_string": (c_void_p, [c_void_p, c_char_p]),
    "lilv_world_load_bundle": (None, [c_void_p, c_void_p]),
    "lilv_world_get_all_plugins": (c_void_p, [c_void_p]),
    "lilv_new_uri": (c_void_p, [c_void_p, c_char_p]),
    "lilv_new_file_uri": (c_void_p, [c_void_p, c_char_p, c_char_p]),
    "lilv_node_free": (None, [c_void_p]),
    "lilv_node_as_uri": (c_char_p, [c_void_p]),
    "lilv_node_as_string": (c_char_p, [c_void_p]),
    "lilv_node_equals": (c_bool, [c_void_p, c_void_p]),
    "lilv_nodes_begin": (c_void_p, [c_void_p]),
    "lilv_nodes_get": (c_void_p, [c_void_p, c_void_p]),
    "lilv_nodes_next": (c_void_p, [c_void_p, c_void_p]),
    "lilv_nodes_is_end": (c_bool, [c_void_p, c_void_p]),
    "lilv_nodes_free": (None, [c_void_p]),
    "lilv_plugins_size": (c_uint32, [c_void_p]),
    "lilv_plugins_begin": (c_void_p, [c_void_p]),
    "lilv_plugins_get": (c_void_p, [c_void_p, c_void_p]),
    "lilv_plugins_next": (c_void_p, [c_void_p, c_void_p]),
    "lilv_plugins_is_end": (c_bool, [c_void_p, c_void_p]),
    "lilv_plugins_get_by_uri": (c_void_p, [c_void_p, c_void_p]),
    "lilv_plugin_verify": (c_bool, [c_void_p]),
    "lilv_plugin_get_uri": (c_void_p, [c_void_p]),
    "lilv_plugin_get_bundle_uri": (c_void_p, [c_void_p]),
    "lilv_plugin_get_library_uri": (c_void_p, [c_void_p]),
    "lilv_plugin_get_name": (c_void_p, [c_void_p]),
    "lilv_plugin_get_class": (c_void_p, [c_void_p]),
    "lilv_plugin_class_get_uri": (c_void_p, [c_void_p]),
    "lilv_plugin_get_num_ports": (c_uint32, [c_void_p]),
    "lilv_plugin_get_port_by_index": (c_void_p, [c_void_p, c_uint32]),
    "lilv_plugin_get_port_ranges_float": (None, [c_void_p, POINTER(c_float), POINTER(c_float), POINTER(c_float)]),
    "lilv_plugin_has_latency": (c_bool, [c_void_p]),
    "lilv_plugin_get_latency_port_index": (c_uint32, [c_void_p]),
    "lilv_plugin_get_required_features": (c_void_p, [c_void_p]),
    "lilv_plugin_instantiate": (POINTER(LilvInstance), [c_void_p, c_double, c_void_p]),
    "lilv_instance_free": (None, [POINTER(LilvInstance)]),
    "lilv_port_is_a": (c_bool, [c_void_p, c_void_p, c_void_p]),
    "lilv_port_has_property": (c_bool, [c_void_p, c_void_p, c_void_p]),
    "lilv_port_supports_event": (c_bool, [c_void_p, c_void_p, c_void_p]),
    "lilv_port_get_symbol": (c_void_p, [c_void_p, c_void_p]),
    "lilv_port_get_name": (c_void_p, [c_void_p, c_void_p]),
    "lilv_plugin_has_extension_data": (c_bool, [c_void_p, c_void_p]),
    # the state extension (lilv/lilv.h "Plugin State"): save an instance's state as Turtle text, restore it
    "lilv_state_new_from_instance": (c_void_p, [c_void_p, POINTER(LilvInstance), c_void_p, c_char_p, c_char_p,
                                                c_char_p, c_char_p, c_void_p, c_void_p, c_uint32, c_void_p]),
    "lilv_state_new_from_string": (c_void_p, [c_void_p, c_void_p, c_char_p]),
    "lilv_state_to_string": (c_void_p, [c_void_p, c_void_p, c_void_p, c_void_p, c_char_p, c_char_p]),
    "lilv_state_restore": (None, [c_void_p, POINTER(LilvInstance), c_void_p, c_void_p, c_uint32, c_void_p]),
    "lilv_state_get_num_properties": (c_uint32, [c_void_p]),
    "lilv_state_get_plugin_uri": (c_void_p, [c_void_p]),
    "lilv_state_free": (None, [c_void_p]),
    "lilv_free": (None, [c_void_p]),
}


class _Lib:
    """The loaded library with typed functions; ``lib()`` returns the one instance."""

    def __init__(self, path: str) -> None:
        self.path = path
        dll = ctypes.CDLL(path)
        for name, (res, args) in _SIGNATURES.items():
            fn = getattr(dll, name)
            fn.restype, fn.argtypes = res, args
            setattr(self, name[5:], fn)  # lilv_world_new -> world_new, lilv_free -> free


_LIB: _Lib | None = None
_LIB_LOCK = threading.Lock()


def lib() -> _Lib:
    """liblilv-0, loaded on first use; MissingDependencyError naming the package when it is absent."""
    global _LIB
    with _LIB_LOCK:
        if _LIB is None:
            path = ctypes.util.find_library("lilv-0") or "liblilv-0.so.0"
            try:
                _LIB = _Lib(path)
            except (OSError, AttributeError) as exc:
                raise MissingDependencyError(
                    f"LV2 hosting needs liblilv-0 ({exc}); install it: apt-get install liblilv-0-0 "
                    "(scripts/system-packages.txt)") from exc
        return _LIB


def node_str(node) -> str:
    """A lilv node's text (URI or literal), or '' for NULL."""
    if not node:
        return ""
    s = lib().node_as_string(node)
    return s.decode("utf-8", "replace") if s else ""


def iter_nodes(nodes):
    L = lib()
    it = L.nodes_begin(nodes)
    while not L.nodes_is_end(nodes, it):
        yield L.nodes_get(nodes, it)
        it = L.nodes_next(nodes, it)


def iter_plugins(plugins):
    L = lib()
    it = L.plugins_begin(plugins)
    while not L.plugins_is_end(plugins, it):
        yield L.plugins_get(plugins, it)
        it = L.plugins_next(plugins, it)
