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
from agent_assist.store.outcomes import outcome_label
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
    assert "Talk ratio" in text and "Try:" in text and "Wrap-up" in text and outcome_label(s.outcome) in text

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


# -- what supervisors see: issue 18 ---------------------------------------------------------------------
@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _row_of(model: ReviewModel, call_id: int) -> int:
    return next(r for r in range(model.rowCount()) if model.call_id(r) == call_id)


def test_headers_are_never_clipped(qtbot: QtBot, demo_db: Path, make_services: object) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    hh = view.table.horizontalHeader()
    short = [(view.model.headerData(i, Qt.Orientation.Horizontal), hh.sectionSize(i), hh.sectionSizeHint(i))
             for i in range(len(VISIBLE)) if hh.sectionSize(i) < hh.sectionSizeHint(i)]
    assert short == []
    # the start column fits a whole local time
    col = VISIBLE.index("started_at")
    assert hh.sectionSize(col) > view.fontMetrics().horizontalAdvance("2026-12-31 23:59") + 8
    _wait_idle(qtbot, services)


# the offscreen platform cannot raise a popup or give it the keyboard; it says so (a real display does both)
@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing")
def test_dates_are_typed_and_the_calendar_opens_on_today(qtbot: QtBot, demo_db: Path,
                                                         make_services: object) -> None:
    from PySide6.QtCore import QDate

    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.show()
    _loaded(qtbot, view.model)
    view.date_from.button.click()
    assert view.date_from.calendar.isVisible()
    assert view.date_from.calendar.selectedDate() == QDate.currentDate()
    assert (view.date_from.calendar.yearShown(), view.date_from.calendar.monthShown()) == (
        QDate.currentDate().year(), QDate.currentDate().month())
    view.date_from.calendar.hide()
    qtbot.keyClicks(view.date_from.edit, "2026-11-20")
    qtbot.waitUntil(lambda: view.model.filter.date_from == "2026-11-20" and not view.model.loading,
                    timeout=5000)
    assert all(view.model.row(r)["started_at"] >= "2026-11-20" for r in range(view.model.rowCount()))
    view.date_from.button.click()  # the calendar opens on the typed date
    assert view.date_from.calendar.selectedDate() == QDate(2026, 11, 20)
    view.date_from.calendar.clicked.emit(QDate(2026, 11, 18))  # picking a day writes it and closes
    assert view.date_from.text() == "2026-11-18" and not view.date_from.calendar.isVisible()
    qtbot.waitUntil(lambda: view.model.filter.date_from == "2026-11-18", timeout=5000)
    # a malformed date says so in one line and keeps the last good result
    view.date_to.edit.setText("2026-13-40")
    view.date_to.edit.editingFinished.emit()
    assert "not a date" in view.problem_label.text() and view.model.filter.date_to is None
    view.date_to.edit.clear()
    assert view.problem_label.text() == ""
    _wait_idle(qtbot, services)


def test_local_time_zone_everywhere(qtbot: QtBot, tmp_path: Path, make_services: object,
                                    new_york: None) -> None:
    p = tmp_path / "tz.db"
    db = connect(p)
    db["agents"].insert({"id": 1, "name": "Ann Agent"})
    cid = calls.start_call(db, agent_id=1, customer_id=None, started_at="2026-11-21T03:30:00")
    calls.add_segments(db, cid, [("agent", 0, 4), ("customer", 4, 12)])
    calls.finish_call(db, cid, metrics={"talk_ratio": 0.33}, outcome="resolved",
                      ended_at="2026-11-21T03:31:00")
    db.close()
    services = make_services(p, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    col = VISIBLE.index("started_at")
    assert view.model.data(view.model.index(0, col)) == "2026-11-20 22:30"
    assert "EST" in view.model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.open_call(cid)
    assert "2026-11-20 22:30 EST" in view.summary.body.toPlainText()
    view.date_from.setDate(date(2026, 11, 20))  # the local day of the call
    view.date_to.setDate(date(2026, 11, 20))
    qtbot.waitUntil(lambda: view.model.filter.date_to == "2026-11-20" and not view.model.loading,
                    timeout=5000)
    assert view.model.rowCount() == 1
    _wait_idle(qtbot, services)


def test_no_speech_shows_dashes_not_zeros(qtbot: QtBot, demo_db: Path, make_services: object) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.customer_edit.setText("Customer 01")
    view.apply_filters()
    _loaded(qtbot, view.model)
    qtbot.waitUntil(lambda: not view.model.loading and any(
        view.model.row(r)["outcome"] == "dropped" for r in range(view.model.rowCount())), timeout=5000)
    r = next(r for r in range(view.model.rowCount()) if view.model.row(r)["outcome"] == "dropped")
    texts = {k: view.model.data(view.model.index(r, VISIBLE.index(k)))
             for k in ("talk_ratio", "overtalk_s", "longest_monologue_s", "outcome")}
    assert texts == {"talk_ratio": "—", "overtalk_s": "—", "longest_monologue_s": "—",
                     "outcome": "Call dropped"}
    _wait_idle(qtbot, services)


def test_detail_pane_follows_the_filter(qtbot: QtBot, demo_db: Path, make_services: object) -> None:
    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    _loaded(qtbot, view.model)
    r = next(r for r in range(view.model.rowCount()) if view.model.row(r)["kind"] == "call")
    cid = view.model.call_id(r)
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.open_call(cid)
    # a filter that still shows the call keeps it open
    view.kind_combo.setCurrentIndex(view.kind_combo.findData("call"))
    _loaded(qtbot, view.model)
    _wait_idle(qtbot, services)
    assert view.summary.summary is not None and view.summary.summary.call_id == cid
    with qtbot.waitSignal(view.summary_cleared, timeout=5000) as sig:
        view.kind_combo.setCurrentIndex(view.kind_combo.findData("practice"))
    assert sig.args == [cid]
    assert view.summary.summary is None and not view.pdf_button.isEnabled()
    assert f"#{cid} is not in the filtered list" in view.summary.title.text()
    _wait_idle(qtbot, services)


def test_flags_and_bookmarks_are_marked_on_the_timeline() -> None:
    from agent_assist.ui.review.report_pdf import BOOKMARK_COLOR, FLAG_MARK_COLOR, timeline_image

    segs = [("agent", 0.0, 20.0), ("customer", 20.0, 60.0)]
    w = 1200
    img = timeline_image(segs, 60.0, width=w, height=260, marks=[(30.0, "flag"), (50.0, "bookmark")])
    plain = timeline_image(segs, 60.0, width=w, height=260)

    def colours_in_top_strip(image: object, x: int) -> set[str]:
        return {image.pixelColor(x, y).name() for y in range(0, 30)}  # type: ignore[attr-defined]

    # lanes span from the label column to 20 px before the right edge
    def x_of(t: float) -> int:
        from PySide6.QtGui import QFont, QFontMetrics

        f = QFont()
        f.setPixelSize(max(8, int(min((260 * 0.84 * 0.78 / 2) * 0.38, 260 * 0.84 * 0.22 * 0.6))))
        label_w = min(w * 0.2, QFontMetrics(f).horizontalAdvance("Customer") + 12.0)
        return int(label_w + (w - label_w - 20) * t / 60.0)

    assert FLAG_MARK_COLOR.name() in colours_in_top_strip(img, x_of(30.0))
    assert BOOKMARK_COLOR.name() in colours_in_top_strip(img, x_of(50.0))
    assert FLAG_MARK_COLOR.name() not in colours_in_top_strip(img, x_of(10.0))
    assert FLAG_MARK_COLOR.name() not in colours_in_top_strip(plain, x_of(30.0))


def _content_width_fraction(pdf: Path, prefix: Path, page: int = 1) -> float:
    """Render one page with poppler and measure the span of non-white columns against the page width."""
    from PySide6.QtGui import QImage

    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(page), "-l", str(page), str(pdf),
                    str(prefix)], check=True)
    png = sorted(prefix.parent.glob(prefix.name + "-*.png"))[0]
    img = QImage(str(png))
    cols = [x for x in range(img.width())
            if any(img.pixelColor(x, y).lightness() < 230 for y in range(0, img.height(), 2))]
    return (max(cols) - min(cols) + 1) / img.width()


def test_supervisor_comments_bookmarks_full_width_pdf_and_one_vocabulary(
        qtbot: QtBot, demo_db: Path, make_services: object, tmp_path: Path) -> None:
    import shutil

    p = tmp_path / "copy.db"
    shutil.copy(demo_db, p)
    services = make_services(p, profile="supervisor", agent_id=2)  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.show()
    view.flag_combo.setCurrentIndex(view.flag_combo.findData("negative_language"))
    _loaded(qtbot, view.model)
    cid = view.model.call_id(0)
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.table.selectRow(0)
    s = view.summary.summary
    assert s is not None
    flag_times = sorted(u.start_s for u in s.flagged if u.start_s is not None)
    assert flag_times and sorted(t for t, k in view.summary.timeline.marks if k == "flag") == flag_times
    # one outcome label: table, detail, CSV and PDF
    label = outcome_label(s.outcome)
    assert view.model.data(view.model.index(0, VISIBLE.index("outcome"))) == label
    assert f"outcome: {label}" in view.summary.body.toPlainText()

    # a comment on the whole call, typed and added
    assert view.summary.comment_row.isVisible()
    qtbot.keyClicks(view.summary.comment_edit, "Ask before you explain.")
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        qtbot.mouseClick(view.summary.comment_button, Qt.MouseButton.LeftButton)
    # a bookmark: click the timeline to pick the moment, then add it
    tl = view.summary.timeline
    from PySide6.QtCore import QPoint

    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(tl.width() // 2, tl.height() // 2))
    at = view.summary.at_edit.text()
    assert ":" in at and view.summary.comment_button.text() == "Add bookmark"
    qtbot.keyClicks(view.summary.comment_edit, "You talked over her here")
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.summary.comment_edit.returnPressed.emit()
    assert [c.text for c in view.summary.comments] == ["You talked over her here", "Ask before you explain."]
    assert view.summary.comments[0].at_s is not None and view.summary.comments[0].author == "Bob Baker"
    assert any(k == "bookmark" for _t, k in view.summary.timeline.marks)
    body = view.summary.body.toPlainText()
    assert "Coaching comments (2)" in body and f"[{at}] You talked over her here" in body

    out = tmp_path / "calls.csv"
    with qtbot.waitSignal(view.csv_written, timeout=5000):
        view.export_csv(out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = {int(r["call_id"]): r for r in csv.DictReader(f)}
    assert rows[cid]["outcome"] == label
    assert rows[cid]["coaching_comments"] == f"[{at}] You talked over her here | Ask before you explain."

    pdf = tmp_path / "call.pdf"
    with qtbot.waitSignal(view.pdf_written, timeout=5000):
        view.export_pdf(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Coaching comments (2)" in text and "Ask before you explain." in text
    assert f"Outcome: {label}" in text
    # laid out on the full text column of A4 (180 of 210 mm = 0.857); Qt's own 2 cm margins gave 0.67
    assert _content_width_fraction(pdf, tmp_path / "callpage") > 0.8
    _wait_idle(qtbot, services)


def test_agents_do_not_comment_and_see_no_comment_box(qtbot: QtBot, demo_db: Path,
                                                      make_services: object) -> None:
    services = make_services(demo_db, profile="agent", agent_id=1)  # type: ignore[operator]
    view = ReviewView(services)
    qtbot.addWidget(view)
    view.show()
    _loaded(qtbot, view.model)
    with qtbot.waitSignal(view.summary_shown, timeout=5000):
        view.open_call(view.model.call_id(0))
    assert not view.summary.comment_row.isVisible()
    _wait_idle(qtbot, services)


def test_trends_are_weekly_lines_with_round_ticks_and_every_week(
        qtbot: QtBot, demo_db: Path, make_services: object, tmp_path: Path) -> None:
    from PySide6.QtCharts import QAreaSeries, QCategoryAxis, QLineSeries, QValueAxis

    services = make_services(demo_db, profile="supervisor")  # type: ignore[operator]
    page = ReviewPage(services)
    qtbot.addWidget(page)
    trends = page.trends
    qtbot.waitUntil(lambda: len(trends.trends) == 3, timeout=5000)
    assert trends.period_combo.currentText() == "Last 8 weeks"
    # the demo calls cover 3 weeks; the period still shows all 8, the empty ones too
    assert len(trends.weeks) == 8 and "in 8 weeks" in trends.status.text()
    chart = trends.talk_view.chart()
    x_axes = [a for a in chart.axes(Qt.Orientation.Horizontal) if isinstance(a, QCategoryAxis)]
    assert len(x_axes) == 1 and len(x_axes[0].categoriesLabels()) == 8
    y = next(a for a in chart.axes(Qt.Orientation.Vertical) if isinstance(a, QValueAxis))
    assert y.tickType() == QValueAxis.TickType.TicksDynamic and y.tickInterval() == 10 and y.min() == 0
    kinds = {type(s) for s in chart.series()}
    assert kinds == {QLineSeries, QAreaSeries}  # lines and bands, no box plots
    medians = [s for s in chart.series() if isinstance(s, QLineSeries) and s.name() == "Ann Agent"]
    assert medians and all(0 <= pt.y() <= 100 for s in medians for pt in s.points())
    fy = next(a for a in trends.flags_view.chart().axes(Qt.Orientation.Vertical) if isinstance(a, QValueAxis))
    step = fy.tickInterval()
    assert step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5) and abs(fy.max() / step - round(fy.max() / step)) < 1e-9
    trends.period_combo.setCurrentIndex(trends.period_combo.findText("Last 4 weeks"))
    qtbot.waitUntil(lambda: len(trends.weeks) == 4, timeout=5000)
    # the agent's period PDF uses the page's width
    with qtbot.waitSignal(trends.loaded, timeout=5000):
        trends.agent_combo.setCurrentIndex(trends.agent_combo.findText("Ann Agent"))
    pdf = tmp_path / "agent.pdf"
    with qtbot.waitSignal(trends.pdf_written, timeout=10000):
        trends.export_pdf(pdf)
    assert _content_width_fraction(pdf, tmp_path / "agentpage") > 0.8
    _wait_idle(qtbot, services)
