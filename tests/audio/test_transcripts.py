"""Transcripts with timings and speakers -> segments, on sample files in tests/data/transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_assist.audio.errors import AudioError
from agent_assist.audio.transcripts import load_transcript
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, analyze

DATA = Path(__file__).resolve().parent.parent / "data" / "transcripts"


def _check_reference_call(segments: list[Segment], duration: float) -> None:
    """Hand-computed figures of the sample call (same timings in every format)."""
    m = analyze(segments, duration)
    assert m.agent_speech_s == pytest.approx(5.9)
    assert m.customer_speech_s == pytest.approx(7.5)
    assert m.talk_ratio == pytest.approx(5.9 / 13.4)
    assert m.overtalk_s == pytest.approx(1.0)  # 8.0-9.0; the 0.4 s "uh-huh" is not overtalk
    assert m.interruptions == 1  # at 8.0 the agent starts while the customer speaks
    assert m.silence_s == 0
    assert m.longest_monologue_s == pytest.approx(4.5) and m.longest_monologue_party == CUSTOMER
    assert m.duration_s == 14


def test_webvtt_voice_tags() -> None:
    t = load_transcript(DATA / "call.vtt")
    assert t.agent == "Agent" and t.speakers == ["Agent", "Customer"]
    assert Segment(AGENT, 0.5, 3.0) in t.segments
    _check_reference_call(t.segments, t.duration_s)


def test_unsorted_and_overlapping_cues() -> None:
    t = load_transcript(DATA / "unsorted.vtt")
    _check_reference_call(t.segments, t.duration_s)


def test_srt_speaker_prefixes_need_the_agent_named() -> None:
    with pytest.raises(AudioError, match=r"which speaker is the agent\? speakers found: Dana, Mr Lee"):
        load_transcript(DATA / "call.srt")
    t = load_transcript(DATA / "call.srt", agent_speaker="dana")
    assert t.agent == "Dana"
    _check_reference_call(t.segments, t.duration_s)


def test_unknown_agent_speaker_lists_the_speakers() -> None:
    with pytest.raises(AudioError, match=r"no speaker called 'Bob'; speakers found: Dana, Mr Lee"):
        load_transcript(DATA / "call.srt", agent_speaker="Bob")


def test_cue_without_speaker_is_reported() -> None:
    with pytest.raises(AudioError, match=r"1 of 2 cues have no speaker \(first at 00:03.500\)"):
        load_transcript(DATA / "nospeaker.vtt")


def test_amazon_transcribe_speaker_labels() -> None:
    t = load_transcript(DATA / "transcribe.json", agent_speaker="spk_0")
    _check_reference_call(t.segments, t.duration_s)


def test_amazon_transcribe_channel_identification_groups_words() -> None:
    t = load_transcript(DATA / "transcribe_channels.json", agent_speaker="ch_0")
    agent = sorted((g.start, g.end) for g in t.segments if g.party == AGENT)
    assert agent == [(0.5, 1.2), (1.3, 3.0), (8.0, 11.0)] or agent == [(0.5, 3.0), (8.0, 11.0)]
    m = analyze(t.segments, t.duration_s)
    assert m.talk_ratio == pytest.approx(5.4 / 12.9) or m.talk_ratio == pytest.approx(5.5 / 13.0)


def test_contact_lens_roles_find_the_agent() -> None:
    t = load_transcript(DATA / "contact_lens.json")
    assert t.agent == "AGENT"
    _check_reference_call(t.segments, t.duration_s)


def test_bad_transcripts(tmp_path: Path) -> None:
    bad = tmp_path / "x.vtt"
    bad.write_text("not a webvtt file\n")
    with pytest.raises(AudioError, match="not a valid WebVTT"):
        load_transcript(bad)
    s = tmp_path / "x.srt"
    s.write_text("1\nnonsense --> more\nhello\n")
    with pytest.raises(AudioError, match="not a valid SRT"):
        load_transcript(s)
    j = tmp_path / "x.json"
    j.write_text("{\"hello\": 1}")
    with pytest.raises(AudioError, match="not an Amazon Transcribe or Contact Lens file"):
        load_transcript(j)
    j.write_text("{broken")
    with pytest.raises(AudioError, match="not valid JSON"):
        load_transcript(j)
    e = tmp_path / "empty.srt"
    e.write_text("")
    with pytest.raises(AudioError, match="empty"):
        load_transcript(e)
    with pytest.raises(AudioError, match=r"unsupported transcript format \.txt"):
        t = tmp_path / "x.txt"
        t.write_text("hi")
        load_transcript(t)
