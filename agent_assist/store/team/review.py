"""The supervisor's review over the whole floor, read from the team store.

Rows have the same columns, in the same order, as the desk's review table (``store.review.COLUMNS``), so
the table model, the CSV writer and the reports take them unchanged. Row-level security does the
"whose calls" part: a supervisor's login simply sees its teams' agents, an agent's only its own. Paging
is ``LIMIT/OFFSET`` over an ORDER BY that an index serves (team schema migration 2).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from agent_assist.store import review as local
from agent_assist.store.team.tables import FLAG_CATEGORIES, REMOTE_FLAG

PAGE_SIZE = local.PAGE_SIZE


@dataclass(frozen=True)
class TeamFilter:
    """What the floor review shows. ``agent`` is a login, ``team`` a team name; dates inclusive."""

    agent: str | None = None
    team: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    customer: str | None = None
    outcome: str | None = None
    above_target: bool = False
    target: float = local.DEFAULT_TARGET
    flag_category: str | None = None
    kind: str | None = None

    def with_(self, **changes: Any) -> TeamFilter:
        return replace(self, **changes)


_END = "coalesce(c.ended_at, '9999')"
_SQL = {
    "id": "c.uuid::text",
    "kind": "c.kind",
    "agent": "coalesce(m.display_name, c.agent_name, c.agent_login)",
    "customer": "c.customer_name",
    "issues_opened": ("(SELECT count(*) FROM agent_assist.issues i WHERE i.customer_uuid = c.customer_uuid"
                      f" AND i.opened_at >= c.started_at AND i.opened_at <= {_END})"),
    "issues_resolved": ("(SELECT count(*) FROM agent_assist.issues i WHERE i.customer_uuid = c.customer_uuid"
                        f" AND i.resolved_at >= c.started_at AND i.resolved_at <= {_END})"),
    "open_tasks": "(SELECT count(*) FROM agent_assist.tasks t WHERE t.call_uuid = c.uuid AND t.done = 0)",
    "agent_id": "c.agent_login::text",
    "customer_id": "c.customer_uuid::text",
    **{f"flags_{local_id}": f"c.flags_{remote_id}" for local_id, remote_id in REMOTE_FLAG.items()},
}
SELECT = ", ".join(f"{_SQL.get(col.key, 'c.' + col.key)} AS {col.key}" for col in local.COLUMNS)
# One display name per login: the first team's (a login in two teams is one agent).
_MEMBER = ("LEFT JOIN LATERAL (SELECT display_name FROM agent_assist.members mm WHERE mm.login = c.agent_login"
           " ORDER BY team_id LIMIT 1) m ON true")


def _where(flt: TeamFilter) -> tuple[str, list[Any]]:
    d1, d2 = local.check_range(flt.date_from, flt.date_to)
    if flt.flag_category is not None and REMOTE_FLAG.get(flt.flag_category, flt.flag_category) not in FLAG_CATEGORIES:
        raise ValueError(f"Unknown flag category {flt.flag_category!r}.")
    where = ["c.status = 'done'"]
    params: list[Any] = []
    if flt.kind:
        where.append("c.kind = %s")
        params.append(flt.kind)
    if flt.agent:
        where.append("c.agent_login = %s")
        params.append(flt.agent)
    if flt.team:
        where.append("c.agent_login IN (SELECT mm.login FROM agent_assist.members mm"
                     " JOIN agent_assist.teams tt ON tt.id = mm.team_id WHERE tt.name = %s)")
        params.append(flt.team)
    if d1:
        where.append("c.started_at >= %s")
        params.append(d1.isoformat())
    if d2:
        where.append("c.started_at < %s")
        params.append((d2 + timedelta(days=1)).isoformat())
    if flt.customer and flt.customer.strip():
        text = flt.customer.strip()
        where.append("(c.customer_name ILIKE %s OR c.phone_e164 LIKE %s)")
        params += [f"%{text}%", f"%{text.lstrip('+')}%"]
    if flt.outcome:
        where.append("c.outcome = %s")
        params.append(flt.outcome)
    if flt.above_target:
        where.append("c.talk_ratio > %s")
        params.append(flt.target)
    if flt.flag_category:
        where.append(f"c.flags_{REMOTE_FLAG.get(flt.flag_category, flt.flag_category)} > 0")  # checked above
    return " AND ".join(where), params


def review_sql(flt: TeamFilter, sort: str = "started_at", descending: bool = True, offset: int = 0,
               limit: int | None = PAGE_SIZE) -> tuple[str, list[Any]]:
    """SQL and parameters of one page (exposed so the benchmark runs the identical query raw)."""
    if sort not in local.COLUMN_INDEX:
        raise ValueError(f"Cannot sort by {sort!r}.")
    where, params = _where(flt)
    d = "DESC" if descending else "ASC"
    expr = _SQL.get(sort, f"c.{sort}")
    # PostgreSQL's NULL order (largest) is kept, so the (status, column, uuid) indexes serve every sort;
    # c.uuid breaks ties so pages never overlap.
    order = f"{expr} {d}, c.uuid {d}" if sort != "id" else f"c.uuid {d}"
    page = " LIMIT %s OFFSET %s" if limit is not None else " OFFSET %s"
    sql = f"SELECT {SELECT} FROM agent_assist.calls c {_MEMBER} WHERE {where} ORDER BY {order}{page}"
    return sql, [*params, *([int(limit)] if limit is not None else []), int(offset)]


def review_page(conn: Any, flt: TeamFilter, sort: str = "started_at", descending: bool = True,
                offset: int = 0, limit: int = PAGE_SIZE) -> list[local.ReviewRow]:
    sql, params = review_sql(flt, sort, descending, offset, limit)
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def review_count(conn: Any, flt: TeamFilter) -> int:
    where, params = _where(flt)
    row = conn.execute(f"SELECT count(*) FROM agent_assist.calls c WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0


def agents(conn: Any) -> list[tuple[str, str]]:
    """(login, name) of every member this login may see, by name."""
    rows = conn.execute("SELECT DISTINCT login::text, display_name FROM agent_assist.members"
                        " WHERE role = 'agent' ORDER BY display_name, login").fetchall()
    return [(str(a), str(b)) for a, b in rows]


def outcomes(conn: Any) -> list[str]:
    rows = conn.execute("SELECT DISTINCT outcome FROM agent_assist.calls WHERE status = 'done'"
                        " AND outcome IS NOT NULL ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def teams(conn: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT name FROM agent_assist.teams ORDER BY name").fetchall()]


def _rows(conn: Any, flt: TeamFilter, sort: str, descending: bool) -> Iterator[local.ReviewRow]:
    sql, params = review_sql(flt, sort, descending, 0, None)
    with conn.cursor(name="team_export") as cur:  # server-side: a big period streams, it is not loaded
        cur.itersize = 2000
        cur.execute(sql, params)
        yield from cur


def write_csv(conn: Any, flt: TeamFilter, out: IO[str], sort: str = "started_at",
              descending: bool = False) -> int:
    """The same CSV as the desk's export (``store.review.CSV_FIELDS``), from the team store."""
    w = csv.writer(out)
    w.writerow([name for name, _key in local.CSV_FIELDS])
    keys = [key for _name, key in local.CSV_FIELDS]
    pos = [local.COLUMN_INDEX[k] for k in keys]
    n = 0
    with conn.transaction():
        for row in _rows(conn, flt, sort, descending):
            w.writerow([local._csv_value(k, row[i]) for k, i in zip(keys, pos, strict=True)])
            n += 1
    return n


def export_csv(conn: Any, flt: TeamFilter, path: Path | str, sort: str = "started_at",
               descending: bool = False) -> int:
    """Write to a file atomically (temporary name, then rename), like ``store.review.export_csv``."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OSError(f"Cannot write {target}: it is a folder.")
    if not folder.is_dir():
        raise OSError(f"Cannot write {target}: the folder {folder} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            n = write_csv(conn, flt, f, sort, descending)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n


def short_id(uuid: str) -> int:
    """A stable short number for a team call (its uuid's first 28 bits), for titles and file names."""
    return int(str(uuid).replace("-", "")[:7], 16)


def _dicts(cur: Any) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def call_detail(conn: Any, call_uuid: str) -> local.CallDetail:
    """One team call in full, in the desk's ``CallDetail`` shape (the summary and PDF take it as is)."""
    with conn.transaction():
        rows = _dicts(conn.execute(
            "SELECT c.*, c.uuid::text AS uuid, coalesce(m.display_name, c.agent_name, c.agent_login) AS agent,"
            f" c.customer_name AS customer FROM agent_assist.calls c {_MEMBER} WHERE c.uuid = %s::uuid",
            (call_uuid,)))
        if not rows:
            raise LookupError("That call is not in the team store (or this login may not see it).")
        call = rows[0]
        call["id"] = short_id(call_uuid)
        segs = tuple((str(p), float(s), float(e)) for p, s, e in conn.execute(
            "SELECT party, start_s, end_s FROM agent_assist.speech_segments WHERE call_uuid = %s::uuid"
            " ORDER BY start_s, uuid", (call_uuid,)).fetchall())
        utts = _dicts(conn.execute(
            "SELECT uuid::text AS id, party, start_s, text, redacted FROM agent_assist.utterances"
            " WHERE call_uuid = %s::uuid ORDER BY start_s NULLS LAST, uuid", (call_uuid,)))
        flags: dict[str | None, list[dict[str, Any]]] = {}
        for f in _dicts(conn.execute(
                "SELECT utterance_uuid::text AS utterance_id, category, span_start AS start, span_end AS end,"
                " reason, suggestion FROM agent_assist.phrasing_flags WHERE call_uuid = %s::uuid ORDER BY uuid",
                (call_uuid,))):
            flags.setdefault(f.pop("utterance_id"), []).append(f)
        for u in utts:
            u["flags"] = flags.get(u["id"], [])
        tasks = _dicts(conn.execute("SELECT * FROM agent_assist.tasks WHERE call_uuid = %s::uuid ORDER BY created_at",
                                    (call_uuid,)))
        opened: list[dict[str, Any]] = []
        resolved: list[dict[str, Any]] = []
        if call.get("customer_uuid") is not None:
            end = call.get("ended_at") or "9999"
            q = ("SELECT uuid::text AS id, title, status, severity, opened_at, resolved_at FROM agent_assist.issues"
                 " WHERE customer_uuid = %s AND {col} >= %s AND {col} <= %s ORDER BY {col}")
            args = (call["customer_uuid"], call["started_at"], end)
            opened = _dicts(conn.execute(q.format(col="opened_at"), args))
            resolved = _dicts(conn.execute(q.format(col="resolved_at"), args))
        practice = _dicts(conn.execute(
            "SELECT * FROM agent_assist.practice_attempts WHERE call_uuid = %s::uuid LIMIT 1", (call_uuid,)))
    return local.CallDetail(call, segs, tuple(utts), tuple(tasks), tuple(opened), tuple(resolved),
                            practice[0] if practice else None)


# -- trends over the floor (the same shapes as store.review's) ----------------------------------------------
def call_date_range(conn: Any) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT min(started_at), max(started_at) FROM agent_assist.calls"
                       " WHERE status = 'done'").fetchone()
    if not row or row[0] is None:
        return None, None
    return str(row[0])[:10], str(row[1])[:10]


def weekly_trends(conn: Any, date_from: str | None = None, date_to: str | None = None,
                  agent: str | None = None, kind: str | None = "call") -> list[local.AgentTrend]:
    """Per agent (login) and ISO week: talk ratios and flags per call, as ``store.review.weekly_trends``."""
    where, params = _where(TeamFilter(agent=agent, date_from=date_from, date_to=date_to, kind=kind))
    cur = conn.execute(
        f"SELECT c.agent_login::text, coalesce(m.display_name, c.agent_name, c.agent_login),"
        f" c.started_at, c.talk_ratio, c.flags_count FROM agent_assist.calls c {_MEMBER}"
        f" WHERE {where} ORDER BY 2, 1", params)
    acc: dict[tuple[str, str], dict[str, tuple[list[float], list[int]]]] = {}
    for login, name, started, ratio, flags in cur.fetchall():
        weeks = acc.setdefault((str(login), str(name)), {})
        ratios, counts = weeks.setdefault(local._monday(str(started)), ([], []))
        if ratio is not None:
            ratios.append(float(ratio))
        counts.append(int(flags or 0))
    return [local.AgentTrend(login, name, tuple(
        local.WeekStats(week=w, ratios=tuple(sorted(r)), calls=len(f), flags=sum(f))
        for w, (r, f) in sorted(weeks.items()))) for (login, name), weeks in acc.items()]


def worth_coaching(conn: Any, flt: TeamFilter, limit: int = 20) -> list[local.CoachingMoment]:
    """The floor's calls most worth coaching (same score as the desk's)."""
    where, params = _where(flt)
    score = "(greatest(coalesce(c.talk_ratio, 0) - %s, 0) * 100 + coalesce(c.flags_count, 0) * 5)"
    cur = conn.execute(
        f"SELECT c.uuid::text, coalesce(m.display_name, c.agent_name, c.agent_login), c.customer_name,"
        f" c.started_at, c.talk_ratio, c.flags_count, {score} AS score FROM agent_assist.calls c {_MEMBER}"
        f" WHERE {where} AND {score} > 0 ORDER BY score DESC, c.uuid DESC LIMIT %s",
        [flt.target, *params, flt.target, limit])
    out = []
    for cid, agent, customer, started, ratio, flags, sc in cur.fetchall():
        why = []
        if ratio is not None and ratio > flt.target:
            why.append(f"talk ratio {ratio * 100:.0f}% (target {flt.target * 100:.0f}%)")
        if flags:
            why.append(f"{flags} phrasing flag{'s' if flags != 1 else ''}")
        out.append(local.CoachingMoment(str(cid), str(agent), customer, str(started),
                                        None if ratio is None else float(ratio), int(flags or 0),
                                        float(sc), ", ".join(why)))
    return out


def calls_for_agent(conn: Any, agent: str, date_from: str | None, date_to: str | None,
                    kind: str | None = None) -> list[dict[str, Any]]:
    sql, params = review_sql(TeamFilter(agent=agent, date_from=date_from, date_to=date_to, kind=kind),
                             "started_at", False, 0, None)
    return [local.row_dict(r) for r in conn.execute(sql, params).fetchall()]
