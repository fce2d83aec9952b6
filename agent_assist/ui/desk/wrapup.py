"""Wrap-up after a call: parked tasks come back, follow-ups on the customer's terms, outcome and notes.

Every parked task is listed: tick it done, or turn it into a follow-up. A follow-up is proposed on the
customer's preferred channel at the first moment inside their preferred hours (a day from now). A
long-time customer gets a thank-you reminder. Notes are redacted before they are stored, and the panel
says so. No outcome is preselected: the agent picks one, then Ctrl+Enter saves wherever the keyboard
focus is; saving without notes asks once. The after-call-work timer runs from the hang-up. The outcome
can resolve the open issue the call was about.

Nothing typed is lost: every field is saved as a draft as it is typed (debounced, on the db lane), so a
crash loses at most about a second of typing, and a resumed wrap-up comes back as it was left. Saving
writes tasks, outcome, notes, the issue, the summary and the call's transition to done in one transaction.

Why this file is over 400 lines: the wrap-up form, its draft autosave and its save transaction are one unit:
the draft must mirror every field exactly.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from agent_assist.coach.redact import redact
from agent_assist.coach.retention import (
    describe_preference,
    is_long_time_customer,
    next_preferred_slot,
)
from agent_assist.store.models import Customer, Issue
from agent_assist.store.outcomes import WRAPUP_OUTCOMES
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services

OUTCOMES = WRAPUP_OUTCOMES  # the one vocabulary, shared with Review, CSV and PDF (store.outcomes)
CHANNELS = (("phone", "Phone"), ("email", "E-mail"), ("sms", "SMS"), ("chat", "Chat"))
FOLLOW_UP_LEAD = timedelta(hours=24)
DRAFT_DELAY_MS = 400  # typing pauses this long -> the draft is written (a crash loses at most ~1 s)


@dataclass
class CallInfo:
    """What wrap-up needs to know about the call that just ended."""

    call_id: int
    customer: Customer | None
    phone: str | None
    duration_s: float | None
    metrics: dict[str, Any] = field(default_factory=dict)
    issues: tuple[Issue, ...] = ()  # the customer's open issues: the call may have been about one
    wrapup_started: str | None = None  # naive UTC ISO: when the after-call work began (the hang-up)


def utc_iso(local: datetime) -> str:
    """A local (naive or aware) time as the store's naive UTC ISO text."""
    aware = local if local.tzinfo else local.astimezone()
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def propose_due(customer: Customer | None, now_local: datetime) -> datetime:
    """The proposed follow-up time: inside the customer's preferred hours, a day from now at the earliest."""
    hours = customer.preferred_hours if customer else None
    start = now_local.replace(second=0, microsecond=0)
    start += timedelta(minutes=-start.minute % 15)  # a round time to promise: up to the quarter hour
    return next_preferred_slot(hours, start, FOLLOW_UP_LEAD)


def build_summary(db: Database, call_id: int) -> dict[str, Any]:
    """The session summary from coach.summary; a plain dict of the stored call if that is not possible."""
    from agent_assist.store import calls

    try:
        from agent_assist.coach.summary import summarize_detail
        from agent_assist.store.review import call_detail

        return dict(summarize_detail(call_detail(db, call_id)).to_dict())
    except (ImportError, LookupError, ValueError, TypeError, KeyError):
        row = calls.get_call(db, call_id)
        tasks = calls.tasks_for_call(db, call_id)
        return {
            "call_id": call_id,
            "status": row.status if row else None,
            "outcome": row.outcome if row else None,
            "notes": row.notes if row else None,
            "tasks": [{k: t[k] for k in ("kind", "text", "done", "due_at", "channel")} for t in tasks],
        }


class WrapUpPanel(QWidget):
    """The wrap-up form. ``saved(call_id)`` fires once everything is stored."""

    saved = Signal(int)
    edited = Signal()  # any field changed (the draft is written shortly after)
    TEXT, DONE, FOLLOW = range(3)

    def __init__(self, services: Services, call: CallInfo, parked: list[dict[str, Any]],
                 today: date | None = None, parent: QWidget | None = None,
                 draft: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wrapUp")
        self._services = services
        self.call = call
        self._parked = list(parked)
        self._saving = False
        self._saved = False
        self._asked_no_notes = False
        self._loading = True
        self._draft_dirty = False
        today = today or datetime.now().date()
        c = call.customer

        title = QLabel("WRAP-UP")
        title.setObjectName("panelTitle")
        self.heading = QLabel()
        self.heading.setObjectName("wrapHeading")
        self.heading.setWordWrap(True)
        self.acw = QLabel()
        self.acw.setObjectName("acwTimer")
        self.acw.setToolTip("After-call work: time since the call ended")
        started = _parse_utc(call.wrapup_started)
        ago = (datetime.now(UTC).replace(tzinfo=None) - started).total_seconds() if started else 0.0
        self._acw_origin = time.monotonic() - max(0.0, ago)
        self._acw_timer = QTimer(self)
        self._acw_timer.setInterval(1000)
        self._acw_timer.timeout.connect(self._update_acw)
        self._acw_timer.start()

        # thank-you reminder for long-time customers
        self.thanks = QLabel()
        self.thanks.setObjectName("cue")
        self.thanks.setProperty("severity", "info")
        self.thanks.setWordWrap(True)
        if c is not None and is_long_time_customer(c.customer_since, today):
            since = date.fromisoformat((c.customer_since or "")[:10])
            years = today.year - since.year - ((today.month, today.day) < (since.month, since.day))
            self.thanks.setText(f"<b>{html.escape(c.name)} has been a customer for {years} years.</b>"
                                "  → Thank them for their loyalty in your follow-up.")
        self.thanks.setVisible(bool(self.thanks.text()))

        # parked tasks
        self.tasks = QTreeWidget()
        self.tasks.setObjectName("parkedTasks")
        self.tasks.setRootIsDecorated(False)
        self.tasks.setColumnCount(3)
        self.tasks.setHeaderLabels(["Parked during the call", "Done", "Follow up"])
        hh = self.tasks.header()
        hh.setSectionResizeMode(self.TEXT, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(self.DONE, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(self.FOLLOW, QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(False)
        for t in self._parked:
            item = QTreeWidgetItem([str(t["text"]) + ("  (redacted)" if t.get("redacted") else ""), "", ""])
            item.setData(self.TEXT, Qt.ItemDataRole.UserRole, int(t["id"]))
            item.setToolTip(self.TEXT, "Card numbers and other personal data were redacted"
                            if t.get("redacted") else str(t["text"]))
            item.setCheckState(self.DONE, Qt.CheckState.Unchecked)
            item.setCheckState(self.FOLLOW, Qt.CheckState.Unchecked)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.tasks.addTopLevelItem(item)
        self.tasks.itemChanged.connect(self._task_changed)
        self.no_tasks = QLabel("Nothing was parked during this call.")
        self.no_tasks.setObjectName("emptyHint")
        self.no_tasks.setVisible(not self._parked)
        self.tasks.setVisible(bool(self._parked))
        # as tall as its rows (up to 8) so the form below keeps the room
        self.tasks.setMaximumHeight(34 + 26 * min(max(len(self._parked), 1), 8))

        # follow-up proposal
        pref = describe_preference(c.preferred_channel, c.preferred_hours) if c else ""
        self.follow_up = QCheckBox("Schedule a follow-up")
        self.follow_channel = QComboBox()
        for key, label in CHANNELS:
            self.follow_channel.addItem(label, key)
        channel = (c.preferred_channel if c else None) or "phone"
        self.follow_channel.setCurrentIndex(max(0, self.follow_channel.findData(channel)))
        self.follow_due = QDateTimeEdit()
        self.follow_due.setCalendarPopup(True)
        self.follow_due.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.proposed_due = propose_due(c, datetime.now())
        d = self.proposed_due  # a naive local time, as the editor shows it
        self.follow_due.setDateTime(QDateTime(QDate(d.year, d.month, d.day), QTime(d.hour, d.minute, d.second)))
        self.follow_text = QLineEdit()
        self.follow_text.setPlaceholderText("What the follow-up is about")
        self.follow_hint = QLabel(
            f"Proposed on the customer's terms: prefers {pref}." if pref
            else "No preferred channel or hours on file: proposed by phone, a day from now.")
        self.follow_hint.setObjectName("emptyHint")
        self.follow_hint.setWordWrap(True)

        # outcome (none preselected: the agent picks one) and notes
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        for key, label in OUTCOMES:
            self.outcome.addItem(label, key)
        self.outcome.setPlaceholderText("Pick an outcome…")
        self.outcome.setCurrentIndex(-1)
        self.outcome.currentIndexChanged.connect(self._outcome_changed)
        # the open issue the call was about: the outcome can resolve it
        self.issue = QComboBox()
        self.issue.setObjectName("callIssue")
        self.issue.addItem("Not about an open issue", 0)
        for i in call.issues:
            self.issue.addItem(i.title[:60], i.id)
        self.resolve_issue = QCheckBox("Mark it resolved")
        self.resolve_issue.setEnabled(False)
        self.issue.currentIndexChanged.connect(self._issue_changed)
        self.issue.setVisible(bool(call.issues))
        self.resolve_issue.setVisible(bool(call.issues))
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("wrapNotes")
        self.notes.setPlaceholderText("Notes (card numbers, CVVs, SSNs and IBANs are redacted before saving)")
        self.notes.setMaximumHeight(110)
        self.notes.textChanged.connect(self._notes_changed)
        self.redaction = QLabel()
        self.redaction.setObjectName("redactionNote")
        self.redaction.setWordWrap(True)
        self.redaction.setTextFormat(Qt.TextFormat.RichText)
        self.redaction.setStyleSheet("QLabel#redactionNote { color: #1e5a8c; background: #e9f2fb;"
                                     " border-radius: 4px; padding: 4px 8px; }")
        self.redaction.setVisible(False)

        self.save_button = QPushButton("Save wrap-up  (Ctrl+Enter)")
        self.save_button.setToolTip("Pick an outcome first; Ctrl+Enter then saves wherever the cursor is")
        self.save_button.setObjectName("primaryButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        self.status.setObjectName("emptyHint")

        frame = QFrame()
        frame.setObjectName("panel")
        fl = QVBoxLayout(frame)
        fl.setContentsMargins(12, 10, 12, 10)
        fl.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.acw)
        fl.addLayout(top)
        fl.addWidget(self.heading)
        fl.addWidget(self.thanks)
        fl.addWidget(self.no_tasks)
        fl.addWidget(self.tasks)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        # two rows, so the panel never needs more width than the desk gives it (the window kept growing)
        grid.addWidget(self.follow_up, 0, 0, 1, 2)
        grid.addWidget(self.follow_channel, 1, 0)
        grid.addWidget(self.follow_due, 1, 1)
        grid.addWidget(self.follow_text, 2, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.follow_hint, 3, 0, 1, 2)
        self.follow_text.setMinimumWidth(80)
        fl.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(QLabel("Outcome"))
        row.addWidget(self.outcome, 1)
        fl.addLayout(row)
        issue_row = QHBoxLayout()
        issue_row.addWidget(self.issue, 1)
        issue_row.addWidget(self.resolve_issue)
        fl.addLayout(issue_row)
        fl.addWidget(self.notes)
        fl.addWidget(self.redaction)
        fl.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_button)
        fl.addLayout(bottom)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(frame)

        # wherever the keyboard focus is in the window (the agent may be in the card or the search box)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(key), self, self.save, context=Qt.ShortcutContext.WindowShortcut)
        self._follow_toggled()
        self.follow_up.toggled.connect(self._follow_toggled)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.flush_draft)
        if draft:
            self._apply_draft(draft)
        for sig in (self.outcome.currentIndexChanged, self.notes.textChanged, self.follow_up.toggled,
                    self.follow_channel.currentIndexChanged, self.follow_due.dateTimeChanged,
                    self.follow_text.textChanged, self.tasks.itemChanged, self.issue.currentIndexChanged,
                    self.resolve_issue.toggled):
            sig.connect(self._touched)
        self._show_heading()
        self._update_acw()
        self._loading = False

    # -- the call and its customer -----------------------------------------------------------------------
    def _show_heading(self) -> None:
        c = self.call.customer
        who = c.name if c else (self.call.phone or "unknown caller")
        d = self.call.duration_s
        dur = f"  ·  talk time {int(d // 60)}:{int(d % 60):02d}" if d is not None else ""
        self.heading.setText(f"<b>Call with {html.escape(who)}</b>{dur}")

    def set_customer(self, customer: Customer) -> None:
        """A customer created (and linked to the call) during wrap-up: its channel and hours from now on."""
        self.call.customer = customer
        channel = customer.preferred_channel or "phone"
        self.follow_channel.setCurrentIndex(max(0, self.follow_channel.findData(channel)))
        pref = describe_preference(customer.preferred_channel, customer.preferred_hours)
        if pref:
            self.follow_hint.setText(f"Proposed on the customer's terms: prefers {pref}.")
        self.proposed_due = propose_due(customer, datetime.now())
        d = self.proposed_due
        self.follow_due.setDateTime(QDateTime(QDate(d.year, d.month, d.day), QTime(d.hour, d.minute, d.second)))
        self._show_heading()

    def acw_seconds(self) -> float:
        return max(0.0, time.monotonic() - self._acw_origin)

    def _update_acw(self) -> None:
        s = int(self.acw_seconds())
        self.acw.setText(f"After-call work  {s // 60}:{s % 60:02d}")

    def _issue_changed(self) -> None:
        has = bool(self.issue.currentData())
        self.resolve_issue.setEnabled(has)
        if has and self.outcome.currentData() == "resolved":
            self.resolve_issue.setChecked(True)
        if not has:
            self.resolve_issue.setChecked(False)

    # -- the draft (nothing typed is lost) -------------------------------------------------------------
    def _touched(self, *_args: Any) -> None:
        if self._loading or self._saved:
            return
        self._draft_dirty = True
        self._draft_timer.start()
        self.edited.emit()

    def draft(self) -> dict[str, Any]:
        """Every field as typed; texts redacted (the draft is stored like the notes would be)."""
        tasks: dict[str, str] = {}
        for item in self._items():
            tid = str(int(item.data(self.TEXT, Qt.ItemDataRole.UserRole)))
            if item.checkState(self.DONE) == Qt.CheckState.Checked:
                tasks[tid] = "done"
            elif item.checkState(self.FOLLOW) == Qt.CheckState.Checked:
                tasks[tid] = "follow"
        due = self.follow_due.dateTime().toPython()
        return {
            "outcome": self.outcome.currentData() or "",
            "notes": redact(self.notes.toPlainText()).text,
            "follow_up": self.follow_up.isChecked(),
            "follow_channel": self.follow_channel.currentData(),
            "follow_due": due.isoformat(timespec="minutes") if isinstance(due, datetime) else None,
            "follow_text": redact(self.follow_text.text()).text,
            "tasks": tasks,
            "issue_id": int(self.issue.currentData() or 0),
            "resolve_issue": self.resolve_issue.isChecked(),
        }

    def flush_draft(self) -> None:
        """Write the draft now (the timer calls this; so does leaving the panel)."""
        self._draft_timer.stop()
        if not self._draft_dirty or self._saved or self._saving:
            return
        self._draft_dirty = False
        draft = self.draft()
        call_id = self.call.call_id

        def work(db: Database) -> None:
            from agent_assist.store import calls

            calls.save_wrapup_draft(db, call_id, draft)

        self._services.db_call(work, None, lambda e: self.status.setText(
            f"The notes could not be saved as you type: {messages.describe(e)}"))

    def _apply_draft(self, d: dict[str, Any]) -> None:
        i = self.outcome.findData(d.get("outcome") or "")
        if i >= 0:
            self.outcome.setCurrentIndex(i)
        if isinstance(d.get("notes"), str):
            self.notes.setPlainText(d["notes"])
        self.follow_up.setChecked(bool(d.get("follow_up")))
        j = self.follow_channel.findData(d.get("follow_channel"))
        if j >= 0:
            self.follow_channel.setCurrentIndex(j)
        try:
            due = datetime.fromisoformat(str(d.get("follow_due")))
            self.follow_due.setDateTime(QDateTime(QDate(due.year, due.month, due.day), QTime(due.hour, due.minute)))
        except ValueError:
            pass
        if isinstance(d.get("follow_text"), str):
            self.follow_text.setText(d["follow_text"])
        raw_marks = d.get("tasks")
        marks: dict[str, Any] = raw_marks if isinstance(raw_marks, dict) else {}
        for row, item in enumerate(self._items()):
            mark = marks.get(str(int(item.data(self.TEXT, Qt.ItemDataRole.UserRole))))
            if mark == "done":
                self.set_done(row)
            elif mark == "follow":
                self.set_follow_up(row)
        k = self.issue.findData(int(d.get("issue_id") or 0))
        if k >= 0:
            self.issue.setCurrentIndex(k)
        self.resolve_issue.setChecked(bool(d.get("resolve_issue")) and self.resolve_issue.isEnabled())

    # -- state -----------------------------------------------------------------------------------------
    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tasks.topLevelItem(i) for i in range(self.tasks.topLevelItemCount()))
        return [it for it in items if it is not None]

    def parked_texts(self) -> list[str]:
        return [it.text(self.TEXT) for it in self._items()]

    def set_done(self, row: int, done: bool = True) -> None:
        self._items()[row].setCheckState(self.DONE, Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)

    def set_follow_up(self, row: int, follow: bool = True) -> None:
        self._items()[row].setCheckState(
            self.FOLLOW, Qt.CheckState.Checked if follow else Qt.CheckState.Unchecked)

    def _task_changed(self, item: QTreeWidgetItem, column: int) -> None:
        # done and follow-up exclude each other: a task handed to a follow-up is not done yet
        other = self.FOLLOW if column == self.DONE else self.DONE if column == self.FOLLOW else None
        if other is not None and item.checkState(column) == Qt.CheckState.Checked:
            self.tasks.blockSignals(True)
            item.setCheckState(other, Qt.CheckState.Unchecked)
            self.tasks.blockSignals(False)
        if column == self.FOLLOW and item.checkState(column) == Qt.CheckState.Checked:
            self.follow_up.setChecked(True)

    def _outcome_changed(self) -> None:
        if self.outcome.currentData() in ("follow_up", "callback"):
            self.follow_up.setChecked(True)
        if self.outcome.currentData() == "resolved" and self.issue.currentData():
            self.resolve_issue.setChecked(True)
        if self.outcome.currentIndex() >= 0 and self.status.text().startswith("Pick an outcome"):
            self.status.setText("")

    def _follow_toggled(self) -> None:
        on = self.follow_up.isChecked()
        for w in (self.follow_channel, self.follow_due, self.follow_text):
            w.setEnabled(on)

    def _notes_changed(self) -> None:
        r = redact(self.notes.toPlainText())
        self.redaction.setVisible(r.changed)
        if r.changed:
            self.redaction.setText(f"<b>{html.escape(r.describe()[:1].upper() + r.describe()[1:])}</b> — the notes will be "
                                   f"stored as:<br>{html.escape(r.text)}")

    # -- saving ----------------------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving or self._saved:
            return
        if self.outcome.currentIndex() < 0:
            self.status.setText("Pick an outcome first, then Ctrl+Enter saves.")
            self.outcome.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        if not self.notes.toPlainText().strip() and not self._asked_no_notes:
            self._asked_no_notes = True
            self.status.setText("No notes yet: type them, or save again (Ctrl+Enter) to save without notes.")
            self.notes.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        follow_rows: list[int] = []
        done_ids: list[int] = []
        follow_tasks: list[tuple[int, str]] = []
        for i, item in enumerate(self._items()):
            tid = int(item.data(self.TEXT, Qt.ItemDataRole.UserRole))
            if item.checkState(self.DONE) == Qt.CheckState.Checked:
                done_ids.append(tid)
            elif item.checkState(self.FOLLOW) == Qt.CheckState.Checked:
                follow_rows.append(i)
                follow_tasks.append((tid, str(self._parked[i]["text"])))
        follow = self.follow_up.isChecked()
        extra_text = redact(self.follow_text.text().strip()).text
        if follow and not follow_tasks and not extra_text:
            extra_text = f"Follow up: {self.outcome.currentText().lower()}"
        due_local = self.follow_due.dateTime().toPython()
        due = utc_iso(due_local) if isinstance(due_local, datetime) else None
        channel = str(self.follow_channel.currentData())
        notes = redact(self.notes.toPlainText().strip())
        outcome = str(self.outcome.currentData())
        call = self.call
        agent = self._services.settings.agent_id
        customer_id = call.customer.id if call.customer else None
        issue_id = int(self.issue.currentData() or 0)
        resolve = self.resolve_issue.isChecked() and bool(issue_id)

        def work(db: Database) -> dict[str, Any]:
            with db.atomic():  # all of it or nothing: a failure leaves the call in wrap-up, draft kept
                return write(db)

        def write(db: Database) -> dict[str, Any]:
            from agent_assist.store import calls
            from agent_assist.workflows import calls as wf

            if issue_id:
                calls.update_call(db, call.call_id, {"issue_id": issue_id})
                if resolve:
                    db.execute("UPDATE issues SET status = 'resolved', resolved_at = ? WHERE id = ?"
                               " AND status = 'open'", [calls.now_iso(), issue_id])
            for tid in done_ids:
                calls.set_task_done(db, tid)
            if follow:
                for tid, text in follow_tasks:
                    calls.add_task(db, text=text, kind="follow_up", agent_id=agent, call_id=call.call_id,
                                   customer_id=customer_id, due_at=due, channel=channel)
                    calls.set_task_done(db, tid)  # handed over to the follow-up
                if extra_text:
                    calls.add_task(db, text=extra_text, kind="follow_up", agent_id=agent,
                                   call_id=call.call_id, customer_id=customer_id, due_at=due, channel=channel)
            metrics = {k: v for k, v in (call.metrics or {}).items() if k != "duration_s"}
            calls.finish_call(db, call.call_id, metrics=metrics or None, outcome=outcome, notes=notes.text,
                              status="wrapup")
            summary = build_summary(db, call.call_id)
            summary["outcome"], summary["status"] = outcome, "done"
            row = calls.get_call(db, call.call_id)
            if row is not None and row.status == "wrapup":
                wf.finish(db, call.call_id, outcome=outcome, notes=notes.text, summary=summary)
            else:  # a call made before the workflow (or by hand in a test): just record it
                calls.finish_call(db, call.call_id, summary=summary, status="done")
            return summary

        self._saving = True
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._services.db_call(work, self._saved_ok, self._save_failed)

    def _saved_ok(self, _summary: dict[str, Any]) -> None:
        self._saving = False
        self._saved = True
        self._draft_timer.stop()
        self._acw_timer.stop()
        self.status.setText("Saved.")
        self.saved.emit(self.call.call_id)

    def _save_failed(self, e: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.status.setText("Not saved.")
        messages.error(f"The wrap-up was not saved: {messages.describe(e)} Nothing was lost; try again.")


def _parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t
