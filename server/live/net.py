"""OSC over the network: one UDP endpoint and an optional TCP one (OSC 1.0 stream framing, liblo's
``osc.tcp``) on the server's asyncio loop.

:class:`OscNet` receives packets, hands them to the dispatcher (``handle_datagram(data, sender) ->
replies``), sends the replies where :class:`~.routes.ReplyRoutes` says (a sender's own socket, the port it
named with ``/wave/reply_to`` while that setting is fresh, a TCP client's connection), and sends
notifications from any thread. It knows nothing of what the messages mean.

Threads: :meth:`open`, :meth:`close`, :meth:`reply_dest`, :meth:`touch`, :meth:`recent` on the asyncio
loop (the control thread); :meth:`send` from any thread.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from ..errors import ConfigError
from .oscproto import encode
from .routes import MAX_TCP_PACKET, ReplyRoutes, TcpPeer, frame

log = logging.getLogger(__name__)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, net: OscNet) -> None:
        self.net = net

    def datagram_received(self, data: bytes, addr) -> None:
        self.net._received(data, addr)

    def error_received(self, exc) -> None:  # e.g. ICMP port unreachable from a gone client
        log.debug("OSC socket: %s", exc)


class OscNet:
    """The server's OSC sockets and where their replies go.

    ``dispatcher``: ``handle_datagram(data, sender) -> [(address, args), ...]``, and a ``malformed``
    counter, raised here for a TCP packet over :data:`~.routes.MAX_TCP_PACKET`.
    ``udp_address`` / ``tcp_address``: the bound ``(host, port)`` once open, else ``None``.
    """

    def __init__(self, dispatcher) -> None:
        self.dispatcher = dispatcher
        self.routes = ReplyRoutes()
        self.udp_address: tuple | None = None
        self.tcp_address: tuple | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None

    # -- life cycle (the loop) -------------------------------------------------------------------
    async def open(self, host: str, port: int, tcp_port: int | None = None) -> None:
        """Listen on udp ``host:port`` (0: any free port) and, with ``tcp_port``, on tcp too. Raises
        :class:`ConfigError` naming the port that cannot be bound; nothing stays open then."""
        loop = asyncio.get_running_loop()
        try:
            udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), local_addr=(host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen for OSC on udp {host}:{port}: {exc.strerror}; "
                              "pick another --osc-port") from exc
        self._loop, self._udp = loop, udp  # datagrams may arrive while the TCP socket opens
        if tcp_port is not None:
            try:
                self._tcp = await asyncio.start_server(self._tcp_client, host, tcp_port)
            except OSError as exc:
                self.close()
                raise ConfigError(f"cannot listen for OSC on tcp {host}:{tcp_port}: {exc.strerror}; "
                                  "pick another --osc-tcp-port") from exc
            self.tcp_address = self._tcp.sockets[0].getsockname()[:2]
        self.udp_address = udp.get_extra_info("sockname")[:2]

    @property
    def is_open(self) -> bool:
        return self._udp is not None

    def close(self) -> None:
        """Stop listening; later :meth:`send` calls are logged and dropped. Open TCP connections end
        when their clients hang up or the loop closes."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        self._udp = self._tcp = None

    # -- routing (the loop) ----------------------------------------------------------------------
    def reply_dest(self, sender):
        """Where replies to ``sender`` go (:meth:`ReplyRoutes.dest`)."""
        return self.routes.dest(sender)

    def touch(self, sender) -> None:
        """Note a client that has just sent something; bounded, oldest forgotten."""
        self.routes.touch(sender)

    def recent(self) -> list:
        """The reply destinations of the clients heard from lately (for broadcasts)."""
        return self.routes.recent()

    def set_reply_port(self, sender, port: int, *, host_wide: bool = False) -> None:
        """``/wave/reply_to``: replies to ``sender`` (its whole host with ``host_wide``) go to ``port``;
        0 clears it (:meth:`ReplyRoutes.set_port`)."""
        self.routes.set_port(sender, port, host_wide=host_wide)

    def is_own_port(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is one of this server's own sockets (a client naming it as its reply
        port would make the server answer itself)."""
        if port not in {a[1] for a in (self.udp_address, self.tcp_address) if a}:
            return False
        try:
            return ipaddress.ip_address(host).is_loopback or host in {a[0] for a in (self.udp_address,) if a}
        except ValueError:
            return True

    # -- sending ---------------------------------------------------------------------------------
    def send(self, dest, address: str, args: list) -> bool:
        """Send one message to ``dest`` (a ``(host, port)`` or a :class:`TcpPeer`) from any thread; when
        the sockets are not open (or ``dest`` is ``None``) it is logged instead and ``False`` returned."""
        loop = self._loop
        if dest is None or loop is None or self._udp is None:
            log.info("notify %s %s", address, args)
            return False
        loop.call_soon_threadsafe(self._sendto, encode(address, args), dest)
        return True

    def _sendto(self, data: bytes, dest) -> None:
        if isinstance(dest, TcpPeer):
            if not dest.writer.is_closing():
                dest.writer.write(frame(data))
        elif self._udp is not None:
            self._udp.sendto(data, dest)

    # -- receiving (the loop) --------------------------------------------------------------------
    def _received(self, data: bytes, addr) -> None:
        self.touch(addr)
        replies = self.dispatcher.handle_datagram(data, addr)
        dest = self.reply_dest(addr)  # after the handlers: a /wave/reply_to is answered at its new port
        udp = self._udp
        for address, args in replies if udp is not None else ():
            try:
                udp.sendto(encode(address, args), dest)
            except (OSError, ValueError) as exc:
                log.warning("reply %s to %s failed: %s", address, dest, exc)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        peer = TcpPeer(host, port, writer)
        self.touch(peer)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(4), "big")
                if size > MAX_TCP_PACKET:
                    self.dispatcher.malformed += 1
                    writer.write(frame(encode("/wave/error", ["?", f"OSC packet of {size} bytes is too large "
                                                             f"(limit {MAX_TCP_PACKET}); closing"])))
                    break
                data = await reader.readexactly(size)
                for address, args in self.dispatcher.handle_datagram(data, peer):
                    writer.write(frame(encode(address, args)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
