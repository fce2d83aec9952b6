"""``agent-assist transcribe`` and ``analyze --transcribe`` as real subprocesses on festival speech."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio.festival import festival_say, place, wer

ROOT = Path(__file__).resolve().parent.parent.parent
AGENT_LINES = [(0.5, "didn't you read the manual before you called"),
               (6.0, "i will send you the details by email today")]
CUSTOMER_LINES = [(3.2, "my order has not arrived yet")]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, text=True,
                          timeout=180, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("transcribe")
    out = {}
    for rate, suffix in ((16000, ".wav"), (44100, ".flac")):
        a = place([(t, festival_say(s, rate, d / "tts")) for t, s in AGENT_LINES], rate)
        c = place([(t, festival_say(s, rate, d / "tts")) for t, s in CUSTOMER_LINES], rate)
        c = np.pad(c, (0, len(a) - len(c)))
        path = d / f"call{rate}{suffix}"
        sf.write(str(path), np.stack([a, c], axis=1), rate)
        out[str(rate)] = path
    mono = d / "mono.wav"
    sf.write(str(mono), place([(0.4, festival_say(AGENT_LINES[1][1], 16000, d / "tts"))], 16000), 16000)
    out["mono"] = mono
    return out


def test_json_lines_give_the_words_times_channels_and_flags(call: dict[str, Path]) -> None:
    r = cli("transcribe", str(call["16000"]), "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [u["channel"] for u in rows] == ["agent", "customer", "agent"], rows
    assert all(set(u) == {"channel", "start", "end", "text", "flags"} for u in rows)
    for u, (t, text) in zip([rows[0], rows[2]], AGENT_LINES, strict=True):
        assert abs(u["start"] - t) < 0.3 and u["end"] > u["start"]
        assert wer(text.replace("'", ""), u["text"].replace("'", "")) <= 0.35, u["text"]
    # the loaded question is flagged exactly as `check --json` flags the recognised text
    assert [f["category"] for f in rows[0]["flags"]] == ["blaming"]
    chk = subprocess.run([sys.executable, "-m", "agent_assist", "check", "--json"], input=rows[0]["text"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert json.loads(chk.stdout)["flags"] == rows[0]["flags"]
    assert rows[1]["flags"] == []  # the customer is transcribed, not coached


def test_any_rate_flac_and_the_human_listing(call: dict[str, Path]) -> None:
    r = cli("transcribe", str(call["44100"]))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("[00:00.") and " agent " in lines[0]
    assert "Blaming" in r.stdout and "try:" in r.stdout
    assert "email" in r.stdout or "details" in r.stdout


def test_mono_is_the_agent(call: dict[str, Path]) -> None:
    r = cli("transcribe", str(call["mono"]), "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [u["channel"] for u in rows] == ["agent"]


def test_analyze_transcribe_adds_the_utterances(call: dict[str, Path]) -> None:
    r = cli("analyze", str(call["16000"]), "--transcribe", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["talk_ratio"] > 0.5
    assert [u["channel"] for u in data["utterances"]] == ["agent", "customer", "agent"]
    assert data["utterances"][0]["flags"][0]["category"] == "blaming"


def test_a_folder_that_is_not_a_model_exits_2_with_one_line(call: dict[str, Path], tmp_path: Path) -> None:
    r = cli("transcribe", str(call["mono"]), "--engine", "vosk", "--model", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "is not a Vosk model folder" in r.stderr
    r = cli("transcribe", str(call["mono"]), "--engine", "faster-whisper")
    assert r.returncode == 2 and "needs a model folder" in r.stderr and r.stderr.count("\n") == 1


def test_truncated_and_unreadable_audio_exit_2_with_one_line(call: dict[str, Path], tmp_path: Path) -> None:
    data = call["16000"].read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not audio at all" * 10)
    for path, words in ((cut, "truncated"), (junk, "not a readable audio file")):
        r = cli("transcribe", str(path), "--json")
        assert r.returncode == 2, r.stderr
        assert words in r.stderr and r.stderr.count("\n") == 1 and r.stdout == ""
