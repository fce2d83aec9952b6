"""Bad recordings give one clear AudioError (a ValueError), never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agent_assist.audio.analysis import analyze_file
from agent_assist.audio.errors import AudioError
from agent_assist.audio.sources import open_source
from tests.audio.speech import Spoken


def _fails(path: Path, pattern: str, **kw: object) -> AudioError:
    with pytest.raises(AudioError, match=pattern) as info:
        analyze_file(path, **kw)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
    return info.value


def test_missing_and_zero_length(tmp_path: Path) -> None:
    _fails(tmp_path / "nope.wav", "no such file")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    _fails(empty, r"empty \(0 bytes\)")
    header_only = tmp_path / "header.wav"
    sf.write(str(header_only), np.zeros((0, 2), np.int16), 8000)
    _fails(header_only, "zero length")


def test_not_audio(tmp_path: Path) -> None:
    p = tmp_path / "notes.wav"
    p.write_text("these are my notes, not a recording\n" * 20)
    _fails(p, "is not a readable audio file")


def test_truncated(call_wav: Path, tmp_path: Path) -> None:
    data = call_wav.read_bytes()
    p = tmp_path / "cut.wav"
    p.write_bytes(data[: len(data) // 2])
    _fails(p, "truncated: its header promises")
    q = tmp_path / "stub.wav"
    q.write_bytes(data[:30])
    _fails(q, "not a readable audio file|truncated|zero length")


def test_mono_where_stereo_expected(call8k: Spoken, tmp_path: Path) -> None:
    p = tmp_path / "mono.wav"
    sf.write(str(p), call8k.agent, 8000)
    _fails(p, "is mono: a call recording needs two channels")


def test_too_many_channels_and_low_rate(call8k: Spoken, tmp_path: Path) -> None:
    p = tmp_path / "four.wav"
    sf.write(str(p), np.stack([call8k.agent] * 4, axis=1), 8000)
    _fails(p, "has 4 channels")
    low = tmp_path / "low.wav"
    sf.write(str(low), np.stack([call8k.agent[::2], call8k.customer[::2]], axis=1), 4000)
    _fails(low, "4000 Hz is too low")


def test_all_silence(tmp_path: Path) -> None:
    p = tmp_path / "silent.wav"
    sf.write(str(p), np.zeros((8000 * 5, 2), np.int16), 8000)
    _fails(p, "all silence")


def test_noise_without_speech(tmp_path: Path) -> None:
    p = tmp_path / "hiss.wav"
    rng = np.random.default_rng(3)
    sf.write(str(p), rng.normal(0, 200, (8000 * 5, 2)).astype(np.int16), 8000)
    _fails(p, "no speech found")


def test_clipping(call8k: Spoken, tmp_path: Path) -> None:
    loud = np.clip(call8k.agent.astype(np.int32) * 60, -32768, 32767).astype(np.int16)
    p = tmp_path / "clipped.wav"
    sf.write(str(p), np.stack([loud, call8k.customer], axis=1), 8000)
    _fails(p, "heavily clipped")


def test_two_mono_files(call8k: Spoken, tmp_path: Path) -> None:
    a, c = tmp_path / "agent.wav", tmp_path / "customer.flac"
    sf.write(str(a), call8k.agent, 8000)
    sf.write(str(c), call8k.customer, 8000)
    segs, dur = analyze_file(c, agent_file=a)
    assert {g.party for g in segs} == {"agent", "customer"}
    assert dur == pytest.approx(len(call8k.agent) / 8000)
    other_rate = tmp_path / "agent16.wav"
    sf.write(str(other_rate), np.repeat(call8k.agent, 2), 16000)
    _fails(c, "different sample rates", agent_file=other_rate)
    stereo = tmp_path / "stereo.wav"
    sf.write(str(stereo), np.stack([call8k.agent, call8k.customer], axis=1), 8000)
    _fails(c, "both files must be mono", agent_file=stereo)


def test_source_choice_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"unsupported file type \.mp4"):
        open_source(tmp_path / "call.mp4")
    with pytest.raises(AudioError, match="--agent-speaker is for transcripts"):
        open_source(tmp_path / "call.wav", agent_speaker="Dana")
    with pytest.raises(AudioError, match="--agent-file is for two mono recordings"):
        open_source(tmp_path / "call.vtt", agent_file=tmp_path / "a.wav")
    with pytest.raises(AudioError, match="agent channel must be"):
        analyze_file(tmp_path / "x.wav", agent_channel="middle")
