"""OS-level call focus: minimise the other windows during a call and bring them back after wrap-up.

A small interface (:class:`OsFocus`) with one real implementation, :class:`X11Focus` (EWMH window list via
the ``ewmh`` library over python-xlib, ICCCM iconify requests), and :class:`NoOsFocus` for desktops where
it is not possible (Wayland, Windows and macOS for now, offscreen tests) which says so.

Only windows this call minimised are restored: a window the agent had minimised already stays minimised.
The X connection is opened lazily and used from a single thread (the caller's io lane).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Protocol

log = logging.getLogger(__name__)

ICONIC_STATE = 3  # ICCCM WM_STATE / WM_CHANGE_STATE value for "minimised"
_SKIP_TYPES = {"_NET_WM_WINDOW_TYPE_DOCK", "_NET_WM_WINDOW_TYPE_DESKTOP", "_NET_WM_WINDOW_TYPE_SPLASH",
               "_NET_WM_WINDOW_TYPE_NOTIFICATION", "_NET_WM_WINDOW_TYPE_TOOLBAR"}


class OsFocus(Protocol):
    """Hide other applications' windows during a call and restore them afterwards."""

    @property
    def reason(self) -> str:
        """Why it is not available ('' when it is)."""
        ...

    def available(self) -> bool: ...

    def hide_others(self, own_window_id: int) -> int:
        """Minimise every normal window except ours; returns how many were minimised."""
        ...

    def restore(self) -> int:
        """Bring back the windows :meth:`hide_others` minimised; returns how many."""
        ...


class NoOsFocus:
    """The desktop does not let us minimise other windows."""

    def __init__(self, reason: str = "not available on this desktop") -> None:
        self._reason = reason

    @property
    def reason(self) -> str:
        return self._reason

    def available(self) -> bool:
        return False

    def hide_others(self, own_window_id: int) -> int:
        return 0

    def restore(self) -> int:
        return 0


class X11Focus:
    """EWMH/ICCCM implementation for X11 window managers (openbox, xfwm4, KWin and GNOME on X11...)."""

    def __init__(self, display_name: str | None = None) -> None:
        self._display_name = display_name or os.environ.get("DISPLAY")
        self._ewmh: Any = None
        self._display: Any = None
        self._hidden: list[int] = []
        self._reason = "" if self._display_name else "not available on this desktop (no X display)"

    @property
    def reason(self) -> str:
        return self._reason

    def available(self) -> bool:
        return not self._reason

    # -- X plumbing ----------------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._ewmh is None:
            from ewmh import EWMH
            from Xlib import display

            self._display = display.Display(self._display_name)
            self._ewmh = EWMH(self._display)
        return self._ewmh

    def close(self) -> None:
        if self._display is not None:
            self._display.close()
        self._display = self._ewmh = None

    def _atom_names(self, atoms: Any) -> set[str]:
        names: set[str] = set()
        for a in atoms or ():
            try:
                names.add(self._display.get_atom_name(a))
            except Exception:
                continue
        return names

    def is_minimised(self, window_id: int) -> bool:
        e = self._connect()
        from Xlib.error import XError

        win = self._display.create_resource_object("window", window_id)
        try:
            wm_state = win.get_full_property(self._display.intern_atom("WM_STATE"), 0)
        except XError:  # the window is gone
            return False
        if wm_state is not None and len(wm_state.value) and int(wm_state.value[0]) == ICONIC_STATE:
            return True
        return "_NET_WM_STATE_HIDDEN" in self._atom_names(self._prop(e.getWmState, win))

    def _clients(self) -> list[Any]:
        e = self._connect()
        try:
            return list(e.getClientList() or [])
        except TypeError:  # no window manager (yet): ewmh trips over the missing _NET_CLIENT_LIST
            return []

    def client_ids(self) -> list[int]:
        return [w.id for w in self._clients()]

    @staticmethod
    def _prop(getter: Any, win: Any) -> Any:
        """An EWMH property, None when the window has none (ewmh raises TypeError then) or is gone."""
        from Xlib.error import XError

        try:
            return getter(win)
        except (TypeError, XError):
            return None

    def _skip(self, win: Any, own: int) -> bool:
        e = self._ewmh
        if win.id == own:
            return True
        if self._prop(e.getWmPid, win) == os.getpid():  # our own dialogs and tool windows
            return True
        types = self._atom_names(self._prop(e.getWmWindowType, win))
        states = self._atom_names(self._prop(e.getWmState, win))
        return bool(types & _SKIP_TYPES) or "_NET_WM_STATE_HIDDEN" in states \
            or "_NET_WM_STATE_SKIP_TASKBAR" in states

    def _iconify(self, win: Any) -> None:
        from Xlib import X
        from Xlib.protocol import event

        root = self._display.screen().root
        ev = event.ClientMessage(window=win, client_type=self._display.intern_atom("WM_CHANGE_STATE"),
                                 data=(32, [ICONIC_STATE, 0, 0, 0, 0]))
        root.send_event(ev, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)

    # -- the interface -------------------------------------------------------------------------------
    def hide_others(self, own_window_id: int) -> int:
        if not self.available():
            return 0
        hidden: list[int] = []
        for win in self._clients():
            if self._skip(win, own_window_id) or self.is_minimised(win.id):
                continue
            self._iconify(win)
            hidden.append(win.id)
        self._display.flush()
        self._hidden.extend(h for h in hidden if h not in self._hidden)
        log.info("OS focus: minimised %d windows", len(hidden))
        return len(hidden)

    def restore(self) -> int:
        if not self._hidden:
            return 0
        e = self._connect()
        alive = set(self.client_ids())
        restored = 0
        for wid in self._hidden:
            if wid not in alive:
                continue
            win = self._display.create_resource_object("window", wid)
            win.map()  # ICCCM: mapping an iconic window de-iconifies it
            e.setActiveWindow(win)
            restored += 1
        self._hidden = []
        self._display.flush()
        return restored


def detect_os_focus(platform_name: str | None = None) -> OsFocus:
    """The implementation for this desktop (Qt's platform plugin name decides; default: ask Qt)."""
    if platform_name is None:
        from PySide6.QtGui import QGuiApplication

        platform_name = QGuiApplication.platformName() if QGuiApplication.instance() else ""
    if platform_name != "xcb" or not os.environ.get("DISPLAY"):
        return NoOsFocus(f"not available on this desktop ({platform_name or 'no window system'})")
    try:
        import ewmh  # noqa: F401
        import Xlib  # noqa: F401
    except ImportError:
        return NoOsFocus("not available on this desktop (python-xlib/ewmh are not installed)")
    return X11Focus()
