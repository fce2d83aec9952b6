"""End to end: a crash mid-call loses nothing.

The real app runs on a real X server (Xvfb) with a real window manager (openbox). A call arrives through
``agent-assist call``; a task is parked with real key presses (xdotool: Ctrl+P, typing, Enter); the app
is killed with SIGKILL; on the next start the window offers to resume the wrap-up, with the parked task.
The window reports its state through ``AGENT_ASSIST_TEST_STATE``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo_file

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
NEEDED = ("Xvfb", "openbox", "xdotool")


@pytest.fixture
def display() -> Iterator[str]:
    missing = [p for p in NEEDED if shutil.which(p) is None]
    assert not missing, f"install the Debian packages for {missing} (make system-test)"
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    wm: subprocess.Popen[bytes] | None = None
    try:
        with os.fdopen(r) as f:
            disp = ":" + f.readline().strip()
        wm = subprocess.Popen(["openbox", "--sm-disable"], env={**os.environ, "DISPLAY": disp},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield disp
    finally:
        if wm is not None:
            wm.terminate()
            wm.wait(timeout=10)
        xvfb.terminate()
        xvfb.wait(timeout=10)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "resume.db"
    build_demo_file(path, customers=40, seed=11)
    return path


def _env(display: str, state: Path) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "AGENT_ASSIST_TEST_STATE": str(state)}
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _read(p: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(p.read_text()))
    except (OSError, ValueError):
        return {}


def _wait(p: Path, pred: Callable[[dict[str, Any]], bool], proc: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = _read(p)
        if state and pred(state):
            return state
        if proc.poll() is not None:
            raise AssertionError(f"the app exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)
    raise AssertionError(f"window never reached the expected state; last: {state}")


def _xdotool(display: str, *args: str) -> str:
    out = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, text=True,
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _start(db: Path, display: str, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agent_assist", "--db", str(db)], cwd=ROOT,
                            env=_env(display, state), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _cli(db: Path, display: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(db), *args], cwd=ROOT,
                          env=_env(display, state), text=True, capture_output=True, timeout=TIMEOUT)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def test_kill_mid_call_then_resume_wrapup(display: str, db_path: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    db = connect(db_path, writer=False)  # read beside the running window (one writer per file)
    phone = db.execute("SELECT phone_e164 FROM customers WHERE id = 1").fetchone()[0]
    db.close()

    app = _start(db_path, display, state)
    try:
        _wait(state, lambda s: s.get("db_ready") is True, app)
        call = subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(db_path), "call", phone,
                               "--no-start"], cwd=ROOT, env=_env(display, state), text=True,
                              capture_output=True, timeout=TIMEOUT)
        assert call.returncode == 0, call.stderr
        _wait(state, lambda s: s.get("call_status") == "ringing", app)
        assert _cli(db_path, display, state, "answer").returncode == 0
        s = _wait(state, lambda s: s.get("call_status") == "active" and s.get("focus") is True, app)
        call_id = s["call_id"]
        assert call_id > 0 and s.get("customer_id") == 1

        # park a task with the keyboard, as the agent would
        wid = _xdotool(display, "search", "--sync", "--pid", str(app.pid), "--name", "Agent Assist").split()[0]
        _xdotool(display, "windowactivate", "--sync", wid)
        _xdotool(display, "key", "--clearmodifiers", "ctrl+p")
        time.sleep(0.3)
        _xdotool(display, "type", "--delay", "20", "Send the refund e-mail")
        _xdotool(display, "key", "Return")
        s = _wait(state, lambda s: s.get("parked") == ["Send the refund e-mail"], app)

        # crash: no chance to save anything more
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
    finally:
        _stop(app)

    db = connect(db_path, writer=False)  # read beside the running window (one writer per file)
    try:
        assert db.execute("SELECT status FROM calls WHERE id = ?", [call_id]).fetchone()[0] == "active"
        assert [r[0] for r in db.execute("SELECT text FROM tasks WHERE call_id = ?", [call_id])] == \
            ["Send the refund e-mail"]
    finally:
        db.close()

    state.unlink(missing_ok=True)
    again = _start(db_path, display, state)
    try:
        s = _wait(state, lambda s: s.get("resume_offer") == call_id, again)
        assert s["resume_parked"] == ["Send the refund e-mail"]
        assert s["call_status"] == "idle"
    finally:
        _stop(again)


def test_kill_in_wrapup_with_notes_typed_then_resume_restores_them(display: str, db_path: Path,
                                                                     tmp_path: Path) -> None:
    """Notes and outcome typed into the wrap-up survive a SIGKILL (saved as typed, ~1 s at most lost)."""
    state = tmp_path / "state.json"
    db = connect(db_path, writer=False)
    phone = db.execute("SELECT phone_e164 FROM customers WHERE id = 2").fetchone()[0]
    db.close()
    notes = "Wants a refund to card 4111 1111 1111 1111"

    app = _start(db_path, display, state)
    try:
        _wait(state, lambda s: s.get("db_ready") is True, app)
        for args in (("call", phone, "--call-id", "k-1", "--no-start"), ("answer", "--call-id", "k-1")):
            done = _cli(db_path, display, state, *args)
            assert done.returncode == 0, done.stderr
            _wait(state, lambda s, a=args: s.get("call_status") == ("ringing" if a[0] == "call" else "active"), app)
        done = _cli(db_path, display, state, "hangup", "--call-id", "k-1")
        assert done.returncode == 0, done.stderr
        s = _wait(state, lambda s: s.get("wrapup_visible") is True, app)
        call_id, duration = s["call_id"], s["wrapup_duration_s"]
        assert isinstance(duration, float)

        # the cursor is in the notes: type them as the agent would
        wid = _xdotool(display, "search", "--sync", "--pid", str(app.pid), "--name", "Agent Assist").split()[0]
        _xdotool(display, "windowactivate", "--sync", wid)
        _xdotool(display, "type", "--delay", "15", notes)
        _wait(state, lambda s: s.get("wrapup_notes") == notes, app)
        typed = time.monotonic()

        # the draft reaches the database within about a second of the last key press
        def stored() -> str:
            d = connect(db_path, writer=False)
            try:
                return str(d.execute("SELECT wrapup_draft FROM calls WHERE id = ?", [call_id]).fetchone()[0] or "")
            finally:
                d.close()

        while "refund" not in stored():
            assert time.monotonic() - typed < 1.5, "the typed notes were not saved within ~1 s"
            time.sleep(0.05)
        draft = json.loads(stored())
        assert draft["notes"] == "Wants a refund to card [card ••••1111]"  # redacted like the notes
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
    finally:
        _stop(app)

    state.unlink(missing_ok=True)
    again = _start(db_path, display, state)
    try:
        _wait(state, lambda s: s.get("resume_offer") == call_id, again)
        wid = _xdotool(display, "search", "--sync", "--pid", str(again.pid), "--name", "Agent Assist").split()[0]
        _xdotool(display, "windowactivate", "--sync", wid)
        _xdotool(display, "key", "--clearmodifiers", "ctrl+shift+r")
        s = _wait(state, lambda s: s.get("wrapup_visible") is True, again)
        assert s["wrapup_notes"] == "Wants a refund to card [card ••••1111]"
        assert s["wrapup_duration_s"] == duration  # the call's talk time is kept
        assert s["call_status"] == "wrapup" and s["call_id"] == call_id
    finally:
        _stop(again)
