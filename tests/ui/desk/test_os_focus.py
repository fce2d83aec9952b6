"""OS-level focus on a real X server (Xvfb) with a real window manager (openbox) and real X clients.

The clients are small python-xlib windows, each its own process, with the WM_CLASS a real application
sets: a softphone (``twinkle``/``Twinkle``) must never be minimised; the others come back exactly as they
were (stacking order, active window, geometry, maximised state).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent_assist.settings import Settings
from agent_assist.ui.desk.os_focus import (
    DEFAULT_ALLOW,
    FocusPolicy,
    NoOsFocus,
    X11Focus,
    detect_os_focus,
    policy_from_settings,
)

NEEDED = ("Xvfb", "openbox")
ON = FocusPolicy(minimise_others=True)

# one top-level window with a given WM_CLASS and title; lives until terminated
WINDOW = """
import sys
from Xlib import X, display
d = display.Display(sys.argv[1])
s = d.screen()
x, y = int(sys.argv[5]), int(sys.argv[6])
w = s.root.create_window(x, y, 320, 200, 0, s.root_depth, X.InputOutput, X.CopyFromParent,
                         background_pixel=s.white_pixel, event_mask=X.StructureNotifyMask)
w.set_wm_class(sys.argv[2], sys.argv[3])
w.set_wm_name(sys.argv[4])
w.set_wm_hints(flags=1, input=1)  # InputHint: takes focus like a normal application window
w.map()
d.flush()
while True:
    d.next_event()
"""

CLIENTS = [  # title, WM_CLASS instance, class, x, y
    ("other-1", "gedit", "Gedit", 40, 40),
    ("other-2", "Navigator", "firefox", 200, 120),
    ("softphone", "twinkle", "Twinkle", 500, 60),
    ("own", "agent-assist", "Agent-assist", 300, 300),
]


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:  # generous: a busy CI machine
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _wm_ready(probe: X11Focus) -> bool:
    """openbox is managing: it has set _NET_SUPPORTING_WM_CHECK and published a client list."""
    probe._connect()
    root = probe._display.screen().root
    check = root.get_full_property(probe._display.intern_atom("_NET_SUPPORTING_WM_CHECK"), 0)
    clients = root.get_full_property(probe._display.intern_atom("_NET_CLIENT_LIST"), 0)
    return check is not None and len(check.value) > 0 and clients is not None


def _normal(probe: X11Focus, wid: int) -> bool:
    """Managed and shown: WM_STATE NormalState, as the WM sets it once it has mapped the window."""
    win = probe._display.create_resource_object("window", wid)
    st = win.get_full_property(probe._display.intern_atom("WM_STATE"), 0)
    return st is not None and len(st.value) > 0 and int(st.value[0]) == 1


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
        try:
            # the flake this replaces: windows made before openbox ran were read from a client list
            # openbox did not have yet. Wait on the WM's own signal that it manages the screen.
            wait_for(lambda: _wm_ready(probe))
            for title, inst, cls, x, y in CLIENTS:
                procs.append(subprocess.Popen([sys.executable, "-c", WINDOW, display, inst, cls, title,
                                               str(x), str(y)], env=env))
                # one at a time, so the stacking order is the order they were made in
                n = len(procs) - 1
                wait_for(lambda n=n: len(probe.client_ids()) == n and all(_normal(probe, c)
                                                                           for c in probe.client_ids()))
        except AssertionError:
            raise AssertionError(f"clients {probe.client_ids()}, exit codes {[p.poll() for p in procs]}") from None
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


def _geometry(focus: X11Focus, wid: int) -> tuple[int, int, int, int]:
    win = focus._display.create_resource_object("window", wid)
    g = win.get_geometry()
    pos = win.translate_coords(focus._display.screen().root, 0, 0)
    return (-pos.x, -pos.y, g.width, g.height)


def _states(focus: X11Focus, wid: int) -> set[str]:
    win = focus._display.create_resource_object("window", wid)
    return focus._atom_names(focus._prop(focus._ewmh.getWmState, win))


def _activate(focus: X11Focus, wid: int) -> None:
    focus._pager_message(focus._display.create_resource_object("window", wid), "_NET_ACTIVE_WINDOW",
                         [2, 0, 0])
    focus._display.flush()
    wait_for(lambda: focus.active() == wid)


def _snapshot(focus: X11Focus, wins: dict[str, int]) -> dict[str, Any]:
    return {"stacking": focus.stacking(), "active": focus.active(),
            "geometry": {t: _geometry(focus, w) for t, w in wins.items()},
            "states": {t: _states(focus, w) - {"_NET_WM_STATE_FOCUSED"} for t, w in wins.items()}}


def test_minimise_others_and_restore(x_desktop: str) -> None:
    focus = X11Focus(x_desktop, ON)
    try:
        assert focus.available() and focus.reason == ""
        wins = _by_title(focus)
        assert set(wins) == {"other-1", "other-2", "softphone", "own"}
        assert not any(focus.is_minimised(w) for w in wins.values())

        assert focus.hide_others(wins["own"]) == 2
        wait_for(lambda: focus.is_minimised(wins["other-1"]) and focus.is_minimised(wins["other-2"]))
        assert not focus.is_minimised(wins["own"])
        assert not focus.is_minimised(wins["softphone"])
        # a second call while focused hides nothing more
        assert focus.hide_others(wins["own"]) == 0

        assert focus.restore() == 2
        wait_for(lambda: not focus.is_minimised(wins["other-1"]) and not focus.is_minimised(wins["other-2"]))
        assert focus.restore() == 0
    finally:
        focus.close()


def test_the_softphone_is_never_minimised_and_everything_comes_back_as_it_was(x_desktop: str) -> None:
    focus = X11Focus(x_desktop, ON)
    try:
        wins = _by_title(focus)
        assert focus.wm_class(focus._display.create_resource_object("window", wins["softphone"])) == \
            ("twinkle", "Twinkle")
        # a desk as an agent leaves it: one window maximised, the softphone on top of the others,
        # the app active (the ring raised it)
        other1 = focus._display.create_resource_object("window", wins["other-1"])
        focus._pager_message(other1, "_NET_WM_STATE",
                             [1, focus._display.intern_atom("_NET_WM_STATE_MAXIMIZED_VERT"),
                              focus._display.intern_atom("_NET_WM_STATE_MAXIMIZED_HORZ"), 2])
        focus._display.flush()
        wait_for(lambda: "_NET_WM_STATE_MAXIMIZED_VERT" in _states(focus, wins["other-1"]))
        _activate(focus, wins["softphone"])
        _activate(focus, wins["own"])
        before = _snapshot(focus, wins)
        assert before["active"] == wins["own"]
        assert before["stacking"][-2:] == [wins["softphone"], wins["own"]]

        assert focus.hide_others(wins["own"]) == 2
        wait_for(lambda: focus.is_minimised(wins["other-1"]) and focus.is_minimised(wins["other-2"]))
        # mid-call the agent works the softphone: it stays reachable and may come to the front
        assert not focus.is_minimised(wins["softphone"])
        _activate(focus, wins["softphone"])

        assert focus.restore() == 2
        wait_for(lambda: _snapshot(focus, wins) == before)
    finally:
        focus.close()


def test_minimising_is_off_unless_switched_on(x_desktop: str) -> None:
    focus = X11Focus(x_desktop)  # the default policy
    try:
        wins = _by_title(focus)
        assert focus.hide_others(wins["own"]) == 0
        time.sleep(0.2)  # nothing was asked of the WM; give it a moment to prove it did nothing
        assert not any(focus.is_minimised(w) for w in wins.values())
        assert focus.restore() == 0
    finally:
        focus.close()


def test_the_allow_list_is_editable_in_settings(x_desktop: str) -> None:
    settings = Settings()
    settings.focus_minimise_others = True
    settings.focus_allow = ["gedit", "Twinkle"]
    focus = X11Focus(x_desktop, policy_from_settings(settings))
    try:
        wins = _by_title(focus)
        assert focus.hide_others(wins["own"]) == 1  # only firefox
        wait_for(lambda: focus.is_minimised(wins["other-2"]))
        assert not focus.is_minimised(wins["other-1"]) and not focus.is_minimised(wins["softphone"])
        assert focus.restore() == 1
        wait_for(lambda: not focus.is_minimised(wins["other-2"]))
    finally:
        focus.close()


def test_window_minimised_by_the_agent_stays_minimised(x_desktop: str) -> None:
    focus = X11Focus(x_desktop, ON)
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


def test_policy_matching() -> None:
    p = FocusPolicy(minimise_others=True)
    for cls in [("twinkle", "Twinkle"), ("Zoiper5", "Zoiper5"), ("microsip.exe", "Wine"), ("linphone", "Linphone"),
                ("jitsi meet", "Jitsi Meet"), ("baresip", "Baresip")]:
        assert p.allows(cls), cls
    for cls in [("gedit", "Gedit"), ("Navigator", "firefox"), None, ("", "")]:
        assert not p.allows(cls), cls
    assert policy_from_settings(Settings()) == FocusPolicy(False, DEFAULT_ALLOW)
    s = Settings()
    s.focus_allow = ["  Zoiper ", 5, ""]  # type: ignore[list-item]
    assert policy_from_settings(s).allow == ("zoiper",)


def test_not_available_elsewhere() -> None:
    assert isinstance(detect_os_focus("offscreen"), NoOsFocus)
    assert isinstance(detect_os_focus("wayland"), NoOsFocus)
    none = detect_os_focus("windows")
    assert not none.available() and none.reason.startswith("not available on this desktop")
    assert none.hide_others(1) == 0 and none.restore() == 0
