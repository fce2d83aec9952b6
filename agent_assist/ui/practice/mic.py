"""The trainee's microphone during practice: QtMultimedia capture, VAD speech time on the audio lane."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QObject,
    QTimer,
    Signal,
)

from agent_assist.coach.talk import AGENT, CUSTOMER

# -- microphone ----------------------------------------------------------------------------------------

class MicCapture(QObject):
    """The trainee's microphone as a capture for ``audio.live.LiveSource`` (the customer's side is silent,
    since the customer's speech time comes from the synthesized audio)."""

    failed = Signal(str)
    levels = Signal(float, float)

    def __init__(self, device: str = "", poll_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._device = device
        self._input: Any = None
        self._pending: list[np.ndarray] = []
        self._lost = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        from agent_assist.audio import live

        # the same QAudioSource reader as live calls (16 kHz mono int16)
        self._input = live._Input(live.find_input(self._device), 1, self)
        self._timer.start()

    def _poll(self) -> None:
        if self._input is None:
            return
        for x in self._input.read():
            if len(x):
                self._pending.append(x)
                self.levels.emit(float(np.abs(x.astype(np.int32)).max()) / 32768, 0.0)
        problem = self._input.problem()
        if problem:
            self.stop()
            self.failed.emit(problem)

    @property
    def lost_s(self) -> dict[str, float]:
        """The trainee's audio lost because it was not read in time (``live._Input.read``)."""
        return {AGENT: self._input.lost_s if self._input is not None else self._lost, CUSTOMER: 0.0}

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        a = np.concatenate(self._pending) if self._pending else np.zeros(0, np.int16)
        self._pending = []
        return a, np.zeros(len(a), np.int16)

    def stop(self) -> None:
        self._timer.stop()
        if self._input is not None:
            self._poll_once_more()
            self._lost = self._input.lost_s
            self._input.stop()
            self._input = None

    def _poll_once_more(self) -> None:
        for x in self._input.read():
            if len(x):
                self._pending.append(x)
