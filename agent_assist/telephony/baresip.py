"""baresip's ``ctrl_tcp`` module -> :class:`CallEvent` values (this adapter only translates).

baresip (Debian ``baresip-core``) with ``module_app ctrl_tcp.so`` and ``ctrl_tcp_listen 127.0.0.1:4444``
sends every UA event as a JSON netstring, ``LEN:JSON,`` (https://cr.yp.to/proto/netstrings.txt). Captured
from baresip 1.0.0 answering a sipp call on loopback (see ``tests/telephony/test_baresip.py``)::

    {"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:agent@127.0.0.1",
     "direction":"incoming","peeruri":"sip:sipp@127.0.0.1:5099","peerdisplayname":"sipp",
     "id":"1-18718@127.0.0.1","param":"sip:sipp@127.0.0.1:5099"}
    {"event":true,"type":"CALL_ESTABLISHED",...,"id":"1-18718@127.0.0.1",...}
    {"event":true,"type":"CALL_CLOSED",...,"id":"1-18718@127.0.0.1","param":"Connection reset by peer"}

Commands go the same way (``{"command":"accept","token":"1"}``) and get ``{"response":true,...}``.

Mapping, keyed by baresip's call ``id``: CALL_INCOMING -> RING (caller = ``peeruri``, display name =
``peerdisplayname``), CALL_ESTABLISHED -> ANSWER, CALL_CLOSED -> HANGUP (cause = ``param``), CALL_HOLD /
CALL_RESUME -> HOLD / RESUME when baresip sends them. An auto-answered call (``answermode=auto``) starts at
CALL_ESTABLISHED with no CALL_INCOMING (seen on 1.0.0): the client gives it its RING first. Other events (SDP, registration, outgoing calls) are
ignored. A malformed netstring, a frame of 1 MB or more, binary or non-JSON content is logged and dropped;
a broken frame boundary drops the connection (there is no way to resynchronise) and the client reconnects.

The client runs on its own thread, reconnecting with a capped backoff while baresip is not running
(status ``softphone not connected``); events and status reach the caller through callbacks, which the window
turns into queued Qt signals.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from agent_assist.telephony.wire import json_depth

log = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024  # a frame of 1 MB or more is refused (baresip's events are a few hundred bytes)
DEFAULT_PORT = 4444
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
CONNECTED = "softphone connected"
NOT_CONNECTED = "softphone not connected"

_EVENTS = {
    "CALL_INCOMING": CallEventKind.RING,
    "CALL_ESTABLISHED": CallEventKind.ANSWER,
    "CALL_CLOSED": CallEventKind.HANGUP,
    "CALL_HOLD": CallEventKind.HOLD,
    "CALL_RESUME": CallEventKind.RESUME,
}


class BadSoftphoneUrl(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BaresipAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"baresip://{self.host}:{self.port}"


def parse_softphone_url(url: str) -> BaresipAddress:
    """``baresip://127.0.0.1:4444`` (or ``baresip://host``, port 4444) -> its address; else BadSoftphoneUrl."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise BadSoftphoneUrl(f"{url!r} is not a softphone address ({e})") from None
    if parts.scheme != "baresip":
        raise BadSoftphoneUrl(f"{url!r}: only baresip://HOST:PORT is supported")
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise BadSoftphoneUrl(f"{url!r} is not a softphone address (expected baresip://HOST:PORT)")
    return BaresipAddress(parts.hostname, port or DEFAULT_PORT)


class FrameError(ValueError):
    """The stream is broken (a bad length or a missing comma): the connection must be dropped."""


class NetstringReader:
    """Splits a byte stream into netstring payloads; refuses a frame of ``MAX_FRAME`` bytes or more."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            colon = self._buf.find(b":", 0, 9)
            if colon < 0:
                if len(self._buf) >= 9 or (self._buf and not self._buf.isdigit()):
                    raise FrameError(f"not a netstring (starts {bytes(self._buf[:16])!r})")
                return out
            head = bytes(self._buf[:colon])
            if not head.isdigit() or (len(head) > 1 and head.startswith(b"0")):
                raise FrameError(f"not a netstring length: {head[:16]!r}")
            n = int(head)
            if n >= self._max:
                raise FrameError(f"frame of {n} bytes refused (limit {self._max - 1})")
            end = colon + 1 + n
            if len(self._buf) < end + 1:
                return out
            if self._buf[end] != 0x2C:  # ","
                raise FrameError("netstring without its closing comma")
            out.append(bytes(self._buf[colon + 1:end]))
            del self._buf[:end + 1]


def netstring(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b","


def event_from_frame(payload: bytes) -> CallEvent | None:
    """One ctrl_tcp frame -> its CallEvent, None when it is not a call event we map. Raises ValueError
    for content that is not a JSON object (the caller logs it)."""
    if b"\x00" in payload:
        raise ValueError("binary frame")
    if json_depth(payload) > 2:
        raise ValueError("frame nested too deep")
    try:
        msg = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise ValueError("frame is not JSON text") from None
    if not isinstance(msg, dict):
        raise ValueError("frame is not a JSON object")
    if msg.get("event") is not True:
        return None  # a command response
    kind = _EVENTS.get(str(msg.get("type", "")))
    if kind is None:
        return None
    if kind is CallEventKind.RING and msg.get("direction", "incoming") != "incoming":
        return None  # the agent's own outgoing call is not an incoming ring
    call_id = msg.get("id")
    if not isinstance(call_id, str) or not call_id.strip() or len(call_id) > 256:
        raise ValueError("call event without a usable id")
    # every call event names the peer: an auto-answered call starts at CALL_ESTABLISHED (see BaresipClient)
    caller = msg.get("peeruri")
    name = msg.get("peerdisplayname")
    cause = msg.get("param") if kind is CallEventKind.HANGUP else ""
    return CallEvent(kind=kind, call_id=call_id.strip(),
                     caller=_text(caller, 2048), display_name=_text(name, 256), cause=_text(cause, 256),
                     source=EventSource.BARESIP)


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    clean = "".join(ch for ch in value if ch.isprintable() and not "\ud800" <= ch <= "\udfff")
    return clean.strip()[:limit]


class BaresipClient:
    """Connects to ctrl_tcp on a thread of its own; ``on_event(CallEvent)`` and ``on_status(str)`` are
    called on that thread (the window re-emits them as queued signals)."""

    def __init__(self, address: BaresipAddress, on_event: Callable[[CallEvent], None],
                 on_status: Callable[[str], None] | None = None, backoff: tuple[float, ...] = BACKOFF_S) -> None:
        self.address = address
        self._on_event = on_event
        self._on_status = on_status or (lambda _s: None)
        self._backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._token = 0
        self.status = NOT_CONNECTED
        self.connects = 0
        self.failed_attempts = 0
        self.dropped_frames = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="baresip-ctrl-tcp", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def command(self, command: str, params: str = "") -> bool:
        """Send a ctrl_tcp command (``accept``, ``hangup``, …); False when baresip is not connected."""
        with self._lock:
            if self._sock is None:
                return False
            self._token += 1
            msg: dict[str, Any] = {"command": command, "token": str(self._token)}
            if params:
                msg["params"] = params
            try:
                self._sock.sendall(netstring(msg))
            except OSError:
                return False
            return True

    # -- the thread ----------------------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self._on_status(status)

    def _run(self) -> None:
        attempt = 0
        self._on_status(self.status)
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.address.host, self.address.port), timeout=2.0)
            except OSError as e:
                if attempt == 0:
                    log.info("baresip ctrl_tcp at %s not reachable (%s); retrying quietly", self.address,
                             e.strerror or e)
                self._set_status(NOT_CONNECTED)
                self.failed_attempts += 1
                self._stop.wait(self._backoff[min(attempt, len(self._backoff) - 1)])
                attempt += 1
                continue
            attempt = 0
            self.connects += 1
            sock.settimeout(None)
            with self._lock:
                self._sock = sock
            log.info("connected to baresip ctrl_tcp at %s", self.address)
            self._set_status(CONNECTED)
            try:
                self._read(sock)
            finally:
                with self._lock:
                    self._sock = None
                sock.close()
                self._set_status(NOT_CONNECTED)
            if not self._stop.is_set():
                log.info("baresip ctrl_tcp at %s closed; reconnecting", self.address)
                self._stop.wait(self._backoff[0])

    def _read(self, sock: socket.socket) -> None:
        reader = NetstringReader()
        rung: set[str] = set()  # calls of this connection seen ringing
        while not self._stop.is_set():
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                frames = reader.feed(data)
            except FrameError as e:
                self.dropped_frames += 1
                log.warning("baresip ctrl_tcp: %s; dropping the connection", e)
                return
            for frame in frames:
                try:
                    event = event_from_frame(frame)
                except ValueError as e:
                    self.dropped_frames += 1
                    log.warning("baresip ctrl_tcp: ignored a frame (%s)", e)
                    continue
                if event is None:
                    continue
                assert event.call_id is not None
                if event.kind is CallEventKind.RING:
                    rung.add(event.call_id)
                elif event.kind is CallEventKind.ANSWER and event.call_id not in rung:
                    # baresip with answermode=auto sends no CALL_INCOMING: the call rang all the same
                    rung.add(event.call_id)
                    self._deliver(replace(event, kind=CallEventKind.RING))
                elif event.kind is CallEventKind.HANGUP:
                    rung.discard(event.call_id)
                self._deliver(event)

    def _deliver(self, event: CallEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("handling a baresip event failed")
