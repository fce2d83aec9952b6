"""The main window: the agent's desk (caller card + live-call panels + work list), Review and Practice.

Layout of the Desk tab::

    +------------------------------+---------------------------+
    | caller card (search, profile,| talk meter      (issue 4) |
    |  history, open issues, cues) | phrasing panel  (issue 3) |
    |                              +---------------------------+
    |                              | side: work list, queue,   |
    |                              |  inbox, notifications     |  <- hidden in call focus (issue 5)
    +------------------------------+---------------------------+

Feature widgets are built in ``_build_*`` methods, each replacing a placeholder. Widgets get ``services``
in ``__init__``; they never open the database themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_assist import APP_NAME
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services

if TYPE_CHECKING:
    from agent_assist.ui.desk.call_focus import CallController


def _placeholder(text: str) -> QWidget:
    w = QLabel(text)
    w.setAlignment(Qt.AlignmentFlag.AlignCenter)
    w.setObjectName("placeholder")
    return w


class MainWindow(QMainWindow):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(APP_NAME)
        self.resize(1400, 880)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)

        self.desk = QWidget()
        self.desk.setObjectName("desk")
        desk_layout = QVBoxLayout(self.desk)
        desk_layout.setContentsMargins(8, 8, 8, 8)
        self.desk_split = QSplitter(Qt.Orientation.Horizontal)
        desk_layout.addWidget(self.desk_split)

        self.caller_card = self._build_caller_card()
        self.desk_split.addWidget(self.caller_card)

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.talk_meter = self._build_talk_meter()
        self.phrasing_panel = self._build_phrasing_panel()
        self.side_panel = self._build_side_panel()
        for w in (self.talk_meter, self.phrasing_panel, self.side_panel):
            self.right.addWidget(w)
        # Idle, the work list gets the room (it is what the agent works from between calls); in a call it
        # is hidden and the phrasing coach takes its place. The talk meter keeps its natural height.
        for i, stretch in enumerate((0, 2, 3)):
            self.right.setStretchFactor(i, stretch)
        self.desk_split.addWidget(self.right)
        self.desk_split.setStretchFactor(0, 3)
        self.desk_split.setStretchFactor(1, 2)

        self.tabs.addTab(self.desk, "&Desk")
        self.review_view = self._build_review()
        self.tabs.addTab(self.review_view, "&Review")
        self.practice_view = self._build_practice()
        self.tabs.addTab(self.practice_view, "&Practice")

        self._build_actions()
        self.call_focus = self._build_call_focus()
        messages.bridge.show.connect(self._show_message)
        self.statusBar().showMessage("Ready")
        self.team_status = self._build_team_status()

    # -- feature widgets (each issue replaces its placeholder) ----------------------------------------
    def _build_caller_card(self) -> QWidget:
        from agent_assist.ui.desk.caller_card import CallerCardWidget

        # pops on services.call_requested (connected in the widget)
        return CallerCardWidget(self.services)

    def _build_talk_meter(self) -> QWidget:
        from agent_assist.ui.desk.talk_meter import TalkMeter

        return TalkMeter(self.services)

    def _build_phrasing_panel(self) -> QWidget:
        from agent_assist.ui.desk.coach_panel import PhrasingPanel

        return PhrasingPanel(self.services)

    def _build_side_panel(self) -> QWidget:
        from agent_assist.ui.desk.work_list import SidePanel

        # work list, queue, inbox and the notification centre; hidden (and held) during a call
        return SidePanel(self.services)

    # -- call focus (issue 5): screen pop / Ctrl+Shift+C -> focus layout, Ctrl+P parks, wrap-up ----------
    def _build_call_focus(self) -> CallController:
        from agent_assist.ui.desk.call_focus import CallController

        return CallController(self, self.services)

    def enter_focus(self) -> None:
        """The call layout: caller card, open issues, talk meter, phrasing panel only."""
        self.call_focus.enter_focus()

    def leave_focus(self) -> None:
        """Back to the normal layout exactly as it was before the call."""
        self.call_focus.leave_focus()

    def _build_team_status(self) -> QWidget | None:
        """Team mode (a team store URL is configured): the sync status line and its background worker."""
        from agent_assist.workflows.team_sync import configured_team_url

        self._team_stopped = False
        url = configured_team_url(self.services.settings)
        if not url:
            return None
        from agent_assist.ui.common.events import CustomersChanged
        from agent_assist.ui.desk.team_status import TeamStatusLabel

        label = TeamStatusLabel(self.services.db_path, url)
        self.statusBar().addPermanentWidget(label)
        ev = self.services.events
        for signal in (ev.call_changed, ev.tasks_changed, ev.customers_changed, ev.practice_changed):
            signal.connect(lambda _e: label.wake())  # something to send: push now, not at the next round
        # the team's customers and issues arrived in the replica: the card, search and work list reload
        label.status_changed.connect(
            lambda st: ev.publish(CustomersChanged()) if st.pulled else None)
        # Started once the db lane has opened (created, migrated) the file: two connections migrating a
        # new file at once would trip over each other.
        self.services.db_call(lambda _db: None, lambda _v: label.start() if not self._team_stopped else None)
        return label

    def _review_source(self) -> Any:
        """Supervisors and trainers in team mode review the whole floor from the team store."""
        from agent_assist.workflows.team_sync import configured_team_url

        url = configured_team_url(self.services.settings)
        if not url or self.services.settings.profile not in ("supervisor", "trainer"):
            return None
        from agent_assist.workflows.review_source import TeamReviewSource

        self._team_source = TeamReviewSource(url)
        return self._team_source

    def _build_review(self) -> QWidget:
        from agent_assist.ui.review.page import ReviewPage

        # Calls (lazy table + summary) and Trends; the profile decides whose calls it shows
        profile = self.services.settings.profile
        self.setWindowTitle(f"{APP_NAME} — {profile} profile")
        return ReviewPage(self.services, source=self._review_source())

    def _build_practice(self) -> QWidget:
        from agent_assist.ui.practice.page import PracticeView

        # scenario + trainee, a spoken customer (TTS lane), score card and the trainee's attempts
        return PracticeView(self.services)

    def _build_actions(self) -> None:
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)
        # Ctrl+K from the other tabs: back to the desk, cursor in the search box. On the desk the caller
        # card's own shortcut answers, so this one is disabled there (two live ones would be ambiguous).
        self.find_action = QAction("&Find customer", self)
        self.find_action.setShortcut(QKeySequence("Ctrl+K"))
        self.find_action.triggered.connect(self._find_customer)
        self.addAction(self.find_action)
        self.tabs.currentChanged.connect(
            lambda _i: self.find_action.setEnabled(self.tabs.currentWidget() is not self.desk))
        self.find_action.setEnabled(self.tabs.currentWidget() is not self.desk)

    def _find_customer(self) -> None:
        self.tabs.setCurrentWidget(self.desk)
        focus = getattr(self.caller_card, "focus_search", None)
        if callable(focus):
            focus()

    # -- messages ------------------------------------------------------------------------------------
    def _show_message(self, info: messages.MessageInfo) -> None:
        if info.modal and info.level is not messages.Level.INFO:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Critical if info.level is messages.Level.ERROR
                        else QMessageBox.Icon.Warning)
            box.setWindowTitle(APP_NAME)
            box.setText(info.text)
            box.setModal(True)
            box.open()  # never exec(): a modal loop would stall tests and the socket server
            self._last_dialog = box
        else:
            self.statusBar().showMessage(info.text, 8000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_team()
        super().closeEvent(event)

    def stop_team(self) -> None:
        """Stop the team sync worker and close the team store's connections (idempotent)."""
        self._team_stopped = True
        team_status = getattr(self, "team_status", None)
        if team_status is not None:
            team_status.stop()
        source = getattr(self, "_team_source", None)
        if source is not None:
            source.close()  # closes the pool's sockets; no network wait
