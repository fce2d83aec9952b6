"""The single-instance socket: names per user and database, delivery, stale sockets, a second window."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.ui.single_instance import InstanceServer, ListenResult, server_name

ROOT = Path(__file__).resolve().parents[2]

CLIENT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QCoreApplication
    from agent_assist.ui.single_instance import send
    app = QCoreApplication([])
    print(json.dumps(send(sys.argv[1], json.loads(sys.argv[2]), timeout_ms=3000)))
""")

RAW_CLIENT = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\\n")
    print(s.makefile().readline().strip())
""")

SERVER = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QCoreApplication
    from agent_assist.ui.single_instance import InstanceServer
    app = QCoreApplication([])
    server = InstanceServer(sys.argv[1])
    print(server.listen().value, flush=True)
    app.exec()
""")


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def _finish(qtbot: QtBot, proc: subprocess.Popen[str]) -> str:
    # the server lives on this thread's event loop, so wait without blocking it
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out.strip()


@pytest.fixture
def server(qtbot: QtBot, tmp_path: Path) -> Any:
    s = InstanceServer(server_name(tmp_path / "a.db"))
    yield s
    s.close()


def test_names_are_per_database_and_user(tmp_path: Path) -> None:
    a, b = server_name(tmp_path / "a.db"), server_name(tmp_path / "b.db")
    assert a != b
    assert server_name(tmp_path / "x" / ".." / "a.db") == a  # the same file, however it is spelled
    user_part = Path(a).name
    assert user_part.startswith("agent-assist-") and user_part.endswith(".sock")
    assert a.startswith(os.environ["XDG_RUNTIME_DIR"])  # private per-user directory
    assert len(a.encode()) < 100


def test_delivers_messages_and_replies(qtbot: QtBot, server: InstanceServer) -> None:
    assert server.listen() is ListenResult.LISTENING
    msg = {"cmd": "call", "number": "+15551234567"}
    with qtbot.waitSignal(server.message_received, timeout=15000) as sig:
        proc = _spawn(CLIENT, server.name, json.dumps(msg))
    assert sig.args[0] == msg
    assert json.loads(_finish(qtbot, proc)) == {"ok": True}


def test_ping_is_answered_but_not_forwarded(qtbot: QtBot, server: InstanceServer) -> None:
    assert server.listen() is ListenResult.LISTENING
    got: list[dict[str, Any]] = []
    server.message_received.connect(got.append)
    proc = _spawn(CLIENT, server.name, json.dumps({"cmd": "ping"}))
    assert json.loads(_finish(qtbot, proc)) == {"ok": True}
    assert got == []


def test_garbage_gets_a_refusal(qtbot: QtBot, server: InstanceServer) -> None:
    assert server.listen() is ListenResult.LISTENING
    got: list[dict[str, Any]] = []
    server.message_received.connect(got.append)
    proc = _spawn(RAW_CLIENT, server.name, "this is not json")
    assert json.loads(_finish(qtbot, proc)) == {"ok": False, "error": "not a message"}
    assert got == []


def test_no_server_means_no_reply(tmp_path: Path) -> None:
    from agent_assist.ui.single_instance import send

    assert send(server_name(tmp_path / "nobody.db"), {"cmd": "ping"}, timeout_ms=300) is None


def test_stale_socket_is_replaced(qtbot: QtBot, server: InstanceServer) -> None:
    # what a crashed window leaves behind: a socket file nobody listens on
    s = socket.socket(socket.AF_UNIX)
    s.bind(server.name)
    s.close()
    assert Path(server.name).exists()
    assert server.listen() is ListenResult.LISTENING
    with qtbot.waitSignal(server.message_received, timeout=15000):
        proc = _spawn(CLIENT, server.name, json.dumps({"cmd": "raise"}))
    _finish(qtbot, proc)


def test_second_window_on_the_same_database_sees_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    name = server_name(tmp_path / "a.db")
    first = _spawn(SERVER, name)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "listening"
        second = InstanceServer(name)
        try:
            assert second.listen() is ListenResult.RUNNING
            assert not second.is_listening()
        finally:
            second.close()
        # another database is independent
        other = InstanceServer(server_name(tmp_path / "b.db"))
        try:
            assert other.listen() is ListenResult.LISTENING
        finally:
            other.close()
    finally:
        first.kill()
        first.communicate()
