"""A recording is judged by its content, not its name: an MP3 renamed .wav gets one line that says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agent_assist.audio.analysis import read_audio, sniff
from agent_assist.audio.errors import AudioError


def _speechlike(rate: int = 16000, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    tone = (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)
    return np.stack([tone, tone // 2], axis=1)


@pytest.fixture
def mp3_named_wav(tmp_path: Path) -> Path:
    real = tmp_path / "call.mp3"
    sf.write(real, _speechlike(), 16000, format="MP3")  # libsndfile's own MP3 encoder (LAME)
    renamed = tmp_path / "call.wav"
    real.rename(renamed)
    return renamed


def test_sniff_reads_the_header_not_the_name(tmp_path: Path, mp3_named_wav: Path) -> None:
    wav = tmp_path / "real.flac"  # a WAV named .flac is still a WAV
    sf.write(wav, _speechlike(), 16000, format="WAV")
    assert sniff(wav) == "WAV"
    assert sniff(mp3_named_wav) == "MP3"
    tagged = tmp_path / "tagged.wav"
    tagged.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + mp3_named_wav.read_bytes())
    assert sniff(tagged) == "MP3"
    text = tmp_path / "notes.wav"
    text.write_text("just some notes\n")
    with pytest.raises(AudioError, match=r"not a readable audio file \(by its content it is not WAV"):
        read_audio(text)


def test_mp3_renamed_wav_is_one_clear_line(mp3_named_wav: Path) -> None:
    with pytest.raises(AudioError, match=r"is an MP3 file by its content, though it is named \.wav"):
        read_audio(mp3_named_wav)
    r = subprocess.run([sys.executable, "-m", "agent_assist", "analyze", str(mp3_named_wav)],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "is an MP3 file by its content" in r.stderr, r.stderr
    assert "does not exist" not in r.stderr and "no such file" not in r.stderr
