"""The redaction contract through the store writers: no generated secret reaches the SQLite file.

Every writer that stores free text is used as the app uses it — utterances, parked tasks, wrap-up notes
(``store.calls``) and imported customers, interactions, orders and issues (``store.importer``) — on a real
database file. The whole database is then read back (``iterdump``) together with the raw bytes of the
file and its WAL, and no secret may be readable in either.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.store import calls
from agent_assist.store.db import connect
from agent_assist.store.importer import import_file
from tests.coach.pii_strategies import Secret, leaked, sentences

CASES = st.lists(sentences(), min_size=4, max_size=8)


def _everything_stored(path: Path) -> str:
    db = connect(path)
    try:
        dump = "\n".join(db.conn.iterdump())
    finally:
        db.close()
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return dump + "\n" + raw.decode("utf-8", errors="ignore")


def _assert_nothing_leaked(cases: list[tuple[Secret, str]], stored: str) -> None:
    leaks = [(s.kind, t) for s, t in cases if leaked(s, stored)]
    assert not leaks, leaks


@given(CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_call_writers_store_no_secret(cases: list[tuple[Secret, str]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "calls.db"
        db = connect(path)
        db["agents"].insert({"id": 1, "name": "Ann Agent"})
        cid = calls.start_call(db, agent_id=1, customer_id=None)
        for _s, text in cases:
            # the writers redact whatever the caller did, so a path that forgets cannot leak
            calls.add_utterance(db, cid, party="customer", text=text, start_s=1.0)
            calls.add_task(db, text=text, kind="parked", agent_id=1, call_id=cid)
        calls.finish_call(db, cid, notes="\n".join(t for _s, t in cases), outcome="resolved")
        db.close()
        _assert_nothing_leaked(cases, _everything_stored(path))


@given(CASES, st.sampled_from(["csv", "jsonl"]))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_imports_store_no_secret(cases: list[tuple[Secret, str]], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        path = folder / "import.db"
        texts = [t for _s, t in cases]
        customers = [{"external_id": f"c{i}", "name": f"Customer {chr(65 + i)}", "phone": f"+1555010{i:04d}",
                      "notes": t, "city": t} for i, t in enumerate(texts)]
        interactions = [{"external_id": f"i{i}", "customer_external_id": f"c{i}", "at": "2026-11-02 10:00",
                         "channel": "email", "summary": t} for i, t in enumerate(texts)]
        orders = [{"external_id": f"o{i}", "customer_external_id": f"c{i}", "at": "2026-11-02",
                   "amount": "10", "item": t} for i, t in enumerate(texts)]
        issues = [{"external_id": f"s{i}", "customer_external_id": f"c{i}", "opened_at": "2026-11-02",
                   "title": t} for i, t in enumerate(texts)]
        db = connect(path)
        try:
            for kind, rows in (("customers", customers), ("interactions", interactions), ("orders", orders),
                               ("issues", issues)):
                f = folder / f"{kind}.{fmt}"
                if fmt == "jsonl":
                    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
                else:
                    import csv

                    with f.open("w", encoding="utf-8", newline="") as fh:
                        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                        w.writeheader()
                        w.writerows(rows)
                report = import_file(db, kind, f)
                assert report.imported == len(rows), report.lines()
        finally:
            db.close()
        _assert_nothing_leaked(cases, _everything_stored(path))
