"""Live speech on the coach panel: a festival recording replayed through the live path (capture -> VAD
-> cutter -> pocketsphinx on its worker -> redaction -> spaCy on the nlp lane -> panel, db lane)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from agent_assist.audio.live import LiveSource, ReplayCapture
from agent_assist.settings import Settings
from agent_assist.store import calls, transcripts
from agent_assist.store.db import connect
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.coach_panel import PhrasingPanel
from agent_assist.ui.desk.live_coach import LiveCoach
from agent_assist.ui.desk.live_listening import LiveListening
from tests.audio.festival import festival_say, place

LOADED = "didn't you read the manual before you called"
NEUTRAL = "i will send you the details by email today"
LAST = "thank you for your patience while i check"


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("live_coach")
    rate = 16000
    a = place([(0.5, festival_say(LOADED, rate, d)), (6.5, festival_say(NEUTRAL, rate, d)),
               (11.5, festival_say(LAST, rate, d))], rate, tail_s=2)
    c = place([(3.5, festival_say("my order has not arrived yet", rate, d))], rate)
    c = np.pad(c, (0, len(a) - len(c)))
    path = d / "call.wav"
    sf.write(str(path), np.stack([a, c], axis=1), rate)
    return path


def _services(tmp_path: Path, **extra: object) -> tuple[Services, int]:
    path = tmp_path / "calls.db"
    db = connect(path)
    db["agents"].insert({"id": 1, "name": "Dana"})
    call_id = calls.start_call(db, agent_id=1, customer_id=None)
    db.close()
    return Services(Settings(extra=dict(extra)), path), call_id


@pytest.fixture
def desk(qtbot: QtBot, tmp_path: Path, call_wav: Path, request: pytest.FixtureRequest
         ) -> Iterator[tuple[Services, int, LiveListening, PhrasingPanel, LiveCoach, list[ReplayCapture]]]:
    extra = getattr(request, "param", {})
    svc, call_id = _services(tmp_path, **extra)
    caps: list[ReplayCapture] = []

    def factory(ctl: LiveListening) -> LiveSource:
        cap = ReplayCapture(call_wav, speed=1.5)
        caps.append(cap)
        return LiveSource(cap, runner=ctl.run_on_audio_lane)

    listening = LiveListening(svc, source_factory=factory)
    panel = PhrasingPanel(svc)
    qtbot.addWidget(panel)
    coach = LiveCoach(svc, listening, panel)
    qtbot.waitUntil(lambda: panel.ready, timeout=60000)
    yield svc, call_id, listening, panel, coach, caps
    coach.shutdown()
    svc.active_call_changed.emit(0)
    qtbot.waitUntil(lambda: not listening.listening, timeout=10000)
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)
    svc.close()


def test_a_spoken_loaded_question_is_flagged_on_the_panel_and_stored(qtbot: QtBot, desk) -> None:  # type: ignore[no-untyped-def]
    svc, call_id, listening, panel, coach, caps = desk
    svc.active_call_changed.emit(call_id)
    assert coach.speech is not None
    qtbot.waitUntil(lambda: any(f for _u, f in panel.spoken), timeout=90000)
    u, flags = next((u, f) for u, f in panel.spoken if f)
    assert u.party == "agent" and "manual" in u.text and abs(u.start - 0.5) < 0.4
    assert flags[0].category == "blaming" and flags[0].suggestion
    assert panel.heard.isVisibleTo(panel) and panel.heard.count() >= 1
    row = panel.heard.itemWidget(panel.heard.item(panel.heard.count() - 1))
    assert "manual" in row.sentence.text() and row.flag_rows[0].suggestion.text().startswith("<b>Try:</b>")
    qtbot.waitUntil(lambda: caps[0].done and len(panel.spoken) >= 3, timeout=90000)
    assert {"email", "details"} & set(panel.spoken[1][0].text.split()), panel.spoken[1][0].text
    assert all(u.party == "agent" for u, _f in panel.spoken)  # the customer channel is off by default
    # latency from the cut to the screen is measured by bench/speech.py, not asserted here
    assert len(coach.latencies) == len(panel.spoken) and min(coach.latencies) > 0
    # the agent's sentences were decoded while spoken (the first may start before the model has loaded)
    assert coach.speech is not None and coach.speech.streamed >= len(panel.spoken) - 1
    qtbot.waitUntil(lambda: svc.tasks.pending == 0, timeout=10000)
    got: list[list[transcripts.TranscriptLine]] = []
    svc.db_call(lambda db: transcripts.lines(db, call_id), got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert [g.party for g in got[0]] == ["agent", "agent", "agent"]
    assert got[0][0].flags[0]["category"] == "blaming"
    assert listening.listening  # the talk meter never stopped for speech


def test_a_recogniser_that_crashes_mid_call_stops_flags_with_a_banner(qtbot: QtBot, desk) -> None:  # type: ignore[no-untyped-def]
    svc, call_id, listening, panel, coach, caps = desk
    svc.active_call_changed.emit(call_id)
    qtbot.waitUntil(lambda: len(panel.spoken) >= 1, timeout=90000)
    speech = coach.speech
    assert speech is not None and speech.recogniser is not None
    speech.recogniser.close()  # the engine's decoder is gone: a later utterance (3 are spoken) fails
    qtbot.waitUntil(lambda: "Live phrasing flags stopped" in panel.speech_banner.text(), timeout=90000)
    assert panel.speech_banner.isVisibleTo(panel) and "talk figures are kept" in panel.speech_banner.text()
    assert len(panel.spoken) < 3
    qtbot.waitUntil(lambda: caps[0].done, timeout=60000)
    m = listening.current_metrics()
    assert listening.listening and m is not None and m.agent_speech_s > 6 and m.customer_speech_s > 1


@pytest.mark.parametrize("desk", [{"speech_engine": "vosk", "speech_model": "/nonexistent/vosk-model"}],
                         indirect=True)
def test_no_model_is_a_banner_and_typed_checks_and_the_meter_keep_working(qtbot: QtBot, desk) -> None:  # type: ignore[no-untyped-def]
    svc, call_id, listening, panel, _coach, caps = desk
    svc.active_call_changed.emit(call_id)
    qtbot.waitUntil(lambda: "Speech recognition is off" in panel.speech_banner.text(), timeout=20000)
    assert "does not exist" in panel.speech_banner.text()
    panel.editor.setPlainText("Didn't you read the manual?")
    qtbot.waitUntil(lambda: bool(panel.flags), timeout=20000)
    qtbot.waitUntil(lambda: caps[0].done, timeout=30000)
    m = listening.current_metrics()
    assert listening.listening and m is not None and m.agent_speech_s > 4
