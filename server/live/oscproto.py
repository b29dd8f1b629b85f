"""OSC parsing, validation against :mod:`server.live.osctable`, and reply encoding. No sockets here.

:class:`OscDispatcher` turns one datagram (bytes) into handler calls and a list of replies; it never
raises for bad input: malformed datagrams, unknown addresses and bad arguments are counted and
answered with ``/wave/error s:address s:message``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket
from pythonosc.parsing.osc_types import ParseError

from ..errors import InputError, WaveError
from .osctable import BY_ADDRESS, MAX_MESSAGES, MAX_REPLIES, REPLY_ADDRESSES, REPLY_TYPES, Address

log = logging.getLogger(__name__)

Reply = tuple[str, list]  # (address, args)


def encode(address: str, args: list, types: str | None = None) -> bytes:
    """An OSC message with only ``i``/``f``/``s``/``b`` arguments (types inferred when not given)."""
    b = OscMessageBuilder(address=address)
    if types is None:
        types = "".join(
            "i" if isinstance(a, (bool, int)) else "f" if isinstance(a, float) else "b" if isinstance(a, bytes)
            else "s" for a in args
        )
    if len(types) != len(args):
        raise ValueError(f"{address}: {len(args)} arguments for types {types!r}")
    for t, a in zip(types, args, strict=True):
        if t not in REPLY_TYPES:
            raise ValueError(f"{address}: reply type {t!r} is not one of i, f, s, b")
        if t == "i":
            a = int(a)
        elif t == "f":
            a = float(a)
        elif t == "s":
            a = str(a)
        b.add_arg(a, t)
    return b.build().dgram


def validate(spec: Address, args: list) -> list:
    """Check count, types and ranges; returns the arguments coerced (defaults filled in)."""
    n = len(args)
    if n < spec.min_args or n > len(spec.args):
        want = " ".join(f"{a.type}:{a.name}" + ("?" if a.optional else "") for a in spec.args) or "no arguments"
        raise InputError(f"{spec.address} takes {want}; got {n} argument(s)")
    out = []
    for i, a in enumerate(spec.args):
        if i >= n:
            out.append(a.default)
            continue
        v = args[i]
        if a.type == "i":
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if isinstance(v, bool) or not isinstance(v, int):
                raise InputError(f"{spec.address}: {a.name} must be an int (i), got {v!r}")
        elif a.type == "f":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InputError(f"{spec.address}: {a.name} must be a float (f), got {v!r}")
            v = float(v)
            if not math.isfinite(v):
                raise InputError(f"{spec.address}: {a.name} must be finite, got {v!r}")
        elif a.type == "s":
            if not isinstance(v, str):
                raise InputError(f"{spec.address}: {a.name} must be a string (s), got {v!r}")
        if a.lo is not None and v < a.lo or a.hi is not None and v > a.hi:
            raise InputError(f"{spec.address}: {a.name}={v!r} is out of range {a.describe_range()}")
        if a.choices and v not in a.choices:
            raise InputError(f"{spec.address}: {a.name}={v!r}; use one of {', '.join(a.choices)}")
        out.append(v)
    return out


class OscDispatcher:
    """Routes validated messages to ``target.<handler>(sender, *args)``; handlers return replies.

    A handler returns ``None`` or a list of ``(address, args)`` replies for the sender; it may raise
    a :class:`WaveError` (answered as ``/wave/error``). Counters: ``malformed``, ``dropped``.
    """

    def __init__(self, target: object, table: dict[str, Address] | None = None) -> None:
        self.target = target
        self.table = table if table is not None else BY_ADDRESS
        self.malformed = 0
        self.dropped = 0  # messages and replies beyond one datagram's budget
        self.ignored = 0  # messages to the server's own reply addresses (never answered)
        self._handlers: dict[str, Callable] = {}
        for addr, spec in self.table.items():
            fn = getattr(target, spec.handler, None)
            if fn is None:
                raise TypeError(f"{type(target).__name__} has no handler {spec.handler} for {addr}")
            self._handlers[addr] = fn

    def _error(self, address: str, msg: str) -> Reply:
        self.malformed += 1
        return ("/wave/error", [address, msg])

    def handle_datagram(self, data: bytes, sender=None) -> list[Reply]:
        try:
            packet = OscPacket(data)
        except ParseError as exc:
            return [self._error("?", f"malformed OSC datagram ({len(data)} bytes): {exc}")]
        except Exception as exc:  # python-osc raises assorted errors on garbage
            return [self._error("?", f"malformed OSC datagram ({len(data)} bytes): {type(exc).__name__}: {exc}")]
        replies: list[Reply] = []
        dropped = 0
        for i, timed in enumerate(packet.messages):
            if i >= MAX_MESSAGES:
                dropped = len(packet.messages) - i
                break
            msg = timed.message
            replies += self.handle_message(msg.address, list(msg.params), sender)
        if len(replies) > MAX_REPLIES:
            self.dropped += len(replies) - MAX_REPLIES
            del replies[MAX_REPLIES - 1:]
            replies.append(("/wave/error", ["?", f"too many replies for one datagram; sent the first "
                                                 f"{MAX_REPLIES - 1}, dropped the rest"]))
        if dropped:
            self.dropped += dropped
            replies.append(("/wave/error", ["?", f"a datagram may hold at most {MAX_MESSAGES} messages; "
                                                 f"handled {MAX_MESSAGES}, dropped {dropped}"]))
        return replies

    def handle_message(self, address: str, args: list, sender=None) -> list[Reply]:
        spec = self.table.get(address)
        if spec is None and address in REPLY_ADDRESSES:
            self.ignored += 1  # another server's (or our own) reply: answering it could start a loop
            return []
        if spec is None:
            hint = (" (OSC address patterns such as * ? [ ] { } are not supported: send each address in full)"
                    if any(c in address for c in "*?[]{}") else "")
            return [self._error(address, f"unknown address {address}{hint}; see docs/osc.md (/wave/ping, "
                                         "/wave/note, ...)")]
        try:
            values = validate(spec, args)
            res = self._handlers[address](sender, *values)
        except WaveError as exc:
            return [self._error(address, str(exc))]
        except Exception as exc:  # a handler bug must not kill the server: report it
            log.exception("handler for %s failed", address)
            return [self._error(address, f"internal error: {type(exc).__name__}: {exc}")]
        return list(res or [])
