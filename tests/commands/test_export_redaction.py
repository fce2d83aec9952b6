"""The redaction contract on the way out: ``agent-assist export calls`` (a real subprocess) writes no
secret into the CSV, even from a database written before the store redacted everything (the rows here
are put in with plain SQL, past the redacting writers), and the file is the owner's only (0600)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.store.db import connect
from tests.coach.pii_strategies import Secret, leaked, sentences


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


@given(st.lists(sentences(), min_size=6, max_size=10))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_csv_export_writes_no_secret(cases: list[tuple[Secret, str]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        path = folder / "old.db"
        db = connect(path)
        for i, (_s, text) in enumerate(cases):
            db.execute("INSERT INTO agents (id, name) VALUES (?, ?)", [i + 1, f"Agent {text}"])
            db.execute("INSERT INTO customers (id, name) VALUES (?, ?)", [i + 1, text])
            db.execute("INSERT INTO calls (agent_id, customer_id, kind, source, status, started_at, ended_at,"
                       " outcome, notes, flags_count) VALUES (?, ?, 'call', 'live', 'done', ?, ?, ?, ?, 0)",
                       [i + 1, i + 1, f"2026-11-0{1 + i % 9}T09:00:00", f"2026-11-0{1 + i % 9}T09:05:00",
                        text, text])
        db.conn.commit()
        db.close()
        out = folder / "calls.csv"
        r = _cli("--db", str(path), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-30",
                 "--csv", str(out))
        assert r.returncode == 0, r.stderr
        assert f"Exported {len(cases)} calls" in r.stdout
        written = out.read_text(encoding="utf-8-sig")
        assert len(written.splitlines()) > len(cases)
        leaks = [(s.kind, t) for s, t in cases if leaked(s, written)]
        assert not leaks, leaks
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
