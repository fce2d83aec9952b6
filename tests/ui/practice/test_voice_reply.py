"""Practice by voice: the trainee's reply is spoken (festival) into a PulseAudio null sink that is the
practice microphone, recognised into the reply box, checked, and scored with its measured speaking time."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agent_assist.audio.analysis import analyze_file
from tests.audio.festival import festival_say, place
from tests.audio.pulse_server import MIC_AND_SPEAKERS, pulse_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
REPLY = "why did you wait so long to call us"

CHILD = r'''
import json, sys, threading, time
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
            print(json.dumps({"error": "timeout waiting for " + what, "box": view.reply_edit.text(),
                              "status": view.status.text()}), flush=True)
            sys.exit(1)

db = Path(sys.argv[1]); connect(db).close()
services = Services(Settings(agent_device="mic_in"), db)
view = PracticeView(services, speak=False)
view.show()
wait(lambda: "mic_in" in {i for i, _d in input_devices()}, "the microphone")
wait(lambda: view.ready and view.start_button.isEnabled(), "the tab", 120.0)
view.start_button.click()
wait(lambda: view.reply_edit.isEnabled(), "the customer's first line")
view.mic_button.setChecked(True)
wait(lambda: view._mic_words is not None and view._mic_words.state == "listening", "the recogniser")
print("READY", flush=True)
wait(lambda: bool(view.reply_edit.text().strip()), "the recognised reply", 60.0)
heard = view.reply_edit.text()
pump(300)
measured = view._mic_speech_s
view.send()
wait(lambda: view.reply_edit.isEnabled() or view._session.finished, "the customer's answer")
line = next(ln for ln in view._session.lines if ln.party == "agent")
view.end()
wait(lambda: view.card is not None, "the score card", 60.0)
card = view.card
print(json.dumps({"error": None, "heard": heard, "measured": measured, "text": line.text,
                  "speech_s": line.duration_s, "estimated": line.estimated,
                  "flags": [f.category for f in line.flags], "agent_speech_s": card.talk.agent_speech_s,
                  "agent_estimated": card.agent_estimated, "score": card.score}), flush=True)
view.shutdown()
services.close()
'''


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    with pulse_server(tmp_path / "pa", MIC_AND_SPEAKERS) as env:
        yield env


def test_a_spoken_reply_is_recognised_checked_and_scored(pulse: dict[str, str],
                                                          tmp_path: Path) -> None:
    rate = 16000
    words = tmp_path / "reply.wav"
    mono = place([(0.3, festival_say(REPLY, rate, tmp_path / "tts"))], rate, tail_s=1.5)
    sf.write(str(words), mono, rate)
    stereo = tmp_path / "reply-stereo.wav"
    sf.write(str(stereo), np.stack([mono, np.zeros_like(mono)], axis=1), rate)
    segs, _dur = analyze_file(stereo)
    expected = sum(s.end - s.start for s in segs if s.party == "agent")

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "p.db")], env=pulse, cwd=ROOT,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != "READY":
        out, err = child.communicate(timeout=60)
        pytest.fail(f"practice did not start: {line} {out} {err[-3000:]}")
    subprocess.run(["paplay", "-d", "mic_sink", str(words)], env=pulse, check=True, timeout=60)
    out, err = child.communicate(timeout=180)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] is None, (result, err[-3000:])
    assert {"why", "wait"} <= set(result["heard"].split()), result
    assert result["text"] == result["heard"]  # the recognised words were the reply
    assert result["flags"] == ["loaded"], result
    assert not result["estimated"] and not result["agent_estimated"]
    assert result["speech_s"] == pytest.approx(result["measured"])
    assert abs(result["measured"] - expected) <= 1.0, (result, expected)
    assert result["agent_speech_s"] == pytest.approx(result["measured"], abs=0.05)
