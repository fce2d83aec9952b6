"""The Review tab: every finished call and practice attempt, filtered and sorted, and a call's summary.

``ReviewModel`` is a lazy table model: it fetches pages of ``store.review.PAGE_SIZE`` rows on the db lane
when the view asks (``canFetchMore``/``fetchMore``) and appends them when they arrive, so neither opening
the tab nor scrolling through 100,000 calls ever waits on SQLite in the GUI thread. Sorting and filtering
restart the query; answers to an outdated query are dropped (a generation counter).

Profiles: the *agent* profile shows only the agent's own calls (the agent filter is fixed), the
*supervisor* sees everyone, the *trainer* starts on practice attempts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import CallSummary, Targets, fmt_duration, summarize_detail
from agent_assist.coach.talk import TalkSettings
from agent_assist.store import review as rv
from agent_assist.store.outcomes import local_time, local_zone_name, outcome_label
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.report_pdf import (
    Mark,
    paint_timeline,
    summary_html,
    timeline_marks,
    write_call_report,
)

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

class ReviewModel(QAbstractTableModel):
    """Finished calls, fetched page by page on the db lane."""

    # (rows now loaded, whether more can be fetched) after each page arrives
    page_loaded = Signal(int, bool)
    failed = Signal(str)

    def __init__(self, services: Services, parent: Any = None) -> None:
        super().__init__(parent)
        self._services = services
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
        self._services.db_call(
            lambda db: rv.review_page(db, flt, sort, desc, offset, size),
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

    def call_id(self, r: int) -> int:
        return int(self._rows[r][0])

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
            return int(self._rows[r][0])
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


class TimelineWidget(QWidget):
    """Two lanes (agent above, customer below) from stored speech segments, flags and bookmarks marked.
    A click picks that moment of the call (``moment_picked``), for a bookmark."""

    moment_picked = Signal(float)  # seconds from the start of the call

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments: list[tuple[str, float, float]] = []
        self._duration: float | None = None
        self.marks: list[Mark] = []
        self.setMinimumHeight(84)
        self.setToolTip("Who spoke when. Orange ▼: a phrasing flag; purple ▼: a bookmark. "
                        "Click a moment to bookmark it.")

    def set_segments(self, segments: list[tuple[str, float, float]], duration_s: float | None,
                     marks: list[Mark] | None = None) -> None:
        self._segments, self._duration = list(segments), duration_s
        self.marks = list(marks or [])
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 96)

    def _end(self) -> float:
        return max([self._duration or 0.0, *(e for _p, _s, e in self._segments),
                    *(t for t, _k in self.marks)]) or 1.0

    def time_at(self, pos: QPoint) -> float:
        """The moment of the call under a point (the lanes span the width minus the labels)."""
        r = QRectF(self.rect()).adjusted(4, 4, -4, -2)
        label_w = min(r.width() * 0.2, self.fontMetrics().horizontalAdvance("Customer") + 12.0)
        left, width = r.left() + label_w, r.width() - label_w - 20
        frac = min(1.0, max(0.0, (pos.x() - left) / width)) if width > 0 else 0.0
        return round(frac * self._end(), 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._segments and event.button() == Qt.MouseButton.LeftButton:
            self.moment_picked.emit(self.time_at(event.position().toPoint()))
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self._segments:
            paint_timeline(p, QRectF(self.rect()).adjusted(4, 4, -4, -2), self._segments, self._duration,
                           marks=self.marks)
        else:
            p.setPen(FAINT)
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "No speech recorded")
        p.end()


def parse_moment(text: str) -> float | None:
    """``"2:15"``, ``"135"`` or ``"1:02:03"`` as seconds; None for empty; ValueError with one line."""
    t = text.strip()
    if not t:
        return None
    try:
        parts = [float(x) for x in t.split(":")]
    except ValueError:
        parts = []
    if not parts or len(parts) > 3 or any(x < 0 for x in parts):
        raise ValueError(f"The moment {t!r} is not a time in the call; write it as m:ss (e.g. 2:15).")
    secs = 0.0
    for x in parts:
        secs = secs * 60 + x
    return secs


class SummaryPanel(QWidget):
    """A call's summary: timeline, metrics against targets, flagged utterances, coaching comments, wrap-up.

    Supervisors and trainers leave comments (or, with a moment, bookmarks) here: ``comment_requested``
    carries the text and the moment; the view stores it and shows the call again.
    """

    comment_requested = Signal(int, str, object)  # call id, text, seconds or None

    def __init__(self, parent: QWidget | None = None, can_comment: bool = True) -> None:
        super().__init__(parent)
        self.summary: CallSummary | None = None
        self.segments: list[tuple[str, float, float]] = []
        self.comments: list[rv.Comment] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Open a call to see its summary.")
        self.title.setObjectName("reviewSummaryTitle")
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        self.timeline = TimelineWidget()
        self.legend = QLabel("<span style='color:#2258c4'>■</span> agent &nbsp; "
                             "<span style='color:#1d7a46'>■</span> customer &nbsp; "
                             "<span style='color:#b42318'>■</span> overtalk &nbsp; "
                             "<span style='color:#b8bfc9'>■</span> silence over 3 s")
        self.legend.setText(self.legend.text() + " &nbsp; <span style='color:#e04f16'>▼</span> phrasing "
                            "flag &nbsp; <span style='color:#7a3fb0'>▼</span> bookmark")
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.comment_edit = QLineEdit()
        self.comment_edit.setObjectName("coachingComment")
        self.comment_edit.setPlaceholderText("Coaching comment for the agent…")
        self.at_edit = QLineEdit()
        self.at_edit.setPlaceholderText("at m:ss")
        self.at_edit.setToolTip("A moment of the call makes the comment a bookmark; click the timeline "
                                "to pick one. Empty: a comment on the whole call.")
        self.at_edit.setMaximumWidth(90)
        self.comment_button = QPushButton("Add comment")
        self.comment_row = QWidget()
        row = QHBoxLayout(self.comment_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.comment_edit, 1)
        row.addWidget(self.at_edit)
        row.addWidget(self.comment_button)
        lay.addWidget(self.title)
        lay.addWidget(self.timeline)
        lay.addWidget(self.legend)
        lay.addWidget(self.body, 1)
        lay.addWidget(self.comment_row)
        self._can_comment = can_comment
        self.timeline.hide()
        self.legend.hide()
        self.comment_row.hide()
        self.timeline.moment_picked.connect(self._moment_picked)
        self.comment_edit.returnPressed.connect(self._submit)
        self.comment_button.clicked.connect(self._submit)
        self.at_edit.textChanged.connect(lambda t: self.comment_button.setText(
            "Add bookmark" if t.strip() else "Add comment"))

    def show_summary(self, s: CallSummary, segments: list[tuple[str, float, float]],
                     comments: list[rv.Comment] | None = None) -> None:
        self.summary, self.segments, self.comments = s, segments, list(comments or [])
        kind = "Practice attempt" if s.kind == "practice" else "Call"
        self.title.setText(f"{kind} #{s.call_id}: {s.agent} with {s.customer or 'no customer on record'}")
        self.timeline.set_segments(segments, s.duration_s, timeline_marks(s, self.comments))
        self.timeline.show()
        self.legend.setVisible(bool(segments))
        self.body.setHtml(summary_html(s, heading=False, comments=self.comments))
        self.comment_row.setVisible(self._can_comment)

    def clear(self, text: str = "Open a call to see its summary.") -> None:
        self.summary = None
        self.comments = []
        self.title.setText(text)
        self.timeline.hide()
        self.legend.hide()
        self.comment_row.hide()
        self.body.clear()

    def _moment_picked(self, t: float) -> None:
        total = round(t)
        self.at_edit.setText(f"{total // 60}:{total % 60:02d}")
        self.comment_edit.setFocus()

    def _submit(self) -> None:
        if self.summary is None:
            return
        try:
            at = parse_moment(self.at_edit.text())
        except ValueError as e:
            messages.warning(str(e))
            return
        text = self.comment_edit.text().strip()
        if not text and at is None:
            messages.warning("Write a comment first (or give a moment of the call to bookmark it).")
            return
        self.comment_requested.emit(self.summary.call_id, text, at)


class DateField(QWidget):
    """A date you can type (``YYYY-MM-DD``, empty for no bound) or pick on a calendar that opens on the
    typed date, or on today. ``changed`` fires when the text is empty or a whole date, and when editing
    finishes (so a half-typed date is judged only when the user is done)."""

    changed = Signal()

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("any date")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(f"{what} date, inclusive, as YYYY-MM-DD (your local calendar); empty for no "
                             "bound")
        self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("2026-12-31") + 44)
        self.button = QToolButton()
        self.button.setText("▾")
        self.button.setToolTip("Pick the date on a calendar")
        self.calendar = QCalendarWidget(self)
        self.calendar.setWindowFlags(Qt.WindowType.Popup)
        self.calendar.setGridVisible(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.edit)
        lay.addWidget(self.button)
        self.button.clicked.connect(self.open_calendar)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        self.edit.textChanged.connect(self._text_changed)
        self.edit.editingFinished.connect(self.changed.emit)

    def text(self) -> str:
        return self.edit.text().strip()

    def setDate(self, d: QDate | date | None) -> None:
        if d is None:
            self.edit.setText("")
            return
        qd = d if isinstance(d, QDate) else QDate(d.year, d.month, d.day)
        self.edit.setText(qd.toString("yyyy-MM-dd"))

    def _text_changed(self, text: str) -> None:
        t = text.strip()
        if not t or QDate.fromString(t, "yyyy-MM-dd").isValid():
            self.changed.emit()

    def open_calendar(self) -> None:
        typed = QDate.fromString(self.text(), "yyyy-MM-dd")
        d = typed if typed.isValid() else QDate.currentDate()
        self.calendar.setSelectedDate(d)
        self.calendar.setCurrentPage(d.year(), d.month())
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, d: QDate) -> None:
        self.calendar.hide()
        self.setDate(d)


class ReviewView(QWidget):
    """Filter bar, the lazy table and the selected call's summary."""

    summary_shown = Signal(int)  # call id
    summary_cleared = Signal(int)  # call id the filter removed
    comment_added = Signal(int)  # call id
    csv_written = Signal(str)
    pdf_written = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        s = services.settings
        self._profile = s.profile if s.profile in ("agent", "supervisor", "trainer") else "agent"
        self.model = ReviewModel(services, self)
        self._pending_call = 0

        # -- filter bar
        self.agent_combo = QComboBox()
        self.agent_combo.addItem("All agents", None)
        self.date_from = DateField("First")
        self.date_to = DateField("Last")
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText("Customer name or phone")
        self.customer_edit.setClearButtonEnabled(True)
        self.above_box = QCheckBox(f"Above {s.talk_target * 100:.0f}% target")
        self.flag_combo = QComboBox()
        self.flag_combo.addItem("Any flags or none", None)
        for cat in rv.FLAG_CATEGORIES:
            self.flag_combo.addItem(f"Has {rv.FLAG_LABELS[cat].lower()} flags", cat)
        self.kind_combo = QComboBox()
        for label, kind in (("Calls and practice", None), ("Calls", "call"), ("Practice attempts", "practice")):
            self.kind_combo.addItem(label, kind)
        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        self.problem_label = QLabel("")
        self.problem_label.setStyleSheet("color: #b42318")
        self.csv_button = QPushButton("Export CSV…")
        self.pdf_button = QPushButton("PDF of this call…")
        self.pdf_button.setEnabled(False)

        bar = QHBoxLayout()
        for w in (self.agent_combo, QLabel("From"), self.date_from, QLabel("to"), self.date_to,
                  self.customer_edit, self.above_box, self.flag_combo, self.kind_combo):
            bar.addWidget(w)
        bar.addStretch(1)
        bar2 = QHBoxLayout()
        bar2.addWidget(self.count_label)
        bar2.addWidget(self.problem_label, 1)
        bar2.addWidget(self.csv_button)
        bar2.addWidget(self.pdf_button)

        # -- table + summary
        self.table = QTableView()
        self.table.setObjectName("reviewTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(VISIBLE.index("started_at"),
                                                       Qt.SortOrder.DescendingOrder)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring: cheap scrolling
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        stamp = self.fontMetrics().horizontalAdvance("2026-12-31 23:59") + 24
        for i, key in enumerate(VISIBLE):
            width = {"agent": 140, "customer": 150, "started_at": stamp, "outcome": 150,
                     "overtalk_s": 100}.get(key, 46)
            # never narrower than the header needs, its title and the sort arrow (the style measures it:
            # "Talk ratio (≤ 30%)" was clipped to "alk ratio" at a fixed width)
            hh.resizeSection(i, max(width, hh.sectionSizeHint(i) + 6))
        self.summary = SummaryPanel(can_comment=self._profile in ("supervisor", "trainer"))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.summary)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(bar)
        lay.addLayout(bar2)
        lay.addWidget(split, 1)

        # -- profile
        if self._profile == "agent":
            self.agent_combo.setEnabled(False)
            self.agent_combo.setToolTip("The agent profile shows only your own calls.")
        if self._profile == "trainer":
            self.kind_combo.setCurrentIndex(2)

        # -- wiring
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.apply_filters)
        self.customer_edit.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.agent_combo, self.flag_combo, self.kind_combo):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.above_box.toggled.connect(lambda _b: self.apply_filters())
        self.date_from.changed.connect(self.apply_filters)
        self.date_to.changed.connect(self.apply_filters)
        self.summary.comment_requested.connect(self.add_comment)
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.open_call(self.model.call_id(cur.row())) if cur.isValid() else None)
        self.table.activated.connect(lambda idx: self.open_call(self.model.call_id(idx.row())))
        self.model.page_loaded.connect(self._page_loaded)
        self.model.modelReset.connect(lambda: self.count_label.setText("Loading…"))
        self.csv_button.clicked.connect(self._ask_csv)
        self.pdf_button.clicked.connect(self._ask_pdf)
        services.data_changed.connect(self._data_changed)

        self._load_agents()
        self.apply_filters()

    # -- filters -------------------------------------------------------------------------------------------
    def _load_agents(self) -> None:
        def done(agents: list[tuple[int, str]]) -> None:
            own = self._services.settings.agent_id
            self.agent_combo.blockSignals(True)
            for aid, name in agents:
                self.agent_combo.addItem(name, aid)
            if self._profile == "agent":
                i = self.agent_combo.findData(own)
                if i < 0:
                    self.agent_combo.addItem(f"agent {own}", own)
                    i = self.agent_combo.count() - 1
                self.agent_combo.setCurrentIndex(i)
            self.agent_combo.blockSignals(False)

        self._services.db_call(rv.agents_with_calls, done)

    def current_filter(self) -> rv.ReviewFilter:
        """The filter the bar describes; ValueError (one line) for a malformed date or dates in the wrong
        order."""
        agent = self.agent_combo.currentData()
        if self._profile == "agent":
            agent = self._services.settings.agent_id  # never anyone else's calls
        d1, d2 = self.date_from.text() or None, self.date_to.text() or None
        a, b = rv.check_range(d1, d2)
        d1, d2 = (a.isoformat() if a else None), (b.isoformat() if b else None)
        return rv.ReviewFilter(
            agent_id=agent,
            date_from=d1,
            date_to=d2,
            customer=self.customer_edit.text().strip() or None,
            above_target=self.above_box.isChecked(),
            target=self._services.settings.talk_target,
            flag_category=self.flag_combo.currentData(),
            kind=self.kind_combo.currentData(),
        )

    def apply_filters(self) -> None:
        try:
            flt = self.current_filter()
        except ValueError as e:
            # keep showing the last good result; say what is wrong next to the filters
            self.problem_label.setText(str(e))
            messages.warning(str(e))
            return
        self.problem_label.setText("")
        self.model.set_filter(flt)
        self._services.db_call(lambda db: rv.review_count(db, flt),
                               lambda n: self._show_count(flt, n), lambda _e: None)
        shown = self.summary.summary
        if shown is not None:  # the detail pane follows the filter: a call it removed is closed
            cid = shown.call_id
            self._services.db_call(lambda db: rv.call_matches(db, flt, cid),
                                   lambda ok: self._still_shown(flt, cid, ok), lambda _e: None)

    def _still_shown(self, flt: rv.ReviewFilter, call_id: int, matches: bool) -> None:
        s = self.summary.summary
        if matches or flt != self.model.filter or s is None or s.call_id != call_id:
            return
        self.summary.clear(f"Call #{call_id} is not in the filtered list; open a call to see its summary.")
        self.pdf_button.setEnabled(False)
        self.summary_cleared.emit(call_id)

    def _show_count(self, flt: rv.ReviewFilter, n: int) -> None:
        if flt != self.model.filter:
            return
        if n == 0:
            self.count_label.setText("No finished calls match." if self.model.filter != rv.ReviewFilter(
                target=flt.target, agent_id=flt.agent_id, kind=flt.kind) else
                "No finished calls yet: calls appear here after wrap-up.")
        else:
            self.count_label.setText(f"{n:,} finished call{'s' if n != 1 else ''}")

    def _page_loaded(self, rows: int, more: bool) -> None:
        if self._pending_call:
            self._select_call(self._pending_call)

    def _data_changed(self, what: str) -> None:
        if what in ("calls", "call", "practice", "all", "demo"):
            self.apply_filters()

    # -- opening a call ---------------------------------------------------------------------------------
    def open_call(self, call_id: int) -> None:
        """Load the call's detail on the db lane and show its summary."""
        st = self._services.settings
        targets = Targets(talk_ratio=st.talk_target, monologue_s=st.monologue_cue_s)
        ts = TalkSettings(target=st.talk_target, silence_threshold_s=st.silence_threshold_s,
                          backchannel_max_s=st.backchannel_max_s, window_s=st.window_s)

        def load(db: Any) -> tuple[CallSummary, list[tuple[str, float, float]], list[rv.Comment]]:
            d = rv.call_detail(db, call_id)
            return summarize_detail(d, targets, ts), list(d.segments), list(d.comments)

        def done(result: tuple[CallSummary, list[tuple[str, float, float]], list[rv.Comment]]) -> None:
            s, segs, comments = result
            self.summary.show_summary(s, segs, comments)
            self.pdf_button.setEnabled(True)
            self.summary_shown.emit(call_id)

        self._services.db_call(load, done)

    def add_comment(self, call_id: int, text: str, at_s: float | None) -> None:
        """Store a coaching comment (a bookmark when ``at_s`` is given) and show the call again."""
        st = self._services.settings

        def done(_cid: int) -> None:
            self.summary.comment_edit.clear()
            self.summary.at_edit.clear()
            self.comment_added.emit(call_id)
            self.open_call(call_id)

        def failed(e: BaseException) -> None:
            messages.error(f"The comment was not saved: {messages.describe(e)}")

        self._services.db_call(lambda db: rv.add_comment(db, call_id, text, at_s=at_s,
                                                         author_id=st.agent_id), done, failed)

    def show_call(self, call_id: int) -> None:
        """Open a call from elsewhere (Trends): select it if it is loaded and show its summary."""
        self._pending_call = call_id
        self._select_call(call_id)
        self.open_call(call_id)

    def _select_call(self, call_id: int) -> None:
        for r in range(self.model.rowCount()):
            if self.model.call_id(r) == call_id:
                self._pending_call = 0
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)
                self.table.scrollTo(self.model.index(r, 0))
                return

    # -- exports -------------------------------------------------------------------------------------------
    def _ask_csv(self) -> None:
        name = f"calls-{date.today().isoformat()}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export the filtered calls", name, "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> None:
        """Write every row of the current filter (not just the loaded ones) to ``path``, on the db lane."""
        flt, sort, desc = self.model.filter, self.model._sort, self.model._desc

        def done(n: int) -> None:
            messages.info(f"Exported {n:,} calls to {path}.")
            self.csv_written.emit(str(path))

        self._services.db_call(lambda db: rv.export_csv(db, flt, Path(path), sort, desc), done)

    def _ask_pdf(self) -> None:
        s = self.summary.summary
        if s is None:
            messages.warning("Open a call first; the PDF is that call's summary.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the call's report", f"call-{s.call_id}.pdf",
                                              "PDF (*.pdf)")
        if path:
            self.export_pdf(path)

    def export_pdf(self, path: str | Path) -> None:
        """The open call's summary as a PDF (Qt's PDF writer; rendering is Qt work, so on this thread)."""
        s = self.summary.summary
        if s is None:
            messages.warning("Open a call first; the PDF is that call's summary.")
            return
        try:
            write_call_report(path, s, self.summary.segments, self.summary.comments)
        except OSError as e:
            messages.error(str(e))
            return
        messages.info(f"Saved the report of call #{s.call_id} to {path}.")
        self.pdf_written.emit(str(path))


class ReviewPage(QTabWidget):
    """The Review tab of the main window: Calls (table + summary) and Trends."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from agent_assist.ui.review.trends import TrendsView

        self.setDocumentMode(True)
        self.calls = ReviewView(services)
        self.trends = TrendsView(services)
        self.addTab(self.calls, "Calls")
        self.addTab(self.trends, "Trends")
        self.trends.open_call.connect(self._open_from_trends)

    def _open_from_trends(self, call_id: int) -> None:
        self.setCurrentWidget(self.calls)
        self.calls.show_call(call_id)
