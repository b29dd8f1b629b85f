"""Where the OSC server's replies and notifications go, without sockets: a sender's own socket, or the
port it named with ``/wave/reply_to`` while that setting is fresh; a TCP client's connection; and the
recent clients that get broadcasts (audio faults). Control thread (the asyncio loop)."""

from __future__ import annotations

import asyncio
import collections
import time

REPLY_TTL_S = 600.0  # a /wave/reply_to setting is forgotten after this long without a message from its sender
CLIENT_TTL_S = 60.0  # a client that sent nothing for this long gets no broadcasts (audio faults)
MAX_CLIENTS = 64  # senders remembered for reply_to and broadcasts (oldest forgotten first)
MAX_TCP_PACKET = 1 << 20  # larger OSC packets over TCP close the connection


class TcpPeer(tuple):
    """A TCP client's (host, port), carrying its stream so replies and notifications go back on it."""

    writer: asyncio.StreamWriter

    def __new__(cls, host: str, port: int, writer: asyncio.StreamWriter) -> TcpPeer:
        self = super().__new__(cls, (host, port))
        self.writer = writer
        return self


def frame(packet: bytes) -> bytes:
    """OSC 1.0 stream framing (liblo's ``osc.tcp``): a big-endian int32 size, then the packet."""
    return len(packet).to_bytes(4, "big") + packet


class ReplyRoutes:
    """Reply ports set with ``/wave/reply_to`` (per sender, or per host for one-shot senders such as
    oscsend) and the recent clients; both bounded, oldest forgotten first."""

    def __init__(self) -> None:
        # per sender (host, port), or (host, None) for a whole host: (reply port, time last used)
        self.reply_ports: collections.OrderedDict[tuple, tuple[int, float]] = collections.OrderedDict()
        # recent senders' reply destinations, for broadcasts: dest -> time last seen
        self.clients: collections.OrderedDict[object, float] = collections.OrderedDict()

    def dest(self, sender):
        """Where replies to ``sender`` go: its ``/wave/reply_to`` port on its host while that setting is
        fresh, else its own socket (a TCP peer: its connection)."""
        if sender is None or isinstance(sender, TcpPeer):
            return sender
        key = tuple(sender[:2])
        entry = self.reply_ports.get(key)
        if entry is None:
            key = (sender[0], None)  # a host-wide setting (one-shot senders such as oscsend)
            entry = self.reply_ports.get(key)
            if entry is None:
                return sender
        port, seen = entry
        now = time.monotonic()
        if now - seen > REPLY_TTL_S:
            del self.reply_ports[key]
            return sender
        self.reply_ports[key] = (port, now)
        return (sender[0], port)

    def set_port(self, sender, port: int, *, host_wide: bool = False) -> None:
        """Replies to ``sender`` (to every sender of its host with ``host_wide``) go to ``port`` on its
        host; port 0 clears the setting."""
        key = (sender[0], None) if host_wide else tuple(sender[:2])
        if port:
            self.reply_ports[key] = (port, time.monotonic())
            self.reply_ports.move_to_end(key)
            while len(self.reply_ports) > MAX_CLIENTS:
                self.reply_ports.popitem(last=False)
        else:
            self.reply_ports.pop(key, None)

    def touch(self, sender) -> None:
        """Note a client that has just sent something."""
        if sender is None:
            return
        dest = self.dest(sender)
        now = time.monotonic()
        clients = self.clients
        clients[dest] = now
        clients.move_to_end(dest)
        while len(clients) > MAX_CLIENTS or (clients and now - next(iter(clients.values())) > CLIENT_TTL_S):
            clients.popitem(last=False)

    def recent(self) -> list:
        """The reply destinations of the clients heard from lately."""
        return list(self.clients)
