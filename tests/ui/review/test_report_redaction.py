"""The redaction contract in the PDF report: Qt's PDF writer (``write_call_report``) renders a call whose
rows were put in with plain SQL (an old database, past the redacting writers); poppler's ``pdftotext``
reads the PDF back and no secret may be readable in it. The file is the owner's only (0600)."""

from __future__ import annotations

import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.coach.summary import summarize_detail
from agent_assist.store import review
from agent_assist.store.db import connect
from agent_assist.ui.review.report_pdf import write_call_report
from tests.coach.pii_strategies import Secret, leaked, sentences


@given(st.lists(sentences(), min_size=5, max_size=8))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
def test_pdf_report_shows_no_secret(qapp: Any, cases: list[tuple[Secret, str]]) -> None:
    texts = [t for _s, t in cases]
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        db = connect(folder / "old.db")
        try:
            db.execute("INSERT INTO agents (id, name) VALUES (1, 'Ann Agent')")
            db.execute("INSERT INTO customers (id, name) VALUES (1, ?)", [texts[0]])
            cur = db.execute(
                "INSERT INTO calls (agent_id, customer_id, kind, source, status, started_at, ended_at,"
                " outcome, notes, flags_count) VALUES (1, 1, 'call', 'live', 'done', '2026-11-02T09:00:00',"
                " '2026-11-02T09:05:00', 'resolved', ?, ?)", ["\n".join(texts), len(texts)])
            cid = int(cur.lastrowid or 0)
            for i, text in enumerate(texts):
                u = db.execute("INSERT INTO utterances (call_id, party, start_s, text, redacted)"
                               " VALUES (?, 'agent', ?, ?, 0)", [cid, float(i), text])
                # the flag's span is the whole utterance: the highlighted piece holds the number
                db.execute("INSERT INTO phrasing_flags (call_id, utterance_id, category, start, end, reason,"
                           " suggestion) VALUES (?, ?, 'negative', 0, ?, 'r', ?)",
                           [cid, u.lastrowid, len(text), f"Say instead: {text}"])
                db.execute("INSERT INTO tasks (call_id, kind, text, done, created_at, redacted)"
                           " VALUES (?, 'parked', ?, 0, '2026-11-02T09:01:00', 0)", [cid, text])
            db.conn.commit()
            summary = summarize_detail(review.call_detail(db, cid))
        finally:
            db.close()
        assert summary.flagged, "the report must show the flagged utterances"
        pdf = write_call_report(folder / "call.pdf", summary, [("agent", 0.0, 3.0), ("customer", 3.0, 9.0)])
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
        assert "Wrap-up" in text and "Ann Agent" in text
        leaks = [(s.kind, t) for s, t in cases if leaked(s, text)]
        assert not leaks, leaks
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
