"""Screenshots of the call focus layout and the wrap-up from the real window on a demo database.

``python -m agent_assist.ui.desk.focus_shots docs`` writes ``docs/focus.png`` and ``docs/wrapup.png``.
The shot functions have the ``Shot`` shape of :mod:`agent_assist.ui.screenshots` so they can be listed
there too.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agent_assist.settings import Settings

DEMO_PHONE = "+15551234567"  # demo customer 1


def wait_until(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QApplication.processEvents()
        if cond():
            return
        time.sleep(0.02)
    raise SystemExit("screenshot: the window never reached the expected state")


def settle(ms: int = 400) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def shoot_call(out_dir: Path) -> list[Path]:
    """Three shots from one call: the focus layout with two parked tasks, call waiting, the wrap-up."""
    from agent_assist.telephony.events import CallEvent, CallEventKind
    from agent_assist.ui.common import style
    from agent_assist.ui.common.services import Services
    from agent_assist.ui.main_window import MainWindow
    from agent_assist.workflows.demo import build_demo_file

    focus_png, wrapup_png = out_dir / "focus.png", out_dir / "wrapup.png"
    waiting_png = out_dir / "call-waiting.png"
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        db = Path(tmp) / "demo.db"
        build_demo_file(db, customers=300)
        services = Services(Settings(), db)
        w = MainWindow(services)
        try:
            w.setWindowIcon(style.app_icon())
            w.resize(1400, 880)
            w.show()
            ctl = w.call_focus
            wait_until(lambda: services.tasks.pending == 0)
            ctl.notifications.post("Team huddle at 15:00 in room 2")
            ctl.handle_event(CallEvent(CallEventKind.RING, "shot-1", DEMO_PHONE))
            wait_until(lambda: ctl.status == "ringing")
            ctl.handle_event(CallEvent(CallEventKind.ANSWER, "shot-1"))
            card = w.caller_card
            card_state: Callable[[], dict[str, int]] = getattr(card, "state", lambda: {"cues": 1})
            wait_until(lambda: ctl.status == "active" and getattr(card, "mode", "card") == "card"
                  and card_state().get("cues", 0) > 0)
            ctl.park_text("Send the refund confirmation by e-mail")
            ctl.park_text("Card 4111 1111 1111 1111 was charged twice — check with billing")
            wait_until(lambda: len(ctl.call.parked) == 2)
            ctl.notifications.post("Queue alert: 6 callers waiting on the billing line", urgent=True)
            phrasing = w.phrasing_panel
            editor = getattr(phrasing, "editor", None)
            if editor is not None:  # a reply as the agent types it, with the coach's flags
                flagged: list[object] = []
                phrasing.flags_changed.connect(flagged.append)  # type: ignore[attr-defined]
                editor.setPlainText("Didn't you read the manual? I guarantee it will be fixed by tomorrow.")
                wait_until(lambda: bool(flagged and flagged[-1]), timeout=120)
            settle()
            if not w.grab().save(str(focus_png)):
                raise SystemExit(f"could not write {focus_png}")

            # call waiting: a second customer rings during the call; the banner, nothing else changes
            second = _second_phone(db)
            ctl.handle_event(CallEvent(CallEventKind.RING, "shot-2", second))
            wait_until(lambda: ctl.banner.isVisible() and bool(ctl.waiting and ctl.waiting[0].top_cue))
            settle()
            if not w.grab().save(str(waiting_png)):
                raise SystemExit(f"could not write {waiting_png}")
            ctl.handle_event(CallEvent(CallEventKind.HANGUP, "shot-2", cause="cancel"))
            wait_until(lambda: not ctl.banner.isVisible())

            ctl.end_call()
            wait_until(lambda: ctl.wrapup is not None)
            panel = ctl.wrapup
            assert panel is not None
            panel.set_done(0)
            panel.set_follow_up(1)
            panel.outcome.setCurrentIndex(panel.outcome.findData("follow_up"))
            panel.notes.setPlainText("Refund promised for the double charge on card 4111-1111-1111-1111, "
                                     "CVV 123 read out by the customer; asked them not to share it.")
            settle()
            if not w.grab().save(str(wrapup_png)):
                raise SystemExit(f"could not write {wrapup_png}")
            panel.save()
            wait_until(lambda: ctl.status == "idle")
            settle(300)
            w.side_panel.tabs.setCurrentIndex(0)
            settle(500)
        finally:
            w.close()
            services.close()
            w.deleteLater()
    return [focus_png, waiting_png, wrapup_png]


def _second_phone(db: Path) -> str:
    """A customer other than the demo caller, with retention cues to show in the banner."""
    from agent_assist.store.db import connect

    conn = connect(db)
    try:
        row = conn.execute("SELECT c.phone_e164 FROM customers c JOIN issues i ON i.customer_id = c.id"
                           " WHERE i.status = 'open' AND c.phone_e164 IS NOT NULL AND c.phone_e164 != ?"
                           " ORDER BY c.id LIMIT 1", [DEMO_PHONE]).fetchone()
        return str(row[0])
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "docs")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from agent_assist.ui.app import make_application

    make_application()
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in shoot_call(out_dir):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
