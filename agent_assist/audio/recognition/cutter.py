"""Utterances from speech segments: the VAD's segments of one party, joined while the pauses are short,
and the audio under them (with a little padding, so word onsets are not clipped).

``cut_file_channels`` serves whole recordings; ``LiveCutter`` serves the live source, whose VAD hands
out open speech in touching pieces every second: an utterance ends when the party's VAD says the
speech that continued it has stopped (``open_start`` moved past its end), or when it grows too long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent_assist.audio.analysis import analyze_arrays
from agent_assist.audio.vad import VadSettings
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment

PAD_S = 0.2
JOIN_GAP_S = 0.3  # segments this close are one utterance (the VAD already joins pauses under 0.6 s)
MAX_UTTERANCE_S = 12.0  # a longer stretch is decoded in pieces, to keep the coach's latency bounded


@dataclass(frozen=True)
class Cut:
    party: str
    start: float
    end: float
    samples: np.ndarray  # int16 at the cutter's rate, padded by PAD_S where the audio allows
    first: int = 0  # sample index (from the start of the stream) of samples[0]


def join(segments: list[Segment], gap_s: float = JOIN_GAP_S, max_s: float = MAX_UTTERANCE_S) -> list[Segment]:
    """Per party, segments closer than ``gap_s`` merged (up to ``max_s`` long), in order of start."""
    out: list[Segment] = []
    for party in (AGENT, CUSTOMER):
        cur: Segment | None = None
        for g in sorted((g for g in segments if g.party == party), key=lambda g: g.start):
            if cur is not None and g.start - cur.end <= gap_s and g.end - cur.start <= max_s:
                cur = Segment(party, cur.start, max(cur.end, g.end))
            else:
                if cur is not None:
                    out.append(cur)
                cur = g
        if cur is not None:
            out.append(cur)
    out.sort(key=lambda g: (g.start, g.party))
    return out


def _slice(x: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    i = max(0, int((start - PAD_S) * rate))
    j = min(len(x), int(np.ceil((end + PAD_S) * rate)))
    return x[i:j]


def cut_file_channels(agent: np.ndarray, customer: np.ndarray | None, rate: int,
                      settings: VadSettings | None = None) -> list[Cut]:
    """The utterances of a recording: two aligned channels, or one (``customer`` None: mono)."""
    other = np.zeros_like(agent) if customer is None else customer
    segs = join(analyze_arrays(agent, other, rate, settings))
    chans = {AGENT: agent, CUSTOMER: other}
    return [Cut(g.party, g.start, g.end, _slice(chans[g.party], rate, g.start, g.end),
                max(0, int((g.start - PAD_S) * rate)))
            for g in segs if customer is not None or g.party == AGENT]


class LiveCutter:
    """Keeps the recent audio of each party and turns the live VAD's pieces into whole utterances."""

    def __init__(self, rate: int, parties: tuple[str, ...] = (AGENT,), keep_s: float = 30.0) -> None:
        self.rate = rate
        self.parties = parties
        self._buf = {p: np.zeros(0, np.int16) for p in parties}
        self._offset = dict.fromkeys(parties, 0)  # absolute sample index of _buf[p][0]
        self._pending: dict[str, Segment | None] = dict.fromkeys(parties)
        self._keep = int(keep_s * rate)
        self.dropped_s = 0.0  # audio thrown away before it could be decoded (kept too long)

    def add_audio(self, agent: np.ndarray, customer: np.ndarray) -> None:
        for p, x in ((AGENT, agent), (CUSTOMER, customer)):
            if p in self._buf and len(x):
                self._buf[p] = np.concatenate((self._buf[p], np.asarray(x, np.int16)))
                extra = len(self._buf[p]) - self._keep
                if extra > 0:  # nobody asked for this audio in keep_s: forget the oldest
                    self._buf[p] = self._buf[p][extra:]
                    self._offset[p] += extra

    def add_segments(self, segments: list[Segment]) -> list[Cut]:
        """Take closed VAD pieces; returns utterances that became too long to wait for."""
        out: list[Cut] = []
        for g in sorted(segments, key=lambda g: g.start):
            if g.party not in self.parties:
                continue
            cur = self._pending[g.party]
            if cur is not None and g.start - cur.end <= JOIN_GAP_S and g.end - cur.start <= MAX_UTTERANCE_S:
                self._pending[g.party] = Segment(g.party, cur.start, max(cur.end, g.end))
            else:
                if cur is not None:
                    out.append(self._cut(cur))
                self._pending[g.party] = g
        return out

    def mark(self, open_start: dict[str, float]) -> list[Cut]:
        """After each VAD step: ``open_start[party]`` is where that party's open speech began (or the
        current position when silent). A pending utterance whose speech did not continue is cut."""
        out: list[Cut] = []
        for p in self.parties:
            cur = self._pending[p]
            if cur is not None and open_start.get(p, 0.0) > cur.end + 1e-6:
                out.append(self._cut(cur))
                self._pending[p] = None
        return out

    def pending(self, party: str) -> Segment | None:
        """The closed speech of ``party`` waiting to be cut (its utterance may still continue)."""
        return self._pending.get(party)

    def audio_from(self, party: str, sample: int) -> tuple[np.ndarray, int]:
        """The audio of ``party`` kept from absolute index ``sample`` on (or from the oldest kept, if
        that is later), and the absolute index of its first sample."""
        off = self._offset[party]
        first = max(sample, off)
        return self._buf[party][first - off:], first

    def flush(self) -> list[Cut]:
        out = [self._cut(g) for g in self._pending.values() if g is not None]
        self._pending = dict.fromkeys(self.parties)
        return out

    def _cut(self, g: Segment) -> Cut:
        buf, off = self._buf[g.party], self._offset[g.party]
        i = max(0, int((g.start - PAD_S) * self.rate) - off)
        j = max(0, min(len(buf), int(np.ceil((g.end + PAD_S) * self.rate)) - off))
        if g.start * self.rate < off:
            self.dropped_s += (off - g.start * self.rate) / self.rate
        samples = buf[i:j].copy()
        # what is before this utterance's end is not needed again
        keep_from = max(0, int(g.end * self.rate) - off)
        self._buf[g.party] = buf[keep_from:]
        self._offset[g.party] = off + keep_from
        return Cut(g.party, g.start, g.end, samples, off + i)
