"""End to end: call events from a second process drive the real app (offscreen), keyed by call id.

ring -> answer -> hang-up by ``agent-assist call/answer/hangup --call-id``; a second call during a call
(the waiting banner, the first call held, a third one missed with a callback task); bad input (an unknown
call id, a hang-up with no call); and ``agent-assist calls --json``. The window reports what it shows
through ``AGENT_ASSIST_TEST_STATE``; the store is read directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent_assist.store.db import connect
from tests.e2e.appproc import ROOT
from tests.e2e.appproc import cli as _cli
from tests.e2e.appproc import wait_state as _wait_state

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(db_path: Path, state_file: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "agent_assist", "--db", str(db_path)], cwd=ROOT,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_state(state_file, lambda s: s.get("db_ready") is True)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _phone(db_path: Path, customer_id: int) -> str:
    db = connect(db_path, writer=False)
    try:
        return str(db.execute("SELECT phone_e164 FROM customers WHERE id = ?", [customer_id]).fetchone()[0])
    finally:
        db.close()


def _sql(db_path: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    db = connect(db_path, writer=False)
    try:
        return [tuple(r) for r in db.execute(sql, params or []).fetchall()]
    finally:
        db.close()


def _ok(*args: str) -> str:
    done = _cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ring_answer_hangup_by_call_id(app: subprocess.Popen[str], db_path: Path, state_file: Path) -> None:
    db = str(db_path)
    phone = _phone(db_path, 1)
    out = _ok("call", f'"Jane at the desk" <sip:{phone}@pbx.example>;tag=9f', "--call-id", "e2e-1", "--db", db)
    assert "call e2e-1" in out
    s = _wait_state(state_file, lambda s: s.get("call_status") == "ringing" and s.get("mode") == "card")
    assert s["call_ref"] == "e2e-1" and s["customer_id"] == 1 and s["focus"] is True

    # bad input: an unknown id is refused naming it; nothing changes
    bad = _cli("answer", "--call-id", "nope-42", "--db", db)
    assert bad.returncode == 2 and "'nope-42'" in bad.stderr and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr

    _ok("answer", "--call-id", "e2e-1", "--db", db)
    s = _wait_state(state_file, lambda s: s.get("call_status") == "active")
    assert s["call_ref"] == "e2e-1"
    # answering twice is an illegal transition: exit 2, one line
    twice = _cli("answer", "--call-id", "e2e-1", "--db", db)
    assert twice.returncode == 2 and "cannot answer call 'e2e-1': it is active" in twice.stderr

    _ok("hangup", "--call-id", "e2e-1", "--db", db)
    s = _wait_state(state_file, lambda s: s.get("wrapup_visible") is True)
    assert s["call_status"] == "wrapup" and s["wrapup_outcome"] == ""  # no outcome preselected
    status, rang, answered, ended, duration = _sql(
        db_path, "SELECT status, rang_at, answered_at, ended_at, duration_s FROM calls WHERE call_ref = 'e2e-1'")[0]
    assert status == "wrapup" and str(rang) <= str(answered) <= str(ended)
    talk = (datetime.fromisoformat(str(ended)) - datetime.fromisoformat(str(answered))).total_seconds()
    assert isinstance(duration, float) and abs(duration - talk) < 0.2  # talk time from the answer

    # the ended call is in the customer's history at once
    assert _sql(db_path, "SELECT channel FROM interactions WHERE external_id = ?",
                [f"call:{_sql(db_path, 'SELECT id FROM calls WHERE call_ref = ?', ['e2e-1'])[0][0]}"]) == [("call",)]

    # a hang-up with no call: a clear no-op
    out = _ok("hangup", "--db", db)
    assert "no call to hang up" in out

    lines = _ok("calls", "--json", "--db", db).splitlines()
    first = json.loads(lines[0])
    assert set(first) >= {"call_id", "number", "customer_id", "status", "rang_at", "answered_at", "ended_at",
                          "duration_s"}
    assert first["call_id"] == "e2e-1" and first["number"] == phone and first["customer_id"] == 1
    assert first["status"] == "wrapup" and first["duration_s"] == duration
    for key in ("rang_at", "answered_at", "ended_at"):
        assert datetime.fromisoformat(first[key]).utcoffset() is not None  # ISO 8601 with offset
    text = _ok("calls", "--db", db, "--limit", "1")
    assert "e2e-1" in text and "wrapup" in text
    bad = _cli("calls", "--limit", "0", "--db", db)
    assert bad.returncode == 2 and "--limit" in bad.stderr


def test_second_call_banner_hold_and_missed(app: subprocess.Popen[str], db_path: Path,
                                           state_file: Path) -> None:
    db = str(db_path)
    _ok("call", _phone(db_path, 1), "--call-id", "a", "--db", db)
    _wait_state(state_file, lambda s: s.get("call_ref") == "a" and s.get("mode") == "card")
    _ok("answer", "--call-id", "a", "--db", db)
    first = _wait_state(state_file, lambda s: s.get("call_status") == "active")

    # a second call rings: the banner, the current call and card untouched
    _ok("call", _phone(db_path, 2), "--call-id", "b", "--db", db)
    s = _wait_state(state_file, lambda s: s.get("waiting") == ["b"] and s.get("waiting_banner") is True)
    assert s["call_ref"] == "a" and s["customer_id"] == first["customer_id"] == 1

    # answered: the first call is held, the card follows the active call
    _ok("answer", "--call-id", "b", "--db", db)
    s = _wait_state(state_file, lambda s: s.get("call_ref") == "b" and s.get("call_status") == "active")
    assert s["on_hold"] == ["a"] and s["waiting"] == [] and s["waiting_banner"] is False
    _wait_state(state_file, lambda s: s.get("customer_id") == 2)
    assert _sql(db_path, "SELECT call_ref, status FROM calls WHERE call_ref IN ('a', 'b') ORDER BY call_ref") == \
        [("a", "held"), ("b", "active")]

    # a third rings and the caller gives up: missed, with a callback task in the work list
    _ok("call", "+1 555 010 9876", "--call-id", "c", "--db", db)
    _wait_state(state_file, lambda s: s.get("waiting") == ["c"])
    _ok("hangup", "--call-id", "c", "--db", db)
    s = _wait_state(state_file, lambda s: s.get("last_missed") == "c")
    assert s["waiting"] == [] and s["call_ref"] == "b"
    assert _sql(db_path, "SELECT t.kind, t.channel, t.done FROM tasks t JOIN calls k ON k.id = t.call_id"
                " WHERE k.call_ref = 'c'") == [("callback", "phone", 0)]
    missed = [json.loads(x) for x in _ok("calls", "--json", "--status", "missed", "--db", db).splitlines()]
    assert [m["call_id"] for m in missed] == ["c"] and missed[0]["answered_at"] is None
    assert missed[0]["number"] == "+15550109876" and missed[0]["duration_s"] is None

    # a withheld caller rings: an unknown caller, never a crash
    _ok("call", "anonymous", "--call-id", "d", "--db", db)
    _wait_state(state_file, lambda s: s.get("waiting") == ["d"])
    _ok("hangup", "--call-id", "d", "--db", db)
    _wait_state(state_file, lambda s: s.get("last_missed") == "d")
    assert app.poll() is None
