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
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
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
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import CallSummary, Targets, fmt_duration, summarize_detail
from agent_assist.coach.talk import TalkSettings
from agent_assist.store import review as rv
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.report_pdf import paint_timeline, summary_html, write_call_report

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
MIN_DATE = QDate(2000, 1, 1)


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
        if v is None:
            return "—" if key not in ("customer", "outcome") else ""
        if key == "kind":
            return "Practice" if v == "practice" else "Call"
        if key == "started_at":
            return str(v)[:16].replace("T", " ")
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
        if key == "talk_ratio" and v is not None:
            return _C_RED if v > t else (_C_AMBER if v > t - 0.05 else _C_GREEN)
        if (key.startswith("flags_") or key == "open_tasks") and v == 0:
            return _C_FAINT
        if key.startswith("flags_") and v:
            return _C_RED
        return 0


class TimelineWidget(QWidget):
    """Two lanes (agent above, customer below) from stored speech segments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments: list[tuple[str, float, float]] = []
        self._duration: float | None = None
        self.setMinimumHeight(72)

    def set_segments(self, segments: list[tuple[str, float, float]], duration_s: float | None) -> None:
        self._segments, self._duration = list(segments), duration_s
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 84)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self._segments:
            paint_timeline(p, QRectF(self.rect()).adjusted(4, 4, -4, -2), self._segments, self._duration)
        else:
            p.setPen(FAINT)
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "No speech recorded")
        p.end()


class SummaryPanel(QWidget):
    """A call's summary: timeline, metrics against targets, flagged utterances, wrap-up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: CallSummary | None = None
        self.segments: list[tuple[str, float, float]] = []
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
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        lay.addWidget(self.title)
        lay.addWidget(self.timeline)
        lay.addWidget(self.legend)
        lay.addWidget(self.body, 1)
        self.timeline.hide()
        self.legend.hide()

    def show_summary(self, s: CallSummary, segments: list[tuple[str, float, float]]) -> None:
        self.summary, self.segments = s, segments
        kind = "Practice attempt" if s.kind == "practice" else "Call"
        self.title.setText(f"{kind} #{s.call_id}: {s.agent} with {s.customer or 'no customer on record'}")
        self.timeline.set_segments(segments, s.duration_s)
        self.timeline.show()
        self.legend.setVisible(bool(segments))
        self.body.setHtml(summary_html(s, heading=False))

    def clear(self, text: str = "Open a call to see its summary.") -> None:
        self.summary = None
        self.title.setText(text)
        self.timeline.hide()
        self.legend.hide()
        self.body.clear()


class ReviewView(QWidget):
    """Filter bar, the lazy table and the selected call's summary."""

    summary_shown = Signal(int)  # call id
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
        self.date_from = self._date_edit("From")
        self.date_to = self._date_edit("To")
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
        fm = self.fontMetrics()
        for i, key in enumerate(VISIBLE):
            title = rv.COLUMNS[_pos(i)].title
            width = {"agent": 140, "customer": 150, "started_at": 150, "outcome": 130, "talk_ratio": 124,
                     "overtalk_s": 100, "duration_s": 70}.get(key)
            hh.resizeSection(i, width or max(46, fm.horizontalAdvance(title) + 26))
        self.summary = SummaryPanel()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        from agent_assist.ui.review.transcript import TranscriptPane

        # the open call's transcript beside its summary and timeline (follows summary_shown)
        self.transcript = TranscriptPane(services, self)
        detail = QSplitter(Qt.Orientation.Horizontal)
        detail.addWidget(self.summary)
        detail.addWidget(self.transcript)
        detail.setStretchFactor(0, 3)
        detail.setStretchFactor(1, 2)
        split.addWidget(detail)
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
        self.date_from.dateChanged.connect(lambda _d: self.apply_filters())
        self.date_to.dateChanged.connect(lambda _d: self.apply_filters())
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
    def _date_edit(self, what: str) -> QDateEdit:
        e = QDateEdit()
        e.setCalendarPopup(True)
        e.setDisplayFormat("yyyy-MM-dd")
        e.setMinimumDate(MIN_DATE)
        e.setSpecialValueText("any")  # shown at the minimum date: no bound
        e.setDate(MIN_DATE)
        e.setToolTip(f"{what} date (inclusive); 'any' for no bound")
        return e

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

    @staticmethod
    def _iso(e: QDateEdit) -> str | None:
        d = e.date()
        return None if d == MIN_DATE else d.toString("yyyy-MM-dd")

    def current_filter(self) -> rv.ReviewFilter:
        """The filter the bar describes; ValueError (one line) for dates in the wrong order."""
        agent = self.agent_combo.currentData()
        if self._profile == "agent":
            agent = self._services.settings.agent_id  # never anyone else's calls
        d1, d2 = self._iso(self.date_from), self._iso(self.date_to)
        rv.check_range(d1, d2)
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

        def load(db: Any) -> tuple[CallSummary, list[tuple[str, float, float]]]:
            d = rv.call_detail(db, call_id)
            return summarize_detail(d, targets, ts), list(d.segments)

        def done(result: tuple[CallSummary, list[tuple[str, float, float]]]) -> None:
            s, segs = result
            self.summary.show_summary(s, segs)
            self.pdf_button.setEnabled(True)
            self.summary_shown.emit(call_id)

        self._services.db_call(load, done)

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
            write_call_report(path, s, self.summary.segments)
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
