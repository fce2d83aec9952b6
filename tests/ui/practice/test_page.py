"""The Practice tab through the real main window: a whole scenario with typed replies, spoken by the real
pyttsx3 engine, scored and saved; plus text mode when no speech engine can start."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from agent_assist.audio.live import sound_server_available
from agent_assist.coach.phrasing import default_checker
from agent_assist.settings import Settings
from agent_assist.store.db import connect
from agent_assist.ui.common import messages, style
from agent_assist.ui.common.services import Services
from agent_assist.ui.main_window import MainWindow
from agent_assist.ui.practice.page import NO_OUTPUT, AttemptsModel, PracticeView
from agent_assist.voice.pyttsx3_engine import Pyttsx3Engine
from tests.audio.pulse_server import MIC_AND_SPEAKERS, pulse_server

REPLIES = [
    "Hello, thank you for calling, my name is Sam. What happened?",
    "I'm so sorry, that sounds really frustrating. Could I have your order number?",
    "Didn't you check the order page before calling?",
    "I've refunded the second charge; it will be back on your card in three to five days.",
    "Does that resolve it for you?",
    "Thank you for your patience, and thank you for being with us.",
]


@pytest.fixture(scope="module")
def _model() -> None:
    default_checker()  # load spaCy once; the window's loader reuses it


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "practice.db"
    db = connect(path)
    db["agents"].insert_all([{"id": 1, "name": "Ann Agent"}, {"id": 2, "name": "Tom Trainee"}])
    db.close()
    return path


@pytest.fixture
def services(db_file: Path, _model: None) -> Iterator[Services]:
    s = Services(Settings(agent_id=1), db_file)
    yield s
    s.close()


@pytest.fixture
def captured() -> Iterator[list[messages.MessageInfo]]:
    seen: list[messages.MessageInfo] = []
    messages.bridge.show.connect(seen.append)
    yield seen
    messages.bridge.show.disconnect(seen.append)


def open_practice(qtbot: QtBot, services: Services) -> tuple[MainWindow, PracticeView]:
    w = MainWindow(services)
    qtbot.addWidget(w)
    w.setStyleSheet(style.stylesheet())
    w.resize(1400, 880)
    w.show()
    qtbot.waitExposed(w)
    view = w.practice_view
    assert isinstance(view, PracticeView)
    w.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.ready and view.start_button.isEnabled(), timeout=30000)
    return w, view


def choose(view: PracticeView, scenario: str, trainee_id: int) -> None:
    view.scenario_box.setCurrentIndex(view.scenario_box.findData(scenario))
    view.trainee_box.setCurrentIndex(view.trainee_box.findData(trainee_id))


def settle(qtbot: QtBot, services: Services) -> None:
    qtbot.waitUntil(lambda: services.tasks.pending == 0, timeout=20000)


def test_whole_scenario_spoken_scored_and_saved(qtbot: QtBot, services: Services, db_file: Path,
                                                qtmodeltester: object,
                                                captured: list[messages.MessageInfo]) -> None:
    _w, view = open_practice(qtbot, services)
    qtbot.waitUntil(lambda: view.voice_box.count() > 1, timeout=20000)  # pyttsx3 voices listed
    choose(view, "double_billing", 2)
    qtbot.waitUntil(lambda: view.start_button.isEnabled() and "Charged twice" in view.brief.text(),
                    timeout=10000)
    assert view.speak_box.isChecked()

    spoken: list[int] = []
    saved: list[int] = []
    view.customer_spoke.connect(spoken.append)
    view.attempt_saved.connect(saved.append)
    view.start_button.click()
    assert not view.start_button.isEnabled() and view.end_button.isEnabled()
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    assert "charged twice for the same order" in view.transcript.toPlainText()

    for reply in REPLIES:
        qtbot.waitUntil(lambda: view.reply_edit.isEnabled() or view.card is not None, timeout=20000)
        if view.card is not None:
            break
        qtbot.keyClicks(view.reply_edit, reply)
        qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: bool(saved), timeout=30000)
    card = view.card
    assert card is not None
    # every customer line was synthesized by the real engine, so the customer's time is measured
    assert len(spoken) == card.replies + 1, (
        f"{len(spoken)} of {card.replies + 1} lines spoken; speech error: {view._tts_error!r}; speak box "
        f"{view.speak_box.isChecked()}, engine ready {view._tts_ready}")
    assert not card.customer_estimated and card.agent_estimated
    assert card.phrasing_available
    # the blaming question is flagged with a rewrite and made the customer curt
    assert any(f.reply == 3 and f.suggestion for f in card.flags)
    assert "Just like your system charged me" in view.transcript.toPlainText()
    assert view.flags_list.count() == len(card.flags) >= 1
    goals = {g.id: g.met for g in card.goals}
    assert goals == {"greeted": True, "acknowledged": True, "order_number": True, "confirmed": True,
                     "thanked": True, "no_promise": True}

    # the score card: talk ratio first, then the monologue, flags with rewrites, goals
    text = view.card_view.toPlainText()
    assert text.index("Talk ratio") < text.index("Longest monologue") < text.index("Phrasing flags")
    assert text.index("Phrasing flags") < text.index("Goals")
    assert "target at most 30%" in text and "Try:" in text and "✓ Asked for the order number" in text
    assert f"{card.talk.talk_ratio:.0%}" in text

    # the attempt is stored: a practice call with its segments, utterances, flags, and the attempt row
    settle(qtbot, services)
    db = connect(db_file)
    try:
        row = db.execute("SELECT call_id, scenario, trainee_id, score, goals_met, goals_total, result_json"
                         " FROM practice_attempts WHERE id = ?", [saved[0]]).fetchone()
        call_id, scenario, trainee, score, met, total, result = row
        assert (scenario, trainee, met, total) == ("double_billing", 2, 6, 6)
        assert score == pytest.approx(card.score)
        assert json.loads(result)["talk"]["talk_ratio"] == pytest.approx(card.talk.talk_ratio)
        kind, source, ratio, flags_count = db.execute(
            "SELECT kind, source, talk_ratio, flags_count FROM calls WHERE id = ?", [call_id]).fetchone()
        assert (kind, source) == ("practice", "practice")
        assert ratio == pytest.approx(card.talk.talk_ratio) and flags_count == len(card.flags)
        n_lines = db.execute("SELECT count(*) FROM utterances WHERE call_id = ?", [call_id]).fetchone()[0]
        assert n_lines == 2 * card.replies + 1
    finally:
        db.close()

    # the trainee's attempts table shows it, and the model is well behaved
    model = view.attempts_model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    assert model.row(0)["trainee"] == "Tom Trainee"
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert not [m for m in captured if m.level is messages.Level.ERROR]
    if not sound_server_available():  # no sound server here: it goes on and says so
        assert NO_OUTPUT in view.status.text()

    # Start again is possible; a second attempt for another trainee shows side by side with "All"
    choose(view, "double_billing", 1)
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    view.speak_box.setChecked(False)
    view.start_button.click()
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    qtbot.keyClicks(view.reply_edit, "Yeah.")
    qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    with qtbot.waitSignal(view.attempt_saved, timeout=20000):
        view.end_button.click()
    assert view.card is not None and view.card.ended_by == "the trainer ended the call"
    assert view.card.score < card.score
    view.all_trainees_box.setChecked(True)
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
    assert {model.row(r)["trainee"] for r in range(2)} == {"Tom Trainee", "Ann Agent"}
    settle(qtbot, services)


def test_text_mode_when_no_speech_engine(qtbot: QtBot, services: Services) -> None:
    view = PracticeView(services, engine=Pyttsx3Engine(driver="no_such_driver"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: not view.speak_box.isEnabled(), timeout=20000)
    assert "Text mode: Speech is off" in view.status.text()
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=30000)
    view.start_button.click()
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    assert "Text mode" in view.status.text()
    if not sound_server_available():  # the mic toggle says why it cannot listen, and typing goes on
        view.mic_button.click()
        assert not view.mic_button.isChecked()
        assert view.status.text().startswith("Microphone unavailable (no sound server is running")
    qtbot.keyClicks(view.reply_edit, "Hello, how can I help you today?")
    qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    with qtbot.waitSignal(view.attempt_saved, timeout=20000):
        view.end_button.click()
    card = view.card
    assert card is not None and card.customer_estimated and card.replies == 1
    assert "estimated" in view.card_view.toPlainText()
    settle(qtbot, services)


def test_attempts_model_empty_and_filled(qtmodeltester: object) -> None:
    m = AttemptsModel()
    qtmodeltester.check(m)  # type: ignore[attr-defined]
    m.set_rows([{"id": 1, "call_id": 1, "scenario": "x", "trainee_id": 1, "trainee": "A",
                 "started_at": "2026-11-23T10:00:00", "score": 71.5, "goals_met": 3, "goals_total": 5,
                 "talk_ratio": 0.42, "longest_monologue_s": 12.0, "flags_count": 2}])
    qtmodeltester.check(m)  # type: ignore[attr-defined]
    assert m.data(m.index(0, 3)) == "72" and m.data(m.index(0, 5)) == "42%"


GOOD_TRAINEE = [
    "Hello, thank you for calling, my name is Sam. What happened?",
    "I'm so sorry, that sounds really frustrating. Could I have your order number?",
    "Thank you. I can see the previous issues on your account; this is not the first time.",
    "Here's what I can do: first I'll open a priority ticket, then I'll arrange the fix today.",
    "Does that resolve it for you?",
    "Thank you for your patience, and thank you for being with us.",
    "Is there anything else I can help with?",
    "Thank you, goodbye.",
]


@pytest.mark.parametrize("scenario", ["competitor_offer", "third_problem", "first_time_user",
                                      "social_media", "cannot_promise"])
def test_every_scenario_plays_to_its_end_with_speech(qtbot: QtBot, services: Services,
                                                     scenario: str) -> None:
    view = PracticeView(services)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: view.ready and view.voice_box.count() > 1, timeout=30000)
    view.scenario_box.setCurrentIndex(view.scenario_box.findData(scenario))
    qtbot.waitUntil(lambda: view._scenario is not None and view._scenario.name == scenario
                    and view.start_button.isEnabled(), timeout=10000)
    spoken: list[int] = []
    saved: list[int] = []
    view.customer_spoke.connect(spoken.append)
    view.attempt_saved.connect(saved.append)
    view.start_button.click()
    for reply in GOOD_TRAINEE:
        qtbot.waitUntil(lambda: view.reply_edit.isEnabled() or view.card is not None, timeout=20000)
        if view.card is not None or view._finishing:
            break
        qtbot.keyClicks(view.reply_edit, reply)
        qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: bool(saved), timeout=30000)
    card = view.card
    assert card is not None and card.ended_by == "the scenario reached its end"
    assert len(spoken) == card.replies + 1 and not card.customer_estimated
    assert card.goals_met >= len(card.goals) - 1
    settle(qtbot, services)


# -- a real sound server: the customer is heard, the trainee is measured through the microphone ----------

# Runs in a child process so Qt's audio backend connects to the private server (one per process).
CHILD = r'''
import faulthandler, json, sys, threading, time
faulthandler.enable()  # a crash of the child shows its stack in the parent's failure message
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from tests.ui.child import pump
from agent_assist.audio.live import input_devices
from agent_assist.settings import Settings
from agent_assist.store.db import connect
from agent_assist.ui.practice.page import PracticeView
from agent_assist.ui.common.services import Services

def wait(cond, what, t=30.0):
    end = time.monotonic() + t
    while not cond():
        pump(50)
        if time.monotonic() > end:
            state = {"scenario": view._scenario is not None, "nlp": view._nlp_done, "trainees":
                     view.trainee_box.count(), "voices": view.voice_box.count(), "status": view.status.text(),
                     "start": view.start_button.isEnabled()} if "view" in globals() else {}
            print(json.dumps({"error": "timeout waiting for " + what, **state}), flush=True)
            sys.exit(1)

wait(lambda: "mic_in" in {i for i, _d in input_devices()}, "the microphone")
db = Path(sys.argv[1]); connect(db).close()
# what this test measures is the microphone's VAD speech time; recognising the words is
# tests/ui/practice/test_voice_reply.py's job, so the recogniser stays off here
services = Services(Settings(agent_device="mic_in", extra={"speech_engine": "off"}), db)
view = PracticeView(services)
view.show()
wait(lambda: view.ready and view.start_button.isEnabled() and view.voice_box.count() > 1, "the tab", 120.0)
view.start_button.click()
seen = set()  # the player's states while we wait: on a loaded machine a short line may be over already

def first_line_out():
    if view._player is not None:
        seen.update((view._player.playbackState().name, view._player.mediaStatus().name))
    return view.reply_edit.isEnabled() and view._player is not None

wait(first_line_out, "the first line to play: " + view.status.text())
# on a loaded machine the player may still be loading the line (stopped until it has): wait for it to
# play, to have played, or to fail
end = time.monotonic() + 30.0
while not seen & {"PlayingState", "EndOfMedia", "InvalidMedia"} and time.monotonic() < end:
    pump(50)
    first_line_out()
# played: playing now, seen playing, or played to its end
playing = "PlayingState" if seen & {"PlayingState", "EndOfMedia"} else view._player.playbackState().name
media = sorted(seen) + [view._player.errorString()]
view.mic_button.setChecked(True)
print("READY", flush=True)
# the parent says (on stdin) when it has played the trainee's words into the microphone; read it on a
# thread so the event loop keeps draining the microphone meanwhile
played = []
threading.Thread(target=lambda: played.append(sys.stdin.readline()), daemon=True).start()
wait(lambda: bool(played), "the words to be played", 60.0)
pump(1500)  # the VAD's hangover closes the last segment
measured = view._mic_speech_s
view.reply_edit.setText("Hello, I'm so sorry about that. What happened?")
view.send()
wait(lambda: view.reply_edit.isEnabled(), "the customer's answer")
line = next(ln for ln in view._session.lines if ln.party == "agent")
print(json.dumps({"error": None, "playing": playing, "media": media, "no_output": view._no_output,
                  "measured": measured,
                  "speech_s": line.duration_s, "estimated": line.estimated,
                  "status": view.status.text()}), flush=True)
view.shutdown()
services.close()
'''


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio with Practice's speakers and a microphone (mic_sink -> mic_in)."""
    with pulse_server(tmp_path / "pa", MIC_AND_SPEAKERS) as env:
        yield env


@pytest.mark.slow
def test_spoken_customer_and_microphone_with_a_sound_server(pulse: dict[str, str], tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    words = tmp_path / "trainee.wav"
    Pyttsx3Engine().synthesize("Hello, I am so sorry about that. What happened with your order?", words,
                               rate=150)
    # the words' speech time, measured the same way as calls (VAD over the file)
    from agent_assist.audio.analysis import analyze_file

    mono, rate = sf.read(words, dtype="int16")
    stereo = tmp_path / "trainee-stereo.wav"
    sf.write(stereo, np.stack([mono, np.zeros_like(mono)], axis=1), rate)
    segs, _dur = analyze_file(stereo, agent_channel="left")
    expected = sum(s.end - s.start for s in segs if s.party == "agent")
    assert expected > 1.5

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "p.db")], env=pulse,
                             cwd=Path(__file__).resolve().parents[3], text=True, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdin is not None
        line = child.stdout.readline().strip()
        if line != "READY":
            out, err = child.communicate(timeout=30)
            pytest.fail(f"practice tab did not start: {line} {out} {err[-3000:]}")
        subprocess.run(["paplay", "-d", "mic_sink", str(words)], env=pulse, check=True, timeout=30)
        child.stdin.write("\n")
        child.stdin.flush()
        try:
            out, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            # a hang: faulthandler (enabled in the child) prints every thread's stack on SIGABRT
            child.send_signal(signal.SIGABRT)
            out, err = child.communicate(timeout=30)
            pytest.fail(f"the practice child hung (its output: {out[-500:]!r}); stacks: {err[-6000:]}")
    finally:
        if child.poll() is None:  # never leave it running into the next test
            child.kill()
            child.communicate()
    printed = out.strip().splitlines()
    assert printed, f"the practice child printed nothing (exit {child.returncode}): {err[-3000:]}"
    assert child.returncode == 0, err[-3000:]
    result = json.loads(printed[-1])
    assert result["error"] is None, err[-3000:]
    # the customer's line went to the speakers through QtMultimedia
    assert result["playing"] == "PlayingState" and not result["no_output"], result["media"]
    # the trainee's reply counts the microphone's speech time (VAD), not the typed estimate
    assert not result["estimated"], (result["status"], result["measured"])
    assert result["speech_s"] == pytest.approx(result["measured"])
    assert abs(result["measured"] - expected) <= 1.0, (result, expected)


def _marks(view: PracticeView) -> list[str]:
    return [view.goals_list.item(i).text()[:1] for i in range(view.goals_list.count())]


def test_no_verdict_before_the_start_a_countdown_and_goals_on_their_reply(qtbot: QtBot,
                                                                          services: Services) -> None:
    view = PracticeView(services, engine=Pyttsx3Engine(driver="no_such_driver"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=30000)
    view.scenario_box.setCurrentIndex(view.scenario_box.findData("double_billing"))
    qtbot.waitUntil(lambda: view.goals_list.count() == 6 and "Time limit" in view.time_left.text(),
                    timeout=10000)
    # before the attempt: nothing judged (the goal to avoid promises was a red ✗ here)
    assert set(_marks(view)) == {"·"}
    assert view.time_left.text() == "Time limit 6:00"
    view.start_button.click()
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    assert set(_marks(view)) == {"·"}
    first = view.time_left.text()
    assert first.startswith("Time left <b>") and first.endswith(" of 6:00")
    # a closing line first: it confirms nothing
    qtbot.keyClicks(view.reply_edit, "Is there anything else I can help with?")
    qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled(), timeout=10000)
    labels = {view.goals_list.item(i).text()[3:]: view.goals_list.item(i) for i in range(view.goals_list.count())}
    assert labels["Confirmed the resolution"].text().startswith("·")
    assert view.time_left.text() != first  # the countdown moved with the call time
    qtbot.keyClicks(view.reply_edit, "Does that solve it for you?")
    qtbot.keyClick(view.reply_edit, "\r")
    qtbot.waitUntil(lambda: view.reply_edit.isEnabled() or view.card is not None, timeout=10000)
    labels = {view.goals_list.item(i).text()[3:]: view.goals_list.item(i) for i in range(view.goals_list.count())}
    assert labels["Confirmed the resolution"].text().startswith("✓")
    assert labels["Confirmed the resolution"].toolTip() == "reply 2"
    kept = labels["Made no promise you cannot keep"]
    assert kept.text().startswith("·") and kept.foreground().color().name() == "#777777"  # not yet earned
    with qtbot.waitSignal(view.attempt_saved, timeout=20000):
        view.end_button.click()
    marks = dict(zip([view.goals_list.item(i).text()[3:] for i in range(6)], _marks(view), strict=True))
    assert marks["Confirmed the resolution"] == "✓" and marks["Made no promise you cannot keep"] == "✓"
    assert marks["Asked for the order number"] == "✗"
    assert view.time_left.text().startswith("Time used ")
    settle(qtbot, services)
