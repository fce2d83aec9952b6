"""One window per database, and the private local channel later ``agent-assist`` processes talk to.

``agent-assist call``/``answer``/``hangup`` connect to a Unix socket, send one JSON line and get one JSON
line back. What makes it safe and fast:

- **Private.** The socket lives in a directory this user owns with mode 0700 (``$XDG_RUNTIME_DIR/agent-
  assist`` or, without one, ``~/.cache/agent-assist/run``; ``/tmp/agent-assist-UID`` only when the home path
  is too long for a socket). The directory's owner and mode are checked (``lstat``, no symlinks) before
  every use, and one that another user could have made is refused, never trusted.
- **Authenticated.** The client checks the server's ``SO_PEERCRED`` uid and the server the client's; a
  listener of another user gets nothing (not even the caller's number), and the app refuses to treat it as
  "already running".
- **Validated, then acknowledged.** Every message has a schema (:data:`SCHEMAS`) and a size limit
  (:data:`MAX_MESSAGE`); nesting, lone surrogates, control characters and unknown fields are refused with a
  specific ``{"ok": false, "error": …}`` and change nothing. Only a valid message is acknowledged.
- **Never waits for the window.** The socket is served by its own thread: a valid event is queued and
  acknowledged at once, whatever the GUI thread is doing (``bench/event_latency.py``), and the window drains
  the queue in slices of at most :data:`DRAIN_BUDGET_S` per turn of its event loop, so a burst of rings never
  stalls it. A lock file held for the server's lifetime makes a second instance impossible even when the first
  is too busy to answer a ping.

Why this file is over 400 lines: the private channel's server, client, message schemas and peer-credential
checks must agree byte for byte; one file keeps them in step.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import selectors
import socket
import stat
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from agent_assist.errors import CliError
from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from agent_assist.telephony.wire import json_depth

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024  # one JSON line; a caller and an id are a few hundred bytes
MAX_CLIENTS = 512  # open connections at once (a burst of rings); more wait in the listen backlog
CLIENT_TIMEOUT_S = 5.0  # a client that connects and sends nothing is dropped after this
DRAIN_BUDGET_S = 0.02  # GUI-thread time spent handing queued events over, per turn of the event loop
_UNIX_PATH_MAX = 104  # sun_path is 108 bytes on Linux, 104 on macOS
_SO_PEERCRED = getattr(socket, "SO_PEERCRED", 17)
_CRED = struct.Struct("3i")  # pid, uid, gid


class ChannelError(CliError):
    """The local channel cannot be trusted or used (wrong owner, wrong mode, another user's listener)."""


# -- where the socket lives ----------------------------------------------------------------------------
def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def _candidate_dirs() -> list[Path]:
    out: list[Path] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        out.append(Path(runtime) / "agent-assist")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if os.path.isabs(cache):
        out.append(Path(cache) / "agent-assist" / "run")
    out.append(Path("/tmp") / f"agent-assist-{_uid()}")
    return out


def check_private_dir(d: Path) -> None:
    """Raise :class:`ChannelError` unless ``d`` is a real directory of this user with mode 0700."""
    try:
        st = os.lstat(d)
    except OSError as e:
        raise ChannelError(f"the channel directory {d} cannot be read ({e.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise ChannelError(f"the channel directory {d} is not a directory (a link or a file is refused)")
    if st.st_uid != _uid():
        raise ChannelError(f"the channel directory {d} belongs to uid {st.st_uid}, not to this user "
                           f"(uid {_uid()}); refusing to use it")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise ChannelError(f"the channel directory {d} is open to other users "
                           f"(mode {stat.S_IMODE(st.st_mode):o}); refusing to use it")


def private_dir(create: bool = True) -> Path:
    """The first usable private directory (made 0700 when missing, checked either way)."""
    for d in _candidate_dirs():
        if len(str(d / "0123456789abcdef.sock").encode()) >= _UNIX_PATH_MAX:
            continue
        if create and not os.path.lexists(d):
            try:
                d.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.mkdir(d, 0o700)
            except FileExistsError:
                pass  # made meanwhile (by us or someone else): the check below decides
            except OSError as e:
                log.info("channel directory %s not usable: %s", d, e.strerror)
                continue
        if not os.path.lexists(d):
            continue
        check_private_dir(d)  # an existing directory that is not ours is refused, never skipped past
        return d
    raise ChannelError("no private directory for the local channel could be made")


def server_name(db_path: Path | str) -> str:
    """The socket path for ``db_path``: a hash of the resolved path inside :func:`private_dir`."""
    resolved = str(Path(db_path).expanduser().resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]
    return str(private_dir() / f"{digest}.sock")


# -- messages ------------------------------------------------------------------------------------------
_TEXT_LIMITS = {"call_id": 256, "caller": 2048, "number": 2048, "display_name": 256, "cause": 256,
                "source": 16}
_EVENT_FIELDS = {"call_id", "caller", "display_name", "cause", "source"}
SCHEMAS: dict[str, set[str]] = {
    "ping": set(),
    "raise": set(),
    "call": {"number", "call_id", "display_name", "source"},  # the pre-issue-13 form: a ring by number
    **{k.value: set(_EVENT_FIELDS) for k in CallEventKind},
}
_REQUIRED = {"call": {"number"}}


class BadMessage(ValueError):
    pass


def _check_text(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise BadMessage(f"field {key!r} must be a string")
    if len(value) > _TEXT_LIMITS.get(key, 256):
        raise BadMessage(f"field {key!r} is too long (limit {_TEXT_LIMITS.get(key, 256)} characters)")
    for ch in value:
        if "\ud800" <= ch <= "\udfff":
            raise BadMessage(f"field {key!r} has an invalid character (a lone surrogate)")
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise BadMessage(f"field {key!r} has a control character")


def parse_message(raw: bytes) -> dict[str, Any]:
    """One line off the socket -> a valid message, or :class:`BadMessage` saying exactly what is wrong."""
    if len(raw) > MAX_MESSAGE:
        raise BadMessage(f"message too long (limit {MAX_MESSAGE} bytes)")
    if b"\x00" in raw:
        raise BadMessage("binary data is not a message")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage("message is not UTF-8 text") from None
    if json_depth(raw) > 1:
        raise BadMessage("message must be one flat JSON object (no nesting)")
    try:
        msg = json.loads(text)
    except ValueError:
        raise BadMessage("message is not JSON") from None
    if not isinstance(msg, dict):
        raise BadMessage("message must be a JSON object")
    cmd = msg.get("cmd")
    if not isinstance(cmd, str) or cmd not in SCHEMAS:
        raise BadMessage(f"unknown command {cmd!r}" if isinstance(cmd, str) else "message has no 'cmd'")
    allowed = SCHEMAS[cmd]
    for key, value in msg.items():
        if key == "cmd":
            continue
        if key not in allowed:
            raise BadMessage(f"unknown field {key!r} for {cmd!r}")
        if key == "call_id" and value is None:
            continue
        _check_text(key, value)
    missing = _REQUIRED.get(cmd, set()) - msg.keys()
    if missing:
        raise BadMessage(f"{cmd!r} needs the field {sorted(missing)[0]!r}")
    if msg.get("call_id") == "":
        raise BadMessage("field 'call_id' is empty (leave it out for the newest call)")
    if "source" in msg and msg["source"] not in {s.value for s in EventSource}:
        raise BadMessage(f"unknown source {msg['source']!r}")
    return msg


def event_from_message(msg: dict[str, Any]) -> CallEvent | None:
    """The :class:`CallEvent` a valid message stands for (None for ping/raise)."""
    cmd = msg["cmd"]
    if cmd == "call":
        kind, caller = CallEventKind.RING, msg.get("number", "")
    elif cmd in {k.value for k in CallEventKind}:
        kind, caller = CallEventKind(cmd), msg.get("caller", "")
    else:
        return None
    return CallEvent(kind=kind, call_id=msg.get("call_id"), caller=caller,
                     display_name=msg.get("display_name", ""), cause=msg.get("cause", ""),
                     source=EventSource(msg.get("source", EventSource.CLI.value)))


def event_message(event: CallEvent) -> dict[str, Any]:
    msg: dict[str, Any] = {"cmd": event.kind.value, "source": event.source.value}
    if event.call_id is not None:
        msg["call_id"] = event.call_id
    for key in ("caller", "display_name", "cause"):
        value = getattr(event, key)
        if value:
            msg[key] = value
    return msg


# -- the client ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reply:
    """What the window said: ``delivered`` False means no window is listening."""

    delivered: bool
    ok: bool = False
    error: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def peer_uid(sock: socket.socket) -> int:
    _pid, uid, _gid = _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, _SO_PEERCRED, _CRED.size))
    return int(uid)


def send(name: str, message: dict[str, Any], timeout_ms: int = 2000) -> dict[str, Any] | None:
    """Send one message to the window serving ``name``; its reply, or None when no window answered.

    Raises :class:`ChannelError` when the socket's directory is not private or the listener is another
    user's: the message is not sent then.
    """
    check_private_dir(Path(name).parent)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(max(0.01, timeout_ms / 1000))
    try:
        try:
            sock.connect(name)
        except OSError:
            return None
        uid = peer_uid(sock)
        if uid != _uid():
            raise ChannelError(f"the window socket {name} is served by uid {uid}, not by this user; "
                               "nothing was sent to it")
        sock.sendall(json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
            if len(buf) > MAX_MESSAGE:
                return None
        reply = json.loads(buf.split(b"\n", 1)[0])
        return reply if isinstance(reply, dict) else None
    except (OSError, ValueError):
        return None
    finally:
        sock.close()


def send_event(name: str, event: CallEvent, timeout_ms: int = 2000) -> Reply:
    """Hand one call event to the window; returns as soon as the window has validated and queued it."""
    reply = send(name, event_message(event), timeout_ms)
    if reply is None:
        return Reply(delivered=False, error="no Agent Assist window answered")
    return Reply(delivered=True, ok=bool(reply.get("ok")), error=str(reply.get("error", "")),
                 data={k: v for k, v in reply.items() if k not in {"ok", "error"}})


# -- the server ----------------------------------------------------------------------------------------
class ListenResult(Enum):
    LISTENING = "listening"
    RUNNING = "running"  # another window serves this database
    FAILED = "failed"


class _Conn:
    __slots__ = ("buf", "since", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.since = time.monotonic()


class InstanceServer(QObject):
    """Serves ``name`` on its own thread; the GUI thread gets ``message_received(dict)`` and
    ``event_received(CallEvent)`` for every valid message other than ``ping``."""

    message_received = Signal(dict)
    event_received = Signal(object)  # CallEvent
    _wake = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.error = ""
        self.accepted = 0
        self.refused = 0
        self._queue: deque[dict[str, Any]] = deque()
        self._wake_pending = threading.Event()
        self._wake.connect(self._drain)  # queued: emitted on the server thread
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.setInterval(1)
        self._more.setTimerType(Qt.TimerType.PreciseTimer)
        self._more.timeout.connect(self._drain)
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop_r, self._stop_w = -1, -1

    # -- lifetime ------------------------------------------------------------------------------------
    def listen(self) -> ListenResult:
        try:
            check_private_dir(Path(self.name).parent)
        except ChannelError as e:
            self.error = str(e)
            log.warning("local channel refused: %s", e)
            return ListenResult.FAILED
        try:
            import fcntl
        except ImportError:  # Windows: the channel is Unix sockets; the window works without it
            self.error = "the local channel is not available on this system"
            return ListenResult.FAILED
        lock_path = self.name + ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EACCES):
                return ListenResult.RUNNING  # a window holds the lock, even if too busy to answer
            self.error = e.strerror or str(e)
            return ListenResult.FAILED
        try:
            if os.path.lexists(self.name):
                try:
                    if send(self.name, {"cmd": "ping"}, timeout_ms=500) is not None:
                        os.close(fd)
                        return ListenResult.RUNNING  # a window without the lock (older version)
                except ChannelError as e:
                    log.warning("refusing a foreign listener: %s; replacing it", e)
                os.unlink(self.name)  # stale (nobody answers) or not ours
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old = os.umask(0o177)
            try:
                listener.bind(self.name)
            finally:
                os.umask(old)
            listener.listen(256)
            listener.setblocking(False)
        except OSError as e:
            os.close(fd)
            self.error = e.strerror or str(e)
            log.warning("single-instance server could not listen on %s: %s", self.name, self.error)
            return ListenResult.FAILED
        self._lock_fd = fd
        self._listener = listener
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="agent-assist-channel", daemon=True)
        self._thread.start()
        return ListenResult.LISTENING

    def is_listening(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        if self._thread is not None:
            os.write(self._stop_w, b"x")
            self._thread.join(timeout=5)
            self._thread = None
            os.close(self._stop_r)
            os.close(self._stop_w)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            with contextlib.suppress(OSError):
                os.unlink(self.name)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._queue.clear()
        self._more.stop()

    # -- the server thread ---------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._listener is not None
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ, None)
        sel.register(self._stop_r, selectors.EVENT_READ, "stop")
        conns: dict[int, _Conn] = {}
        try:
            while True:
                for key, _mask in sel.select(timeout=1.0):
                    if key.data == "stop":
                        return
                    if key.data is None:
                        self._accept(sel, conns)
                    else:
                        self._read(sel, conns, key.data)
                now = time.monotonic()
                for c in [c for c in conns.values() if now - c.since > CLIENT_TIMEOUT_S]:
                    self._finish(sel, conns, c, {"ok": False, "error": "no complete message in time"})
        except Exception:  # the channel must never take the window down
            log.exception("local channel thread failed")
        finally:
            for c in list(conns.values()):
                c.sock.close()
            sel.close()

    def _accept(self, sel: selectors.BaseSelector, conns: dict[int, _Conn]) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.warning("local channel accept failed: %s", e)
                return
            try:
                uid = peer_uid(sock)
            except OSError:
                uid = -1
            if uid != _uid():
                log.warning("local channel: refused a client of uid %s", uid)
                self.refused += 1
                self._reply(sock, {"ok": False, "error": "refused: not this user's process"})
                sock.close()
                continue
            if len(conns) >= MAX_CLIENTS:
                self._reply(sock, {"ok": False, "error": "busy: too many connections"})
                sock.close()
                continue
            sock.setblocking(False)
            c = _Conn(sock)
            conns[sock.fileno()] = c
            sel.register(sock, selectors.EVENT_READ, c)

    def _read(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], c: _Conn) -> None:
        try:
            chunk = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._finish(sel, conns, c, None)
            return
        c.buf += chunk
        if b"\n" not in c.buf:
            if len(c.buf) > MAX_MESSAGE:
                self._refuse(sel, conns, c, f"message too long (limit {MAX_MESSAGE} bytes)")
            return
        line = c.buf.split(b"\n", 1)[0]
        try:
            msg = parse_message(line)
        except BadMessage as e:
            self._refuse(sel, conns, c, str(e))
            return
        reply: dict[str, Any] = {"ok": True}
        if msg["cmd"] == "ping":
            reply["pid"] = os.getpid()
        else:
            self._queue.append(msg)
            self.accepted += 1
            reply["queued"] = len(self._queue)
            if not self._wake_pending.is_set():
                self._wake_pending.set()
                self._wake.emit()
        self._finish(sel, conns, c, reply)

    def _refuse(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], c: _Conn, why: str) -> None:
        self.refused += 1
        log.warning("local channel: refused a message: %s", why)
        self._finish(sel, conns, c, {"ok": False, "error": why})

    def _finish(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], c: _Conn,
                reply: dict[str, Any] | None) -> None:
        conns.pop(c.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(c.sock)
        if reply is not None:
            c.sock.setblocking(True)
            c.sock.settimeout(1.0)
            self._reply(c.sock, reply)
        c.sock.close()

    @staticmethod
    def _reply(sock: socket.socket, reply: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the client gave up; a valid message is queued all the same
            sock.sendall(json.dumps(reply).encode("utf-8") + b"\n")

    # -- the GUI thread ------------------------------------------------------------------------------
    def _drain(self) -> None:
        self._wake_pending.clear()
        deadline = time.perf_counter() + DRAIN_BUDGET_S
        while self._queue:
            msg = self._queue.popleft()
            try:
                self.message_received.emit(msg)
                event = event_from_message(msg)
                if event is not None:
                    self.event_received.emit(event)
            except Exception:
                log.exception("handling a message from the local channel failed")
            if time.perf_counter() > deadline and self._queue:
                # a real 1 ms timer, not 0: Qt turns a 0 ms single shot into a posted event, and a chain
                # of those starved the window's own timers for 100+ ms under a 200-ring burst
                self._more.start()
                return

