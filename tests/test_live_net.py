"""The OSC network shell on its own: real loopback sockets (UDP and liblo-framed TCP), a dispatcher with
two addresses, replies routed per sender, notifications from another thread, bind errors."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from pythonosc.osc_message import OscMessage

from server.errors import ConfigError, InputError
from server.live.net import OscNet
from server.live.oscproto import OscDispatcher, encode
from server.live.osctable import BY_ADDRESS
from server.live.routes import MAX_TCP_PACKET, TcpPeer, frame


class Target:
    """The two handlers the routing needs, written as the server's are."""

    def __init__(self) -> None:
        self.net: OscNet | None = None

    def osc_ping(self, sender, token):
        return [("/wave/pong", [token])]

    def osc_reply_to(self, sender, port, host=0):
        if isinstance(sender, TcpPeer):
            raise InputError("/wave/reply_to needs a UDP sender")
        if port and self.net.is_own_port(sender[0], port):
            raise InputError(f"/wave/reply_to {port}: that is this server's own port")
        self.net.set_reply_port(sender, port, host_wide=bool(host))
        return [("/wave/ok", ["/wave/reply_to"])]


@pytest.fixture
def net():
    """An OscNet serving on 127.0.0.1 (free ports) from an asyncio loop on its own thread."""
    target = Target()
    table = {a: BY_ADDRESS[a] for a in ("/wave/ping", "/wave/reply_to")}
    n = target.net = OscNet(OscDispatcher(target, table))
    loop = asyncio.new_event_loop()
    th = threading.Thread(target=loop.run_forever, daemon=True)
    th.start()
    asyncio.run_coroutine_threadsafe(n.open("127.0.0.1", 0, tcp_port=0), loop).result(5)
    n.loop = loop  # for the tests: run something on the net's thread
    yield n
    loop.call_soon_threadsafe(n.close)
    loop.call_soon_threadsafe(loop.stop)
    th.join(5)
    loop.close()


def _on_loop(n: OscNet, fn, *args):
    async def call():
        return fn(*args)

    return asyncio.run_coroutine_threadsafe(call(), n.loop).result(5)


def parse_message(data: bytes):
    m = OscMessage(data)
    return m.address, list(m.params)


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3.0)
    return s


def _recv(s: socket.socket):
    return parse_message(s.recv(65536))


def _tcp(n: OscNet) -> socket.socket:
    s = socket.create_connection(n.tcp_address, timeout=3.0)
    return s


def _recv_frame(s: socket.socket):
    def exactly(k: int) -> bytes:
        b = b""
        while len(b) < k:
            chunk = s.recv(k - len(b))
            if not chunk:
                raise EOFError("connection closed")
            b += chunk
        return b

    size = int.from_bytes(exactly(4), "big")
    return parse_message(exactly(size))


def test_udp_replies_follow_reply_to_and_notifications_come_from_any_thread(net):
    a, listener = _udp(), _udp()
    try:
        a.sendto(encode("/wave/ping", ["x"]), net.udp_address)
        assert _recv(a) == ("/wave/pong", ["x"])
        # replies to this sender now go to the listener's port, the acknowledgement included
        a.sendto(encode("/wave/reply_to", [listener.getsockname()[1]]), net.udp_address)
        assert _recv(listener) == ("/wave/ok", ["/wave/reply_to"])
        a.sendto(encode("/wave/ping", ["y"]), net.udp_address)
        assert _recv(listener) == ("/wave/pong", ["y"])
        # the server's own ports are refused as a reply port
        a.sendto(encode("/wave/reply_to", [net.udp_address[1]]), net.udp_address)
        address, args = _recv(listener)
        assert address == "/wave/error" and "own port" in args[1]
        # a notification from this (non-loop) thread reaches the sender's reply destination
        dest = _on_loop(net, net.reply_dest, a.getsockname())
        assert dest == listener.getsockname()
        assert net.send(dest, "/wave/job", [1, "image", "done", 1.0])
        address, args = _recv(listener)
        assert address == "/wave/job" and args[:3] == [1, "image", "done"] and args[3] == pytest.approx(1.0)
        assert listener.getsockname() in _on_loop(net, net.recent)
    finally:
        a.close()
        listener.close()


def test_tcp_frames_replies_on_the_connection_and_closes_on_an_oversize_packet(net):
    c = _tcp(net)
    try:
        c.sendall(frame(encode("/wave/ping", ["t"])))
        assert _recv_frame(c) == ("/wave/pong", ["t"])
        c.sendall(frame(encode("/wave/reply_to", [9])))  # replies over TCP come back on the connection
        address, args = _recv_frame(c)
        assert address == "/wave/error" and "UDP" in args[1]
        peers = [p for p in _on_loop(net, net.recent) if isinstance(p, TcpPeer)]
        assert [tuple(p) for p in peers] == [c.getsockname()]
        assert net.send(peers[0], "/wave/set/loaded", ["forest", 0])
        assert _recv_frame(c) == ("/wave/set/loaded", ["forest", 0])
        malformed = net.dispatcher.malformed
        c.sendall((MAX_TCP_PACKET + 1).to_bytes(4, "big"))
        address, args = _recv_frame(c)
        assert address == "/wave/error" and "too large" in args[1]
        assert net.dispatcher.malformed == malformed + 1
        assert c.recv(1) == b""  # the server hung up
    finally:
        c.close()


def test_send_while_closed_is_logged_not_sent(caplog):
    n = OscNet(OscDispatcher(Target(), {}))
    assert not n.is_open
    with caplog.at_level("INFO", logger="server.live.net"):
        assert n.send(("127.0.0.1", 9), "/wave/ok", ["x"]) is False
    assert "/wave/ok" in caplog.text


def test_a_busy_port_is_a_config_error_and_nothing_stays_bound():
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    tcp_port = busy.getsockname()[1]
    udp_busy = _udp()
    n = OscNet(OscDispatcher(Target(), {}))

    async def both():
        with pytest.raises(ConfigError, match=rf"udp 127\.0\.0\.1:{udp_busy.getsockname()[1]}.*--osc-port"):
            await n.open("127.0.0.1", udp_busy.getsockname()[1])
        free = _udp()
        port = free.getsockname()[1]
        free.close()
        with pytest.raises(ConfigError, match=rf"tcp 127\.0\.0\.1:{tcp_port}.*--osc-tcp-port"):
            await n.open("127.0.0.1", port, tcp_port=tcp_port)
        return port

    try:
        port = asyncio.run(both())
        assert not n.is_open
        again = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        again.bind(("127.0.0.1", port))  # the UDP socket opened before the TCP failure was released
        again.close()
    finally:
        busy.close()
        udp_busy.close()
