"""The speech-engine interface (after Anki's ``TTSPlayer``/``TTSVoice``) and helpers shared by engines."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


class TtsUnavailable(RuntimeError):
    """No text-to-speech engine can run here; ``str(e)`` says why and what to install."""


@dataclass(frozen=True)
class Voice:
    """A voice an engine offers. ``id`` is what ``synthesize`` takes; ``languages`` like ``("en-us",)``."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str = "any"  # female | male | any

    @property
    def label(self) -> str:
        g = "" if self.gender == "any" else f", {self.gender}"
        return f"{self.name} ({', '.join(self.languages) or '?'}{g})"


@runtime_checkable
class SpeechEngine(Protocol):
    """Synthesizes text to a WAV file. Implementations may require every call on one thread."""

    name: str

    def voices(self) -> list[Voice]:
        """The voices this engine offers."""
        ...

    def synthesize(self, text: str, path: Path, voice: Voice | str | None = None, rate: int | None = None,
                   pitch: int | None = None) -> float:
        """Write ``text`` spoken at ``rate`` words/min and ``pitch`` (0–100) to WAV ``path``; return its
        duration in seconds."""
        ...


def choose_voice(voices: Sequence[Voice], prefer: Sequence[str] = ("en-us", "en"),
                 gender: str = "any", wanted: str = "") -> Voice | None:
    """The voice to use: ``wanted`` (a voice id, e.g. from the settings) if offered; else the first voice
    matching the preferences in order (a voice id, or a language such as ``en-us`` or ``en``), preferring
    the asked-for gender; else the first voice. ``None`` only when there are no voices at all."""
    if not voices:
        return None
    if wanted:
        for v in voices:
            if v.id == wanted:
                return v
    for p in [x.lower() for x in prefer]:
        matches = [v for v in voices if v.id.lower() == p
                   or any(lang.lower() == p for lang in v.languages)]
        if not matches:
            matches = [v for v in voices if any(lang.lower().split("-")[0] == p for lang in v.languages)]
        if matches:
            if gender in ("female", "male"):
                for v in matches:
                    if v.gender == gender:
                        return v
            return matches[0]
    return voices[0]


def wav_duration(path: Path) -> float:
    """Duration of a WAV file in seconds."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        return w.getnframes() / float(rate) if rate else 0.0
