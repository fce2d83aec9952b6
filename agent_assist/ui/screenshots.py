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


def shoot_review(out_dir: Path) -> list[Path]:
    """The supervisor's Review tab with a call's summary open, then its Trends tab."""
    from agent_assist.ui.common.services import Services
    from agent_assist.ui.desk.focus_shots import settle, wait_until
    from agent_assist.ui.main_window import MainWindow
    from agent_assist.ui.review.page import ReviewPage
    from agent_assist.workflows.demo import build_demo_file

    review_png, trends_png = out_dir / "review.png", out_dir / "trends.png"
    report_png = out_dir / "report-page1.png"
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        db = Path(tmp) / "demo.db"
        build_demo_file(db, customers=300)
        services = Services(Settings(profile="supervisor"), db)
        w = MainWindow(services)
        try:
            w.resize(1500, 900)
            w.show()
            page = w.review_view
            assert isinstance(page, ReviewPage)
            w.tabs.setCurrentWidget(page)
            calls = page.calls
            wait_until(lambda: services.tasks.pending == 0 and calls.model.rowCount() > 0)
            shown: list[int] = []
            calls.summary_shown.connect(shown.append)
            rows = range(calls.model.rowCount())
            flagged = next((r for r in rows if calls.model.row(r)["flags_count"]), 1)
            calls.table.selectRow(flagged)
            wait_until(lambda: bool(shown))
            settle()
            if not w.grab().save(str(review_png)):
                raise SystemExit(f"could not write {review_png}")
            pdfs: list[str] = []
            calls.pdf_written.connect(pdfs.append)
            calls.export_pdf(Path(tmp) / "report.pdf")
            wait_until(lambda: bool(pdfs))
            _first_page_png(Path(pdfs[0]), report_png)
            loaded: list[bool] = []
            page.trends.loaded.connect(lambda: loaded.append(True))
            page.setCurrentWidget(page.trends)
            page.trends.reload()
            wait_until(lambda: bool(loaded) and services.tasks.pending == 0)
            settle()
            if not w.grab().save(str(trends_png)):
                raise SystemExit(f"could not write {trends_png}")
        finally:
            w.close()
            services.close()
            w.deleteLater()
    return [review_png, trends_png, report_png]


def _first_page_png(pdf: Path, png: Path) -> None:
    """The PDF's first page as a PNG, through poppler's pdftoppm (what a PDF viewer shows)."""
    import subprocess

    stem = png.with_suffix("")
    try:
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise SystemExit(f"could not render {pdf.name} with pdftoppm ({e}); install poppler-utils") from None


def _shoot_call(out_dir: Path) -> list[Path]:
    from agent_assist.ui.desk.focus_shots import shoot_call

    return shoot_call(out_dir)


def _shoot_practice(out_dir: Path) -> list[Path]:
    from agent_assist.ui.practice.shots import shoot_practice

    return [out_dir / "practice.png", shoot_practice(out_dir)]


SHOTS: dict[str, Shot] = {
    "caller-card": shoot_caller_card,
    "call": _shoot_call,  # focus.png, wrapup.png
    "review": shoot_review,  # review.png, trends.png, report-page1.png
    "practice": _shoot_practice,  # practice.png, scorecard.png
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
