"""Listening during a call: live source -> VAD (audio lane) -> TalkTracker -> meter, segments -> store.

When ``services.active_call_changed`` gives a call id > 0 the controller opens the configured devices
(``settings.agent_device`` / ``customer_device`` or one ``stereo_input``), feeds every closed segment to
a ``TalkTracker`` and stores it at once on the db lane (open speech is handed out at least every second,
so a crash loses about a second), refreshes the figures a few times a second and raises rate-limited
cues. Call id 0 stops it; ``current_metrics()`` keeps the last call's figures for the wrap-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent_assist.audio.errors import AudioError
from agent_assist.audio.live import LiveSource
from agent_assist.coach.talk import (
    AGENT,
    CUSTOMER,
    Cue,
    Cues,
    Segment,
    TalkMetrics,
    TalkSettings,
    TalkTracker,
)
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services

log = logging.getLogger(__name__)

SourceFactory = Callable[["LiveListening"], Any]
REFRESH_S = 0.5


def talk_settings(services: Services) -> TalkSettings:
    s = services.settings
    return TalkSettings(target=s.talk_target, silence_threshold_s=s.silence_threshold_s,
                        backchannel_max_s=s.backchannel_max_s, window_s=s.window_s)


def default_source(controller: LiveListening) -> LiveSource:
    s = controller.services.settings
    return LiveSource.from_settings(s.agent_device, s.customer_device, s.stereo_input,
                                    runner=controller.run_on_audio_lane)


class LiveListening(QObject):
    """Owns the live source of the active call and its running talk figures."""

    metrics_changed = Signal(object, object)  # TalkMetrics: whole call, last window
    cue = Signal(object)  # Cue
    state_changed = Signal(str)  # "listening", "stopped" or a problem (one line)
    levels = Signal(float, float)

    def __init__(self, services: Services, source_factory: SourceFactory | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._factory = source_factory or default_source
        self._source: Any = None
        self._tracker: TalkTracker | None = None
        self._cues: Cues | None = None
        self._call_id = 0
        self._now = 0.0
        self._last_refresh = 0.0
        self.stored = 0  # segments written to the database
        self.state = "stopped"
        services.active_call_changed.connect(self._on_call)

    # -- lanes --
    def run_on_audio_lane(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self.services.run("audio", fn, on_done, self._audio_failed)

    def _audio_failed(self, e: BaseException) -> None:
        self._set_state(f"Listening stopped: {messages.describe(e)}")
        messages.error(f"Listening stopped: {messages.describe(e)}. The figures so far are kept.")

    # -- call lifecycle --
    def _on_call(self, call_id: int) -> None:
        if call_id > 0 and call_id != self._call_id:
            self.stop()
            self.start(call_id)
        elif call_id <= 0:
            self.stop()

    def start(self, call_id: int) -> None:
        ts = talk_settings(self.services)
        self._call_id = call_id
        self._tracker = TalkTracker(ts)
        self._cues = Cues(ts, monologue_cue_s=self.services.settings.monologue_cue_s)
        self._now = 0.0
        self.stored = 0
        tracker = self._tracker
        try:
            source = self._factory(self)
            # each source keeps its own call id and tracker: a call that ends while the next one
            # starts still stores its last segments under its own id
            source.segments_closed.connect(partial(self._on_segments, call_id, tracker))
            source.progress.connect(partial(self._on_progress, tracker))
            source.failed.connect(self._on_failed)
            source.levels.connect(self.levels)
            source.finished.connect(partial(self._on_finished, source))
            source.start()
        except AudioError as e:
            self._source = None
            self._set_state(f"Not listening: {e}")
            s = self.services.settings
            if s.agent_device or s.customer_device or s.stereo_input:
                # the agent chose devices and expects listening: say so (else the meter's line is enough)
                messages.warning(f"Talk meter: {e}")
            return
        self._source = source
        self._set_state("listening")
        self._refresh(force=True)

    def stop(self) -> None:
        if self._source is not None:
            self._source.stop()
        self._call_id = 0

    def _on_finished(self, source: Any) -> None:
        if source is self._source:
            self._refresh(force=True)
            self._source = None
            if self.state == "listening":
                self._set_state("stopped")
        source.deleteLater()

    def _on_failed(self, message: str) -> None:
        self._set_state(message)
        messages.error(message)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # -- data --
    def _on_segments(self, call_id: int, tracker: TalkTracker, segments: list[Segment]) -> None:
        for g in segments:
            tracker.add(g)
        rows = [(g.party, g.start, g.end) for g in segments]

        def store(db: Any) -> int:
            from agent_assist.store import calls

            return calls.add_segments(db, call_id, rows)

        self.services.db_call(store, self._stored)

    def _stored(self, n: int) -> None:
        self.stored += n

    def _on_progress(self, tracker: TalkTracker, marks: dict[str, float]) -> None:
        for p in (AGENT, CUSTOMER):
            tracker.mark_time(p, marks[p])
        tracker.set_quality(marks.get("quality", ()))  # type: ignore[arg-type]
        if tracker is not self._tracker:
            return
        self._now = max(self._now, marks["position_s"])
        self._refresh()

    def _refresh(self, force: bool = False) -> None:
        if self._tracker is None:
            return
        t = time.monotonic()
        if not force and t - self._last_refresh < REFRESH_S:
            return
        self._last_refresh = t
        whole = self._tracker.metrics(self._now)
        window = self._tracker.window_metrics(self._now)
        self.metrics_changed.emit(whole, window)
        if self._cues is not None and self._source is not None:
            for c in self._cues.update(whole, window, self._now):
                self.cue.emit(c)

    # -- reading --
    def current_metrics(self) -> TalkMetrics | None:
        """Whole-call figures of the current (or the last) call, for the wrap-up."""
        return None if self._tracker is None else self._tracker.metrics(self._now)

    def window_metrics(self) -> TalkMetrics | None:
        return None if self._tracker is None else self._tracker.window_metrics(self._now)

    def segments(self) -> list[Segment]:
        return [] if self._tracker is None else self._tracker.segments()

    @property
    def position_s(self) -> float:
        return self._now

    @property
    def listening(self) -> bool:
        return self._source is not None


__all__ = ["Cue", "LiveListening", "default_source", "talk_settings"]
