"""Starting the window: QApplication, look, settings, services, the single-instance socket, the database.

The window appears at once. On first run the demo database is built on the db lane (progress in the
status bar, the window usable meanwhile) into a temporary file that is renamed into place only when
complete. A database that cannot be opened (damaged, locked, too new, unwritable folder) gets one dialog;
the file is not touched, and the agent can start on a fresh demo database elsewhere or quit. Anything
unexpected is logged and shown as one line; no traceback reaches the agent.

Why this file is over 400 lines: start-up and shutdown in order: database opening and first-run build, the
local channel, softphone/webhook adapters, signals, state for tests; each part needs the others' lifetimes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import logging.handlers
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs
from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QProgressBar, QPushButton

from agent_assist import APP_ID, APP_NAME, ORG_NAME, __version__, stop_signals
from agent_assist.errors import CliError
from agent_assist.settings import Settings
from agent_assist.store.errors import DataDirUnwritable, StoreError
from agent_assist.telephony.baresip import (
    BadSoftphoneUrl,
    BaresipAddress,
    BaresipClient,
    parse_softphone_url,
)
from agent_assist.telephony.events import CallEvent, CallEventKind
from agent_assist.telephony.webhook import WebhookServer
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.os_focus import detect_os_focus, policy_from_settings
from agent_assist.ui.main_window import MainWindow
from agent_assist.ui.single_instance import (
    ChannelError,
    InstanceServer,
    ListenResult,
    event_from_message,
    send,
    server_name,
)

log = logging.getLogger(__name__)

_IMPORT_TIME = time.perf_counter()
STATE_ENV = "AGENT_ASSIST_TEST_STATE"
DEMO_SIZE_ENV = "AGENT_ASSIST_DEMO_CUSTOMERS"
WAIT_FOR_DATA_S = 180  # --measure-startup / --screenshot give up after this long


def process_elapsed_ms() -> float:
    """Milliseconds since this process started (kernel start time; falls back to this module's import)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat, counted after the ")" of the command name
        ticks = os.sysconf("SC_CLK_TCK")
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, (now - start_ticks / ticks) * 1000.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return (time.perf_counter() - _IMPORT_TIME) * 1000.0


def log_path() -> Path:
    from agent_assist.settings import log_dir

    return log_dir() / "agent-assist.log"


class RedactingFormatter(logging.Formatter):
    """Every log line (tracebacks included) with card numbers, SSNs and IBANs redacted, phones masked."""

    def format(self, record: logging.LogRecord) -> str:
        from agent_assist.coach.redact import redact_log

        return redact_log(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is created 0600 (the default follows the umask: 0644)."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def setup_logging() -> None:
    from agent_assist.settings import ensure_private_dir

    root = logging.getLogger()
    if any(getattr(h, "_agent_assist", False) for h in root.handlers):
        return
    root.setLevel(logging.INFO)
    try:
        p = log_path()
        ensure_private_dir(p.parent)
        fh: logging.Handler = PrivateRotatingFileHandler(p, maxBytes=1_000_000, backupCount=3,
                                                         encoding="utf-8")
    except OSError:
        fh = logging.StreamHandler(sys.stderr)
    fh.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    fh._agent_assist = True  # type: ignore[attr-defined]
    root.addHandler(fh)


def install_excepthook() -> None:
    """Unexpected errors are logged with their traceback and shown to the agent as one line."""
    last = [0.0]

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))
        now = time.monotonic()
        if now - last[0] < 2.0:  # one dialog for a burst of the same failure
            return
        last[0] = now
        messages.error(f"{messages.describe(exc)} Details are in {log_path()}.")

    sys.excepthook = hook


def make_application(argv0: str = APP_ID) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([argv0])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(style.app_icon())
    style.apply(app)
    return app


class _Progress(QObject):
    # emitted from the db lane while the demo database is built; delivered on the GUI thread
    changed = Signal(str, float)


def _fresh_db_candidates(failed: Path) -> list[Path]:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"agent-assist-fresh-{stamp}.db"
    dirs = [Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
            Path(tempfile.gettempdir()) / f"{APP_ID}-{os.getuid() if hasattr(os, 'getuid') else 'user'}"]
    return [d / name for d in dirs if d / name != failed]


def _check_writable_dir(folder: Path) -> None:
    from agent_assist.settings import ensure_private_dir

    try:
        ensure_private_dir(folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "permission denied")
    except OSError as e:
        raise DataDirUnwritable(f"Cannot create the database in {folder}: {e.strerror or e}.") from None


class AppController(QObject):
    """Owns the services, the window and the socket server of one running app."""

    db_ready = Signal()
    # every call event, whatever sent it (the local channel, baresip's ctrl_tcp, the webhook), may be
    # emitted from any thread: it is delivered on the GUI thread to deliver_event, the one door
    call_event = Signal(object)
    softphone_status = Signal(str)

    def __init__(self, settings: Settings, db_path: Path, server: InstanceServer | None = None, *,
                 measure_startup: bool = False, screenshot: str | None = None,
                 initial_call: str | None = None, demo_customers: int = 2000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        # decided before any widget can ask the db lane for data: missing, 0 bytes or left empty by a
        # first run that did not finish (killed, disk full) -> built again, never opened with 0 customers
        from agent_assist.store.db import first_run_reason

        self._first_run = first_run_reason(db_path)
        self._needs_demo = self._first_run is not None
        self._stopping = False
        self.services = Services(settings, db_path)
        self.services.placeholder = self._needs_demo
        self.window = MainWindow(self.services)
        call_focus = getattr(self.window, "call_focus", None)
        if call_focus is not None:  # never the softphone; other windows only when switched on (settings)
            call_focus.os_focus = detect_os_focus(policy=policy_from_settings(settings))
        self.window.setWindowIcon(style.app_icon())
        self.server = server
        self.ready = False
        self.exit_code = 0
        self.db_dialog: QMessageBox | None = None
        self._pending_events: list[CallEvent] = []
        self._measure = measure_startup
        self._screenshot = screenshot
        self._initial_call = initial_call
        self._demo_customers = demo_customers
        self._state_file = os.environ.get(STATE_ENV) or None
        self._closed = False

        sb = self.window.statusBar()
        self.db_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(180)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.db_label)
        self._progress = _Progress(self)
        self._progress.changed.connect(self._show_progress)

        card = self.window.caller_card
        if hasattr(card, "state_changed"):
            card.state_changed.connect(self.write_state)
        if hasattr(card, "first_data_paint"):
            card.first_data_paint.connect(self._first_data_paint)
        self.window.tabs.currentChanged.connect(lambda _i: self.write_state())
        call_focus = getattr(self.window, "call_focus", None)
        if call_focus is not None:  # call status, parked tasks, resume offer (issue 5)
            call_focus.state_changed.connect(self.write_state)
        self.call_event.connect(self.deliver_event)
        self.call_event.connect(self._note_event)
        self._seen_events: list[str] = []  # the last few, for the test state: kind source call_id
        self.softphone_label = QLabel()
        self.softphone_label.setVisible(False)
        sb.addPermanentWidget(self.softphone_label)
        self.softphone_status.connect(self._show_softphone_status)
        self._softphone: BaresipClient | None = None
        self._webhook: WebhookServer | None = None
        if server is not None:
            server.message_received.connect(self.handle_message)

    # -- start-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._screenshot:
            self.window.resize(1500, 940)  # the documentation size, whatever the screen
        self.window.show()
        if self._measure or self._screenshot:
            QTimer.singleShot(WAIT_FOR_DATA_S * 1000, self._gave_up)
        self.open_database()

    def open_database(self) -> None:
        self.ready = False
        path = Path(self.services.db_path)
        self.db_label.setText(path.name)
        self.db_label.setToolTip(str(path))
        if self._needs_demo:
            self._build_demo(path)
        else:
            from agent_assist.store import queries

            self.window.statusBar().showMessage("Opening the database…")
            self.services.db_call(queries.count_customers, self._opened, self._open_failed)
        self.write_state()

    def _build_demo(self, path: Path) -> None:
        from agent_assist.workflows.demo import build_demo_file

        if self._first_run not in (None, "missing"):
            log.warning("database %s: %s; building the demo database again", path, self._first_run)
            self.window.statusBar().showMessage(f"The database was left unfinished ({self._first_run}): "
                                                "building the demo database again…")
        else:
            self.window.statusBar().showMessage("First run: building the demo database…")
        self.progress.setValue(0)
        self.progress.setVisible(True)
        n = self._demo_customers
        emit = self._progress.changed.emit
        # On the db lane (so lookups queue behind it) but without the lane's connection: the file is
        # built beside ``path`` and renamed into place only when complete.
        services = self.services

        def progress(what: str, fraction: float) -> None:
            if self._stopping:  # SIGTERM or the window closed: stop building, keep nothing half-done
                raise BuildCancelled
            emit(what, fraction)

        def build() -> dict[str, int]:
            _check_writable_dir(path.parent)
            # widgets that asked for data before this job got the in-memory placeholder; the next
            # query after this job opens the demo database
            services.drop_connection()
            try:
                return build_demo_file(path, customers=n, progress=progress)
            finally:
                services.placeholder = False

        self.services.run("db", build, lambda _counts: self._demo_built(), self._open_failed)

    def _show_progress(self, what: str, fraction: float) -> None:
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 100))
        self.window.statusBar().showMessage(f"First run: building the demo database — {what}")

    def _demo_built(self) -> None:
        from agent_assist.store import queries

        self._needs_demo = False
        self.progress.setVisible(False)
        self.services.events.publish(ev.DatabaseReplaced(str(self.services.db_path)))
        self.services.db_call(queries.count_customers, self._opened, self._open_failed)

    def _opened(self, customers: int) -> None:
        self.ready = True
        self.db_label.setText(f"{Path(self.services.db_path).name}  ·  {customers:,} customers")
        if customers == 0:  # never silently: say what to do with an empty database
            self.window.statusBar().showMessage(
                "This database has no customers yet: import them (agent-assist import customers FILE) "
                "or build the demo (agent-assist demo --force).")
        else:
            self.window.statusBar().showMessage("Ready", 5000)
        self.db_ready.emit()
        self.write_state()
        if self._initial_call:
            self._pending_events.append(CallEvent(CallEventKind.RING, None, self._initial_call))
        calls, self._pending_events = self._pending_events, []
        for event in calls:
            self.deliver_event(event)
        if (self._measure or self._screenshot) and not calls:
            # something to paint: the first customer's card
            open_customer: Callable[[int], None] | None = getattr(self.window.caller_card,
                                                                  "open_customer", None)
            if open_customer is not None:
                open_customer(1)

    def _open_failed(self, e: BaseException) -> None:
        if isinstance(e, BuildCancelled) or self._stopping:
            return
        self.progress.setVisible(False)
        self.window.statusBar().showMessage("No database")
        text = messages.describe(e)
        log.error("database %s could not be opened: %s", self.services.db_path, text)
        if self._measure or self._screenshot:
            print(f"agent-assist: {text}", file=sys.stderr)
            self.exit_code = 1
            self.quit()
            return
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(APP_NAME)
        box.setText("Agent Assist cannot open its database.")
        hint = ("The file was not changed." if isinstance(e, StoreError)
                else "Nothing was changed.")
        box.setInformativeText(f"{text}\n\n{hint} You can start on a fresh demo database "
                               "in another file, or quit and fix the problem.")
        self.fresh_button: QPushButton = box.addButton("Start with a fresh demo database",
                                                       QMessageBox.ButtonRole.AcceptRole)
        self.quit_button: QPushButton = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.fresh_button)
        box.buttonClicked.connect(self._db_dialog_answer)
        box.setModal(True)
        self.db_dialog = box
        box.open()  # not exec(): the socket server and tests keep running
        self.write_state()

    def _db_dialog_answer(self, button: Any) -> None:
        box, self.db_dialog = self.db_dialog, None
        if box is not None:
            box.deleteLater()
        if button is self.quit_button:
            self.exit_code = 1
            self.quit()
            return
        failed = Path(self.services.db_path)
        for candidate in _fresh_db_candidates(failed):
            try:
                from agent_assist.settings import ensure_private_dir

                ensure_private_dir(candidate.parent)
                probe = candidate.parent / f".{candidate.name}.probe"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError:
                continue
            from agent_assist.store.db import first_run_reason

            self._first_run = first_run_reason(candidate)
            self._needs_demo = self._first_run is not None
            self.services.placeholder = self._needs_demo
            self.services.db_path = candidate
            messages.info(f"Started on a fresh demo database: {candidate}")
            self.open_database()
            return
        messages.error("No writable folder was found for a fresh database; Agent Assist will quit.")
        self.exit_code = 1
        QTimer.singleShot(0, self.quit)

    # -- calls from other processes ------------------------------------------------------------------
    def handle_message(self, msg: dict[str, Any]) -> None:
        """A message the local channel validated: a call event goes through ``call_event``."""
        event = event_from_message(msg)
        if event is not None:
            self.call_event.emit(event)
        elif msg.get("cmd") == "raise":
            self.raise_window()
        else:
            log.warning("local channel: ignored a message with cmd %r", msg.get("cmd"))

    def handle_call_event(self, event: CallEvent) -> None:
        """The one door for call events from every source (local channel, baresip, webhook): the call
        workflow applies them (``CallController.handle_event``); until the database is ready they wait."""
        if event.kind is not CallEventKind.RING:
            log.info("call event %s for %s from %s", event.kind.value, event.call_id or "the newest call",
                     event.source.value)
        if event.kind is CallEventKind.RING:
            self.raise_window()
        if not self.ready:
            self._pending_events.append(event)
            if event.kind is CallEventKind.RING:
                self.window.statusBar().showMessage("Incoming call: the card opens when the database is ready")
            return
        self.window.call_focus.handle_event(event)

    deliver_event = handle_call_event

    def deliver_call(self, number: str) -> None:
        """A ring with no call id (the ``--screenshot`` and start-up calls)."""
        self.handle_call_event(CallEvent(CallEventKind.RING, None, number))

    def raise_window(self) -> None:
        w = self.window
        if w.isMinimized():
            w.showNormal()
        w.show()
        if QGuiApplication.platformName() != "offscreen":  # no stacking there (and it warns)
            w.raise_()
            w.activateWindow()

    # -- softphone and PBX adapters (they run on their own threads and emit call_event) ----------------
    def attach_softphone(self, address: BaresipAddress) -> None:
        """Follow baresip's ctrl_tcp at ``address``; its ring/answer/hang-up go through deliver_event."""
        self._softphone = BaresipClient(address, self.call_event.emit, self.softphone_status.emit)
        self.softphone_label.setToolTip(f"baresip ctrl_tcp at {address}")
        self.softphone_label.setVisible(True)
        self._softphone.start()

    def attach_webhook(self, host: str, port: int, secret: str) -> WebhookServer:
        """Accept Generic CTI posts on ``host:port`` (raises OSError/ValueError when it cannot)."""
        self._webhook = WebhookServer(host, port, secret, self.call_event.emit)
        self._webhook.start()
        return self._webhook

    def detach_telephony(self) -> None:
        if self._softphone is not None:
            self._softphone.stop()
            self._softphone = None
        if self._webhook is not None:
            self._webhook.stop()
            self._webhook = None

    def _note_event(self, event: CallEvent) -> None:
        self._seen_events = [*self._seen_events[-19:],
                             f"{event.kind.value} {event.source.value} {event.call_id or '-'}"]
        self.write_state()

    def _show_softphone_status(self, status: str) -> None:
        self.softphone_label.setText(status)
        self.write_state()

    # -- measuring, screenshots, test state ----------------------------------------------------------
    def _first_data_paint(self) -> None:
        if self._measure:
            print(f"startup_ms {process_elapsed_ms():.0f}", flush=True)
            QTimer.singleShot(0, self.quit)
        elif self._screenshot:
            QTimer.singleShot(500, self._grab)

    def _grab(self) -> None:
        assert self._screenshot is not None
        out = Path(self._screenshot)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(out)):
            print(f"agent-assist: could not write {out}", file=sys.stderr)
            self.exit_code = 1
        self.quit()

    def _gave_up(self) -> None:
        print(f"agent-assist: no caller card was shown within {WAIT_FOR_DATA_S} s", file=sys.stderr)
        self.exit_code = 1
        self.quit()

    def state(self) -> dict[str, Any]:
        card = self.window.caller_card
        card_state = card.state() if hasattr(card, "state") else {}
        return {
            "db_path": str(self.services.db_path),
            "db_ready": self.ready,
            "status_bar": self.window.statusBar().currentMessage(),
            "db_problem": self.db_dialog.informativeText() if self.db_dialog else "",
            "tab": self.window.tabs.tabText(self.window.tabs.currentIndex()).replace("&", ""),
            "pid": os.getpid(),
            "softphone": self.softphone_label.text(),
            "call_events": self._seen_events,
            **card_state,
            **(self.window.call_focus.state() if hasattr(self.window, "call_focus") else {}),
        }

    def write_state(self) -> None:
        if not self._state_file or self._closed:
            return
        tmp = f"{self._state_file}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.state(), f)
            os.replace(tmp, self._state_file)
        except OSError as e:
            log.warning("could not write the test state file: %s", e)

    # -- shutting down -------------------------------------------------------------------------------
    def quit(self) -> None:
        app = QApplication.instance()
        self.window.close()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        """Close the window, the socket and the background lanes (waits for running work)."""
        if self._closed:
            return
        self._stopping = True  # a demo build on the db lane stops at its next progress step
        self.write_state()
        self._closed = True
        if self.db_dialog is not None:
            self.db_dialog.close()
        self.window.close()
        if self.server is not None:
            self.server.close()
        self.detach_telephony()
        self.services.close()
        self.window.deleteLater()


def _softphone_address(args: argparse.Namespace, settings: Settings) -> tuple[BaresipAddress | None, str]:
    """``--softphone`` (a bad one is exit 2, one line) or the ``softphone`` setting (a bad one a warning)."""
    given = getattr(args, "softphone", None)
    if given:
        try:
            return parse_softphone_url(given), ""
        except BadSoftphoneUrl as e:
            raise CliError(str(e)) from None
    if settings.softphone:
        try:
            return parse_softphone_url(settings.softphone), ""
        except BadSoftphoneUrl as e:
            return None, f"Setting 'softphone': {e}; the softphone is not followed."
    return None, ""


def _start_webhook(controller: AppController, settings: Settings) -> list[str]:
    """The Generic CTI endpoint when ``webhook_listen`` is set (``127.0.0.1:8788``); problems as lines."""
    listen = settings.webhook_listen.strip()
    if not listen:
        return []
    secret = os.environ.get("AGENT_ASSIST_WEBHOOK_SECRET") or settings.webhook_secret
    host, _, port_text = listen.rpartition(":")
    try:
        port = int(port_text)
        controller.attach_webhook(host or "127.0.0.1", port, secret)
    except ValueError as e:
        return [f"The PBX webhook is off: {e if secret else 'no webhook_secret is set'}."]
    except OSError as e:
        return [f"The PBX webhook is off: cannot listen on {listen} ({e.strerror or e})."]
    return []


class BuildCancelled(Exception):
    """The first-run build was stopped because the app is shutting down."""


def _quit_on_sigterm(app: QApplication) -> QSocketNotifier | None:
    """SIGTERM/SIGINT close the window cleanly (state written, socket removed, database closed).

    The handlers were installed by ``cli.main`` before Qt was imported (``stop_signals``); a signal that
    came during start-up is pending in the wake-up socket, so the notifier fires as soon as the loop
    runs, and ``quit()`` is never called before ``exec()`` (where it would be lost).
    """
    sock = stop_signals.install()
    if sock is None:
        return None
    notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, app)

    def woke() -> None:
        stop_signals.drain()
        if stop_signals.requested() is not None:
            log.info("signal %s: shutting down", stop_signals.requested())
            for w in QApplication.topLevelWidgets():
                if isinstance(w, QMessageBox):
                    w.close()
            app.quit()

    notifier.activated.connect(woke)
    if stop_signals.requested() is not None:
        QTimer.singleShot(0, woke)
    return notifier


def run(args: argparse.Namespace) -> int:
    """Start the window (``agent-assist`` with no command)."""
    from agent_assist import settings as settings_mod

    stop_signals.install()  # normally done already by cli.main, before Qt was imported
    setup_logging()
    app = make_application(sys.argv[0] if sys.argv else APP_ID)
    notifier = _quit_on_sigterm(app)
    settings, problems = settings_mod.load()
    settings_mod.apply_args(settings, args)
    path = settings_mod.db_path_from_args(args)
    # the app's own data folder is 0700 (older versions left it 0755); a folder the user chose stays;
    # a failure is reported when the database is opened
    with contextlib.suppress(OSError):
        settings_mod.ensure_private_dir(path.parent)
    measure = bool(getattr(args, "measure_startup", False))
    screenshot = getattr(args, "screenshot", None)
    softphone, softphone_problem = _softphone_address(args, settings)

    server: InstanceServer | None = None
    channel_problem = ""
    if not measure and not screenshot:
        try:
            server = InstanceServer(server_name(path))
        except ChannelError as e:
            channel_problem = str(e)
    if server is not None:
        result = server.listen()
        if stop_signals.requested() is not None:
            server.close()
            return 0
        if result is ListenResult.RUNNING:
            send(server.name, {"cmd": "raise"})
            print(f"{APP_NAME} is already running on {path}; brought its window to the front.")
            return 0
        if result is ListenResult.FAILED:
            # the window still works; only `agent-assist call` cannot reach it
            channel_problem = server.error
            server = None

    install_excepthook()
    try:  # a smaller first-run demo for tests and slow machines
        demo_customers = max(1, int(os.environ.get(DEMO_SIZE_ENV, "2000")))
    except ValueError:
        demo_customers = 2000
    controller = AppController(settings, path, server, measure_startup=measure, screenshot=screenshot,
                               demo_customers=demo_customers)
    app.setQuitOnLastWindowClosed(True)
    controller.start()
    if server is None and not (measure or screenshot):
        log.warning("local channel not available: %s", channel_problem)
        messages.warning("Incoming calls cannot reach this window (the local socket could not be "
                         f"opened: {channel_problem}); search by hand.")
    if softphone is not None and not (measure or screenshot):
        controller.attach_softphone(softphone)
    if softphone_problem:
        problems.append(softphone_problem)
    if not (measure or screenshot):
        problems.extend(_start_webhook(controller, settings))
    for problem in problems:
        messages.warning(problem)
    try:
        rc = app.exec()
    finally:
        controller.shutdown()
        if notifier is not None:
            notifier.setEnabled(False)
    if stop_signals.requested() is not None:
        return 0  # asked to stop, and stopped cleanly
    return controller.exit_code or rc
