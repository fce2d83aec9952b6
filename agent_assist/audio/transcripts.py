"""Timed transcripts -> speech segments per party.

Formats: WebVTT with voice tags (``<v Agent>Hello``, parsed by webvtt-py), SRT with speaker prefixes
(``Agent: Hello`` or ``[Agent] Hello``, parsed by srt), Amazon Transcribe JSON (speaker labels or channel
identification) and Contact Lens / Call Analytics JSON (``Transcript`` with participant roles).

Cues may overlap or come in any order (``coach.talk`` merges them). Which speaker is the agent: the one
named with ``agent_speaker``, else a speaker called "agent" (or the AGENT role); every other speaker is
the customer. Missing or unknown speakers are reported with the names found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import srt
import webvtt
import webvtt.errors

from agent_assist.audio.errors import AudioError
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment

TRANSCRIPT_SUFFIXES = (".vtt", ".srt", ".json")
# "Name: text", "[Name] text", "<v Name>text", "- Name: text"
_PREFIX = re.compile(r"^\s*-?\s*(?:<v(?:\.[\w.-]+)?\s+([^>]+)>|\[([^\]]{1,40})\]|([A-Za-z][\w .'-]{0,39}?)\s*:\s)")
_WORD_GAP_S = 0.5  # words of one speaker closer than this form one segment


@dataclass(frozen=True)
class Cue:
    speaker: str | None
    start: float
    end: float
    text: str = ""  # what was said, without the speaker mark (WebVTT and SRT)


@dataclass(frozen=True)
class Transcript:
    segments: list[Segment]
    duration_s: float
    speakers: list[str]
    agent: str
    # (party, start in seconds, text) of every cue with words, in time order: the agent's turns are
    # phrasing-checked like live utterances
    utterances: tuple[tuple[str, float, str], ...] = ()


def _speaker_prefix(text: str) -> str | None:
    m = _PREFIX.match(text)
    if not m:
        return None
    return next(g for g in m.groups() if g).strip()


def _without_speaker(text: str) -> str:
    """The words of a cue: the speaker mark ("Agent: ", "[Agent] ", "<v Agent>") and other tags removed."""
    m = _PREFIX.match(text)
    rest = text[m.end():] if m else text
    return " ".join(re.sub(r"</?[^>]+>", "", rest).split())


def _vtt_time(stamp: str) -> float:
    parts = stamp.strip().split(":")
    secs = 0.0
    for part in parts:
        secs = secs * 60 + float(part)
    return secs


def parse_vtt(path: Path) -> list[Cue]:
    try:
        doc = webvtt.read(str(path))
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError, UnicodeDecodeError) as e:
        raise AudioError(f"{path} is not a valid WebVTT file ({e})") from None
    cues = []
    for c in doc.captions:
        who = c.voice or _speaker_prefix(c.raw_text)
        # start_in_seconds is rounded down to whole seconds: read the timestamps themselves
        cues.append(Cue(who.strip() if who else None, _vtt_time(c.start), _vtt_time(c.end),
                        _without_speaker(c.raw_text)))
    return cues


def parse_srt(path: Path) -> list[Cue]:
    try:
        subs = list(srt.parse(path.read_text(encoding="utf-8-sig"), ignore_errors=False))
    except (srt.SRTParseError, UnicodeDecodeError, ValueError) as e:
        raise AudioError(f"{path} is not a valid SRT file ({str(e).splitlines()[0][:120]})") from None
    return [Cue(_speaker_prefix(s.content), s.start.total_seconds(), s.end.total_seconds(),
                _without_speaker(s.content)) for s in subs]


def _f(v: Any) -> float:
    return float(v)


def _group_words(items: list[dict[str, Any]], speaker_of: Any) -> list[Cue]:
    cues: list[Cue] = []
    for it in items:
        if "start_time" not in it or "end_time" not in it:
            continue  # punctuation carries no time
        who, s, e = speaker_of(it), _f(it["start_time"]), _f(it["end_time"])
        if cues and cues[-1].speaker == who and s - cues[-1].end < _WORD_GAP_S:
            cues[-1] = Cue(who, cues[-1].start, max(e, cues[-1].end))
        else:
            cues.append(Cue(who, s, e))
    return cues


def parse_json(path: Path) -> tuple[list[Cue], str | None]:
    """Cues of an Amazon Transcribe or Contact Lens file, and the agent's speaker id when the file says."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise AudioError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise AudioError(f"{path}: expected an Amazon Transcribe or Contact Lens JSON object")
    try:
        if isinstance(data.get("Transcript"), list):  # Contact Lens / Transcribe Call Analytics
            roles = {p.get("ParticipantId"): p.get("ParticipantRole")
                     for p in data.get("Participants", []) if isinstance(p, dict)}
            cues = []
            for t in data["Transcript"]:
                who = t.get("ParticipantRole") or roles.get(t.get("ParticipantId")) or t.get("ParticipantId")
                cues.append(Cue(who, t["BeginOffsetMillis"] / 1000, t["EndOffsetMillis"] / 1000))
            agent = next((c.speaker for c in cues if c.speaker and c.speaker.upper() == "AGENT"), None)
            return cues, agent
        results = data.get("results")
        if not isinstance(results, dict):
            raise AudioError(f"{path}: not an Amazon Transcribe or Contact Lens file "
                             "(no 'results' or 'Transcript')")
        if results.get("speaker_labels", {}).get("segments"):
            segs = results["speaker_labels"]["segments"]
            return [Cue(s.get("speaker_label"), _f(s["start_time"]), _f(s["end_time"])) for s in segs], None
        if results.get("channel_labels", {}).get("channels"):
            cues = []
            for ch in results["channel_labels"]["channels"]:
                label = ch.get("channel_label")
                cues += _group_words(ch.get("items", []), lambda _it, label=label: label)
            return cues, None
        items = results.get("items", [])
        if items and any("speaker_label" in it for it in items):
            return _group_words(items, lambda it: it.get("speaker_label")), None
        raise AudioError(f"{path}: the Transcribe output has no speakers; run the job with speaker "
                         "identification or channel identification")
    except (KeyError, TypeError, AttributeError) as e:
        raise AudioError(f"{path}: unexpected Transcribe/Contact Lens structure (missing {e})") from None


def _clock(t: float) -> str:
    return f"{int(t // 60):02d}:{t % 60:06.3f}"


def load_transcript(path: str | Path, agent_speaker: str | None = None) -> Transcript:
    """Segments of a transcript file; see the module docstring for how the agent is found."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise AudioError(f"{p} is empty (0 bytes)")
    suffix = p.suffix.lower()
    file_agent: str | None = None
    if suffix == ".vtt":
        cues = parse_vtt(p)
    elif suffix == ".srt":
        cues = parse_srt(p)
    elif suffix == ".json":
        cues, file_agent = parse_json(p)
    else:
        raise AudioError(f"{p}: unsupported transcript format {suffix or '(none)'}; use .vtt, .srt or .json")
    if not cues:
        raise AudioError(f"{p} has no timed cues")
    unnamed = [c for c in cues if not c.speaker]
    if unnamed:
        raise AudioError(f"{p}: {len(unnamed)} of {len(cues)} cues have no speaker (first at "
                         f"{_clock(unnamed[0].start)}); mark speakers with <v Name> (WebVTT) or "
                         "'Name:' (SRT)")
    bad = [c for c in cues if c.end < c.start]
    if bad:
        raise AudioError(f"{p}: a cue ends before it starts (at {_clock(bad[0].start)})")
    speakers = sorted({str(c.speaker) for c in cues})
    agent = _pick_agent(p, speakers, agent_speaker, file_agent)
    segs = [Segment(AGENT if c.speaker == agent else CUSTOMER, c.start, c.end) for c in cues if c.end > c.start]
    utterances = tuple((AGENT if c.speaker == agent else CUSTOMER, c.start, c.text)
                       for c in sorted(cues, key=lambda c: c.start) if c.text)
    return Transcript(segs, max(c.end for c in cues), speakers, agent, utterances)


def _pick_agent(p: Path, speakers: list[str], wanted: str | None, file_agent: str | None) -> str:
    found = ", ".join(speakers)
    if wanted:
        match = [s for s in speakers if s.casefold() == wanted.strip().casefold()]
        if not match:
            raise AudioError(f"{p}: no speaker called {wanted!r}; speakers found: {found}")
        return match[0]
    if file_agent:
        return file_agent
    named = [s for s in speakers if s.casefold() == "agent"]
    if named:
        return named[0]
    raise AudioError(f"{p}: which speaker is the agent? speakers found: {found}; "
                     "pass --agent-speaker NAME")
