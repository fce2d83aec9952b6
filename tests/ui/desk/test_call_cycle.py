"""A whole call through the real main window on a real demo database.

screen pop -> focus layout -> park two tasks with the keyboard -> end call -> wrap-up shows both ->
summary saved -> layout restored exactly; plus the bad inputs: empty park, ending twice, a customer
without history, a crash mid-call (resume offer), and retention cues on the card.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store import calls, queries
from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo
from agent_assist.telephony.events import CallEvent, CallEventKind
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.main_window import MainWindow

CARD = "4111 1111 1111 1111"

# The talk meter starts listening when a call starts; with no sound server here Qt warns that it cannot
# reach PulseAudio (the talk meter's own tests cover that case).
pytestmark = pytest.mark.qt_log_ignore("PulseAudioService: pa_context_connect")


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    db = connect(path)
    build_demo(db, customers=40, seed=11)
    db.close()
    return path


@pytest.fixture
def services(db_file: Path) -> Iterator[Services]:
    s = Services(Settings(), db_file)
    yield s
    s.close()


def settle(qtbot: QtBot, services: Services) -> None:
    """Let delayed reloads (the caller card reloads 300 ms after data changes) run before closing."""
    qtbot.wait(400)
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)


def make_window(qtbot: QtBot, services: Services) -> MainWindow:
    w = MainWindow(services)
    qtbot.addWidget(w)
    w.setStyleSheet(style.stylesheet())
    w.resize(1400, 880)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot: QtBot, services: Services) -> MainWindow:
    w = make_window(qtbot, services)
    # let the side panel's first load and the unfinished-call check finish
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)
    return w


@pytest.fixture
def captured() -> Iterator[list[messages.MessageInfo]]:
    seen: list[messages.MessageInfo] = []
    messages.bridge.show.connect(seen.append)
    yield seen
    messages.bridge.show.disconnect(seen.append)


def read(path: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    db = connect(path)
    try:
        return [tuple(r) for r in db.execute(sql, params or []).fetchall()]
    finally:
        db.close()


def key(qtbot: QtBot, window: MainWindow, seq: str) -> None:
    """Press a shortcut the way a user does: to the focused widget of the active window."""
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    focused = QApplication.focusWidget()
    target = focused if focused is not None and focused.isVisible() else window
    mods = Qt.KeyboardModifier.NoModifier
    parts = seq.split("+")
    for p in parts[:-1]:
        mods |= {"Ctrl": Qt.KeyboardModifier.ControlModifier, "Shift": Qt.KeyboardModifier.ShiftModifier}[p]
    k = getattr(Qt.Key, f"Key_{parts[-1]}")
    qtbot.keyClick(target, k, mods)


def test_whole_call_cycle(qtbot: QtBot, window: MainWindow, services: Services, db_file: Path,
                          captured: list[messages.MessageInfo]) -> None:
    w = window
    ctl = w.call_focus
    side = w.side_panel
    # a normal layout that is not the default: the agent moved the splitters and picked the queue tab
    # (both sides are kept wider than their panels' minimum widths with the card's cues and the talk
    # meter's longest status line shown, which a splitter would enforce whatever we restore)
    w.resize(1700, 900)
    qtbot.waitUntil(lambda: sum(w.desk_split.sizes()) > 1600)
    w.desk_split.setSizes([760, 900])
    w.right.setSizes([200, 250, 400])
    side.tabs.setCurrentIndex(1)
    before = (w.desk_split.sizes(), w.right.sizes(), w.tabs.currentIndex(), side.tabs.currentIndex())
    side.notifications.post("Team meeting at 15:00")
    assert side.isVisible() and not ctl.bar.isVisible()

    # screen pop: the ring shows the card, the answer starts the call
    e164 = read(db_file, "SELECT phone_e164 FROM customers WHERE id = 1")[0][0]
    with qtbot.waitSignal(ctl.focus_changed, timeout=10000):
        ctl.handle_event(CallEvent(CallEventKind.RING, "c-1", e164))
    assert ctl.status == "ringing" and ctl.bar.answer_button.isVisible()
    qtbot.mouseClick(ctl.bar.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.status == "active", timeout=10000)
    assert services.active_call_id == ctl.call.call_id > 0 and ctl.call.ref == "c-1"
    assert read(db_file, "SELECT status, customer_id, call_ref FROM calls WHERE id = ?", [ctl.call.call_id]) == \
        [("active", 1, "c-1")]

    # focus layout: card (with open issues), talk meter, phrasing panel; no side panel, other tabs off
    assert w.caller_card.isVisible() and w.talk_meter.isVisible() and w.phrasing_panel.isVisible()
    assert not side.isVisible() and not side.view.isVisible()
    assert not side.queue.isVisible() and not side.inbox.isVisible()
    assert ctl.bar.isVisible() and w.tabs.currentWidget() is w.desk
    assert [w.tabs.isTabEnabled(i) for i in range(w.tabs.count())] == [True, False, False]
    qtbot.waitUntil(lambda: w.caller_card.mode == "card", timeout=10000)
    assert w.caller_card.issues_panel.isVisible()
    # non-urgent notifications are held, urgent ones still show
    side.notifications.post("New knowledge-base article")
    assert [n.text for n in side.notifications.held_items()] == ["Team meeting at 15:00",
                                                                 "New knowledge-base article"]
    side.notifications.post("Fire drill in 5 minutes", urgent=True)
    assert ctl.bar.urgent.isVisible() and "Fire drill" in ctl.bar.urgent.text()

    # park two tasks with the keyboard; an empty one is refused with a message
    w.activateWindow()
    key(qtbot, w, "Ctrl+P")
    assert ctl.bar.park_input.isVisible() and ctl.bar.park_input.hasFocus()
    qtbot.keyClick(ctl.bar.park_input, Qt.Key.Key_Return)
    assert captured and "Type what to do later" in captured[-1].text
    assert ctl.bar.park_input.isVisible()
    qtbot.keyClicks(ctl.bar.park_input, "Send the refund e-mail")
    qtbot.keyClick(ctl.bar.park_input, Qt.Key.Key_Return)
    assert not ctl.bar.park_input.isVisible()
    key(qtbot, w, "Ctrl+P")
    qtbot.keyClicks(ctl.bar.park_input, f"Refund to card {CARD} tomorrow")
    qtbot.keyClick(ctl.bar.park_input, Qt.Key.Key_Return)
    # Esc cancels a third one
    key(qtbot, w, "Ctrl+P")
    qtbot.keyClicks(ctl.bar.park_input, "never mind")
    qtbot.keyClick(ctl.bar.park_input, Qt.Key.Key_Escape)
    assert not ctl.bar.park_input.isVisible()
    qtbot.waitUntil(lambda: len(ctl.call.parked) == 2, timeout=10000)
    assert ctl.bar.park_note.isVisible() and "redacted" in ctl.bar.park_note.text()
    stored = read(db_file, "SELECT kind, text, redacted FROM tasks WHERE call_id = ? ORDER BY id",
                  [ctl.call.call_id])
    assert stored == [("parked", "Send the refund e-mail", 0),
                      ("parked", "Refund to card [card ••••1111] tomorrow", 1)]

    # end the call: saved at hang-up as 'wrapup' with metrics and a summary, then the wrap-up panel
    call_id = ctl.call.call_id
    with qtbot.waitSignal(ctl.call_ended, timeout=10000):
        key(qtbot, w, "Ctrl+Shift+E")
    status, duration, summary = read(db_file, "SELECT status, duration_s, summary_json FROM calls WHERE id = ?",
                                     [call_id])[0]
    assert status == "wrapup" and isinstance(duration, float) and 0 <= duration < 120 and summary
    # ending twice: one clear message, nothing changes
    key(qtbot, w, "Ctrl+Shift+E")
    assert "already ended" in captured[-1].text
    panel = ctl.wrapup
    assert panel is not None and panel.isVisible()
    assert panel.parked_texts() == ["Send the refund e-mail", "Refund to card [card ••••1111] tomorrow  (redacted)"]
    assert not w.talk_meter.isVisible() and not side.isVisible()

    # wrap-up: first task done, second becomes a follow-up; outcome and notes (redacted, and it says so)
    panel.set_done(0)
    panel.set_follow_up(1)
    assert panel.follow_up.isChecked()
    panel.outcome.setCurrentIndex(panel.outcome.findData("follow_up"))
    panel.notes.setPlainText("Customer read out SSN 123-45-6789, told them never to do that.")
    assert panel.redaction.isVisible() and "SSN" in panel.redaction.text()
    with qtbot.waitSignal(ctl.wrapup_saved, timeout=15000):
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    # saved: call done with outcome, redacted notes and the summary; tasks as chosen
    status, outcome, notes, summary = read(
        db_file, "SELECT status, outcome, notes, summary_json FROM calls WHERE id = ?", [call_id])[0]
    assert (status, outcome) == ("done", "follow_up")
    assert notes == "Customer read out SSN [SSN], told them never to do that."
    saved = json.loads(str(summary))
    assert saved["outcome"] == "follow_up" and saved["status"] == "done"
    tasks = read(db_file, "SELECT kind, text, done, channel, due_at FROM tasks WHERE call_id = ? ORDER BY id",
                 [call_id])
    assert [(k, d) for k, _t, d, _c, _due in tasks] == [("parked", 1), ("parked", 1), ("follow_up", 0)]
    follow = tasks[2]
    pref = read(db_file, "SELECT preferred_channel FROM customers WHERE id = 1")[0][0]
    assert follow[1] == "Refund to card [card ••••1111] tomorrow" and follow[3] == (pref or "phone")
    assert follow[4]

    # layout back exactly as it was; held notifications are back
    assert ctl.status == "idle" and services.active_call_id == 0 and ctl.wrapup is None
    assert side.isVisible() and not ctl.bar.isVisible() and w.talk_meter.isVisible()
    def layout() -> tuple[object, ...]:
        return (w.desk_split.sizes(), w.right.sizes(), w.tabs.currentIndex(), side.tabs.currentIndex())

    qtbot.waitUntil(lambda: layout() == before, timeout=3000)
    assert all(w.tabs.isTabEnabled(i) for i in range(w.tabs.count()))
    texts = [n.text for n in side.notifications.visible()]
    assert "Team meeting at 15:00" in texts and "New knowledge-base article" in texts
    assert not side.notifications.held
    settle(qtbot, services)


def test_call_without_number_or_history_and_crash_resume(
        qtbot: QtBot, services: Services, db_file: Path, captured: list[messages.MessageInfo]) -> None:
    w = make_window(qtbot, services)
    ctl = w.call_focus
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)
    # parking or ending with no call: a clear message, nothing stored
    ctl.park()
    assert "no call is active" in captured[-1].text
    ctl.end_call()
    assert "no call to end" in captured[-1].text
    # Ctrl+Shift+C with no card shown: a call with nobody (a customer without any history)
    with qtbot.waitSignal(ctl.focus_changed, timeout=10000):
        key(qtbot, w, "Ctrl+Shift+C")
    call_id = ctl.call.call_id
    assert ctl.call.customer is None and read(db_file, "SELECT customer_id, phone_e164 FROM calls WHERE id = ?",
                                              [call_id]) == [(None, None)]
    ctl.park_text("Check the invoice address")
    qtbot.waitUntil(lambda: len(ctl.call.parked) == 1, timeout=10000)
    # a second call arriving meanwhile: the waiting banner, the current call and card untouched;
    # declined, it is a missed call with a callback task
    mode = w.caller_card.mode
    ctl.handle_event(CallEvent(CallEventKind.RING, "w-2", "+15550000001"))
    qtbot.waitUntil(lambda: ctl.banner.isVisible(), timeout=10000)
    assert ctl.call.call_id == call_id and w.caller_card.mode == mode and ctl.state()["waiting"] == ["w-2"]
    assert "+1 555-000-0001" in ctl.banner.who.text()
    qtbot.mouseClick(ctl.banner.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not ctl.banner.isVisible(), timeout=10000)
    assert ctl.state()["last_missed"] == "w-2" and ctl.call.call_id == call_id
    assert read(db_file, "SELECT k.status, t.kind FROM calls k JOIN tasks t ON t.call_id = k.id"
                " WHERE k.call_ref = 'w-2'") == [("missed", "callback")]
    # listed in the missed-calls section of the work list (not among the work list's own rows)
    qtbot.waitUntil(lambda: len(w.side_panel.missed.rows()) == 1, timeout=10000)
    assert "+1 555-000-0001" in w.side_panel.missed.list.item(0).text()
    assert "MISSED CALLS (1)" in w.side_panel.missed.title.text()
    assert all(i.kind != "callback" or "555-000-0001" not in i.text for i in w.side_panel.model.items())
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=10000)

    # "crash": a new window on the same database while this call was never ended
    services2 = Services(Settings(), db_file)
    try:
        w2 = make_window(qtbot, services2)
        ctl2 = w2.call_focus
        qtbot.waitUntil(lambda: ctl2.state()["resume_offer"] == call_id, timeout=10000)
        assert ctl2.resume_bar.isVisible() and "was not wrapped up" in ctl2.resume_bar.text.text()
        assert ctl2.state()["resume_parked"] == ["Check the invoice address"]
        qtbot.mouseClick(ctl2.resume_bar.resume_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ctl2.wrapup is not None, timeout=10000)
        assert ctl2.wrapup is not None and ctl2.wrapup.parked_texts() == ["Check the invoice address"]
        assert ctl2.in_focus and not w2.side_panel.isVisible()
        assert not ctl2.wrapup.thanks.isVisible()  # nobody to thank: no customer
        ctl2.wrapup.set_done(0)
        # no outcome picked: saving says so and saves nothing; no notes: it asks once
        ctl2.wrapup.save()
        assert "Pick an outcome" in ctl2.wrapup.status.text()
        ctl2.wrapup.outcome.setCurrentIndex(ctl2.wrapup.outcome.findData("info_only"))
        ctl2.wrapup.save()
        assert "No notes" in ctl2.wrapup.status.text()
        assert read(db_file, "SELECT status FROM calls WHERE id = ?", [call_id]) == [("wrapup",)]
        with qtbot.waitSignal(ctl2.wrapup_saved, timeout=15000):
            ctl2.wrapup.save()
        assert read(db_file, "SELECT status FROM calls WHERE id = ?", [call_id]) == [("done",)]
        assert read(db_file, "SELECT done FROM tasks WHERE call_id = ?", [call_id]) == [(1,)]
        settle(qtbot, services2)
        settle(qtbot, services)
    finally:
        services2.close()


def test_retention_cues_reach_the_card(qtbot: QtBot, window: MainWindow, services: Services,
                                       db_file: Path) -> None:
    db = connect(db_file)
    try:
        card = queries.caller_card(db, 1)
    finally:
        db.close()
    from agent_assist.coach.retention import compute_cues

    expected = compute_cues(card, __import__("datetime").date.today())
    assert expected, "demo customer 1 has retention material"
    window.caller_card.open_customer(1)
    qtbot.waitUntil(lambda: window.caller_card.state()["cues"] == len(expected), timeout=10000)
    assert window.caller_card.cue_texts()[0].startswith(expected[0].why)
    settle(qtbot, services)


def test_wrapup_thanks_a_long_time_customer(qtbot: QtBot, window: MainWindow, services: Services,
                                            db_file: Path) -> None:
    db = connect(db_file)
    try:
        cid = db.execute("SELECT id FROM customers WHERE customer_since <= date('now', '-3 years')"
                         " ORDER BY id LIMIT 1").fetchone()[0]
        customer = queries.get_customer(db, cid)
        assert customer is not None
        call_id = calls.start_call(db, agent_id=1, customer_id=cid, phone_e164=customer.phone_e164)
    finally:
        db.close()
    ctl = window.call_focus
    from agent_assist.ui.desk.call_focus import _Call

    ctl.call = _Call(call_id=call_id, customer=customer)
    ctl.enter_focus()
    ctl.show_wrapup([], {"duration_s": 75.0})
    assert ctl.wrapup is not None
    assert ctl.wrapup.thanks.isVisible() and "Thank them" in ctl.wrapup.thanks.text()
    assert ctl.wrapup.no_tasks.isVisible()
    # the proposed follow-up is on the customer's channel, inside their hours
    from agent_assist.coach.retention import parse_hours

    ch = customer.preferred_channel or "phone"
    assert ctl.wrapup.follow_channel.currentData() == ch
    span = parse_hours(customer.preferred_hours)
    due = ctl.wrapup.proposed_due
    if span:
        assert span[0] <= due.time() <= span[1] or span[0] > span[1]
    ctl.wrapup.outcome.setCurrentIndex(ctl.wrapup.outcome.findData("resolved"))
    ctl.wrapup.notes.setPlainText("Thanked them.")
    with qtbot.waitSignal(ctl.wrapup_saved, timeout=15000):
        ctl.wrapup.save()
    settle(qtbot, services)


def test_new_customer_created_mid_call_is_linked_and_a_waiting_ring_never_touches_the_form(
        qtbot: QtBot, window: MainWindow, services: Services, db_file: Path) -> None:
    w = window
    ctl = w.call_focus
    card = w.caller_card
    ctl.handle_event(CallEvent(CallEventKind.RING, "n-1", "sip:+15550107777@pbx.example"))
    qtbot.waitUntil(lambda: card.mode == "new", timeout=10000)
    ctl.handle_event(CallEvent(CallEventKind.ANSWER, "n-1"))
    qtbot.waitUntil(lambda: ctl.status == "active", timeout=10000)
    form = card.new_caller
    form.name.setText("Nina Newcomer")
    form.channel.setCurrentIndex(form.channel.findData("sms"))

    # a second call rings while the form is half filled: banner only, the form keeps what was typed
    known = read(db_file, "SELECT phone_e164 FROM customers WHERE id = 2")[0][0]
    ctl.handle_event(CallEvent(CallEventKind.RING, "n-2", known))
    qtbot.waitUntil(lambda: ctl.banner.isVisible(), timeout=10000)
    assert card.mode == "new" and form.name.text() == "Nina Newcomer" and ctl.call.ref == "n-1"
    qtbot.waitUntil(lambda: bool(ctl.waiting[0].top_cue) or ctl.banner.cue.text() != "", timeout=10000)

    # created: the call gets the customer, its follow-up uses the customer's channel
    form.save()
    qtbot.waitUntil(lambda: ctl.call.customer is not None, timeout=10000)
    new_id = ctl.call.customer.id if ctl.call.customer else 0
    assert read(db_file, "SELECT customer_id FROM calls WHERE call_ref = 'n-1'") == [(new_id,)]
    ctl.handle_event(CallEvent(CallEventKind.HANGUP, "n-2", cause="cancel"))  # the second caller gave up
    qtbot.waitUntil(lambda: not ctl.banner.isVisible(), timeout=10000)
    width = w.width()
    with qtbot.waitSignal(ctl.call_ended, timeout=10000):
        ctl.end_call()
    panel = ctl.wrapup
    assert panel is not None and panel.follow_channel.currentData() == "sms"
    assert panel.outcome.currentIndex() == -1 and "After-call work" in panel.acw.text()
    panel.outcome.setCurrentIndex(panel.outcome.findData("callback"))
    panel.notes.setPlainText("New customer, call back about the contract.")
    # the shortcut works wherever the focus is: here, the caller card's search box
    card.search.setFocus()
    with qtbot.waitSignal(ctl.wrapup_saved, timeout=15000):
        key(qtbot, w, "Ctrl+Return")
    assert w.width() == width  # the window keeps its size
    assert read(db_file, "SELECT channel FROM tasks t JOIN calls k ON k.id = t.call_id"
                " WHERE k.call_ref = 'n-1' AND t.kind = 'follow_up'") == [("sms",)]
    assert read(db_file, "SELECT status, customer_id FROM calls WHERE call_ref = 'n-1'") == [("done", new_id)]
    # the card's history shows the finished call
    db = connect(db_file)
    try:
        assert queries.caller_card(db, new_id).history[0].kind == "call"
    finally:
        db.close()
    settle(qtbot, services)


def test_answering_a_waiting_call_holds_the_first_which_comes_back_after(
        qtbot: QtBot, window: MainWindow, services: Services, db_file: Path) -> None:
    ctl = window.call_focus
    card = window.caller_card
    p1, p2 = (read(db_file, "SELECT phone_e164 FROM customers WHERE id = ?", [i])[0][0] for i in (1, 2))
    ctl.handle_event(CallEvent(CallEventKind.RING, "h-1", p1))
    qtbot.waitUntil(lambda: ctl.status == "ringing", timeout=10000)
    ctl.answer_current()
    qtbot.waitUntil(lambda: ctl.status == "active", timeout=10000)
    ctl.park_text("Check the first caller's invoice")
    qtbot.waitUntil(lambda: len(ctl.call.parked) == 1, timeout=10000)
    ctl.handle_event(CallEvent(CallEventKind.RING, "h-2", p2))
    qtbot.waitUntil(lambda: ctl.banner.isVisible(), timeout=10000)
    assert card.state()["customer_id"] == 1
    qtbot.mouseClick(ctl.banner.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.call.ref == "h-2" and ctl.status == "active", timeout=10000)
    # the card and the active call follow the answered one; the first is on hold
    qtbot.waitUntil(lambda: card.state()["customer_id"] == 2, timeout=10000)
    assert [c.ref for c in ctl.on_hold] == ["h-1"] and ctl.bar.held.isVisible()
    assert services.active_call_id == ctl.call.call_id
    assert read(db_file, "SELECT call_ref, status FROM calls WHERE call_ref LIKE 'h-%' ORDER BY call_ref") == \
        [("h-1", "held"), ("h-2", "active")]
    with qtbot.waitSignal(ctl.call_ended, timeout=10000):
        ctl.end_call()
    panel = ctl.wrapup
    assert panel is not None
    panel.outcome.setCurrentIndex(panel.outcome.findData("info_only"))
    panel.notes.setPlainText("Second caller: information given.")
    with qtbot.waitSignal(ctl.wrapup_saved, timeout=15000):
        panel.save()
    # the held call is the current one again, still on hold, with its parked task; Resume takes it back
    assert ctl.call.ref == "h-1" and ctl.status == "held" and ctl.in_focus
    assert ctl.bar.hold_button.text() == "Resume" and [t["text"] for t in ctl.call.parked] == \
        ["Check the first caller's invoice"]
    qtbot.mouseClick(ctl.bar.hold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl.status == "active", timeout=10000)
    assert read(db_file, "SELECT status FROM calls WHERE call_ref = 'h-1'") == [("active",)]
    with qtbot.waitSignal(ctl.call_ended, timeout=10000):
        ctl.end_call()
    assert ctl.wrapup is not None and ctl.wrapup.parked_texts() == ["Check the first caller's invoice"]
    held_s = read(db_file, "SELECT held_s FROM calls WHERE call_ref = 'h-1'")[0][0]
    assert isinstance(held_s, float) and held_s > 0
    settle(qtbot, services)
