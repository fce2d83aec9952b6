"""The Review and Trends tabs on a real temporary database, driven with pytest-qt."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from agent_assist.settings import Settings
from agent_assist.store import calls, review
from agent_assist.store.db import connect
from agent_assist.ui.common import messages
from agent_assist.ui.common.events import DatabaseReplaced
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.page import ReviewPage, ReviewView
from agent_assist.ui.review.table_model import VISIBLE, ReviewModel
from agent_assist.workflows.demo_calls import add_demo_calls

TODAY = date(2026, 11, 23)


def _fill(db: Database) -> None:
    db["agents"].insert_all([{"id": i, "name": n} for i, n in ((1, "Ann Agent"), (2, "Bob Baker"),
                                                               (3, "Cy Cole"))])
    db["customers"].insert_all([{"id": i, "name": f"Customer {i:02d}", "phone_e164": f"+1555000{i:04d}"}
                                for i in range(1, 30)])
    add_demo_calls(db, seed=3, today=TODAY, weeks=3)
    # a practice attempt and a call without any speech segments
    pid = calls.start_call(db, agent_id=2, customer_id=None, kind="practice", source="practice",
                           started_at="2026-11-20T10:00:00")
    calls.finish_call(db, pid, outcome="practice", ended_at="2026-11-20T10:05:00")
    silent = calls.start_call(db, agent_id=1, customer_id=1, started_at="2026-11-20T11:00:00")
    calls.finish_call(db, silent, outcome="dropped", notes="Line went dead.", ended_at="2026-11-20T11:01:00")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("review") / "review.db"
    db = connect(p)
    _fill(db)
    db.close()
    return p


@pytest.fixture
def make_services(qtbot: QtBot) -> Iterator[object]:
    made: list[Services] = []

    def make(path: Path, **settings: object) -> Services:
        s = Services(Settings(**settings), path)  # type: ignore[arg-type]
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def _loaded(qtbot: QtBot, model: ReviewModel) -> None:
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=5000)


def _wait_idle(qtbot: QtBot, services: Services) -> None:
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=5000)


def test_lazy_fetch_sort_filter_and_modeltester(qtbot: QtBot, qtmodeltester: object, demo_db: Path,
                                                make_services: object) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    db = connect(demo_db)
    total = review.review_count(db, review.ReviewFilter())
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.model.page_size = 50
    view.model.reload()
    _loaded(qtbot, view.model)
    assert view.model.rowCount() == 50 and view.model.canFetchMore()
    qtmodeltester.check(view.model)  # type: ignore[attr-defined]
    _wait_idle(qtbot, services)
    # scrolling to the bottom fetches more pages until everything is there
    view.resize(1200, 700)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() > 50, timeout=5000)
    while view.model.canFetchMore() or view.model.loading:
        view.table.scrollToBottom()
        qtbot.wait(10)
    assert view.model.rowCount() == total > 100
    ids = [view.model.call_id(r) for r in range(view.model.rowCount())]
    assert len(set(ids)) == total
    starts = [view.model.row(r)["started_at"] for r in range(view.model.rowCount())]
    assert starts == sorted(starts, reverse=True)

    # sort by talk ratio (header click path: model.sort)
    col = VISIBLE.index("talk_ratio")
    view.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    _loaded(qtbot, view.model)
    ratios = [view.model.row(r)["talk_ratio"] for r in range(view.model.rowCount())]
    assert ratios[0] == db.execute("SELECT max(talk_ratio) FROM calls").fetchone()[0]
    assert ratios == sorted(ratios, reverse=True)
    red = view.model.data(view.model.index(0, col), Qt.ItemDataRole.ForegroundRole)
    assert red is not None and red.name() == "#b42318"
    assert view.model.data(view.model.index(0, col)).endswith("%")

    # filters: agent, above target, flag category, customer
    view.agent_combo.setCurrentIndex(view.agent_combo.findText("Bob Baker"))
    view.above_box.setChecked(True)
    _loaded(qtbot, view.model)
    rows = [view.model.row(r) for r in range(view.model.rowCount())]
    assert rows and all(r["agent"] == "Bob Baker" and r["talk_ratio"] > 0.30 for r in rows)
    expected = db.execute("SELECT count(*) FROM calls WHERE agent_id = 2 AND status = 'done'"
                          " AND talk_ratio > 0.3").fetchone()[0]
    qtbot.waitUntil(lambda: view.count_label.text().startswith(f"{expected:,} finished"), timeout=5000)
    view.above_box.setChecked(False)
    view.agent_combo.setCurrentIndex(0)
    _loaded(qtbot, view.model)
    view.model.page_size = 10_000
    with qtbot.waitSignal(view.model.page_loaded, timeout=5000):
        view.flag_combo.setCurrentIndex(view.flag_combo.findData("over_promise"))
    expected = db.execute("SELECT count(DISTINCT call_id) FROM phrasing_flags"
                          " WHERE category = 'over_promise'").fetchone()[0]
    assert view.model.rowCount() == expected > 0
    assert all(view.model.row(r)["flags_over_promise"] >= 1 for r in range(view.model.rowCount()))
    view.flag_combo.setCurrentIndex(0)
    view.customer_edit.setText("Customer 07")
    qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() > 0
                    and all(view.model.row(r)["customer"] == "Customer 07"
                            for r in range(view.model.rowCount())), timeout=5000)
    qtmodeltester.check(view.model)  # type: ignore[attr-defined]
    _wait_idle(qtbot, services)
    db.close()


def test_dates_in_the_wrong_order_keep_the_table(qtbot: QtBot, demo_db: Path, make_services: object) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    before = view.model.rowCount()
    got: list[messages.MessageInfo] = []
    messages.bridge.show.connect(got.append)
    try:
        from PySide6.QtCore import QDate

        view.date_from.setDate(QDate(2026, 11, 20))
        _loaded(qtbot, view.model)
        view.date_to.setDate(QDate(2026, 11, 10))
    finally:
        messages.bridge.show.disconnect(got.append)
    assert "after the end date" in view.problem_label.text()
    assert any("after the end date" in m.text for m in got)
    assert 0 < view.model.rowCount() <= before  # still the last good result
    assert view.model.filter.date_from == "2026-11-20" and view.model.filter.date_to is None
    _wait_idle(qtbot, services)


def test_open_summary_then_csv_and_pdf(qtbot: QtBot, demo_db: Path, make_services: object,
                                       tmp_path: Path) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.flag_combo.setCurrentIndex(view.flag_combo.findData("negative_language"))
    _loaded(qtbot, view.model)
    call_id = view.model.call_id(0)
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.table.selectRow(0)
    s = view.summary.summary
    assert s is not None and s.call_id == call_id and s.flag_counts["negative_language"] >= 1
    assert view.summary.timeline.isVisible() or not view.isVisible()
    text = view.summary.body.toPlainText()
    assert "Talk ratio" in text and "Try:" in text and "Wrap-up" in text and s.outcome in text

    # CSV of the filtered table (all rows, not just the loaded page), read back with csv
    out = tmp_path / "calls.csv"
    with qtbot.waitSignal(view.csv_written, timeout=5000):
        view.export_csv(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    db = connect(demo_db)
    assert len(rows) == review.review_count(db, view.model.filter)
    db.close()
    assert all(int(r["flags_negative_language"]) >= 1 for r in rows)

    # PDF of the call, rendered with pdftoppm
    pdf = tmp_path / "call.pdf"
    with qtbot.waitSignal(view.pdf_written, timeout=5000):
        view.export_pdf(pdf)
    _check_pdf(pdf, tmp_path / "call", min_pages=1)
    _wait_idle(qtbot, services)


def _check_pdf(pdf: Path, prefix: Path, min_pages: int) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= min_pages
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(prefix)], check=True)
    pngs = sorted(prefix.parent.glob(prefix.name + "-*.png"))
    assert len(pngs) == pages
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 2000 for p in pngs)
    return pages


def test_summary_of_call_without_speech_and_in_progress(qtbot: QtBot, demo_db: Path,
                                                        make_services: object, tmp_path: Path) -> None:
    p = tmp_path / "copy.db"
    db = connect(p)
    db["agents"].insert({"id": 1, "name": "Ann Agent"})
    active = calls.start_call(db, agent_id=1, customer_id=None, started_at="2026-11-20T09:00:00")
    calls.add_segments(db, active, [("agent", 0, 4), ("customer", 4, 12)])
    silent = calls.start_call(db, agent_id=1, customer_id=None, started_at="2026-11-20T10:00:00")
    calls.finish_call(db, silent, outcome="dropped", ended_at="2026-11-20T10:01:00")
    db.close()
    services = make_services(p, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    assert view.model.rowCount() == 1  # the active call is not a finished call
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.open_call(silent)
    assert "No speech was recorded" in view.summary.body.toPlainText()
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.open_call(active)
    assert "still in progress" in view.summary.body.toPlainText()
    pdf = tmp_path / "active.pdf"
    view.export_pdf(pdf)
    _check_pdf(pdf, tmp_path / "active", min_pages=1)
    # a PDF to an impossible place: one message, no file
    got: list[messages.MessageInfo] = []
    messages.bridge.show.connect(got.append)
    try:
        view.export_pdf(tmp_path / "nope" / "x.pdf")
    finally:
        messages.bridge.show.disconnect(got.append)
    assert got and "does not exist" in got[-1].text and got[-1].level is messages.Level.ERROR
    _wait_idle(qtbot, services)


def test_empty_database(qtbot: QtBot, tmp_path: Path, make_services: object) -> None:
    p = tmp_path / "empty.db"
    connect(p).close()
    services = make_services(p, profile="supervisor")  # type: ignore[operator]
    page = ReviewPage(services)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: "No finished calls yet" in page.calls.count_label.text(), timeout=5000)
    assert page.calls.model.rowCount() == 0 and not page.calls.model.canFetchMore()
    qtbot.waitUntil(lambda: "No finished calls" in page.trends.status.text(), timeout=5000)
    _wait_idle(qtbot, services)


def test_database_replaced_reloads_review(qtbot: QtBot, tmp_path: Path, make_services: object) -> None:
    """The first-run demo build replaces the empty database: Review shows the new calls without a restart."""
    p = tmp_path / "first-run.db"
    connect(p).close()
    services = make_services(p, profile="supervisor")  # type: ignore[operator]
    page = ReviewPage(services)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: "No finished calls yet" in page.calls.count_label.text(), timeout=5000)
    _wait_idle(qtbot, services)
    db = connect(p)
    _fill(db)
    db.close()
    services.events.publish(DatabaseReplaced(str(p)))
    _loaded(qtbot, page.calls.model)
    assert page.calls.model.rowCount() > 0
    _wait_idle(qtbot, services)


def test_profiles(qtbot: QtBot, demo_db: Path, make_services: object) -> None:
    agent = make_services(demo_db, profile="agent", agent_id=3)  # type: ignore[operator]
    view = ReviewView(agent)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    assert not view.agent_combo.isEnabled()
    view.model.page_size = 10_000
    view.model.reload()
    _loaded(qtbot, view.model)
    assert {view.model.row(r)["agent"] for r in range(view.model.rowCount())} == {"Cy Cole"}
    trainer = make_services(demo_db, profile="trainer")  # type: ignore[operator]
    tview = ReviewView(trainer)
    qtbot.addWidget(tview)
    _loaded(qtbot, tview.model)
    assert {tview.model.row(r)["kind"] for r in range(tview.model.rowCount())} == {"practice"}
    _wait_idle(qtbot, agent)
    _wait_idle(qtbot, trainer)


def test_trends_charts_coaching_list_and_agent_pdf(qtbot: QtBot, demo_db: Path, make_services: object,
                                                   tmp_path: Path) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    page = ReviewPage(services)
    qtbot.addWidget(page)
    trends = page.trends
    qtbot.waitUntil(lambda: len(trends.trends) == 3 and trends.table.rowCount() > 0, timeout=5000)
    box_series = trends.talk_view.chart().series()
    assert sum(1 for s in box_series if s.name() in {"Ann Agent", "Bob Baker", "Cy Cole"}) == 3
    assert any(s.name().startswith("target 30%") for s in box_series)
    scores = [float(trends.table.item(r, 0).text()) for r in range(trends.table.rowCount())]
    assert scores == sorted(scores, reverse=True)
    # double-click a coaching moment: the Calls tab opens that call's summary
    cid = int(trends.table.item(0, 0).data(Qt.ItemDataRole.UserRole))
    with qtbot.waitSignal(page.calls.summary_shown, timeout=5000):
        trends.table.cellDoubleClicked.emit(0, 0)
    assert page.currentWidget() is page.calls and page.calls.summary.summary.call_id == cid
    # one agent's period as a PDF with the charts rendered in
    with qtbot.waitSignal(trends.loaded, timeout=5000):
        trends.agent_combo.setCurrentIndex(trends.agent_combo.findText("Ann Agent"))
    pdf = tmp_path / "agent.pdf"
    with qtbot.waitSignal(trends.pdf_written, timeout=10000):
        trends.export_pdf(pdf)
    assert _check_pdf(pdf, tmp_path / "agent", min_pages=2) >= 2
    _wait_idle(qtbot, services)
