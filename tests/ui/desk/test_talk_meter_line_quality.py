"""The talk meter says when a line is too noisy to trust: a noisy customer line replayed through the
live path (capture -> VAD on the audio lane -> tracker -> meter) shows the warning; a clean one does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from agent_assist.audio.live import LiveSource, ReplayCapture
from agent_assist.coach.talk import AGENT, CUSTOMER, ChannelQuality, analyze
from agent_assist.settings import Settings
from agent_assist.store import calls
from agent_assist.store.db import connect
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.live_listening import LiveListening
from agent_assist.ui.desk.talk_meter import TalkMeter
from tests.audio.callgen import Line, dialogues, make_call


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[Services, int]]:
    path = tmp_path / "calls.db"
    db = connect(path)
    db["agents"].insert({"id": 1, "name": "Dana"})
    call_id = calls.start_call(db, agent_id=1, customer_id=None, phone_e164="+15551234567")
    db.close()
    s = Services(Settings(), path)
    yield s, call_id
    s.close()


def test_warning_only_for_a_noisy_channel(qtbot: QtBot, services: tuple[Services, int]) -> None:
    svc, _ = services
    meter = TalkMeter(svc, LiveListening(svc))
    qtbot.addWidget(meter)
    meter.show()
    warning = meter._line_warning
    fine = (ChannelQuality(AGENT, 24.0), ChannelQuality(CUSTOMER, 18.0))
    meter.set_metrics(analyze([], 10.0, quality=fine))
    assert not warning.isVisible()
    assert "customer 18 dB" in warning.toolTip()
    noisy = (ChannelQuality(AGENT, 24.0), ChannelQuality(CUSTOMER, 2.0, too_noisy=True))
    meter.set_metrics(analyze([], 10.0, quality=noisy))
    assert warning.isVisible()
    assert "Customer line too noisy to trust (SNR 2 dB)" in warning.text()
    assert "lost" not in warning.text()
    # live audio the computer was too busy to read: said, with how much
    busy = (ChannelQuality(AGENT, 24.0, lost_s=1.4), ChannelQuality(CUSTOMER, 18.0, lost_s=1.4))
    meter.set_metrics(analyze([], 10.0, quality=busy))
    assert warning.isVisible()
    assert warning.text() == "⚠ 1.4 s of audio lost (the computer was too busy) — the ratio may be off"
    meter.set_metrics(analyze([], 10.0, quality=fine))
    assert not warning.isVisible()


def _replayed(qtbot: QtBot, services: tuple[Services, int], tmp_path: Path, line: Line,
              capture: type[ReplayCapture] = ReplayCapture) -> tuple[TalkMeter, LiveListening]:
    """A test call on ``line`` replayed through the live path (capture -> VAD on the audio lane ->
    tracker -> meter) until the meter warns about the line."""
    svc, call_id = services
    c = make_call(dialogues()[5], 21, 16000, line, tmp_path / "espeak")
    wav = tmp_path / "call.wav"
    sf.write(str(wav), np.stack([c.agent, c.customer], axis=1), c.rate, subtype="PCM_16")
    listening = LiveListening(svc, source_factory=lambda ctl: LiveSource(capture(wav, speed=8.0),
                                                                         runner=ctl.run_on_audio_lane))
    meter = TalkMeter(svc, listening)
    qtbot.addWidget(meter)
    meter.show()
    svc.active_call_changed.emit(call_id)
    qtbot.waitUntil(lambda: meter._line_warning.isVisible(), timeout=30000)
    return meter, listening


def _hang_up(qtbot: QtBot, services: tuple[Services, int], listening: LiveListening) -> None:
    svc, _ = services
    svc.active_call_changed.emit(0)
    qtbot.waitUntil(lambda: not listening.listening, timeout=10000)
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)


def test_noisy_customer_line_replayed_live(qtbot: QtBot, services: tuple[Services, int],
                                           tmp_path: Path) -> None:
    line = Line(snr_db={AGENT: 25.0, CUSTOMER: 1.0}, drift_db=1.0, bleed_db=None)
    meter, listening = _replayed(qtbot, services, tmp_path, line)
    assert "Customer line too noisy" in meter._line_warning.text()
    assert "Agent" not in meter._line_warning.text()
    _hang_up(qtbot, services, listening)


class _Busy(ReplayCapture):
    """A replay whose computer was too busy: 1.3 s of each input lost."""

    def __init__(self, path: Path, speed: float) -> None:
        super().__init__(path, speed=speed)
        self.lost_s = {AGENT: 1.3, CUSTOMER: 1.3}


def test_audio_the_capture_lost_reaches_the_meter(qtbot: QtBot, services: tuple[Services, int],
                                                  tmp_path: Path) -> None:
    """The capture's lost seconds (a GUI thread busy longer than the input buffer) travel with the live
    source's progress to the tracker's figures and the meter's warning."""
    line = Line(snr_db={AGENT: 25.0, CUSTOMER: 25.0}, drift_db=0.0, bleed_db=None)
    meter, listening = _replayed(qtbot, services, tmp_path, line, _Busy)
    assert "1.3 s of audio lost" in meter._line_warning.text()
    assert "too noisy" not in meter._line_warning.text()
    m = listening.current_metrics()
    assert m is not None and [q.lost_s for q in m.quality] == [1.3, 1.3]
    _hang_up(qtbot, services, listening)
