"""The baresip adapter: netstrings, the event mapping from captured frames, faults, and a real baresip.

The end-to-end tests start baresip (Debian ``baresip-core``) with ``ctrl_tcp`` on free loopback ports and
ring it with sipp (Debian ``sip-tester``); both are always stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_assist.telephony.baresip import (
    CONNECTED,
    MAX_FRAME,
    NOT_CONNECTED,
    BadSoftphoneUrl,
    BaresipAddress,
    BaresipClient,
    FrameError,
    NetstringReader,
    event_from_frame,
    netstring,
    parse_softphone_url,
)
from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from tests.telephony.rig import Baresip

# captured from baresip 1.0.0 on this image, one call from sipp answered with {"command":"accept"}
INCOMING = (b'{"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:agent@127.0.0.1",'
            b'"direction":"incoming","peeruri":"sip:sipp@127.0.0.1:15099","peerdisplayname":"sipp",'
            b'"id":"1-18718@127.0.0.1","param":"sip:sipp@127.0.0.1:15099"}')
SDP = (b'{"event":true,"type":"CALL_REMOTE_SDP","class":"other","accountaor":"sip:agent@127.0.0.1",'
       b'"direction":"incoming","peeruri":"sip:sipp@127.0.0.1:15099","peerdisplayname":"sipp",'
       b'"id":"1-18718@127.0.0.1","param":"offer"}')
RESPONSE = b'{"response":true,"ok":true,"data":"sip:agent@127.0.0.1: Answering incoming call\\n","token":"1"}'
ESTABLISHED = INCOMING.replace(b"CALL_INCOMING", b"CALL_ESTABLISHED")
CLOSED = INCOMING.replace(b"CALL_INCOMING", b"CALL_CLOSED").replace(
    b'"param":"sip:sipp@127.0.0.1:15099"', b'"param":"Connection reset by peer"')

have_baresip = pytest.mark.skipif(shutil.which("baresip") is None or shutil.which("sipp") is None,
                                  reason="needs Debian baresip-core and sip-tester (make deps-test)")


def ns(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


# -- wire format -----------------------------------------------------------------------------------------
def test_urls() -> None:
    assert parse_softphone_url("baresip://127.0.0.1:4444") == BaresipAddress("127.0.0.1", 4444)
    assert parse_softphone_url("baresip://localhost") == BaresipAddress("localhost", 4444)
    assert str(parse_softphone_url("baresip://[::1]:5555")) == "baresip://::1:5555"
    for bad in ("", "127.0.0.1:4444", "http://127.0.0.1:4444", "baresip://:4444", "baresip://h:99999",
                "baresip://h:4444/x", "baresip://h:port"):
        with pytest.raises(BadSoftphoneUrl):
            parse_softphone_url(bad)


def test_netstrings_split_anywhere() -> None:
    stream = ns(INCOMING) + ns(SDP) + ns(RESPONSE) + ns(b"") + ns(ESTABLISHED)
    for step in (1, 2, 7, 64, len(stream)):
        r = NetstringReader()
        got: list[bytes] = []
        for i in range(0, len(stream), step):
            got += r.feed(stream[i:i + step])
        assert got == [INCOMING, SDP, RESPONSE, b"", ESTABLISHED]
    assert netstring({"command": "accept", "token": "1"}) == b'32:{"command":"accept","token":"1"},'


@pytest.mark.parametrize("stream", [
    b"hello world", b"12345678901:x", b"-1:,", b"5:abcdeX", b"01:a,", b"\x00\x01\x02\x03",
    str(MAX_FRAME).encode() + b":", b"GET / HTTP/1.1\r\n",
])
def test_broken_streams_are_refused(stream: bytes) -> None:
    with pytest.raises(FrameError):
        NetstringReader().feed(stream)


def test_the_mapping_from_captured_frames() -> None:
    ring = event_from_frame(INCOMING)
    assert ring == CallEvent(CallEventKind.RING, call_id="1-18718@127.0.0.1", caller="sip:sipp@127.0.0.1:15099",
                             display_name="sipp", source=EventSource.BARESIP)
    assert event_from_frame(ESTABLISHED) == CallEvent(CallEventKind.ANSWER, call_id="1-18718@127.0.0.1",
                                                      caller="sip:sipp@127.0.0.1:15099",
                                                      display_name="sipp", source=EventSource.BARESIP)
    hang = event_from_frame(CLOSED)
    assert hang is not None and hang.kind is CallEventKind.HANGUP and hang.cause == "Connection reset by peer"
    hold = event_from_frame(INCOMING.replace(b"CALL_INCOMING", b"CALL_HOLD"))
    assert hold is not None and hold.kind is CallEventKind.HOLD
    assert event_from_frame(SDP) is None
    assert event_from_frame(RESPONSE) is None
    assert event_from_frame(INCOMING.replace(b'"incoming"', b'"outgoing"')) is None


@pytest.mark.parametrize("frame", [
    b"\xff\xfe\x00\x00", b"not json", b"[1,2]", b'"x"', b"[" * 5000 + b"]" * 5000,
    INCOMING.replace(b'"id":"1-18718@127.0.0.1"', b'"id":""'),
    INCOMING.replace(b'"id":"1-18718@127.0.0.1"', b'"id":7'),
])
def test_bad_frames_raise_value_error(frame: bytes) -> None:
    with pytest.raises(ValueError):
        event_from_frame(frame)


def test_control_characters_and_surrogates_are_dropped_from_text() -> None:
    ev = event_from_frame(INCOMING.replace(b'"peerdisplayname":"sipp"',
                                           b'"peerdisplayname":"a\\u0000b\\ud800c\\nd"'))
    assert ev is not None and ev.display_name == "abcd"


# -- the client against a scripted TCP peer (faults a real baresip never sends) ----------------------------
class Peer:
    """A TCP listener on a free port; each accepted connection gets the next script of bytes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: queue.Queue[socket.socket] = queue.Queue()
        self._t = threading.Thread(target=self._accept, daemon=True)
        self._t.start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.put(c)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        self.sock.close()
        self._t.join(timeout=5)


@pytest.fixture
def peer() -> Iterator[Peer]:
    p = Peer()
    yield p
    p.close()



def test_bad_frames_are_logged_and_the_link_survives(peer: Peer, caplog: pytest.LogCaptureFixture) -> None:
    events: queue.Queue[CallEvent] = queue.Queue()
    client = BaresipClient(BaresipAddress("127.0.0.1", peer.port), events.put, backoff=(0.05,))
    client.start()
    try:
        conn = peer.conns.get(timeout=10)
        conn.sendall(ns(b"\xff\xfe binary") + ns(b"{not json") + ns(b"[" * 3000 + b"]" * 3000)
                     + ns(INCOMING))
        ev = events.get(timeout=10)
        assert ev.kind is CallEventKind.RING and ev.call_id == "1-18718@127.0.0.1"
        assert client.dropped_frames == 3
        # an oversized frame breaks the stream: the client drops the link and connects again
        conn.sendall(str(MAX_FRAME).encode() + b":" + b"x" * 100)
        conn2 = peer.conns.get(timeout=10)
        conn2.sendall(ns(ESTABLISHED))
        # a new connection has not seen this call ring: it rings first (what auto-answer looks like)
        assert [events.get(timeout=10).kind for _ in range(2)] == [CallEventKind.RING, CallEventKind.ANSWER]
        assert client.connects == 2
        conn.close()
        conn2.close()
    finally:
        client.stop()
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert any("ignored a frame" in r.getMessage() for r in caplog.records)


def test_not_running_means_not_connected_and_quiet_retries(caplog: pytest.LogCaptureFixture) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    caplog.set_level(logging.INFO, logger="agent_assist.telephony.baresip")
    statuses: list[str] = []
    client = BaresipClient(BaresipAddress("127.0.0.1", port), lambda _e: None, statuses.append,
                           backoff=(0.02, 0.04))
    client.start()
    try:
        _wait(lambda: client.failed_attempts >= 5)
    finally:
        client.stop()
    assert statuses == [NOT_CONNECTED]
    assert client.status == NOT_CONNECTED
    retries = [r for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(retries) == 1  # logged once, retried quietly


# -- a real baresip, rung by sipp --------------------------------------------------------------------------
@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Baresip]:
    b = Baresip(tmp_path)
    yield b
    b.stop()


def _wait(pred: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _call_cycle(b: Baresip, client: BaresipClient, events: queue.Queue[CallEvent]) -> list[CallEvent]:
    sipp = b.ring()
    try:
        ring = events.get(timeout=20)
        assert ring.kind is CallEventKind.RING
        assert client.command("accept")  # what the agent's answer button does in baresip
        answer = events.get(timeout=20)
        hangup = events.get(timeout=20)
        assert sipp.wait(timeout=30) == 0
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
    return [ring, answer, hangup]


@have_baresip
def test_a_real_baresip_rung_by_sipp(baresip: Baresip) -> None:
    events: queue.Queue[CallEvent] = queue.Queue()
    statuses: list[str] = []
    # started before baresip: the client waits quietly, then connects
    client = BaresipClient(BaresipAddress("127.0.0.1", baresip.ctrl_port), events.put, statuses.append,
                           backoff=(0.1, 0.2))
    client.start()
    try:
        _wait(lambda: statuses == [NOT_CONNECTED])
        baresip.start()
        _wait(lambda: client.status == CONNECTED)
        ring, answer, hangup = _call_cycle(baresip, client, events)
        assert ring.caller.startswith("sip:sipp@127.0.0.1:") and ring.display_name == "sipp"
        assert ring.source is EventSource.BARESIP
        assert answer.kind is CallEventKind.ANSWER and hangup.kind is CallEventKind.HANGUP
        assert ring.call_id and ring.call_id == answer.call_id == hangup.call_id

        # baresip restarts: the client notices, reconnects, and the next call is keyed by its new id
        baresip.stop()
        _wait(lambda: client.status == NOT_CONNECTED)
        baresip.start()
        _wait(lambda: client.status == CONNECTED)
        again = _call_cycle(baresip, client, events)
        assert [e.kind for e in again] == [CallEventKind.RING, CallEventKind.ANSWER, CallEventKind.HANGUP]
        assert len({e.call_id for e in again}) == 1 and again[0].call_id != ring.call_id
        assert client.connects == 2
        assert statuses == [NOT_CONNECTED, CONNECTED, NOT_CONNECTED, CONNECTED]
    finally:
        client.stop()
        baresip.stop()
    with contextlib.suppress(queue.Empty):
        extra = events.get_nowait()
        raise AssertionError(f"unexpected event {extra}")


@have_baresip
def test_a_call_rejected_in_baresip_is_a_hangup_before_answer(baresip: Baresip) -> None:
    events: queue.Queue[CallEvent] = queue.Queue()
    client = BaresipClient(BaresipAddress("127.0.0.1", baresip.ctrl_port), events.put, backoff=(0.1,))
    baresip.start()
    client.start()
    sipp = None
    try:
        _wait(lambda: client.status == CONNECTED)
        sipp = baresip.ring()
        ring = events.get(timeout=20)
        assert client.command("hangup")  # the agent declines in the softphone
        end = events.get(timeout=20)
        assert end.kind is CallEventKind.HANGUP and end.call_id == ring.call_id
        assert json.dumps(end.cause)  # baresip says why (e.g. "Rejected by user")
    finally:
        client.stop()
        if sipp is not None:
            sipp.kill()
            sipp.wait()
        baresip.stop()
