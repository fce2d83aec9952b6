"""ui/common/services.py: the db lane owns the connection; typed events reach the views that connect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.ui.common import events as ev
from agent_assist.ui.common.services import Services


@pytest.fixture
def services(qtbot: QtBot, tmp_path: Path) -> Iterator[Services]:
    p = tmp_path / "s.db"
    db = connect(p)
    db["customers"].insert_all([{"name": f"C{i}", "phone_e164": f"+1555010{i:04d}"} for i in range(3)])
    db.close()
    s = Services(Settings(), p)
    yield s
    s.close()


def test_db_call_runs_on_one_connection_off_the_gui_thread(qtbot: QtBot, services: Services) -> None:
    seen: list[tuple[int, int]] = []
    results: list[int] = []
    for _ in range(3):
        services.db_call(lambda db: (seen.append((id(db), threading.get_ident())), queries.count_customers(db))[1],
                         results.append)
    qtbot.waitUntil(lambda: len(results) == 3, timeout=5000)
    assert results == [3, 3, 3]
    assert len(set(seen)) == 1  # the same connection, on the same (db lane) thread
    assert seen[0][1] != threading.get_ident()


def test_drop_connection_reopens_the_path(qtbot: QtBot, services: Services) -> None:
    # the connections themselves, not their id(): a freed connection's id can be reused by the next one
    ids: list[object] = []
    services.db_call(lambda db: ids.append(db))
    services.db_call(lambda db: services.drop_connection())
    services.db_call(lambda db: ids.append(db))
    qtbot.waitUntil(lambda: len(ids) == 2, timeout=5000)
    assert ids[0] is not ids[1]


def test_events_reach_only_their_own_signal(qtbot: QtBot, services: Services) -> None:
    got: list[object] = []
    services.events.call_changed.connect(got.append)
    services.events.database_replaced.connect(got.append)
    services.events.publish(ev.TasksChanged())  # nobody here listens to tasks
    services.events.publish(ev.CallChanged(7))
    services.events.publish(ev.DatabaseReplaced("/x.db"))
    assert got == [ev.CallChanged(7), ev.DatabaseReplaced("/x.db")]
    with pytest.raises(TypeError):
        services.events.publish("calls")  # type: ignore[arg-type]
