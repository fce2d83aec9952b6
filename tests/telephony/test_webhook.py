"""The Generic CTI webhook, with real HTTP posts on a free loopback port."""

from __future__ import annotations

import http.client
import json
import queue
import socket
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from agent_assist.telephony.webhook import MAX_BODY, WebhookServer

SECRET = "s3cret-for-tests-0123456789"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hook() -> Iterator[tuple[WebhookServer, queue.Queue[CallEvent]]]:
    events: queue.Queue[CallEvent] = queue.Queue()
    server = WebhookServer("127.0.0.1", 0, SECRET, events.put)
    server.start()
    yield server, events
    server.stop()


def post(server: WebhookServer, body: bytes, content_type: str = FORM, path: str = f"/cti/{SECRET}",
         method: str = "POST", headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        hdrs = {"Content-Type": content_type, **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def test_a_call_by_form_posts(hook: tuple[WebhookServer, queue.Queue[CallEvent]]) -> None:
    server, events = hook
    # the curl example of the Generic CTI documentation, then answer and hang-up of the same call
    assert post(server, form(event="newCall", **{"from": "493055571600"}, to="491711234567890",
                             direction="in", callId="4991155921m00", **{"user[]": "Alice"})) == (200, {"ok": True})
    assert post(server, form(event="answer", **{"from": "493055571600"}, to="491711234567890",
                             direction="in", callId="4991155921m00", answeringNumber="42"))[0] == 200
    assert post(server, form(event="hangup", **{"from": "493055571600"}, to="491711234567890",
                             direction="in", callId="4991155921m00", cause="normalClearing"))[0] == 200
    got = [events.get(timeout=5) for _ in range(3)]
    assert got == [
        CallEvent(CallEventKind.RING, call_id="4991155921m00", caller="493055571600", source=EventSource.WEBHOOK),
        CallEvent(CallEventKind.ANSWER, call_id="4991155921m00", source=EventSource.WEBHOOK),
        CallEvent(CallEventKind.HANGUP, call_id="4991155921m00", cause="normalClearing",
                  source=EventSource.WEBHOOK),
    ]
    assert server.accepted == 3 and server.refused == 0


def test_json_posts_and_the_bearer_header(hook: tuple[WebhookServer, queue.Queue[CallEvent]]) -> None:
    server, events = hook
    body = json.dumps({"event": "newCall", "from": "anonymous", "to": "492214710334", "direction": "in",
                       "callId": "f4ebd2be-7b9a", "user": ["Bob", "Carol"], "queue": "helpdesk"}).encode()
    status, _ = post(server, body, "application/json; charset=utf-8", path="/cti",
                     headers={"Authorization": f"Bearer {SECRET}"})
    assert status == 200
    ev = events.get(timeout=5)
    assert ev.kind is CallEventKind.RING and ev.caller == "anonymous" and ev.call_id == "f4ebd2be-7b9a"


def test_an_outbound_call_is_not_a_ring(hook: tuple[WebhookServer, queue.Queue[CallEvent]]) -> None:
    server, events = hook
    status, reply = post(server, form(event="newCall", **{"from": "1"}, to="2", direction="out", callId="o1"))
    assert status == 200 and reply == {"ok": True, "ignored": "outbound call"}
    assert events.empty()


DEEP = b'{"event": "newCall", "callId": "x", "from": ' + b"[" * 50000 + b"]" * 50000 + b"}"
REFUSED = [
    (form(event="newCall", callId="1"), FORM, "/cti/wrong-secret", 403, "wrong or missing secret"),
    (form(event="newCall", callId="1"), FORM, "/cti", 403, "wrong or missing secret"),
    (form(event="newCall", callId="1"), FORM, "/other", 404, "no endpoint"),
    (b"event=ring&callId=1", FORM, None, 400, "unknown event 'ring'"),
    (b"callId=1", FORM, None, 400, "no 'event'"),
    (b"event=newCall", FORM, None, 400, "no 'callId'"),
    (b"event=newCall&callId=1&direction=sideways", FORM, None, 400, "unknown direction"),
    (b"event=newCall&callId=1&callId=2", FORM, None, 400, "given twice"),
    (b"event=newCall&callId=" + b"x" * 251, FORM, None, 400, "'callId' is too long"),
    (b"event=newCall&callId=1&from=%00%01", FORM, None, 400, "control"),
    (b"event=newCall&callId=1&from=5\xff", FORM, None, 400, "not UTF-8"),
    (b"\x00\x01\x02binary", "application/octet-stream", None, 400, "binary"),
    (b"\x89PNG\r\n\x1a\n", "image/png", None, 400, "not UTF-8"),
    (b"<xml/>", "text/xml", None, 415, "not supported"),
    (b"{not json", "application/json", None, 400, "not JSON"),
    (b'["newCall"]', "application/json", None, 400, "must be an object"),
    (b'{"event": "newCall", "callId": {"a": 1}}', "application/json", None, 400, "nested"),
    (b'{"event": "newCall", "callId": "1", "from": ["1"]}', "application/json", None, 400, "nested"),
    (b'{"event": "newCall", "callId": "1", "from": "\\ud800"}', "application/json", None, 400, "invalid"),
    (b'{"event": "newCall", "callId": true}', "application/json", None, 400, "must be text"),
    (DEEP, "application/json", None, 400, "nested"),
    (b"x" * MAX_BODY, FORM, None, 413, "refused"),
]


@pytest.mark.parametrize(("body", "ctype", "path", "status", "error"), REFUSED,
                         ids=[f"r{i}" for i in range(len(REFUSED))])
def test_bad_requests_get_the_right_status_and_change_nothing(
        hook: tuple[WebhookServer, queue.Queue[CallEvent]], caplog: pytest.LogCaptureFixture,
        body: bytes, ctype: str, path: str | None, status: int, error: str) -> None:
    server, events = hook
    got_status, reply = post(server, body, ctype, path=path or f"/cti/{SECRET}")
    assert got_status == status
    assert reply["ok"] is False and error in str(reply["error"])
    assert events.empty() and server.accepted == 0 and server.refused == 1
    assert any("webhook: refused" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text


def test_other_methods_and_a_missing_length(hook: tuple[WebhookServer, queue.Queue[CallEvent]]) -> None:
    server, events = hook
    assert post(server, b"", method="GET")[0] == 405
    # a raw request without Content-Length
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"POST /cti/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n\r\n".encode())
        assert b" 411 " in s.recv(4096).split(b"\r\n", 1)[0]
    # a declared 1 MB body is refused before it is read
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"POST /cti/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY}\r\n\r\n".encode())
        assert b" 413 " in s.recv(4096).split(b"\r\n", 1)[0]
    assert events.empty()


def test_the_secret_never_reaches_the_log(hook: tuple[WebhookServer, queue.Queue[CallEvent]],
                                          caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="agent_assist.telephony.webhook")
    server, events = hook
    assert post(server, form(event="newCall", callId="1", **{"from": "5551234567"}))[0] == 200
    assert post(server, b"", method="GET")[0] == 405
    events.get(timeout=5)
    assert caplog.records and SECRET not in caplog.text


def test_a_weak_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookServer("127.0.0.1", 0, "short", lambda _e: None)


def test_bound_to_loopback_only(hook: tuple[WebhookServer, queue.Queue[CallEvent]]) -> None:
    server, _ = hook
    assert server.host == "127.0.0.1"
    assert server._server.server_address[0] == "127.0.0.1"
