"""End to end, the real app process: safe first run, one writer per database, clean stop on signals,
private files, and one clear line for a locked database (issue 17, items 5 and 6).

Each test starts ``python -m agent_assist`` as the softphone or the agent would, offscreen, with the
private XDG folders of tests/conftest.py; the window reports its state through AGENT_ASSIST_TEST_STATE.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_assist.store.demo import build_demo_file

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0


def _env(state: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AGENT_ASSIST_TEST_STATE": str(state), **extra}


def _start(*args: str, state: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agent_assist", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(state, **extra))


def _cli(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def _read_state(p: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(p.read_text()))
    except (OSError, ValueError):
        return {}


def _wait(pred: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _wait_state(p: Path, pred: Callable[[dict[str, Any]], bool], proc: subprocess.Popen[str]) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        s = _read_state(p)
        return s if s and pred(s) else None

    return dict(_wait(check, "the window's state"))


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the app did not stop on SIGTERM") from None
    return proc.returncode


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.communicate()


def _customers(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    p = tmp_path / "demo.db"
    build_demo_file(p, customers=30, seed=5)
    return p


def test_killed_first_run_is_rebuilt_not_opened_empty(tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    db = tmp_path / "first.db"
    state = tmp_path / "state.json"
    app = _start("--db", str(db), state=state, AGENT_ASSIST_DEMO_CUSTOMERS="1500")
    procs.append(app)
    # the build is under way: its temporary file exists beside the target
    _wait(lambda: list(tmp_path.glob(".first.db.building-*")), "the demo build to start")
    app.kill()  # kill -9 in the middle of the build
    app.wait(timeout=30)
    # nothing half-built or empty is in place (today: an empty database that opens with 0 customers)
    assert not db.exists() or db.stat().st_size == 0 or _customers(db) > 0
    state.unlink(missing_ok=True)
    again = _start("--db", str(db), state=state, AGENT_ASSIST_DEMO_CUSTOMERS="40")
    procs.append(again)
    _wait_state(state, lambda s: s.get("db_ready") is True, again)
    assert _stop(again) == 0
    assert _customers(db) == 40
    assert not list(tmp_path.glob(".first.db.building-*")), "the killed build's file was not cleaned up"


def test_zero_byte_database_is_rebuilt_or_reported(tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    db = tmp_path / "zero.db"
    db.write_bytes(b"")
    # a command reports it, one line, and leaves it alone
    csv = tmp_path / "c.csv"
    csv.write_text("external_id,name,phone\nc1,Ann Lee,+15552223333\n")
    r = _cli("--db", str(db), "import", "customers", str(csv))
    assert r.returncode == 1 and "empty file (0 bytes)" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert db.stat().st_size == 0
    # the window builds the demo database in its place instead of opening it with 0 customers
    state = tmp_path / "state.json"
    app = _start("--db", str(db), state=state, AGENT_ASSIST_DEMO_CUSTOMERS="25")
    procs.append(app)
    _wait_state(state, lambda s: s.get("db_ready") is True, app)
    assert _stop(app) == 0
    assert _customers(db) == 25


def test_one_writer_per_database_even_through_a_hard_link(demo_db: Path, tmp_path: Path,
                                                          procs: list[subprocess.Popen[str]]) -> None:
    link = tmp_path / "other-name.db"
    os.link(demo_db, link)
    s1, s2 = tmp_path / "s1.json", tmp_path / "s2.json"
    first = _start("--db", str(demo_db), state=s1)
    procs.append(first)
    _wait_state(s1, lambda s: s.get("db_ready") is True, first)
    # a second window on the same file under another name: refused with one clear line, file untouched
    second = _start("--db", str(link), state=s2)
    procs.append(second)
    st = _wait_state(s2, lambda s: bool(s.get("db_problem")), second)
    assert "already open in another Agent Assist window" in st["db_problem"]
    assert st["db_ready"] is False
    assert _stop(second) == 0
    # a command too, and `demo --force` will not replace it under the window
    csv = tmp_path / "c.csv"
    csv.write_text("external_id,name,phone\nc1,Ann Lee,+15552223333\n")
    r = _cli("--db", str(link), "import", "customers", str(csv))
    assert r.returncode == 1 and "already open" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    before = demo_db.stat().st_ino
    r = _cli("--db", str(demo_db), "demo", "--force", "--customers", "5")
    assert r.returncode == 2 and "is open in Agent Assist" in r.stderr, r.stderr
    assert demo_db.stat().st_ino == before and _customers(demo_db) == 30
    assert _stop(first) == 0
    # once the window is closed the lock is gone
    r = _cli("--db", str(link), "import", "customers", str(csv))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("after_s", [0.0, 0.4, 1.0])
def test_sigterm_in_the_first_second_stops_cleanly(demo_db: Path, tmp_path: Path, after_s: float,
                                                   procs: list[subprocess.Popen[str]]) -> None:
    state = tmp_path / "state.json"
    app = _start("--db", str(demo_db), state=state)
    procs.append(app)
    # from the moment our first lines run (the handler is in the kernel's caught mask; before that the
    # interpreter is still starting and the default action ends a process that opened nothing), then
    # each delay: 0 is during the imports, 0.4 s while Qt and the window start, 1 s as the data loads
    _wait(lambda: _catches_sigterm(app.pid), "the SIGTERM handler", timeout=60)
    time.sleep(after_s)  # the moment of the signal is the point of the test, not a wait for a condition
    app.send_signal(signal.SIGTERM)
    try:
        _out, err = app.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        app.kill()
        app.communicate()
        raise AssertionError(f"SIGTERM {after_s} s after start was ignored") from None
    assert app.returncode == 0, (app.returncode, err)
    assert "Traceback" not in err
    # clean: the database is closed (no writer lock left) and still whole
    r = _cli("--db", str(demo_db), "import", "customers", str(_one_customer(tmp_path)))
    assert r.returncode == 0, r.stderr


def _catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _one_customer(folder: Path) -> Path:
    p = folder / "one.csv"
    p.write_text("external_id,name,phone\nz1,Zed Last,+15552220000\n")
    return p


def test_every_file_the_app_writes_is_private(tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    state = tmp_path / "state.json"
    data = Path(os.environ["XDG_DATA_HOME"]) / "agent-assist"
    logs = Path(os.environ["XDG_STATE_HOME"]) / "agent-assist"
    app = _start(state=state, AGENT_ASSIST_DEMO_CUSTOMERS="30")  # the default database location
    procs.append(app)
    _wait_state(state, lambda s: s.get("db_ready") is True, app)
    r = _cli("call", "+1 555 123 4567")
    assert r.returncode == 0, r.stderr
    _wait_state(state, lambda s: s.get("mode") in ("card", "new"), app)
    written = [*data.rglob("*"), *logs.rglob("*")]
    assert any(p.name == "agent-assist.db" for p in written) and any(p.suffix == ".log" for p in written)
    assert any(p.name.endswith("-wal") for p in written)
    for p in [data, logs, *written]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), f"{p} is {mode:o}"
    assert _stop(app) == 0
    log_text = "".join(p.read_text(errors="replace") for p in logs.rglob("*.log*"))
    assert "5551234567" not in "".join(c for c in log_text if c.isdigit() or c.isspace())


def test_locked_database_is_one_clear_line(demo_db: Path, tmp_path: Path) -> None:
    holder = sqlite3.connect(str(demo_db))
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is writing and does not let go
        holder.execute("UPDATE customers SET notes = 'x' WHERE id = 1")
        r = _cli("--db", str(demo_db), "import", "customers", str(_one_customer(tmp_path)))
    finally:
        holder.rollback()
        holder.close()
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "locked by another program" in r.stderr, r.stderr
    assert "unexpected" not in r.stderr
