"""Queries behind the supervisor's Review and Trends views.

Hot reads are hand-written SQL. The review table is paged with ``LIMIT/OFFSET`` over an ORDER BY that an
index serves (migrations 5 and 6 index every sortable numeric column, flags per category included, which
triggers keep on the call); the per-row figures that are not stored on the call (issues opened/resolved,
open parked tasks) are correlated sub-queries, a few index lookups per row.

Which issues belong to a call: the call's customer's issues opened (or resolved) between the call's start
and end, the end being the moment the call was wrapped up.

Why this file is over 400 lines: every Review and Trends query over one column table (COLUMNS), so paging,
sorting, filters, counts, CSV and trends stay one SQL vocabulary.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent_assist import resources
from agent_assist.coach.redact import redact_text
from agent_assist.store.outcomes import local_day_bounds, local_monday, local_time, outcome_label

# The flag vocabulary is resources/phrasing/flags.json (read by coach.flags, which store may not import):
# category ids in display order and their short labels for column titles and the CSV.
_VOCAB = json.loads(resources.read_text("phrasing/flags.json"))
FLAG_CATEGORIES: tuple[str, ...] = tuple(str(c["id"]) for c in _VOCAB["categories"])
FLAG_LABELS: dict[str, str] = {str(c["id"]): str(c["short"]) for c in _VOCAB["categories"]}

DEFAULT_TARGET = 0.30
PAGE_SIZE = 200


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sql: str  # expression in the SELECT list (and ORDER BY when sortable by it)
    tip: str = ""


_END = "coalesce(c.ended_at, '9999')"
_ISSUES_OPENED = (
    "(SELECT count(*) FROM issues i WHERE i.customer_id = c.customer_id"
    f" AND i.opened_at >= c.started_at AND i.opened_at <= {_END})"
)
_ISSUES_RESOLVED = (
    "(SELECT count(*) FROM issues i WHERE i.customer_id = c.customer_id"
    f" AND i.resolved_at >= c.started_at AND i.resolved_at <= {_END})"
)
_OPEN_TASKS = "(SELECT count(*) FROM tasks t WHERE t.call_id = c.id AND t.done = 0)"


def _flag_sql(cat: str) -> str:
    return f"c.flags_{cat}"  # kept by triggers on phrasing_flags (migration 6)


# The review table's columns, in display order. ``ReviewRow`` tuples follow this order.
COLUMNS: tuple[Column, ...] = (
    Column("id", "#", "c.id"),
    Column("kind", "Kind", "c.kind", "call or practice attempt"),
    Column("agent", "Agent", "a.name"),
    Column("customer", "Customer", "cu.name"),
    Column("started_at", "Start", "c.started_at", "local time (stored in UTC)"),
    Column("duration_s", "Duration", "c.duration_s"),
    Column("talk_ratio", "Talk ratio", "c.talk_ratio",
           "agent speech / (agent + customer speech); target at most 30%"),
    Column("overtalk_s", "Overtalk", "c.overtalk_s", "time both spoke at once"),
    Column("longest_monologue_s", "Longest monologue", "c.longest_monologue_s"),
    Column("flags_count", "Flags", "c.flags_count", "phrasing flags, all categories"),
    *(Column(f"flags_{cat}", FLAG_LABELS[cat], _flag_sql(cat), f"{FLAG_LABELS[cat]} phrasing flags")
      for cat in FLAG_CATEGORIES),
    Column("issues_opened", "Issues opened", _ISSUES_OPENED),
    Column("issues_resolved", "Issues resolved", _ISSUES_RESOLVED),
    Column("outcome", "Outcome", "c.outcome"),
    Column("open_tasks", "Open tasks", _OPEN_TASKS, "parked tasks of the call still open"),
    Column("agent_id", "Agent id", "c.agent_id"),
    Column("customer_id", "Customer id", "c.customer_id"),
    Column("ended_at", "End", "c.ended_at", "local time (stored in UTC)"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
ReviewRow = tuple[Any, ...]


@dataclass(frozen=True)
class ReviewFilter:
    """What the review table shows. Dates are local calendar days ``YYYY-MM-DD``, both ends inclusive."""

    agent_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    customer: str | None = None  # part of the customer's name, or their phone number
    above_target: bool = False
    target: float = DEFAULT_TARGET
    flag_category: str | None = None
    kind: str | None = None  # 'call' | 'practice' | None for both
    outcome: str | None = None
    team: str | None = None  # team mode only (the team store's team name); a desk has no teams

    def with_(self, **changes: Any) -> ReviewFilter:
        return replace(self, **changes)


def parse_date(text: str, what: str = "date") -> date:
    """A ``YYYY-MM-DD`` date, or ValueError with one clear line."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"The {what} {text!r} is not a date; write it as YYYY-MM-DD.") from None


def check_range(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    """Parse both ends; ValueError when one is malformed or they are in the wrong order."""
    d1 = parse_date(date_from, "start date") if date_from else None
    d2 = parse_date(date_to, "end date") if date_to else None
    if d1 and d2 and d1 > d2:
        raise ValueError(f"The start date {d1} is after the end date {d2}; swap them.")
    return d1, d2


def _where(flt: ReviewFilter) -> tuple[str, list[Any]]:
    d1, d2 = check_range(flt.date_from, flt.date_to)
    if flt.flag_category is not None and flt.flag_category not in FLAG_CATEGORIES:
        raise ValueError(f"Unknown flag category {flt.flag_category!r}.")
    where = ["c.status = 'done'"]
    params: list[Any] = []
    if flt.kind:
        where.append("c.kind = ?")
        params.append(flt.kind)
    if flt.agent_id is not None:
        where.append("c.agent_id = ?")
        params.append(flt.agent_id)
    # the dates are the user's local days; started_at is UTC
    lo, hi = local_day_bounds(d1, d2)
    if lo:
        where.append("c.started_at >= ?")
        params.append(lo)
    if hi:
        where.append("c.started_at < ?")
        params.append(hi)
    if flt.customer and flt.customer.strip():
        text = flt.customer.strip()
        where.append(
            "c.customer_id IN (SELECT id FROM customers WHERE name LIKE ? OR phone_e164 LIKE ?)"
        )
        params += [f"%{text}%", f"%{text.lstrip('+')}%"]
    if flt.above_target:
        where.append("c.talk_ratio > ?")
        params.append(flt.target)
    if flt.flag_category:
        where.append(f"c.flags_{flt.flag_category} > 0")  # a known category, checked above
    if flt.outcome:
        where.append("c.outcome = ?")
        params.append(flt.outcome)
    return " AND ".join(where), params


def review_sql(
    flt: ReviewFilter,
    sort: str = "started_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> tuple[str, list[Any]]:
    """The SQL and parameters of one page of the review table (exposed so the benchmark runs the same)."""
    if sort not in COLUMN_INDEX:
        raise ValueError(f"Cannot sort by {sort!r}.")
    where, params = _where(flt)
    direction = "DESC" if descending else "ASC"
    order = COLUMNS[COLUMN_INDEX[sort]].sql
    # c.id breaks ties so pages never repeat or skip rows that compare equal
    order_by = f"{order} {direction}, c.id {direction}" if sort != "id" else f"c.id {direction}"
    select = ", ".join(f"{c.sql} AS {c.key}" for c in COLUMNS)
    sql = (
        f"SELECT {select} FROM calls c"
        " JOIN agents a ON a.id = c.agent_id"
        " LEFT JOIN customers cu ON cu.id = c.customer_id"
        f" WHERE {where} ORDER BY {order_by} LIMIT ? OFFSET ?"
    )
    return sql, [*params, int(limit), int(offset)]


def review_page(
    db: Database,
    flt: ReviewFilter,
    sort: str = "started_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[ReviewRow]:
    """One page of finished calls (tuples in ``COLUMNS`` order)."""
    sql, params = review_sql(flt, sort, descending, offset, limit)
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


def review_count(db: Database, flt: ReviewFilter) -> int:
    where, params = _where(flt)
    row = db.execute(f"SELECT count(*) FROM calls c WHERE {where}", params).fetchone()
    return int(row[0])


def row_dict(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(COLUMN_KEYS, row, strict=True))


def call_matches(db: Database, flt: ReviewFilter, call_id: int) -> bool:
    """Whether the filter shows this call (the detail pane closes a call the filter has removed)."""
    where, params = _where(flt)
    row = db.execute(f"SELECT 1 FROM calls c WHERE {where} AND c.id = ?", [*params, call_id]).fetchone()
    return row is not None


# -- choices for the filter bar ------------------------------------------------------------------------
def agents_with_calls(db: Database) -> list[tuple[int, str]]:
    """(id, name) of every agent, by name."""
    cur = db.execute("SELECT id, name FROM agents ORDER BY name COLLATE NOCASE, id")
    return [(int(i), str(n)) for i, n in cur.fetchall()]


def agents_overview(db: Database) -> list[dict[str, Any]]:
    """Every agent with their finished calls and practice attempts and the last one's start (UTC)."""
    cur = db.execute(
        "SELECT a.id, a.name, a.team, a.email,"
        " (SELECT count(*) FROM calls c WHERE c.agent_id = a.id AND c.status = 'done' AND c.kind = 'call'),"
        " (SELECT count(*) FROM calls c WHERE c.agent_id = a.id AND c.status = 'done' AND c.kind = 'practice'),"
        " (SELECT max(started_at) FROM calls c WHERE c.agent_id = a.id AND c.status = 'done')"
        " FROM agents a ORDER BY a.id")
    keys = ("id", "name", "team", "email", "calls", "practice_attempts", "last_call_at")
    return [dict(zip(keys, r, strict=True)) for r in cur.fetchall()]


def agent_name(db: Database, agent_id: int) -> str | None:
    row = db.execute("SELECT name FROM agents WHERE id = ?", [agent_id]).fetchone()
    return None if row is None else str(row[0])


def call_date_range(db: Database) -> tuple[str | None, str | None]:
    """First and last start date of the finished calls (None, None for an empty database)."""
    row = db.execute(
        "SELECT min(started_at), max(started_at) FROM calls WHERE status = 'done'"
    ).fetchone()
    if not row or row[0] is None:
        return None, None
    return local_time(str(row[0]))[:10], local_time(str(row[1]))[:10]


# -- trends --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekStats:
    """One agent's calls in one ISO week (Monday ``week``)."""

    week: str
    ratios: tuple[float, ...]  # talk ratios of the calls that had speech, sorted
    calls: int
    flags: int

    @property
    def flags_per_call(self) -> float:
        return self.flags / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class AgentTrend:
    agent_id: int | str  # a login when read from the team store
    agent: str
    weeks: tuple[WeekStats, ...] = field(default=())


def _monday(iso: str) -> str:
    return local_monday(iso)  # weeks of the local calendar, as the dates of the filter


def week_mondays(first: str, last: str) -> list[str]:
    """Every Monday from the week of ``first`` to the week of ``last`` (dates), weeks without calls too."""
    d1, d2 = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    m = d1 - timedelta(days=d1.weekday())
    out = []
    while m <= d2:
        out.append(m.isoformat())
        m += timedelta(weeks=1)
    return out


def period_weeks(last: str | None, weeks: int) -> tuple[str | None, list[str]]:
    """The first day and the Mondays of the ``weeks`` calendar weeks ending with the week of ``last``."""
    if not last or weeks <= 0:
        return None, []
    end = date.fromisoformat(last[:10])
    first = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)
    return first.isoformat(), week_mondays(first.isoformat(), last)


def weekly_trends(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    agent_id: int | None = None,
    kind: str | None = "call",
) -> list[AgentTrend]:
    """Per agent and ISO week (local calendar): the talk ratios of the finished calls, flags per call."""
    flt = ReviewFilter(agent_id=agent_id, date_from=date_from, date_to=date_to, kind=kind)
    where, params = _where(flt)
    cur = db.execute(
        "SELECT c.agent_id, a.name, c.started_at, c.talk_ratio, c.flags_count FROM calls c"
        f" JOIN agents a ON a.id = c.agent_id WHERE {where} ORDER BY a.name, c.agent_id",
        params,
    )
    acc: dict[tuple[int, str], dict[str, tuple[list[float], list[int]]]] = {}
    for aid, name, started, ratio, flags in cur.fetchall():
        weeks = acc.setdefault((int(aid), str(name)), {})
        ratios, flag_counts = weeks.setdefault(_monday(str(started)), ([], []))
        if ratio is not None:
            ratios.append(float(ratio))
        flag_counts.append(int(flags or 0))
    out = []
    for (aid, name), weeks in acc.items():
        stats = tuple(
            WeekStats(week=w, ratios=tuple(sorted(r)), calls=len(f), flags=sum(f))
            for w, (r, f) in sorted(weeks.items())
        )
        out.append(AgentTrend(aid, name, stats))
    return out


@dataclass(frozen=True)
class CoachingMoment:
    call_id: int | str  # a uuid when read from the team store
    agent: str
    customer: str | None
    started_at: str
    talk_ratio: float | None
    flags: int
    score: float
    why: str


def coaching_score_sql(target_param: str = "?") -> str:
    # Points: one per percentage point of talk ratio above the target, five per phrasing flag.
    return (f"(max(coalesce(c.talk_ratio, 0) - {target_param}, 0) * 100"
            " + coalesce(c.flags_count, 0) * 5)")


def worth_coaching(
    db: Database,
    flt: ReviewFilter | None = None,
    limit: int = 20,
) -> list[CoachingMoment]:
    """The calls most worth coaching: furthest above the talk target and with the most flags."""
    flt = flt or ReviewFilter()
    where, params = _where(flt)
    score = coaching_score_sql()
    cur = db.execute(
        f"SELECT c.id, a.name, cu.name, c.started_at, c.talk_ratio, c.flags_count, {score} AS score"
        " FROM calls c JOIN agents a ON a.id = c.agent_id LEFT JOIN customers cu ON cu.id = c.customer_id"
        f" WHERE {where} AND {score} > 0 ORDER BY score DESC, c.id DESC LIMIT ?",
        [flt.target, *params, flt.target, limit],
    )
    out = []
    for cid, agent, customer, started, ratio, flags, sc in cur.fetchall():
        why = []
        if ratio is not None and ratio > flt.target:
            why.append(f"talk ratio {ratio * 100:.0f}% (target {flt.target * 100:.0f}%)")
        if flags:
            why.append(f"{flags} phrasing flag{'s' if flags != 1 else ''}")
        out.append(CoachingMoment(int(cid), str(agent), customer, str(started),
                                  None if ratio is None else float(ratio), int(flags or 0),
                                  float(sc), ", ".join(why)))
    return out


# -- coaching comments and bookmarks -------------------------------------------------------------------
@dataclass(frozen=True)
class Comment:
    """A supervisor's comment on a call; with ``at_s`` a bookmark on that moment of it."""

    id: int
    call_id: int
    author: str
    created_at: str
    at_s: float | None
    text: str

    @property
    def is_bookmark(self) -> bool:
        return self.at_s is not None


def add_comment(db: Database, call_id: int, text: str, *, at_s: float | None = None,
                author_id: int | None = None, author: str | None = None,
                created_at: str | None = None) -> int:
    """Store a coaching comment (or, with ``at_s``, a bookmark); ValueError with one line for bad input."""
    text = (text or "").strip()
    if not text and at_s is None:
        raise ValueError("A comment needs some text (a bookmark needs a moment of the call).")
    if at_s is not None and at_s < 0:
        raise ValueError(f"A bookmark cannot be before the call starts ({at_s:g} s).")
    if db.execute("SELECT 1 FROM calls WHERE id = ?", [call_id]).fetchone() is None:
        raise LookupError(f"Call {call_id} does not exist (it may have been deleted).")
    if author is None and author_id is not None:
        row = db.execute("SELECT name FROM agents WHERE id = ?", [author_id]).fetchone()
        author = str(row[0]) if row else None
    from datetime import UTC, datetime

    when = created_at or datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    with db.conn:
        cur = db.execute(
            "INSERT INTO coaching_comments (call_id, author_id, author, created_at, at_s, text)"
            " VALUES (?, ?, ?, ?, ?, ?)", [call_id, author_id, author or "supervisor", when, at_s, text])
    return int(cur.lastrowid or 0)


def _comment(r: Sequence[Any]) -> Comment:
    return Comment(int(r[0]), int(r[1]), str(r[2] or "supervisor"), str(r[3]),
                   None if r[4] is None else float(r[4]), str(r[5] or ""))


_COMMENT_COLS = "k.id, k.call_id, k.author, k.created_at, k.at_s, k.text"


def comments_for_call(db: Database, call_id: int) -> list[Comment]:
    """A call's comments: bookmarks in call order first, then comments on the whole call, oldest first."""
    cur = db.execute(f"SELECT {_COMMENT_COLS} FROM coaching_comments k WHERE k.call_id = ?"
                     " ORDER BY k.at_s IS NULL, k.at_s, k.created_at, k.id", [call_id])
    return [_comment(r) for r in cur.fetchall()]


@dataclass(frozen=True)
class AgentComment:
    """A comment as the agent sees it in their history: which call, when, with whom."""

    comment: Comment
    call_started_at: str
    customer: str | None


def comments_for_agent(db: Database, agent_id: int, customer_id: int | None = None,
                       limit: int = 20) -> list[AgentComment]:
    """Coaching comments left on an agent's calls (with one customer, if given), newest call first."""
    sql = (f"SELECT {_COMMENT_COLS}, c.started_at, cu.name FROM coaching_comments k"
           " JOIN calls c ON c.id = k.call_id LEFT JOIN customers cu ON cu.id = c.customer_id"
           " WHERE c.agent_id = ?")
    params: list[Any] = [agent_id]
    if customer_id is not None:
        sql += " AND c.customer_id = ?"
        params.append(customer_id)
    sql += " ORDER BY c.started_at DESC, k.at_s IS NULL, k.at_s, k.id LIMIT ?"
    params.append(limit)
    return [AgentComment(_comment(r[:6]), str(r[6]), r[7]) for r in db.execute(sql, params).fetchall()]


def comment_text(c: Comment) -> str:
    """One line: ``[2:15] text`` for a bookmark, the text alone for a comment on the call."""
    if c.at_s is None:
        return c.text
    total = round(c.at_s)
    at = f"{total // 60}:{total % 60:02d}"
    return f"[{at}] {c.text}" if c.text else f"[{at}] bookmark"


# -- one call in full ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallDetail:
    """Everything a call's summary needs, as plain data (the coach layer builds the summary from it)."""

    call: dict[str, Any]  # the calls row plus agent and customer names
    segments: tuple[tuple[str, float, float], ...]
    utterances: tuple[dict[str, Any], ...]  # id, party, start_s, text, flags: [dict]
    tasks: tuple[dict[str, Any], ...]
    issues_opened: tuple[dict[str, Any], ...]
    issues_resolved: tuple[dict[str, Any], ...]
    practice: dict[str, Any] | None = None
    comments: tuple[Comment, ...] = ()


def _dicts(cur: Any) -> list[dict[str, Any]]:
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def call_detail(db: Database, call_id: int) -> CallDetail:
    """A call with its segments, utterances and their flags, tasks and issues; LookupError if missing."""
    rows = _dicts(db.execute(
        "SELECT c.*, a.name AS agent, cu.name AS customer FROM calls c"
        " LEFT JOIN agents a ON a.id = c.agent_id LEFT JOIN customers cu ON cu.id = c.customer_id"
        " WHERE c.id = ?", [call_id]))
    if not rows:
        raise LookupError(f"Call {call_id} does not exist (it may have been deleted).")
    call = rows[0]
    segs = tuple(
        (str(p), float(s), float(e)) for p, s, e in db.execute(
            "SELECT party, start_s, end_s FROM speech_segments WHERE call_id = ? ORDER BY start_s, id",
            [call_id]).fetchall()
    )
    utts = _dicts(db.execute(
        "SELECT id, party, start_s, text, redacted FROM utterances WHERE call_id = ?"
        " ORDER BY coalesce(start_s, 1e18), id", [call_id]))
    flags_by_utt: dict[int | None, list[dict[str, Any]]] = {}
    for f in _dicts(db.execute(
        "SELECT utterance_id, category, start, end, reason, suggestion FROM phrasing_flags"
        " WHERE call_id = ? ORDER BY id", [call_id])):
        flags_by_utt.setdefault(f.pop("utterance_id"), []).append(f)
    for u in utts:
        u["flags"] = flags_by_utt.get(u["id"], [])
    tasks = _dicts(db.execute("SELECT * FROM tasks WHERE call_id = ? ORDER BY id", [call_id]))
    opened: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    if call["customer_id"] is not None:
        end = call["ended_at"] or "9999"
        opened = _dicts(db.execute(
            "SELECT id, title, status, severity, opened_at, resolved_at FROM issues"
            " WHERE customer_id = ? AND opened_at >= ? AND opened_at <= ? ORDER BY opened_at",
            [call["customer_id"], call["started_at"], end]))
        resolved = _dicts(db.execute(
            "SELECT id, title, status, severity, opened_at, resolved_at FROM issues"
            " WHERE customer_id = ? AND resolved_at >= ? AND resolved_at <= ? ORDER BY resolved_at",
            [call["customer_id"], call["started_at"], end]))
    practice = _dicts(db.execute(
        "SELECT * FROM practice_attempts WHERE call_id = ? ORDER BY id DESC LIMIT 1", [call_id]))
    return CallDetail(call, segs, tuple(utts), tuple(tasks), tuple(opened), tuple(resolved),
                      practice[0] if practice else None, tuple(comments_for_call(db, call_id)))


def calls_for_agent(db: Database, agent_id: int, date_from: str | None, date_to: str | None,
                    kind: str | None = None) -> list[dict[str, Any]]:
    """All of one agent's finished calls in a period, oldest first (for the agent's PDF report)."""
    sql, params = review_sql(ReviewFilter(agent_id=agent_id, date_from=date_from, date_to=date_to,
                                          kind=kind), "started_at", False, 0, -1)
    return [row_dict(r) for r in db.execute(sql, params).fetchall()]


# -- CSV export ----------------------------------------------------------------------------------------
CSV_FIELDS = (
    ("call_id", "id"), ("kind", "kind"), ("agent_id", "agent_id"), ("agent", "agent"),
    ("customer_id", "customer_id"), ("customer", "customer"), ("started_at_utc", "started_at"),
    ("ended_at_utc", "ended_at"), ("duration_s", "duration_s"), ("talk_ratio_pct", "talk_ratio"),
    ("overtalk_s", "overtalk_s"), ("longest_monologue_s", "longest_monologue_s"),
    ("flags_total", "flags_count"), *((f"flags_{c}", f"flags_{c}") for c in FLAG_CATEGORIES),
    ("issues_opened", "issues_opened"), ("issues_resolved", "issues_resolved"),
    ("outcome", "outcome"), ("open_tasks", "open_tasks"),
    ("started_at_local", "started_at"), ("coaching_comments", "id"),
)


def _csv_value(key: str, v: Any) -> Any:
    if key == "outcome":
        return redact_text(outcome_label(v)) if v else ""
    if v is None:
        return ""
    if key == "talk_ratio":
        return round(float(v) * 100, 1)
    if isinstance(v, float):
        return round(v, 1)
    if isinstance(v, str):  # names and outcomes from a database older than the redacting writers
        return redact_text(v)
    return v


def _write_rows(db: Database, flt: ReviewFilter, f: Any, sort: str, descending: bool) -> int:
    sql, params = review_sql(flt, sort, descending, 0, -1)
    n = 0
    w = csv.writer(f)
    w.writerow([name for name, _key in CSV_FIELDS])
    fields = [(name, key, COLUMN_INDEX[key]) for name, key in CSV_FIELDS]
    comments: dict[int, list[str]] = {}
    for cid, at_s, text in db.execute("SELECT call_id, at_s, text FROM coaching_comments"
                                      " ORDER BY call_id, at_s IS NULL, at_s, id"):
        comments.setdefault(int(cid), []).append(comment_text(
            Comment(0, int(cid), "", "", None if at_s is None else float(at_s), str(text))))
    for row in db.execute(sql, params):
        out = []
        for name, key, i in fields:
            if name == "started_at_local":
                out.append(local_time(row[i]))
            elif name == "coaching_comments":
                out.append(" | ".join(comments.get(int(row[i]), [])))
            else:
                out.append(_csv_value(key, row[i]))
        w.writerow(out)
        n += 1
    return n


def write_csv(db: Database, flt: ReviewFilter, stream: Any, sort: str = "started_at",
              descending: bool = False) -> int:
    """Write every call the filter matches as CSV to an open text stream (stdout); returns the rows."""
    return _write_rows(db, flt, stream, sort, descending)


def export_csv(
    db: Database,
    flt: ReviewFilter,
    path: Path | str,
    sort: str = "started_at",
    descending: bool = False,
) -> int:
    """Write every call the filter matches to a CSV file; returns the number of rows.

    UTF-8 with a byte-order mark so spreadsheets read names correctly. Written to a temporary file in
    the same folder and renamed, so a failure never leaves a partial file (or spoils an existing one).
    Raises OSError with one clear line when the folder cannot be written.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OSError(f"Cannot write {target}: it is a folder.")
    if not folder.is_dir():
        raise OSError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=folder)
    except OSError as e:
        raise OSError(f"Cannot write {target}: {e.strerror or e}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            n = _write_rows(db, flt, f, sort, descending)
        os.chmod(tmp, 0o600)  # call data: the owner only (mkstemp's mode, kept on purpose)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n


# -- issue events recorded at wrap-up (used by the demo calls) ------------------------------------------
def record_issue_opened(db: Database, customer_id: int, title: str, opened_at: str,
                        severity: str = "normal", target_hours: float = 72.0) -> int:
    """Open an issue for a customer at ``opened_at`` (during a call it then counts as opened by it)."""
    with db.conn:
        cur = db.execute(
            "INSERT INTO issues (customer_id, opened_at, status, severity, title, reopen_count,"
            " target_hours) VALUES (?, ?, 'open', ?, ?, 0, ?)",
            [customer_id, opened_at, severity, title, target_hours])
    return int(cur.lastrowid or 0)


def record_issue_resolved(db: Database, issue_id: int, resolved_at: str) -> None:
    with db.conn:
        db.execute("UPDATE issues SET status = 'resolved', resolved_at = ? WHERE id = ?",
                   [resolved_at, issue_id])


def open_issue_ids(db: Database, customer_id: int, before: str) -> list[int]:
    cur = db.execute("SELECT id FROM issues WHERE customer_id = ? AND status = 'open' AND opened_at < ?"
                     " ORDER BY opened_at", [customer_id, before])
    return [int(r[0]) for r in cur.fetchall()]
