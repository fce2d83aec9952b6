"""Review queries on a real temporary SQLite file: filters, sorting, paging, trends, detail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import calls, review
from agent_assist.store.db import connect
from agent_assist.store.review import ReviewFilter


def _call(db: Database, agent: int, customer: int | None, start: str, end: str, ratio: float | None,
          flags: list[str] = (), kind: str = "call", outcome: str = "resolved",
          finish: bool = True) -> int:
    cid = calls.start_call(db, agent_id=agent, customer_id=customer, kind=kind, source="demo",
                           started_at=start)
    calls.add_segments(db, cid, [("agent", 0.0, 3.0), ("customer", 3.5, 10.0)])
    if flags:
        calls.add_utterance(db, cid, party="agent", text="Didn't you read the manual?", start_s=0.0,
                            flags=[{"category": c, "start": 0, "end": 6, "reason": f"{c} reason",
                                    "suggestion": "Could you tell me what you tried?"} for c in flags])
    if finish:
        calls.finish_call(db, cid, metrics={"talk_ratio": ratio, "duration_s": 600.0, "overtalk_s": 6.0,
                                            "longest_monologue_s": 40.0},
                          outcome=outcome, notes="notes", ended_at=end)
    return cid


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "t.db")
    d["agents"].insert_all([{"id": 1, "name": "Ann Agent"}, {"id": 2, "name": "Bob Baker"}])
    d["customers"].insert_all([
        {"id": 10, "name": "Carla Customer", "phone_e164": "+15551230001"},
        {"id": 11, "name": "Dan Doe", "phone_e164": "+15551230002"},
    ])
    yield d
    d.close()


@pytest.fixture
def filled(db: Database) -> Database:
    _call(db, 1, 10, "2026-11-02T09:00:00", "2026-11-02T09:10:00", 0.25)
    _call(db, 1, 11, "2026-11-03T09:00:00", "2026-11-03T09:10:00", 0.45, ["leading", "loaded"])
    _call(db, 2, 10, "2026-11-10T09:00:00", "2026-11-10T09:10:00", 0.35, ["over_promise"])
    _call(db, 2, None, "2026-11-11T09:00:00", "2026-11-11T09:10:00", None, kind="practice")
    _call(db, 2, 11, "2026-11-12T09:00:00", "", 0.9, finish=False)  # still active: not shown
    return db


def test_empty_database_gives_no_rows(db: Database) -> None:
    assert review.review_page(db, ReviewFilter()) == []
    assert review.review_count(db, ReviewFilter()) == 0
    assert review.call_date_range(db) == (None, None)
    assert review.weekly_trends(db) == []
    assert review.worth_coaching(db) == []


def test_default_page_is_finished_calls_newest_first(filled: Database) -> None:
    rows = [review.row_dict(r) for r in review.review_page(filled, ReviewFilter())]
    assert [r["started_at"][:10] for r in rows] == ["2026-11-11", "2026-11-10", "2026-11-03", "2026-11-02"]
    second = rows[2]
    assert second["agent"] == "Ann Agent" and second["customer"] == "Dan Doe"
    assert second["flags_count"] == 2 and second["flags_leading"] == 1 and second["flags_loaded"] == 1
    assert second["flags_blaming"] == 0
    assert rows[3]["flags_count"] == 0


def test_filters(filled: Database) -> None:
    def ids(**kw: object) -> list[str]:
        return [review.row_dict(r)["started_at"][:10]
                for r in review.review_page(filled, ReviewFilter(**kw), descending=False)]

    assert ids(agent_id=1) == ["2026-11-02", "2026-11-03"]
    assert ids(date_from="2026-11-03", date_to="2026-11-10") == ["2026-11-03", "2026-11-10"]
    assert ids(customer="carla") == ["2026-11-02", "2026-11-10"]
    assert ids(customer="+15551230002") == ["2026-11-03"]
    assert ids(above_target=True) == ["2026-11-03", "2026-11-10"]
    assert ids(above_target=True, target=0.40) == ["2026-11-03"]
    assert ids(flag_category="over_promise") == ["2026-11-10"]
    assert ids(kind="practice") == ["2026-11-11"]
    assert review.review_count(filled, ReviewFilter(agent_id=2)) == 2


def test_sort_by_any_column_and_paging(filled: Database) -> None:
    for col in review.COLUMN_KEYS:
        for desc in (False, True):
            rows = review.review_page(filled, ReviewFilter(), sort=col, descending=desc)
            assert len(rows) == 4, col
    by_ratio = [review.row_dict(r)["talk_ratio"]
                for r in review.review_page(filled, ReviewFilter(), sort="talk_ratio", descending=True)]
    assert by_ratio == [0.45, 0.35, 0.25, None]
    pages = [review.review_page(filled, ReviewFilter(), sort="agent", offset=o, limit=3) for o in (0, 3)]
    assert [len(p) for p in pages] == [3, 1]
    all_ids = {r[0] for p in pages for r in p}
    assert len(all_ids) == 4


def test_bad_dates_and_sort(filled: Database) -> None:
    with pytest.raises(ValueError, match="after the end date"):
        review.review_page(filled, ReviewFilter(date_from="2026-11-10", date_to="2026-11-01"))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        review.review_page(filled, ReviewFilter(date_from="11/10/2026"))
    with pytest.raises(ValueError, match="sort"):
        review.review_page(filled, ReviewFilter(), sort="nope")


def test_issues_and_open_tasks_belong_to_the_call(filled: Database) -> None:
    first = review.review_page(filled, ReviewFilter(), descending=False)[0][0]
    filled["issues"].insert_all([
        {"customer_id": 10, "opened_at": "2026-11-02T09:05:00", "status": "open", "title": "Router"},
        {"customer_id": 10, "opened_at": "2026-10-01T09:00:00", "resolved_at": "2026-11-02T09:06:00",
         "status": "resolved", "title": "Bill"},
        {"customer_id": 10, "opened_at": "2026-11-05T09:00:00", "status": "open", "title": "Later"},
        {"customer_id": 11, "opened_at": "2026-11-02T09:05:00", "status": "open", "title": "Other"},
    ])
    t1 = calls.add_task(filled, text="Send the refund form", call_id=first, agent_id=1)
    calls.add_task(filled, text="Call back Friday", call_id=first, agent_id=1)
    calls.set_task_done(filled, t1)
    row = review.row_dict(review.review_page(filled, ReviewFilter(), descending=False)[0])
    assert (row["issues_opened"], row["issues_resolved"], row["open_tasks"]) == (1, 1, 1)
    d = review.call_detail(filled, first)
    assert [i["title"] for i in d.issues_opened] == ["Router"]
    assert [i["title"] for i in d.issues_resolved] == ["Bill"]
    assert [t["text"] for t in d.tasks] == ["Send the refund form", "Call back Friday"]


def test_call_detail(filled: Database) -> None:
    cid = review.review_page(filled, ReviewFilter(flag_category="leading"))[0][0]
    d = review.call_detail(filled, cid)
    assert d.call["agent"] == "Ann Agent" and d.call["status"] == "done"
    assert d.segments == (("agent", 0.0, 3.0), ("customer", 3.5, 10.0))
    assert len(d.utterances) == 1
    assert [f["category"] for f in d.utterances[0]["flags"]] == ["leading", "loaded"]
    with pytest.raises(LookupError, match="does not exist"):
        review.call_detail(filled, 9999)


def test_weekly_trends_and_coaching(filled: Database) -> None:
    trends = {t.agent: t for t in review.weekly_trends(filled)}
    ann = trends["Ann Agent"]
    assert [w.week for w in ann.weeks] == ["2026-11-02"]
    assert ann.weeks[0].ratios == (0.25, 0.45)
    assert ann.weeks[0].flags_per_call == 1.0
    bob = trends["Bob Baker"]  # the practice attempt is left out of the call trends
    assert [(w.week, w.calls) for w in bob.weeks] == [("2026-11-09", 1)]
    moments = review.worth_coaching(filled)
    # 0.45: 15 points + 2 flags * 5 = 25; 0.35: 5 + 5 = 10
    assert [(m.started_at[:10], round(m.score, 6)) for m in moments] == [
        ("2026-11-03", 25.0), ("2026-11-10", 10.0)]
    assert "talk ratio 45%" in moments[0].why and "2 phrasing flags" in moments[0].why


def test_first_page_uses_an_index(filled: Database) -> None:
    for sort in ("started_at", "talk_ratio", "duration_s"):
        sql, params = review.review_sql(ReviewFilter(), sort)
        plan = " ".join(str(r[-1]) for r in filled.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (sort, plan)
        # the calls are read through an index on the sort column, not a full scan sorted afterwards
        assert re.search(rf"(SEARCH|SCAN) c USING (COVERING )?INDEX idx_calls_\w*{sort}\b", plan), (sort, plan)


def _counts(db: Database, cid: int) -> dict[str, int]:
    cols = ", ".join(f"flags_{c}" for c in review.FLAG_CATEGORIES)
    row = db.execute(f"SELECT {cols} FROM calls WHERE id = ?", [cid]).fetchone()
    return {c: int(v) for c, v in zip(review.FLAG_CATEGORIES, row, strict=True) if v}


def test_flag_counts_on_the_call_follow_every_change_of_its_flags(db: Database) -> None:
    a = _call(db, 1, 10, "2026-11-02T09:00:00", "2026-11-02T09:10:00", 0.3, ["leading", "loaded", "leading"])
    b = _call(db, 1, 11, "2026-11-03T09:00:00", "2026-11-03T09:10:00", 0.3)
    assert _counts(db, a) == {"leading": 2, "loaded": 1} and _counts(db, b) == {}
    with db.conn:
        db.execute("UPDATE phrasing_flags SET category = 'over_promise' WHERE category = 'loaded'")
        db.execute("UPDATE phrasing_flags SET call_id = ? WHERE id = (SELECT min(id) FROM phrasing_flags)", [b])
    assert _counts(db, a) == {"leading": 1, "over_promise": 1} and _counts(db, b) == {"leading": 1}
    with db.conn:
        db.execute("DELETE FROM phrasing_flags WHERE call_id = ?", [a])
    assert _counts(db, a) == {}
    # what the review shows and filters on is the stored count
    rows = review.review_page(db, ReviewFilter(flag_category="leading"))
    assert [r[0] for r in rows] == [b]
    assert review.row_dict(rows[0])["flags_leading"] == 1


def test_migrations_6_and_7_count_the_flags_written_before_them(tmp_path: Path) -> None:
    from agent_assist.store import db as dbm

    path = tmp_path / "v5.db"
    old = dbm.connect(path, migrate_schema=False)
    dbm.migrate(old, upto=5)
    old.execute("INSERT INTO agents (id, name) VALUES (1, 'Ann')")
    old.execute("INSERT INTO calls (id, agent_id, status, started_at) VALUES (7, 1, 'done', '2026-11-02T09:00:00')")
    for cat in ("negative", "negative", "over_promise"):  # "negative": the id before migration 7
        old.execute("INSERT INTO phrasing_flags (call_id, category) VALUES (7, ?)", [cat])
    old.execute("ANALYZE")  # a database with statistics gets them for the new indexes too
    old.conn.commit()
    old.close()
    db = dbm.connect(path)
    try:
        assert _counts(db, 7) == {"blaming": 2, "over_promise": 1}
        cats = [r[0] for r in db.execute("SELECT category FROM phrasing_flags ORDER BY id").fetchall()]
        assert cats == ["blaming", "blaming", "over_promise"]
        with db.conn:  # the triggers count the new id
            db.execute("INSERT INTO phrasing_flags (call_id, category) VALUES (7, 'blaming')")
        assert _counts(db, 7) == {"blaming": 3, "over_promise": 1}
        stats = {r[0] for r in db.execute("SELECT idx FROM sqlite_stat1").fetchall()}
        assert {f"idx_calls_status_flags_{c}" for c in review.FLAG_CATEGORIES} <= stats
    finally:
        db.close()


def test_date_filter_takes_local_days(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    late = _call(db, 1, 10, "2026-11-21T03:30:00", "2026-11-21T03:40:00", 0.2)  # 20 Nov, 22:30 in NY
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        on_20 = review.review_page(db, ReviewFilter(date_from="2026-11-20", date_to="2026-11-20"))
        on_21 = review.review_page(db, ReviewFilter(date_from="2026-11-21", date_to="2026-11-21"))
        assert [r[0] for r in on_20] == [late] and on_21 == []
        assert review.call_date_range(db) == ("2026-11-20", "2026-11-20")
        assert [w.week for w in review.weekly_trends(db)[0].weeks] == ["2026-11-16"]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_period_weeks_counts_every_week() -> None:
    first, weeks = review.period_weeks("2026-12-02", 8)
    assert first == "2026-10-12" and len(weeks) == 8 and weeks[-1] == "2026-11-30"
    assert review.week_mondays("2026-11-04", "2026-11-30") == [
        "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
    assert review.period_weeks(None, 8) == (None, [])


def test_call_matches_the_filter(filled: Database) -> None:
    ann_call = review.review_page(filled, ReviewFilter(agent_id=1))[0][0]
    assert review.call_matches(filled, ReviewFilter(agent_id=1), ann_call)
    assert not review.call_matches(filled, ReviewFilter(agent_id=2), ann_call)
    assert not review.call_matches(filled, ReviewFilter(date_from="2026-11-20"), ann_call)


def test_comments_and_bookmarks_are_stored_listed_and_exported(filled: Database, tmp_path: Path) -> None:
    import csv

    cid = review.review_page(filled, ReviewFilter(agent_id=1), "started_at", False)[0][0]
    review.add_comment(filled, cid, "Good opening; ask before explaining.", author_id=2,
                       created_at="2026-11-05T10:00:00")
    review.add_comment(filled, cid, "Here you talked over her", at_s=135.4, author_id=2)
    review.add_comment(filled, cid, "", at_s=20.0, author="Sue Supervisor")  # a bare bookmark
    with pytest.raises(ValueError, match="needs some text"):
        review.add_comment(filled, cid, "   ")
    with pytest.raises(ValueError, match="before the call starts"):
        review.add_comment(filled, cid, "x", at_s=-1)
    with pytest.raises(LookupError):
        review.add_comment(filled, 9999, "x")
    got = review.comments_for_call(filled, cid)
    assert [review.comment_text(c) for c in got] == [
        "[0:20] bookmark", "[2:15] Here you talked over her", "Good opening; ask before explaining."]
    assert got[1].author == "Bob Baker" and got[1].is_bookmark and not got[2].is_bookmark
    assert review.call_detail(filled, cid).comments == tuple(got)
    mine = review.comments_for_agent(filled, 1, customer_id=10)
    assert len(mine) == 3 and all(m.customer == "Carla Customer" for m in mine)
    assert review.comments_for_agent(filled, 2) == []
    out = tmp_path / "c.csv"
    review.export_csv(filled, ReviewFilter(), out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {int(r["call_id"]): r for r in csv.DictReader(f)}
    assert rows[cid]["coaching_comments"] == ("[0:20] bookmark | [2:15] Here you talked over her | "
                                              "Good opening; ask before explaining.")
    assert rows[cid]["outcome"] == "Resolved"  # the label, as the table shows it
    assert all(r["coaching_comments"] == "" for k, r in rows.items() if k != cid)
