"""``agent-assist analyze`` as a real subprocess on a real espeak-ng call and on transcripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from agent_assist.coach.talk import analyze
from tests.audio.speech import Spoken, build, write_stereo

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data" / "transcripts"
KEYS = ("talk_ratio", "agent_speech_s", "customer_speech_s", "overtalk_s", "silence_s",
        "longest_monologue_s", "interruptions", "duration_s")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the command must pick the offscreen platform itself
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "agent_assist", "analyze", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> tuple[Spoken, Path]:
    d = tmp_path_factory.mktemp("analyze")
    sp = build(8000, d / "espeak")
    return sp, write_stereo(sp, d / "call.wav", agent_left=False)


def test_json_figures_of_a_recording(call: tuple[Spoken, Path]) -> None:
    sp, wav = call
    r = cli(str(wav), "--agent-channel", "right", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    for k in KEYS:
        assert k in data
    truth = analyze(sp.truth, len(sp.agent) / sp.rate)
    assert 0 <= data["talk_ratio"] <= 1
    assert data["talk_ratio"] == pytest.approx(truth.talk_ratio, abs=0.02)
    assert data["interruptions"] == truth.interruptions
    assert data["duration_s"] == pytest.approx(truth.duration_s, abs=0.01)
    # the wrong channel gives the mirror-image ratio
    flipped = json.loads(cli(str(wav), "--json").stdout)
    assert flipped["talk_ratio"] == pytest.approx(1 - data["talk_ratio"], abs=0.01)


def test_what_was_done_to_the_input_is_said(call: tuple[Spoken, Path], tmp_path: Path) -> None:
    # 48 kHz with a DC offset and a silent customer channel: analysed (resampled, offset removed), and
    # the user is told, in the human report and in the JSON
    import numpy as np
    import soundfile as sf
    import soxr

    sp, _wav = call
    agent = soxr.resample(sp.agent.astype(np.float32) / 32768, sp.rate, 48000) + 0.05
    odd = tmp_path / "odd.wav"
    sf.write(str(odd), np.stack([agent, np.zeros_like(agent)], axis=1), 48000, subtype="PCM_16")
    r = cli(str(odd))
    assert r.returncode == 0, r.stderr
    notes = [ln for ln in r.stdout.splitlines() if ln.startswith("Note: ")]
    assert any("resampled from 48000 Hz" in n for n in notes), r.stdout
    assert any("customer channel is silent" in n for n in notes), r.stdout
    data = json.loads(cli(str(odd), "--json").stdout)
    assert [f"Note: {n}" for n in data["notes"]] == notes
    assert data["customer_speech_s"] == 0 and data["agent_speech_s"] > 1
    clean = json.loads(cli(str(_wav), "--agent-channel", "right", "--json").stdout)
    assert clean["notes"] == []  # nothing to say about a clean 8 kHz stereo call


def test_human_output_has_figures_and_definitions(call: tuple[Spoken, Path], tmp_path: Path) -> None:
    _sp, wav = call
    png = tmp_path / "timeline.png"
    r = cli(str(wav), "--agent-channel", "right", "--timeline", str(png))
    assert r.returncode == 0, r.stderr
    for label in ("Talk ratio:", "Overtalk:", "Silence:", "Longest monologue:", "Interruptions:",
                  "silence is excluded", "backchannel"):
        assert label.lower() in r.stdout.lower()
    assert png.stat().st_size > 10_000
    img = QImage(str(png))
    assert img.width() == 1200 and img.height() == 320
    # not a blank picture: the agent's blue and the customer's green are both drawn
    colours = {img.pixelColor(x, y).name() for x in range(0, 1200, 4) for y in range(0, 320, 4)}
    assert "#2f6fb3" in colours and "#2e9e6b" in colours


@pytest.mark.parametrize(("name", "extra"), [("call.vtt", []), ("call.srt", ["--agent-speaker", "Dana"]),
                                             ("transcribe.json", ["--agent-speaker", "spk_0"]),
                                             ("contact_lens.json", [])])
def test_transcripts(name: str, extra: list[str]) -> None:
    r = cli(str(DATA / name), "--json", *extra)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["talk_ratio"] == pytest.approx(5.9 / 13.4)
    assert data["interruptions"] == 1


def test_bad_input_is_one_line_and_nonzero(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_text("hello")
    for args in ([str(junk)], [str(tmp_path / "missing.wav")], [str(DATA / "call.srt")],
                 [str(DATA / "call.srt"), "--agent-speaker", "Bob"]):
        r = cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == ""
        assert r.stderr.startswith("agent-assist: ") and r.stderr.count("\n") == 1, r.stderr
        assert "Traceback" not in r.stderr


@pytest.mark.parametrize(("name", "text", "extra"), [
    ("flagged.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\n<v Agent>Thank you for calling, how can I help?\n\n"
     "00:00:03.500 --> 00:00:09.000\n<v Customer>Didn't you read my e-mail?\n\n"
     "00:00:37.000 --> 00:00:40.000\n<v Agent>Didn't you read the manual?\n", []),
    ("flagged.srt", "1\n00:00:00,500 --> 00:00:03,000\nDana: Thank you for calling, how can I help?\n\n"
     "2\n00:00:03,500 --> 00:00:09,000\nSam: Didn't you read my e-mail?\n\n"
     "3\n00:00:37,000 --> 00:00:40,000\nDana: Didn't you read the manual?\n", ["--agent-speaker", "Dana"]),
])
def test_transcript_turns_are_phrasing_checked(tmp_path: Path, name: str, text: str, extra: list[str]) -> None:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    r = cli(str(p), "--json", *extra)
    assert r.returncode == 0, r.stderr
    flags = json.loads(r.stdout)["flags"]
    # the agent's loaded question is flagged at its moment; the customer's identical words are not checked
    assert flags and {f["start_s"] for f in flags} == {37.0}
    assert all(f["text"] == "Didn't you read the manual?" for f in flags)
    assert any(f["category"] in ("loaded", "blaming") and f["suggestion"] for f in flags)
    human = cli(str(p), *extra)
    assert human.returncode == 0, human.stderr
    assert "Phrasing (agent turns):" in human.stdout and "[0:37]" in human.stdout
