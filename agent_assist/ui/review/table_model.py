"""The Review table's model: finished calls fetched page by page on the db lane, cells formatted lazily."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from agent_assist.coach.summary import fmt_duration
from agent_assist.store import review as rv
from agent_assist.store.outcomes import local_time, local_zone_name, outcome_label
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.workflows.review_source import ReviewSource, SqliteReviewSource

Index = QModelIndex | QPersistentModelIndex
CALL_ID_ROLE = Qt.ItemDataRole.UserRole + 1

# The columns the table shows (keys of store.review.COLUMNS), in order.
VISIBLE = (
    "kind", "agent", "customer", "started_at", "duration_s", "talk_ratio", "overtalk_s",
    "longest_monologue_s", "flags_count", *(f"flags_{c}" for c in rv.FLAG_CATEGORIES),
    "issues_opened", "issues_resolved", "outcome", "open_tasks",
)
NUMERIC = {"duration_s", "talk_ratio", "overtalk_s", "longest_monologue_s", "flags_count",
           "issues_opened", "issues_resolved", "open_tasks", *(f"flags_{c}" for c in rv.FLAG_CATEGORIES)}
RED = QColor("#b42318")
AMBER = QColor("#9a5b00")
GREEN = QColor("#1d7a46")
FAINT = QColor("#8a95a3")
_PALETTE = (None, RED, AMBER, GREEN, FAINT)
_C_RED, _C_AMBER, _C_GREEN, _C_FAINT = 1, 2, 3, 4
# figures that only exist when speech was recorded: "—" rather than 0 for a call without any
_SPEECH_KEYS = ("talk_ratio", "overtalk_s", "longest_monologue_s")


def _pos(i: int) -> int:
    return rv.COLUMN_INDEX[VISIBLE[i]]


# Per row: display texts, colour codes (indexes into _PALETTE, 0 = default) and "ratio over target".
# Only str/int/bool inside, so the cyclic garbage collector untracks these tuples: with QColor objects in
# them, 100,000 loaded rows made every full collection walk them (50-130 ms stalls while scrolling).
_Cells = tuple[tuple[str, ...], tuple[int, ...], bool]
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_RATIO_COL = VISIBLE.index("talk_ratio")
_KEYED = tuple((k, rv.COLUMN_INDEX[k]) for k in VISIBLE)  # (column key, position in a store row)
_RATIO_POS = rv.COLUMN_INDEX["talk_ratio"]
_ALIGNMENTS = tuple(
    int((Qt.AlignmentFlag.AlignRight if k in NUMERIC else Qt.AlignmentFlag.AlignLeft)
        | Qt.AlignmentFlag.AlignVCenter) for k in VISIBLE)

def source_call(services: Services, source: ReviewSource, fn: Any, on_done: Any = None,
                on_error: Any = None) -> Any:
    """Run ``fn(db)`` where ``source`` reads: the db lane (with its connection) or the source's own lane."""
    if source.lane == "db":
        return services.db_call(fn, on_done, on_error)
    return services.run(source.lane, lambda: fn(None), on_done, on_error)


class ReviewModel(QAbstractTableModel):
    """Finished calls, fetched page by page on the db lane."""

    # (rows now loaded, whether more can be fetched) after each page arrives
    page_loaded = Signal(int, bool)
    failed = Signal(str)

    def __init__(self, services: Services, parent: Any = None, source: ReviewSource | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.source: ReviewSource = source or SqliteReviewSource()
        self._rows: list[tuple[Any, ...]] = []
        # formatted lazily, the first time a row is painted (most loaded rows never are)
        self._cells: list[_Cells | None] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._filter = rv.ReviewFilter(target=services.settings.talk_target)
        self._sort = "started_at"
        self._desc = True
        self._more = False
        self._loading = False
        self._generation = 0
        self.page_size = rv.PAGE_SIZE

    # -- query -----------------------------------------------------------------------------------------
    def query(self, fn: Any, on_done: Any = None, on_error: Any = None) -> Any:
        """Run ``fn(db)`` on the source's lane: the db lane with its connection, or the team lane."""
        return source_call(self._services, self.source, fn, on_done, on_error)

    @property
    def filter(self) -> rv.ReviewFilter:
        return self._filter

    @property
    def loading(self) -> bool:
        return self._loading

    def set_filter(self, flt: rv.ReviewFilter) -> None:
        self._filter = flt
        self.reload()

    def reload(self) -> None:
        """Drop the rows and start again from the first page."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._cells = []
        self._more = True
        self._loading = False
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(VISIBLE):
            return
        key, desc = VISIBLE[column], order == Qt.SortOrder.DescendingOrder
        if (key, desc) == (self._sort, self._desc) and (self._rows or self._loading):
            return
        self._sort, self._desc = key, desc
        self.reload()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or self._loading:
            return
        self._loading = True
        gen, offset, flt, sort, desc, size = (self._generation, len(self._rows), self._filter,
                                              self._sort, self._desc, self.page_size)
        src = self.source
        self.query(
            lambda db: src.page(db, flt, sort, desc, offset, size),
            lambda page: self._arrived(gen, offset, page),
            lambda e: self._failed(gen, e),
        )

    def _arrived(self, gen: int, offset: int, rows: list[tuple[Any, ...]]) -> None:
        if gen != self._generation:
            return  # an answer to a query the user has since changed
        if offset != len(self._rows):  # cannot happen while _loading guards fetchMore; never wedge
            self._loading = False
            return
        self._more = len(rows) == self.page_size
        if rows:
            # still "loading" while the rows go in: views call fetchMore from rowsInserted handlers
            self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
            self._rows.extend(rows)
            self._cells.extend([None] * len(rows))
            self.endInsertRows()
        self._loading = False
        self.page_loaded.emit(len(self._rows), self._more)

    def _failed(self, gen: int, e: BaseException) -> None:
        if gen != self._generation:
            return
        self._loading = False
        self._more = False
        text = messages.describe(e)
        self.failed.emit(text)
        messages.error(text)

    # -- Qt model --------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(VISIBLE)

    def row(self, r: int) -> dict[str, Any]:
        return rv.row_dict(self._rows[r])

    def call_id(self, r: int) -> Any:
        """The row's call id: an int for the desk's calls, a uuid string for the team store's."""
        v = self._rows[r][0]
        return v if isinstance(v, str) else int(v)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(VISIBLE):
            return None
        col = rv.COLUMNS[_pos(section)]
        if role == Qt.ItemDataRole.DisplayRole:
            if col.key == "talk_ratio":
                return f"Talk ratio (≤ {self._filter.target * 100:.0f}%)"
            return col.title
        if role == Qt.ItemDataRole.ToolTipRole and col.key in ("started_at", "ended_at"):
            return f"local time ({local_zone_name()}); stored in UTC"
        if role == Qt.ItemDataRole.ToolTipRole and col.tip:
            return col.tip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r, c = index.row(), index.column()
        if not index.isValid() or r >= len(self._rows) or c >= len(VISIBLE):
            return None
        if role == _DISPLAY:
            return self._row_cells(r)[0][c]
        if role == _FOREGROUND:
            code = self._row_cells(r)[1][c]
            return _PALETTE[code] if code else None
        if role == _ALIGN:
            return _ALIGNMENTS[c]
        if role == _FONT:
            return self._bold if c == _RATIO_COL and self._row_cells(r)[2] else None
        if role == CALL_ID_ROLE:
            return self.call_id(r)
        if role == _TOOLTIP and c == _RATIO_COL:
            return "agent speech / (agent + customer speech); silence excluded"
        return None

    def _row_cells(self, r: int) -> _Cells:
        cells = self._cells[r]
        if cells is None:
            cells = self._cells[r] = self.format_page([self._rows[r]], self._filter.target)[0]
        return cells

    @classmethod
    def format_page(cls, rows: list[tuple[Any, ...]], target: float) -> list[_Cells]:
        """Display text and colours of rows, computed once per row rather than per paint."""
        out = []
        display, color = cls._display, cls._color
        for row in rows:
            text = tuple([display(k, row[p], row) for k, p in _KEYED])
            codes = tuple([color(k, row[p], target) for k, p in _KEYED])
            ratio = row[_RATIO_POS]
            out.append((text, codes, ratio is not None and ratio > target))
        return out

    @staticmethod
    def _display(key: str, v: Any, row: tuple[Any, ...]) -> str:
        if key == "outcome":
            return outcome_label(v) if v else ""
        if key in _SPEECH_KEYS and row[_RATIO_POS] is None:
            return "—"  # no speech recorded: no talk figures, not zeros
        if v is None:
            return "—" if key != "customer" else ""
        if key == "kind":
            return "Practice" if v == "practice" else "Call"
        if key == "started_at":
            return local_time(str(v))
        if key in ("duration_s", "longest_monologue_s"):
            return fmt_duration(float(v))
        if key == "talk_ratio":
            return f"{float(v) * 100:.0f}%"
        if key == "overtalk_s":
            dur = row[rv.COLUMN_INDEX["duration_s"]]
            pct = f" ({100 * float(v) / float(dur):.1f}%)" if dur else ""
            return f"{float(v):.0f} s{pct}"
        if key.startswith("flags_") and v == 0:
            return "·"
        return str(v)

    @staticmethod
    def _color(key: str, v: Any, t: float) -> int:
        if key in ("overtalk_s", "longest_monologue_s") and not v:
            return _C_FAINT
        if key == "talk_ratio" and v is not None:
            return _C_RED if v > t else (_C_AMBER if v > t - 0.05 else _C_GREEN)
        if (key.startswith("flags_") or key == "open_tasks") and v == 0:
            return _C_FAINT
        if key.startswith("flags_") and v:
            return _C_RED
        return 0
