"""Run blocking work (SQLite, spaCy, audio analysis, TTS) off the GUI thread.

Modelled on Anki's ``CollectionOp`` / ``TaskManager``: each *lane* is a single-worker executor, so work on
one resource (the database connection, the spaCy pipeline) is serialised and a sqlite connection is only
ever used from one thread. Results come back to the GUI thread through a queued Qt signal::

    tasks.run(Lane.DB, lambda: store.caller_card(db, cid), on_done=self._show_card, on_error=self._fail)

``on_error`` defaults to the message bridge, which shows a dialog with one clear line (never a traceback).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from agent_assist.ui.common import messages

log = logging.getLogger(__name__)

class Lane(StrEnum):
    """The worker lanes. Each is one thread, so work on one resource is serialised."""

    DB = "db"  # the window's SQLite connection
    NLP = "nlp"  # the spaCy pipeline (phrasing checks, practice intents)
    AUDIO = "audio"  # file analysis, microphone VAD
    TTS = "tts"  # pyttsx3 (its loop blocks; its engine stays on one thread)
    IO = "io"  # exports, reports, other file work
    TEAM = "team"  # the team store (PostgreSQL): its network waits never hold up the db lane


LANES = tuple(Lane)


class _Delivery(QObject):
    # (callback, value) pairs delivered on the thread this object lives in (the GUI thread)
    deliver = Signal(object, object)

    @Slot(object, object)
    def _run(self, cb: Callable[[Any], None], value: Any) -> None:
        try:
            cb(value)
        except Exception:  # a bug in a callback must not kill the event loop
            log.exception("callback failed")
            messages.error("Something went wrong while updating the window; details are in the log.")


class TaskManager(QObject):
    """Owns one executor per lane. Create it on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[Lane, ThreadPoolExecutor] = {}
        self._delivery = _Delivery(self)
        self._delivery.deliver.connect(self._delivery._run)
        self._closed = False
        self.pending = 0

    def _pool(self, lane: Lane | str) -> ThreadPoolExecutor:
        lane = Lane(lane)  # an unknown lane name fails here, loudly
        if lane not in self._pools:
            self._pools[lane] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"aa-{lane}")
        return self._pools[lane]

    def run(
        self,
        lane: Lane | str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        if self._closed:
            raise RuntimeError("task manager is shut down")
        pool = self._pool(lane)  # an unknown lane fails here, before anything is counted as pending
        self.pending += 1

        def job() -> Any:
            try:
                value = fn()
            except BaseException as e:  # delivered to the GUI thread, never lost
                log.debug("task failed: %s", "".join(traceback.format_exception(e)))
                self._delivery.deliver.emit(self._finish(on_error or _default_error), e)
                raise
            self._delivery.deliver.emit(self._finish(on_done or (lambda _v: None)), value)
            return value

        return pool.submit(job)

    def _finish(self, cb: Callable[[Any], None]) -> Callable[[Any], None]:
        def wrapped(value: Any) -> None:
            self.pending -= 1
            cb(value)

        return wrapped

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        for pool in self._pools.values():
            pool.shutdown(wait=wait, cancel_futures=True)
        self._pools.clear()


def _default_error(e: BaseException) -> None:
    messages.error(messages.describe(e))
