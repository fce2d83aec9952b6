"""The caller card on a real SQLite file: screen pop, search by each kind, keyboard flow, new caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo
from agent_assist.ui.common import style
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.caller_card import CallerCardWidget, relationship_length
from agent_assist.ui.desk.card_models import OpenIssuesModel

KNOWN_PHONE = "+15550109999"


def _iso(t: datetime) -> str:
    return t.replace(tzinfo=None).isoformat(timespec="seconds")


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """A small demo database plus one hand-made customer whose every field the tests know."""
    path = tmp_path / "card.db"
    db = connect(path)
    build_demo(db, customers=30, seed=7)
    assert queries.find_by_phone(db, KNOWN_PHONE) is None
    now = datetime.now(UTC)
    since = (now - timedelta(days=365 * 6 + 30)).date().isoformat()
    cid = db["customers"].insert({
        "name": "Ada Quillfeather", "email": "ada.quill@example.net", "phone": "555/010 9999",
        "phone_e164": KNOWN_PHONE, "customer_since": since, "preferred_channel": "sms",
        "preferred_hours": "18:00-21:00", "segment": "gold", "created_at": _iso(now),
    }).last_pk
    db["interactions"].insert_all([
        {"customer_id": cid, "at": _iso(now - timedelta(days=40)), "channel": "email",
         "direction": "out", "summary": "Sent the router manual"},
        {"customer_id": cid, "at": _iso(now - timedelta(days=2)), "channel": "call",
         "direction": "in", "summary": "Asked about the refund"},
    ])
    db["orders"].insert({"customer_id": cid, "at": _iso(now - timedelta(days=10)), "amount": 129.5,
                         "status": "delivered", "item": "Mesh router"})
    db["issues"].insert_all([
        {"customer_id": cid, "opened_at": _iso(now - timedelta(days=5, hours=1)), "status": "open",
         "severity": "high", "title": "Refund for the zephyrine router not received",
         "target_hours": 72.0, "reopen_count": 1},
        {"customer_id": cid, "opened_at": _iso(now - timedelta(hours=10)), "status": "open",
         "severity": "low", "title": "Change billing address", "target_hours": 120.0},
    ])
    db.close()
    return path


@pytest.fixture
def services(qtbot: QtBot, db_file: Path) -> Iterator[Services]:
    s = Services(Settings(), db_file)
    yield s
    s.close()


@pytest.fixture
def card(qtbot: QtBot, services: Services) -> CallerCardWidget:
    w = CallerCardWidget(services)
    qtbot.addWidget(w)
    w.setStyleSheet(style.stylesheet())
    w.resize(1000, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def _activate(qtbot: QtBot, w: CallerCardWidget) -> None:
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)


def _wait_results(qtbot: QtBot, card: CallerCardWidget, min_rows: int = 0) -> None:
    """Wait for the search's answer; a timeout says where the search stood (typed text, debounce timer,
    jobs still out on the worker lanes), so a slow or lost answer can be told from a lost keystroke."""
    def shown() -> None:
        tasks = card._services.tasks
        assert card.mode == "results" and card.results_model.rowCount() >= min_rows, (
            f"mode {card.mode!r}, text {card.search.text()!r}, debounce timer active "
            f"{card._search_timer.isActive()}, search #{card._search_seq}, jobs out {tasks.pending}, "
            f"rows {card.results_model.rowCount()}")

    qtbot.waitUntil(shown, timeout=10000)


def _known_id(db_file: Path) -> int:
    db = connect(db_file)
    try:
        c = queries.find_by_phone(db, KNOWN_PHONE)
        assert c is not None
        return c.id
    finally:
        db.close()


def test_call_pops_the_card_with_profile_history_and_issues(qtbot: QtBot, card: CallerCardWidget,
                                                           services: Services) -> None:
    with qtbot.waitSignal(card.card_shown, timeout=10000):
        services.call_requested.emit(KNOWN_PHONE)
    assert card.mode == "card"
    h = card.header
    assert h.name.text() == "Ada Quillfeather"
    assert h.fields["phone"].text() == "+1 555-010-9999"
    assert h.fields["email"].text() == "ada.quill@example.net"
    assert h.fields["since"].text().endswith("6 years")
    assert h.fields["prefers"].text() == "SMS  ·  18:00–21:00"
    assert h.segment.text() == "Gold"
    assert h.issues_badge.text() == "2 open issues  ·  1 over target"

    # history: newest first, channel label, amount
    m = card.history_proxy
    rows = [[m.index(r, c).data() for c in range(m.columnCount())] for r in range(m.rowCount())]
    assert [r[2] for r in rows] == ["Asked about the refund", "Mesh router", "Sent the router manual"]
    assert rows[0][1] == "Call in"
    assert rows[1][3] == "$129.50"

    # open issues, over target first, in red; the other within target
    im = card.issues_proxy
    assert im.rowCount() == 2
    titles = [im.index(r, OpenIssuesModel.TITLE).data() for r in range(2)]
    assert titles[0].startswith("Refund")
    assert im.index(0, OpenIssuesModel.AGE).data() == "5 days · 2 days over target"
    assert im.index(0, OpenIssuesModel.AGE).data(Qt.ItemDataRole.ForegroundRole) == style.color("alert")
    assert im.index(1, OpenIssuesModel.AGE).data() == "10 hours of 5 days target"
    assert im.index(1, OpenIssuesModel.AGE).data(Qt.ItemDataRole.ForegroundRole) is None
    assert im.index(0, OpenIssuesModel.REOPENED).data() == "1×"


def test_history_filter_by_channel(qtbot: QtBot, card: CallerCardWidget, services: Services) -> None:
    with qtbot.waitSignal(card.card_shown, timeout=10000):
        services.call_requested.emit(KNOWN_PHONE)
    card.channel_filter.setCurrentIndex(card.channel_filter.findData("order"))
    assert card.history_proxy.rowCount() == 1
    assert card.history_proxy.index(0, 2).data() == "Mesh router"
    card.channel_filter.setCurrentIndex(0)
    assert card.history_proxy.rowCount() == 3


@pytest.mark.parametrize("text, matched", [
    ("(555) 010-9999", "phone"),
    ("555.010.9999", "phone"),
    ("Quillfeather", "name"),
    ("ada.quill@example.net", "email"),
    ("zephyrine", "issue"),
])
def test_search_each_kind_then_enter_opens(qtbot: QtBot, card: CallerCardWidget, text: str,
                                           matched: str) -> None:
    card.search.setFocus()
    qtbot.keyClicks(card.search, text)
    _wait_results(qtbot, card)
    hits = card.results_model.hits()
    assert hits and hits[0].name == "Ada Quillfeather"
    assert hits[0].matched == matched
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        qtbot.keyClick(card.search, Qt.Key.Key_Return)
    assert sig.args[0].customer.name == "Ada Quillfeather"
    assert card.search.text() == ""


def test_enter_before_results_arrive_opens_the_top_hit(qtbot: QtBot, card: CallerCardWidget) -> None:
    card.search.setFocus()
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        qtbot.keyClicks(card.search, "Quillfeather")
        qtbot.keyClick(card.search, Qt.Key.Key_Enter)  # before the debounce timer fired
    assert sig.args[0].customer.name == "Ada Quillfeather"


def test_keyboard_flow(qtbot: QtBot, card: CallerCardWidget, db_file: Path) -> None:
    _activate(qtbot, card)
    # Ctrl+K from anywhere in the card focuses the search box
    card.history_view.setFocus()
    qtbot.waitUntil(card.history_view.hasFocus)
    qtbot.keyClick(card.history_view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert card.search.hasFocus()
    # "/" works the same from a non-text widget, and types a "/" inside a text field
    card.history_view.setFocus()
    qtbot.keyClick(card.history_view, Qt.Key.Key_Slash)
    assert card.search.hasFocus()
    assert card.search.text() == ""

    # a search with several hits: Down/Up move the selection, Enter opens the selected one
    qtbot.keyClicks(card.search, "555")
    _wait_results(qtbot, card, min_rows=3)
    assert card.results.currentIndex().row() == 0
    qtbot.keyClick(card.search, Qt.Key.Key_Down)
    qtbot.keyClick(card.search, Qt.Key.Key_Down)
    qtbot.keyClick(card.search, Qt.Key.Key_Up)
    assert card.results.currentIndex().row() == 1
    chosen = card.results_model.hits()[1]
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        qtbot.keyClick(card.search, Qt.Key.Key_Return)
    assert sig.args[0].customer.id == chosen.customer_id

    # Esc clears a search and returns to the card that was showing
    qtbot.keyClicks(card.search, "Quill")
    _wait_results(qtbot, card)
    qtbot.keyClick(card.search, Qt.Key.Key_Escape)
    assert card.search.text() == ""
    assert card.mode == "card"
    assert card.current is not None and card.current.customer.id == chosen.customer_id


def test_no_match_says_so(qtbot: QtBot, card: CallerCardWidget) -> None:
    qtbot.keyClicks(card.search, "Xylophonequux")
    _wait_results(qtbot, card)
    assert card.results_model.rowCount() == 0
    assert "No customer matches" in card.results_status.text()


def test_unknown_number_gets_the_new_caller_form_which_creates_the_customer(
        qtbot: QtBot, card: CallerCardWidget, services: Services, db_file: Path) -> None:
    _activate(qtbot, card)
    services.call_requested.emit("+15550104242")
    qtbot.waitUntil(lambda: card.mode == "new", timeout=10000)
    form = card.new_caller
    assert form.phone.text() == "+1 555-010-4242"
    # the agent types the caller's name at once: the form puts the cursor there
    qtbot.waitUntil(form.name.hasFocus, timeout=5000)

    # invalid input: messages under the fields, nothing written
    form.email.setText("not-an-email")
    form.hours.setText("evenings")
    form.save()
    assert form.errors["name"].isVisible() and form.errors["name"].text() == "Enter the caller's name."
    assert "is not an e-mail address" in form.errors["email"].text()
    assert "should look like 09:00-17:00" in form.errors["hours"].text()
    assert not form.errors["phone"].isVisible()
    form.phone.setText("12")
    form.save()
    assert "is not a phone number" in form.errors["phone"].text()
    db = connect(db_file)
    try:
        assert queries.find_by_phone(db, "+15550104242") is None
    finally:
        db.close()

    form.name.setText("Grace Newcomb")
    form.phone.setText("(555) 010-4242")
    form.email.setText("grace@example.org")
    form.hours.setText("9:00 - 12:00")
    form.channel.setCurrentIndex(form.channel.findData("email"))
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    shown = sig.args[0].customer
    assert shown.name == "Grace Newcomb"
    assert card.mode == "card"
    assert card.header.fields["prefers"].text() == "E-mail  ·  09:00–12:00"
    db = connect(db_file)
    try:
        stored = queries.find_by_phone(db, "555-010-4242")
        assert stored is not None and stored.id == shown.id and stored.email == "grace@example.org"
    finally:
        db.close()
    # and the next call from that number pops the card
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        services.call_requested.emit("+15550104242")
    assert sig.args[0].customer.id == shown.id


def test_new_caller_from_a_number_search(qtbot: QtBot, card: CallerCardWidget) -> None:
    qtbot.keyClicks(card.search, "+1 555 010 7777")
    _wait_results(qtbot, card)
    assert "Press Enter to add them" in card.results_status.text()
    qtbot.keyClick(card.search, Qt.Key.Key_Return)
    assert card.mode == "new"
    assert card.new_caller.phone.text() == "+1 555-010-7777"
    card.new_caller.cancel()
    assert card.mode == "empty"


@dataclass(frozen=True)
class _Cue:
    severity: str
    why: str
    action: str


def test_cues_strip(qtbot: QtBot, card: CallerCardWidget, services: Services) -> None:
    with qtbot.waitSignal(card.card_shown, timeout=10000):
        services.call_requested.emit(KNOWN_PHONE)
    assert not card.cues_strip.isVisible()
    card.set_cues([_Cue("alert", "3rd problem in 60 days", "Apologise and own the fix"),
                   _Cue("info", "Customer for 6 years on Friday", "Thank them")])
    assert card.cues_strip.isVisible()
    labels = card.cues_strip.findChildren(type(card.header.name))
    assert [lab.property("severity") for lab in labels] == ["alert", "info"]
    assert card.cue_texts()[0] == "3rd problem in 60 days → Apologise and own the fix"
    assert not card.more_cues.isVisible()

    # more than three: the most serious three show, the rest behind one click
    many = [_Cue("info", f"Info {i}", "") for i in range(3)] + [
        _Cue("warn", "Callback overdue", "Call back now"), _Cue("alert", "Issue over target", "Escalate")]
    card.set_cues(many)
    labels = card.cues_strip.findChildren(type(card.header.name))
    shown = [lab.accessibleName().split(":")[0] for lab in labels if lab.isVisible()]
    assert shown == ["act", "watch", "info"]
    assert card.more_cues.isVisible() and card.more_cues.text() == "Show 2 more cues"
    qtbot.mouseClick(card.more_cues, Qt.MouseButton.LeftButton)
    assert all(lab.isVisible() for lab in labels)
    assert card.more_cues.text() == "Show fewer cues"

    card.set_cues([])
    assert not card.cues_strip.isVisible()


@pytest.mark.parametrize("name", ["history_model", "history_proxy", "issues_model", "issues_proxy",
                                  "results_model"])
def test_models_pass_qtmodeltester(qtbot: QtBot, qtmodeltester, card: CallerCardWidget,
                                   services: Services, name: str) -> None:
    # one model per test: a model tester stays connected to every model it has checked
    with qtbot.waitSignal(card.card_shown, timeout=10000):
        services.call_requested.emit(KNOWN_PHONE)
    qtbot.keyClicks(card.search, "555")
    _wait_results(qtbot, card, min_rows=1)
    model = getattr(card, name)
    assert model.rowCount() > 0
    qtmodeltester.check(model, force_py=True)
    # and it stays consistent through the changes the card makes
    if name == "history_proxy":
        card.history_proxy.set_kind("sms")
        card.history_proxy.set_kind("")
    with qtbot.waitSignal(card.card_shown, timeout=10000):
        qtbot.keyClick(card.search, Qt.Key.Key_Return)
    card.history_model.set_items([])
    card.issues_model.set_items([])
    assert card.history_proxy.rowCount() == 0


def test_card_views_are_tables(card: CallerCardWidget) -> None:
    assert isinstance(card.issues_view, QTableView)
    assert card.issues_view.isSortingEnabled()


@pytest.mark.parametrize("since, today, expected", [
    ("2019-03-12", "2025-03-12", "6 years"),
    ("2019-03-12", "2025-03-11", "5 years 11 months"),
    ("2021-01-12", "2025-03-12", "4 years 2 months"),
    ("2026-01-01", "2025-03-12", ""),  # in the future: a data error, not a new customer
    ("2024-03-12", "2025-03-12", "1 year"),
    ("2024-11-01", "2025-03-12", "4 months"),
    ("2025-03-01", "2025-03-12", "new this month"),
    (None, "2025-03-12", ""),
])
def test_relationship_length(since: str | None, today: str, expected: str) -> None:
    from datetime import date

    assert relationship_length(since, date.fromisoformat(today)) == expected


def test_coaching_comments_from_review_show_in_the_history(qtbot: QtBot, db_file: Path,
                                                           services: Services) -> None:
    from agent_assist.store import calls, review

    db = connect(db_file)
    cid = _known_id(db_file)
    agent = db["agents"].insert({"name": "Ann Agent"}).last_pk
    started = _iso(datetime.now(UTC) - timedelta(days=1))
    call = calls.start_call(db, agent_id=agent, customer_id=cid, started_at=started)
    calls.finish_call(db, call, outcome="resolved")
    review.add_comment(db, call, "Ask before you explain.", author="Sue Supervisor")
    review.add_comment(db, call, "You talked over her here", at_s=135.0, author="Sue Supervisor")
    db.close()
    w = CallerCardWidget(services)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.card_shown, timeout=10000):
        services.call_requested.emit(KNOWN_PHONE)
    w.channel_filter.setCurrentIndex(w.channel_filter.findData("coaching"))
    m = w.history_proxy
    rows = sorted(m.index(r, 2).data() for r in range(m.rowCount()))
    day = started[:10]
    assert rows == [f"Coaching on Ann Agent's call of {day}: Ask before you explain. — Sue Supervisor",
                    f"Coaching on Ann Agent's call of {day}: [2:15] You talked over her here — Sue Supervisor"]
    assert m.index(0, 1).data() == "Coaching"


def test_notes_location_ranked_cues_and_data_errors(qtbot: QtBot, db_file: Path, services: Services) -> None:
    from agent_assist.coach.retention import RetentionWords, compute_cues

    db = connect(db_file)
    now = datetime.now(UTC)
    cid = db["customers"].insert({
        "name": "Tess Tomorrow", "phone": "555 010 7777", "phone_e164": "+15550107777", "city": "Duluth",
        "customer_since": (now + timedelta(days=40)).date().isoformat(), "preferred_channel": "email",
        "notes": "Said Northwind offered her 30% less; wants a callback before Friday.",
        "created_at": _iso(now)}).last_pk
    db["issues"].insert_all([
        {"customer_id": cid, "opened_at": _iso(now - timedelta(days=4, hours=2)), "status": "open",
         "severity": "high", "title": "Router keeps dropping", "target_hours": 24.0},
        {"customer_id": cid, "opened_at": _iso(now + timedelta(days=3)), "status": "open",
         "severity": "low", "title": "Typo in the future", "target_hours": 120.0},
    ])
    db.close()
    w = CallerCardWidget(services)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.card_shown, timeout=10000) as sig:
        services.call_requested.emit("+15550107777")
    h = w.header
    assert h.notes.isVisible() and h.notes.text().startswith("Location: Duluth   ·   Notes: Said Northwind")
    assert h.fields["since"].text().endswith("data error: in the future")
    ages = {w.issues_proxy.index(r, OpenIssuesModel.TITLE).data(): w.issues_proxy.index(r, OpenIssuesModel.AGE).data()
            for r in range(w.issues_proxy.rowCount())}
    assert ages == {"Router keeps dropping": "4 days · 3 days over target",
                    "Typo in the future": "data error: opened in the future"}
    words = RetentionWords(competitors=("Northwind",))
    cues = compute_cues(sig.args[0], now.date(), now.replace(tzinfo=None), words)
    w.set_cues(cues)
    labels = [lab for lab in w.cues_strip.findChildren(type(h.name)) if lab.objectName() == "cue"]
    texts = w.cue_texts()
    # the competitor first, each with its action; severity shown as act / watch / info and coloured
    assert texts[0].startswith("A competitor came up recently: 'Northwind' → ")
    assert labels[0].accessibleName().startswith("act:") and labels[0].property("severity") == "alert"
    assert any(t.startswith("Customer since") and "in the future" in t for t in texts)
    data = next(lab for lab in labels if "in the future: the record is wrong" in lab.accessibleName())
    assert data.accessibleName().startswith("watch:") and data.property("severity") == "warn"
    assert all(" → " in t for t in texts)
    assert "new this month" not in h.fields["since"].text() and "anniversary" not in [c.kind for c in cues]
