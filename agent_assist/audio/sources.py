"""One interface for everything that yields a call's speech segments.

``Source.read()`` returns a ``SourceResult``: the segments per party, the duration and a description.
Files and transcripts are read at once; the live devices (``audio.live.LiveSource``, Qt) implement the
same ``read()`` for what has been captured so far, and add start/stop and a signal per closed segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agent_assist.audio.analysis import analyze_file_report
from agent_assist.audio.errors import AudioError
from agent_assist.audio.transcripts import TRANSCRIPT_SUFFIXES, load_transcript
from agent_assist.audio.vad import VadSettings
from agent_assist.coach.talk import Segment

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")


@dataclass(frozen=True)
class SourceResult:
    segments: list[Segment]
    duration_s: float
    description: str
    utterances: tuple[tuple[str, float, str], ...] = ()  # (party, start_s, text): transcripts only
    notes: tuple[str, ...] = ()  # what was done to the input or should be known about it (recordings)


class Source(Protocol):
    @property
    def description(self) -> str: ...

    def read(self) -> SourceResult: ...


@dataclass
class StereoFileSource:
    """A stereo recording, agent on ``agent_channel``."""

    path: Path
    agent_channel: str = "left"
    settings: VadSettings | None = None

    @property
    def description(self) -> str:
        return f"{self.path.name} (stereo, agent on the {self.agent_channel} channel)"

    def read(self) -> SourceResult:
        r = analyze_file_report(self.path, self.agent_channel, settings=self.settings)
        return SourceResult(r.segments, r.duration_s, self.description, notes=r.notes)


@dataclass
class TwoMonoFilesSource:
    """The customer's and the agent's mono recordings of the same call."""

    customer_path: Path
    agent_path: Path
    settings: VadSettings | None = None

    @property
    def description(self) -> str:
        return f"{self.agent_path.name} (agent) + {self.customer_path.name} (customer)"

    def read(self) -> SourceResult:
        r = analyze_file_report(self.customer_path, agent_file=self.agent_path, settings=self.settings)
        return SourceResult(r.segments, r.duration_s, self.description, notes=r.notes)


@dataclass
class TranscriptSource:
    """A timed transcript with speakers (WebVTT, SRT, Amazon Transcribe / Contact Lens JSON)."""

    path: Path
    agent_speaker: str | None = None

    @property
    def description(self) -> str:
        return f"{self.path.name} (transcript)"

    def read(self) -> SourceResult:
        t = load_transcript(self.path, self.agent_speaker)
        return SourceResult(t.segments, t.duration_s, f"{self.description}, agent = {t.agent!r}",
                            t.utterances)


def open_source(path: str | Path, *, agent_channel: str = "left", agent_file: str | Path | None = None,
                agent_speaker: str | None = None, settings: VadSettings | None = None) -> Source:
    """The source for a file, chosen by its suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in TRANSCRIPT_SUFFIXES:
        if agent_file is not None:
            raise AudioError("--agent-file is for two mono recordings, not for transcripts")
        return TranscriptSource(p, agent_speaker)
    if agent_speaker:
        raise AudioError("--agent-speaker is for transcripts (.vtt, .srt, .json); for recordings use "
                         "--agent-channel")
    if agent_file is not None:
        return TwoMonoFilesSource(p, Path(agent_file), settings)
    if suffix and suffix not in AUDIO_SUFFIXES:
        raise AudioError(f"{p}: unsupported file type {suffix}; use a WAV/FLAC recording or a .vtt, .srt "
                         "or .json transcript")
    return StereoFileSource(p, agent_channel, settings)
