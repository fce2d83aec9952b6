"""The talk meter during a call simulated from a real espeak-ng recording (replayed through the live
path: capture -> VAD on the audio lane -> tracker -> meter, segments stored on the db lane)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from agent_assist.audio.analysis import analyze_file
from agent_assist.audio.live import LiveSource, ReplayCapture
from agent_assist.coach.talk import Cue, Segment, TalkSettings, analyze
from agent_assist.settings import Settings
from agent_assist.store import calls
from agent_assist.store.db import connect
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.live_listening import LiveListening
from agent_assist.ui.desk.talk_meter import AMBER, GREEN, RED, TalkMeter, share_colour
from tests.audio.speech import build, write_stereo


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("meter")
    return write_stereo(build(16000, d / "espeak"), d / "call.wav")


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


def _replaying(wav: Path, captures: list[ReplayCapture], speed: float = 6.0):
    def factory(ctl: LiveListening) -> LiveSource:
        cap = ReplayCapture(wav, speed=speed)
        captures.append(cap)
        return LiveSource(cap, runner=ctl.run_on_audio_lane)

    return factory


def test_meter_follows_a_replayed_call_and_segments_are_stored(qtbot: QtBot, call_wav: Path,
                                                               services: tuple[Services, int]) -> None:
    svc, call_id = services
    caps: list[ReplayCapture] = []
    listening = LiveListening(svc, source_factory=_replaying(call_wav, caps))
    meter = TalkMeter(svc, listening)
    qtbot.addWidget(meter)
    meter.show()
    updates: list[float | None] = []
    listening.metrics_changed.connect(lambda whole, _w: updates.append(whole.talk_ratio))

    svc.active_call_changed.emit(call_id)
    assert listening.listening and listening.state == "listening"
    qtbot.waitUntil(lambda: caps[0].done, timeout=30000)
    # the figures update during the call, not only at the end
    assert len(updates) >= 3
    svc.active_call_changed.emit(0)
    qtbot.waitUntil(lambda: not listening.listening, timeout=10000)
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)

    file_segs, dur = analyze_file(call_wav)
    expected = analyze(file_segs, dur)
    live = listening.current_metrics()
    assert live is not None and live.talk_ratio is not None and expected.talk_ratio is not None
    assert live.talk_ratio == pytest.approx(expected.talk_ratio, abs=0.02)
    assert live.interruptions == expected.interruptions
    shown = meter.figures_text()
    assert shown["share"] == f"{live.talk_ratio:.0%}"
    assert shown["interruptions"] == str(live.interruptions)
    assert "Last 2 min:" in shown["window"]
    # 56% of the talking against a 30% target: red
    assert meter.gauge.share == pytest.approx(live.talk_ratio)

    # every closed segment was written to the call as it closed
    rows: list[tuple[str, float, float]] = []
    svc.db_call(lambda db: calls.segments(db, call_id), rows.extend)
    qtbot.waitUntil(lambda: bool(rows), timeout=5000)
    assert listening.stored == len(rows)
    stored = analyze([Segment(p, s, e) for p, s, e in rows], dur)
    assert stored.talk_ratio == pytest.approx(live.talk_ratio, abs=1e-6)


def test_device_failure_keeps_the_figures(qtbot: QtBot, call_wav: Path,
                                          services: tuple[Services, int]) -> None:
    svc, call_id = services
    caps: list[ReplayCapture] = []
    listening = LiveListening(svc, source_factory=_replaying(call_wav, caps, speed=4.0))
    meter = TalkMeter(svc, listening)
    qtbot.addWidget(meter)
    shown: list[str] = []
    messages.bridge.show.connect(lambda info: shown.append(info.text))
    svc.active_call_changed.emit(call_id)
    qtbot.waitUntil(lambda: (listening.current_metrics() or analyze([])).agent_speech_s > 2, timeout=20000)
    before = listening.current_metrics()
    assert before is not None
    caps[0].failed.emit("The audio input 'Headset' disappeared — was it unplugged? "
                        "The talk figures so far are kept.")
    qtbot.waitUntil(lambda: not listening.listening, timeout=10000)
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)
    after = listening.current_metrics()
    assert after is not None and after.agent_speech_s >= before.agent_speech_s
    assert any("disappeared" in t for t in shown)
    assert "disappeared" in meter._state.toolTip() and "Not listening" in meter._state.text()
    svc.active_call_changed.emit(0)


def test_missing_device_is_a_clear_message_not_a_crash(qtbot: QtBot, services: tuple[Services, int]) -> None:
    svc, call_id = services
    svc.settings.agent_device = "no-such-microphone"
    svc.settings.customer_device = "no-such-loopback"
    meter = TalkMeter(svc)
    qtbot.addWidget(meter)
    shown: list[str] = []
    messages.bridge.show.connect(lambda info: shown.append(info.text))
    svc.active_call_changed.emit(call_id)
    assert not meter.listening.listening
    assert any("not available" in t or "no sound server" in t for t in shown), shown
    assert "Not listening" in meter._state.text()
    assert "no sound server" in meter._state.toolTip() or "not available" in meter._state.toolTip()
    assert meter.listening.current_metrics() is not None  # an empty call, not a crash


def test_colours_cues_and_tooltips(qtbot: QtBot, services: tuple[Services, int]) -> None:
    svc, _ = services
    meter = TalkMeter(svc)
    qtbot.addWidget(meter)
    assert share_colour(0.25, 0.30) == GREEN
    assert share_colour(0.30, 0.30) == GREEN
    assert share_colour(0.38, 0.30) == AMBER
    assert share_colour(0.45, 0.30) == RED
    m = analyze([Segment("agent", 0, 30), Segment("customer", 30, 100)], 100, TalkSettings())
    meter.set_metrics(m, m)
    assert meter.figures_text()["share"] == "30%"
    assert "On target" in meter._verdict.text()
    assert GREEN.name() in meter._big.styleSheet()
    meter.show_cue(Cue("monologue", "You've been talking for 65 s — maybe check in with a question.", 65))
    assert "check in" in meter.figures_text()["cue"]
    for key in ("overtalk", "silence", "longest_monologue", "interruptions"):
        assert "backchannel" in meter._fig[key].toolTip() or "silence" in meter._fig[key].toolTip().lower() \
            or "interrupt" in meter._fig[key].toolTip().lower()
    assert "silence is excluded" in meter.gauge.toolTip().lower()


def test_empty_meter_says_why_it_is_empty(qtbot: QtBot, tmp_path: Path) -> None:
    """In a call with no usable input the meter must not claim there is no call."""
    services = Services(Settings(), tmp_path / "t.db")
    meter = TalkMeter(services)
    qtbot.addWidget(meter)
    try:
        meter._show_state("no audio input found: connect a microphone or choose one in Audio settings")
        assert "No audio input" in meter._verdict.text()
        assert meter._state.text() == "⚠ Not listening"
        meter._show_state("listening")
        assert "nobody has spoken" in meter._verdict.text()
        meter._show_state("stopped")
        assert meter._verdict.text() == "No call yet"
    finally:
        services.close()


def test_no_audio_configured_collapses_with_the_fix_then_keeps_its_place(
        qtbot: QtBot, call_wav: Path, services: tuple[Services, int]) -> None:
    from agent_assist.audio.errors import AudioError

    svc, call_id = services
    broken = True
    caps: list[ReplayCapture] = []
    replay = _replaying(call_wav, caps, speed=8.0)

    def factory(ctl: LiveListening) -> LiveSource:
        if broken:
            raise AudioError("no audio input found: connect a microphone or choose one in Audio settings")
        return replay(ctl)

    listening = LiveListening(svc, source_factory=factory)
    meter = TalkMeter(svc, listening)
    qtbot.addWidget(meter)
    meter.resize(460, 400)
    meter.show()
    expanded_height = meter.sizeHint().height()
    assert not meter.collapsed  # before any call: the usual meter
    svc.active_call_changed.emit(call_id)
    assert meter.collapsed and meter.empty_state.isVisible() and not meter.body.isVisible()
    assert meter.empty_label.text().startswith("No audio input configured")
    assert meter.setup_button.isVisible() and meter.setup_button.text() == "Audio…"
    assert not meter._audio_button.isVisible()  # one Audio… button, in the empty state
    assert meter.sizeHint().height() < expanded_height - 60  # the dead meter gives its room away
    # the action opens the audio settings
    from agent_assist.ui.desk.audio_settings import AudioSettingsDialog

    qtbot.mouseClick(meter.setup_button, Qt.MouseButton.LeftButton)
    dialogs = meter.findChildren(AudioSettingsDialog)
    assert dialogs and dialogs[0].isVisible()
    dialogs[0].reject()
    svc.active_call_changed.emit(0)

    # audio flows on the next call: the meter opens up and keeps its place when the call ends
    broken = False
    svc.active_call_changed.emit(call_id)
    assert listening.listening and not meter.collapsed and meter.body.isVisible()
    qtbot.waitUntil(lambda: caps[0].done, timeout=30000)
    svc.active_call_changed.emit(0)
    qtbot.waitUntil(lambda: not listening.listening, timeout=10000)
    assert not meter.collapsed
    broken = True  # a later failure does not take the place away again
    svc.active_call_changed.emit(call_id)
    assert not meter.collapsed and "Not listening" in meter._state.text()
    svc.active_call_changed.emit(0)
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)


def test_a_configured_device_that_fails_says_so(qtbot: QtBot, services: tuple[Services, int]) -> None:
    svc, call_id = services
    svc.settings.agent_device = "no-such-microphone"
    meter = TalkMeter(svc)
    qtbot.addWidget(meter)
    meter.show()
    svc.active_call_changed.emit(call_id)
    assert meter.collapsed and meter.empty_label.text().startswith("Audio input not working: ")
    svc.active_call_changed.emit(0)
