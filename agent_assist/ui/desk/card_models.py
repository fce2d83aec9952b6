"""Qt item models of the caller card: search hits, history timeline and open issues.

Each model holds a tuple of the store's frozen records and is replaced whole (``set_items``) when a new card
arrives. ``SORT_ROLE`` carries a raw sortable value so proxies sort dates and ages as values, not text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from agent_assist.coach.retention import duration_words
from agent_assist.store.models import HistoryItem, Issue, SearchHit
from agent_assist.store.phones import pretty
from agent_assist.ui.common import style

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex

CHANNEL_LABELS = {"call": "Call", "email": "E-mail", "chat": "Chat", "sms": "SMS", "order": "Order",
                  "coaching": "Coaching"}
MATCH_LABELS = {"phone": "phone", "name": "name", "email": "e-mail", "issue": "issue"}


def parse_time(text: str | None) -> datetime | None:
    """ISO text from the store (UTC, naive or with offset, or a bare date) -> aware datetime."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_date(text: str | None, with_time: bool = False) -> str:
    dt = parse_time(text)
    if dt is None:
        return text or ""
    local = dt.astimezone()
    return local.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y").lstrip("0")


def format_span(hours: float) -> str:
    """A duration in words with correct plurals: "20 hours", "1 day", "4 years 2 months"."""
    return duration_words(max(0.0, hours))


def age_text(age_h: float, target_h: float) -> str:
    """The age of an issue against its target: "3 days · 1 day over target", "10 hours of 5 days"."""
    if target_h > 0 and age_h > target_h:
        return f"{format_span(age_h)} · {format_span(age_h - target_h)} over target"
    return f"{format_span(age_h)} of {format_span(target_h)} target" if target_h > 0 else format_span(age_h)


def in_the_future(text: str | None, now: datetime | None = None) -> bool:
    """A stored time later than now (beyond a few minutes of clock skew): impossible data."""
    t = parse_time(text)
    return t is not None and t > (now or datetime.now(UTC)) + timedelta(minutes=5)


def issue_state(age_h: float, target_h: float) -> str:
    """'over' past the target, 'near' in its last quarter, else 'ok'."""
    if target_h <= 0:
        return "ok"
    if age_h > target_h:
        return "over"
    return "near" if age_h >= 0.75 * target_h else "ok"


class _RecordTableModel(QAbstractTableModel):
    """A read-only table over a tuple of records; subclasses define HEADERS and ``cell``."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: tuple[Any, ...] = ()

    def set_items(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._items = tuple(items)
        self.endResetModel()

    def items(self) -> tuple[Any, ...]:
        return self._items

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._items)):
            return None
        item = self._items[index.row()]
        if role == RECORD_ROLE:
            return item
        return self.cell(item, index.column(), role)

    def cell(self, item: Any, column: int, role: int) -> Any:
        raise NotImplementedError


class HistoryModel(_RecordTableModel):
    """The timeline: calls, e-mails, chats, SMS and orders, in the order given (newest first)."""

    HEADERS = ("When", "Channel", "Summary", "Amount")
    WHEN, CHANNEL, SUMMARY, AMOUNT = range(4)

    def cell(self, item: HistoryItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.WHEN:
                return format_date(item.at)
            if column == self.CHANNEL:
                label = CHANNEL_LABELS.get(item.kind, item.kind.title())
                if item.direction in ("in", "out") and item.kind != "order":
                    label += " in" if item.direction == "in" else " out"
                return label
            if column == self.SUMMARY:
                return item.summary
            if column == self.AMOUNT:
                return f"${item.amount:,.2f}" if item.amount is not None else ""
        elif role == Qt.ItemDataRole.DecorationRole and column == self.CHANNEL:
            return style.icon(f"channel-{item.kind}")
        elif role == Qt.ItemDataRole.ToolTipRole:
            if column == self.WHEN:
                return format_date(item.at, with_time=True)
            if column == self.SUMMARY:
                return item.summary
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == self.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == SORT_ROLE:
            return (item.at, item.kind, item.summary, item.amount or 0.0)[column]
        return None


class HistoryFilterProxy(QSortFilterProxyModel):
    """Filters the timeline by channel ('' = all)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._kind = ""
        self.setSortRole(SORT_ROLE)

    def set_kind(self, kind: str) -> None:
        self.beginFilterChange()
        self._kind = kind
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def kind(self) -> str:
        return self._kind

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._kind:
            return True
        model = self.sourceModel()
        item = model.data(model.index(source_row, 0, source_parent), RECORD_ROLE)
        return item is not None and item.kind == self._kind


class OpenIssuesModel(_RecordTableModel):
    """Open issues with their age against the resolution target ("5 days · 2 days over target")."""

    HEADERS = ("Issue", "Severity", "Opened", "Age / target", "Reopened")
    TITLE, SEVERITY, OPENED, AGE, REOPENED = range(5)

    def age(self, issue: Issue) -> float:
        # the store measures the age when it reads the card, so the whole card shares one clock
        return issue.age_hours

    def state(self, issue: Issue) -> str:
        return issue_state(self.age(issue), issue.target_hours)

    def over_target(self) -> int:
        return sum(1 for i in self._items if self.state(i) == "over")

    def cell(self, item: Issue, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TITLE:
                return item.title
            if column == self.SEVERITY:
                return item.severity.title()
            if column == self.OPENED:
                return format_date(item.opened_at)
            if column == self.AGE:
                if in_the_future(item.opened_at):
                    return "data error: opened in the future"
                return age_text(self.age(item), item.target_hours)
            if column == self.REOPENED:
                return f"{item.reopen_count}×" if item.reopen_count else ""
        elif role == Qt.ItemDataRole.ForegroundRole and column == self.AGE and in_the_future(item.opened_at):
            return style.color("warn")
        elif role == Qt.ItemDataRole.ForegroundRole and column in (self.AGE, self.TITLE):
            state = self.state(item)
            if state == "over":
                return style.color("alert")
            if state == "near" and column == self.AGE:
                return style.color("warn")
        elif role == Qt.ItemDataRole.FontRole and column == self.AGE and self.state(item) == "over":
            f = QFont()
            f.setBold(True)
            return f
        elif role == Qt.ItemDataRole.ToolTipRole and column == self.AGE:
            state = self.state(item)
            opened = format_date(item.opened_at, with_time=True)
            return {"over": f"Over its resolution target (opened {opened})",
                    "near": f"Close to its resolution target (opened {opened})"}.get(
                        state, f"Within its resolution target (opened {opened})")
        elif role == Qt.ItemDataRole.ToolTipRole and column == self.TITLE:
            return item.title
        elif role == SORT_ROLE:
            sev = {"low": 0, "normal": 1, "high": 2, "urgent": 3}.get(item.severity, 1)
            age = self.age(item)
            ratio = age / item.target_hours if item.target_hours > 0 else 0.0
            return (item.title.lower(), sev, item.opened_at, ratio, item.reopen_count)[column]
        return None


class IssuesProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)


class SearchResultsModel(QAbstractListModel):
    """Search hits: name, then what matched (phone, e-mail or the issue text)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: tuple[SearchHit, ...] = ()

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = tuple(hits)
        self.endResetModel()

    def hits(self) -> tuple[SearchHit, ...]:
        return self._hits

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._hits)):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            parts = [hit.name]
            if hit.phone_e164:
                parts.append(pretty(hit.phone_e164))
            if hit.email:
                parts.append(hit.email)
            line = "   ·   ".join(parts)
            if hit.matched == "issue" and hit.detail:
                line += f"\n     issue: {hit.detail}"
            return line
        if role == Qt.ItemDataRole.ToolTipRole:
            what = MATCH_LABELS.get(hit.matched, hit.matched)
            return f"matched on {what}" + (f": {hit.detail}" if hit.detail else "")
        if role == RECORD_ROLE:
            return hit
        return None
