"""The Review tab: every finished call and practice attempt, filtered and sorted, and a call's summary.

``ReviewModel`` is a lazy table model: it fetches pages of ``store.review.PAGE_SIZE`` rows on the db lane
when the view asks (``canFetchMore``/``fetchMore``) and appends them when they arrive, so neither opening
the tab nor scrolling through 100,000 calls ever waits on SQLite in the GUI thread. Sorting and filtering
restart the query; answers to an outdated query are dropped (a generation counter).

Profiles: the *agent* profile shows only the agent's own calls (the agent filter is fixed), the
*supervisor* sees everyone, the *trainer* starts on practice attempts.

Why this file is over 400 lines: the Review view: filter bar, table, detail and transcript wiring; its
model, detail and date field live beside it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDate,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
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
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach import flags as flag_vocab
from agent_assist.coach.summary import CallSummary, Targets, summarize_detail
from agent_assist.coach.talk import TalkSettings
from agent_assist.store import review as rv
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.detail import SummaryPanel
from agent_assist.ui.review.report_pdf import (
    write_call_report,
)
from agent_assist.ui.review.table_model import VISIBLE, ReviewModel
from agent_assist.workflows.review_source import ReviewSource


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

    summary_shown = Signal(object)  # call id (int; a uuid string in team mode)
    summary_cleared = Signal(int)  # call id the filter removed
    comment_added = Signal(int)  # call id
    csv_written = Signal(str)
    pdf_written = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None,
                 source: ReviewSource | None = None) -> None:
        super().__init__(parent)
        self._services = services
        s = services.settings
        self._profile = s.profile if s.profile in ("agent", "supervisor", "trainer") else "agent"
        self.model = ReviewModel(services, self, source=source)
        self.source = self.model.source
        self.team_mode = self.source.lane != "db"
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
            self.flag_combo.addItem(f"Has {flag_vocab.label(cat).lower()} flags", cat)
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

        # team mode: which team, and the outcome (the floor is big enough to need both)
        self.team_combo = QComboBox()
        self.team_combo.addItem("All teams", None)
        self.outcome_combo = QComboBox()
        self.outcome_combo.addItem("Any outcome", None)
        bar = QHBoxLayout()
        if self.team_mode:
            bar.addWidget(self.team_combo)
        for w in (self.agent_combo, QLabel("From"), self.date_from, QLabel("to"), self.date_to,
                  self.customer_edit, self.above_box, self.flag_combo, self.kind_combo):
            bar.addWidget(w)
        if self.team_mode:
            bar.addWidget(self.outcome_combo)
        bar.addStretch(1)
        bar2 = QHBoxLayout()
        self.source_label = QLabel(self.source.label)
        self.source_label.setObjectName("muted")
        if self.team_mode:
            from agent_assist.workflows.team_sync import CONFLICT_RULE

            self.source_label.setText(f"{self.source.label} · edits on two desks: the later one wins")
            self.source_label.setToolTip(f"Team mode: every agent of your teams. {CONFLICT_RULE}")
        bar2.addWidget(self.source_label)
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
        for combo in (self.agent_combo, self.flag_combo, self.kind_combo, self.team_combo, self.outcome_combo):
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
        bus = services.events
        for signal in (bus.call_changed, bus.practice_changed, bus.database_replaced):
            signal.connect(self._data_changed)

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

        self.model.query(self.source.agents, done, self._query_failed)
        if self.team_mode:
            self.model.query(self.source.filter_choices, self._fill_choices, lambda _e: None)

    def _fill_choices(self, choices: tuple[list[str], list[str]]) -> None:
        teams, outcomes = choices
        for combo, values in ((self.team_combo, teams), (self.outcome_combo, outcomes)):
            combo.blockSignals(True)
            for v in values:
                combo.addItem(v, v)
            combo.blockSignals(False)

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
            outcome=self.outcome_combo.currentData(),
            team=self.team_combo.currentData(),
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
        src = self.source
        self.model.query(lambda db: src.count(db, flt), lambda n: self._show_count(flt, n), lambda _e: None)
        shown = self.summary.summary
        if shown is not None and not self.team_mode:  # the detail pane follows the filter
            cid = shown.call_id
            self._services.db_call(lambda db: rv.call_matches(db, flt, cid),
                                   lambda ok: self._still_shown(flt, cid, ok), lambda _e: None)

    def _query_failed(self, e: BaseException) -> None:
        text = messages.describe(e)
        self.problem_label.setText(text)
        messages.warning(text)

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

    def _data_changed(self, _event: ev.Event) -> None:
        self.apply_filters()

    # -- opening a call ---------------------------------------------------------------------------------
    def open_call(self, call_id: Any) -> None:
        """Load the call's detail on the db lane and show its summary."""
        st = self._services.settings
        targets = Targets(talk_ratio=st.talk_target, monologue_s=st.monologue_cue_s)
        ts = TalkSettings(target=st.talk_target, silence_threshold_s=st.silence_threshold_s,
                          backchannel_max_s=st.backchannel_max_s, window_s=st.window_s)

        src = self.source

        def load(db: Any) -> tuple[CallSummary, list[tuple[str, float, float]], list[rv.Comment]]:
            d = src.call_detail(db, call_id)
            return summarize_detail(d, targets, ts), list(d.segments), list(getattr(d, "comments", ()))

        def done(result: tuple[CallSummary, list[tuple[str, float, float]], list[rv.Comment]]) -> None:
            s, segs, comments = result
            self.summary.show_summary(s, segs, comments)
            self.pdf_button.setEnabled(True)
            self.summary_shown.emit(call_id)

        self.model.query(load, done, self._query_failed)

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

    def show_call(self, call_id: Any) -> None:
        """Open a call from elsewhere (Trends): select it if it is loaded and show its summary."""
        self._pending_call = call_id
        self._select_call(call_id)
        self.open_call(call_id)

    def _select_call(self, call_id: Any) -> None:
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

        src = self.source
        self.model.query(lambda db: src.export_csv(db, flt, Path(path), sort, desc), done)

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

    def __init__(self, services: Services, parent: QWidget | None = None,
                 source: ReviewSource | None = None) -> None:
        super().__init__(parent)
        from agent_assist.ui.review.trends import TrendsView

        self.setDocumentMode(True)
        self.calls = ReviewView(services, source=source)
        self.trends = TrendsView(services, source=source)
        self.addTab(self.calls, "Calls")
        self.addTab(self.trends, "Trends")
        self.trends.open_call.connect(self._open_from_trends)

    def _open_from_trends(self, call_id: Any) -> None:
        self.setCurrentWidget(self.calls)
        self.calls.show_call(call_id)
