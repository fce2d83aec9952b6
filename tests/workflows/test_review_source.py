"""The Review data source protocol: the desk's SQLite and the team store give the same rows."""

from __future__ import annotations

from pathlib import Path

from agent_assist.coach.summary import Targets, summarize_detail
from agent_assist.coach.talk import TalkSettings
from agent_assist.store import review as rv
from agent_assist.store.team import remote, schema
from agent_assist.workflows import team_sync
from agent_assist.workflows.review_source import ReviewSource, SqliteReviewSource, TeamReviewSource
from tests.pg_cluster import TeamDb
from tests.store.team.desk import make_desk


def test_sqlite_and_team_sources_page_the_same_calls(team_db: TeamDb, tmp_path: Path) -> None:
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        remote.add_member(conn, "r_alice", team="north", role="agent", name="Alice", password="pw-a")
        remote.add_member(conn, "r_sue", team="north", role="supervisor", name="Sue", password="pw-s")
    desk = make_desk(tmp_path / "a.db", finished=7)
    with remote.TeamStore(team_db.url("r_alice", "pw-a")) as store:
        team_sync.sync_once(desk, store)
    local: ReviewSource = SqliteReviewSource()
    team = TeamReviewSource(team_db.url("r_sue", "pw-s"))
    try:
        flt = rv.ReviewFilter()
        assert local.count(desk, flt) == team.count(None, flt) == 7
        lp = local.page(desk, flt, "started_at", True, 0, 3)
        tp = team.page(None, flt, "started_at", True, 0, 3)
        assert len(tp) == 3 and len(tp[0]) == len(rv.COLUMNS)
        pos = rv.COLUMN_INDEX
        for key in ("started_at", "talk_ratio", "flags_count", "flags_blaming", "outcome", "open_tasks"):
            assert [r[pos[key]] for r in lp] == [r[pos[key]] for r in tp], key
        assert {r[pos["agent"]] for r in tp} == {"Alice"}
        assert team.agents(None) == [("r_alice", "Alice")]
        assert team.count(None, flt.with_(agent_id="r_alice")) == 7
        assert team.count(None, flt.with_(agent_id="r_nobody")) == 0
        # a team call opens into the same summary as the desk's own
        detail = team.call_detail(None, tp[0][0])
        assert len(detail.utterances) == 2 and detail.utterances[1]["flags"][0]["category"] == "blaming"
        assert len(detail.segments) == 2 and len(detail.tasks) == 1
        summary = summarize_detail(detail, Targets(), TalkSettings())
        assert summary.agent == "Alice"
        n = team.export_csv(None, flt, tmp_path / "floor.csv", "started_at", False)
        assert n == 7 and len((tmp_path / "floor.csv").read_text(encoding="utf-8-sig").splitlines()) == 8
    finally:
        team.close()
        desk.close()
