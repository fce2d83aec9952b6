"""A desk's SQLite file with an agent, customers and finished calls, written by the store's own writers."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from agent_assist.store import calls
from agent_assist.store.db import connect


def make_desk(path: Path | str, *, agent: str = "Alice", customers: int = 3, finished: int = 5,
              prefix: str = "c") -> Database:
    db = connect(path)
    with db.atomic():
        db.execute("INSERT INTO agents (name, external_id) VALUES (?, ?)", [agent, f"ag-{agent}"])
        for i in range(customers):
            db.execute("INSERT INTO customers (external_id, name, phone_e164, created_at) VALUES (?, ?, ?, ?)",
                       [f"{prefix}{i}", f"Customer {prefix}{i}", f"+1555000{i:04d}", "2026-01-01T00:00:00"])
    for i in range(finished):
        add_call(db, i, customer_id=1 + i % max(customers, 1))
    return db


def add_call(db: Database, i: int, *, customer_id: int | None = 1, finish: bool = True,
             kind: str = "call") -> int:
    cid = calls.start_call(db, agent_id=1, customer_id=customer_id, kind=kind,
                           started_at=f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00")
    calls.add_segments(db, cid, [("agent", 0.0, 2.0), ("customer", 2.0, 6.0)])
    calls.add_utterance(db, cid, party="agent", text=f"How can I help {i}?", start_s=0.0)
    calls.add_utterance(db, cid, party="agent", text="Didn't you read the manual?", start_s=1.0,
                        flags=[{"category": "blaming", "start": 0, "end": 6, "reason": "blaming",
                                "suggestion": "Have you had a chance to look at the guide?"}])
    calls.add_task(db, text=f"call back {i}", agent_id=1, call_id=cid, customer_id=customer_id)
    if finish:
        calls.finish_call(db, cid, metrics={"duration_s": 6.0, "talk_ratio": 2 / 6}, outcome="resolved")
    return cid


# rows each finished call of add_call makes, per synced table
PER_CALL = {"calls": 1, "speech_segments": 2, "utterances": 2, "phrasing_flags": 1, "tasks": 1}
