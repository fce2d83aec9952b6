"""Work list ordering by urgency, the side panel on a real database, and the notification centre."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store import calls
from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo
from agent_assist.ui.common.events import TasksChanged
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.notifications import NotificationCentre, NotificationsModel
from agent_assist.ui.desk.work_list import (
    SidePanel,
    WorkItem,
    WorkListModel,
    load_work_items,
    order_by_urgency,
)
from agent_assist.workflows.demo_tasks import DEMO_TASKS, add_demo_tasks

NOW = datetime(2026, 11, 23, 12, 0)


def item(tid: int, due: datetime | None, issue: float = 0.0, risk: int = 0, kind: str = "callback") -> WorkItem:
    return WorkItem(tid, kind, f"task {tid}", 1, "Ada", due, "phone", issue, risk)


def test_order_by_due_then_issue_age_then_risk() -> None:
    items = [
        item(1, None, issue=5.0, risk=9, kind="parked"),  # no due time: last, whatever else
        item(2, NOW + timedelta(days=3)),  # later
        item(3, NOW + timedelta(hours=2)),  # due within a day
        item(4, NOW - timedelta(hours=1)),  # overdue
        item(5, NOW - timedelta(minutes=5), issue=2.0),  # overdue and the issue is at 2x its target
        item(6, NOW + timedelta(hours=20), risk=6),  # due within a day, risky customer
        item(7, NOW + timedelta(hours=1), risk=6),  # same risk, earlier
        item(8, NOW),  # due right now counts as overdue
    ]
    assert [i.task_id for i in order_by_urgency(items, NOW)] == [5, 4, 8, 7, 6, 3, 2, 1]


def test_boundary_24_hours() -> None:
    a = item(1, NOW + timedelta(hours=24))  # still "within a day"
    b = item(2, NOW + timedelta(hours=24, seconds=1), issue=9.0)  # later, despite the old issue
    assert [i.task_id for i in order_by_urgency([b, a], NOW)] == [1, 2]


def test_model(qtmodeltester: object, qtbot: QtBot) -> None:
    model = WorkListModel()
    model.set_items([item(1, NOW - timedelta(days=2)), item(2, None, kind="parked"),
                     item(3, NOW + timedelta(days=2), risk=7)], now=NOW)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [model.data(model.index(r, WorkListModel.KIND)) for r in range(3)] == \
        ["Callback · Phone", "Callback · Phone", "Parked · Phone"]
    assert model.data(model.index(0, WorkListModel.DUE)) == "overdue 2 d"
    assert model.data(model.index(1, WorkListModel.RISK)) == "high"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "work.db"
    db = connect(path)
    build_demo(db, customers=60, seed=3)
    assert add_demo_tasks(db, seed=3, agents=2) == 2 * len(DEMO_TASKS)
    # a parked task of a call still in progress belongs to that call's wrap-up, not to the list
    call = calls.start_call(db, agent_id=1, customer_id=2)
    calls.add_task(db, text="in-call note", kind="parked", agent_id=1, call_id=call, customer_id=2)
    db.close()
    return path


def test_load_work_items_real_db(db_file: Path) -> None:
    db = connect(db_file)
    try:
        items = load_work_items(db, 1)
    finally:
        db.close()
    texts = [i.text for i in items]
    assert "in-call note" not in texts
    for _kind, text, _off, _ch in DEMO_TASKS:
        assert text in texts
    assert all(i.customer_name != "—" for i in items if i.customer_id)
    assert any(i.risk > 0 for i in items) and any(i.issue_fraction > 0 for i in items)


@pytest.fixture
def services(db_file: Path) -> Iterator[Services]:
    s = Services(Settings(), db_file)
    yield s
    s.close()


def test_side_panel_loads_and_reloads(qtbot: QtBot, services: Services, db_file: Path) -> None:
    panel = SidePanel(services)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=10000) as blocker:
        panel.show()
    n = blocker.args[0]
    assert n >= len(DEMO_TASKS) and panel.view.isVisible() and panel.tabs.tabText(0) == f"Work list ({n})"
    first = panel.model.items()[0]
    assert first.due_at is not None and first.due_at <= datetime.now(UTC).replace(tzinfo=None)  # an overdue task leads
    db = connect(db_file)
    try:
        calls.set_task_done(db, first.task_id)
    finally:
        db.close()
    with qtbot.waitSignal(panel.loaded, timeout=10000) as blocker:
        services.events.publish(TasksChanged())
    assert blocker.args[0] == n - 1
    assert panel.queue.count() >= 3 and panel.inbox.count() >= 3
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)


def test_missing_database_is_never_created(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "not-yet.db"
    s = Services(Settings(), path)
    try:
        panel = SidePanel(s)
        qtbot.addWidget(panel)
        panel.show()
        panel.reload()
        qtbot.wait(50)
        assert not path.exists() and s.tasks.pending == 0
    finally:
        s.close()


def test_notifications_hold_and_release(qtbot: QtBot, qtmodeltester: object) -> None:
    centre = NotificationCentre()
    model = NotificationsModel(centre)
    a = centre.post("Team meeting at 15:00")
    centre.hold()
    assert centre.held and centre.visible() == []
    b = centre.post("New article")
    with qtbot.waitSignal(centre.urgent_posted) as blocker:
        u = centre.post("Fire drill", urgent=True)
    assert blocker.args[0] is u
    assert centre.visible() == [u] and centre.held_items() == [a, b]
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert model.rowCount() == 1 and "Fire drill" in model.data(model.index(0, 0))
    centre.hold()  # holding twice changes nothing
    assert centre.held_items() == [a, b]
    assert centre.release() == [a, b]
    assert centre.visible() == [u, b, a] and not centre.held and centre.release() == []
    centre.dismiss(b.id)
    assert centre.visible() == [u, a] and model.rowCount() == 2


def test_every_task_is_listed_counted_and_reachable_by_scrolling(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "many.db"
    db = connect(path)
    db["agents"].insert({"id": 1, "name": "Dana"})
    db["customers"].insert({"id": 1, "name": "Ada", "phone_e164": "+15551230000"})
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(260):  # more than the 200 the list used to stop at, without saying so
        due = now + timedelta(hours=i - 10)  # 10 overdue (due now counts as overdue), 250 later
        calls.add_task(db, text=f"task {i:03d}", kind="callback", agent_id=1, customer_id=1,
                       due_at=due.isoformat(timespec="seconds"))
    db.close()
    services = Services(Settings(), path)
    try:
        panel = SidePanel(services)
        qtbot.addWidget(panel)
        panel.resize(500, 400)
        with qtbot.waitSignal(panel.loaded, timeout=20000) as blocker:
            panel.show()
        assert blocker.args[0] == 260 == panel.model.rowCount()
        assert panel.tabs.tabText(0) == "Work list (260)"
        assert panel.count_label.text() == "260 tasks, 11 overdue · most urgent first"
        texts = [i.text for i in panel.model.items()]
        assert texts[0] == "task 000" and texts[-1] == "task 259"  # most overdue first, latest last
        panel.view.scrollToBottom()
        last = panel.model.index(259, WorkListModel.TASK)
        qtbot.waitUntil(lambda: panel.view.viewport().rect().intersects(panel.view.visualRect(last)),
                        timeout=5000)
        assert panel.view.verticalScrollBar().maximum() > 0
        qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)
    finally:
        services.close()
