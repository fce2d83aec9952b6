"""The ground truth of the audio tests and the talk-ratio benchmark: talk spurts of placed speech.

A party's talk time is the time they are *talking*, not every millisecond of sound: speech with the
pauses shorter than ``BRIDGE_S`` bridged. 0.3 s is the threshold the NIST Rich Transcription evaluations
use to join one speaker's segments in the reference (pauses under it do not break a segment), and it
sits at the low end of what listeners hear as a pause (Lundholm Fors 2015: "a quarter to half a second").
Speech is where a 10 ms frame of the placed clip peaks above 2 % of the clip's peak (the threshold the
clips are trimmed with), so a sentence pause inside one espeak clip counts as a pause like one between
two clips, and a comma's short stop as speech like a stop consonant's closure.

One definition for the unit tests' fixture calls (``speech.py``) and the benchmark's calls
(``callgen.py``): before it, the fixtures counted every pause inside a clip as speech and the benchmark
counted every pause between clips as silence, so no hangover could fit both.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from agent_assist.coach.talk import AGENT, CUSTOMER, Segment

BRIDGE_S = 0.3
FRAME_S = 0.01
REL_PEAK = 0.02


def voiced(x: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start_s, end_s) of the 10 ms frames of ``x`` that peak above 2 % of its peak, runs joined."""
    f = max(1, round(rate * FRAME_S))
    n = -(-len(x) // f)
    if n == 0:
        return []
    a = np.abs(np.asarray(x, np.float32))
    pk = np.zeros(n * f, np.float32)
    pk[: len(a)] = a
    on = pk.reshape(n, f).max(axis=1) > REL_PEAK * float(a.max())
    e = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    return [(int(s) * f / rate, min(int(t) * f, len(x)) / rate) for s, t in zip(e[::2], e[1::2], strict=True)]


def talk_spurts(placed: Iterable[tuple[str, float, np.ndarray]], rate: int,
                bridge_s: float = BRIDGE_S) -> list[Segment]:
    """Each party's talk spurts from clips placed at ``start_s`` (samples at ``rate``), sorted by start."""
    spans: dict[str, list[tuple[float, float]]] = {AGENT: [], CUSTOMER: []}
    for party, start, x in placed:
        spans[party] += [(start + a, start + b) for a, b in voiced(x, rate)]
    out: list[Segment] = []
    for party, iv in spans.items():
        cur: list[float] | None = None
        for a, b in sorted(iv):
            if cur is not None and a - cur[1] < bridge_s:
                cur[1] = max(cur[1], b)
                continue
            if cur is not None:
                out.append(Segment(party, cur[0], cur[1]))
            cur = [a, b]
        if cur is not None:
            out.append(Segment(party, cur[0], cur[1]))
    return sorted(out, key=lambda g: g.start)
