"""For the app processes the GUI tests start as children (``python -c CHILD``, run from the project root)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def pump(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds. Not ``QTest.qWait``: it keeps the GIL while it waits,
    which starves the worker threads (loading spaCy took 100-150 s instead of 1.5 s); ``exec()`` lets
    them run."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def until(cond: Callable[[], object], what: str, timeout_s: float = 30.0, step_ms: int = 20) -> None:
    """Run the event loop until ``cond()`` is true; after ``timeout_s`` exit the child with one line
    saying what it was waiting for (the parent test shows it)."""
    end = time.monotonic() + timeout_s
    while not cond():
        pump(step_ms)
        if time.monotonic() > end:
            sys.exit("timeout waiting for " + what)
