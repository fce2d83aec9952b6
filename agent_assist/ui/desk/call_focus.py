"""Call focus: one task at a time during a call, nothing forgotten after it.

:class:`CallController` owns the life of a call in the window:

* a screen pop (``services.call_requested``) or Ctrl+Shift+C (a call with whoever's card is shown) creates
  the call row on the db lane, sets ``services.active_call_id`` and switches to the **focus layout**:
  caller card (with its open issues), talk meter and phrasing panel; the side panel (work list, queue,
  inbox, notifications) is hidden and non-urgent notifications are held (urgent ones show in the call bar);
* Ctrl+P parks a task: a one-line input, Enter stores it at once (redacted) as ``kind='parked'``, Esc
  cancels;
* Ctrl+Shift+E (or the button) ends the call: status ``wrapup`` with the metrics and a first summary, so
  an abandoned wrap-up loses nothing; then the wrap-up panel brings back the parked tasks;
* saving the wrap-up marks the call done, releases the held notifications and restores the layout exactly
  as it was (splitter sizes, tab, visibility).

After a crash, the next start offers to resume the wrap-up of the agent's unfinished call. Durations use
the monotonic clock, so a wall-clock change during a call cannot make it negative or hours long.

:class:`RetentionCues` computes the caller card's retention cues off the GUI thread whenever a card is
shown, and hands them to the card's ``set_cues``.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from agent_assist.coach.redact import redact
from agent_assist.coach.retention import RetentionWords, compute_cues
from agent_assist.store.models import CallerCard, Customer
from agent_assist.store.phones import pretty
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.notifications import NotificationCentre
from agent_assist.ui.desk.os_focus import OsFocus, detect_os_focus
from agent_assist.ui.desk.wrapup import CallInfo, WrapUpPanel, build_summary

if TYPE_CHECKING:
    from agent_assist.ui.main_window import MainWindow

log = logging.getLogger(__name__)

IDLE, STARTING, ACTIVE, WRAPUP = "idle", "starting", "active", "wrapup"


@cache
def _words() -> RetentionWords:
    return RetentionWords.load()


class RetentionCues(QObject):
    """Feeds a caller card widget's ``set_cues`` from ``coach.retention`` (computed on the io lane)."""

    def __init__(self, services: Services, card_widget: QWidget) -> None:
        super().__init__(card_widget)
        self._services = services
        self._card = card_widget
        self._seq = 0
        signal = getattr(card_widget, "card_shown", None)
        if signal is not None:
            signal.connect(self.card_shown)

    def card_shown(self, card: CallerCard) -> None:
        self._seq += 1
        seq = self._seq
        now = datetime.now(UTC).replace(tzinfo=None)

        def work() -> list[Any]:
            return compute_cues(card, now.date(), now, _words())

        def done(cues: list[Any]) -> None:
            current = getattr(self._card, "current", None)
            if seq == self._seq and current is not None and current.customer.id == card.customer.id:
                set_cues = getattr(self._card, "set_cues", None)
                if set_cues is not None:
                    set_cues(cues)

        with contextlib.suppress(RuntimeError):  # raised when the window is closing
            self._services.run("io", work, done, lambda e: log.warning("retention cues failed: %s", e))


@dataclass
class _Layout:
    """What the normal layout looked like before focus, to put it back exactly."""

    desk_sizes: list[int]
    right_sizes: list[int]
    tab: int
    tab_enabled: list[bool]
    hidden: dict[str, bool] = field(default_factory=dict)


@dataclass
class _Call:
    call_id: int = 0
    customer: Customer | None = None
    phone: str | None = None
    started_mono: float = 0.0
    started_wall: str = ""
    parked: list[dict[str, Any]] = field(default_factory=list)
    pending_parks: int = 0


class CallBar(QFrame):
    """The strip above the desk during a call: who, how long, park input, end button, urgent items."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callBar")
        self.who = QLabel()
        self.who.setObjectName("callWho")
        self.clock = QLabel("0:00")
        self.clock.setObjectName("callClock")
        self.parked = QLabel()
        self.parked.setObjectName("emptyHint")
        self.park_button = QPushButton("Park a task  (Ctrl+P)")
        self.end_button = QPushButton("End call  (Ctrl+Shift+E)")
        self.end_button.setObjectName("danger")
        self.park_input = QLineEdit()
        self.park_input.setObjectName("parkInput")
        self.park_input.setPlaceholderText("Park for wrap-up: one line, Enter to park, Esc to cancel")
        self.park_input.setVisible(False)
        self.park_note = QLabel()
        self.park_note.setObjectName("redactionNote")
        self.park_note.setVisible(False)
        self.urgent = QLabel()
        self.urgent.setObjectName("urgentBanner")
        self.urgent.setWordWrap(True)
        self.urgent.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.who)
        row.addWidget(self.clock)
        row.addStretch(1)
        row.addWidget(self.parked)
        row.addWidget(self.park_button)
        row.addWidget(self.end_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(4)
        lay.addLayout(row)
        lay.addWidget(self.park_input)
        lay.addWidget(self.park_note)
        lay.addWidget(self.urgent)
        p = style.PALETTE
        self.setStyleSheet(
            f"QFrame#callBar {{ background: {p['accent_soft']}; border: 1px solid {p['border']};"
            f" border-left: 4px solid {p['accent']}; border-radius: 6px; }}"
            f" QLabel#callWho {{ font-size: 12pt; }}"
            f" QLabel#callClock {{ font-size: 12pt; font-weight: 600; color: {p['accent']}; padding-left: 8px; }}"
            f" QLabel#redactionNote {{ color: {p['info']}; }}"
            f" QLabel#urgentBanner {{ background: {p['alert_soft']}; color: {p['alert']}; font-weight: 600;"
            f" border-radius: 4px; padding: 3px 8px; }}")


class ResumeBar(QFrame):
    """Offer to resume the wrap-up of a call left unfinished (after a crash)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumeBar")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.resume_button = QPushButton("Resume wrap-up")
        self.resume_button.setObjectName("primaryButton")
        self.later_button = QPushButton("Later")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.resume_button)
        lay.addWidget(self.later_button)
        p = style.PALETTE
        self.setStyleSheet(f"QFrame#resumeBar {{ background: {p['warn_soft']}; border-left: 4px solid {p['warn']};"
                           " border-radius: 6px; }")


class _ParkEdit(QObject):
    """Esc on the park input cancels (an event filter so Esc never reaches other widgets)."""

    def __init__(self, edit: QLineEdit, on_escape: Any) -> None:
        super().__init__(edit)
        self._on_escape = on_escape
        QShortcut(QKeySequence(Qt.Key.Key_Escape), edit, on_escape,
                  context=Qt.ShortcutContext.WidgetShortcut)


class CallController(QObject):
    """Starts calls, switches the window into and out of focus, parks tasks, runs wrap-up."""

    state_changed = Signal()
    focus_changed = Signal(bool)
    call_ended = Signal(int)  # call id, when the call is in wrap-up
    wrapup_saved = Signal(int)  # call id, when the call is done and the layout is back

    def __init__(self, window: MainWindow, services: Services, os_focus: OsFocus | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.services = services
        self.status = IDLE
        self.call = _Call()
        self.in_focus = False
        self.wrapup: WrapUpPanel | None = None
        self._layout: _Layout | None = None
        self._resume: dict[str, Any] | None = None
        self.os_focus = os_focus or detect_os_focus()
        side = getattr(window, "side_panel", None)
        centre = getattr(side, "notifications", None)
        self.notifications: NotificationCentre = centre if isinstance(centre, NotificationCentre) \
            else NotificationCentre(self)
        self.notifications.urgent_posted.connect(self._urgent_posted)

        self.bar = CallBar()
        self.bar.setVisible(False)
        self.resume_bar = ResumeBar()
        self.resume_bar.setVisible(False)
        desk_layout = window.desk.layout()
        if isinstance(desk_layout, QVBoxLayout):
            desk_layout.insertWidget(0, self.resume_bar)
            desk_layout.insertWidget(1, self.bar)
        self.bar.park_button.clicked.connect(self.park)
        self.bar.end_button.clicked.connect(self.end_call)
        self.bar.park_input.returnPressed.connect(self._park_entered)
        _ParkEdit(self.bar.park_input, self.cancel_park)
        self.resume_bar.resume_button.clicked.connect(self.resume)
        self.resume_bar.later_button.clicked.connect(self._resume_later)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_clock)

        for key, slot in (("Ctrl+Shift+C", self.start_call_for_shown), ("Ctrl+P", self.park),
                          ("Ctrl+Shift+E", self.end_call)):
            QShortcut(QKeySequence(key), window, slot, context=Qt.ShortcutContext.WindowShortcut)

        services.call_requested.connect(self.call_requested)
        card = getattr(window, "caller_card", None)
        if card is not None:
            self.retention = RetentionCues(services, card)
        QTimer.singleShot(0, self.check_unfinished)

    # -- state ---------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "call_status": self.status,
            "call_id": self.call.call_id,
            "focus": self.in_focus,
            "parked": [str(t["text"]) for t in self.call.parked],
            "wrapup_visible": self.wrapup is not None,
            "wrapup_parked": self.wrapup.parked_texts() if self.wrapup else [],
            "resume_offer": int(self._resume["call_id"]) if self._resume else 0,
            "resume_parked": [str(t["text"]) for t in self._resume["parked"]] if self._resume else [],
            "held_notifications": len(self.notifications.held_items()),
        }

    def _changed(self) -> None:
        self.state_changed.emit()

    # -- starting a call -----------------------------------------------------------------------------
    def call_requested(self, e164: str) -> None:
        """Screen pop: a call from ``e164`` ('' = started by hand without a number)."""
        if self.status != IDLE:
            if self.status in (ACTIVE, STARTING) and e164 and e164 == self.call.phone:
                return  # the same call delivered twice (softphone retry)
            messages.warning(f"Incoming call {pretty(e164) if e164 else ''} while another call is open: "
                             "finish the current call and its wrap-up first.")
            return
        self.start_call(e164 or None)

    def start_call_for_shown(self) -> None:
        """Ctrl+Shift+C: a call with the customer whose card is shown (or nobody), without a number."""
        if self.status != IDLE:
            messages.info("A call is already in progress.")
            return
        card = getattr(self.window, "caller_card", None)
        current = getattr(card, "current", None)
        mode = getattr(card, "mode", "card")
        customer = current.customer if isinstance(current, CallerCard) and mode == "card" else None
        self.start_call(customer.phone_e164 if customer else None, customer, lookup=False)

    def start_call(self, e164: str | None, customer: Customer | None = None, lookup: bool = True) -> None:
        self.status = STARTING
        self.call = _Call(customer=customer, phone=e164, started_mono=time.monotonic())
        agent = self.services.settings.agent_id
        region = self.services.settings.default_region

        def work(db: Database) -> tuple[int, Customer | None, str]:
            from agent_assist.store import calls, queries

            cust = customer
            if lookup and e164:
                cust = queries.find_by_phone(db, e164, region)
            cid = calls.start_call(db, agent_id=agent, customer_id=cust.id if cust else None,
                                   phone_e164=e164, source="live")
            row = calls.get_call(db, cid)
            return cid, cust, row.started_at if row else ""

        self.services.db_call(work, self._started, self._start_failed)
        self._changed()

    def _started(self, result: tuple[int, Customer | None, str]) -> None:
        call_id, customer, started = result
        self.call.call_id = call_id
        self.call.customer = customer
        self.call.started_wall = started
        self.status = ACTIVE
        self.services.active_call_id = call_id
        self.services.active_call_changed.emit(call_id)
        self.enter_focus()
        self._show_bar()
        self._tick.start()
        self._changed()

    def _start_failed(self, e: BaseException) -> None:
        self.status = IDLE
        self.call = _Call()
        messages.error(f"The call could not be started: {messages.describe(e)}")
        self._changed()

    def _show_bar(self) -> None:
        c = self.call.customer
        who = c.name if c else (pretty(self.call.phone) if self.call.phone else "Unknown caller")
        self.bar.who.setText(f"<b>On call</b> with {html.escape(who)}")
        self._update_clock()
        self._update_parked()
        self.bar.setVisible(True)

    def elapsed_s(self) -> float:
        return max(0.0, time.monotonic() - self.call.started_mono) if self.call.started_mono else 0.0

    def _update_clock(self) -> None:
        s = int(self.elapsed_s())
        self.bar.clock.setText(f"{s // 60}:{s % 60:02d}")

    # -- focus layout --------------------------------------------------------------------------------
    def _panels(self) -> dict[str, QWidget]:
        w = self.window
        return {name: getattr(w, name) for name in ("caller_card", "talk_meter", "phrasing_panel", "side_panel")
                if isinstance(getattr(w, name, None), QWidget)}

    def enter_focus(self) -> None:
        """Switch to the call layout; remember the normal one."""
        if self.in_focus:
            return
        w = self.window
        panels = self._panels()
        self._layout = _Layout(
            desk_sizes=w.desk_split.sizes(), right_sizes=w.right.sizes(), tab=w.tabs.currentIndex(),
            tab_enabled=[w.tabs.isTabEnabled(i) for i in range(w.tabs.count())],
            hidden={name: p.isHidden() for name, p in panels.items()},
        )
        w.tabs.setCurrentWidget(w.desk)
        desk = w.tabs.indexOf(w.desk)
        for i in range(w.tabs.count()):
            if i != desk:
                w.tabs.setTabEnabled(i, False)
        for name, p in panels.items():
            p.setVisible(name != "side_panel")
        self.notifications.hold()
        self.in_focus = True
        self._os_hide()
        self.focus_changed.emit(True)
        self._changed()

    def leave_focus(self) -> None:
        """Back to the normal layout exactly as it was; held notifications return."""
        if not self.in_focus:
            return
        w = self.window
        saved = self._layout
        if saved is not None:
            for name, p in self._panels().items():
                p.setHidden(saved.hidden.get(name, False))
            for i, enabled in enumerate(saved.tab_enabled):
                if i < w.tabs.count():
                    w.tabs.setTabEnabled(i, enabled)
            w.tabs.setCurrentIndex(saved.tab)
            self._restore_sizes(saved)
            # again once the re-shown panels have been laid out (a splitter re-balances on show and
            # when a panel's minimum size changes as it reacts to the end of the call)
            for delay in (0, 50, 200):
                QTimer.singleShot(delay, lambda: self._restore_sizes(saved))
        released = self.notifications.release()
        self.bar.urgent.setVisible(False)
        self.in_focus = False
        self._layout = None
        self._os_restore()
        if released:
            messages.info(f"{len(released)} notification{'s' if len(released) != 1 else ''} "
                          "held during the call are back in the side panel.")
        self.focus_changed.emit(False)
        self._changed()

    def _restore_sizes(self, saved: _Layout) -> None:
        if self.in_focus:
            return
        self.window.desk_split.setSizes(saved.desk_sizes)
        self.window.right.setSizes(saved.right_sizes)

    def _urgent_posted(self, n: Any) -> None:
        if self.in_focus:
            self.bar.urgent.setText(f"⚠ {html.escape(n.text)}")
            self.bar.urgent.setVisible(True)

    def _os_hide(self) -> None:
        if not self.os_focus.available():
            return
        wid = int(self.window.winId())
        self.services.run("io", lambda: self.os_focus.hide_others(wid), None,
                          lambda e: log.warning("OS focus failed: %s", e))

    def _os_restore(self) -> None:
        if self.os_focus.available():
            self.services.run("io", self.os_focus.restore, None,
                              lambda e: log.warning("OS focus restore failed: %s", e))

    # -- parking -------------------------------------------------------------------------------------
    def park(self) -> None:
        """Ctrl+P: open the one-line park input."""
        if self.status not in (ACTIVE, STARTING):
            messages.info("Parking is for tasks that come up during a call; no call is active.")
            return
        self.bar.park_input.setVisible(True)
        self.bar.park_input.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.bar.park_input.selectAll()

    def cancel_park(self) -> None:
        self.bar.park_input.clear()
        self.bar.park_input.setVisible(False)

    def _park_entered(self) -> None:
        text = self.bar.park_input.text().strip()
        if not text:
            messages.warning("Type what to do later, then press Enter (Esc cancels).")
            return
        self.bar.park_input.clear()
        self.bar.park_input.setVisible(False)
        self.park_text(text)

    def park_text(self, text: str) -> None:
        """Store a parked task now (redacted first)."""
        if not text.strip():
            messages.warning("Type what to do later, then press Enter (Esc cancels).")
            return
        if self.call.call_id == 0:
            messages.warning("The call is still starting; park the task again in a moment.")
            return
        r = redact(text.strip())
        agent = self.services.settings.agent_id
        call_id = self.call.call_id
        customer_id = self.call.customer.id if self.call.customer else None
        self.call.pending_parks += 1

        def work(db: Database) -> int:
            from agent_assist.store import calls

            return calls.add_task(db, text=r.text, kind="parked", agent_id=agent, call_id=call_id,
                                  customer_id=customer_id, redacted=r.changed)

        def done(task_id: int) -> None:
            self.call.pending_parks -= 1
            if call_id != self.call.call_id:
                return
            self.call.parked.append({"id": task_id, "text": r.text, "redacted": r.changed})
            self._update_parked()
            if r.changed:
                self.bar.park_note.setText(f"Parked, {r.describe()}: “{r.text}”")
                self.bar.park_note.setVisible(True)
            else:
                self.bar.park_note.setVisible(False)
            self._changed()

        def failed(e: BaseException) -> None:
            self.call.pending_parks -= 1
            messages.error(f"The task was not parked: {messages.describe(e)}")

        self.services.db_call(work, done, failed)

    def _update_parked(self) -> None:
        n = len(self.call.parked)
        self.bar.parked.setText(f"{n} parked" if n else "")

    # -- ending the call and wrap-up -----------------------------------------------------------------
    def _live_metrics(self) -> dict[str, Any]:
        """Talk figures from the live listening controller, when one is running."""
        w = self.window
        for owner in (w, getattr(w, "talk_meter", None)):
            for name in ("live_listening", "live", "listening", "controller"):
                obj = getattr(owner, name, None)
                fn = getattr(obj, "current_metrics", None)
                if callable(fn):
                    try:
                        m = fn()
                    except Exception as e:  # the meter must never block hanging up
                        log.warning("live metrics unavailable: %s", e)
                        return {}
                    if m is None:
                        return {}
                    d = m.to_dict() if hasattr(m, "to_dict") else dict(m)
                    return {k: v for k, v in d.items() if isinstance(v, int | float) or v is None}
        return {}

    def end_call(self) -> None:
        """Ctrl+Shift+E: hang up; save what we have (status 'wrapup'), then show the wrap-up."""
        if self.status == WRAPUP:
            messages.info("The call has already ended: finish the wrap-up (Ctrl+Enter saves).")
            return
        if self.status != ACTIVE:
            messages.info("There is no call to end.")
            return
        self.cancel_park()
        self.status = WRAPUP
        self._tick.stop()
        metrics = self._live_metrics()
        metrics["duration_s"] = round(self.elapsed_s(), 1)
        call_id = self.call.call_id

        def work(db: Database) -> list[dict[str, Any]]:
            from agent_assist.store import calls

            calls.finish_call(db, call_id, metrics=metrics, status="wrapup")
            calls.finish_call(db, call_id, summary=build_summary(db, call_id), status="wrapup")
            # read back from the store: parks still queued on the db lane are included
            return [t for t in calls.tasks_for_call(db, call_id) if t["kind"] == "parked" and not t["done"]]

        def done(parked: list[dict[str, Any]]) -> None:
            self.call_ended.emit(call_id)
            self.show_wrapup(parked, metrics)

        def failed(e: BaseException) -> None:
            messages.error(f"The end of the call was not saved: {messages.describe(e)} "
                           "Wrap-up opens anyway; saving it will try again.")
            self.show_wrapup(list(self.call.parked), metrics)

        self.services.db_call(work, done, failed)
        self._changed()

    def show_wrapup(self, parked: list[dict[str, Any]], metrics: dict[str, Any]) -> None:
        self.status = WRAPUP
        if not self.in_focus:
            self.enter_focus()
        self.bar.who.setText(self.bar.who.text().replace("<b>On call</b>", "<b>Wrap-up</b>"))
        self.bar.park_button.setVisible(False)
        self.bar.end_button.setVisible(False)
        self.bar.park_note.setVisible(False)
        self.bar.setVisible(True)
        info = CallInfo(self.call.call_id, self.call.customer, self.call.phone,
                        metrics.get("duration_s"), metrics)
        panel = WrapUpPanel(self.services, info, parked)
        panel.saved.connect(self._wrapup_saved)
        self.wrapup = panel
        w = self.window
        for name in ("talk_meter", "phrasing_panel"):
            p = getattr(w, name, None)
            if isinstance(p, QWidget):
                p.setVisible(False)
        w.right.insertWidget(0, panel)
        panel.notes.setFocus()
        self._changed()

    def _wrapup_saved(self, call_id: int) -> None:
        panel, self.wrapup = self.wrapup, None
        if panel is not None:
            panel.setVisible(False)
            panel.setParent(None)
            panel.deleteLater()
        self.bar.setVisible(False)
        self.bar.park_button.setVisible(True)
        self.bar.end_button.setVisible(True)
        self.bar.park_note.setVisible(False)
        self.status = IDLE
        self.call = _Call()
        self.services.active_call_id = 0
        # panels react to the end of the call first (their size may change), then the layout comes back
        self.services.active_call_changed.emit(0)
        self.leave_focus()
        self.services.events.publish(ev.CallChanged(call_id))
        self.services.events.publish(ev.TasksChanged())
        self.wrapup_saved.emit(call_id)
        messages.info("Wrap-up saved.")
        self._changed()

    # -- after a crash -----------------------------------------------------------------------------------
    def check_unfinished(self) -> None:
        """Offer to resume the wrap-up of this agent's unfinished call (left by a crash)."""
        path = Path(str(self.services.db_path))
        if not path.exists() or self.status != IDLE:
            return
        agent = self.services.settings.agent_id

        def work(db: Database) -> dict[str, Any] | None:
            from agent_assist.store import calls, queries

            rows = calls.unfinished_calls(db, agent)
            rows = [r for r in rows if r.kind == "call"]
            if not rows:
                return None
            row = rows[-1]
            customer = queries.get_customer(db, row.customer_id) if row.customer_id else None
            parked = [t for t in calls.tasks_for_call(db, row.id) if t["kind"] == "parked" and not t["done"]]
            return {"call_id": row.id, "row": row, "customer": customer, "parked": parked,
                    "others": len(rows) - 1}

        with contextlib.suppress(RuntimeError):  # raised when the window closed before the check ran
            self.services.db_call(work, self._offer_resume,
                                  lambda e: log.warning("could not look for unfinished calls: %s", e))

    def _offer_resume(self, offer: dict[str, Any] | None) -> None:
        if offer is None or self.status != IDLE:
            return
        self._resume = offer
        row = offer["row"]
        c = offer["customer"]
        who = c.name if c else (pretty(row.phone_e164) if row.phone_e164 else "an unknown caller")
        n = len(offer["parked"])
        started = row.started_at.replace("T", " ")[:16]
        self.resume_bar.text.setText(
            f"<b>A call with {html.escape(who)} (started {started} UTC) was not wrapped up.</b> "
            f"{n} parked task{'s' if n != 1 else ''} waiting. Resume the wrap-up so nothing is lost.")
        self.resume_bar.setVisible(True)
        self._changed()

    def _resume_later(self) -> None:
        self.resume_bar.setVisible(False)
        self._resume = None
        messages.info("The unfinished call will be offered again at the next start.")
        self._changed()

    def resume(self) -> None:
        offer, self._resume = self._resume, None
        self.resume_bar.setVisible(False)
        if offer is None:
            return
        row = offer["row"]
        started = _parse(row.started_at)
        ended = _parse(row.ended_at)
        duration = (ended - started).total_seconds() if started and ended and ended >= started else None
        self.call = _Call(call_id=row.id, customer=offer["customer"], phone=row.phone_e164,
                          started_wall=row.started_at,
                          parked=[{"id": t["id"], "text": t["text"], "redacted": bool(t["redacted"])}
                                  for t in offer["parked"]])
        self.services.active_call_id = row.id
        self.services.active_call_changed.emit(row.id)
        if row.customer_id:
            card = getattr(self.window, "caller_card", None)
            if card is not None and hasattr(card, "open_customer"):
                card.open_customer(row.customer_id)
        self._show_bar()
        metrics: dict[str, Any] = {"duration_s": duration} if duration is not None else {}
        call_id = row.id

        def work(db: Database) -> None:
            from agent_assist.store import calls

            if row.status == "active":  # crashed mid-call: the hang-up was never recorded
                calls.finish_call(db, call_id, summary=build_summary(db, call_id), status="wrapup")

        self.services.db_call(work)
        self.show_wrapup(offer["parked"], metrics)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
