"""LiveSpeech decodes the agent's utterances while they are spoken: the words are the same as a decode of
the whole cut, and what is left after the utterance's end is a small part of the work."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from agent_assist.audio.live import LiveSource, ReplayCapture
from agent_assist.audio.live_speech import LiveSpeech
from agent_assist.audio.recognition.base import Hypothesis
from agent_assist.audio.recognition.pipeline import SpokenUtterance, transcribe_channels
from agent_assist.audio.recognition.pocketsphinx_engine import PocketsphinxRecogniser
from tests.audio.festival import festival_say, place

RATE = 16000
LINES = ["thank you for calling how can i help you today",
         "i will send you the details by email this afternoon",
         "is there anything else i can do for you"]


class Counting:
    """A real PocketSphinx recogniser that counts the blocks fed to each utterance."""

    def __init__(self) -> None:
        self.inner = PocketsphinxRecogniser()
        self.name, self.rate = self.inner.name, self.inner.rate
        self.fed_after_begin: list[int] = []

    def begin(self, start_s: float) -> None:
        self.fed_after_begin.append(0)
        self.inner.begin(start_s)

    def feed(self, samples: np.ndarray) -> Hypothesis | None:
        self.fed_after_begin[-1] += 1
        return self.inner.feed(samples)

    def end(self) -> Hypothesis:
        return self.inner.end()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    d = tmp_path_factory.mktemp("stream")
    agent = place([(0.8 + 5.0 * i, festival_say(t, RATE, d)) for i, t in enumerate(LINES)], RATE, tail_s=2)
    path = d / "call.wav"
    sf.write(str(path), np.stack([agent, np.zeros_like(agent)], axis=1), RATE)
    return path, agent


def test_the_agents_speech_is_decoded_while_spoken(qtbot: QtBot, call: tuple[Path, np.ndarray]) -> None:
    path, agent = call
    rec = Counting()
    source = LiveSource(ReplayCapture(path, speed=2.0))
    speech = LiveSpeech(source, recogniser_factory=lambda: rec, start=False)
    got: list[SpokenUtterance] = []
    speech.utterance.connect(got.append)
    speech.start()
    qtbot.waitUntil(lambda: speech.state == "listening", timeout=30000)
    source.start()
    qtbot.waitUntil(lambda: source.capture.done, timeout=60000)
    source.stop()
    assert speech.wait(60)
    qtbot.waitUntil(lambda: len(got) >= len(LINES), timeout=10000)
    # every utterance was streamed: many blocks fed before its end, none decoded whole afterwards
    assert speech.streamed == len(LINES) == speech.decoded, (speech.streamed, speech.decoded)
    assert all(n >= 5 for n in rec.fed_after_begin[-len(LINES):]), rec.fed_after_begin
    # the same words as the whole-cut decode of the same recording
    # (the stream also heard the fraction of a second of silence before the cut was made)
    whole = transcribe_channels(agent, None, RATE, PocketsphinxRecogniser())
    assert len(whole) == len(got)
    for s, w in zip(got, whole, strict=True):
        same = SequenceMatcher(None, s.text.split(), w.text.split()).ratio()
        assert same >= 0.8, (s.text, w.text)
    for u, line in zip(got, LINES, strict=True):
        assert len(set(u.text.split()) & set(line.split())) >= len(line.split()) // 2, (u.text, line)
