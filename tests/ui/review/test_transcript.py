"""Review's transcript pane on a real database: lines with flags, the cursor shared with the timeline
(checked against the painted timeline), and FTS5 search across the calls in view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store import calls, transcripts
from agent_assist.store.db import connect
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.page import ReviewView
from agent_assist.ui.review.report_pdf import AGENT_COLOR

FLAG = {"category": "blaming", "start": 0, "end": 15, "reason": "A negative question sounds like blame.",
        "suggestion": "Have you had a chance to read the manual?"}
LINES = [("agent", 2.0, 5.0, "thank you for calling how can i help you", []),
         ("customer", 6.0, 10.0, "my refund has not arrived yet", []),
         ("agent", 12.0, 15.0, "didnt you read the manual", [FLAG]),
         ("customer", 16.0, 20.0, "no i did not", [])]


@pytest.fixture
def db_path(tmp_path: Path) -> tuple[Path, int, int]:
    p = tmp_path / "review.db"
    db = connect(p)
    db["agents"].insert({"id": 1, "name": "Ann Agent"})
    ids = []
    for n, started in enumerate(("2026-11-20T10:00:00", "2026-11-21T10:00:00")):
        cid = calls.start_call(db, agent_id=1, customer_id=None, started_at=started)
        rows = LINES if n == 0 else [("customer", 1.0, 3.0, "where is my refund please", [])]
        calls.add_segments(db, cid, [(p_, s, e) for p_, s, e, _t, _f in rows])
        for party, s, e, text, flags in rows:
            transcripts.add_line(db, cid, party=party, start_s=s, end_s=e, text=text, flags=flags)
        calls.finish_call(db, cid, metrics={"duration_s": 24.0}, ended_at=started.replace("10:00", "10:01"))
        ids.append(cid)
    db.close()
    return p, ids[0], ids[1]


@pytest.fixture
def view(qtbot: QtBot, db_path: tuple[Path, int, int]) -> Iterator[ReviewView]:
    services = Services(Settings(profile="supervisor"), db_path[0])
    v = ReviewView(services)
    qtbot.addWidget(v)
    v.resize(1300, 800)
    v.show()
    qtbot.waitExposed(v)
    qtbot.waitUntil(lambda: not v.model.loading and v.model.rowCount() == 2, timeout=10000)
    yield v
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=5000)
    services.close()


def _open(qtbot: QtBot, v: ReviewView, call_id: int) -> None:
    with qtbot.waitSignal(v.transcript.lines_shown, timeout=10000):
        v.show_call(call_id)


def test_lines_with_flags_and_a_cursor_shared_with_the_timeline(qtbot: QtBot, view: ReviewView,
                                                                db_path: tuple[Path, int, int]) -> None:
    pane = view.transcript
    _open(qtbot, view, db_path[1])
    assert pane.list.count() == 4
    assert pane.list.item(0).text().startswith("00:02  Agent: thank you")
    flagged = pane.list.item(2)
    assert "Blaming" in flagged.text() and "read the manual" in flagged.toolTip()
    assert not pane.note.isVisibleTo(pane)

    # a click on a line puts the timeline's cursor at its start ...
    pane.list.setCurrentRow(2)
    assert pane.timeline_cursor.cursor_s == 12.0
    # ... and a click on the timeline selects the line spoken then
    cur = pane.timeline_cursor
    qtbot.waitUntil(lambda: cur.width() > 100)
    qtbot.mouseClick(cur, Qt.MouseButton.LeftButton, pos=QPoint(round(cur.x_of(17.0)), cur.height() // 3))
    assert pane.list.currentRow() == 3
    assert cur.cursor_s == pytest.approx(17.0, abs=24.0 / cur.width() * 2)

    # the overlay's time scale is the painted timeline's: the first agent block starts at x_of(2.0)
    cur.set_cursor(None)
    img = view.summary.timeline.grab().toImage()
    y = round(cur._lanes().top() + cur._lanes().height() / 4)
    xs = [x for x in range(img.width()) if img.pixelColor(x, y).name() == AGENT_COLOR.name()]
    assert xs and abs(xs[0] - cur.x_of(2.0)) <= 2, (xs[:3], cur.x_of(2.0))


def test_search_across_the_calls_in_view_opens_the_hit(qtbot: QtBot, view: ReviewView,
                                                       db_path: tuple[Path, int, int]) -> None:
    pane = view.transcript
    _open(qtbot, view, db_path[1])
    with qtbot.waitSignal(pane.search_done, timeout=10000) as sig:
        pane.search.setText("refund")
    assert sig.args == [2]
    assert {h.call_id for h in pane.hits} == {db_path[1], db_path[2]}
    assert "[refund]" in pane.results.item(0).text()
    other = next(i for i, h in enumerate(pane.hits) if h.call_id == db_path[2])
    with qtbot.waitSignal(pane.lines_shown, timeout=10000):
        pane._hit_chosen(pane.results.item(other))
    assert pane.call_id == db_path[2] and pane.list.currentRow() == 0
    with qtbot.waitSignal(pane.search_done, timeout=10000) as sig:
        pane.search.setText("zebra")
    assert sig.args == [0] and pane.results.item(0).text().startswith("Nothing found")


def test_a_call_without_transcript_says_why(qtbot: QtBot, view: ReviewView,
                                            db_path: tuple[Path, int, int]) -> None:
    db = connect(db_path[0])
    transcripts.purge_older_than(db, 1, now=datetime(2100, 1, 1))  # every line has passed retention
    db.close()
    _open(qtbot, view, db_path[1])
    assert view.transcript.list.count() == 0
    assert "No transcript" in view.transcript.note.text()
