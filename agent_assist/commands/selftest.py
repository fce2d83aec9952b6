"""``agent-assist --self-test``: check that this installation works, one line per check.

It loads the spaCy model, opens a fresh database in a temporary folder, builds the main window (offscreen
when there is no display), checks that a loaded question is flagged and analyses a short stereo call
shipped in ``resources/selftest/``, and speaks one line to a file (practice mode's voice). Each check prints ``ok   <name>: <detail> (<seconds> s)`` or
``FAIL <name>: <reason>``; the exit code is 0 only when every check passed. Nothing outside the temporary
folder is read or written, so it is safe on an agent's machine and is what the installer build runs on the
frozen bundle.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOADED_QUESTION = "Didn't you read the setup guide?"
SELFTEST_CALL = "selftest/call.wav"
# The call in SELFTEST_CALL: the agent (left) speaks ~1 s, the customer (right) ~3.3 s after a pause.
EXPECTED_RATIO = (0.10, 0.40)
WINDOW_TIMEOUT_S = 60
VOICE_LINE = "Thank you for calling."


class CheckFailed(Exception):
    """A check ran but its result is wrong; the message is the reason shown after FAIL."""


@dataclass
class SelfTest:
    """The checks share a temporary folder and the loaded spaCy pipeline."""

    tmp: Path
    nlp: Any = None
    call: Path | None = None  # the stereo call the talk check analyses (default: the shipped one)
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    # -- checks ----------------------------------------------------------------------------------------
    def check_model(self) -> str:
        phrasing = _import("agent_assist.coach.phrasing")
        self.nlp = phrasing.load_nlp()
        meta = self.nlp.meta
        return f"{meta.get('lang', '?')}_{meta.get('name', '?')} {meta.get('version', '?')}"

    def check_database(self) -> str:
        from agent_assist.settings import DB_FILENAME
        from agent_assist.store import db as store_db

        path = self.tmp / "data" / DB_FILENAME
        db = store_db.connect(path)
        try:
            version = store_db.schema_version(db)
            if version != store_db.latest_version():
                raise CheckFailed(f"schema {version}, expected {store_db.latest_version()}")
            tables = set(db.table_names())
        finally:
            db.close()
        db = store_db.connect(path, create=False)  # reopen: the file persisted and migrations are done
        db.close()
        return f"schema {version}, {len(tables)} tables, {path}"

    def check_window(self) -> str:
        # the file the database check made: an existing database, so no first-run demo build
        from agent_assist.settings import DB_FILENAME
        from agent_assist.store import db as store_db

        path = self.tmp / "data" / DB_FILENAME
        store_db.connect(path).close()
        return _build_window(path)

    def check_phrasing(self) -> str:
        if self.nlp is None:
            raise CheckFailed("skipped: the model did not load")
        phrasing = _import("agent_assist.coach.phrasing")
        flags = phrasing.PhrasingChecker(self.nlp).check(LOADED_QUESTION)
        if not flags:
            raise CheckFailed(f"{LOADED_QUESTION!r} was not flagged")
        f = flags[0]
        return f"{LOADED_QUESTION!r} flagged {f.category} ({f.text!r})"

    def check_talk(self) -> str:
        from agent_assist import resources

        analysis = _import("agent_assist.audio.analysis")
        talk = _import("agent_assist.coach.talk")
        vad = _import("agent_assist.audio.vad")
        import numpy as np

        try:
            vad.SileroModel(16000).prob(np.zeros(512, np.float32))
        except Exception as e:  # the model file missing or onnxruntime unable to run it
            raise CheckFailed(f"{e}; talk ratios would fall back to webrtcvad alone, which over-counts "
                              "the agent on noisy customer lines") from None
        call = self.call or resources.path(SELFTEST_CALL)
        segments, duration = analysis.analyze_file(call, agent_channel="left")
        metrics = talk.analyze(segments, duration_s=duration)
        parties = {s.party for s in segments}
        if parties != {"agent", "customer"}:
            raise CheckFailed(f"expected speech from agent and customer, got {sorted(parties) or 'none'}")
        ratio = metrics.talk_ratio
        lo, hi = EXPECTED_RATIO
        if ratio is None or not lo <= ratio <= hi:
            raise CheckFailed(f"talk ratio {ratio} outside the expected {lo:.2f}-{hi:.2f}")
        return f"ratio {ratio:.2f}, {len(segments)} segments in {duration:.1f} s (Silero VAD + webrtcvad)"

    def check_voice(self) -> str:
        engine_mod = _import("agent_assist.voice.pyttsx3_engine")
        engine = engine_mod.Pyttsx3Engine()
        try:
            seconds = engine.synthesize(VOICE_LINE, self.tmp / "voice.wav")
        finally:
            engine.close()
        if seconds < 0.3:
            raise CheckFailed(f"the spoken line lasts only {seconds:.2f} s")
        return f"{engine.name}: {VOICE_LINE!r} spoken in {seconds:.1f} s of audio"

    # -- running ---------------------------------------------------------------------------------------
    def run_check(self, name: str, fn: Callable[[], str]) -> bool:
        t0 = time.perf_counter()
        try:
            detail = fn()
        except Exception as e:  # every failure becomes one FAIL line; the next check still runs
            reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
            if not isinstance(e, CheckFailed | _Missing):
                reason = f"{type(e).__name__}: {reason}" if reason else type(e).__name__
            if os.environ.get("AGENT_ASSIST_DEBUG"):
                import traceback

                traceback.print_exc()
            print(f"FAIL {name}: {reason}", flush=True)
            self.results.append((name, False, reason))
            return False
        print(f"ok   {name}: {detail} ({time.perf_counter() - t0:.1f} s)", flush=True)
        self.results.append((name, True, detail))
        return True


class _Missing(Exception):
    """A module another feature provides is not there (yet)."""


def _import(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (e.name == name or name.startswith(e.name + ".")):
            raise _Missing(f"{name} is not available in this build") from None
        raise


def _build_window(db_path: Path) -> str:
    """Start the real window the way ``agent-assist`` does, on ``db_path``, and close it when ready."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

    from agent_assist import APP_NAME, settings
    from agent_assist.ui.app import AppController, make_application
    from agent_assist.ui.common import messages

    app = make_application()
    errors: list[str] = []

    def on_message(info: messages.MessageInfo) -> None:
        if info.level is messages.Level.ERROR:
            errors.append(info.text)

    messages.bridge.show.connect(on_message)
    controller = AppController(settings.Settings(), db_path)
    window = controller.window
    try:
        controller.start()
        deadline = QDeadlineTimer(WINDOW_TIMEOUT_S * 1000)
        # ready = the database is open; then let the widgets' own start-up work (each on a lane) finish,
        # so the check covers all of it and nothing is still running when the window closes
        tasks = controller.services.tasks
        while (not (controller.ready and tasks.pending == 0) and not (controller.db_dialog or errors)
               and not deadline.hasExpired()):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QCoreApplication.processEvents()
        if controller.db_dialog is not None:
            raise CheckFailed(f"the window could not open its database: "
                              f"{controller.db_dialog.informativeText().splitlines()[0]}")
        if errors:
            raise CheckFailed(f"the window reported: {errors[0]}")
        if not window.isVisible():
            raise CheckFailed("the window did not show")
        if not controller.ready:
            raise CheckFailed(f"the window was not ready after {WINDOW_TIMEOUT_S} s")
        if tasks.pending:
            raise CheckFailed(f"{tasks.pending} start-up tasks still running after {WINDOW_TIMEOUT_S} s")
        if not window.windowTitle().startswith(APP_NAME):
            raise CheckFailed(f"unexpected window title {window.windowTitle()!r}")
        tabs = window.tabs.count()
        platform = app.platformName()
    finally:
        messages.bridge.show.disconnect(on_message)
        controller.shutdown()
        QCoreApplication.processEvents()
    return f"{tabs} tabs, database open, on the {platform} platform"


def _private_dirs(tmp: Path) -> None:
    # Settings, caches and the default database live under the temporary folder, so the self-test never
    # reads or changes the user's own (platformdirs follows XDG_* on Linux).
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = tmp / var.lower()
        d.mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(d)


def run(args: argparse.Namespace | None = None) -> int:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agent-assist-selftest-") as d:
        tmp = Path(d)
        _private_dirs(tmp)
        st = SelfTest(tmp)
        for name, fn in (
            ("model", st.check_model),
            ("database", st.check_database),
            ("window", st.check_window),
            ("phrasing", st.check_phrasing),
            ("talk", st.check_talk),
            ("voice", st.check_voice),
        ):
            st.run_check(name, fn)
    failed = [name for name, ok, _ in st.results if not ok]
    total = time.perf_counter() - t0
    if failed:
        print(f"self-test FAILED: {len(failed)} of {len(st.results)} checks ({', '.join(failed)}) "
              f"in {total:.1f} s", flush=True)
        return 1
    print(f"self-test passed: {len(st.results)} checks in {total:.1f} s", flush=True)
    return 0
