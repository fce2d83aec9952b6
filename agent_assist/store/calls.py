"""Calls and what happens in them: segments, utterances, phrasing flags, parked tasks.

Writes happen as the call goes (WAL, one small transaction each) so a crash loses at most the last second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from agent_assist.coach.redact import redact

METRIC_COLUMNS = (
    "duration_s",
    "talk_ratio",
    "agent_speech_s",
    "customer_speech_s",
    "overtalk_s",
    "silence_s",
    "longest_monologue_s",
    "interruptions",
)


def now_iso() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CallRow:
    id: int
    agent_id: int
    customer_id: int | None
    phone_e164: str | None
    kind: str
    source: str | None
    status: str
    started_at: str
    ended_at: str | None
    outcome: str | None
    notes: str | None


def _row(r: Mapping[str, Any]) -> CallRow:
    return CallRow(**{k: r[k] for k in CallRow.__dataclass_fields__})


def start_call(
    db: Database,
    *,
    agent_id: int,
    customer_id: int | None,
    phone_e164: str | None = None,
    kind: str = "call",
    source: str = "live",
    started_at: str | None = None,
) -> int:
    with db.atomic():
        cur = db.execute(
            "INSERT INTO calls (agent_id, customer_id, phone_e164, kind, source, status, started_at, flags_count)"
            " VALUES (?, ?, ?, ?, ?, 'active', ?, 0)",
            [agent_id, customer_id, phone_e164, kind, source, started_at or now_iso()],
        )
    return int(cur.lastrowid or 0)


def get_call(db: Database, call_id: int) -> CallRow | None:
    cur = db.execute("SELECT * FROM calls WHERE id = ?", [call_id])
    cols = [c[0] for c in cur.description]
    row = cur.fetchone()
    return _row(dict(zip(cols, row, strict=True))) if row else None


def unfinished_calls(db: Database, agent_id: int | None = None) -> list[CallRow]:
    """Calls left ringing, active, on hold or in wrap-up (e.g. after a crash), oldest first."""
    sql = "SELECT * FROM calls WHERE status IN ('ringing', 'active', 'held', 'wrapup')"
    params: list[Any] = []
    if agent_id is not None:
        sql += " AND agent_id = ?"
        params.append(agent_id)
    cur = db.execute(sql + " ORDER BY started_at", params)
    cols = [c[0] for c in cur.description]
    return [_row(dict(zip(cols, r, strict=True))) for r in cur.fetchall()]


def add_segments(db: Database, call_id: int, segments: Iterable[tuple[str, float, float]]) -> int:
    """Store closed speech segments ``(party, start_s, end_s)``; party is ``agent`` or ``customer``."""
    rows = [(call_id, p, float(s), float(e)) for p, s, e in segments]
    if rows:
        with db.atomic():
            db.conn.executemany(
                "INSERT INTO speech_segments (call_id, party, start_s, end_s) VALUES (?, ?, ?, ?)", rows
            )
    return len(rows)


def segments(db: Database, call_id: int) -> list[tuple[str, float, float]]:
    cur = db.execute(
        "SELECT party, start_s, end_s FROM speech_segments WHERE call_id = ? ORDER BY start_s", [call_id]
    )
    return [(p, float(s), float(e)) for p, s, e in cur.fetchall()]


def add_utterance(
    db: Database,
    call_id: int,
    *,
    party: str,
    text: str,
    start_s: float | None = None,
    redacted: bool = False,
    flags: Sequence[Mapping[str, Any]] = (),
) -> int:
    """Store one utterance with its phrasing flags; the text is redacted here whatever the caller did.

    ``flags`` are mappings with ``category``, ``start``, ``end``, ``reason``, ``suggestion``.
    """
    r = redact(text)
    text, redacted = r.text, redacted or r.changed
    with db.atomic():
        cur = db.execute(
            "INSERT INTO utterances (call_id, party, start_s, text, redacted) VALUES (?, ?, ?, ?, ?)",
            [call_id, party, start_s, text, int(redacted)],
        )
        uid = int(cur.lastrowid or 0)
        if flags:
            db.conn.executemany(
                "INSERT INTO phrasing_flags (call_id, utterance_id, category, start, end, reason, suggestion)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(call_id, uid, f["category"], f.get("start"), f.get("end"), f.get("reason"), f.get("suggestion"))
                 for f in flags],
            )
            db.execute("UPDATE calls SET flags_count = flags_count + ? WHERE id = ?", [len(flags), call_id])
    return uid


def set_status(db: Database, call_id: int, status: str) -> None:
    with db.atomic():
        db.execute("UPDATE calls SET status = ? WHERE id = ?", [status, call_id])


def finish_call(
    db: Database,
    call_id: int,
    *,
    metrics: Mapping[str, Any] | None = None,
    outcome: str | None = None,
    notes: str | None = None,
    summary: Mapping[str, Any] | None = None,
    ended_at: str | None = None,
    status: str = "done",
) -> None:
    """Record the end of a call: metrics (keys from METRIC_COLUMNS), outcome, notes, summary JSON.

    Idempotent: finishing a call that is already done updates nothing but what is given.
    """
    sets: dict[str, Any] = {"status": status}
    row = get_call(db, call_id)
    if row is None:
        raise LookupError(f"call {call_id} does not exist")
    if row.ended_at is None:
        sets["ended_at"] = ended_at or now_iso()
    for k in METRIC_COLUMNS:
        if metrics and k in metrics and metrics[k] is not None:
            sets[k] = metrics[k]
    if outcome is not None:
        sets["outcome"] = outcome
    if notes is not None:
        sets["notes"] = redact(notes).text
    if summary is not None:
        sets["summary_json"] = json.dumps(summary, sort_keys=True)
    cols = ", ".join(f"{k} = ?" for k in sets)
    with db.atomic():
        db.execute(f"UPDATE calls SET {cols} WHERE id = ?", [*sets.values(), call_id])


def add_task(
    db: Database,
    *,
    text: str,
    kind: str = "parked",
    agent_id: int | None = None,
    call_id: int | None = None,
    customer_id: int | None = None,
    due_at: str | None = None,
    channel: str | None = None,
    redacted: bool = False,
) -> int:
    if not text.strip():
        raise ValueError("A task needs some text.")
    r = redact(text)
    text, redacted = r.text, redacted or r.changed
    with db.atomic():
        cur = db.execute(
            "INSERT INTO tasks (agent_id, call_id, customer_id, kind, text, due_at, channel, done, created_at,"
            " redacted) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [agent_id, call_id, customer_id, kind, text.strip(), due_at, channel, now_iso(), int(redacted)],
        )
    return int(cur.lastrowid or 0)


def set_task_done(db: Database, task_id: int, done: bool = True) -> None:
    with db.atomic():
        db.execute("UPDATE tasks SET done = ?, done_at = ? WHERE id = ?",
                   [int(done), now_iso() if done else None, task_id])


def tasks_for_call(db: Database, call_id: int) -> list[dict[str, Any]]:
    cur = db.execute("SELECT * FROM tasks WHERE call_id = ? ORDER BY id", [call_id])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def open_tasks(db: Database, agent_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Tasks not done (callbacks, follow-ups, parked), with the customer's name, oldest due first.

    Each row also carries ``worst_issue_fraction``: the customer's oldest open issue's age against its
    target (1.0 = at target), for ordering the work list by urgency.
    """
    sql = (
        "SELECT t.*, c.name AS customer_name, c.preferred_channel, c.preferred_hours,"
        " (SELECT max((julianday('now') - julianday(i.opened_at)) * 24.0 / i.target_hours) FROM issues i"
        "   WHERE i.customer_id = t.customer_id AND i.status = 'open' AND i.target_hours > 0)"
        "   AS worst_issue_fraction"
        " FROM tasks t LEFT JOIN customers c ON c.id = t.customer_id"
        " LEFT JOIN calls k ON k.id = t.call_id"
        # parked notes of a call still in progress belong to its wrap-up, not to the work list yet
        " WHERE t.done = 0 AND NOT (t.kind = 'parked' AND COALESCE(k.status, '') IN ('active', 'wrapup'))"
        # callbacks of missed calls have their own section (missed_callbacks)
        " AND NOT (t.kind = 'callback' AND COALESCE(k.status, '') = 'missed')"
    )
    params: list[Any] = []
    if agent_id is not None:
        sql += " AND (t.agent_id = ? OR t.agent_id IS NULL)"
        params.append(agent_id)
    sql += " ORDER BY COALESCE(t.due_at, t.created_at) LIMIT ?"
    params.append(limit)
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# -- live calls (the call workflow's storage; the transitions themselves live in workflows/calls.py) --------

LIVE_STATUSES = ("ringing", "active", "held", "wrapup")


def now_ms() -> str:
    """Now as the store's naive UTC text, to the millisecond (talk times are computed from these)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _one(db: Database, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
    cur = db.execute(sql, list(params))
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None


def call_record(db: Database, call_id: int) -> dict[str, Any] | None:
    return _one(db, "SELECT * FROM calls WHERE id = ?", [call_id])


def call_by_ref(db: Database, call_ref: str) -> dict[str, Any] | None:
    """The newest call with the softphone's id ``call_ref`` (softphones may reuse ids across days)."""
    return _one(db, "SELECT * FROM calls WHERE call_ref = ? ORDER BY id DESC LIMIT 1", [call_ref])


def live_call_id_for_ref(db: Database, call_ref: str) -> int | None:
    """The id of the live call (ringing to wrap-up) with the softphone's id ``call_ref``, if any.

    On every ring, so one indexed probe on the raw connection.
    """
    row = db.conn.execute(
        "SELECT id FROM calls WHERE call_ref = ? AND kind = 'call'"
        " AND status IN ('ringing', 'active', 'held', 'wrapup') ORDER BY id DESC LIMIT 1", [call_ref]).fetchone()
    return int(row[0]) if row else None


def newest_call(db: Database, statuses: Sequence[str], agent_id: int | None = None) -> dict[str, Any] | None:
    """The newest live call (by ring time) in one of ``statuses``."""
    marks = ", ".join("?" for _ in statuses)
    sql = f"SELECT * FROM calls WHERE kind = 'call' AND status IN ({marks})"
    params: list[Any] = list(statuses)
    if agent_id is not None:
        sql += " AND agent_id = ?"
        params.append(agent_id)
    return _one(db, sql + " ORDER BY started_at DESC, id DESC LIMIT 1", params)


def calls_in(db: Database, statuses: Sequence[str], agent_id: int | None = None) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in statuses)
    sql = f"SELECT * FROM calls WHERE kind = 'call' AND status IN ({marks})"
    params: list[Any] = list(statuses)
    if agent_id is not None:
        sql += " AND agent_id = ?"
        params.append(agent_id)
    cur = db.execute(sql + " ORDER BY started_at, id", params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def insert_ringing(db: Database, *, agent_id: int, call_ref: str, phone_e164: str | None, display_name: str,
                   customer_id: int | None, rang_at: str, source: str = "live") -> int:
    cur = db.conn.execute(
        "INSERT INTO calls (agent_id, customer_id, phone_e164, kind, source, status, started_at, rang_at,"
        " call_ref, display_name, flags_count) VALUES (?, ?, ?, 'call', ?, 'ringing', ?, ?, ?, ?, 0)",
        [agent_id, customer_id, phone_e164, source, rang_at, rang_at, call_ref, display_name or None])
    return int(cur.lastrowid or 0)


def update_call(db: Database, call_id: int, values: Mapping[str, Any]) -> None:
    cols = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE calls SET {cols} WHERE id = ?", [*values.values(), call_id])


def customer_id_for_phone(db: Database, e164: str) -> int | None:
    row = db.conn.execute("SELECT id FROM customers WHERE phone_e164 = ? ORDER BY id LIMIT 1", [e164]).fetchone()
    return int(row[0]) if row else None


def customer_contact(db: Database, customer_id: int) -> dict[str, Any] | None:
    return _one(db, "SELECT id, name, preferred_channel, preferred_hours FROM customers WHERE id = ?",
                [customer_id])


def put_call_in_history(db: Database, call_id: int, customer_id: int, agent_id: int | None, at: str,
                        summary: str) -> None:
    """The call as an interaction of its customer (the card's history), written once per call."""
    db.execute(
        "INSERT INTO interactions (external_id, customer_id, agent_id, at, channel, direction, summary)"
        " VALUES (?, ?, ?, ?, 'call', 'in', ?) ON CONFLICT(external_id) DO UPDATE SET"
        " customer_id = excluded.customer_id, summary = excluded.summary",
        [f"call:{call_id}", customer_id, agent_id, at, summary])


def save_wrapup_draft(db: Database, call_id: int, draft: Mapping[str, Any]) -> None:
    """The wrap-up form as typed so far (restored when the wrap-up is resumed after a crash)."""
    with db.atomic():
        db.execute("UPDATE calls SET wrapup_draft = ? WHERE id = ? AND status = 'wrapup'",
                   [json.dumps(dict(draft), sort_keys=True), call_id])


def wrapup_draft(db: Database, call_id: int) -> dict[str, Any]:
    row = db.execute("SELECT wrapup_draft FROM calls WHERE id = ?", [call_id]).fetchone()
    if not row or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def list_live_calls(db: Database, *, statuses: Sequence[str] = (), limit: int = 50) -> list[dict[str, Any]]:
    """The call log: live calls (not practice, not imported files) newest first."""
    sql = ("SELECT k.id, k.call_ref, k.phone_e164, k.display_name, k.customer_id, c.name AS customer_name,"
           " k.status, k.rang_at, k.started_at, k.answered_at, k.ended_at, k.duration_s, k.end_cause, k.outcome"
           " FROM calls k LEFT JOIN customers c ON c.id = k.customer_id WHERE k.kind = 'call'"
           " AND k.source = 'live'")
    params: list[Any] = []
    if statuses:
        sql += f" AND k.status IN ({', '.join('?' for _ in statuses)})"
        params += list(statuses)
    sql += " ORDER BY k.started_at DESC, k.id DESC LIMIT ?"
    params.append(limit)
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def missed_callbacks(db: Database, agent_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Open callback tasks of missed calls, newest ring first, with who rang and their preferences."""
    sql = ("SELECT t.id AS task_id, t.text, t.due_at, t.channel, k.id AS call_id, k.call_ref, k.phone_e164,"
           " k.display_name, k.rang_at, k.started_at, k.customer_id, c.name AS customer_name,"
           " c.preferred_hours FROM tasks t JOIN calls k ON k.id = t.call_id"
           " LEFT JOIN customers c ON c.id = k.customer_id"
           " WHERE t.kind = 'callback' AND t.done = 0 AND k.status = 'missed'")
    params: list[Any] = []
    if agent_id is not None:
        sql += " AND (t.agent_id = ? OR t.agent_id IS NULL)"
        params.append(agent_id)
    sql += " ORDER BY k.started_at DESC, k.id DESC LIMIT ?"
    params.append(limit)
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
