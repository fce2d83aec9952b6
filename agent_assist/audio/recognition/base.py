"""The recogniser protocol: feed one utterance's audio, get partial hypotheses and a final one with times.

A ``Recogniser`` decodes one utterance at a time (the cutter decides where utterances begin and end):
``begin(start_s)``, any number of ``feed(samples)`` (int16 mono at ``rate``; may return a partial
``Hypothesis``), then ``end()`` returns the final ``Hypothesis``. Engines are not thread-safe: one
recogniser belongs to one worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from agent_assist.audio.errors import AudioError


class ModelError(AudioError):
    """The speech model is missing, or a configured folder is not a model of the chosen engine."""


class RecogniserFailed(AudioError):
    """The engine failed while decoding (it may be unusable for the rest of the call)."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the stream
    end: float


@dataclass(frozen=True)
class Hypothesis:
    """What was heard in one utterance; ``final`` once the utterance has ended."""

    start: float
    end: float
    text: str
    final: bool
    words: tuple[Word, ...] = field(default=())


class Recogniser(Protocol):
    name: str
    rate: int

    def begin(self, start_s: float) -> None: ...

    def feed(self, samples: np.ndarray) -> Hypothesis | None: ...

    def end(self) -> Hypothesis: ...

    def close(self) -> None: ...


def decode(rec: Recogniser, samples: np.ndarray, start_s: float = 0.0) -> Hypothesis:
    """One whole utterance through ``rec`` (samples int16 at ``rec.rate``)."""
    rec.begin(start_s)
    rec.feed(samples)
    return rec.end()
