"""LiveSpeech's worker starts only when asked, so a model that fails at once cannot fail unheard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from pytestqt.qtbot import QtBot

from agent_assist.audio.live import LiveSource, ReplayCapture
from agent_assist.audio.live_speech import LiveSpeech
from agent_assist.audio.recognition.base import ModelError


def test_a_model_that_fails_at_once_is_always_reported(qtbot: QtBot, tmp_path: Path) -> None:
    wav = tmp_path / "silence.wav"
    sf.write(str(wav), np.zeros((16000, 2), dtype=np.float32), 16000)
    source = LiveSource(ReplayCapture(wav))

    def broken() -> object:
        raise ModelError("no model in /nonexistent")

    for _ in range(20):  # the race this guards against was timing-dependent: repeat it
        speech = LiveSpeech(source, recogniser_factory=broken, start=False)
        assert speech.state == "starting"
        with qtbot.waitSignal(speech.failed, timeout=5000) as blocker:
            speech.start()
        assert "Speech recognition is off: no model in /nonexistent" in blocker.args[0]
        speech.start()  # a second start is a no-op, not a RuntimeError
        speech.stop(wait=2.0)
