"""OS-level call focus: minimise the other windows during a call and bring them back after wrap-up.

A small interface (:class:`OsFocus`) with one real implementation, :class:`X11Focus` (EWMH window list via
the ``ewmh`` library over python-xlib, ICCCM iconify requests), and :class:`NoOsFocus` for desktops where
it is not possible (Wayland, Windows and macOS for now, offscreen tests) which says so.

Other windows are minimised only when the agent switched that on (:class:`FocusPolicy`, settings
``focus_minimise_others``), and never a window on the allow-list (``focus_allow``, matched on either part of
its WM_CLASS), which starts with the known softphones: the hang-up and transfer buttons stay in reach.

Only windows this call minimised are restored: a window the agent had minimised already stays minimised.
The rest comes back exactly as it was: the stacking order of every window and the active window are noted
before anything is minimised and put back afterwards (EWMH ``_NET_RESTACK_WINDOW``/``_NET_ACTIVE_WINDOW``
as a pager would send them); iconify keeps geometry, desktop and maximised state.
The X connection is opened lazily and used from a single thread (the caller's io lane).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

ICONIC_STATE = 3  # ICCCM WM_STATE / WM_CHANGE_STATE value for "minimised"
_SKIP_TYPES = {"_NET_WM_WINDOW_TYPE_DOCK", "_NET_WM_WINDOW_TYPE_DESKTOP", "_NET_WM_WINDOW_TYPE_SPLASH",
               "_NET_WM_WINDOW_TYPE_NOTIFICATION", "_NET_WM_WINDOW_TYPE_TOOLBAR"}


# WM_CLASS names (instance or class, lower case, prefix match: "zoiper" covers "Zoiper5", "microsip" the
# "microsip.exe" of Wine) of softphones an agent must always reach during a call
DEFAULT_ALLOW: tuple[str, ...] = (
    "twinkle", "baresip", "linphone", "microsip", "zoiper", "jitsi", "jami", "ekiga", "sflphone", "blink",
    "bria", "x-lite", "3cxphone", "3cx", "phoner", "sipphone", "telephone", "yate", "qutecom", "mizu",
)


@dataclass(frozen=True, slots=True)
class FocusPolicy:
    """Whether call focus minimises other windows at all, and which it never touches."""

    minimise_others: bool = False
    allow: tuple[str, ...] = DEFAULT_ALLOW

    def allows(self, wm_class: tuple[str, ...] | None) -> bool:
        """True when a window of this WM_CLASS (instance, class) must stay as it is."""
        names = [n.lower() for n in (wm_class or ()) if isinstance(n, str) and n]
        return any(n.startswith(a) for n in names for a in self.allow)


def policy_from_settings(settings: Any) -> FocusPolicy:
    """``focus_minimise_others`` (bool) and ``focus_allow`` (list of WM_CLASS names) from the settings."""
    allow = getattr(settings, "focus_allow", None)
    names = tuple(str(a).strip().lower() for a in allow if isinstance(a, str) and a.strip()) \
        if isinstance(allow, list | tuple) else DEFAULT_ALLOW
    return FocusPolicy(minimise_others=bool(getattr(settings, "focus_minimise_others", False)), allow=names)


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

    def __init__(self, display_name: str | None = None, policy: FocusPolicy | None = None) -> None:
        self._display_name = display_name or os.environ.get("DISPLAY")
        self.policy = policy or FocusPolicy()
        self._ewmh: Any = None
        self._display: Any = None
        self._hidden: list[int] = []
        self._stacking: list[int] = []  # bottom to top, noted before the first window was minimised
        self._active: int | None = None
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

    def stacking(self) -> list[int]:
        """Client windows bottom to top (_NET_CLIENT_LIST_STACKING)."""
        e = self._connect()
        try:
            return [w.id for w in (e.getClientListStacking() or [])]
        except TypeError:
            return []

    def active(self) -> int | None:
        e = self._connect()
        try:
            w = e.getActiveWindow()
        except TypeError:
            return None
        return int(w.id) if w is not None else None

    def wm_class(self, win: Any) -> tuple[str, ...] | None:
        from Xlib.error import XError

        try:
            cls = win.get_wm_class()
        except XError:
            return None
        return tuple(cls) if cls else None

    def _skip(self, win: Any, own: int) -> bool:
        e = self._ewmh
        if win.id == own:
            return True
        if self.policy.allows(self.wm_class(win)):  # a softphone: always in reach
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
    def _pager_message(self, win: Any, atom: str, data: list[int]) -> None:
        from Xlib import X
        from Xlib.protocol import event

        root = self._display.screen().root
        ev = event.ClientMessage(window=win, client_type=self._display.intern_atom(atom),
                                 data=(32, [*data, 0, 0, 0, 0, 0][:5]))
        root.send_event(ev, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)

    def hide_others(self, own_window_id: int) -> int:
        if not self.available():
            return 0
        if not self.policy.minimise_others:
            return 0  # the app holds its own distractions; other windows only when switched on
        self._connect()
        if not self._hidden:  # a second call during focus keeps the first snapshot
            self._stacking = self.stacking()
            self._active = self.active()
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
        self._connect()
        alive = set(self.client_ids())
        restored = 0
        source_pager, above = 2, 0
        for wid in self._hidden:
            if wid not in alive:
                continue
            win = self._display.create_resource_object("window", wid)
            win.map()  # ICCCM: mapping an iconic window de-iconifies it
            # ... but only once the window manager has iconified it: right after hide_others its request
            # may still be queued, the map is then a no-op and the window stays minimised. A pager's
            # activation reaches the window manager after that request, so it de-iconifies either way
            self._pager_message(win, "_NET_ACTIVE_WINDOW", [source_pager, 0, 0])
            restored += 1
        # the order every window had before the call, bottom to top, then the window that was active
        for wid in self._stacking:
            if wid in alive:
                win = self._display.create_resource_object("window", wid)
                self._pager_message(win, "_NET_RESTACK_WINDOW", [source_pager, 0, above])
        if self._active is not None and self._active in alive:
            win = self._display.create_resource_object("window", self._active)
            self._pager_message(win, "_NET_ACTIVE_WINDOW", [source_pager, 0, 0])
        self._hidden, self._stacking, self._active = [], [], None
        self._display.flush()
        return restored


def detect_os_focus(platform_name: str | None = None, policy: FocusPolicy | None = None) -> OsFocus:
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
    return X11Focus(policy=policy)
