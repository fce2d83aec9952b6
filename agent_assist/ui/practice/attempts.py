"""The practice attempts table: date, scenario, trainee, score, talk ratio, goals, flags."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from agent_assist.ui.practice.scorecard import pct

Index = QModelIndex | QPersistentModelIndex

# -- attempts table ------------------------------------------------------------------------------------

class AttemptsModel(QAbstractTableModel):
    """Saved practice attempts (rows from ``workflows.practice.attempts``), newest first."""

    COLUMNS = (("started_at", "When"), ("trainee", "Trainee"), ("title", "Scenario"), ("score", "Score"),
               ("goals", "Goals"), ("talk_ratio", "Talk ratio"), ("longest_monologue_s", "Longest monologue"),
               ("flags_count", "Flags"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self.titles: dict[str, str] = {}

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, r: int) -> dict[str, Any]:
        return self._rows[r]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "started_at":
                return str(r["started_at"] or "").replace("T", " ")[:16]
            if key == "title":
                return self.titles.get(r["scenario"], r["scenario"])
            if key == "score":
                return f"{r['score']:.0f}" if r["score"] is not None else "—"
            if key == "goals":
                return f"{r['goals_met']}/{r['goals_total']}"
            if key == "talk_ratio":
                return pct(r["talk_ratio"])
            if key == "longest_monologue_s":
                v = r["longest_monologue_s"]
                return "—" if v is None else f"{v:.0f} s"
            return "" if r.get(key) is None else str(r[key])
        if role == Qt.ItemDataRole.ForegroundRole and key == "talk_ratio" and r["talk_ratio"] is not None:
            return QColor("#2e7d32" if r["talk_ratio"] <= 0.30 else "#d0342c")
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in ("trainee", "title", "started_at"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
