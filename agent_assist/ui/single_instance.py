"""One window per database: a local socket (QLocalServer) that later ``agent-assist`` processes talk to.

``agent-assist call NUMBER`` connects, sends one JSON line (``{"cmd": "call", "number": "+1555…"}``) and
waits for ``{"ok": true}``, so the caller knows the window took the call. The server name is per user and
includes a hash of the database path, so windows (and tests) on different databases never meet. A socket
left behind by a crashed window is detected (nobody answers) and removed before listening.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

_MAX_LINE = 64 * 1024
_UNIX_PATH_MAX = 100  # sun_path is 108 bytes on Linux, 104 on macOS


def server_name(db_path: Path | str) -> str:
    """The per-user, per-database server name (a socket path in XDG_RUNTIME_DIR where there is one)."""
    resolved = str(Path(db_path).expanduser().resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    user = "".join(ch for ch in user if ch.isalnum() or ch in "-_")[:32] or "user"
    name = f"agent-assist-{user}-{digest}"
    if sys.platform != "win32":
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
            candidate = os.path.join(runtime, name + ".sock")
            if len(candidate.encode()) < _UNIX_PATH_MAX:
                return candidate
    return name


def send(name: str, message: dict[str, Any], timeout_ms: int = 2000) -> dict[str, Any] | None:
    """Send one message to the window serving ``name``; its reply, or None when no window answered."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return None
    try:
        sock.write((json.dumps(message) + "\n").encode("utf-8"))
        if not sock.waitForBytesWritten(timeout_ms):
            return None
        buf = b""
        while b"\n" not in buf:
            if not sock.waitForReadyRead(timeout_ms):
                return None
            buf += bytes(sock.readAll().data())
            if len(buf) > _MAX_LINE:
                return None
        reply = json.loads(buf.split(b"\n", 1)[0])
        return reply if isinstance(reply, dict) else None
    except ValueError:
        return None
    finally:
        sock.disconnectFromServer()
        sock.close()


class ListenResult(Enum):
    LISTENING = "listening"
    RUNNING = "running"  # another window serves this database
    FAILED = "failed"


class InstanceServer(QObject):
    """Listens on ``name``; emits ``message_received(dict)`` for every valid message."""

    message_received = Signal(dict)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.error = ""
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> ListenResult:
        if send(self.name, {"cmd": "ping"}, timeout_ms=500) is not None:
            return ListenResult.RUNNING
        # nobody answered: whatever socket file is there is stale
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            self.error = self._server.errorString()
            log.warning("single-instance server could not listen on %s: %s", self.name, self.error)
            return ListenResult.FAILED
        return ListenResult.LISTENING

    def is_listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        for sock in list(self._buffers):
            sock.abort()
        self._buffers.clear()
        if self._server.isListening():
            self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            if sock is None:
                break
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))

    def _drop(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        if sock not in self._buffers:
            return
        buf = self._buffers[sock] + bytes(sock.readAll().data())
        if b"\n" not in buf:
            if len(buf) > _MAX_LINE:
                self._reply(sock, {"ok": False, "error": "message too long"})
            else:
                self._buffers[sock] = buf
            return
        line = buf.split(b"\n", 1)[0]
        try:
            msg = json.loads(line)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
            self._reply(sock, {"ok": False, "error": "not a message"})
            return
        self._reply(sock, {"ok": True})
        if msg["cmd"] != "ping":
            self.message_received.emit(msg)

    def _reply(self, sock: QLocalSocket, reply: dict[str, Any]) -> None:
        self._buffers[sock] = b""
        sock.write((json.dumps(reply) + "\n").encode("utf-8"))
        sock.flush()
