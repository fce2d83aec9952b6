"""One bridge for user-facing messages (after qutebrowser's ``utils/message.py``).

Code anywhere in the UI calls ``messages.error("...")``; the main window connects the bridge to a dialog
or its status bar. Tests connect to the signal and assert on the text. No traceback ever reaches a user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Level(Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class MessageInfo:
    level: Level
    text: str
    modal: bool = False  # a dialog rather than a status-bar line


class MessageBridge(QObject):
    show = Signal(MessageInfo)


bridge = MessageBridge()


def info(text: str) -> None:
    bridge.show.emit(MessageInfo(Level.INFO, text))


def warning(text: str, modal: bool = False) -> None:
    log.warning("%s", text)
    bridge.show.emit(MessageInfo(Level.WARNING, text, modal))


def error(text: str, modal: bool = True) -> None:
    log.error("%s", text)
    bridge.show.emit(MessageInfo(Level.ERROR, text, modal))


def describe(e: BaseException) -> str:
    """One line for a user. Our own errors carry their message; others get a generic line + type."""
    from agent_assist.store.errors import StoreError, from_sqlite

    known = from_sqlite(e, "the database")
    if known is not None:  # locked, disk full, read-only, damaged: one line that says what to do
        return str(known)
    if isinstance(e, StoreError | ValueError | OSError | LookupError):
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return text
    return f"Unexpected problem ({type(e).__name__}: {str(e)[:200]}). Your data was not changed."
