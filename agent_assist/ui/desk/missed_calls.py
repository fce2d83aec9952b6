"""The missed-calls section of the work list: rings that ended unanswered, each with its callback task.

Kept apart from the work list's own ordering: newest missed call first, who rang (customer, name the
softphone gave, or number), when, and the callback proposed on the customer's channel and hours.
Double-click (or Enter) opens the caller's card; "Called back" ticks the callback off.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_assist.store.phones import pretty
from agent_assist.ui.common import events as ev
from agent_assist.ui.common.services import Services

CHANNELS = {"phone": "by phone", "email": "by e-mail", "sms": "by SMS", "chat": "by chat"}


def _local(text: str | None, fmt: str = "%a %H:%M") -> str:
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone().strftime(fmt)
    except ValueError:
        return text


def describe(row: dict[str, Any]) -> str:
    who = row.get("customer_name") or row.get("display_name") or (
        pretty(row["phone_e164"]) if row.get("phone_e164") else "Withheld number")
    number = f"  ·  {pretty(row['phone_e164'])}" if row.get("phone_e164") and who != pretty(row["phone_e164"]) \
        else ""
    due = _local(row.get("due_at"))
    channel = CHANNELS.get(row.get("channel") or "", "")
    return f"{_local(row.get('rang_at') or row.get('started_at'))}  {who}{number}  →  call back {channel} {due}"


class MissedCalls(QWidget):
    """The list of missed calls with an open callback; hidden when there is none."""

    open_customer = Signal(int)
    loaded = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missedCalls")
        self._services = services
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.list = QListWidget()
        self.list.setObjectName("missedList")
        self.list.setMaximumHeight(120)
        self.list.itemActivated.connect(self._activated)
        self.done_button = QPushButton("Called back")
        self.done_button.setToolTip("Tick off the callback of the selected missed call")
        self.done_button.clicked.connect(self._called_back)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.done_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.addLayout(top)
        lay.addWidget(self.list)
        self.setVisible(False)
        bus = services.events
        for signal in (bus.call_changed, bus.tasks_changed, bus.customers_changed, bus.database_replaced):
            signal.connect(self._data_changed)

    def rows(self) -> list[dict[str, Any]]:
        items = (self.list.item(i) for i in range(self.list.count()))
        return [it.data(Qt.ItemDataRole.UserRole) for it in items if it is not None]

    def reload(self) -> None:
        if not Path(self._services.db_path).exists():
            return
        from agent_assist.store import calls

        agent = self._services.settings.agent_id
        with contextlib.suppress(RuntimeError):  # the window is closing
            self._services.db_call(lambda db: calls.missed_callbacks(db, agent), self._show)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.list.clear()
        for r in rows:
            item = QListWidgetItem(describe(r))
            item.setData(Qt.ItemDataRole.UserRole, r)
            item.setToolTip(str(r.get("text") or ""))
            self.list.addItem(item)
        self.title.setText(f"MISSED CALLS ({len(rows)})")
        self.setVisible(bool(rows))
        self.loaded.emit(len(rows))

    def _data_changed(self, _event: ev.Event) -> None:
        self.reload()

    def _activated(self, item: QListWidgetItem) -> None:
        row = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(row, dict) and row.get("customer_id"):
            self.open_customer.emit(int(row["customer_id"]))

    def _called_back(self) -> None:
        item = self.list.currentItem()
        row = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(row, dict):
            return
        from agent_assist.store import calls

        task_id = int(row["task_id"])
        self._services.db_call(lambda db: calls.set_task_done(db, task_id),
                               lambda _r: self._services.events.publish(ev.TasksChanged()))
