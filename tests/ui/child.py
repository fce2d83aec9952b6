"""For the app processes the GUI tests start as children (``python -c CHILD``, run from the project root)."""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QTimer


def pump(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds. Not ``QTest.qWait``: it keeps the GIL while it waits,
    which starves the worker threads (loading spaCy took 100-150 s instead of 1.5 s); ``exec()`` lets
    them run."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
