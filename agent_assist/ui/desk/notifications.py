"""A small notification centre: urgent and non-urgent items; non-urgent ones can be held during a call.

While held, new non-urgent notifications are kept (not shown, not lost) and come back on release, in the
order they arrived. Urgent ones always show.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from agent_assist.ui.common.services import Services

_ids = itertools.count(1)

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Notification:
    text: str
    urgent: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    posted: float = field(default_factory=time.time)


class NotificationCentre(QObject):
    """Holds the notifications; ``visible()`` is what the agent should see right now."""

    changed = Signal()
    urgent_posted = Signal(object)  # Notification

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[Notification] = []
        self._held = False
        self._held_ids: set[int] = set()

    @property
    def held(self) -> bool:
        return self._held

    def post(self, text: str, urgent: bool = False) -> Notification:
        n = Notification(text, urgent)
        self._items.append(n)
        if self._held and not urgent:
            self._held_ids.add(n.id)
        if urgent:
            self.urgent_posted.emit(n)
        self.changed.emit()
        return n

    def dismiss(self, notification_id: int) -> None:
        self._items = [n for n in self._items if n.id != notification_id]
        self._held_ids.discard(notification_id)
        self.changed.emit()

    def hold(self) -> None:
        """Hide non-urgent notifications (existing and new) until :meth:`release`."""
        if self._held:
            return
        self._held = True
        self._held_ids = {n.id for n in self._items if not n.urgent}
        self.changed.emit()

    def release(self) -> list[Notification]:
        """Show held notifications again; returns those that arrived or were hidden while held."""
        released = [n for n in self._items if n.id in self._held_ids]
        self._held = False
        self._held_ids = set()
        self.changed.emit()
        return released

    def visible(self) -> list[Notification]:
        """Newest first: everything when not held; only urgent items while held."""
        return [n for n in reversed(self._items) if n.id not in self._held_ids]

    def held_items(self) -> list[Notification]:
        return [n for n in self._items if n.id in self._held_ids]

    def urgent(self) -> list[Notification]:
        return [n for n in reversed(self._items) if n.urgent]


class NotificationsModel(QAbstractListModel):
    """The visible notifications of a centre, newest first."""

    def __init__(self, centre: NotificationCentre, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._centre = centre
        self._rows = centre.visible()
        centre.changed.connect(self._refresh)

    def _refresh(self) -> None:
        self.beginResetModel()
        self._rows = self._centre.visible()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        n = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return ("⚠ " if n.urgent else "") + n.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{'Urgent' if n.urgent else 'Notification'} at {time.strftime('%H:%M', time.localtime(n.posted))}"
        if role == Qt.ItemDataRole.ForegroundRole and n.urgent:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.UserRole:
            return n
        return None


class NotificationsView(QWidget):
    """The notifications area of the side panel."""

    def __init__(self, services: Services, centre: NotificationCentre, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._centre = centre
        self.model = NotificationsModel(centre, self)
        self.list = QListView()
        self.list.setObjectName("notifications")
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("emptyHint")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.status)
        centre.changed.connect(self._update_status)
        self._update_status()

    def _update_status(self) -> None:
        held = len(self._centre.held_items())
        if held:
            self.status.setText(f"{held} notification{'s' if held != 1 else ''} held until the call is wrapped up")
        elif not self._centre.visible():
            self.status.setText("No notifications.")
        else:
            self.status.setText("")
