"""ui/review/report_pdf.py on its own: the call report's text and timeline, written atomically."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.coach.summary import summarize_detail
from agent_assist.store import calls
from agent_assist.store import review as rv
from agent_assist.store.db import connect
from agent_assist.ui.review.report_pdf import (
    AGENT_COLOR,
    CUSTOMER_COLOR,
    summary_html,
    timeline_image,
    write_call_report,
)

SEGMENTS = [("agent", 0.0, 10.0), ("customer", 12.0, 40.0), ("agent", 41.0, 45.0)]


def _summary(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = connect(tmp_path / "r.db")
    try:
        db["agents"].insert({"id": 1, "name": "Ann Agent"})
        cid = calls.start_call(db, agent_id=1, customer_id=None, started_at="2026-11-20T09:00:00")
        calls.add_segments(db, cid, SEGMENTS)
        text = "Didn't you read the <b>manual</b>?"
        calls.add_utterance(db, cid, party="agent", text=text, start_s=41.0, flags=[{
            "category": "negative_language", "start": 0, "end": 15, "reason": "sounds like blame",
            "suggestion": "Have you had a chance to look at the guide?"}])
        calls.finish_call(db, cid, outcome="resolved", notes="Refund sent.", ended_at="2026-11-20T09:00:45")
        return summarize_detail(rv.call_detail(db, cid))
    finally:
        db.close()


def test_call_report_carries_the_flag_its_rewrite_and_the_talk_ratio(qtbot: QtBot, tmp_path: Path) -> None:
    s = _summary(tmp_path)
    pdf = write_call_report(tmp_path / "call.pdf", s, SEGMENTS)
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Didn't you read" in text and "Have you had a chance to look at the guide?" in text
    assert "Talk ratio" in text and "Refund sent." in text
    assert "read the <b>manual</b>" in text  # what the agent typed is shown as typed, not as HTML
    assert not list(tmp_path.glob(".report-*"))  # no temp file left behind


def test_summary_html_escapes_what_people_typed(qtbot: QtBot, tmp_path: Path) -> None:
    html_text = summary_html(_summary(tmp_path))
    assert "&lt;b&gt;manual&lt;/b&gt;" in html_text and "<b>manual</b>" not in html_text


def test_missing_folder_is_one_clear_error_and_nothing_written(qtbot: QtBot, tmp_path: Path) -> None:
    s = _summary(tmp_path)
    with pytest.raises(OSError, match="does not exist"):
        write_call_report(tmp_path / "nowhere" / "call.pdf", s, SEGMENTS)
    assert not (tmp_path / "nowhere").exists()


def test_timeline_puts_the_agent_above_and_the_customer_below(qtbot: QtBot) -> None:
    img = timeline_image(SEGMENTS, 45.0, width=900, height=200)

    def share(colour_rgb: int, top: bool) -> float:
        rows = range(0, 100) if top else range(100, 200)
        hits = sum(1 for y in rows for x in range(0, 900, 3) if img.pixel(x, y) & 0xFFFFFF == colour_rgb)
        return hits / (len(rows) * 300)

    agent, customer = AGENT_COLOR.rgb() & 0xFFFFFF, CUSTOMER_COLOR.rgb() & 0xFFFFFF
    assert share(agent, top=True) > 0.02 and share(agent, top=False) < share(agent, top=True) / 5
    assert share(customer, top=False) > 0.02 and share(customer, top=True) < share(customer, top=False) / 5
