"""The side panel of the normal layout: the agent's work list, queue, inbox and notifications.

The work list holds callbacks, follow-ups due and parked tasks not done yet, ordered by urgency: when it
is due (overdue first), how far the customer's oldest open issue is past its target, and the customer's
risk from the retention cues. The queue and inbox are placeholders with demo items until a contact-centre
integration feeds them. The whole panel is hidden (and its notifications held) during a call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from agent_assist.ui.common import events as ev
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.notifications import NotificationCentre, NotificationsView

Index = QModelIndex | QPersistentModelIndex

RELOAD_MS = 60_000
KIND_LABELS = {"callback": "Callback", "follow_up": "Follow-up", "parked": "Parked"}
CHANNEL_LABELS = {"phone": "Phone", "email": "E-mail", "sms": "SMS", "chat": "Chat"}

DEMO_QUEUE = (
    "Billing line · 3 waiting · longest 1:42",
    "Tech support · 1 waiting · 0:35",
    "Retention desk · no one waiting",
)
DEMO_INBOX = (
    "Re: refund for order 10234 — S. Holmes",
    "Invoice question — E. Pugh",
    "Router still dropping — V. Ramirez",
)


@dataclass(frozen=True)
class WorkItem:
    """One row of the work list."""

    task_id: int
    kind: str  # callback | follow_up | parked
    text: str
    customer_id: int | None
    customer_name: str
    due_at: datetime | None  # naive UTC
    channel: str | None
    issue_fraction: float  # oldest open issue's age / target (0 when none)
    risk: int  # from retention cues (3 per alert, 1 per warning)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        return None
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def urgency_key(item: WorkItem, now: datetime) -> tuple[int, float, int, float, int]:
    """Sort key, most urgent first.

    Buckets by due time (overdue, due within 24 h, later, no due time); inside a bucket the customer whose
    oldest open issue is furthest past its target comes first, then the riskier customer, then the
    earlier due time.
    """
    if item.due_at is None:
        bucket = 3
    elif item.due_at <= now:
        bucket = 0
    elif item.due_at <= now + timedelta(hours=24):
        bucket = 1
    else:
        bucket = 2
    due = (item.due_at - now).total_seconds() if item.due_at else 0.0
    return (bucket, -round(item.issue_fraction, 2), -item.risk, due, item.task_id)


def order_by_urgency(items: Sequence[WorkItem], now: datetime) -> list[WorkItem]:
    return sorted(items, key=lambda i: urgency_key(i, now))


def load_work_items(db: Database, agent_id: int, today: date | None = None) -> list[WorkItem]:
    """Open tasks of ``agent_id`` with each customer's retention risk (runs on the db lane)."""
    from agent_assist.coach.retention import RetentionWords, compute_cues, risk_score
    from agent_assist.store import calls, queries

    words = RetentionWords.load()
    today = today or datetime.now(UTC).date()
    rows = calls.open_tasks(db, agent_id, limit=-1)  # every open task: the list scrolls, it never truncates
    risks: dict[int, int] = {}
    items: list[WorkItem] = []
    for r in rows:
        cid = r.get("customer_id")
        if cid is not None and cid not in risks:
            try:
                card = queries.caller_card(db, cid, history_limit=20)
                risks[cid] = risk_score(compute_cues(card, today, words=words))
            except LookupError:
                risks[cid] = 0
        items.append(WorkItem(
            task_id=int(r["id"]), kind=str(r["kind"]), text=str(r["text"]), customer_id=cid,
            customer_name=str(r.get("customer_name") or "—"), due_at=_parse(r.get("due_at")),
            channel=r.get("channel"), issue_fraction=float(r.get("worst_issue_fraction") or 0.0),
            risk=risks.get(cid, 0) if cid is not None else 0,
        ))
    return items


def _due_text(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "—"
    local = due.replace(tzinfo=UTC).astimezone()
    delta = due - now
    if delta.total_seconds() < 0:
        late = -delta
        span = f"{late.days} d" if late.days else f"{int(late.total_seconds() // 3600)} h"
        return f"overdue {span}"
    if local.date() == datetime.now().astimezone().date():
        return f"today {local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


class WorkListModel(QAbstractTableModel):
    """Work items, most urgent first."""

    DUE, KIND, CUSTOMER, TASK, RISK = range(5)
    HEADERS = ("Due", "Kind", "Customer", "Task", "Risk")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[WorkItem] = []
        self._now = datetime.now(UTC).replace(tzinfo=None)

    def set_items(self, items: Sequence[WorkItem], now: datetime | None = None) -> None:
        self.beginResetModel()
        self._now = now or datetime.now(UTC).replace(tzinfo=None)
        self._items = order_by_urgency(items, self._now)
        self.endResetModel()

    def items(self) -> list[WorkItem]:
        return list(self._items)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        it = self._items[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.DUE:
                return _due_text(it.due_at, self._now)
            if col == self.KIND:
                label = KIND_LABELS.get(it.kind, it.kind)
                return f"{label} · {CHANNEL_LABELS.get(it.channel or '', it.channel)}" if it.channel else label
            if col == self.CUSTOMER:
                return it.customer_name
            if col == self.TASK:
                return it.text
            if col == self.RISK:
                return "high" if it.risk >= 6 else ("medium" if it.risk >= 3 else ("low" if it.risk else ""))
        if role == Qt.ItemDataRole.ToolTipRole:
            extra = f"oldest open issue at {it.issue_fraction:.0%} of its target" if it.issue_fraction else ""
            return "  ·  ".join(x for x in (it.text, extra) if x)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.DUE and it.due_at and it.due_at <= self._now:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.UserRole:
            return it
        return None


class SidePanel(QWidget):
    """Work list, queue, inbox (tabs) above the notifications area."""

    loaded = Signal(int)  # number of work items, after each load

    def __init__(self, services: Services, notifications: NotificationCentre | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self._services = services
        self.notifications = notifications or NotificationCentre(self)

        self.model = WorkListModel(self)
        self.view = QTableView()
        self.view.setObjectName("workList")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(WorkListModel.TASK, QHeaderView.ResizeMode.Stretch)
        for c in (WorkListModel.DUE, WorkListModel.KIND, WorkListModel.CUSTOMER, WorkListModel.RISK):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.view.activated.connect(self._open)
        self.empty = QLabel("Nothing due: no callbacks, follow-ups or parked tasks.")
        self.empty.setObjectName("emptyHint")
        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        self.count_label.setToolTip("Overdue first, then due soon; within that the customer whose issue is "
                                    "furthest past its target, then the higher churn risk")
        work = QWidget()
        wl = QVBoxLayout(work)
        wl.setContentsMargins(0, 4, 0, 0)
        wl.addWidget(self.count_label)
        wl.addWidget(self.empty)
        wl.addWidget(self.view, 1)

        self.queue = QListWidget()
        self.queue.setObjectName("queue")
        self.queue.addItems([*DEMO_QUEUE, "(demo items: no contact-centre queue is connected)"])
        self.inbox = QListWidget()
        self.inbox.setObjectName("inbox")
        self.inbox.addItems([*DEMO_INBOX, "(demo items: no mailbox is connected)"])

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(work, "Work list")
        self.tabs.addTab(self.queue, "Queue")
        self.tabs.addTab(self.inbox, "Inbox")

        self.notifications_view = NotificationsView(services, self.notifications)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.tabs)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        title = QLabel("NOTIFICATIONS")
        title.setObjectName("panelTitle")
        bl.addWidget(title)
        bl.addWidget(self.notifications_view, 1)
        split.addWidget(box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)

        bus = services.events
        for signal in (bus.tasks_changed, bus.call_changed, bus.customers_changed, bus.database_replaced):
            signal.connect(self._data_changed)
        # due times age: refresh now and then (this also picks up a demo database built on first run)
        self._timer = QTimer(self)
        self._timer.setInterval(RELOAD_MS)
        self._timer.timeout.connect(self.reload)
        self._timer.start()
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def reload(self) -> None:
        # Never make the database file ourselves: on first run it appears only once the demo is built.
        if not Path(self._services.db_path).exists():
            return
        self._loaded_once = True
        agent = self._services.settings.agent_id
        with contextlib.suppress(RuntimeError):  # raised when the window is closing
            self._services.db_call(lambda db: load_work_items(db, agent), self._show, self._failed)

    def _show(self, items: list[WorkItem]) -> None:
        self.model.set_items(items)
        self.empty.setVisible(not items)
        self.view.setVisible(bool(items))
        self.tabs.setTabText(0, f"Work list ({len(items)})" if items else "Work list")
        n = len(items)
        overdue = sum(1 for i in items if i.due_at is not None and i.due_at <= self.model._now)
        self.count_label.setText(f"{n} task{'s' if n != 1 else ''}" + (f", {overdue} overdue" if overdue else "")
                                 + " · most urgent first" if n else "")
        self.count_label.setVisible(bool(n))
        self.loaded.emit(len(items))

    def _failed(self, e: BaseException) -> None:
        from agent_assist.ui.common import messages

        # an empty or half-built database (first run) has no tasks yet: say so, no dialog
        self.empty.setText(f"Work list unavailable: {messages.describe(e)}")
        self.empty.setVisible(True)
        self.view.setVisible(False)

    def _data_changed(self, _event: ev.Event) -> None:
        self.reload()

    def _open(self, index: QModelIndex) -> None:
        item = self.model.data(index, Qt.ItemDataRole.UserRole)
        window = self.window()
        card = getattr(window, "caller_card", None)
        if isinstance(item, WorkItem) and item.customer_id and card is not None \
                and hasattr(card, "open_customer"):
            card.open_customer(item.customer_id)
