"""The desk's side of team mode, in its SQLite file: joining, the outbox, and applying pulled rows.

The outbox (``team_outbox``) is filled by triggers (migration "team mode" in ``store/schema.py``) in the
same transaction as the write it describes. It holds row ids, not copies: the pusher reads each row as it
is when sent, so ten edits of one issue before a push send it once, in its last state. A row leaves the
outbox only after the team store committed it (:func:`ack`); anything in between is retried, and the
server's upserts by uuid make a retry harmless. Joining a team queues the desk's whole history in one
transaction, so the first upload is the same resumable, exactly-once push as any other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from agent_assist.store.team.tables import BY_NAME, PULLED, TABLES, SyncedTable

# A random (version 4) uuid made by SQLite itself, so filling a million rows is one statement.
UUID_SQL = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||"
    " substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) ||"
    " substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
)


def now_iso() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TeamState:
    enabled: bool  # the outbox is being filled (an agent's desk that joined)
    store_id: str | None  # the team store this desk joined (None: not joined)
    url: str | None  # without password
    login: str | None
    role: str | None
    joined_at: str | None
    backfill_seq: int | None
    last_push: str | None
    last_pull: str | None
    last_error: str | None
    pull_cursors: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def joined(self) -> bool:
        return self.store_id is not None


def has_team_tables(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'team_state'").fetchone() is not None


def state(db: Database) -> TeamState:
    row = db.execute(
        "SELECT enabled, store_id, url, login, role, joined_at, backfill_seq, last_push, last_pull,"
        " last_error, pull_cursors FROM team_state WHERE id = 1").fetchone()
    return TeamState(enabled=bool(row[0]), store_id=row[1], url=row[2], login=row[3], role=row[4],
                     joined_at=row[5], backfill_seq=row[6], last_push=row[7], last_pull=row[8],
                     last_error=row[9], pull_cursors=json.loads(row[10] or "{}"))


def pending(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM team_outbox").fetchone()[0])


def rejected(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM team_rejected").fetchone()[0])


def backfill_left(db: Database) -> int:
    """Outbox entries of the join's upload still unsent (0 when the history is up)."""
    st = state(db)
    if not st.backfill_seq:
        return 0
    return int(db.execute("SELECT count(*) FROM team_outbox WHERE seq <= ?", [st.backfill_seq]).fetchone()[0])


def fill_uuids(db: Database) -> None:
    """Give every synced row that has none its uuid (kept forever after). Index lookups only."""
    for t in TABLES:
        db.execute(f"UPDATE {t.name} SET uuid = {UUID_SQL} WHERE uuid IS NULL")


def join(db: Database, *, store_id: str, url: str, login: str, role: str) -> int:
    """Join the team store ``store_id`` as ``login``: queue the desk's history once. Returns rows queued.

    Idempotent: joining the same store again queues nothing. An agent's desk starts filling its outbox;
    a supervisor's or trainer's desk only pulls (it has nothing of its own to send).
    """
    st = state(db)
    if st.store_id == store_id and st.login == login:
        with db.atomic():
            db.execute("UPDATE team_state SET url = ?, role = ? WHERE id = 1", [url, role])
        return 0
    agent = role == "agent"
    with db.atomic():
        db.execute("DELETE FROM team_outbox")  # a queue for another store means nothing to this one
        db.execute(
            "UPDATE team_state SET enabled = ?, store_id = ?, url = ?, login = ?, role = ?, joined_at = ?,"
            " backfill_seq = NULL, last_error = NULL, pull_cursors = '{}' WHERE id = 1",
            [int(agent), store_id, url, login, role, now_iso()])
        if not agent:
            return 0
        fill_uuids(db)
        done = "(SELECT id FROM calls WHERE status = 'done')"
        backfill = {
            "customers": "1", "issues": "1", "interactions": "1", "calls": "status = 'done'",
            "speech_segments": f"call_id IN {done}", "utterances": f"call_id IN {done}",
            "phrasing_flags": f"call_id IN {done}", "tasks": f"(call_id IS NULL OR call_id IN {done})",
            "practice_attempts": f"call_id IN {done}",
        }
        for t in TABLES:
            db.execute(f"INSERT INTO team_outbox (tbl, row_id) SELECT '{t.name}', rowid FROM {t.name}"
                       f" WHERE {backfill[t.name]} ORDER BY rowid")
        row = db.execute("SELECT max(seq), count(*) FROM team_outbox").fetchone()
        db.execute("UPDATE team_state SET backfill_seq = ? WHERE id = 1", [row[0]])
        return int(row[1])


def leave(db: Database) -> None:
    """Stop team mode on this desk (the outbox is dropped; local data stays)."""
    with db.atomic():
        db.execute("DELETE FROM team_outbox")
        db.execute("UPDATE team_state SET enabled = 0, store_id = NULL, login = NULL, role = NULL,"
                   " backfill_seq = NULL, pull_cursors = '{}' WHERE id = 1")


@dataclass
class Batch:
    """One push: the outbox entries it covers and the rows to send, per table, in push order."""

    seqs: list[int]
    upserts: dict[str, list[tuple[Any, ...]]]
    deletes: dict[str, list[str]]

    @property
    def max_seq(self) -> int:
        return max(self.seqs) if self.seqs else 0

    @property
    def rows(self) -> int:
        return sum(len(v) for v in self.upserts.values()) + sum(len(v) for v in self.deletes.values())


def next_batch(db: Database, limit: int = 2000) -> Batch:
    """The oldest ``limit`` outbox entries with the current state of their rows (one read transaction)."""
    with db.atomic():
        entries = db.execute(
            "SELECT seq, tbl, row_id, op, uuid FROM team_outbox ORDER BY seq LIMIT ?", [limit]).fetchall()
        if not entries:
            return Batch([], {}, {})
        # Rows written since the last push have no uuid yet; they get it before anything is read.
        fill_uuids(db)
        ids: dict[str, set[int]] = {}
        deletes: dict[str, list[str]] = {}
        for _seq, tbl, row_id, op, uuid in entries:
            if tbl not in BY_NAME:
                continue
            if op == "delete":
                deletes.setdefault(tbl, []).append(str(uuid))
            else:
                ids.setdefault(tbl, set()).add(int(row_id))
        upserts: dict[str, list[tuple[Any, ...]]] = {}
        for t in TABLES:
            if t.name in ids:
                rows = db.execute(t.local_select, [json.dumps(sorted(ids[t.name]))]).fetchall()
                upserts[t.name] = [tuple(r) for r in rows]
        # A row deleted after it was queued (and re-created under the same rowid) is a new uuid; a
        # uuid both deleted and present cannot happen, so deletes and upserts never fight.
        return Batch([int(e[0]) for e in entries], upserts, deletes)


def ack(db: Database, seqs: Sequence[int], when: str | None = None) -> None:
    """The team store committed these entries: drop them. Entries queued meanwhile stay."""
    with db.atomic():
        db.execute("DELETE FROM team_outbox WHERE seq IN (SELECT value FROM json_each(?))",
                   [json.dumps(list(seqs))])
        db.execute("UPDATE team_state SET last_push = ?, last_error = NULL WHERE id = 1", [when or now_iso()])


def reject(db: Database, seqs: Sequence[int], error: str) -> None:
    """Park entries the server refuses for good (a constraint, a permission), so the rest can flow."""
    with db.atomic():
        db.execute(
            "INSERT OR REPLACE INTO team_rejected (seq, tbl, row_id, op, uuid, error, at)"
            " SELECT seq, tbl, row_id, op, uuid, ?, ? FROM team_outbox"
            " WHERE seq IN (SELECT value FROM json_each(?))", [error, now_iso(), json.dumps(list(seqs))])
        db.execute("DELETE FROM team_outbox WHERE seq IN (SELECT value FROM json_each(?))",
                   [json.dumps(list(seqs))])


def set_error(db: Database, error: str | None) -> None:
    with db.atomic():
        db.execute("UPDATE team_state SET last_error = ? WHERE id = 1", [error])


# -- pulled rows -----------------------------------------------------------------------------------------
_LOCAL_COLS = {
    "customers": ("external_id", "name", "email", "phone", "phone_e164", "customer_since",
                  "preferred_channel", "preferred_hours", "city", "segment", "notes", "created_at",
                  "updated_at"),
    "issues": ("external_id", "customer_id", "opened_at", "resolved_at", "status", "severity", "title",
               "reopen_count", "target_hours", "updated_at"),
    "interactions": ("external_id", "customer_id", "at", "channel", "direction", "summary"),
}


def _local_values(db: Database, table: SyncedTable, row: dict[str, Any]) -> dict[str, Any] | None:
    vals = {c: row.get(c) for c in _LOCAL_COLS[table.name] if c != "customer_id"}
    if "customer_id" in _LOCAL_COLS[table.name]:
        cu = db.execute("SELECT id FROM customers WHERE uuid = ?", [row.get("customer_uuid")]).fetchone()
        if cu is None:
            return None  # its customer is not in this replica (pulled in an earlier table)
        vals["customer_id"] = int(cu[0])
    return vals


def apply_pulled(db: Database, table: SyncedTable, rows: Sequence[dict[str, Any]],
                 cursor: list[Any]) -> int:
    """Write the team's rows into the desk's replica and move the table's cursor, in one transaction.

    A row is found by uuid, else by external id (the desk imported the same directory: the local row
    takes the team's uuid). A local edit newer than the team's (``updated_at``, not yet pushed) is kept;
    the pusher will send it and the same rule decides on the server. Returns rows written.
    """
    cols = _LOCAL_COLS[table.name]
    written = 0
    with db.atomic():
        db.execute("UPDATE team_state SET applying = 1 WHERE id = 1")
        try:
            for row in rows:
                vals = _local_values(db, table, row)
                if vals is None:
                    continue
                local = db.execute(f"SELECT id, uuid{', updated_at' if 'updated_at' in cols else ''}"
                                   f" FROM {table.name} WHERE uuid = ?", [str(row["uuid"])]).fetchone()
                if local is None and row.get("external_id") is not None:
                    local = db.execute(
                        f"SELECT id, uuid{', updated_at' if 'updated_at' in cols else ''}"
                        f" FROM {table.name} WHERE external_id = ?", [row["external_id"]]).fetchone()
                if local is not None and "updated_at" in cols and local[2] and \
                        str(local[2]) > str(row.get("updated_at") or ""):
                    continue  # the desk's own newer edit wins (it is in the outbox)
                vals["uuid"] = str(row["uuid"])
                names = list(vals)
                if local is None:
                    db.execute(f"INSERT INTO {table.name} ({', '.join(names)})"
                               f" VALUES ({', '.join('?' for _ in names)})", list(vals.values()))
                else:
                    sets = ", ".join(f"{n} = ?" for n in names)
                    db.execute(f"UPDATE {table.name} SET {sets} WHERE id = ?", [*vals.values(), local[0]])
                written += 1
            cursors = state(db).pull_cursors
            cursors[table.name] = cursor
            db.execute("UPDATE team_state SET pull_cursors = ?, last_pull = ? WHERE id = 1",
                       [json.dumps(cursors), now_iso()])
        finally:
            db.execute("UPDATE team_state SET applying = 0 WHERE id = 1")
    return written


__all__ = [
    "PULLED",
    "UUID_SQL",
    "Batch",
    "TeamState",
    "ack",
    "apply_pulled",
    "backfill_left",
    "fill_uuids",
    "has_team_tables",
    "join",
    "leave",
    "next_batch",
    "pending",
    "reject",
    "set_error",
    "state",
]
