"""Recognised utterances, redacted and checked: what ``transcribe``, ``analyze --transcribe``, the live
coach and Review share.

Order matters: the text is redacted (``coach.redact``) *before* the phrasing checker sees it and before
anything is stored or printed, so a card number read out digit by digit never leaves this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from agent_assist.audio.analysis import read_audio
from agent_assist.audio.errors import AudioError
from agent_assist.audio.recognition.base import Hypothesis, Recogniser, decode
from agent_assist.audio.recognition.cutter import Cut, cut_file_channels
from agent_assist.audio.vad import VadSettings
from agent_assist.coach.talk import AGENT


@dataclass(frozen=True)
class SpokenUtterance:
    """One recognised utterance, redacted, with its phrasing flags (``Flag.to_dict()`` form)."""

    party: str
    start: float
    end: float
    text: str
    flags: list[dict[str, Any]] = field(default_factory=list)
    redacted: bool = False
    ended_at: float = 0.0  # time.monotonic() when the utterance was cut (live latency bookkeeping)

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.party, "start": round(self.start, 2), "end": round(self.end, 2),
                "text": self.text, "flags": self.flags}


def to_rate(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """int16 samples at ``target`` Hz (soxr, the resampler the rest of the audio layer uses)."""
    if rate == target:
        return np.ascontiguousarray(samples, dtype=np.int16)
    return np.asarray(soxr.resample(np.ascontiguousarray(samples, dtype=np.int16), rate, target, quality="HQ"))


def recognise(cut: Cut, rate: int, rec: Recogniser) -> Hypothesis:
    return decode(rec, to_rate(cut.samples, rate, rec.rate), max(0.0, cut.start))


def read_channels(path: str | Path, agent_channel: str = "left") -> tuple[np.ndarray, np.ndarray | None, int]:
    """(agent, customer or None for mono, rate) of a recording: stereo is agent left, customer right
    (or the other way round with ``agent_channel="right"``)."""
    data, rate = read_audio(path)
    if data.shape[1] > 2:
        raise AudioError(f"{path} has {data.shape[1]} channels; expected mono or stereo "
                         "(agent left, customer right)")
    li = 1 if agent_channel == "right" and data.shape[1] == 2 else 0
    agent = np.ascontiguousarray(data[:, li])
    customer = np.ascontiguousarray(data[:, 1 - li]) if data.shape[1] == 2 else None
    if not (agent.any() or (customer is not None and customer.any())):
        raise AudioError(f"{path} is all silence (every sample is zero): nothing to transcribe")
    return agent, customer, rate


def finish(items: Iterable[tuple[str, float, float, str]], checker: Any = None,
           check_parties: tuple[str, ...] = (AGENT,)) -> list[SpokenUtterance]:
    """(party, start, end, text) -> redacted utterances, flagged by ``checker`` for ``check_parties``
    (the coach is for the agent's phrasing; a customer's words are transcribed, not judged)."""
    from agent_assist.coach.redact import redact

    rows = []
    for party, start, end, text in items:
        if not text.strip():
            continue
        red = redact(text)
        rows.append((party, start, end, red.text, red.count > 0))
    to_check = [i for i, r in enumerate(rows) if r[0] in check_parties]
    flags: dict[int, list[dict[str, Any]]] = {}
    if checker is not None and to_check:
        for i, fl in zip(to_check, checker.check_many([rows[i][3] for i in to_check]), strict=True):
            flags[i] = [f.to_dict() for f in fl]
    return [SpokenUtterance(p, s, e, t, flags.get(i, []), red) for i, (p, s, e, t, red) in enumerate(rows)]


def transcribe_file(path: str | Path, rec: Recogniser, checker: Any = None,
                    settings: VadSettings | None = None, agent_channel: str = "left") -> list[SpokenUtterance]:
    """Every utterance of a recording, in order of start, redacted and (agent channel) flagged."""
    agent, customer, rate = read_channels(path, agent_channel)
    return transcribe_channels(agent, customer, rate, rec, checker, settings)


def transcribe_channels(agent: np.ndarray, customer: np.ndarray | None, rate: int, rec: Recogniser,
                        checker: Any = None, settings: VadSettings | None = None) -> list[SpokenUtterance]:
    cuts = cut_file_channels(agent, customer, rate, settings)
    return finish(((c.party, c.start, c.end, recognise(c, rate, rec).text) for c in cuts), checker)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    v = fn()
    return v, time.perf_counter() - t
