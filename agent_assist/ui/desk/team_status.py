"""The desk's team sync status line: connected or offline, rows waiting, last push.

Owns the background :class:`~agent_assist.workflows.team_sync.TeamSyncWorker` (its own thread and SQLite
connection, so a push of 10,000 queued calls never touches the GUI thread). The worker reports from its
thread; the signal is queued onto the GUI thread, where the label only sets its text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from agent_assist.store.team.remote import redact_url
from agent_assist.workflows.team_sync import CONFLICT_RULE, SyncStatus, TeamSyncWorker


class TeamStatusLabel(QLabel):
    status_changed = Signal(object)  # SyncStatus, emitted from the worker's thread

    def __init__(self, db_path: Path | str, url: str, parent: QWidget | None = None, *,
                 interval_s: float = 5.0) -> None:
        super().__init__("Team: connecting…", parent)
        self.setObjectName("teamStatus")
        self.status: SyncStatus | None = None
        self._url = url
        self._worker = TeamSyncWorker(db_path, url, interval_s=interval_s, on_status=self.status_changed.emit)
        self.status_changed.connect(self._show)
        self.setToolTip(f"Team store {redact_url(url)}. {CONFLICT_RULE}")

    def start(self) -> None:
        self._worker.start()

    def wake(self) -> None:
        """Push now (e.g. a call was just saved) instead of at the next interval."""
        self._worker.wake()

    def stop(self) -> None:
        self._worker.stop()

    def _show(self, st: SyncStatus) -> None:
        self.status = st
        self.setText(st.line())
        color = "#1d7a46" if st.connected and not st.rejected else "#9a5b00"
        self.setStyleSheet(f"color: {color}")
