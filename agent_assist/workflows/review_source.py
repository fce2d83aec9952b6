"""Where the Review tab reads from: the desk's SQLite file, or (team mode) the team store.

``ReviewSource`` is the small protocol the Review table, its filters, its count, its CSV export and a
call's summary use; both implementations return rows in ``store.review.COLUMNS`` order, so the table
model pages them the same way. Each method takes the db lane's SQLite connection (the team source does
not need it) and runs on the source's ``lane``: the team store's network waits never hold up the desk's
database lane. In team mode a filter's ``agent_id`` carries the agent's login (the agent list's keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from agent_assist.store import review as rv
from agent_assist.store.team import remote
from agent_assist.store.team import review as team_review


class ReviewSource(Protocol):
    lane: str  # the TaskManager lane its methods run on
    label: str  # what the Review tab says it shows

    def page(self, db: Database | None, flt: rv.ReviewFilter, sort: str, descending: bool, offset: int,
             limit: int) -> list[rv.ReviewRow]: ...

    def count(self, db: Database | None, flt: rv.ReviewFilter) -> int: ...

    def agents(self, db: Database | None) -> list[tuple[Any, str]]: ...

    def filter_choices(self, db: Database | None) -> tuple[list[str], list[str]]:
        """(team names, outcomes) for the filter bar; a desk has no teams."""
        ...

    def export_csv(self, db: Database | None, flt: rv.ReviewFilter, path: Path, sort: str,
                   descending: bool) -> int: ...

    def call_detail(self, db: Database | None, call_id: Any) -> rv.CallDetail: ...

    def date_range(self, db: Database | None) -> tuple[str | None, str | None]: ...

    def weekly_trends(self, db: Database | None, date_from: str | None, date_to: str | None,
                      agent: Any, kind: str | None) -> list[rv.AgentTrend]: ...

    def worth_coaching(self, db: Database | None, flt: rv.ReviewFilter,
                       limit: int) -> list[rv.CoachingMoment]: ...

    def calls_for_agent(self, db: Database | None, agent: Any, date_from: str | None,
                        date_to: str | None, kind: str | None) -> list[dict[str, Any]]: ...


class SqliteReviewSource:
    """The desk's own calls (the default)."""

    lane = "db"
    label = "This desk's calls"

    def page(self, db: Database | None, flt: rv.ReviewFilter, sort: str, descending: bool, offset: int,
             limit: int) -> list[rv.ReviewRow]:
        assert db is not None
        return rv.review_page(db, flt, sort, descending, offset, limit)

    def count(self, db: Database | None, flt: rv.ReviewFilter) -> int:
        assert db is not None
        return rv.review_count(db, flt)

    def agents(self, db: Database | None) -> list[tuple[Any, str]]:
        assert db is not None
        return list(rv.agents_with_calls(db))

    def filter_choices(self, db: Database | None) -> tuple[list[str], list[str]]:
        assert db is not None
        rows = db.execute("SELECT DISTINCT outcome FROM calls WHERE status = 'done' AND outcome IS NOT NULL"
                          " ORDER BY 1").fetchall()
        return [], [str(r[0]) for r in rows]

    def export_csv(self, db: Database | None, flt: rv.ReviewFilter, path: Path, sort: str,
                   descending: bool) -> int:
        assert db is not None
        return rv.export_csv(db, flt, path, sort, descending)

    def call_detail(self, db: Database | None, call_id: Any) -> rv.CallDetail:
        assert db is not None
        return rv.call_detail(db, int(call_id))

    def date_range(self, db: Database | None) -> tuple[str | None, str | None]:
        assert db is not None
        return rv.call_date_range(db)

    def weekly_trends(self, db: Database | None, date_from: str | None, date_to: str | None,
                      agent: Any, kind: str | None) -> list[rv.AgentTrend]:
        assert db is not None
        return rv.weekly_trends(db, date_from, date_to, agent, kind)

    def worth_coaching(self, db: Database | None, flt: rv.ReviewFilter,
                       limit: int) -> list[rv.CoachingMoment]:
        assert db is not None
        return rv.worth_coaching(db, flt, limit)

    def calls_for_agent(self, db: Database | None, agent: Any, date_from: str | None,
                        date_to: str | None, kind: str | None) -> list[dict[str, Any]]:
        assert db is not None
        return rv.calls_for_agent(db, int(agent), date_from, date_to, kind)


def team_filter(flt: rv.ReviewFilter) -> team_review.TeamFilter:
    return team_review.TeamFilter(
        agent=None if flt.agent_id is None else str(flt.agent_id), date_from=flt.date_from,
        date_to=flt.date_to, customer=flt.customer, above_target=flt.above_target, target=flt.target,
        flag_category=flt.flag_category, kind=flt.kind, outcome=flt.outcome, team=flt.team)


class TeamReviewSource:
    """Every call this login may see in the team store (row-level security decides whose)."""

    lane = "team"

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = f"Team store {remote.redact_url(url)}"
        self._store: remote.TeamStore | None = None

    def _conn(self) -> Any:
        if self._store is None:
            self._store = remote.TeamStore(self.url)
            self._store.open()
        return self._store.connection()

    def page(self, db: Database | None, flt: rv.ReviewFilter, sort: str, descending: bool, offset: int,
             limit: int) -> list[rv.ReviewRow]:
        with self._conn() as conn:
            return team_review.review_page(conn, team_filter(flt), sort, descending, offset, limit)

    def count(self, db: Database | None, flt: rv.ReviewFilter) -> int:
        with self._conn() as conn:
            return team_review.review_count(conn, team_filter(flt))

    def agents(self, db: Database | None) -> list[tuple[Any, str]]:
        with self._conn() as conn:
            return list(team_review.agents(conn))

    def filter_choices(self, db: Database | None) -> tuple[list[str], list[str]]:
        with self._conn() as conn:
            return team_review.teams(conn), team_review.outcomes(conn)

    def export_csv(self, db: Database | None, flt: rv.ReviewFilter, path: Path, sort: str,
                   descending: bool) -> int:
        with self._conn() as conn:
            return team_review.export_csv(conn, team_filter(flt), path, sort, descending)

    def call_detail(self, db: Database | None, call_id: Any) -> rv.CallDetail:
        with self._conn() as conn:
            return team_review.call_detail(conn, str(call_id))

    def date_range(self, db: Database | None) -> tuple[str | None, str | None]:
        with self._conn() as conn:
            return team_review.call_date_range(conn)

    def weekly_trends(self, db: Database | None, date_from: str | None, date_to: str | None,
                      agent: Any, kind: str | None) -> list[rv.AgentTrend]:
        with self._conn() as conn:
            return team_review.weekly_trends(conn, date_from, date_to,
                                             None if agent is None else str(agent), kind)

    def worth_coaching(self, db: Database | None, flt: rv.ReviewFilter,
                       limit: int) -> list[rv.CoachingMoment]:
        with self._conn() as conn:
            return team_review.worth_coaching(conn, team_filter(flt), limit)

    def calls_for_agent(self, db: Database | None, agent: Any, date_from: str | None,
                        date_to: str | None, kind: str | None) -> list[dict[str, Any]]:
        with self._conn() as conn:
            return team_review.calls_for_agent(conn, str(agent), date_from, date_to, kind)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
