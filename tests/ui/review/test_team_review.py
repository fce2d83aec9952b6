"""The Review tab in team mode: a supervisor's window pages the whole floor from a real team store."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store.db import connect
from agent_assist.store.team import remote, schema
from agent_assist.ui.common.services import Services
from agent_assist.ui.main_window import MainWindow
from agent_assist.ui.review.page import ReviewView
from agent_assist.workflows import team_sync
from agent_assist.workflows.review_source import TeamReviewSource
from tests.pg_cluster import TeamDb
from tests.store.team.desk import make_desk


@pytest.fixture
def floor(team_db: TeamDb, tmp_path: Path) -> TeamDb:
    """Two agents' desks (6 and 4 calls) pushed to the store; Sue supervises both."""
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        for login, name in (("u_ann", "Ann"), ("u_ben", "Ben")):
            remote.add_member(conn, login, team="north", role="agent", name=name, password="pw")
        remote.add_member(conn, "u_sue", team="north", role="supervisor", name="Sue", password="pw")
    for login, n in (("u_ann", 6), ("u_ben", 4)):
        desk = make_desk(tmp_path / f"{login}.db", agent=login, finished=n, prefix=login)
        with remote.TeamStore(team_db.url(login, "pw")) as store:
            team_sync.sync_once(desk, store)
        desk.close()
    return team_db


@pytest.fixture
def services(qtbot: QtBot, tmp_path: Path) -> Iterator[Services]:
    path = tmp_path / "sue.db"
    connect(path).close()
    s = Services(Settings(profile="supervisor"), path)
    yield s
    s.close()


def test_supervisor_review_pages_filters_opens_and_exports_the_floor(
        qtbot: QtBot, qtmodeltester: object, floor: TeamDb, services: Services, tmp_path: Path) -> None:
    with remote.connect(floor.url()) as conn:
        conn.execute("UPDATE agent_assist.calls SET outcome = 'escalated' WHERE uuid ="
                     " (SELECT uuid FROM agent_assist.calls WHERE agent_login = 'u_ben' LIMIT 1)")
    source = TeamReviewSource(floor.url("u_sue", "pw"))
    view = ReviewView(services, source=source)
    qtbot.addWidget(view)
    try:
        qtbot.waitUntil(lambda: view.outcome_combo.count() == 3 and view.team_combo.count() == 2, timeout=10000)
        view.outcome_combo.setCurrentIndex(view.outcome_combo.findText("escalated"))
        qtbot.waitUntil(lambda: view.count_label.text().startswith("1 finished"), timeout=10000)
        view.outcome_combo.setCurrentIndex(0)
        view.team_combo.setCurrentIndex(view.team_combo.findText("north"))
        qtbot.waitUntil(lambda: view.count_label.text().startswith("10 finished"), timeout=10000)
        pages: list[int] = []
        view.model.page_loaded.connect(lambda rows, _more: pages.append(rows))
        view.model.page_size = 4
        view.apply_filters()  # reloads the table and recounts
        # the view fills its viewport page by page: 4, 8, then the last 2
        qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() == 10, timeout=10000)
        assert pages == [4, 8, 10] and not view.model.canFetchMore()
        qtmodeltester.check(view.model)  # type: ignore[attr-defined]
        assert view.model.rowCount() == 10
        assert {view.model.row(r)["agent"] for r in range(10)} == {"Ann", "Ben"}
        assert "Team store" in view.source_label.text() and "pw" not in view.source_label.text()
        qtbot.waitUntil(lambda: view.count_label.text().startswith("10 finished"), timeout=10000)
        # the agent filter lists the team's agents by login
        qtbot.waitUntil(lambda: view.agent_combo.count() == 3, timeout=10000)
        view.agent_combo.setCurrentIndex(view.agent_combo.findText("Ben"))
        qtbot.waitUntil(lambda: view.count_label.text().startswith("4 finished"), timeout=10000)
        qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() == 4, timeout=10000)
        # opening a row shows the call's summary from the team store
        with qtbot.waitSignal(view.summary_shown, timeout=10000) as sig:
            view.open_call(view.model.call_id(0))
        assert isinstance(sig.args[0], str) and len(sig.args[0]) == 36
        assert "Ben" in view.summary.title.text()
        out = tmp_path / "ben.csv"
        with qtbot.waitSignal(view.csv_written, timeout=10000):
            view.export_csv(out)
        rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert len(rows) == 5 and {r[3] for r in rows[1:]} == {"Ben"}
        qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)
    finally:
        source.close()


def test_team_store_down_is_one_line_not_a_traceback(qtbot: QtBot, services: Services) -> None:
    from agent_assist.store.team.cluster import free_port

    source = TeamReviewSource(f"postgresql://u_sue@127.0.0.1:{free_port()}/x")
    view = ReviewView(services, source=source)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: "cannot be reached" in view.problem_label.text(), timeout=15000)
    assert "\n" not in view.problem_label.text() and "Traceback" not in view.problem_label.text()
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=15000)
    source.close()


def test_main_window_in_team_mode_shows_the_sync_line_and_the_floor(
        qtbot: QtBot, floor: TeamDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desk_path = tmp_path / "ann-desk.db"
    make_desk(desk_path, agent="Ann", finished=2, prefix="z").close()
    monkeypatch.setenv("AGENT_ASSIST_TEAM_URL", floor.url("u_ann", "pw"))
    services = Services(Settings(profile="agent"), desk_path)
    win = MainWindow(services)
    qtbot.addWidget(win)
    try:
        assert win.team_status is not None
        qtbot.waitUntil(lambda: win.team_status.text().startswith("Team: connected, 0 waiting"), timeout=30000)
        assert win.review_view.calls.team_mode is False  # an agent reviews the desk's own calls
        qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=30000)
    finally:
        win.close()
        services.close()
    with remote.connect(floor.url()) as conn:
        n = conn.execute("SELECT count(*) FROM agent_assist.calls WHERE agent_login = 'u_ann'").fetchone()
    assert n == (8,)  # the desk's two calls joined the six pushed before
    monkeypatch.setenv("AGENT_ASSIST_TEAM_URL", floor.url("u_sue", "pw"))
    services = Services(Settings(profile="supervisor"), tmp_path / "sue2.db")
    win = MainWindow(services)
    qtbot.addWidget(win)
    try:
        assert win.review_view.calls.team_mode is True
        qtbot.waitUntil(lambda: win.review_view.calls.count_label.text().startswith("12 finished"),
                        timeout=30000)
        qtbot.waitUntil(lambda: win.team_status is not None and win.team_status.status is not None
                        and win.team_status.status.connected, timeout=30000)
        qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=30000)
    finally:
        win.close()
        services.close()


def test_trends_and_coaching_list_read_the_floor(qtbot: QtBot, floor: TeamDb, services: Services,
                                                 tmp_path: Path) -> None:
    from agent_assist.ui.review.trends import TrendsView

    source = TeamReviewSource(floor.url("u_sue", "pw"))
    view = TrendsView(services, source=source)
    qtbot.addWidget(view)
    try:
        view.period_combo.setCurrentIndex(view.period_combo.count() - 1)  # the longest period
        qtbot.waitUntil(lambda: view.agent_combo.count() == 3 and not view.status.text().startswith("Loading"),
                        timeout=15000)
        qtbot.waitUntil(lambda: view.status.text().startswith("10 calls"), timeout=15000)
        assert {t.agent for t in view.trends} == {"Ann", "Ben"}
        assert {t.agent_id for t in view.trends} == {"u_ann", "u_ben"}
        # every call talks 33% against the 30% target and has one flag: all are worth coaching
        assert len(view.moments) == 10 and all(isinstance(m.call_id, str) for m in view.moments)
        with qtbot.waitSignal(view.open_call, timeout=5000) as sig:
            view._activated(0, 0)
        assert sig.args[0] == view.moments[0].call_id
        view.agent_combo.setCurrentIndex(view.agent_combo.findText("Ann"))
        qtbot.waitUntil(lambda: view.status.text().startswith("6 calls"), timeout=15000)
        out = tmp_path / "ann.pdf"
        with qtbot.waitSignal(view.pdf_written, timeout=20000):
            view.export_pdf(out)
        assert out.read_bytes().startswith(b"%PDF")
        qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)
    finally:
        source.close()
