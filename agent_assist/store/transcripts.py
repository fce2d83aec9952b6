"""Speech transcripts of calls: redacted recognised lines with their flags, retention, FTS5 search.

The text arrives redacted (the recogniser pipeline redacts before anything leaves it). Lines are kept
``retention_days`` and then deleted by ``purge_older_than``; the call, its talk figures and its flag
counts stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from agent_assist.store.calls import now_iso


@dataclass(frozen=True)
class TranscriptLine:
    id: int
    call_id: int
    party: str
    start_s: float
    end_s: float
    text: str
    flags: list[dict[str, Any]]


@dataclass(frozen=True)
class SearchHit:
    call_id: int
    line_id: int
    party: str
    start_s: float
    snippet: str  # with the matches in [brackets]


def add_line(db: Database, call_id: int, *, party: str, start_s: float, end_s: float, text: str,
             flags: Sequence[Mapping[str, Any]] = (), store_text: bool = True) -> int | None:
    """Store one recognised utterance: its flags always (they count for the call), its text unless
    ``store_text`` is False (the "do not keep transcripts" setting). Returns the line id or None."""
    line_id: int | None = None
    with db.atomic():
        if store_text:
            cur = db.execute(
                "INSERT INTO transcript_lines (call_id, party, start_s, end_s, text, flags_json, stored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [call_id, party, start_s, end_s, text, json.dumps([dict(f) for f in flags]), now_iso()])
            line_id = int(cur.lastrowid or 0)
        if flags:
            db.conn.executemany(
                "INSERT INTO phrasing_flags (call_id, utterance_id, category, start, end, reason, suggestion)"
                " VALUES (?, NULL, ?, ?, ?, ?, ?)",
                [(call_id, f["category"], f.get("start"), f.get("end"), f.get("reason"), f.get("suggestion"))
                 for f in flags])
            db.execute("UPDATE calls SET flags_count = flags_count + ? WHERE id = ?", [len(flags), call_id])
    return line_id


def lines(db: Database, call_id: int) -> list[TranscriptLine]:
    cur = db.execute("SELECT id, call_id, party, start_s, end_s, text, flags_json FROM transcript_lines"
                     " WHERE call_id = ? ORDER BY start_s, id", [call_id])
    return [TranscriptLine(int(i), int(c), str(p), float(s), float(e), str(t), json.loads(f))
            for i, c, p, s, e, t, f in cur.fetchall()]


def calls_with_transcripts(db: Database, call_ids: Iterable[int]) -> set[int]:
    ids = list(call_ids)
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    cur = db.execute(f"SELECT DISTINCT call_id FROM transcript_lines WHERE call_id IN ({marks})", ids)
    return {int(r[0]) for r in cur.fetchall()}


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """A user's words as a safe FTS5 query: every word must appear (the last one as a prefix)."""
    words = _WORD.findall(text.lower())
    if not words:
        return ""
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def search(db: Database, text: str, call_ids: Iterable[int] | None = None,
           limit: int = 200) -> list[SearchHit]:
    """Lines whose text has all the words of ``text``, newest calls first; only among ``call_ids``
    when given (the calls in view)."""
    q = fts_query(text)
    if not q:
        return []
    sql = ("SELECT l.call_id, l.id, l.party, l.start_s,"
           " snippet(transcript_fts, 0, '[', ']', '…', 12) FROM transcript_fts"
           " JOIN transcript_lines l ON l.id = transcript_fts.rowid WHERE transcript_fts MATCH ?")
    params: list[Any] = [q]
    if call_ids is not None:
        ids = list(call_ids)
        if not ids:
            return []
        # the ids go through a temporary JSON array: any number of calls, one parameter
        sql += " AND l.call_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(ids))
    sql += " ORDER BY l.call_id DESC, l.start_s LIMIT ?"
    params.append(limit)
    return [SearchHit(int(c), int(i), str(p), float(s), str(snip))
            for c, i, p, s, snip in db.execute(sql, params).fetchall()]


def purge_older_than(db: Database, days: int, now: datetime | None = None) -> int:
    """Delete transcript lines stored more than ``days`` ago (0 = keep for ever); returns how many."""
    if days <= 0:
        return 0
    cutoff = ((now or datetime.now(UTC)).replace(tzinfo=None) - timedelta(days=days)).isoformat(
        timespec="seconds")
    with db.atomic():
        cur = db.execute("DELETE FROM transcript_lines WHERE stored_at < ?", [cutoff])
    return int(cur.rowcount or 0)
