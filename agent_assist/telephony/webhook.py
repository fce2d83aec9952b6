"""A local HTTP endpoint for PBXs that post *Generic CTI* call events -> :class:`CallEvent` values.

The shape is the one Zammad documents as its "Generic CTI" push API (https://docs.zammad.org/en/latest/api/
generic-cti/index.html, pages "New call", "Call answered", "Call hangup"), which several PBXs (e.g. Sipgate,
Placetel, 3CX integrations, Asterisk/FreePBX scripts) already speak::

    event      newCall | answer | hangup
    from       the calling number ("493055571600", or "anonymous")
    to         the called number
    direction  in | out  (out: the agent placed the call; ignored here, it is not a ring)
    callId     unique per call, max. 250 characters; every event of the call carries it
    cause      hangup only: normalClearing, busy, cancel, noAnswer, congestion, notFound, forwarded
    user[], queue, answeringNumber  optional, accepted and ignored

posted as ``application/x-www-form-urlencoded`` (``event=newCall&from=…``) or as a JSON object.

Safety: bound to 127.0.0.1 unless configured otherwise; a shared secret is required (``/cti/<secret>`` as in
Zammad's ``/api/v1/cti/:token``, or the header ``Authorization: Bearer <secret>``), compared in constant time.
Bodies of 1 MB or more, binary, nested or malformed bodies are refused with the matching status (413, 400,
415, 411, 403, 404, 405) and one log line; nothing is handed on. Each request has a 5 s socket timeout, and
the server runs on its own threads, so a slow or hostile client never holds the window.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from agent_assist.telephony.wire import json_depth

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a body of 1 MB or more is refused (a Generic CTI event is ~200 bytes)
REQUEST_TIMEOUT_S = 5.0
DRAIN_LIMIT = 4 * MAX_BODY  # a refused body up to this size is read and dropped before the close
_KINDS = {"newCall": CallEventKind.RING, "answer": CallEventKind.ANSWER, "hangup": CallEventKind.HANGUP}
_TEXT_FIELDS = {"event": 32, "from": 2048, "to": 2048, "direction": 8, "callId": 250, "cause": 64,
                "queue": 256, "answeringNumber": 256}
_LIST_FIELDS = {"user", "user[]"}


class BadEvent(ValueError):
    """A body that is not a Generic CTI event; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status


def _clean_text(key: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEvent(f"field {key!r} must be text")
    text = str(value)
    if len(text) > _TEXT_FIELDS[key]:
        raise BadEvent(f"field {key!r} is too long (limit {_TEXT_FIELDS[key]} characters)")
    for ch in text:
        if "\ud800" <= ch <= "\udfff" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise BadEvent(f"field {key!r} has a control or invalid character")
    return text


def parse_fields(fields: dict[str, Any]) -> CallEvent | None:
    """Generic CTI fields -> the CallEvent (None for an outbound call's events, which are not rings)."""
    clean: dict[str, str] = {}
    for key, value in fields.items():
        if key in _LIST_FIELDS:
            values = value if isinstance(value, list) else [value]
            for v in values:
                if not isinstance(v, str):
                    raise BadEvent(f"field {key!r} must be text")
            continue
        if key in _TEXT_FIELDS:
            clean[key] = _clean_text(key, value)
    event = clean.get("event", "")
    if not event:
        raise BadEvent("no 'event' (newCall, answer or hangup)")
    kind = _KINDS.get(event)
    if kind is None:
        raise BadEvent(f"unknown event {event!r} (newCall, answer or hangup)")
    call_id = clean.get("callId", "").strip()
    if not call_id:
        raise BadEvent("no 'callId'")
    direction = clean.get("direction", "in").strip().lower() or "in"
    if direction not in ("in", "out"):
        raise BadEvent(f"unknown direction {clean['direction']!r} (in or out)")
    if direction == "out":
        return None
    return CallEvent(kind=kind, call_id=call_id,
                     caller=clean.get("from", "").strip() if kind is CallEventKind.RING else "",
                     cause=clean.get("cause", "").strip() if kind is CallEventKind.HANGUP else "",
                     source=EventSource.WEBHOOK)


def parse_body(body: bytes, content_type: str) -> CallEvent | None:
    """A request body (form or JSON) -> its CallEvent; :class:`BadEvent` with the status otherwise."""
    if len(body) >= MAX_BODY:
        raise BadEvent(f"body of {len(body)} bytes refused (limit {MAX_BODY - 1})",
                       HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    if b"\x00" in body:
        raise BadEvent("binary body refused")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("body is not UTF-8 text") from None
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json":
        if json_depth(body) > 2:  # an object, and at most a list of users in it
            raise BadEvent("JSON body must be one object of text fields (nested too deep)")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise BadEvent("body is not JSON") from None
        if not isinstance(data, dict):
            raise BadEvent("JSON body must be an object")
        for key, value in data.items():
            if isinstance(value, dict) or (isinstance(value, list) and key not in _LIST_FIELDS):
                raise BadEvent(f"field {key!r} must be text, not a nested value")
        return parse_fields(data)
    if mime in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=64)
        except ValueError as e:
            raise BadEvent(f"form body is malformed ({e})") from None
        fields: dict[str, Any] = {}
        for key, value in pairs:
            if key in _LIST_FIELDS:
                fields.setdefault(key, []).append(value)
            elif key in fields:
                raise BadEvent(f"field {key!r} given twice")
            else:
                fields[key] = value
        return parse_fields(fields)
    raise BadEvent(f"content type {mime!r} not supported (form or JSON)", HTTPStatus.UNSUPPORTED_MEDIA_TYPE)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_S  # a client that stalls mid-request is dropped
    server_version = "agent-assist-cti"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # http.server's own lines carry the request line, and with it the secret in /cti/<secret>
        log.debug("webhook %s: %s", self.client_address[0], (format % args).split(" /", 1)[0])

    def _answer(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        log.warning("webhook: refused a request from %s: %s (%d)", self.client_address[0], why, status)
        self.server.refused += 1
        self._answer(status, {"ok": False, "error": why})

    def _discard(self, n: int) -> None:
        """Read and drop a refused body, so a client still sending it gets the answer, not a reset."""
        try:
            while n > 0:
                chunk = self.rfile.read(min(n, 65536))
                if not chunk:
                    return
                n -= len(chunk)
        except OSError:  # the 5 s timeout: the client stopped sending
            return

    def _authorised(self) -> bool:
        secret = self.server.secret.encode("utf-8")
        path = urlsplit(self.path).path
        given = b""
        if path.startswith("/cti/"):
            given = unquote(path[len("/cti/"):]).encode("utf-8", "replace")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip().encode("utf-8", "replace")
        return hmac.compare_digest(given, secret)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path != "/cti" and not path.startswith("/cti/"):
            self._refuse(HTTPStatus.NOT_FOUND, f"no endpoint at {path[:64]!r} (post to /cti/<secret>)")
            return
        if not self._authorised():
            self._refuse(HTTPStatus.FORBIDDEN, "wrong or missing secret")
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
            return
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
            return
        if length >= MAX_BODY:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                         f"body of {length} bytes refused (limit {MAX_BODY - 1})")
            self._discard(min(length, DRAIN_LIMIT))
            return
        try:
            body = self.rfile.read(length)
        except OSError:
            log.warning("webhook: %s sent an incomplete body", self.client_address[0])
            self.close_connection = True
            return
        if len(body) < length:
            self._refuse(HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length")
            return
        try:
            event = parse_body(body, self.headers.get("Content-Type", ""))
        except BadEvent as e:
            self._refuse(e.status, str(e))
            return
        if event is None:
            self._answer(HTTPStatus.OK, {"ok": True, "ignored": "outbound call"})
            return
        self.server.accepted += 1
        try:
            self.server.on_event(event)
        except Exception:
            log.exception("handling a webhook event failed")
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"ok": False, "error": "not handled"})
            return
        self._answer(HTTPStatus.OK, {"ok": True})

    def _not_allowed(self) -> None:
        self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not accepted (POST events)")

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _not_allowed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], secret: str, on_event: Callable[[CallEvent], None]) -> None:
        self.secret = secret
        self.on_event = on_event
        self.accepted = 0
        self.refused = 0
        super().__init__(address, _Handler)


class WebhookServer:
    """``WebhookServer("127.0.0.1", 8788, secret, on_event).start()``; ``on_event`` runs on a request
    thread (the window re-emits it as a queued signal). Port 0 picks a free port (see :attr:`port`)."""

    def __init__(self, host: str, port: int, secret: str, on_event: Callable[[CallEvent], None]) -> None:
        if len(secret) < 16:
            raise ValueError("the webhook needs a shared secret of at least 16 characters")
        self._server = _Server((host, port), secret, on_event)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/cti/<secret>"

    @property
    def accepted(self) -> int:
        return self._server.accepted

    @property
    def refused(self) -> int:
        return self._server.refused

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="cti-webhook", daemon=True)
        self._thread.start()
        log.info("Generic CTI webhook listening on http://%s:%d/cti/…", self.host, self.port)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
