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
