"""Start-up: first-run demo build off the GUI thread, bad database files, the excepthook, the state file."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent_assist.settings import Settings
from agent_assist.store.db import connect
from agent_assist.ui.app import AppController, install_excepthook, process_elapsed_ms
from agent_assist.ui.common import messages

# The whole window includes the live-audio widgets; with no sound server (CI) Qt Multimedia says so once.
pytestmark = pytest.mark.qt_log_ignore("PulseAudioService: pa_context_connect")


@pytest.fixture
def make_controller(qtbot: QtBot) -> Iterator:
    made: list[AppController] = []

    def make(path: Path, **kw: object) -> AppController:
        c = AppController(Settings(), path, demo_customers=25, **kw)  # type: ignore[arg-type]
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()


def _wait_dialog(qtbot: QtBot, c: AppController, timeout: int = 15000) -> str:
    qtbot.waitUntil(lambda: c.db_dialog is not None and c.db_dialog.isVisible(), timeout=timeout)
    assert c.db_dialog is not None
    return f"{c.db_dialog.text()}\n{c.db_dialog.informativeText()}"


def test_first_run_builds_the_demo_database_then_is_ready(qtbot: QtBot, tmp_path: Path,
                                                          make_controller) -> None:
    path = tmp_path / "sub" / "first.db"
    c = make_controller(path)
    with qtbot.waitSignal(c.db_ready, timeout=60000):
        c.start()
        # the window is up and responsive while the build runs on the db lane
        assert c.window.isVisible()
        assert not c.ready
    assert path.exists()
    assert not list(path.parent.glob("*.building*"))
    assert "25 customers" in c.db_label.text()
    assert not c.progress.isVisible()
    card = c.window.caller_card
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        c.handle_message({"cmd": "call", "number": "+15551234567"})
    assert sig.args[0].customer.id == 1


def test_calls_that_arrive_before_the_database_is_ready_are_delivered_after(
        qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    c = make_controller(tmp_path / "early.db")
    c.start()
    c.handle_message({"cmd": "call", "number": "+15551234567"})
    with qtbot.waitSignal(c.window.caller_card.card_shown, timeout=60000) as sig:
        pass
    assert sig.args[0].customer.phone_e164 == "+15551234567"


def test_corrupt_database_gets_one_dialog_and_is_left_untouched(qtbot: QtBot, tmp_path: Path,
                                                                make_controller) -> None:
    path = tmp_path / "corrupt.db"
    junk = b"this is not a database, just some bytes\n" * 200
    path.write_bytes(junk)
    c = make_controller(path)
    c.start()
    text = _wait_dialog(qtbot, c)
    assert "cannot open its database" in text
    assert "not a SQLite database" in text or "damaged" in text
    assert "The file was not changed." in text
    assert "Traceback" not in text
    assert path.read_bytes() == junk
    assert c.window.isVisible()  # the app stays up

    # the agent chooses a fresh demo database elsewhere
    with qtbot.waitSignal(c.db_ready, timeout=60000):
        c.fresh_button.click()
    assert Path(c.services.db_path) != path
    assert Path(c.services.db_path).exists()
    assert path.read_bytes() == junk
    assert c.db_dialog is None


def test_quit_from_the_dialog(qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"\x00" * 4096)
    c = make_controller(path)
    c.start()
    _wait_dialog(qtbot, c)
    c.quit_button.click()
    assert c.exit_code == 1
    assert not c.window.isVisible()
    assert path.read_bytes() == b"\x00" * 4096


def test_too_new_database(qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    path = tmp_path / "new.db"
    db = connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    before = path.read_bytes()
    c = make_controller(path)
    c.start()
    text = _wait_dialog(qtbot, c)
    assert "newer version of Agent Assist" in text
    assert path.read_bytes() == before


def test_locked_database(qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    path = tmp_path / "locked.db"
    connect(path).close()
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        c = make_controller(path)
        c.start()
        text = _wait_dialog(qtbot, c, timeout=30000)
        assert "locked by another program" in text
    finally:
        holder.rollback()
        holder.close()


def test_unwritable_data_directory(qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    blocker = ro / "file"
    blocker.write_text("x")
    # a "directory" that is a file can't be created into, even by root
    c = make_controller(blocker / "agent-assist.db")
    c.start()
    text = _wait_dialog(qtbot, c)
    assert "Cannot create the database" in text


def test_excepthook_logs_and_shows_one_line(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    old = sys.excepthook
    shown: list[messages.MessageInfo] = []
    messages.bridge.show.connect(shown.append)
    try:
        install_excepthook()
        try:
            raise RuntimeError("widget exploded")
        except RuntimeError as e:
            sys.excepthook(type(e), e, e.__traceback__)
    finally:
        sys.excepthook = old
        messages.bridge.show.disconnect(shown.append)
    assert len(shown) == 1
    assert shown[0].level is messages.Level.ERROR
    assert "RuntimeError: widget exploded" in shown[0].text
    assert "\n" not in shown[0].text and "Traceback" not in shown[0].text
    assert any(r.exc_info and "widget exploded" in str(r.exc_info[1]) for r in caplog.records)


def test_state_file(qtbot: QtBot, tmp_path: Path, make_controller,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state.json"
    monkeypatch.setenv("AGENT_ASSIST_TEST_STATE", str(state))
    c = make_controller(tmp_path / "s.db")
    with qtbot.waitSignal(c.db_ready, timeout=60000):
        c.start()
    with qtbot.waitSignal(c.window.caller_card.card_shown, timeout=10000):
        c.handle_message({"cmd": "call", "number": "+15551234567"})
    data = json.loads(state.read_text())
    assert data["db_ready"] is True
    assert data["mode"] == "card" and data["customer_id"] == 1 and data["tab"] == "Desk"


def test_process_elapsed_is_plausible() -> None:
    ms = process_elapsed_ms()
    assert 0 < ms < 24 * 3600 * 1000


def test_call_events_from_any_source_share_one_door(qtbot: QtBot, tmp_path: Path, make_controller) -> None:
    from agent_assist.telephony.events import CallEvent, CallEventKind, EventSource

    c = make_controller(tmp_path / "events.db")
    with qtbot.waitSignal(c.db_ready, timeout=60000):
        c.start()
    seen: list[CallEvent] = []
    c.call_event.connect(seen.append)
    card = c.window.caller_card
    # a whole From header, as baresip or a PBX gives it, pops the card like a plain number
    with qtbot.waitSignal(card.card_shown, timeout=10000) as sig:
        c.call_event.emit(CallEvent(CallEventKind.RING, call_id="1-1@h",
                                    caller='"Ann" <sip:+15551234567@127.0.0.1>;tag=9',
                                    source=EventSource.BARESIP))
    assert sig.args[0].customer.id == 1
    # an anonymous caller during that call: call waiting, the card is left alone
    ctl = c.window.call_focus
    c.handle_message({"cmd": "ring", "call_id": "2", "caller": "anonymous"})
    qtbot.waitUntil(lambda: ctl.banner.isVisible(), timeout=10000)
    assert "number withheld" in ctl.banner.who.text() and card.state()["customer_id"] == 1
    assert [e.call_id for e in seen] == ["1-1@h", "2"]
    qtbot.waitUntil(lambda: c.services.tasks.pending == 0, timeout=10000)
