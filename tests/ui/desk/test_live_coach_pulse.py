"""The live coach against a real sound server: festival speech played into a PulseAudio null sink is
captured by QtMultimedia, recognised, checked, and its flag shown on the coach panel (child process, so
Qt's one audio connection per process goes to the test's private server)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio.festival import festival_say, place
from tests.audio.pulse_server import TWO_LINES, pulse_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
LOADED = "why did you wait so long to call us"

CHILD = r'''
import json, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from tests.ui.child import pump
from agent_assist.audio.live import input_devices
from agent_assist.settings import Settings
from agent_assist.store import calls
from agent_assist.store.db import connect
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.coach_panel import PhrasingPanel
from agent_assist.ui.desk.live_coach import LiveCoach
from agent_assist.ui.desk.live_listening import LiveListening

def wait(cond, what, t=30.0):
    end = time.monotonic() + t
    while not cond():
        pump(50)
        if time.monotonic() > end:
            info = {}
            if "coach" in globals() and coach.speech is not None:
                info = {"heard": [u.text for u, _f in panel.spoken], "state": coach.speech.state,
                        "decoded": coach.speech.decoded, "banner": panel.speech_banner.text(),
                        "talk": listening.state}
            print(json.dumps({"error": "timeout waiting for " + what, **info}), flush=True)
            sys.exit(1)

wait(lambda: {"agent_in", "customer_in"} <= {i for i, _d in input_devices()}, "the inputs")
db = Path(sys.argv[1])
d = connect(db); d["agents"].insert({"id": 1, "name": "Dana"})
call_id = calls.start_call(d, agent_id=1, customer_id=None); d.close()
services = Services(Settings(agent_device="agent_in", customer_device="customer_in"), db)
listening = LiveListening(services)
panel = PhrasingPanel(services)
coach = LiveCoach(services, listening, panel)
wait(lambda: panel.ready, "the language model", 120.0)
services.active_call_changed.emit(call_id)
wait(lambda: coach.speech is not None and coach.speech.state == "listening", "the recogniser")
print("READY", flush=True)
wait(lambda: any(f for _u, f in panel.spoken), "a spoken flag on the panel", 60.0)
u, flags = next((u, f) for u, f in panel.spoken if f)
m = listening.current_metrics()
out = {"error": None, "text": u.text, "party": u.party, "categories": [f.category for f in flags],
       "banner": panel.speech_banner.text(), "latencies": coach.latencies, "listening": listening.listening,
       "agent_speech_s": m.agent_speech_s if m else None}
services.active_call_changed.emit(0)
wait(lambda: not listening.listening and services.tasks.pending == 0, "the call to stop")
coach.shutdown()
services.close()
print(json.dumps(out), flush=True)
'''


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    with pulse_server(tmp_path / "pa", TWO_LINES) as env:
        yield env


def test_a_spoken_loaded_question_gets_its_flag_on_the_panel(pulse: dict[str, str],
                                                             tmp_path: Path) -> None:
    rate = 16000
    agent = tmp_path / "agent.wav"
    sf.write(str(agent), place([(0.3, festival_say(LOADED, rate, tmp_path / "tts"))], rate, tail_s=1.5), rate)
    customer = tmp_path / "customer.wav"
    sf.write(str(customer), np.zeros(rate, np.int16), rate)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "c.db")],
                             env=dict(pulse, QT_QPA_PLATFORM="offscreen"), cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != "READY":
        out, err = child.communicate(timeout=60)
        pytest.fail(f"the coach did not start: {line} {out} {err[-3000:]}")
    players = [subprocess.Popen(["paplay", "-d", sink, str(path)], env=pulse)
               for sink, path in (("agent_sink", agent), ("customer_sink", customer))]
    for p in players:
        assert p.wait(timeout=60) == 0
    out, err = child.communicate(timeout=120)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] is None, (result, err[-3000:])
    assert result["party"] == "agent" and {"why", "wait"} <= set(result["text"].split()), result
    assert result["categories"] == ["loaded"]
    assert result["listening"] and result["agent_speech_s"] > 1.5
    assert "Speech" in result["banner"] and "off" not in result["banner"]
