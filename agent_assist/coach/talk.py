"""Talk-time figures of a two-party call: talk ratio, overtalk, silence, longest monologue, interruptions.

Pure Python, no Qt: the same code serves the live meter (``TalkTracker``, fed speech segments as they
close), the ``analyze`` command and the review screen (``analyze``).

Definitions (``DEFINITIONS`` holds the wording the UI shows):

* **talk ratio** = agent speech / (agent + customer speech); silence is excluded and overtalk counts
  for both parties. ``None`` when nobody spoke.
* **overtalk** = time both parties speak at once, in seconds and as % of the call. A *backchannel* (a
  stretch of speech shorter than ``backchannel_max_s``, e.g. "uh-huh") never counts as overtalk.
* **silence** = gaps in which neither party speaks, counted (in full) only when longer than
  ``silence_threshold_s``; the gap before the first word and after the last one count too.
* **longest monologue** = the longest stretch one party speaks without the other speaking more than a
  backchannel. The speaker's own pauses shorter than the silence threshold do not end it.
* **interruptions** = times the agent starts speaking (not a backchannel) while the customer is in
  the middle of speaking (not a backchannel).

All figures come from one time-ordered sweep (``_Sweep``) over each party's merged speech intervals, so
the whole-call analysis and the incremental tracker can never disagree.

Why this file is over 400 lines: the talk metrics' definitions (talk ratio, overtalk, silence, monologue,
backchannels) and the live tracker must compute identical figures; they share the helpers.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

AGENT = "agent"
CUSTOMER = "customer"
PARTIES = (AGENT, CUSTOMER)

DEFINITIONS: dict[str, str] = {
    "talk_ratio": "Agent speech ÷ (agent + customer speech). Silence is excluded; overtalk counts for "
    "both. Target: at most {target:.0%}.",
    "overtalk": "Time both of you speak at once, in seconds and as % of the call. A backchannel "
    "shorter than {backchannel:.1f} s (\"uh-huh\") is not counted.",
    "silence": "Gaps where neither of you speaks, counted only when longer than {silence:.0f} s.",
    "longest_monologue": "The longest stretch one party speaks without the other saying more than a "
    "backchannel (under {backchannel:.1f} s).",
    "interruptions": "Times the agent started speaking while the customer was speaking "
    "(backchannels excluded).",
}


@dataclass(frozen=True)
class Segment:
    """A stretch of speech of one party, in seconds from the start of the call."""

    party: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if self.party not in PARTIES:
            raise ValueError(f"unknown party {self.party!r}; expected 'agent' or 'customer'")
        if not self.end >= self.start >= 0:
            raise ValueError(f"bad segment times {self.start!r}–{self.end!r}")

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ChannelQuality:
    """How trustworthy one party's channel is: its effective SNR (speech level over the tracked noise
    floor, dB), the levels behind it (dBFS), whether it is too noisy to trust, and the other party's
    bleed detected in it (level relative to the source in dB, delay in ms), and the seconds of its live audio
    lost before they could be heard (the computer too busy to read the input). ``None`` = not known yet."""

    party: str
    snr_db: float | None
    noise_dbfs: float | None = None
    speech_dbfs: float | None = None
    too_noisy: bool = False
    bleed_db: float | None = None
    bleed_delay_ms: int | None = None
    lost_s: float = 0.0


@dataclass(frozen=True)
class TalkSettings:
    """Target and thresholds (seconds)."""

    target: float = 0.30
    silence_threshold_s: float = 3.0
    backchannel_max_s: float = 1.0
    window_s: float = 120.0


@dataclass(frozen=True)
class TalkMetrics:
    """Figures of a call (or of a window of it). Times in seconds; ``overtalk_pct`` in % of the call."""

    talk_ratio: float | None
    agent_speech_s: float
    customer_speech_s: float
    overtalk_s: float
    overtalk_pct: float
    silence_s: float
    longest_monologue_s: float
    longest_monologue_party: str | None
    interruptions: int
    duration_s: float
    # the agent's monologue still running at the end (for the "monologue running long" cue)
    ongoing_monologue_s: float = 0.0
    # the gap since anyone last spoke, at the end (for the "long silence" cue)
    ongoing_silence_s: float = 0.0
    # per channel, when the figures come from audio (empty for transcripts and typed segments)
    quality: tuple[ChannelQuality, ...] = ()

    @property
    def untrusted(self) -> tuple[str, ...]:
        """The parties whose channel is too noisy for their speech time to be trusted."""
        return tuple(q.party for q in self.quality if q.too_noisy)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.quality:  # figures from transcripts or segments: the same keys as always
            del d["quality"]
        return d

    def definitions(self, settings: TalkSettings | None = None) -> dict[str, str]:
        return definitions(settings)


def definitions(settings: TalkSettings | None = None) -> dict[str, str]:
    """The definitions with this configuration's thresholds filled in."""
    s = settings or TalkSettings()
    return {k: v.format(target=s.target, backchannel=s.backchannel_max_s, silence=s.silence_threshold_s)
            for k, v in DEFINITIONS.items()}


# -- the sweep -------------------------------------------------------------------------------------

@dataclass
class _Run:
    start: float
    end: float


@dataclass
class _Sweep:
    """Consumes merged, final speech intervals in order of start time and keeps every running figure.

    Each party's intervals are disjoint, so among a party's intervals that started before a given time
    only the most recent can still be open — which keeps every step O(1).
    """

    settings: TalkSettings
    origin: float = 0.0
    speech: dict[str, float] = field(default_factory=lambda: {AGENT: 0.0, CUSTOMER: 0.0})
    overtalk: float = 0.0
    silence: float = 0.0
    interruptions: int = 0
    covered_end: float = -1.0
    last_long: dict[str, tuple[float, float] | None] = field(
        default_factory=lambda: {AGENT: None, CUSTOMER: None})
    run: dict[str, _Run | None] = field(default_factory=lambda: {AGENT: None, CUSTOMER: None})
    blocked_until: dict[str, float] = field(default_factory=lambda: {AGENT: 0.0, CUSTOMER: 0.0})
    best: float = 0.0
    best_party: str | None = None
    last_start: float = float("-inf")

    def __post_init__(self) -> None:
        if self.covered_end < 0:
            self.covered_end = self.origin

    def _close(self, party: str, end: float | None = None) -> None:
        run = self.run[party]
        if run is None:
            return
        length = (run.end if end is None else min(end, run.end)) - run.start
        if length > self.best:
            self.best, self.best_party = length, party
        self.run[party] = None

    def feed(self, party: str, start: float, end: float, long: bool) -> None:
        s = self.settings
        other = CUSTOMER if party == AGENT else AGENT
        self.last_start = start
        self.speech[party] += end - start
        # silence: a gap in the union of both parties' speech
        if start > self.covered_end and start - self.covered_end > s.silence_threshold_s:
            self.silence += start - self.covered_end
        self.covered_end = max(self.covered_end, end)

        other_long = self.last_long[other]
        if long:
            if other_long is not None:
                os_, oe = other_long
                self.overtalk += max(0.0, min(end, oe) - start)
                if party == AGENT and os_ < start < oe:
                    self.interruptions += 1
            self.last_long[party] = (start, end)
            # the other party spoke more than a backchannel: their monologue stops here
            orun = self.run[other]
            if orun is not None:
                cut_end = orun.end
                self._close(other, start)
                if cut_end > end:
                    self.run[other] = _Run(end, cut_end)
            self.blocked_until[other] = max(self.blocked_until[other], end)

        # this party's monologue: speech not covered by the other's long speech
        free_start = max(start, self.blocked_until[party])
        if free_start >= end:
            return
        run = self.run[party]
        if run is not None and free_start - run.end < s.silence_threshold_s:
            run.end = max(run.end, end)
        else:
            self._close(party)
            self.run[party] = _Run(free_start, end)

    def result(self, duration_s: float) -> TalkMetrics:
        fin = copy.deepcopy(self)
        s = fin.settings
        duration = max(duration_s, fin.covered_end) - fin.origin
        end_gap = fin.origin + duration - fin.covered_end
        if end_gap > s.silence_threshold_s:
            fin.silence += end_gap
        agent_run = fin.run[AGENT]
        ongoing = agent_run.end - agent_run.start if agent_run is not None else 0.0
        for p in PARTIES:
            fin._close(p)
        a, c = fin.speech[AGENT], fin.speech[CUSTOMER]
        total = a + c
        return TalkMetrics(
            talk_ratio=(a / total) if total > 0 else None,
            agent_speech_s=a,
            customer_speech_s=c,
            overtalk_s=fin.overtalk,
            overtalk_pct=(100.0 * fin.overtalk / duration) if duration > 0 else 0.0,
            silence_s=fin.silence,
            longest_monologue_s=fin.best,
            longest_monologue_party=fin.best_party,
            interruptions=fin.interruptions,
            duration_s=duration,
            ongoing_monologue_s=ongoing if agent_run is not None and end_gap < s.silence_threshold_s
            else 0.0,
            ongoing_silence_s=max(0.0, end_gap),
        )


def _merge(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of intervals, sorted; touching or overlapping intervals become one."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _ordered(per_party: Mapping[str, Sequence[tuple[float, float]]], backchannel_max_s: float
             ) -> list[tuple[float, str, float, bool]]:
    items = [(s, p, e, (e - s) >= backchannel_max_s) for p, ivs in per_party.items() for s, e in ivs]
    # ties: the customer first, so an agent starting at the same instant is not an "interruption"
    items.sort(key=lambda t: (t[0], t[1] != CUSTOMER))
    return items


def analyze(segments: Iterable[Segment], duration_s: float | None = None,
            settings: TalkSettings | None = None,
            quality: Iterable[ChannelQuality] = ()) -> TalkMetrics:
    """Figures of a whole call. Segments may be unsorted, overlapping or nested; ``quality`` (from the
    VAD) is passed through so the figures carry how far they can be trusted."""
    s = settings or TalkSettings()
    per: dict[str, list[tuple[float, float]]] = {AGENT: [], CUSTOMER: []}
    for seg in segments:
        per[seg.party].append((seg.start, seg.end))
    merged: dict[str, Sequence[tuple[float, float]]] = {p: _merge(v) for p, v in per.items()}
    sweep = _Sweep(s)
    for start, party, end, long in _ordered(merged, s.backchannel_max_s):
        sweep.feed(party, start, end, long)
    m = sweep.result(duration_s or 0.0)
    q = tuple(quality)
    return replace(m, quality=q) if q else m


@dataclass(frozen=True)
class Timeline:
    """Who spoke when, for drawing: merged speech per party, overtalk and counted silences."""

    agent: list[tuple[float, float]]
    customer: list[tuple[float, float]]
    overtalk: list[tuple[float, float]]
    silence: list[tuple[float, float]]
    duration_s: float


def timeline(segments: Iterable[Segment], duration_s: float | None = None,
             settings: TalkSettings | None = None) -> Timeline:
    """The intervals behind the figures of ``analyze`` (same definitions)."""
    s = settings or TalkSettings()
    segs = list(segments)
    a = _merge((g.start, g.end) for g in segs if g.party == AGENT)
    c = _merge((g.start, g.end) for g in segs if g.party == CUSTOMER)
    la = [iv for iv in a if iv[1] - iv[0] >= s.backchannel_max_s]
    lc = [iv for iv in c if iv[1] - iv[0] >= s.backchannel_max_s]
    over: list[tuple[float, float]] = []
    i = j = 0
    while i < len(la) and j < len(lc):
        lo, hi = max(la[i][0], lc[j][0]), min(la[i][1], lc[j][1])
        if hi > lo:
            over.append((lo, hi))
        if la[i][1] < lc[j][1]:
            i += 1
        else:
            j += 1
    both = _merge(a + c)
    end = max([duration_s or 0.0] + [e for _s, e in both])
    silence: list[tuple[float, float]] = []
    prev = 0.0
    for st, en in [*both, (end, end)]:
        if st - prev > s.silence_threshold_s:
            silence.append((prev, st))
        prev = max(prev, en)
    return Timeline(a, c, over, silence, end)


# -- incremental -----------------------------------------------------------------------------------

class TalkTracker:
    """Running figures of a live call, fed speech segments as they close.

    Each party's speech is kept as a sorted union of intervals; an in-order segment merges with the
    last interval (amortised O(1)). Intervals that can no longer change are *settled* into a running
    ``_Sweep``; ``metrics()`` copies that sweep and feeds only the few unsettled intervals at the end,
    and ``window_metrics()`` finds its intervals by bisection — so no update re-reads the whole call.
    A segment that arrives out of order before the settled part (rare) rebuilds the sweep once.
    """

    def __init__(self, settings: TalkSettings | None = None) -> None:
        self.settings = settings or TalkSettings()
        self._iv: dict[str, list[tuple[float, float]]] = {AGENT: [], CUSTOMER: []}
        self._ends: dict[str, list[float]] = {AGENT: [], CUSTOMER: []}
        self._settled: dict[str, int] = {AGENT: 0, CUSTOMER: 0}
        self._mark: dict[str, float] = {AGENT: 0.0, CUSTOMER: 0.0}
        self._sweep = _Sweep(self.settings)
        self._latest = 0.0
        self.count = 0
        self._quality: tuple[ChannelQuality, ...] = ()

    def set_quality(self, quality: Iterable[ChannelQuality]) -> None:
        """The channels' latest quality (effective SNR, too noisy, bleed), carried by the figures."""
        self._quality = tuple(quality)

    # -- feeding --
    def add(self, segment: Segment) -> None:
        """Add a closed speech segment (any order; in order is cheapest)."""
        p = segment.party
        iv, ends = self._iv[p], self._ends[p]
        s, e = segment.start, segment.end
        self.count += 1
        self._latest = max(self._latest, e)
        if not iv or s > iv[-1][1]:
            iv.append((s, e))
            ends.append(e)
        else:
            # find every interval touching [s, e] and replace them by their union
            lo = bisect.bisect_left(ends, s)
            hi = lo
            while hi < len(iv) and iv[hi][0] <= e:
                hi += 1
            if lo == hi:
                iv.insert(lo, (s, e))
                ends.insert(lo, e)
            else:
                ns, ne = min(s, iv[lo][0]), max(e, iv[hi - 1][1])
                iv[lo:hi] = [(ns, ne)]
                ends[lo:hi] = [ne]
            if lo < self._settled[p]:
                self._rebuild()
        if s < self._sweep.last_start or (s == self._sweep.last_start and p == CUSTOMER):
            self._rebuild()
        self._settle()

    def mark_time(self, party: str, t: float) -> None:
        """Promise that no future segment of ``party`` starts before ``t`` (lets the tail settle)."""
        self._mark[party] = max(self._mark[party], t)
        self._latest = max(self._latest, t)
        self._settle()

    def _rebuild(self) -> None:
        self._sweep = _Sweep(self.settings)
        self._settled = {AGENT: 0, CUSTOMER: 0}

    def _frontier(self, p: str) -> float:
        """The earliest start any not-yet-settled interval of ``p`` can have."""
        iv, k = self._iv[p], self._settled[p]
        if k < len(iv):
            return iv[k][0]
        return max(iv[-1][1] if iv else 0.0, self._mark[p])

    def _final(self, p: str, k: int) -> bool:
        iv = self._iv[p]
        return k < len(iv) - 1 or (k == len(iv) - 1 and iv[k][1] < self._mark[p])

    def _settle(self) -> None:
        bc = self.settings.backchannel_max_s
        while True:
            cands = [(self._iv[p][self._settled[p]][0], p != CUSTOMER, p)
                     for p in PARTIES if self._final(p, self._settled[p])]
            if not cands:
                return
            start, _, p = min(cands)
            other = CUSTOMER if p == AGENT else AGENT
            frontier = self._frontier(other)
            if start > frontier or (start == frontier and p == AGENT):
                return
            s, e = self._iv[p][self._settled[p]]
            self._sweep.feed(p, s, e, (e - s) >= bc)
            self._settled[p] += 1

    # -- reading --
    def metrics(self, now_s: float | None = None) -> TalkMetrics:
        """Whole-call figures up to ``now_s`` (default: the latest time seen)."""
        sweep = copy.deepcopy(self._sweep)
        tail = {p: self._iv[p][self._settled[p]:] for p in PARTIES}
        for start, party, end, long in _ordered(tail, self.settings.backchannel_max_s):
            sweep.feed(party, start, end, long)
        m = sweep.result(self._latest if now_s is None else max(now_s, 0.0))
        return replace(m, quality=self._quality) if self._quality else m

    def window_metrics(self, now_s: float | None = None) -> TalkMetrics:
        """Figures of the last ``settings.window_s`` seconds before ``now_s``."""
        now = self._latest if now_s is None else now_s
        t0 = max(0.0, now - self.settings.window_s)
        bc = self.settings.backchannel_max_s
        items: list[tuple[float, str, float, bool]] = []
        for p in PARTIES:
            iv = self._iv[p]
            lo = bisect.bisect_right(self._ends[p], t0)
            for s, e in iv[lo:]:
                if s >= now:
                    break
                # backchannel or not is decided on the whole interval, not the clipped piece
                items.append((max(s, t0), p, min(e, now), (e - s) >= bc))
        items.sort(key=lambda t: (t[0], t[1] != CUSTOMER))
        sweep = _Sweep(self.settings, origin=t0)
        for start, party, end, long in items:
            sweep.feed(party, start, end, long)
        m = sweep.result(now)
        return replace(m, quality=self._quality) if self._quality else m

    def segments(self) -> list[Segment]:
        """The merged speech of both parties, in order of start."""
        out = [Segment(p, s, e) for p in PARTIES for s, e in self._iv[p]]
        out.sort(key=lambda g: (g.start, g.party))
        return out


# -- cues ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cue:
    """A gentle hint for the agent."""

    kind: str  # monologue | overtalk | silence | ratio
    text: str
    at_s: float


CUE_TEXT = {
    "monologue": "You've been talking for {0:.0f} s — maybe check in with a question.",
    "overtalk": "You're talking over the customer — let them finish.",
    "silence": "It's been quiet for {0:.0f} s — a short update helps the customer.",
    "ratio": "You're doing {0:.0%} of the talking lately — try an open question and listen.",
}


class Cues:
    """Turns figures into cues, each kind at most once per ``min_interval_s`` (default a minute)."""

    def __init__(self, settings: TalkSettings | None = None, *, monologue_cue_s: float = 60.0,
                 silence_cue_s: float = 8.0, overtalk_cue_s: float = 3.0,
                 min_ratio_speech_s: float = 30.0, min_interval_s: float = 60.0) -> None:
        self.settings = settings or TalkSettings()
        self.monologue_cue_s = monologue_cue_s
        self.silence_cue_s = silence_cue_s
        self.overtalk_cue_s = overtalk_cue_s
        self.min_ratio_speech_s = min_ratio_speech_s
        self.min_interval_s = min_interval_s
        self._last: dict[str, float] = {}
        self._overtalk_seen = 0.0

    def update(self, whole: TalkMetrics, window: TalkMetrics, now_s: float) -> list[Cue]:
        """Cues due now. ``whole`` = whole-call figures, ``window`` = the recent window's."""
        due: list[Cue] = []

        def fire(kind: str, value: float) -> None:
            last = self._last.get(kind)
            if last is not None and now_s - last < self.min_interval_s:
                return
            self._last[kind] = now_s
            due.append(Cue(kind, CUE_TEXT[kind].format(value), now_s))

        if whole.ongoing_monologue_s >= self.monologue_cue_s:
            fire("monologue", whole.ongoing_monologue_s)
        new_overtalk = whole.overtalk_s - self._overtalk_seen
        if new_overtalk >= self.overtalk_cue_s:
            self._overtalk_seen = whole.overtalk_s
            fire("overtalk", new_overtalk)
        if whole.ongoing_silence_s >= self.silence_cue_s and whole.duration_s > whole.ongoing_silence_s:
            fire("silence", whole.ongoing_silence_s)
        speech = window.agent_speech_s + window.customer_speech_s
        if (window.talk_ratio is not None and speech >= self.min_ratio_speech_s
                and window.talk_ratio > self.settings.target):
            fire("ratio", window.talk_ratio)
        return due
