"""Demo calls: made through store.calls with coach.talk figures and the real phrasing checker's flags."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agent_assist.coach.talk import Segment, analyze
from agent_assist.store import calls, review
from agent_assist.store.db import connect
from agent_assist.workflows.demo_calls import add_demo_calls, load_lines


def test_line_cache_matches_the_real_phrasing_checker() -> None:
    from agent_assist.coach.phrasing import PhrasingChecker, load_nlp

    lines = load_lines()
    checker = PhrasingChecker(load_nlp())
    fresh = checker.check_many([x["text"] for x in lines])
    for line, flags in zip(lines, fresh, strict=True):
        assert line["flags"] == [
            {k: f.to_dict()[k] for k in ("category", "start", "end", "reason", "suggestion")} for f in flags
        ], f"cache is stale for {line['text']!r}: run workflows.demo_calls.write_line_cache()"
    assert sum(1 for x in lines if x["flags"]) >= 10
    assert sum(1 for x in lines if not x["flags"]) >= 10


def test_demo_calls_through_the_live_code_paths(tmp_path: Path) -> None:
    db = connect(tmp_path / "d.db")
    db["agents"].insert_all([{"id": i, "name": f"Agent {i}"} for i in (1, 2, 3)])
    db["customers"].insert_all([{"id": i, "name": f"Customer {i}"} for i in range(1, 40)])
    n = add_demo_calls(db, seed=5, today=date(2026, 11, 23), weeks=3)
    assert n == review.review_count(db, review.ReviewFilter()) > 50
    first, last = review.call_date_range(db)
    assert first is not None and last is not None and first >= "2026-11-02" and last < "2026-11-23"
    ratios = [r[0] for r in db.execute("SELECT talk_ratio FROM calls").fetchall()]
    assert min(ratios) < 0.25 and max(ratios) > 0.35
    # stored figures are exactly what coach.talk computes from the stored segments
    for cid, ratio, dur, flags in db.execute(
            "SELECT id, talk_ratio, duration_s, flags_count FROM calls ORDER BY id LIMIT 20").fetchall():
        segs = calls.segments(db, cid)
        assert len(segs) > 5
        m = analyze([Segment(p, s, e) for p, s, e in segs], dur)
        assert m.talk_ratio == pytest.approx(ratio)
        d = review.call_detail(db, cid)
        assert flags == sum(len(u["flags"]) for u in d.utterances)
        assert d.call["status"] == "done" and d.call["outcome"]
    assert db.execute("SELECT sum(flags_count) FROM calls").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM tasks WHERE done = 0").fetchone()[0] > 0
    db.close()


def test_empty_database_gets_no_calls(tmp_path: Path) -> None:
    db = connect(tmp_path / "e.db")
    assert add_demo_calls(db, seed=1, today=date(2026, 11, 23)) == 0
    db.close()
