"""Call focus: the window's side of a live call. It renders the call workflow's state and sends commands.

Every change of a call is a transition of ``workflows/calls.py`` run on the db lane; this module never
decides one. :class:`CallController` keeps what the window shows:

* the **current call** (the one the caller card and the call bar are about). A ring while idle pops the
  card the workflow read (one lookup per ring) and switches to the **focus layout**: caller card, talk
  meter, phrasing panel; the side panel is hidden and non-urgent notifications are held;
* **call waiting**: a ring during a call shows a compact banner (name or number, the top retention cue,
  Answer / Decline) and touches nothing else (not the card, not a half-filled new-caller form).
  Answering it puts the current call on hold (the workflow does both in one transaction); the card and
  the talk meter follow the active call. A ring that ends unanswered is missed (a callback task);
* Ctrl+P parks a task; Ctrl+Shift+E (or the softphone's hang-up) ends the call: the workflow stores the
  talk time and the wrap-up opens with the parked tasks; saving it marks the call done and restores the
  layout exactly as it was, or brings up the next waiting or held call.

After a crash, the next start offers to resume the wrap-up of the agent's unfinished call, with what was
typed in it. The call clock counts from the answer on the monotonic clock.

:class:`RetentionCues` computes the caller card's retention cues off the GUI thread whenever a card is
shown, and hands them to the card's ``set_cues``.

Why this file is over 400 lines: one controller for every state of the live call on screen (current call,
waiting banner, hold, wrap-up, resume, layout); the transitions themselves live in workflows/calls.py. The
waiting banner and the call bar are the next candidates to move out.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from agent_assist.coach.redact import redact
from agent_assist.coach.retention import Cue, RetentionWords, compute_cues
from agent_assist.store.models import CallerCard, Customer
from agent_assist.store.phones import pretty
from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.caller_card import CallerCardWidget
from agent_assist.ui.desk.notifications import NotificationCentre
from agent_assist.ui.desk.os_focus import OsFocus, detect_os_focus
from agent_assist.ui.desk.talk_meter import TalkMeter
from agent_assist.ui.desk.work_list import SidePanel
from agent_assist.ui.desk.wrapup import CallInfo, WrapUpPanel, build_summary
from agent_assist.workflows import calls as wf
from agent_assist.workflows.calls import CallState

log = logging.getLogger(__name__)

IDLE, STARTING = "idle", "starting"
ACTIVE, WRAPUP = CallState.ACTIVE.value, CallState.WRAP_UP.value


@cache
def _words() -> RetentionWords:
    return RetentionWords.load()


@dataclass(frozen=True)
class DeskParts:
    """What call focus works with: the window's tabs, the desk's splitters and its panels."""

    tabs: QTabWidget
    desk: QWidget
    desk_split: QSplitter
    right: QSplitter
    caller_card: CallerCardWidget
    talk_meter: TalkMeter
    phrasing_panel: QWidget
    side_panel: SidePanel
    window_id: Callable[[], int]


class RetentionCues(QObject):
    """Feeds the caller card's ``set_cues`` from ``coach.retention`` (computed on the io lane)."""

    def __init__(self, services: Services, card_widget: CallerCardWidget) -> None:
        super().__init__(card_widget)
        self._services = services
        self._card = card_widget
        self._seq = 0
        card_widget.card_shown.connect(self.card_shown)

    def card_shown(self, card: CallerCard) -> None:
        self._seq += 1
        seq = self._seq
        now = datetime.now(UTC).replace(tzinfo=None)

        def work() -> list[Any]:  # coach.retention.Cue; the card reads it through its own Protocol
            return compute_cues(card, now.date(), now, _words())

        def done(cues: list[Any]) -> None:
            current = self._card.current
            if seq == self._seq and current is not None and current.customer.id == card.customer.id:
                self._card.set_cues(cues)

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
    """The window's view of one call: the workflow's Call plus what only the window knows."""

    call_id: int = 0
    model: wf.Call | None = None
    customer: Customer | None = None
    card: CallerCard | None = None
    phone: str | None = None
    label: str = ""
    started_mono: float = 0.0  # the answer, on the monotonic clock
    parked: list[dict[str, Any]] = field(default_factory=list)
    pending_parks: int = 0
    top_cue: str = ""

    @property
    def state(self) -> CallState | None:
        return self.model.state if self.model else None

    @property
    def ref(self) -> str:
        return self.model.call_ref if self.model else ""

    def who(self) -> str:
        if self.customer is not None:
            return self.customer.name
        return self.label or (pretty(self.phone) if self.phone else "Unknown caller")


def _from_rung(rung: wf.Rung) -> _Call:
    c = rung.call
    customer = rung.card.customer if rung.card else None
    label = c.display_name or (pretty(c.number) if c.number else rung.caller.label)
    return _Call(call_id=c.id, model=c, customer=customer, card=rung.card, phone=c.number, label=label)


class CallBar(QFrame):
    """The strip above the desk during a call: who, state, how long, park input, buttons, urgent items."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callBar")
        self.who = QLabel()
        self.who.setObjectName("callWho")
        self.who.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.clock = QLabel("0:00")
        self.clock.setObjectName("callClock")
        self.parked = QLabel()
        self.parked.setObjectName("emptyHint")
        self.answer_button = QPushButton("Answer  (Ctrl+Shift+A)")
        self.answer_button.setObjectName("primaryButton")
        self.decline_button = QPushButton("Decline")
        self.hold_button = QPushButton("Hold")
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
        self.park_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.held = QLabel()
        self.held.setObjectName("emptyHint")
        self.held.setVisible(False)
        self.urgent = QLabel()
        self.urgent.setObjectName("urgentBanner")
        self.urgent.setWordWrap(True)
        self.urgent.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.who, 1)
        row.addWidget(self.clock)
        row.addWidget(self.parked)
        for b in (self.answer_button, self.decline_button, self.hold_button, self.park_button, self.end_button):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(4)
        lay.addLayout(row)
        lay.addWidget(self.held)
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


class WaitingBanner(QFrame):
    """Call waiting: who is ringing (name or number, the top cue), Answer and Decline. Touches nothing else."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitingBanner")
        self.who = QLabel()
        self.who.setObjectName("waitingWho")
        self.who.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cue = QLabel()
        self.cue.setObjectName("waitingCue")
        self.cue.setTextFormat(Qt.TextFormat.PlainText)
        self.cue.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.more = QLabel()
        self.more.setObjectName("emptyHint")
        self.answer_button = QPushButton("Answer (holds this call)")
        self.answer_button.setObjectName("primaryButton")
        self.decline_button = QPushButton("Decline")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.who)
        text.addWidget(self.cue)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 10, 4)
        lay.addLayout(text, 1)
        lay.addWidget(self.more)
        lay.addWidget(self.answer_button)
        lay.addWidget(self.decline_button)
        p = style.PALETTE
        self.setStyleSheet(
            f"QFrame#waitingBanner {{ background: {p['warn_soft']}; border: 1px solid {p['border']};"
            f" border-left: 4px solid {p['warn']}; border-radius: 6px; }}"
            " QLabel#waitingWho { font-size: 11pt; }"
            f" QLabel#waitingCue {{ color: {p['warn']}; }}")

    def show_call(self, call: _Call, more: int) -> None:
        number = pretty(call.phone) if call.phone else "number withheld"
        name = call.customer.name if call.customer else call.label
        who = f"{name}  ·  {number}" if name and name != number else number
        self.who.setText(f"<b>Call waiting</b>  {html.escape(who)}")
        self.cue.setText(call.top_cue if call.top_cue else
                         ("Known customer" if call.customer else "New caller"))
        self.more.setText(f"+{more} more ringing" if more else "")
        self.setVisible(True)


class ResumeBar(QFrame):
    """Offer to resume the wrap-up of a call left unfinished (after a crash)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumeBar")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.resume_button = QPushButton("Resume wrap-up  (Ctrl+Shift+R)")
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


class CallController(QObject):
    """Renders the current call, the waiting and held ones; sends the agent's and the softphone's events."""

    state_changed = Signal()
    focus_changed = Signal(bool)
    call_ended = Signal(int)  # call id, when the call is in wrap-up
    wrapup_saved = Signal(int)  # call id, when the call is done and the layout is back
    call_missed = Signal(int)  # call id of a ring that ended unanswered

    def __init__(self, parts: DeskParts, services: Services, os_focus: OsFocus | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.parts = parts
        self.services = services
        self.call = _Call()
        self._starting = False
        self.waiting: list[_Call] = []
        self.on_hold: list[_Call] = []
        self.in_focus = False
        self.wrapup: WrapUpPanel | None = None
        self._layout: _Layout | None = None
        self._resume: dict[str, Any] | None = None
        self._events: list[CallEvent] = []  # events for a call whose ring is still being recorded
        self.last_missed = ""
        self.os_focus = os_focus or detect_os_focus()
        self.notifications: NotificationCentre = parts.side_panel.notifications
        self.notifications.urgent_posted.connect(self._urgent_posted)

        self.bar = CallBar()
        self.bar.setVisible(False)
        self.banner = WaitingBanner()
        self.banner.setVisible(False)
        self.resume_bar = ResumeBar()
        self.resume_bar.setVisible(False)
        desk_layout = parts.desk.layout()
        if isinstance(desk_layout, QVBoxLayout):
            desk_layout.insertWidget(0, self.resume_bar)
            desk_layout.insertWidget(1, self.banner)
            desk_layout.insertWidget(2, self.bar)
        self.bar.park_button.clicked.connect(self.park)
        self.bar.end_button.clicked.connect(self.end_call)
        self.bar.answer_button.clicked.connect(self.answer_current)
        self.bar.decline_button.clicked.connect(self.decline_current)
        self.bar.hold_button.clicked.connect(self.toggle_hold)
        self.bar.park_input.returnPressed.connect(self._park_entered)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.bar.park_input, self.cancel_park,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.banner.answer_button.clicked.connect(self.answer_waiting)
        self.banner.decline_button.clicked.connect(self.decline_waiting)
        self.resume_bar.resume_button.clicked.connect(self.resume)
        self.resume_bar.later_button.clicked.connect(self._resume_later)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_clock)

        for key, slot in (("Ctrl+Shift+C", self.start_call_for_shown), ("Ctrl+P", self.park),
                          ("Ctrl+Shift+E", self.end_call), ("Ctrl+Shift+A", self.answer_current),
                          ("Ctrl+Shift+R", self.resume)):
            QShortcut(QKeySequence(key), parts.desk.window(), slot, context=Qt.ShortcutContext.WindowShortcut)

        parts.caller_card.new_caller.created.connect(self._customer_created)
        self.retention = RetentionCues(services, parts.caller_card)
        QTimer.singleShot(0, self.check_unfinished)

    # -- state ---------------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self._starting:
            return STARTING
        state = self.call.state
        return state.value if state is not None else IDLE

    def state(self) -> dict[str, Any]:
        return {
            "call_status": self.status,
            "call_id": self.call.call_id,
            "call_ref": self.call.ref,
            "focus": self.in_focus,
            "parked": [str(t["text"]) for t in self.call.parked],
            "waiting": [c.ref for c in self.waiting],
            "waiting_banner": self.banner.isVisibleTo(self.parts.desk) and bool(self.waiting),
            "on_hold": [c.ref for c in self.on_hold],
            "last_missed": self.last_missed,
            "wrapup_visible": self.wrapup is not None,
            "wrapup_parked": self.wrapup.parked_texts() if self.wrapup else [],
            "wrapup_notes": self.wrapup.notes.toPlainText() if self.wrapup else "",
            "wrapup_outcome": (self.wrapup.outcome.currentData() or "") if self.wrapup else "",
            "wrapup_duration_s": self.wrapup.call.duration_s if self.wrapup else None,
            "resume_offer": int(self._resume["call_id"]) if self._resume else 0,
            "resume_parked": [str(t["text"]) for t in self._resume["parked"]] if self._resume else [],
            "held_notifications": len(self.notifications.held_items()),
        }

    def _changed(self) -> None:
        self.state_changed.emit()

    # -- events from the softphone (and the agent) ---------------------------------------------------
    def handle_event(self, event: CallEvent) -> None:
        """One call event from any source; the workflow decides, this renders the result."""
        agent = self.services.settings.agent_id
        region = self.services.settings.default_region
        if event.kind is CallEventKind.RING:
            def ring(db: Database) -> wf.Rung:
                return wf.ring(db, event, agent_id=agent, region=region)

            self._run(ring, self._rung, event)
        elif event.kind is CallEventKind.ANSWER:
            self._run(lambda db: wf.answer(db, event.call_id, agent_id=agent), self._answered, event)
        elif event.kind is CallEventKind.HOLD:
            self._run(lambda db: wf.hold(db, event.call_id, agent_id=agent), self._held, event)
        elif event.kind is CallEventKind.RESUME:
            self._run(lambda db: wf.resume(db, event.call_id, agent_id=agent), self._answered, event)
        else:
            metrics = self._live_metrics() if event.call_id in (None, self.call.ref) else {}

            def hang(db: Database) -> wf.Call:
                return wf.hangup(db, event.call_id, agent_id=agent, cause=event.cause,
                                 decline=event.cause == "declined" and event.source is EventSource.UI,
                                 metrics=metrics)

            self._run(hang, self._hung_up, event)

    def _run(self, work: Callable[[Database], Any], done: Callable[[Any], None], event: CallEvent) -> None:
        def failed(e: BaseException) -> None:
            if isinstance(e, wf.CallError):
                log.warning("call event %s %s refused: %s", event.kind.value, event.call_id or "", e)
                if event.source is EventSource.UI:
                    messages.warning(str(e)[:1].upper() + str(e)[1:] + ".")
            else:
                log.error("call event %s failed: %s", event.kind.value, e)
                messages.error(f"The call event was not recorded: {messages.describe(e)}")
            self._changed()

        with contextlib.suppress(RuntimeError):  # the window is closing
            self.services.db_call(work, done, failed)

    def _find(self, call_id: int) -> tuple[str, _Call] | None:
        if self.call.call_id == call_id:
            return "current", self.call
        for where, group in (("waiting", self.waiting), ("held", self.on_hold)):
            for c in group:
                if c.call_id == call_id:
                    return where, c
        return None

    def _rung(self, rung: wf.Rung) -> None:
        if self._find(rung.call.id) is not None:
            return  # the same ring delivered twice (a softphone retry)
        view = _from_rung(rung)
        if self.call.model is None and self.wrapup is None and not self._starting:
            # the layout is remembered before the call bar takes its room
            self.enter_focus()
            self._make_current(view)
        else:
            self.waiting.append(view)
            self._top_cue(view)
            self._show_banner()
        self._changed()

    def _make_current(self, view: _Call, show_card: bool = True) -> None:
        self.call = view
        if self.in_focus:  # back from a wrap-up: the live panels again
            self.parts.talk_meter.setVisible(True)
            self.parts.phrasing_panel.setVisible(True)
        if show_card:
            self.parts.caller_card.show_caller(view.card, view.phone, view.label)
        if view.state is CallState.ACTIVE:
            view.started_mono = view.started_mono or time.monotonic()
            self._tick.start()
        self.services.active_call_id = view.call_id if view.state is CallState.ACTIVE else 0
        self.services.active_call_changed.emit(self.services.active_call_id)
        self._show_bar()

    def _answered(self, result: tuple[wf.Call, list[wf.Call]]) -> None:
        call, held = result
        for h in held:
            found = self._find(h.id)
            if found is None:
                continue
            where, view = found
            view.model = h
            if where == "current":
                self._tick.stop()
                self.on_hold.append(view)
                self.call = _Call()
        found = self._find(call.id)
        if found is None:
            log.info("answered call %s is not shown in this window", call.call_ref)
            return
        where, view = found
        view.model = call
        view.started_mono = view.started_mono or time.monotonic()
        self.enter_focus()
        if where == "waiting":
            self.waiting.remove(view)
        elif where == "held":
            self.on_hold.remove(view)
        if where != "current":
            if self.wrapup is not None:
                # the wrap-up in progress is kept (saved as typed) and offered again after this call
                self._drop_wrapup()
                self.call = _Call()
            self._make_current(view)
        else:
            self._make_current(view, show_card=False)
        self._show_banner()
        self._changed()

    def _held(self, call: wf.Call) -> None:
        found = self._find(call.id)
        if found is not None:
            found[1].model = call
            if found[0] == "current":
                self._tick.stop()
                self.services.active_call_id = 0
                self.services.active_call_changed.emit(0)
                self._show_bar()
        self._changed()

    def _hung_up(self, call: wf.Call) -> None:
        found = self._find(call.id)
        self.services.events.publish(ev.CallChanged(call.id))  # the card's history shows the call now
        if call.state is CallState.MISSED:
            self.last_missed = call.call_ref
            self.call_missed.emit(call.id)
            self.services.events.publish(ev.TasksChanged(call.customer_id))
        if found is None:
            self._changed()
            return
        where, view = found
        view.model = call
        if where == "waiting":
            self.waiting.remove(view)
            self._show_banner()
            messages.info(f"Missed call from {view.who()}: a callback task is in the work list.")
        elif where == "held":
            self.on_hold.remove(view)
            self._show_bar()
            messages.info(f"{view.who()} hung up while on hold: the wrap-up is offered after this call.")
        elif call.state is CallState.MISSED:
            messages.info(f"Missed call from {view.who()}: a callback task is in the work list.")
            self.call = _Call()
            self._next_or_idle()
        else:
            self._start_wrapup(view)
        self._changed()

    # -- the agent's commands --------------------------------------------------------------------------
    def _send(self, kind: CallEventKind, ref: str, cause: str = "") -> None:
        self.handle_event(CallEvent(kind, ref or None, cause=cause, source=EventSource.UI))

    def answer_current(self) -> None:
        if self.call.state is CallState.RINGING:
            self._send(CallEventKind.ANSWER, self.call.ref)
        elif self.waiting:
            self.answer_waiting()

    def decline_current(self) -> None:
        if self.call.state is CallState.RINGING:
            self._send(CallEventKind.HANGUP, self.call.ref, "declined")

    def answer_waiting(self) -> None:
        if self.waiting:
            self._send(CallEventKind.ANSWER, self.waiting[0].ref)

    def decline_waiting(self) -> None:
        if self.waiting:
            self._send(CallEventKind.HANGUP, self.waiting[0].ref, "declined")

    def toggle_hold(self) -> None:
        if self.call.state is CallState.ACTIVE:
            self._send(CallEventKind.HOLD, self.call.ref)
        elif self.call.state is CallState.HELD:
            self._send(CallEventKind.RESUME, self.call.ref)

    def start_call_for_shown(self) -> None:
        """Ctrl+Shift+C: an answered call with the customer whose card is shown (or nobody)."""
        if self.status != IDLE or self.wrapup is not None:
            messages.info("A call is already in progress.")
            return
        card = self.parts.caller_card
        current = card.current
        customer = current if isinstance(current, CallerCard) and card.mode == "card" else None
        agent = self.services.settings.agent_id
        region = self.services.settings.default_region
        phone = customer.customer.phone_e164 if customer else None
        self._starting = True

        def work(db: Database) -> wf.Rung:
            rung = wf.ring(db, CallEvent(CallEventKind.RING, None, phone or "", source=EventSource.UI),
                           agent_id=agent, region=region)
            if customer is not None and rung.call.customer_id != customer.customer.id:
                wf.link_customer(db, rung.call.id, customer.customer.id)
            call, _held = wf.answer(db, rung.call.call_ref, agent_id=agent)
            return wf.Rung(call, rung.caller, customer, False)

        def done(rung: wf.Rung) -> None:
            self._starting = False
            view = _from_rung(rung)
            view.started_mono = time.monotonic()
            self.enter_focus()
            self._make_current(view)
            self._changed()

        def failed(e: BaseException) -> None:
            self._starting = False
            messages.error(f"The call could not be started: {messages.describe(e)}")
            self._changed()

        self.services.db_call(work, done, failed)
        self._changed()

    def _customer_created(self, customer_id: int) -> None:
        """A customer created from the new-caller form during a call (or its wrap-up) is the call's."""
        view = self.call
        if view.model is None or view.customer is not None:
            return
        call_id = view.call_id

        def work(db: Database) -> tuple[wf.Call, Customer | None]:
            from agent_assist.store import queries

            return wf.link_customer(db, call_id, customer_id), queries.get_customer(db, customer_id)

        def done(result: tuple[wf.Call, Customer | None]) -> None:
            call, customer = result
            if self.call.call_id != call_id:
                return
            self.call.model = call
            self.call.customer = customer
            if self.wrapup is not None and customer is not None:
                self.wrapup.set_customer(customer)
            self._show_bar()
            self._changed()

        self.services.db_call(work, done, lambda e: messages.error(
            f"The new customer was not linked to the call: {messages.describe(e)}"))

    # -- the bar and the banner ----------------------------------------------------------------------------
    def _show_bar(self) -> None:
        c = self.call
        state = c.state
        b = self.bar
        if state is None:
            b.setVisible(False)
            return
        label = {CallState.RINGING: "Ringing", CallState.ACTIVE: "On call", CallState.HELD: "On hold",
                 CallState.WRAP_UP: "Wrap-up"}.get(state, state.value)
        b.who.setText(f"<b>{label}</b> {'with' if state is not CallState.RINGING else '—'} {html.escape(c.who())}")
        ringing = state is CallState.RINGING
        b.answer_button.setVisible(ringing)
        b.decline_button.setVisible(ringing)
        b.hold_button.setVisible(state in (CallState.ACTIVE, CallState.HELD))
        b.hold_button.setText("Resume" if state is CallState.HELD else "Hold")
        b.park_button.setVisible(state in (CallState.ACTIVE, CallState.HELD))
        b.end_button.setVisible(state in (CallState.ACTIVE, CallState.HELD))
        b.clock.setVisible(state is not CallState.RINGING)
        held = [h.who() for h in self.on_hold]
        b.held.setText(("On hold: " + ", ".join(html.escape(h) for h in held)) if held else "")
        b.held.setVisible(bool(held))
        self._update_clock()
        self._update_parked()
        b.setVisible(True)

    def _show_banner(self) -> None:
        if self.waiting:
            self.banner.show_call(self.waiting[0], len(self.waiting) - 1)
        else:
            self.banner.setVisible(False)

    def _top_cue(self, view: _Call) -> None:
        card = view.card
        if card is None:
            return
        now = datetime.now(UTC).replace(tzinfo=None)

        def done(cues: list[Cue]) -> None:
            if cues:
                view.top_cue = f"{cues[0].why} → {cues[0].action}"
                self._show_banner()
                self._changed()

        with contextlib.suppress(RuntimeError):
            self.services.run("io", lambda: compute_cues(card, now.date(), now, _words()), done,
                              lambda e: log.warning("retention cues failed: %s", e))

    def elapsed_s(self) -> float:
        return max(0.0, time.monotonic() - self.call.started_mono) if self.call.started_mono else 0.0

    def _update_clock(self) -> None:
        s = int(self.elapsed_s())
        self.bar.clock.setText(f"{s // 60}:{s % 60:02d}")

    # -- focus layout --------------------------------------------------------------------------------
    def _panels(self) -> dict[str, QWidget]:
        p = self.parts
        return {"caller_card": p.caller_card, "talk_meter": p.talk_meter, "phrasing_panel": p.phrasing_panel,
                "side_panel": p.side_panel}

    def enter_focus(self) -> None:
        """Switch to the call layout; remember the normal one."""
        if self.in_focus:
            return
        p = self.parts
        panels = self._panels()
        self._layout = _Layout(
            desk_sizes=p.desk_split.sizes(), right_sizes=p.right.sizes(), tab=p.tabs.currentIndex(),
            tab_enabled=[p.tabs.isTabEnabled(i) for i in range(p.tabs.count())],
            hidden={name: w.isHidden() for name, w in panels.items()},
        )
        p.tabs.setCurrentWidget(p.desk)
        desk = p.tabs.indexOf(p.desk)
        for i in range(p.tabs.count()):
            if i != desk:
                p.tabs.setTabEnabled(i, False)
        for name, w in panels.items():
            w.setVisible(name != "side_panel")
        self.notifications.hold()
        self.in_focus = True
        self._os_hide()
        self.focus_changed.emit(True)
        self._changed()

    def leave_focus(self) -> None:
        """Back to the normal layout exactly as it was; held notifications return."""
        if not self.in_focus:
            return
        p = self.parts
        saved = self._layout
        if saved is not None:
            for name, w in self._panels().items():
                w.setHidden(saved.hidden.get(name, False))
            for i, enabled in enumerate(saved.tab_enabled):
                if i < p.tabs.count():
                    p.tabs.setTabEnabled(i, enabled)
            p.tabs.setCurrentIndex(saved.tab)
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
        self.parts.desk_split.setSizes(saved.desk_sizes)
        self.parts.right.setSizes(saved.right_sizes)

    def _urgent_posted(self, n: Any) -> None:
        if self.in_focus:
            self.bar.urgent.setText(f"⚠ {html.escape(n.text)}")
            self.bar.urgent.setVisible(True)

    def _os_hide(self) -> None:
        if not self.os_focus.available():
            return
        wid = int(self.parts.window_id())
        self.services.run("io", lambda: self.os_focus.hide_others(wid), None,
                          lambda e: log.warning("OS focus failed: %s", e))

    def _os_restore(self) -> None:
        if self.os_focus.available():
            self.services.run("io", self.os_focus.restore, None,
                              lambda e: log.warning("OS focus restore failed: %s", e))

    # -- parking -------------------------------------------------------------------------------------
    def park(self) -> None:
        """Ctrl+P: open the one-line park input."""
        if self.call.state not in (CallState.ACTIVE, CallState.HELD, CallState.RINGING):
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
        view = self.call
        view.pending_parks += 1

        def work(db: Database) -> int:
            from agent_assist.store import calls

            return calls.add_task(db, text=r.text, kind="parked", agent_id=agent, call_id=call_id,
                                  customer_id=customer_id, redacted=r.changed)

        def done(task_id: int) -> None:
            view.pending_parks -= 1
            view.parked.append({"id": task_id, "text": r.text, "redacted": r.changed})
            if view is not self.call:
                return
            self._update_parked()
            if r.changed:
                self.bar.park_note.setText(f"Parked, {r.describe()}: “{r.text}”")
                self.bar.park_note.setVisible(True)
            else:
                self.bar.park_note.setVisible(False)
            self._changed()

        def failed(e: BaseException) -> None:
            view.pending_parks -= 1
            messages.error(f"The task was not parked: {messages.describe(e)}")

        self.services.db_call(work, done, failed)

    def _update_parked(self) -> None:
        n = len(self.call.parked)
        self.bar.parked.setText(f"{n} parked" if n else "")

    # -- ending the call and wrap-up -----------------------------------------------------------------
    def _live_metrics(self) -> dict[str, Any]:
        """Talk figures from the live listening controller, when one is running."""
        try:
            m = self.parts.talk_meter.listening.current_metrics()
        except Exception as e:  # the meter must never block hanging up
            log.warning("live metrics unavailable: %s", e)
            return {}
        if m is None:
            return {}
        d = m.to_dict()
        return {k: v for k, v in d.items() if isinstance(v, int | float) or v is None}

    def end_call(self) -> None:
        """Ctrl+Shift+E: hang up the current call; the workflow stores the talk time, then the wrap-up."""
        if self.status == WRAPUP:
            messages.info("The call has already ended: finish the wrap-up (Ctrl+Enter saves).")
            return
        if self.call.state not in (CallState.ACTIVE, CallState.HELD):
            messages.info("There is no call to end.")
            return
        self.cancel_park()
        self._send(CallEventKind.HANGUP, self.call.ref)

    def _start_wrapup(self, view: _Call) -> None:
        self._tick.stop()
        call = view.model
        assert call is not None
        call_id = call.id
        metrics = {"duration_s": call.duration_s}

        def work(db: Database) -> list[dict[str, Any]]:
            from agent_assist.store import calls

            calls.finish_call(db, call_id, summary=build_summary(db, call_id), status="wrapup")
            # read back from the store: parks still queued on the db lane are included
            return [t for t in calls.tasks_for_call(db, call_id) if t["kind"] == "parked" and not t["done"]]

        def done(parked: list[dict[str, Any]]) -> None:
            if self.call is not view:
                return
            self.call_ended.emit(call_id)
            self.show_wrapup(parked, metrics)

        def failed(e: BaseException) -> None:
            messages.error(f"The end of the call was not saved: {messages.describe(e)} "
                           "Wrap-up opens anyway; saving it will try again.")
            if self.call is view:
                self.show_wrapup(list(view.parked), metrics)

        self.services.active_call_id = 0
        self.services.active_call_changed.emit(0)
        self._show_bar()
        self.services.db_call(work, done, failed)

    def show_wrapup(self, parked: list[dict[str, Any]], metrics: dict[str, Any],
                    draft: dict[str, Any] | None = None, wrapup_started: str | None = None) -> None:
        if not self.in_focus:
            self.enter_focus()
        self._show_bar()
        self.bar.park_note.setVisible(False)
        self.bar.setVisible(True)
        issues = self.call.card.open_issues if self.call.card else ()
        info = CallInfo(self.call.call_id, self.call.customer, self.call.phone,
                        metrics.get("duration_s"), metrics, issues=tuple(issues),
                        wrapup_started=wrapup_started)
        panel = WrapUpPanel(self.services, info, parked, draft=draft)
        panel.saved.connect(self._wrapup_saved)
        panel.edited.connect(self._changed)
        self.wrapup = panel
        self.parts.talk_meter.setVisible(False)
        self.parts.phrasing_panel.setVisible(False)
        self.parts.right.insertWidget(0, panel)
        panel.notes.setFocus()
        self._changed()

    def _drop_wrapup(self) -> None:
        panel, self.wrapup = self.wrapup, None
        if panel is not None:
            panel.flush_draft()
            panel.setVisible(False)
            panel.setParent(None)
            panel.deleteLater()

    def _wrapup_saved(self, call_id: int) -> None:
        self._drop_wrapup()
        self.bar.park_note.setVisible(False)
        self.call = _Call()
        self.services.active_call_id = 0
        self._next_or_idle()
        self.services.events.publish(ev.CallChanged(call_id))
        self.services.events.publish(ev.TasksChanged())
        self.wrapup_saved.emit(call_id)
        messages.info("Wrap-up saved.")
        self._changed()

    def _next_or_idle(self) -> None:
        """After a call: the next waiting call rings on the card, else a held one, else the normal layout."""
        if self.waiting:
            self._make_current(self.waiting.pop(0))
            self._show_banner()
            return
        if self.on_hold:
            self._make_current(self.on_hold.pop(0))
            return
        self._tick.stop()
        self.bar.setVisible(False)
        # panels react to the end of the call first (their size may change), then the layout comes back
        self.services.active_call_changed.emit(0)
        self.leave_focus()
        QTimer.singleShot(0, self.check_unfinished)

    # -- after a crash -----------------------------------------------------------------------------------
    def check_unfinished(self) -> None:
        """Offer to resume the wrap-up of this agent's unfinished call (left by a crash)."""
        path = Path(str(self.services.db_path))
        if not path.exists() or self.status != IDLE or self.wrapup is not None:
            return
        agent = self.services.settings.agent_id

        def work(db: Database) -> dict[str, Any] | None:
            from agent_assist.store import calls, queries

            rows = calls.unfinished_calls(db, agent)
            rows = [r for r in rows if r.kind == "call"]
            if not rows:
                return None
            row = rows[-1]
            card = queries.caller_card(db, row.customer_id) if row.customer_id else None
            parked = [t for t in calls.tasks_for_call(db, row.id) if t["kind"] == "parked" and not t["done"]]
            record = calls.call_record(db, row.id) or {}
            return {"call_id": row.id, "row": row, "customer": card.customer if card else None, "card": card,
                    "parked": parked, "others": len(rows) - 1, "record": record,
                    "draft": calls.wrapup_draft(db, row.id)}

        with contextlib.suppress(RuntimeError):  # raised when the window closed before the check ran
            self.services.db_call(work, self._offer_resume,
                                  lambda e: log.warning("could not look for unfinished calls: %s", e))

    def _offer_resume(self, offer: dict[str, Any] | None) -> None:
        if offer is None or self.status != IDLE or self.wrapup is not None:
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
        record: dict[str, Any] = offer["record"]
        call_id = row.id
        state = CallState(row.status) if row.status in {s.value for s in CallState} else CallState.WRAP_UP
        model = wf.Call.from_row(record) if record else None
        self.call = _Call(call_id=row.id, model=model, customer=offer["customer"], card=offer["card"],
                          phone=row.phone_e164, label=(record.get("display_name") or ""),
                          parked=[{"id": t["id"], "text": t["text"], "redacted": bool(t["redacted"])}
                                  for t in offer["parked"]])
        if offer["customer"] is not None:
            self.parts.caller_card.show_caller(offer["card"], row.phone_e164, self.call.label)
        agent = self.services.settings.agent_id
        ref = self.call.ref or str(call_id)

        def work(db: Database) -> wf.Call:
            from agent_assist.store import calls

            if state in (CallState.ACTIVE, CallState.HELD):  # crashed mid-call: the hang-up was never recorded
                wf.hangup(db, ref, agent_id=agent, cause="app restarted")
            elif state is CallState.RINGING:
                return wf.hangup(db, ref, agent_id=agent, cause="app restarted")
            calls.finish_call(db, call_id, summary=build_summary(db, call_id), status="wrapup")
            return wf.get(db, call_id)

        def done(call: wf.Call) -> None:
            if self.call.call_id != call_id:
                return
            self.call.model = call
            if call.state is CallState.MISSED:
                self.call = _Call()
                self._next_or_idle()
                self._changed()
                return
            self.show_wrapup(self.call.parked, {"duration_s": call.duration_s}, draft=offer["draft"],
                             wrapup_started=record.get("wrapup_started_at") or call.ended_at)

        self.services.db_call(work, done, lambda e: messages.error(
            f"The wrap-up could not be resumed: {messages.describe(e)}"))
