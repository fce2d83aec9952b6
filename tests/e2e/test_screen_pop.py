"""End to end: the real app process, offscreen, and `agent-assist call` from a second process.

The window reports what it shows through the test hook ``AGENT_ASSIST_TEST_STATE`` (a JSON file it
rewrites after every change); the private XDG directories from conftest keep the socket and data apart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo_file
from agent_assist.ui.single_instance import server_name

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "e2e.db"
    build_demo_file(path, customers=40, seed=11)
    return path


@pytest.fixture
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "state.json"
    monkeypatch.setenv("AGENT_ASSIST_TEST_STATE", str(p))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return p


def _cli(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


def _read_state(p: Path) -> dict[str, Any]:
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {}


def _wait_state(p: Path, pred: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = _read_state(p)
        if state and pred(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"window never reached the expected state; last: {state}")


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
    db = connect(db_path)
    try:
        row = db.execute("SELECT phone_e164, name FROM customers WHERE phone_e164 IS NOT NULL AND "
                         "phone_e164 != ? ORDER BY id LIMIT 1", [not_phone]).fetchone()
        assert row is not None
        return str(row[0]), str(row[1])
    finally:
        db.close()


def _customer(db_path: Path, phone: str) -> str:
    db = connect(db_path)
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
    # the card has to change back for the international format of the first number
    other_phone, other = _another_customer(db_path, "+15551234567")
    assert _cli("call", other_phone, "--db", str(db_path)).returncode == 0
    _wait_state(state_file, lambda s: s.get("mode") == "card" and s.get("customer") == other)
    done = _cli("--db", str(db_path), "call", "+1 555 123 4567")
    assert done.returncode == 0, done.stderr
    state = _wait_state(state_file, lambda s: s.get("mode") == "card" and s.get("customer") == expected)
    assert state["phone"] == "+15551234567"

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
