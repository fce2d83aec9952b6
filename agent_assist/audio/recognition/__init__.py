"""On-device speech recognition: a ``Recogniser`` protocol, engines behind it, the utterance cutter and
the pipeline utterance -> text -> redaction -> phrasing flags.

Engines: ``pocketsphinx`` (default; the US-English model its wheel ships), ``vosk`` and
``faster-whisper`` (optional extras, only with a local model folder). Nothing is ever downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_assist.audio.recognition.base import (
    Hypothesis,
    ModelError,
    Recogniser,
    RecogniserFailed,
    Word,
    decode,
)

ENGINES = ("pocketsphinx", "vosk", "faster-whisper")


@dataclass(frozen=True)
class SpeechSettings:
    """The speech settings (kept in the settings file beside the others)."""

    engine: str = "pocketsphinx"  # one of ENGINES, or "off"
    model: str = ""  # a local model folder ('' = pocketsphinx's packaged model)
    customer: bool = False  # also transcribe the customer channel live
    store_transcripts: bool = True
    retention_days: int = 90  # transcripts older than this are deleted (0 = keep)

    @classmethod
    def from_settings(cls, settings: Any) -> SpeechSettings:
        extra = getattr(settings, "extra", None) or {}
        d = cls()

        def get(key: str, kind: type, default: Any) -> Any:
            v = extra.get(key, default)
            return v if isinstance(v, kind) and not (kind is int and isinstance(v, bool)) else default

        return cls(engine=str(get("speech_engine", str, d.engine)).strip().lower() or d.engine,
                   model=str(get("speech_model", str, d.model)).strip(),
                   customer=bool(get("speech_customer", bool, d.customer)),
                   store_transcripts=bool(get("store_transcripts", bool, d.store_transcripts)),
                   retention_days=max(0, int(get("transcript_retention_days", int, d.retention_days))))

    @property
    def enabled(self) -> bool:
        return self.engine != "off"


def open_recogniser(engine: str = "pocketsphinx", model: str | Path = "") -> Recogniser:
    """The recogniser of ``engine`` on ``model``; ``ModelError`` (one line) when it cannot be used."""
    engine = engine.strip().lower()
    if engine == "pocketsphinx":
        from agent_assist.audio.recognition.pocketsphinx_engine import PocketsphinxRecogniser

        return PocketsphinxRecogniser(model or None, lm=domain_lm() if not model else None)
    if engine == "vosk":
        from agent_assist.audio.recognition.vosk_engine import VoskRecogniser

        return VoskRecogniser(model)
    if engine in ("faster-whisper", "whisper"):
        from agent_assist.audio.recognition.whisper_engine import WhisperRecogniser

        return WhisperRecogniser(model)
    raise ModelError(f"unknown speech engine {engine!r}; use one of {', '.join(ENGINES)}")


def domain_lm() -> str | None:
    """The customer-service language model shipped in resources/speech, when there is one."""
    from agent_assist import resources

    try:
        p = resources.path("speech/customer_service.lm.bin")
    except resources.ResourceError:
        return None
    return str(p) if p.exists() else None


__all__ = ["ENGINES", "Hypothesis", "ModelError", "Recogniser", "RecogniserFailed", "SpeechSettings",
           "Word", "decode", "domain_lm", "open_recogniser"]
