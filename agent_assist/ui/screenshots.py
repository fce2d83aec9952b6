"""Regenerate the documentation screenshots from the real app: ``python -m agent_assist.ui.screenshots docs``.

Each shot starts the real window on a fresh demo database in a temporary folder, waits until the data
is painted and grabs the window. Add a shot by adding a function to ``SHOTS``; a shot returns the path(s)
it wrote. ``python -m agent_assist.ui.screenshots docs review`` retakes only the named shots.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from agent_assist.settings import Settings

Shot = Callable[[Path], "Path | list[Path]"]


def shoot_caller_card(out_dir: Path) -> Path:
    """The caller card popped by a call from demo customer 1, (555) 123-4567."""
    from PySide6.QtWidgets import QApplication

    from agent_assist.ui.app import AppController

    out = out_dir / "caller-card.png"
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        controller = AppController(Settings(), Path(tmp) / "demo.db", screenshot=str(out),
                                   initial_call="+15551234567")
        controller.start()
        QApplication.exec()
        controller.shutdown()
        if controller.exit_code:
            raise SystemExit(f"screenshot {out.name} failed")
    return out


def shoot_phrasing_panel(out_dir: Path) -> Path:
    """The desk's phrasing coach with a typed reply that has a blaming question and an over-promise."""
    from agent_assist.ui.common.services import Services
    from agent_assist.ui.desk.coach_panel import PhrasingPanel
    from agent_assist.ui.desk.focus_shots import settle, wait_until

    out = out_dir / "phrasing-panel.png"
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        services = Services(Settings(), Path(tmp) / "shot.db")
        panel = PhrasingPanel(services)
        try:
            panel.resize(640, 560)
            panel.show()
            wait_until(lambda: panel.ready)
            panel.editor.setPlainText("I'm sorry the router keeps dropping. Didn't you read the setup guide? "
                                      "It'll definitely be fixed by tomorrow.")
            wait_until(lambda: len(panel.flags) >= 2 and services.tasks.pending == 0)
            settle()
            if not panel.grab().save(str(out)):
                raise SystemExit(f"could not write {out}")
        finally:
            panel.close()
            services.close()
            panel.deleteLater()
    return out


def _shoot_call(out_dir: Path) -> list[Path]:
    from agent_assist.ui.desk.focus_shots import shoot_call

    return shoot_call(out_dir)


def _shoot_practice(out_dir: Path) -> list[Path]:
    from agent_assist.ui.practice.shots import shoot_practice

    return [out_dir / "practice.png", shoot_practice(out_dir)]


def _shoot_review(out_dir: Path) -> list[Path]:
    from agent_assist.ui.review.shots import shoot_review

    return shoot_review(out_dir)


def _shoot_review_transcript(out_dir: Path) -> Path:
    from agent_assist.ui.review.shots import shoot_review_transcript

    return shoot_review_transcript(out_dir)


SHOTS: dict[str, Shot] = {
    "caller-card": shoot_caller_card,
    "phrasing-panel": shoot_phrasing_panel,
    "call": _shoot_call,  # focus.png, call-waiting.png, wrapup.png
    "review": _shoot_review,  # review.png, trends.png, report-page1.png
    "practice": _shoot_practice,  # practice.png, scorecard.png
    "review-transcript": _shoot_review_transcript,  # review-transcript.png (speech recognised by the app)
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "docs")
    only = set(args[1:])
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from agent_assist.ui.app import make_application

    make_application()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, shot in SHOTS.items():
        if only and name not in only:
            continue
        written = shot(out_dir)
        for path in written if isinstance(written, list) else [written]:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
