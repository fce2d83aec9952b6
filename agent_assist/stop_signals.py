"""SIGTERM and SIGINT from the very first moment of the GUI process, delivered to Qt's event loop later.

``install()`` runs first thing in ``cli.main`` (before PySide6 is even imported): the handlers only
record the signal and write one byte to a socket pair (``signal.set_wakeup_fd``). Once the window's event
loop runs, a ``QSocketNotifier`` on the other end wakes it and the app shuts down cleanly — so a signal
sent during start-up, before the loop exists, is remembered instead of killing the process half-way or
being lost in a ``quit()`` that came before ``exec()``. Pure Python; no Qt here.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from types import FrameType

_received: list[int] = []
_pair: tuple[socket.socket, socket.socket] | None = None


def _handler(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)


def install() -> socket.socket | None:
    """Install the handlers (idempotent); returns the socket to watch for readability, or None."""
    global _pair
    if _pair is None:
        try:
            r, w = socket.socketpair()
            r.setblocking(False)
            w.setblocking(False)
            signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
        except (OSError, ValueError):  # not the main thread, or no socketpair
            return None
        _pair = (r, w)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _handler)
    return _pair[0]


def requested() -> int | None:
    """The first stop signal received so far, or None."""
    return _received[0] if _received else None


def drain() -> None:
    """Empty the wake-up socket (call when the notifier fires)."""
    if _pair is None:
        return
    try:
        while _pair[0].recv(512):
            pass
    except (BlockingIOError, OSError):
        pass


def uninstall() -> None:
    """Back to the default handlers (tests, and after the window closed)."""
    global _pair
    if _pair is None:
        return
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL if sig == signal.SIGTERM else signal.default_int_handler)
    for s in _pair:
        s.close()
    _pair = None
    _received.clear()
