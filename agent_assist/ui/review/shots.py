"""Screenshots of the supervisor's Review room for the README (``make screenshots``): the call table with a
summary, Trends and the PDF report's first page (``shoot_review``), and a recognised call's transcript
beside its timeline (``shoot_review_transcript``). Both open the real main window on a demo database
through ``review_window``; they wait on conditions (rows loaded, a signal), never on fixed sleeps.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from agent_assist.settings import Settings


@contextmanager
def review_window(db: Path) -> Iterator[tuple[Any, Any, Any]]:
    """(services, main window, Review page) for ``db`` as a supervisor, shown with its calls loaded."""
    from agent_assist.ui.common.services import Services
    from agent_assist.ui.desk.focus_shots import wait_until
    from agent_assist.ui.main_window import MainWindow
    from agent_assist.ui.review.page import ReviewPage

    services = Services(Settings(profile="supervisor"), db)
    w = MainWindow(services)
    try:
        w.resize(1500, 900)
        w.show()
        page = w.review_view
        assert isinstance(page, ReviewPage)
        w.tabs.setCurrentWidget(page)
        wait_until(lambda: services.tasks.pending == 0 and page.calls.model.rowCount() > 0)
        yield services, w, page
    finally:
        w.close()
        services.close()
        w.deleteLater()


def shoot_review(out_dir: Path) -> list[Path]:
    """The supervisor's Review tab with a call's summary open, then its Trends tab."""
    from agent_assist.ui.desk.focus_shots import settle, wait_until
    from agent_assist.workflows.demo import build_demo_file

    review_png, trends_png = out_dir / "review.png", out_dir / "trends.png"
    report_png = out_dir / "report-page1.png"
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        db = Path(tmp) / "demo.db"
        build_demo_file(db, customers=300)
        with review_window(db) as (services, w, page):
            calls = page.calls
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
            first_page_png(Path(pdfs[0]), report_png)
            loaded: list[bool] = []
            page.trends.loaded.connect(lambda: loaded.append(True))
            page.setCurrentWidget(page.trends)
            page.trends.reload()
            wait_until(lambda: bool(loaded) and services.tasks.pending == 0)
            settle()
            if not w.grab().save(str(trends_png)):
                raise SystemExit(f"could not write {trends_png}")
    return [review_png, trends_png, report_png]


def first_page_png(pdf: Path, png: Path) -> None:
    """The PDF's first page as a PNG, through poppler's pdftoppm (what a PDF viewer shows)."""
    import subprocess

    stem = png.with_suffix("")
    try:
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise SystemExit(f"could not render {pdf.name} with pdftoppm ({e}); install poppler-utils") from None


SHOT_SCRIPT = [  # (party, start s, text): spoken by the app's own TTS, then recognised by the app
    ("agent", 0.5, "Thank you for calling. How can I help you today?"),
    ("customer", 3.8, "My refund has not arrived and it has been two weeks."),
    ("agent", 8.2, "Why did you wait so long to call us?"),
    ("customer", 11.0, "I thought it would come on its own."),
    ("agent", 14.0, "I am sorry about that. Let me look into the refund for you right now."),
]


def shoot_review_transcript(out_dir: Path) -> Path:
    """Review with a recognised call open: summary, timeline with the cursor on a flag, the transcript."""
    import soundfile as sf
    import soxr

    from agent_assist.audio.analysis import analyze_arrays
    from agent_assist.audio.recognition import open_recogniser
    from agent_assist.audio.recognition.pipeline import transcribe_channels
    from agent_assist.coach.phrasing import default_checker
    from agent_assist.coach.talk import analyze
    from agent_assist.store import calls, transcripts
    from agent_assist.store.db import connect
    from agent_assist.ui.desk.focus_shots import settle, wait_until
    from agent_assist.voice.pyttsx3_engine import Pyttsx3Engine
    from agent_assist.workflows.demo import build_demo_file

    out = out_dir / "review-transcript.png"
    rate = 16000
    with tempfile.TemporaryDirectory(prefix="agent-assist-shot-") as tmp:
        import shutil
        import subprocess

        engine = Pyttsx3Engine()
        parts = []
        for i, (party, start, text) in enumerate(SHOT_SCRIPT):
            wav = Path(tmp) / f"{i}.wav"
            if party == "agent" and shutil.which("text2wave"):  # festival's HTS voice, if installed
                subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(wav)],
                               input=text.encode(), check=True, capture_output=True, timeout=120)
            else:
                engine.synthesize(text, wav, voice="gmw/en-us" if party == "agent" else "gmw/en", rate=150)
            x, r = sf.read(str(wav), dtype="float32")
            parts.append((party, start, soxr.resample(x, r, rate).astype(np.float32) * 0.5))
        n = int((max(t + len(x) / rate for _p, t, x in parts) + 1.0) * rate)
        ch = {"agent": np.zeros(n, np.float32), "customer": np.zeros(n, np.float32)}
        for party, start, x in parts:
            i = int(start * rate)
            ch[party][i:i + len(x)] += x
        agent, customer = ((np.clip(ch[p], -1, 1) * 32767).astype(np.int16) for p in ("agent", "customer"))
        rec = open_recogniser()
        utts = transcribe_channels(agent, customer, rate, rec, default_checker())
        rec.close()
        segs = analyze_arrays(agent, customer, rate)
        db_path = Path(tmp) / "demo.db"
        build_demo_file(db_path, customers=300)
        db = connect(db_path)
        cid = calls.start_call(db, agent_id=1, customer_id=1)
        calls.add_segments(db, cid, [(g.party, g.start, g.end) for g in segs])
        for u in utts:
            transcripts.add_line(db, cid, party=u.party, start_s=u.start, end_s=u.end, text=u.text, flags=u.flags)
        calls.finish_call(db, cid, metrics=analyze(segs, n / rate).to_dict(), outcome="resolved")
        db.close()
        with review_window(db_path) as (_services, w, page):
            view = page.calls
            shown: list[int] = []
            view.transcript.lines_shown.connect(shown.append)
            view.show_call(cid)
            wait_until(lambda: cid in shown)
            pane = view.transcript
            flagged = next((i for i, ln in enumerate(pane.lines) if ln.flags), 0)
            pane.list.setCurrentRow(flagged)
            settle()
            if not w.grab().save(str(out)):
                raise SystemExit(f"could not write {out}")
    return out
