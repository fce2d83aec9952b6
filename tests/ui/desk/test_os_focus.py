"""OS-level focus on a real X server (Xvfb) with a real window manager (openbox) and real X clients."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from agent_assist.ui.desk.os_focus import NoOsFocus, X11Focus, detect_os_focus

NEEDED = ("Xvfb", "openbox", "xmessage")


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:  # generous: a busy CI machine
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def x_desktop() -> Iterator[str]:
    missing = [p for p in NEEDED if shutil.which(p) is None]
    assert not missing, f"install the Debian packages for {missing} (make system-test)"
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with os.fdopen(r) as f:
            display = ":" + f.readline().strip()
        env = {**os.environ, "DISPLAY": display}
        procs.append(subprocess.Popen(["openbox", "--sm-disable"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        probe = X11Focus(display)
        for title in ("other-1", "other-2", "own"):
            procs.append(subprocess.Popen(["xmessage", "-title", title, "-geometry", "+100+100", title],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            # openbox manages them all when its EWMH client list has the three
            try:
                wait_for(lambda: len(probe.client_ids()) == 3)
            except AssertionError:
                raise AssertionError(f"clients {probe.client_ids()}, exit codes "
                                     f"{[p.poll() for p in procs]}") from None
        finally:
            probe.close()
        yield display
    finally:
        for p in [*reversed(procs), xvfb]:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def _by_title(focus: X11Focus) -> dict[str, int]:
    e = focus._connect()
    out: dict[str, int] = {}
    for w in focus._clients():
        name = e.getWmName(w) or w.get_wm_name()
        out[name.decode() if isinstance(name, bytes) else str(name)] = w.id
    return out


def test_minimise_others_and_restore(x_desktop: str) -> None:
    focus = X11Focus(x_desktop)
    try:
        assert focus.available() and focus.reason == ""
        wins = _by_title(focus)
        assert set(wins) == {"other-1", "other-2", "own"}
        assert not any(focus.is_minimised(w) for w in wins.values())

        assert focus.hide_others(wins["own"]) == 2
        wait_for(lambda: focus.is_minimised(wins["other-1"]) and focus.is_minimised(wins["other-2"]))
        assert not focus.is_minimised(wins["own"])
        # a second call while focused hides nothing more
        assert focus.hide_others(wins["own"]) == 0

        assert focus.restore() == 2
        wait_for(lambda: not focus.is_minimised(wins["other-1"]) and not focus.is_minimised(wins["other-2"]))
        assert focus.restore() == 0
    finally:
        focus.close()


def test_window_minimised_by_the_agent_stays_minimised(x_desktop: str) -> None:
    focus = X11Focus(x_desktop)
    try:
        wins = _by_title(focus)
        focus._iconify(focus._display.create_resource_object("window", wins["other-2"]))
        focus._display.flush()
        wait_for(lambda: focus.is_minimised(wins["other-2"]))
        assert focus.hide_others(wins["own"]) == 1
        assert focus.restore() == 1
        wait_for(lambda: not focus.is_minimised(wins["other-1"]))
        time.sleep(0.2)
        assert focus.is_minimised(wins["other-2"])
    finally:
        focus.close()


def test_not_available_elsewhere() -> None:
    assert isinstance(detect_os_focus("offscreen"), NoOsFocus)
    assert isinstance(detect_os_focus("wayland"), NoOsFocus)
    none = detect_os_focus("windows")
    assert not none.available() and none.reason.startswith("not available on this desktop")
    assert none.hide_others(1) == 0 and none.restore() == 0
