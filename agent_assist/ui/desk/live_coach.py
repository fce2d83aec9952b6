"""The live phrasing coach: what the agent says during a call, recognised, checked and shown.

When ``LiveListening`` starts a call's source, a ``LiveSpeech`` (audio layer, its own worker thread)
is attached to it. Each recognised utterance (already redacted) is checked on the nlp lane, shown on the
coach panel with its flags (``PhrasingPanel.show_spoken``) and stored on the db lane — the text only
when the settings keep transcripts, the flags always. A missing model or a crashed recogniser shows a
banner on the panel; the talk meter and typed checks are not touched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent_assist.audio.live_speech import LiveSpeech
from agent_assist.audio.recognition import SpeechSettings
from agent_assist.audio.recognition.pipeline import SpokenUtterance
from agent_assist.ui.common import events as ev
from agent_assist.ui.common.nlp import nlp_loader
from agent_assist.ui.common.services import Services

log = logging.getLogger(__name__)

STATES = {
    "starting": "Speech: loading the recogniser…",
    "listening": "Speech: listening — flags for what you say appear below.",
    "paused": "Transcription paused — catching up (the talk meter is not affected).",
    "stopped": "",
}


class LiveCoach(QObject):
    """Connects a ``LiveListening`` controller to the coach panel through speech recognition."""

    # an utterance was checked and shown: (SpokenUtterance, flags, seconds from its end to on screen)
    shown = Signal(object, list, float)

    def __init__(self, services: Services, listening: Any, panel: Any,
                 recogniser_factory: Callable[[], Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent or panel)
        self.services = services
        self.panel = panel
        self._factory = recogniser_factory
        self.speech: LiveSpeech | None = None
        self.latencies: list[float] = []
        self._loader = nlp_loader(services)
        listening.source_started.connect(self._on_source)
        services.active_call_changed.connect(self._on_call)

    @property
    def settings(self) -> SpeechSettings:
        return SpeechSettings.from_settings(self.services.settings)

    def _on_source(self, source: Any, call_id: int) -> None:
        sp = self.settings
        # the previous call's recogniser is not stopped: its source has finished, so it decodes that
        # call's last sentence, stores it under that call's id, and ends by itself
        self.speech = None
        if not sp.enabled:
            self.panel.set_speech_state("")
            return
        speech = LiveSpeech(source, sp, self._factory, parent=self, start=False)
        speech.utterance.connect(lambda u, cid=call_id: self._on_utterance(cid, u))
        speech.state_changed.connect(self._on_state)
        speech.failed.connect(self._on_failed)
        self.speech = speech
        self.panel.set_speech_state(STATES["starting"])
        speech.start()  # only now: a model that fails at once must find its signals connected
        if sp.retention_days:
            from agent_assist.store import transcripts

            self.services.db_call(lambda db: transcripts.purge_older_than(db, sp.retention_days))

    def _on_call(self, call_id: int) -> None:
        if call_id <= 0 and self.speech is not None and self.speech.state == "failed":
            self.speech = None

    def shutdown(self) -> None:
        """The window closes: stop recognising and let the worker end (a decode takes < 1 s)."""
        if self.speech is not None:
            self.speech.stop(wait=2.0)
            self.speech = None

    def _on_state(self, state: str) -> None:
        if self.speech is None or self.sender() is not self.speech:
            return
        self.panel.set_speech_state(STATES.get(state, ""), problem=False)

    def _on_failed(self, message: str) -> None:
        if self.speech is not None and self.sender() is self.speech:
            self.panel.set_speech_state(message, problem=True)

    def _on_utterance(self, call_id: int, u: SpokenUtterance) -> None:
        checker = self._loader.checker()
        store_text = self.settings.store_transcripts

        def check() -> list[Any]:
            return checker.check(u.text) if checker is not None else []

        def done(flags: list[Any]) -> None:
            self.panel.show_spoken(u, flags)
            latency = time.monotonic() - u.ended_at if u.ended_at else 0.0
            self.latencies.append(latency)
            self.shown.emit(u, flags, latency)
            rows = [f.to_dict() for f in flags]

            def store(db: Any) -> Any:
                from agent_assist.store import transcripts

                return transcripts.add_line(db, call_id, party=u.party, start_s=u.start, end_s=u.end,
                                            text=u.text, flags=rows, store_text=store_text)

            self.services.db_call(store, lambda _id: self.services.events.publish(ev.FlagsChanged(call_id)),
                                  lambda e: log.error("transcript line not stored: %r", e))

        self.services.run("nlp", check, done, lambda e: log.error("phrasing check of speech failed: %r", e))
