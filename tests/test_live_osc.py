"""OSC table, parsing, validation and replies: raw datagram bytes in, decoded replies out, no sockets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pythonosc.osc_message import OscMessage

from server.errors import InputError
from server.live import osctable
from server.live.drivers import PacedDriver
from server.live.oscproto import OscDispatcher, encode, validate
from server.live.server import Folders, LiveServer, confine

REPO = Path(__file__).resolve().parent.parent

# Hand-assembled datagrams (OSC 1.0: address, type tags, big-endian args, each padded to 4 bytes).
PING_HI = b"/wave/ping\x00\x00" + b",s\x00\x00" + b"hi\x00\x00"
NOTE_A4 = b"/wave/note\x00\x00" + b",iii\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00E" + b"\x00\x00\x00d"
# the same note with the pitch as a float 69.0 (Max sends floats from flonum boxes)
NOTE_F = b"/wave/note\x00\x00" + b",ifi\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + b"\x42\x8a\x00\x00" + b"\x00\x00\x00d"
BUNDLE = (b"#bundle\x00" + b"\x00\x00\x00\x00\x00\x00\x00\x01"
          + len(PING_HI).to_bytes(4, "big") + PING_HI + len(NOTE_A4).to_bytes(4, "big") + NOTE_A4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live_osc")
    folders = Folders(sets=tmp / "sets", models=tmp / "models", midi=tmp / "midi", recordings=tmp / "rec",
                      images=tmp / "img")
    for p in (folders.sets, folders.models, folders.midi, folders.images):
        p.mkdir()
    s = LiveServer(PacedDriver(), sample_rate=48000, block=512, folders=folders, session_path=tmp / "s.json")
    yield s
    s.shutdown()


def test_raw_bytes_match_builder():
    assert encode("/wave/ping", ["hi"]) == PING_HI
    assert encode("/wave/note", [0, 69, 100]) == NOTE_A4


def test_ping_pong_from_raw_datagram(server):
    assert server.dispatcher.handle_datagram(PING_HI, ("127.0.0.1", 5555)) == [("/wave/pong", ["hi"])]
    # default token when the argument is left out
    assert server.dispatcher.handle_datagram(encode("/wave/ping", []), None) == [("/wave/pong", [""])]


def test_note_reaches_the_synth(server):
    inbox = server.engine.snapshot.strips[0].source._inbox
    n0 = len(inbox)
    assert server.dispatcher.handle_datagram(NOTE_A4, None) == []
    assert server.dispatcher.handle_datagram(NOTE_F, None) == []  # integral float accepted for an int
    evs = list(inbox)[n0:]
    assert [(e.channel, e.a, e.b) for e in evs] == [(0, 69, 100), (0, 69, 100)]
    inbox.clear()


def test_bundle_dispatches_every_message(server):
    replies = server.dispatcher.handle_datagram(BUNDLE, None)
    assert replies == [("/wave/pong", ["hi"])]
    server.engine.snapshot.strips[0].source._inbox.clear()


@pytest.mark.parametrize(
    "data, where, words",
    [
        (b"garbage", "?", "malformed"),
        (b"", "?", "malformed"),
        (PING_HI[:-3], "?", "malformed"),  # truncated argument
        (encode("/wave/nope", [1]), "/wave/nope", "unknown address"),
        (encode("/wave/note", [0, 128, 10]), "/wave/note", "out of range"),
        (encode("/wave/note", [16, 60, 10]), "/wave/note", "channel=16"),
        (encode("/wave/note", [0, 60.5, 10]), "/wave/note", "must be an int"),
        (encode("/wave/note", [0, 60]), "/wave/note", "got 2 argument"),
        (encode("/wave/note", ["a", 60, 1]), "/wave/note", "must be an int"),
        (encode("/wave/fx/set", [0, "reverb", "room_size", 3.0]), "/wave/fx/set", "out of range"),
        (encode("/wave/fx/set", [0, "wah", "x", 0.5]), "/wave/fx/set", "unknown effect"),
        (encode("/wave/midi/play", ["../../etc/passwd.mid"]), "/wave/midi/play", "outside"),
        (encode("/wave/record/start", ["/tmp/x.wav"]), "/wave/record/start", "outside"),
        (encode("/wave/set/load", ["nosuchset"]), "/wave/set/load", "not found"),
        (encode("/wave/timbre/mix", [3, 0.5]), "/wave/timbre/mix", "no timbre model"),
    ],
)
def test_bad_input_is_counted_and_answered(server, data, where, words):
    before = server.dispatcher.malformed
    replies = server.dispatcher.handle_datagram(data, ("127.0.0.1", 9))
    assert len(replies) == 1
    address, args = replies[0]
    assert address == "/wave/error" and args[0] == where
    assert words in args[1], args[1]
    assert server.dispatcher.malformed == before + 1


def test_error_replies_are_valid_osc_with_only_s(server):
    (addr, args), = server.dispatcher.handle_datagram(b"\x00\x01\x02", None)
    msg = OscMessage(encode(addr, args))
    assert msg.address == "/wave/error" and all(isinstance(a, str) for a in msg.params)


def test_status_reply_types(server):
    (addr, args), = server.dispatcher.handle_datagram(encode("/wave/status", []), None)
    spec = next(r for r in osctable.BY_ADDRESS["/wave/status"].replies if r.address == addr)
    raw = encode(addr, args)
    assert raw.split(b"\x00")[0] == b"/wave/status"
    assert ("," + spec.types).encode() in raw  # inferred type tags match the table's declaration
    assert args[0] == 48000 and args[1] == 512


def test_fx_list_and_set(server):
    server.dispatcher.handle_datagram(encode("/wave/fx/set", [2, "lowpass", "cutoff_frequency_hz", 800]), None)
    replies = server.dispatcher.handle_datagram(encode("/wave/fx/list", [2]), None)
    row = next(a for addr, a in replies if a[1] == "lowpass" and a[2] == "cutoff_frequency_hz")
    assert row[5] == 800.0 and row[6] == 1.0  # value set, effect switched on
    for _addr, a in replies:
        OscMessage(encode("/wave/fx/param", a, "issffff"))  # encodable with the declared types


def test_every_address_has_a_handler_and_reply_types_are_max_safe(server):
    OscDispatcher(server)  # raises if any handler is missing
    for a in osctable.TABLE:
        assert a.address.startswith("/wave/")
        for r in a.replies:
            assert set(r.types) <= set("ifsb")
        for arg in a.args:
            assert arg.type in "ifs"
    with pytest.raises(ValueError, match="only i, f, s, b"):
        osctable.Reply("/x", "ih", "bad")
    with pytest.raises(ValueError):
        encode("/x", [True], "T")


def test_validate_fills_defaults():
    assert validate(osctable.BY_ADDRESS["/wave/set/load"], ["gm"]) == ["gm", -1]
    with pytest.raises(InputError, match="channel=-2"):
        validate(osctable.BY_ADDRESS["/wave/set/load"], ["gm", -2])


def test_confine(tmp_path):
    (tmp_path / "a.mid").write_bytes(b"")
    assert confine("a.mid", tmp_path, (".mid",), "MIDI file") == (tmp_path / "a.mid").resolve()
    for bad in ("../a.mid", "/etc/passwd", "sub/../../a.mid"):
        with pytest.raises(InputError, match="outside|must end"):
            confine(bad, tmp_path, (".mid",), "MIDI file")
    with pytest.raises(InputError, match="must end with .mid"):
        confine("a.wav", tmp_path, (".mid",), "MIDI file")


def test_docs_osc_md_is_up_to_date():
    doc = (REPO / "docs" / "osc.md").read_text()
    assert doc == osctable.markdown(), "regenerate: python -m server.live.osctable > docs/osc.md"
    for a in osctable.TABLE:
        assert f"`{a.address}`" in doc


def _bundle(*messages: bytes) -> bytes:
    return b"#bundle\x00" + b"\x00" * 7 + b"\x01" + b"".join(len(m).to_bytes(4, "big") + m for m in messages)


def test_a_reply_address_is_never_answered(server):
    """A server pointed at itself (or at another server) must not answer replies with errors."""
    d = server.dispatcher
    ignored = d.ignored
    for address, args in (("/wave/error", ["?", "x"]), ("/wave/pong", ["t"]), ("/wave/ok", ["/wave/panic"]),
                          ("/wave/status", [1, 2])):
        replies = d.handle_datagram(encode(address, args), ("127.0.0.1", 5555))
        if address == "/wave/status":  # a request address too: its reply is legitimate
            continue
        assert replies == [], address
    assert d.ignored == ignored + 3


def test_one_bundle_is_handled_within_a_budget(server):
    d = server.dispatcher
    dropped = d.dropped
    fx_list = encode("/wave/fx/list", [0])
    replies = d.handle_datagram(_bundle(*[fx_list] * 600), ("127.0.0.1", 5555))
    assert len(replies) <= osctable.MAX_REPLIES + 1
    assert replies[-1][0] == "/wave/error" and "dropped" in replies[-1][1][1]
    assert d.dropped - dropped >= 600 - osctable.MAX_MESSAGES
    # a small bundle is untouched
    assert d.handle_datagram(_bundle(PING_HI, PING_HI), None) == [("/wave/pong", ["hi"])] * 2


def test_reply_to_is_per_sender_and_refuses_the_servers_own_port(server):
    a, b = ("127.0.0.1", 40001), ("127.0.0.1", 40002)
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [9001]), a)
    assert server.reply_dest(a) == ("127.0.0.1", 9001)
    assert server.reply_dest(b) == b  # another client on the same host keeps its own socket
    server.osc_address = ("127.0.0.1", 9000)
    try:
        (addr, args), = server.dispatcher.handle_datagram(encode("/wave/reply_to", [9000]), b)
        assert addr == "/wave/error" and "own port" in args[1]
        assert server.reply_dest(b) == b
    finally:
        server.osc_address = None
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [0]), a)
    assert server.reply_dest(a) == a


def test_reply_to_expires_when_its_sender_goes_quiet(server, monkeypatch):
    import server.live.routes as routes

    a = ("127.0.0.1", 40003)
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [9002]), a)
    assert server.reply_dest(a) == ("127.0.0.1", 9002)
    monkeypatch.setattr(routes, "REPLY_TTL_S", -1.0)
    assert server.reply_dest(a) == a


def test_reply_to_for_a_whole_host_serves_one_shot_senders(server):
    """oscsend opens a new socket per message: `/wave/reply_to PORT 1` covers every sender of its host
    that has no setting of its own."""
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [9003, 1]), ("127.0.0.2", 40010))
    assert server.reply_dest(("127.0.0.2", 40011)) == ("127.0.0.2", 9003)
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [9004]), ("127.0.0.2", 40012))
    assert server.reply_dest(("127.0.0.2", 40012)) == ("127.0.0.2", 9004)  # its own setting wins
    assert server.reply_dest(("127.0.0.3", 40011)) == ("127.0.0.3", 40011)  # another host is not affected
    server.dispatcher.handle_datagram(encode("/wave/reply_to", [0, 1]), ("127.0.0.2", 40010))
    assert server.reply_dest(("127.0.0.2", 40011)) == ("127.0.0.2", 40011)
