"""Loads the spaCy pipeline once, off the GUI thread, for every widget that checks phrasing.

    loader = nlp_loader(services)           # one per Services; starts loading on the nlp lane
    loader.ready.connect(self._on_ready)    # ready(PhrasingChecker)
    loader.failed.connect(self._on_failed)  # failed(str): one line for the user, e.g. the model is missing
    checker = loader.checker()              # the PhrasingChecker, or None while loading / after failure

Checks must then also run on the nlp lane: ``services.run("nlp", lambda: checker.check(text), on_done)``.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent_assist.ui.common.services import Services

log = logging.getLogger(__name__)


class NlpLoader(QObject):
    """Loads the phrasing checker on the ``nlp`` lane once; announces the result with a signal."""

    ready = Signal(object)  # the PhrasingChecker
    failed = Signal(str)  # one line for the user

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent or services)
        self._services = services
        self._checker: Any = None
        self._error: str | None = None
        self._started = False

    def start(self) -> None:
        """Start loading (idempotent)."""
        if self._started:
            return
        self._started = True

        def load() -> Any:
            from agent_assist.coach.phrasing import default_checker

            return default_checker()

        self._services.run("nlp", load, self._loaded, self._load_failed)

    def checker(self) -> Any:
        """The loaded ``PhrasingChecker``, or None while loading or when the model is missing."""
        return self._checker

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def loading(self) -> bool:
        return self._started and self._checker is None and self._error is None

    def _loaded(self, checker: Any) -> None:
        self._checker = checker
        self.ready.emit(checker)

    def _load_failed(self, e: BaseException) -> None:
        from agent_assist.coach.phrasing import ModelMissing

        if isinstance(e, ModelMissing):
            self._error = str(e)
        else:
            log.error("loading the spaCy model failed: %r", e)
            self._error = f"The language model could not be loaded ({type(e).__name__}: {str(e)[:120]})."
        self.failed.emit(self._error)


def nlp_loader(services: Services) -> NlpLoader:
    """The shared loader of ``services`` (created and started on first use)."""
    loader = getattr(services, "_nlp_loader", None)
    if not isinstance(loader, NlpLoader):
        loader = NlpLoader(services)
        services._nlp_loader = loader  # type: ignore[attr-defined]
        loader.start()
    return loader
