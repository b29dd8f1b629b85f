"""The shipped clients: the Max patch is valid .maxpat JSON whose messages all pass the OSC table; the
Pd patch, run by headless Pure Data, drives a running server (pitch measured) and prints its replies."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from server.live.drivers import PacedDriver
from server.live.oscproto import validate
from server.live.osctable import BY_ADDRESS
from server.live.server import Folders, LiveServer

REPO = Path(__file__).resolve().parent.parent
SR = 48000


def _token(t: str):
    try:
        return int(t)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            return t


def test_max_patch_is_valid_and_its_messages_pass_the_table():
    patch = json.loads((REPO / "max_patches" / "wave.maxpat").read_text())["patcher"]
    boxes = {b["box"]["id"]: b["box"] for b in patch["boxes"]}
    classes = {b["text"].split()[0] for b in boxes.values() if b["maxclass"] == "newobj"}
    assert {"udpsend", "udpreceive", "print"} <= classes
    sent = set()
    for line in patch["lines"]:
        src, dst = line["patchline"]["source"][0], line["patchline"]["destination"][0]
        assert src in boxes and dst in boxes
        if boxes[dst]["text"].startswith("udpsend"):
            sent.add(src)
    messages = [b for b in boxes.values() if b["maxclass"] == "message"]
    assert len(messages) >= 20
    for m in messages:
        assert m["id"] in sent, f"{m['text']} is not wired to udpsend"
        address, *args = m["text"].split()
        assert address in BY_ADDRESS, address
        validate(BY_ADDRESS[address], [_token(a) for a in args])
    covered = {m["text"].split()[0] for m in messages}
    for must in ("/wave/note", "/wave/cc", "/wave/fx/set", "/wave/timbre/model", "/wave/timbre/mix",
                 "/wave/generate", "/wave/status", "/wave/reply_to"):
        assert must in covered


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data (pd) not installed")
def test_headless_pd_patch_drives_the_server(tmp_path):
    wav = tmp_path / "out.wav"
    folders = Folders(sets=tmp_path, models=tmp_path, midi=tmp_path, recordings=tmp_path, images=tmp_path)
    server = LiveServer(PacedDriver(str(wav)), sample_rate=SR, block=512, folders=folders)
    ready = threading.Event()

    def run() -> None:
        asyncio.run(server.serve("127.0.0.1", 0, duration=60, ready=lambda _s: ready.set()))

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert ready.wait(60)
    port, listen = server.osc_address[1], _free_port()
    send = (f"wave-connect disconnect; wave-connect connect 127.0.0.1 {port}; wave-listen listen 0; "
            f"wave-listen listen {listen}; wave-reply-to {listen}; wave-ping list hello; "
            "wave-fx -1 reverb room_size 0.8; wave-note 0 69 110")
    pd = subprocess.Popen(["pd", "-nogui", "-noaudio", "-nomidi", "-open", str(REPO / "max_patches" / "wave.pd"),
                           "-send", send], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20 and not any("pong hello" in x for x in out):
            line = pd.stderr.readline()
            if not line:
                break
            out.append(line.strip())
        t_note = time.monotonic()
        time.sleep(1.0)
    finally:
        pd.terminate()
        pd.wait(10)
        server.request_stop()
        th.join(20)
    assert any(x == "wave-reply: wave pong hello" for x in out), out
    assert any(x.startswith("wave-reply: wave ok /wave/reply_to") for x in out), out
    assert server.engine.snapshot.master_fx.values["reverb"]["room_size"] == pytest.approx(0.8)
    assert server.dispatcher.malformed == 0
    x, sr = sf.read(wav, dtype="float32")
    assert t_note > 0 and sr == SR
    mono = x[:, 0]
    on = np.flatnonzero(np.abs(mono) > 1e-3)
    assert on.size, "the note from Pd did not sound"
    seg = mono[on[0] + 2400 : on[0] + 2400 + 16384] * np.hanning(16384)
    n = 1 << 17
    mag = np.abs(np.fft.rfft(seg, n))
    f = np.fft.rfftfreq(n, 1 / SR)
    band = (f > 40) & (f < 660)
    i = int(np.flatnonzero(band)[np.argmax(mag[band])])
    a, b, c = np.log(mag[i - 1 : i + 2] + 1e-12)
    k = i + 0.5 * (a - c) / (a - 2 * b + c)
    assert abs(1200 * np.log2(k * SR / n / 440.0)) < 10


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("oscsend") is None, reason="liblo-tools (oscsend) not installed")
def test_osc_over_tcp_with_liblo_framing(tmp_path):
    from pythonosc.osc_message import OscMessage

    from server.live.oscproto import encode

    folders = Folders(sets=tmp_path, models=tmp_path, midi=tmp_path, recordings=tmp_path, images=tmp_path)
    server = LiveServer(PacedDriver(), sample_rate=SR, block=512, folders=folders)
    ready = threading.Event()
    th = threading.Thread(target=lambda: asyncio.run(server.serve(
        "127.0.0.1", 0, duration=60, tcp_port=0, ready=lambda _s: ready.set())), daemon=True)
    th.start()
    try:
        assert ready.wait(60)
        port = server.osc_tcp_address[1]

        def read_frame(sock) -> bytes:
            head = b""
            while len(head) < 4:
                head += sock.recv(4 - len(head))
            size, data = int.from_bytes(head, "big"), b""
            while len(data) < size:
                data += sock.recv(size - len(data))
            return data

        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for msg in (encode("/wave/ping", ["tcp"]), b"\x00\x00\x00\x08garbage!"[4:]):
                sock.sendall(len(msg).to_bytes(4, "big") + msg)
            pong, err = OscMessage(read_frame(sock)), OscMessage(read_frame(sock))
        assert (pong.address, pong.params) == ("/wave/pong", ["tcp"])
        assert err.address == "/wave/error" and err.params[0] == "?"
        # liblo's own TCP transport (oscsend osc.tcp://...) is understood
        subprocess.run(["oscsend", f"osc.tcp://127.0.0.1:{port}", "/wave/program", "ii", "0", "19"], check=True,
                       timeout=10)
        subprocess.run(["oscsend", f"osc.tcp://127.0.0.1:{port}", "/wave/note", "iii", "0", "60", "100"],
                       check=True, timeout=10)
        t0 = time.monotonic()
        while server.engine.active_voices() == 0 and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert server.engine.active_voices() > 0
        assert server.dispatcher.malformed == 1
    finally:
        server.request_stop()
        th.join(20)
