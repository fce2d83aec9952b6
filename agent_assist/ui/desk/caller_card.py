"""The caller card: search, profile, retention cues, open issues with age vs target, history timeline.

Keyboard first: Ctrl+K or "/" puts the cursor in the search box, Up/Down move through the hits, Enter
opens the selected (or top) hit, Esc clears the search. A call (``services.call_requested``) pops the card
of the caller, or the "New caller" form for an unknown number. Every read runs on the db lane; results
come back as the store's frozen records and are dropped if a newer request was made meanwhile.

Why this file is over 400 lines: the card and its three tables share one request generation counter and the
search box's keyboard flow; split, they would need a shared state object for no gain.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.retention import relationship_words
from agent_assist.store import queries
from agent_assist.store.models import CallerCard, SearchHit
from agent_assist.store.phones import pretty, try_e164
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.card_models import (
    RECORD_ROLE,
    HistoryFilterProxy,
    HistoryModel,
    IssuesProxy,
    OpenIssuesModel,
    SearchResultsModel,
    format_date,
    in_the_future,
)
from agent_assist.ui.desk.new_caller import NewCallerForm

HISTORY_LIMIT = 50
MAX_CUES_COLLAPSED = 3  # more would push the open issues off the screen; the rest are one click away
SEARCH_DELAY_MS = 120
CHANNEL_PREFS = {"phone": "Phone", "email": "E-mail", "sms": "SMS", "chat": "Chat"}


class Cue(Protocol):
    """What :meth:`CallerCardWidget.set_cues` needs of a retention cue (coach.retention owns the type;
    ``weight`` ranks the cues when it is there)."""

    severity: str  # info | warn | alert, shown as info | watch | act
    why: str
    action: str


SEVERITY_TAGS = {"alert": "ACT", "warn": "WATCH", "info": "INFO"}


def relationship_length(since: str | None, today: date | None = None) -> str:
    """'6 years', '4 years 2 months', '8 months', 'new this month' ('' when unknown or impossible)."""
    if not since:
        return ""
    try:
        start = date.fromisoformat(since[:10])
        return relationship_words(start, today or datetime.now(UTC).date())
    except ValueError:
        return ""  # not a date, or in the future: the header says it is a data error


def _panel(title: str) -> tuple[QFrame, QVBoxLayout, QHBoxLayout]:
    frame = QFrame()
    frame.setObjectName("panel")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(12, 10, 12, 8)
    lay.setSpacing(6)
    head = QHBoxLayout()
    label = QLabel(title.upper())
    label.setObjectName("panelTitle")
    head.addWidget(label)
    head.addStretch(1)
    lay.addLayout(head)
    return frame, lay, head


def _table(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(30)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return view


class _ProfileHeader(QFrame):
    """Name, segment, open-issue badge and the profile facts; reports its first paint with data."""

    painted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("profileHeader")
        self.name = QLabel()
        self.name.setObjectName("customerName")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.segment = QLabel()
        self.segment.setObjectName("segmentChip")
        self.issues_badge = QLabel()
        self.issues_badge.setObjectName("issueBadge")
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.name)
        top.addWidget(self.segment, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.issues_badge, 0, Qt.AlignmentFlag.AlignVCenter)

        self.fields: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(2)
        for col, (key, title) in enumerate((("phone", "PHONE"), ("email", "E-MAIL"),
                                            ("since", "CUSTOMER SINCE"), ("prefers", "PREFERS"))):
            k = QLabel(title)
            k.setObjectName("profileKey")
            v = QLabel()
            v.setObjectName("profileValue")
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = v
            grid.addWidget(k, 0, col)
            grid.addWidget(v, 1, col)
        grid.setColumnStretch(4, 1)
        # where the customer is and their notes, in full (what the last agent wanted the next one to
        # know); one wrapping line under the facts, so a long note never widens the card
        self.notes = QLabel()
        self.notes.setObjectName("customerNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.setSpacing(10)
        lay.addLayout(top)
        lay.addLayout(grid)
        lay.addWidget(self.notes)
        self.has_data = False

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.has_data:
            self.painted.emit()


class CallerCardWidget(QWidget):
    """Search + the caller's card. ``services.call_requested`` pops a caller; ``set_cues`` adds cues."""

    card_shown = Signal(object)  # CallerCard, after it is on screen (retention cues hook here)
    customer_changed = Signal(int)  # customer id, 0 when no customer is shown
    state_changed = Signal()  # anything a test or the state file cares about changed
    first_data_paint = Signal()  # the first time a card with data was painted

    EMPTY, RESULTS, CARD, NEW, LOADING = "empty", "results", "card", "new", "loading"

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callerCard")
        self._services = services
        self._current: CallerCard | None = None
        self._mode = self.EMPTY
        self._back_mode = self.EMPTY  # where Esc returns from the results list
        self._request = 0  # bumped by every card/search request; older answers are dropped
        self._search_seq = 0
        self._open_top_when_ready = False
        self._painted_once = False
        self._cues: list[Any] = []

        # search
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search by phone, name, e-mail or issue   (Ctrl+K or /)")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.search.textEdited.connect(self._search_edited)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)

        self.stack = QStackedWidget()

        # empty / loading page
        self.empty_page = QWidget()
        el = QVBoxLayout(self.empty_page)
        el.addStretch(2)
        self.empty_title = QLabel("Waiting for a call")
        self.empty_title.setObjectName("emptyTitle")
        self.empty_hint = QLabel("An incoming call opens the caller's card here.\n"
                                 "Press Ctrl+K or / to look someone up by phone, name, e-mail or issue.")
        self.empty_hint.setObjectName("emptyHint")
        for w in (self.empty_title, self.empty_hint):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            w.setWordWrap(True)
            el.addWidget(w)
        el.addStretch(3)
        self.stack.addWidget(self.empty_page)

        # results page
        self.results_model = SearchResultsModel(self)
        self.results = QListView()
        self.results.setObjectName("searchResults")
        self.results.setModel(self.results_model)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setUniformItemSizes(False)
        self.results.activated.connect(self._open_index)
        self.results.clicked.connect(self._open_index)
        self.results.installEventFilter(self)
        self.results_status = QLabel()
        self.results_status.setObjectName("emptyHint")
        self.results_page = QWidget()
        rl = QVBoxLayout(self.results_page)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.results_status)
        rl.addWidget(self.results, 1)
        self.stack.addWidget(self.results_page)

        # card page
        self.header = _ProfileHeader()
        self.header.painted.connect(self._header_painted)
        self.cues_strip = QWidget()
        self.cues_strip.setObjectName("cuesStrip")
        strip = QVBoxLayout(self.cues_strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(4)
        self._cues_layout = QVBoxLayout()
        self._cues_layout.setSpacing(4)
        strip.addLayout(self._cues_layout)
        self.more_cues = QPushButton()
        self.more_cues.setObjectName("linkButton")
        self.more_cues.setFlat(True)
        self.more_cues.setCursor(Qt.CursorShape.PointingHandCursor)
        self.more_cues.clicked.connect(self._toggle_cues)
        strip.addWidget(self.more_cues, 0, Qt.AlignmentFlag.AlignLeft)
        self._cues_expanded = False
        self.cues_strip.setVisible(False)

        self.issues_model = OpenIssuesModel(self)
        self.issues_proxy = IssuesProxy(self)
        self.issues_proxy.setSourceModel(self.issues_model)
        self.issues_view = _table(self.issues_proxy)
        self.issues_view.setSortingEnabled(True)
        self.issues_view.sortByColumn(OpenIssuesModel.AGE, Qt.SortOrder.DescendingOrder)
        ih = self.issues_view.horizontalHeader()
        ih.setSectionResizeMode(OpenIssuesModel.TITLE, QHeaderView.ResizeMode.Stretch)
        for c in (OpenIssuesModel.SEVERITY, OpenIssuesModel.OPENED, OpenIssuesModel.AGE,
                  OpenIssuesModel.REOPENED):
            ih.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.issues_panel, il, self._issues_head = _panel("Open issues")
        self.issues_count = QLabel()
        self.issues_count.setObjectName("panelCount")
        self._issues_head.insertWidget(1, self.issues_count)
        self.no_issues = QLabel("No open issues.")
        self.no_issues.setObjectName("emptyHint")
        il.addWidget(self.no_issues)
        il.addWidget(self.issues_view, 1)

        self.history_model = HistoryModel(self)
        self.history_proxy = HistoryFilterProxy(self)
        self.history_proxy.setSourceModel(self.history_model)
        self.history_view = _table(self.history_proxy)
        hh = self.history_view.horizontalHeader()
        hh.setSectionResizeMode(HistoryModel.SUMMARY, QHeaderView.ResizeMode.Stretch)
        for c in (HistoryModel.WHEN, HistoryModel.CHANNEL, HistoryModel.AMOUNT):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.history_panel, hl, head = _panel("History")
        self.history_count = QLabel()
        self.history_count.setObjectName("panelCount")
        head.insertWidget(1, self.history_count)
        self.channel_filter = QComboBox()
        self.channel_filter.setAccessibleName("Show channel")
        for label, kind in (("All channels", ""), ("Calls", "call"), ("E-mails", "email"),
                            ("Chats", "chat"), ("SMS", "sms"), ("Orders", "order"),
                            ("Coaching", "coaching")):
            self.channel_filter.addItem(label, kind)
        self.channel_filter.currentIndexChanged.connect(self._filter_history)
        head.addWidget(self.channel_filter)
        hl.addWidget(self.history_view, 1)

        self.card_split = QSplitter(Qt.Orientation.Vertical)
        self.card_split.setChildrenCollapsible(False)
        self.card_split.addWidget(self.issues_panel)
        self.card_split.addWidget(self.history_panel)
        self.card_split.setStretchFactor(0, 2)
        self.card_split.setStretchFactor(1, 5)

        self.card_page = QWidget()
        cl = QVBoxLayout(self.card_page)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(8)
        cl.addWidget(self.header)
        cl.addWidget(self.cues_strip)
        cl.addWidget(self.card_split, 1)
        self.stack.addWidget(self.card_page)

        # new caller page
        self.new_caller = NewCallerForm(services)
        self.new_caller.created.connect(self.open_customer)
        self.new_caller.cancelled.connect(self._new_caller_cancelled)
        self.stack.addWidget(self.new_caller)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.new_caller, self.new_caller.cancel,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        lay.addWidget(self.search)
        lay.addWidget(self.stack, 1)

        for key in (QKeySequence("Ctrl+K"), QKeySequence("/")):
            QShortcut(key, self, self.focus_search, context=Qt.ShortcutContext.WindowShortcut)

        services.call_requested.connect(self.show_call)
        bus = services.events
        for signal in (bus.call_changed, bus.tasks_changed, bus.customers_changed, bus.flags_changed,
                       bus.database_replaced):
            signal.connect(self._data_changed)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(300)
        self._reload_timer.timeout.connect(self._reload)
        self._set_mode(self.EMPTY)

    # -- public API --------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @property
    def current(self) -> CallerCard | None:
        return self._current

    def state(self) -> dict[str, Any]:
        c = self._current.customer if self._current and self._mode == self.CARD else None
        return {
            "mode": self._mode,
            "customer_id": c.id if c else 0,
            "customer": c.name if c else "",
            "phone": c.phone_e164 if c else "",
            "new_caller_phone": self.new_caller.phone.text() if self._mode == self.NEW else "",
            "search": self.search.text(),
            "results": len(self.results_model.hits()),
            "cues": len(self._cues),
        }

    def focus_search(self) -> None:
        """Bring the card to front (its tab, if any) and put the cursor in the search box."""
        child: QWidget = self
        parent = self.parentWidget()
        while parent is not None:
            tabs = parent.parentWidget()
            if isinstance(tabs, QTabWidget) and tabs.indexOf(child) >= 0:
                tabs.setCurrentWidget(child)
            child, parent = parent, parent.parentWidget()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def show_call(self, e164: str) -> None:
        """A call from ``e164``: the caller's card, or the new-caller form for an unknown number."""
        if not e164:
            return
        req = self._next_request()
        self._clear_search()
        self.empty_title.setText(f"Incoming call  {pretty(e164)}")
        self.empty_hint.setText("Looking up the caller…")
        self._set_mode(self.LOADING)
        region = self._services.settings.default_region

        def done(card: CallerCard | None) -> None:
            if req != self._request:
                return
            if card is None:
                self.start_new_caller(e164)
            else:
                self._show_card(card)

        self._services.db_call(
            lambda db: queries.screen_pop(db, e164, region, history_limit=HISTORY_LIMIT),
            done, lambda e: self._failed(req, e))

    def show_caller(self, card: CallerCard | None, e164: str | None, label: str) -> None:
        """A ringing call whose card the call workflow already read: no second lookup.

        ``card`` None: the new-caller form for an unknown number, or an "unknown caller" page when the
        number is withheld (``e164`` None).
        """
        self._next_request()
        self._clear_search()
        if card is not None:
            self._show_card(card)
        elif e164:
            self.start_new_caller(e164)
        else:
            self._current = None
            self.header.has_data = False
            self._set_mode(self.EMPTY)
            self.empty_title.setText(f"Incoming call  {label or 'Unknown caller'}")
            self.empty_hint.setText("The number is withheld or not a phone number.\n"
                                    "Press Ctrl+K or / to look the caller up by name, e-mail or issue.")
            self.customer_changed.emit(0)

    def open_customer(self, customer_id: int) -> None:
        req = self._next_request()

        def done(card: CallerCard) -> None:
            if req == self._request:
                self._show_card(card)

        self._services.db_call(lambda db: queries.caller_card(db, customer_id, HISTORY_LIMIT),
                               done, lambda e: self._failed(req, e))

    def start_new_caller(self, phone: str = "") -> None:
        self._current = None
        self.header.has_data = False
        self.new_caller.start(phone)
        self._set_mode(self.NEW)
        self.customer_changed.emit(0)

    def set_cues(self, cues: Sequence[Cue]) -> None:
        """Show retention cues (severity info|warn|alert, why, action); none hides the strip."""
        while self._cues_layout.count():
            item = self._cues_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # out of the strip now, not at the next event-loop turn
                widget.deleteLater()
        # the heaviest first (a competitor mention before an anniversary), so the collapsed strip shows
        # what matters; cues without a weight go by severity
        rank = {"alert": 0, "warn": 1, "info": 2}
        self._cues = sorted(cues, key=lambda c: (-int(getattr(c, "weight", 0)), rank.get(c.severity, 3)))
        for cue in self._cues:
            severity = cue.severity if cue.severity in ("info", "warn", "alert") else "info"
            tag = SEVERITY_TAGS[severity]
            label = QLabel(f"<span style='font-size:8pt; letter-spacing:1px'>{tag}</span>&nbsp; "
                           f"<b>{html.escape(cue.why)}</b>"
                           + (f"&nbsp;&nbsp;→&nbsp;{html.escape(cue.action)}" if cue.action else ""))
            label.setObjectName("cue")
            label.setProperty("severity", severity)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAccessibleName(f"{tag.lower()}: {cue.why}. {cue.action}")
            self._cues_layout.addWidget(label)
        self._cues_expanded = False
        self._update_cues()
        self.cues_strip.setVisible(bool(self._cues))
        self.state_changed.emit()

    def _toggle_cues(self) -> None:
        self._cues_expanded = not self._cues_expanded
        self._update_cues()

    def _update_cues(self) -> None:
        hidden = max(0, len(self._cues) - MAX_CUES_COLLAPSED)
        for i in range(self._cues_layout.count()):
            item = self._cues_layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setVisible(self._cues_expanded or i < MAX_CUES_COLLAPSED)
        self.more_cues.setVisible(hidden > 0)
        self.more_cues.setText("Show fewer cues" if self._cues_expanded
                               else f"Show {hidden} more cue{'s' if hidden != 1 else ''}")

    def cue_texts(self) -> list[str]:
        return [f"{c.why} → {c.action}" if c.action else c.why for c in self._cues]

    # -- search ------------------------------------------------------------------------------------
    def _search_edited(self, text: str) -> None:
        if not text.strip():
            self._search_timer.stop()
            self._search_seq += 1
            self.results_model.set_hits([])
            self._set_mode(self._back_mode)
            return
        self._search_timer.start()

    def _run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        self._search_seq += 1
        seq = self._search_seq
        region = self._services.settings.default_region
        if self._mode != self.RESULTS:
            self._back_mode = self._mode if self._mode in (self.CARD, self.EMPTY, self.NEW) else self.EMPTY
        self._services.db_call(lambda db: queries.search(db, text, region, limit=50),
                               lambda hits: self._show_hits(seq, text, hits),
                               lambda e: self._search_failed(seq, e))

    def _show_hits(self, seq: int, text: str, hits: list[SearchHit]) -> None:
        if seq != self._search_seq or not self.search.text().strip():
            return
        self.results_model.set_hits(hits)
        phone = try_e164(text, self._services.settings.default_region) if not hits else None
        if hits:
            n = len(hits)
            self.results_status.setText(f"{n}{'+' if n >= 50 else ''} customer{'s' if n != 1 else ''}"
                                        "   ·   ↑↓ to choose, Enter to open, Esc to clear")
            self.results.setCurrentIndex(self.results_model.index(0, 0))
        elif phone:
            self.results_status.setText(f"No customer with {pretty(phone)}.   "
                                        "Press Enter to add them as a new caller.")
        else:
            self.results_status.setText(f"No customer matches “{text}”.")
        self._set_mode(self.RESULTS)
        if self._open_top_when_ready:
            self._open_top_when_ready = False
            self._open_selected()

    def _search_failed(self, seq: int, e: BaseException) -> None:
        if seq != self._search_seq:
            return
        self._open_top_when_ready = False
        self.results_model.set_hits([])
        self.results_status.setText(f"Search failed: {messages.describe(e)}")
        self._set_mode(self.RESULTS)

    def _open_selected(self) -> None:
        idx = self.results.currentIndex()
        if not idx.isValid() and self.results_model.rowCount():
            idx = self.results_model.index(0, 0)
        if idx.isValid():
            self._open_index(idx)
            return
        phone = try_e164(self.search.text(), self._services.settings.default_region)
        if phone:
            self._clear_search()
            self.start_new_caller(phone)

    def _open_index(self, index: QModelIndex) -> None:
        hit = index.data(RECORD_ROLE)
        if isinstance(hit, SearchHit):
            self._clear_search()
            self.open_customer(hit.customer_id)

    def _clear_search(self) -> None:
        self._search_timer.stop()
        self._search_seq += 1
        self._open_top_when_ready = False
        self.search.clear()
        self.results_model.set_hits([])
        if self._mode == self.RESULTS:
            self._set_mode(self._back_mode)

    def _move_selection(self, step: int) -> None:
        n = self.results_model.rowCount()
        if not n:
            return
        row = self.results.currentIndex().row()
        row = 0 if row < 0 else max(0, min(n - 1, row + step))
        self.results.setCurrentIndex(self.results_model.index(row, 0))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if obj is self.search:
                if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                    self._move_selection(1 if key == Qt.Key.Key_Down else -1)
                    return True
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    if self._search_timer.isActive() or (self.search.text().strip()
                                                         and self._mode != self.RESULTS):
                        # typed faster than the search: open the top hit when it arrives
                        self._search_timer.stop()
                        self._open_top_when_ready = True
                        self._run_search()
                    elif self._mode == self.RESULTS:
                        self._open_selected()
                    return True
                if key == Qt.Key.Key_Escape:
                    self._clear_search()
                    return True
            elif obj is self.results and key == Qt.Key.Key_Escape:
                self._clear_search()
                self.search.setFocus()
                return True
        return super().eventFilter(obj, event)

    # -- card --------------------------------------------------------------------------------------
    def _next_request(self) -> int:
        self._request += 1
        return self._request

    def _show_card(self, card: CallerCard) -> None:
        same = self._current is not None and self._current.customer.id == card.customer.id
        self._current = card
        c = card.customer
        h = self.header
        h.name.setText(c.name)
        h.segment.setText(c.segment.title() if c.segment else "")
        h.segment.setVisible(bool(c.segment))
        h.fields["phone"].setText(pretty(c.phone_e164) if c.phone_e164 else (c.phone or "—"))
        h.fields["email"].setText(c.email or "—")
        since = format_date(c.customer_since) if c.customer_since else "—"
        length = relationship_length(c.customer_since)
        impossible = bool(c.customer_since) and not length  # in the future, or not a date
        h.fields["since"].setText(f"{since}  ·  data error: in the future"
                                  if impossible and in_the_future(c.customer_since)
                                  else f"{since}  ·  data error: not a date" if impossible
                                  else f"{since}  ·  {length}" if length else since)
        h.fields["since"].setStyleSheet(f"color: {style.color('warn').name()}" if impossible else "")
        details = [f"Location: {c.city}" if c.city else "", f"Notes: {c.notes}" if c.notes else ""]
        h.notes.setText("   ·   ".join(d for d in details if d))
        h.notes.setVisible(bool(c.city or c.notes))
        prefers = CHANNEL_PREFS.get(c.preferred_channel or "", c.preferred_channel or "")
        hours = (c.preferred_hours or "").replace("-", "–")
        h.fields["prefers"].setText("  ·  ".join(p for p in (prefers, hours) if p) or "No preference")

        self.issues_model.set_items(card.open_issues)
        self.issues_proxy.sort(self.issues_view.horizontalHeader().sortIndicatorSection(),
                               self.issues_view.horizontalHeader().sortIndicatorOrder())
        n_open = len(card.open_issues)
        over = self.issues_model.over_target()
        if n_open:
            h.issues_badge.setText(f"{n_open} open issue{'s' if n_open != 1 else ''}"
                                   + (f"  ·  {over} over target" if over else ""))
        else:
            h.issues_badge.setText("No open issues")
        h.issues_badge.setProperty("state", "over" if over else "ok")
        h.issues_badge.style().unpolish(h.issues_badge)
        h.issues_badge.style().polish(h.issues_badge)
        self.issues_count.setText(str(n_open) if n_open else "")
        self.no_issues.setVisible(not n_open)
        self.issues_view.setVisible(bool(n_open))
        # the issues panel is as tall as its rows (up to 4 always visible) so history keeps the room
        self.issues_panel.setMinimumHeight(74 + min(n_open, 4) * 30 if n_open else 60)
        self.issues_panel.setMaximumHeight(16777215 if n_open > 6 else 80 + max(n_open, 1) * 30)

        self.history_model.set_items(card.history)
        self.history_count.setText(str(len(card.history)) if card.history else "")
        if not same:
            self.channel_filter.setCurrentIndex(0)
            self.set_cues([])
        h.has_data = True
        self._set_mode(self.CARD)
        self.customer_changed.emit(c.id)
        self.card_shown.emit(card)

    def _filter_history(self) -> None:
        self.history_proxy.set_kind(self.channel_filter.currentData() or "")

    def _failed(self, req: int, e: BaseException) -> None:
        if req != self._request:
            return
        if self._mode == self.LOADING:
            self.empty_title.setText("Could not open the caller's card")
            self.empty_hint.setText(messages.describe(e))
            self._set_mode(self.EMPTY)
        messages.error(f"Could not open the caller's card: {messages.describe(e)}")

    def _new_caller_cancelled(self) -> None:
        self._set_mode(self.CARD if self._current else self.EMPTY)
        self.search.setFocus()

    def _data_changed(self, _event: ev.Event) -> None:
        if self._current is not None:
            self._reload_timer.start()

    def _reload(self) -> None:
        if self._current is not None and self._mode == self.CARD:
            self.open_customer(self._current.customer.id)

    def _header_painted(self) -> None:
        if not self._painted_once:
            self._painted_once = True
            self.first_data_paint.emit()

    def _set_mode(self, mode: str) -> None:
        if mode == self.EMPTY and self._mode != self.LOADING:
            self.empty_title.setText("Waiting for a call")
            self.empty_hint.setText(
                "An incoming call opens the caller's card here.\n"
                "Press Ctrl+K or / to look someone up by phone, name, e-mail or issue.")
        self._mode = mode
        page = {self.EMPTY: self.empty_page, self.LOADING: self.empty_page,
                self.RESULTS: self.results_page, self.CARD: self.card_page,
                self.NEW: self.new_caller}[mode]
        self.stack.setCurrentWidget(page)
        self.state_changed.emit()
