"""store.transcripts: recognised lines with flags, the keep-no-text setting, retention and FTS5 search."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import calls, transcripts
from agent_assist.store.db import connect

FLAG = {"category": "blaming", "start": 0, "end": 15, "reason": "r", "suggestion": "s"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "t.db")
    d.execute("INSERT INTO agents (id, name) VALUES (1, 'Ann Agent')")
    yield d
    d.close()


def test_lines_keep_times_flags_and_count_for_the_call(db: Database) -> None:
    cid = calls.start_call(db, agent_id=1, customer_id=None)
    transcripts.add_line(db, cid, party="customer", start_s=3.0, end_s=4.5, text="my order is late")
    lid = transcripts.add_line(db, cid, party="agent", start_s=0.5, end_s=2.5,
                               text="didnt you read the manual", flags=[FLAG])
    got = transcripts.lines(db, cid)
    assert [(g.party, g.start_s, g.end_s) for g in got] == [("agent", 0.5, 2.5), ("customer", 3.0, 4.5)]
    assert got[0].id == lid and got[0].flags == [FLAG]
    row = db.execute("SELECT flags_count, flags_blaming FROM calls WHERE id = ?", [cid]).fetchone()
    assert tuple(row) == (1, 1)


def test_not_keeping_transcripts_stores_the_flags_only(db: Database) -> None:
    cid = calls.start_call(db, agent_id=1, customer_id=None)
    assert transcripts.add_line(db, cid, party="agent", start_s=0, end_s=1, text="didnt you read it",
                                flags=[FLAG], store_text=False) is None
    assert transcripts.lines(db, cid) == []
    assert db.execute("SELECT flags_count FROM calls").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM phrasing_flags").fetchone()[0] == 1


def test_search_finds_words_in_the_calls_in_view_only(db: Database) -> None:
    a = calls.start_call(db, agent_id=1, customer_id=None)
    b = calls.start_call(db, agent_id=1, customer_id=None)
    transcripts.add_line(db, a, party="agent", start_s=1, end_s=2, text="the refund is on its way")
    transcripts.add_line(db, b, party="customer", start_s=5, end_s=6, text="i want a refund today")
    transcripts.add_line(db, b, party="agent", start_s=7, end_s=8, text="thank you for waiting")
    hits = transcripts.search(db, "refund")
    assert [(h.call_id, h.start_s) for h in hits] == [(b, 5.0), (a, 1.0)]
    assert "[refund]" in hits[0].snippet
    assert [h.call_id for h in transcripts.search(db, "refund", call_ids=[a])] == [a]
    assert transcripts.search(db, "refund", call_ids=[]) == []
    assert [h.line_id for h in transcripts.search(db, "wait")] == [3]  # the last word is a prefix
    # FTS syntax in the user's words is just words, never an error
    assert transcripts.search(db, 'refund" (') != [] and transcripts.search(db, "***") == []


def test_retention_deletes_old_lines_and_their_index_entries(db: Database) -> None:
    cid = calls.start_call(db, agent_id=1, customer_id=None)
    transcripts.add_line(db, cid, party="agent", start_s=0, end_s=1, text="old words here", flags=[FLAG])
    old = (datetime.now(UTC) - timedelta(days=100)).replace(tzinfo=None).isoformat(timespec="seconds")
    db.execute("UPDATE transcript_lines SET stored_at = ?", [old])
    transcripts.add_line(db, cid, party="agent", start_s=2, end_s=3, text="new words here")
    assert transcripts.purge_older_than(db, 0) == 0
    assert transcripts.purge_older_than(db, 90) == 1
    assert [g.text for g in transcripts.lines(db, cid)] == ["new words here"]
    assert transcripts.search(db, "old") == []
    assert db.execute("SELECT flags_count FROM calls").fetchone()[0] == 1  # the call keeps its counts
