"""ui/common/tasks.py: work runs on its lane's one thread, results and errors come back on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.ui.common.tasks import LANES, Lane, TaskManager


@pytest.fixture
def tasks(qtbot: QtBot) -> TaskManager:
    tm = TaskManager()
    yield tm
    tm.shutdown(wait=True)


def test_each_lane_is_one_thread_and_results_arrive_on_the_gui_thread(qtbot: QtBot, tasks: TaskManager) -> None:
    gui = threading.get_ident()
    ran_on: dict[str, set[int]] = {}
    delivered_on: list[int] = []
    for lane in (Lane.DB, Lane.NLP):
        for i in range(5):
            def job(lane: Lane = lane, i: int = i) -> int:
                ran_on.setdefault(lane, set()).add(threading.get_ident())
                return i
            tasks.run(lane, job, lambda _v: delivered_on.append(threading.get_ident()))
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=5000)
    assert {len(v) for v in ran_on.values()} == {1}, ran_on  # one worker thread per lane
    assert ran_on[Lane.DB] != ran_on[Lane.NLP]  # lanes do not share a thread
    assert gui not in ran_on[Lane.DB] | ran_on[Lane.NLP]
    assert delivered_on == [gui] * 10


def test_one_lane_keeps_the_order_of_its_jobs(qtbot: QtBot, tasks: TaskManager) -> None:
    seen: list[int] = []
    for i in range(20):
        tasks.run("db", lambda i=i: i, seen.append)  # a plain lane name still works
    qtbot.waitUntil(lambda: len(seen) == 20, timeout=5000)
    assert seen == list(range(20))


def test_errors_reach_on_error_and_are_not_lost(qtbot: QtBot, tasks: TaskManager) -> None:
    errors: list[BaseException] = []
    done: list[object] = []

    def boom() -> None:
        raise ValueError("disk on fire")

    tasks.run(Lane.IO, boom, done.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError) and str(errors[0]) == "disk on fire"
    assert done == [] and tasks.pending == 0


def test_unknown_lane_and_shut_down_manager_are_refused(tasks: TaskManager) -> None:
    with pytest.raises(ValueError):
        tasks.run("gpu", lambda: None)
    assert tasks.pending == 0
    tasks.shutdown(wait=True)
    with pytest.raises(RuntimeError, match="shut down"):
        tasks.run(Lane.DB, lambda: None)


def test_lanes_are_the_enum() -> None:
    assert tuple(Lane) == LANES and {str(x) for x in Lane} == {"db", "nlp", "audio", "tts", "io", "team"}
