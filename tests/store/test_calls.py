"""store.calls writes are atomic: a failure part-way leaves nothing behind, and nesting keeps the outer
transaction open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import calls
from agent_assist.store.db import connect


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "c.db")
    d.execute("INSERT INTO agents (id, name) VALUES (1, 'Ann Agent')")
    yield d
    d.close()


def test_utterance_with_a_bad_flag_is_not_half_written(db: Database) -> None:
    cid = calls.start_call(db, agent_id=1, customer_id=None)
    with pytest.raises(KeyError):
        calls.add_utterance(db, cid, party="agent", text="I guarantee it", flags=[{"start": 0, "end": 5}])
    assert db.execute("SELECT count(*) FROM utterances").fetchone()[0] == 0
    assert db.execute("SELECT flags_count FROM calls").fetchone()[0] == 0
    uid = calls.add_utterance(db, cid, party="agent", text="I guarantee it", flags=[
        {"category": "over_promise", "start": 2, "end": 11, "reason": "r", "suggestion": "s"}])
    assert uid > 0
    assert db.execute("SELECT flags_count FROM calls").fetchone()[0] == 1


def test_calls_inside_an_outer_transaction_do_not_commit_it(db: Database) -> None:
    with pytest.raises(RuntimeError), db.atomic():
        cid = calls.start_call(db, agent_id=1, customer_id=None)
        calls.add_segments(db, cid, [("agent", 0.0, 1.5)])
        calls.add_task(db, text="call back", call_id=cid)
        raise RuntimeError("abandon")
    for table in ("calls", "speech_segments", "tasks"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_call_lifecycle(db: Database) -> None:
    cid = calls.start_call(db, agent_id=1, customer_id=None, phone_e164="+15551234567")
    assert [c.id for c in calls.unfinished_calls(db)] == [cid]
    calls.add_segments(db, cid, [("customer", 1.0, 2.0), ("agent", 0.0, 1.0)])
    assert calls.segments(db, cid) == [("agent", 0.0, 1.0), ("customer", 1.0, 2.0)]
    calls.finish_call(db, cid, metrics={"talk_ratio": 0.5, "duration_s": 2.0}, outcome="resolved")
    row = calls.get_call(db, cid)
    assert row is not None and row.status == "done" and row.outcome == "resolved" and row.ended_at
    assert calls.unfinished_calls(db) == []
    with pytest.raises(LookupError):
        calls.finish_call(db, 999)
