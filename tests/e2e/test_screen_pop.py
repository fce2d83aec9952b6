"""End to end: the real app process, offscreen, and `agent-assist call` from a second process.

The window reports what it shows through the test hook ``AGENT_ASSIST_TEST_STATE`` (a JSON file it
rewrites after every change); the private XDG directories from conftest keep the socket and data apart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.ui.single_instance import server_name
from tests.e2e.appproc import ROOT
from tests.e2e.appproc import cli as _cli
from tests.e2e.appproc import wait_state as _wait_state

pytestmark = pytest.mark.e2e



def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stop(pid: int) -> None:
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the app did not stop on SIGTERM")


def _another_customer(db_path: Path, not_phone: str) -> tuple[str, str]:
    """(phone, name) of a stored customer other than the one with ``not_phone``."""
    db = connect(db_path, writer=False)  # read beside the running window (one writer per file)
    try:
        row = db.execute("SELECT phone_e164, name FROM customers WHERE phone_e164 IS NOT NULL AND "
                         "phone_e164 != ? ORDER BY id LIMIT 1", [not_phone]).fetchone()
        assert row is not None
        return str(row[0]), str(row[1])
    finally:
        db.close()


def _customer(db_path: Path, phone: str) -> str:
    db = connect(db_path, writer=False)  # read beside the running window (one writer per file)
    try:
        c = queries.find_by_phone(db, phone)
        assert c is not None
        return c.name
    finally:
        db.close()


@pytest.fixture
def app(db_path: Path, state_file: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "agent_assist", "--db", str(db_path)], cwd=ROOT,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_call_from_a_second_process_pops_the_caller(app: subprocess.Popen[str], db_path: Path,
                                                    state_file: Path) -> None:
    _wait_state(state_file, lambda s: s.get("db_ready") is True)
    expected = _customer(db_path, "(555) 123-4567")

    done = _cli("call", "(555) 123-4567", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    state = _wait_state(state_file, lambda s: s.get("mode") == "card")
    assert state["customer"] == expected
    assert state["phone"] == "+15551234567"
    assert state["tab"] == "Desk"

    # any stored or typed format of a number reaches the same caller: another caller's card first, so
    # the card has to change back for the international format of the first number. Each caller gives
    # up before the answer (a missed call), so the next ring is not call waiting.
    assert _cli("hangup", "--db", str(db_path)).returncode == 0
    _wait_state(state_file, lambda s: s.get("call_status") == "idle")
    other_phone, other = _another_customer(db_path, "+15551234567")
    assert _cli("call", other_phone, "--db", str(db_path)).returncode == 0
    _wait_state(state_file, lambda s: s.get("mode") == "card" and s.get("customer") == other)
    assert _cli("hangup", "--db", str(db_path)).returncode == 0
    _wait_state(state_file, lambda s: s.get("call_status") == "idle")
    done = _cli("--db", str(db_path), "call", "+1 555 123 4567")
    assert done.returncode == 0, done.stderr
    state = _wait_state(state_file, lambda s: s.get("mode") == "card" and s.get("customer") == expected)
    assert state["phone"] == "+15551234567" and state["call_status"] == "ringing"
    assert _cli("hangup", "--db", str(db_path)).returncode == 0
    _wait_state(state_file, lambda s: s.get("call_status") == "idle")

    # an unknown number: the new-caller form, number prefilled
    done = _cli("call", "555/010 4545", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    state = _wait_state(state_file, lambda s: s.get("mode") == "new")
    assert state["new_caller_phone"] == "+1 555-010-4545"
    assert state["pid"] == app.pid

    # SIGTERM closes the window cleanly and removes its socket
    app.send_signal(signal.SIGTERM)
    assert app.wait(timeout=15) == 0
    assert not Path(server_name(db_path)).exists()


def test_call_starts_the_app_when_none_is_running(db_path: Path, state_file: Path) -> None:
    done = _cli("call", "(555) 123-4567", "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    assert "started Agent Assist" in done.stdout
    state = _wait_state(state_file, lambda s: s.get("mode") == "card")
    try:
        assert state["customer"] == _customer(db_path, "+15551234567")
        # a second call goes to the window that is now running, without starting another
        done = _cli("call", "+1 555 123 4567", "--db", str(db_path), "--no-start")
        assert done.returncode == 0, done.stderr
        assert "started" not in done.stdout
    finally:
        _stop(state["pid"])


def test_malformed_number_is_one_line_and_exit_2(db_path: Path, state_file: Path) -> None:
    done = _cli("call", "call me maybe", "--db", str(db_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is not a phone number" in done.stderr
    assert "Traceback" not in done.stderr
    assert not state_file.exists()  # no window was started


def test_no_start_without_a_window_fails_clearly(db_path: Path, state_file: Path) -> None:
    done = _cli("call", "(555) 123-4567", "--db", str(db_path), "--no-start")
    assert done.returncode == 2
    assert "no Agent Assist window is running" in done.stderr
    assert not state_file.exists()
