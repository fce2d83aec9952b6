"""The real pyttsx3 engine (espeak-ng) writes one WAV per line, of a plausible length."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agent_assist.voice import SpeechEngine, TtsUnavailable, Voice, choose_voice, default_engine
from agent_assist.voice.pyttsx3_engine import Pyttsx3Engine

TEN_WORDS = "I was charged twice for the same order this week."


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    e = default_engine()
    assert isinstance(e, Pyttsx3Engine) and isinstance(e, SpeechEngine)
    return e


def test_ten_word_line_gives_plausible_wav(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    voice = choose_voice(engine.voices(), ["en-us", "en"])
    out = tmp_path / "line.wav"
    duration = engine.synthesize(TEN_WORDS, out, voice, rate=175, pitch=50)
    assert 1.0 <= duration <= 6.0
    data, rate = sf.read(out)
    assert len(data) / rate == pytest.approx(duration, abs=0.01)
    assert np.abs(data).max() > 0.05  # real speech, not silence


def test_each_line_gets_its_own_file(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    # pyttsx3 2.99 writes only the last of several queued save_to_file(); the engine does one per line
    short = engine.synthesize("Yes.", tmp_path / "a.wav", rate=175)
    long = engine.synthesize(TEN_WORDS + " " + TEN_WORDS, tmp_path / "b.wav", rate=175)
    assert (tmp_path / "a.wav").exists() and (tmp_path / "b.wav").exists()
    assert short < 1.5 < long
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert w.getnchannels() == 1


def test_rate_changes_the_duration(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    slow = engine.synthesize(TEN_WORDS, tmp_path / "slow.wav", rate=120)
    fast = engine.synthesize(TEN_WORDS, tmp_path / "fast.wav", rate=260)
    assert slow > fast * 1.5


def test_voices_listed_and_chosen(engine: Pyttsx3Engine) -> None:
    voices = engine.voices()
    assert any(v.languages and v.languages[0].startswith("en") for v in voices)
    female = choose_voice(voices, ["en-us"], "female")
    assert female is not None and female.gender == "female" and "en-us" in female.languages
    assert choose_voice(voices, ["xx-nowhere"]) == voices[0]
    assert choose_voice(voices, ["en-us"], wanted=voices[3].id) == voices[3]
    assert choose_voice([], ["en"]) is None


def test_female_variant_synthesizes(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    female = choose_voice(engine.voices(), ["en-gb"], "female")
    assert isinstance(female, Voice)
    assert engine.synthesize("Hello there.", tmp_path / "f.wav", female, 170, 70) > 0.3


def test_engine_refuses_a_second_thread(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    engine.voices()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            engine.synthesize("Hello.", tmp_path / "x.wav")
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and isinstance(errors[0], RuntimeError)


def test_empty_text_is_refused(engine: Pyttsx3Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        engine.synthesize("  ", tmp_path / "e.wav")


def test_unavailable_engine_says_why() -> None:
    with pytest.raises(TtsUnavailable, match="Speech is off: no text-to-speech engine could start"):
        Pyttsx3Engine(driver="no_such_driver").voices()


def test_another_threads_output_survives_a_synthesis(engine: Pyttsx3Engine, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # the app (or a test's child process) prints on one thread while the tts lane synthesizes on another;
    # a process-wide redirect_stdout used to swallow those lines
    engine.synthesize("warm up the engine on this thread", tmp_path / "w.wav")
    capsys.readouterr()
    stop = threading.Event()
    printed: list[str] = []

    def chatter() -> None:
        n = 0
        while not stop.is_set():
            line = f"result line {n}"
            print(line, flush=True)
            printed.append(line)
            n += 1

    t = threading.Thread(target=chatter)
    t.start()
    try:
        for i in range(3):
            engine.synthesize(f"line number {i} for the customer", tmp_path / f"l{i}.wav")
    finally:
        stop.set()
        t.join()
    out = capsys.readouterr().out
    assert len(printed) > 0
    assert out.splitlines() == printed  # every line, whole and in order
    assert "Audio saved" not in out
