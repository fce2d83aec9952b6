"""What every widget gets in ``__init__``: the settings, the background lanes and the open database.

The database connection is opened *on the db lane* and only used there; widgets never touch it directly,
they call ``services.db_call(fn, on_done)`` with ``fn(db)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlite_utils import Database

from agent_assist.settings import Settings
from agent_assist.ui.common.events import EventBus
from agent_assist.ui.common.tasks import Lane, TaskManager


class Services(QObject):
    """Shared services of one window. Signals announce app-wide events to any widget that cares."""

    # A call arrived or was started by hand: E.164 number ('' when started without a number)
    call_requested = Signal(str)
    # The active call changed: call id, or 0 when no call is active
    active_call_changed = Signal(int)

    def __init__(self, settings: Settings, db_path: Path | str, tasks: TaskManager | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.db_path = db_path
        self.tasks = tasks or TaskManager(self)
        # what changed, as typed events (ui/common/events.py)
        self.events = EventBus(self)
        self._db: Database | None = None
        self.active_call_id = 0
        # While the first-run build runs, queries get an empty in-memory database instead of creating
        # (and locking) the file the build will put in place: a killed build then leaves no empty file.
        self.placeholder = False

    # -- database ------------------------------------------------------------------------------------
    def _connection(self) -> Database:
        # runs on the db lane only
        if self._db is None:
            from agent_assist.store.db import connect

            self._db = connect(":memory:" if self.placeholder else self.db_path)
        return self._db

    def db_call(self, fn: Callable[[Database], Any], on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[BaseException], None] | None = None) -> Future[Any]:
        return self.tasks.run(Lane.DB, lambda: fn(self._connection()), on_done, on_error)

    def run(self, lane: Lane | str, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> Future[Any]:
        return self.tasks.run(lane, fn, on_done, on_error)

    def drop_connection(self) -> None:
        """Close the db lane's connection; the next ``db_call`` reopens ``db_path``.

        Call it *on the db lane* (inside a job), e.g. before the database file is replaced.
        """
        if self._db is not None:
            self._db.close()
            self._db = None

    def close(self) -> None:
        def _close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        with contextlib.suppress(RuntimeError):  # already shut down
            self.tasks.run(Lane.DB, _close)
        self.tasks.shutdown(wait=True)
