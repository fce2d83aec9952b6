"""Every table a desk syncs with the team store, described once for both sides.

A desk's rows keep their integer ids locally; on the wire and in PostgreSQL a row is its client-made
``uuid`` and references are uuids too (``call_uuid``, ``customer_uuid``), so rows from many desks never
collide. ``local_select`` reads rows in the remote column order, translating local ids to uuids; it ends
with ``WHERE t.rowid IN (SELECT value FROM json_each(?))`` filled with the outbox's row ids.

``owned`` tables belong to the agent who pushed them (PostgreSQL fills ``agent_login`` with the login and
row-level security keeps them private to the agent and the agent's supervisors). The directory tables
(customers, issues, interactions) are shared: desks push their edits and pull everyone's.

Conflict rule (the same row edited on two desks): ``lww`` rows carry ``updated_at`` (the desk's UTC clock
at the edit); the later edit wins whole-row, and of two equal times the one pushed last. Owned rows have a
single writer (their agent's desk), so the newest push simply replaces the row.
"""

from __future__ import annotations

from dataclasses import dataclass

FLAG_CATEGORIES = ("leading", "loaded", "negative", "negative_language", "over_promise")
# Remote column names are frozen with the team schema; the desk renamed flags_negative to flags_blaming
# (desk migration "phrasing flag category 'negative' renamed 'blaming'"), so it is read under its old name.
LOCAL_FLAG = {"negative": "blaming"}
REMOTE_FLAG = {v: k for k, v in LOCAL_FLAG.items()}


@dataclass(frozen=True)
class SyncedTable:
    name: str
    columns: tuple[str, ...]  # remote columns after uuid, in local_select's order
    local_select: str
    owned: bool
    conflict: str = "replace"  # replace | lww
    pulled: bool = False
    deletes: bool = False  # the desk's deletes are pushed (owned tables only)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return ("uuid", *self.columns)


def _sel(cols: str, frm: str) -> str:
    return f"SELECT t.uuid, {cols} FROM {frm} WHERE t.rowid IN (SELECT value FROM json_each(?))"


_CUSTOMER_COLS = ("external_id", "name", "email", "phone", "phone_e164", "customer_since",
                  "preferred_channel", "preferred_hours", "city", "segment", "notes", "created_at",
                  "updated_at")
_ISSUE_COLS = ("external_id", "customer_uuid", "opened_at", "resolved_at", "status", "severity", "title",
               "reopen_count", "target_hours", "updated_at")
_INTERACTION_COLS = ("external_id", "customer_uuid", "at", "channel", "direction", "summary")
_METRICS = ("duration_s", "talk_ratio", "agent_speech_s", "customer_speech_s", "overtalk_s",
            "silence_s", "longest_monologue_s", "interruptions", "flags_count")
_CALL_COLS = ("agent_name", "customer_uuid", "customer_name", "phone_e164", "kind", "source", "status",
              "started_at", "ended_at", "outcome", "notes", *_METRICS,
              *(f"flags_{c}" for c in FLAG_CATEGORIES), "summary_json")

CUSTOMERS = SyncedTable(
    "customers", _CUSTOMER_COLS,
    _sel(", ".join(f"t.{c}" for c in _CUSTOMER_COLS), "customers t"),
    owned=False, conflict="lww", pulled=True)
ISSUES = SyncedTable(
    "issues", _ISSUE_COLS,
    _sel("t.external_id, cu.uuid, t.opened_at, t.resolved_at, t.status, t.severity, t.title,"
         " t.reopen_count, t.target_hours, t.updated_at",
         "issues t LEFT JOIN customers cu ON cu.id = t.customer_id"),
    owned=False, conflict="lww", pulled=True)
INTERACTIONS = SyncedTable(
    "interactions", _INTERACTION_COLS,
    _sel("t.external_id, cu.uuid, t.at, t.channel, t.direction, t.summary",
         "interactions t LEFT JOIN customers cu ON cu.id = t.customer_id"),
    owned=False, pulled=True)
CALLS = SyncedTable(
    "calls", _CALL_COLS,
    _sel("a.name, cu.uuid, cu.name, t.phone_e164, t.kind, t.source, t.status, t.started_at, t.ended_at,"
         " t.outcome, t.notes, " + ", ".join(f"t.{c}" for c in _METRICS) + ", "
         + ", ".join(f"t.flags_{LOCAL_FLAG.get(c, c)}" for c in FLAG_CATEGORIES) + ", t.summary_json",
         "calls t LEFT JOIN agents a ON a.id = t.agent_id LEFT JOIN customers cu ON cu.id = t.customer_id"),
    owned=True, deletes=True)
SEGMENTS = SyncedTable(
    "speech_segments", ("call_uuid", "party", "start_s", "end_s"),
    _sel("c.uuid, t.party, t.start_s, t.end_s", "speech_segments t JOIN calls c ON c.id = t.call_id"),
    owned=True, deletes=True)
UTTERANCES = SyncedTable(
    "utterances", ("call_uuid", "party", "start_s", "text", "redacted"),
    _sel("c.uuid, t.party, t.start_s, t.text, t.redacted", "utterances t JOIN calls c ON c.id = t.call_id"),
    owned=True, deletes=True)
FLAGS = SyncedTable(
    "phrasing_flags",
    ("call_uuid", "utterance_uuid", "category", "span_start", "span_end", "reason", "suggestion"),
    _sel("c.uuid, u.uuid, t.category, t.start, t.\"end\", t.reason, t.suggestion",
         "phrasing_flags t JOIN calls c ON c.id = t.call_id LEFT JOIN utterances u ON u.id = t.utterance_id"),
    owned=True, deletes=True)
TASKS = SyncedTable(
    "tasks",
    ("call_uuid", "customer_uuid", "kind", "text", "due_at", "channel", "done", "created_at", "done_at",
     "redacted"),
    _sel("c.uuid, cu.uuid, t.kind, t.text, t.due_at, t.channel, t.done, t.created_at, t.done_at, t.redacted",
         "tasks t LEFT JOIN calls c ON c.id = t.call_id LEFT JOIN customers cu ON cu.id = t.customer_id"),
    owned=True, deletes=True)
ATTEMPTS = SyncedTable(
    "practice_attempts",
    ("call_uuid", "scenario", "started_at", "score", "goals_met", "goals_total", "result_json"),
    _sel("c.uuid, t.scenario, t.started_at, t.score, t.goals_met, t.goals_total, t.result_json",
         "practice_attempts t JOIN calls c ON c.id = t.call_id"),
    owned=True, deletes=True)

# Push order: referenced rows first (not required by the server, which holds no foreign keys between desk
# rows, but it keeps a half-pushed outbox readable: a call's utterances never precede the call).
TABLES: tuple[SyncedTable, ...] = (CUSTOMERS, ISSUES, INTERACTIONS, CALLS, SEGMENTS, UTTERANCES, FLAGS,
                                   TASKS, ATTEMPTS)
BY_NAME = {t.name: t for t in TABLES}
PULLED: tuple[SyncedTable, ...] = tuple(t for t in TABLES if t.pulled)
