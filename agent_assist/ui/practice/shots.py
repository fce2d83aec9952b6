"""Documentation screenshots of the Practice tab (practice.png, scorecard.png) from the real window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_assist.ui.common.services import Services
from agent_assist.ui.practice.page import PracticeView
from agent_assist.workflows import practice as wp

# -- documentation screenshots ---------------------------------------------------------------------------

SHOT_REPLIES = (
    "Hi, this is Sam. I'm sorry to hear that. What happened?",
    "That sounds really frustrating. What's the order number?",
    "Didn't you check the order page?",
    "I've refunded the second charge. Does that resolve it?",
    "Thanks for your patience.",
    "Thank you for calling.",
)


def shoot_practice(out_dir: Path) -> Path:
    """``practice.png`` (mid-attempt) and ``scorecard.png`` (the end) from the real window on a demo
    database with two earlier attempts; for ``ui.screenshots``. Returns the score-card image."""
    import tempfile
    import time

    from PySide6.QtCore import QCoreApplication, QEventLoop

    from agent_assist.settings import Settings
    from agent_assist.store.db import connect
    from agent_assist.store.demo import build_demo
    from agent_assist.ui.common import style
    from agent_assist.ui.main_window import MainWindow

    def wait(cond: Any, what: str, timeout_s: float = 60.0) -> None:
        end = time.monotonic() + timeout_s
        while not cond():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.02)
            if time.monotonic() > end:
                raise SystemExit(f"practice screenshot: timed out waiting for {what}")

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        path = Path(tmp) / "practice.db"
        db = connect(path)
        build_demo(db, customers=60, seed=5)
        tid = int(wp.trainees(db)[0]["id"])
        checker, _why = wp.phrasing_checker()
        for day, script in ((16, ("Yeah.", "Didn't you check the statement?", "Ok.")),
                            (19, ("Hello, thanks for calling. What happened?",
                                  "I guarantee it will be fixed by tomorrow.", "Ok."))):
            s = wp.new_session(wp.load_scenario("double_billing"), checker)
            s.opening()
            for r in script:
                s.reply(r)
            s.stop("the trainer ended the call")
            wp.save_attempt(db, s, tid, started_at=f"2026-11-{day}T10:00:00")
        db.close()
        services = Services(Settings(agent_id=tid, profile="trainer"), path)
        w = MainWindow(services)
        w.setStyleSheet(style.stylesheet())
        w.resize(1400, 1000)
        w.show()
        view = w.practice_view
        assert isinstance(view, PracticeView)
        w.tabs.setCurrentWidget(view)
        wait(lambda: view.ready and view.start_button.isEnabled(), "the tab")
        wait(lambda: view.voice_box.count() > 1 or not view.speak_box.isEnabled(), "the voices")
        view.scenario_box.setCurrentIndex(view.scenario_box.findData("double_billing"))
        view.trainee_box.setCurrentIndex(view.trainee_box.findData(tid))
        wait(lambda: view._scenario is not None and view._scenario.name == "double_billing", "the scenario")
        view.start_button.click()
        for i, reply in enumerate(SHOT_REPLIES):
            wait(lambda: view.reply_edit.isEnabled() or view.card is not None, "the customer")
            if view.card is not None:
                break
            if i == 3:
                wait(lambda: view._pending_tts == 0, "the speech")
                if not w.grab().save(str(out_dir / "practice.png")):
                    raise SystemExit(f"could not write {out_dir / 'practice.png'}")
            view.reply_edit.setText(reply)
            view.send()
        wait(lambda: view.saved_attempt_id is not None, "the saved attempt")
        wait(lambda: view.attempts_model.rowCount() == 3 and services.tasks.pending == 0, "the attempts")
        out = out_dir / "scorecard.png"
        if not w.grab().save(str(out)):
            raise SystemExit(f"could not write {out}")
        view.shutdown()
        w.close()
        services.close()
    return out
