"""Real speech for the audio tests: espeak-ng utterances placed on two channels at known times.

Each utterance is spoken one sentence at a time with ``SENTENCE_PAUSE_S`` between its sentences, a
clear pause under the truth's talk-spurt definition (``truth.py``: pauses under 0.3 s are bridged).
espeak's own sentence pause is 0.29-0.33 s, right on that line, so a fixture built from it would
test which side of 0.3 s a few milliseconds fall on.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from agent_assist.coach.talk import AGENT, CUSTOMER, Segment
from tests.audio.truth import talk_spurts

VOICES = {AGENT: "en-us", CUSTOMER: "en-gb+f3"}
SENTENCE_PAUSE_S = 0.5

# (party, start_s, text): a short support call with a pause, an overlap and a backchannel
SCRIPT: list[tuple[str, float, str]] = [
    (AGENT, 0.5, "Thank you for calling. How can I help you today?"),
    (CUSTOMER, 3.6, "Hi. My card was charged twice for the same order, and I would like one of the "
                    "payments refunded please."),
    (AGENT, 6.0, "uh-huh"),
    (AGENT, 8.7, "I am sorry about that. Could you tell me the order number?"),
    (CUSTOMER, 14.0, "Sure, it is four five seven two nine."),
    (AGENT, 21.0, "Thanks. I can see both payments. I will refund the second one now."),
    (CUSTOMER, 24.2, "Great, how long will it take?"),
    (AGENT, 26.6, "About three to five working days."),
]


@dataclass(frozen=True)
class Spoken:
    agent: np.ndarray  # int16
    customer: np.ndarray
    rate: int
    truth: list[Segment]


def say(text: str, party: str, rate: int, cache: Path) -> np.ndarray:
    """espeak-ng speech at ``rate`` (float32), trimmed of leading and trailing silence."""
    cache.mkdir(parents=True, exist_ok=True)
    raw = cache / (hashlib.sha1(f"{party}|{text}".encode()).hexdigest()[:16] + ".wav")
    if not raw.exists():
        subprocess.run(["espeak-ng", "-v", VOICES[party], "-w", str(raw), text], check=True,
                       capture_output=True)
    x, r = sf.read(str(raw), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > 0.02)
    x = x[loud[0]:loud[-1] + 1] * (0.3 / float(np.abs(x).max()))
    return soxr.resample(x, r, rate).astype(np.float32)


def utterance(text: str, party: str, rate: int, cache: Path) -> np.ndarray:
    """``text`` spoken a sentence at a time, ``SENTENCE_PAUSE_S`` of silence between the sentences."""
    gap = np.zeros(round(SENTENCE_PAUSE_S * rate), np.float32)
    parts: list[np.ndarray] = []
    for k, sent in enumerate(p for p in re.split(r"(?<=[.?!])\s+", text) if p.strip()):
        parts += [gap, say(sent, party, rate, cache)] if k else [say(sent, party, rate, cache)]
    return np.concatenate(parts)


def build(rate: int, cache: Path, script: list[tuple[str, float, str]] = SCRIPT, noise_db: float = -60.0,
          tail_s: float = 1.5) -> Spoken:
    parts = [(p, t, utterance(text, p, rate, cache)) for p, t, text in script]
    n = int((max(t + len(x) / rate for _p, t, x in parts) + tail_s) * rate)
    ch = {AGENT: np.zeros(n, np.float32), CUSTOMER: np.zeros(n, np.float32)}
    placed = []
    for p, t, x in parts:
        i = int(t * rate)
        ch[p][i:i + len(x)] += x
        placed.append((p, i / rate, x))
    truth = talk_spurts(placed, rate)
    rng = np.random.default_rng(0)
    out = {}
    for p, x in ch.items():
        y = x + rng.normal(0, 10 ** (noise_db / 20), n).astype(np.float32)
        out[p] = np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)
    return Spoken(out[AGENT], out[CUSTOMER], rate, truth)


def write_stereo(sp: Spoken, path: Path, agent_left: bool = True) -> Path:
    a, c = (sp.agent, sp.customer) if agent_left else (sp.customer, sp.agent)
    sf.write(str(path), np.stack([a, c], axis=1), sp.rate, subtype="PCM_16")
    return path
