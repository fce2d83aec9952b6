"""The running practice conversation: the customer's side of the dialogue, its timeline and the score card.

How scenarios, intents and the timeline work is told once, in the package docstring
(``agent_assist/coach/scenario/__init__.py``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from agent_assist.coach.scenario.model import (
    DEFAULT,
    HANGUP_STRIKES,
    MAX_REPLIES,
    MOOD_POINTS,
    MOODS,
    TURN_GAP_S,
    WEIGHTS,
    WORDS_PER_MINUTE,
    Branch,
    IntentDetector,
    Scenario,
    Turn,
)
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, TalkMetrics, TalkSettings, analyze

# -- the session -----------------------------------------------------------------------------------

class FlagLike(Protocol):
    """What the phrasing checker returns per flag (``coach.phrasing.Flag``)."""

    @property
    def category(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def suggestion(self) -> str: ...


class PhrasingCheck(Protocol):
    def check(self, text: str) -> Sequence[FlagLike]: ...


@dataclass(frozen=True)
class Line:
    """One line of the conversation. ``estimated``: its duration comes from a speaking rate."""

    party: str
    text: str
    duration_s: float
    estimated: bool
    intents: frozenset[str] = frozenset()
    flags: tuple[FlagItem, ...] = ()
    mood: str | None = None


@dataclass(frozen=True)
class CustomerTurn:
    """What the customer says next; ``index`` is its line number (for ``set_line_duration``)."""

    index: int
    text: str
    mood: str
    rate: int  # words per minute to speak it at (the persona's rate, adjusted for mood)
    duration_s: float  # estimated until the synthesized audio's duration is reported
    heard: frozenset[str] = frozenset()  # the intents detected in the trainee's reply
    branch: str = ""  # which branch answered ("turn_id:intent", "reaction:intent", "opening", ...)
    ends: bool = False
    ended_by: str | None = None


@dataclass(frozen=True)
class FlagItem:
    reply: int  # 1-based number of the trainee's reply
    utterance: str
    category: str
    start: int
    end: int
    reason: str
    suggestion: str

    @property
    def span(self) -> str:
        return self.utterance[self.start:self.end]

    def to_dict(self) -> dict[str, Any]:
        return {"reply": self.reply, "utterance": self.utterance, "category": self.category,
                "start": self.start, "end": self.end, "reason": self.reason, "suggestion": self.suggestion,
                "span": self.span}


@dataclass(frozen=True)
class GoalResult:
    id: str
    label: str
    met: bool
    avoid: bool
    detail: str  # "reply 2", "not heard", "broken in reply 3"
    reply: int | None = None  # the trainee's reply that met (or broke) the goal, counted from 1


@dataclass(frozen=True)
class ScoreCard:
    scenario: str
    title: str
    talk: TalkMetrics
    talk_target: float
    agent_estimated: bool
    customer_estimated: bool
    words_per_minute: float
    flags: tuple[FlagItem, ...]
    phrasing_available: bool
    phrasing_note: str
    goals: tuple[GoalResult, ...]
    mood_start: str
    mood_end: str
    ended_by: str
    replies: int
    score: float
    parts: Mapping[str, float]

    @property
    def goals_met(self) -> int:
        return sum(g.met for g in self.goals)

    @property
    def talk_ok(self) -> bool:
        return self.talk.talk_ratio is not None and self.talk.talk_ratio <= self.talk_target

    def estimate_note(self) -> str:
        parts = []
        if self.agent_estimated:
            parts.append(f"your typed replies count at {self.words_per_minute:.0f} words/min")
        if self.customer_estimated:
            parts.append("the customer's lines at the persona's speaking rate")
        return ("estimated: " + "; ".join(parts)) if parts else "measured"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "title": self.title, "talk": self.talk.to_dict(),
            "talk_target": self.talk_target, "agent_estimated": self.agent_estimated,
            "customer_estimated": self.customer_estimated, "words_per_minute": self.words_per_minute,
            "flags": [f.to_dict() for f in self.flags], "phrasing_available": self.phrasing_available,
            "phrasing_note": self.phrasing_note,
            "goals": [{"id": g.id, "label": g.label, "met": g.met, "avoid": g.avoid, "detail": g.detail}
                      for g in self.goals],
            "goals_met": self.goals_met, "goals_total": len(self.goals),
            "mood_start": self.mood_start, "mood_end": self.mood_end, "ended_by": self.ended_by,
            "replies": self.replies, "score": self.score, "parts": dict(self.parts),
        }

    def lines(self) -> list[str]:
        """The card as plain text lines; the talk ratio comes first."""
        t = self.talk
        ratio = "n/a (nobody spoke)" if t.talk_ratio is None else f"{t.talk_ratio:.0%}"
        mark = "✓" if self.talk_ok else "✗"
        out = [
            f"Talk ratio: {ratio} (target at most {self.talk_target:.0%}) {mark}  [{self.estimate_note()}]",
            f"Longest monologue: {t.longest_monologue_s:.1f} s"
            + (f" ({'you' if t.longest_monologue_party == AGENT else 'customer'})"
               if t.longest_monologue_party else ""),
            f"Speech: you {t.agent_speech_s:.1f} s, customer {t.customer_speech_s:.1f} s",
        ]
        if not self.phrasing_available:
            out.append(f"Phrasing flags: not checked ({self.phrasing_note})")
        else:
            out.append(f"Phrasing flags: {len(self.flags)}")
            for f in self.flags:
                out.append(f"  - reply {f.reply} [{f.category}] \"{f.span}\": {f.reason}")
                if f.suggestion:
                    out.append(f"    try: {f.suggestion}")
        out.append(f"Goals: {self.goals_met}/{len(self.goals)}")
        for g in self.goals:
            out.append(f"  {'✓' if g.met else '✗'} {g.label} ({g.detail})")
        out.append(f"Customer mood: {self.mood_start} → {self.mood_end}")
        out.append(f"Ended: {self.ended_by}")
        weights = ", ".join(f"{k} {v:.0f}" for k, v in self.parts.items())
        out.append(f"Score: {self.score:.0f}/100  ({weights})")
        return out


def estimate_speech_s(text: str, words_per_minute: float) -> float:
    """Seconds it takes to say ``text`` at ``words_per_minute`` (at least 0.3 s for any words)."""
    words = len(re.findall(r"[\w'’-]+", text))
    return 0.0 if not words else max(0.3, words * 60.0 / words_per_minute)


def _shift(mood: str, change: str | None) -> str:
    if change is None:
        return mood
    if change in MOODS:
        return change
    i = MOODS.index(mood) + (1 if change == "angrier" else -1)
    return MOODS[max(0, min(len(MOODS) - 1, i))]


def _implicit_mood(heard: frozenset[str]) -> str | None:
    """The customer's reaction when the branch does not set one: blame and dismissal anger, empathy calms."""
    if heard & {"blaming_question", "rude"}:
        return "angrier"
    if "empathy" in heard:
        return "calmer"
    return None


class PracticeSession:
    """One attempt at a scenario: the customer's side of the dialogue, goals, and the score card.

    ``checker`` is the phrasing checker (``coach.phrasing.PhrasingChecker``); without it the session still
    runs and the score card says phrasing was not checked (``phrasing_note`` says why).
    """

    def __init__(self, scenario: Scenario, detector: IntentDetector, checker: PhrasingCheck | None = None,
                 *, words_per_minute: float = WORDS_PER_MINUTE, talk_settings: TalkSettings | None = None,
                 phrasing_note: str = "the phrasing checker is not available",
                 turn_gap_s: float = TURN_GAP_S) -> None:
        self.scenario = scenario
        self.detector = detector.extended(scenario.intents, scenario.source)
        self.checker = checker
        self.phrasing_note = "" if checker is not None else phrasing_note
        self.words_per_minute = words_per_minute
        self.talk_settings = talk_settings or TalkSettings()
        self.turn_gap_s = turn_gap_s
        self.lines: list[Line] = []
        self.mood = scenario.persona.mood
        self.finished = False
        self.ended_by: str | None = None
        self._turn = 0  # index into scenario.turns
        self._strikes = 0
        self._replies = 0
        self._goal_hits: dict[str, int] = {}  # goal id -> reply number where it was met (or broken)
        self._opened = False

    # -- dialogue --
    def opening(self) -> CustomerTurn:
        """The customer's first line (recorded once; calling again returns the same line)."""
        if not self._opened:
            self._opened = True
            return self._say(self.scenario.opening, frozenset(), "opening")
        first = self.lines[0]
        return CustomerTurn(0, first.text, first.mood or self.mood, self.scenario.voice.rate_for(self.mood),
                            first.duration_s, branch="opening")

    def reply(self, text: str, speech_s: float | None = None) -> CustomerTurn | None:
        """Record the trainee's reply and return the customer's answer (``None`` once the scenario ended).

        ``speech_s`` is the measured speech time (microphone + VAD); without it the time is estimated
        from the words at ``words_per_minute``.
        """
        if self.finished:
            return None
        if not self._opened:
            self.opening()
        text = text.strip()
        self._replies += 1
        n = self._replies
        flags: tuple[FlagItem, ...] = ()
        if self.checker is not None and text:
            flags = tuple(FlagItem(n, text, f.category, int(f.start), int(f.end), f.reason, f.suggestion or "")
                          for f in self.checker.check(text))
        heard = self.detector.detect(text) if text else frozenset()
        duration = speech_s if speech_s is not None else estimate_speech_s(text, self.words_per_minute)
        self.lines.append(Line(AGENT, text, float(duration), speech_s is None, heard, flags))
        self._score_goals(heard, n)

        if self.timeline_s() >= self.scenario.time_limit_s:
            return self._end(self.scenario.timeout_line, heard, "time limit reached", "timeout")
        if n >= MAX_REPLIES:
            return self._end(self.scenario.timeout_line, heard, "too many replies", "timeout")

        turn = self.scenario.turns[self._turn]
        chosen, is_reaction, why = self._choose(turn, heard)
        change = chosen.mood or _implicit_mood(heard)
        new_mood = _shift(self.mood, change)
        if change == "angrier" and self.mood == "angry":
            self._strikes += 1
            if self._strikes >= HANGUP_STRIKES:
                self.mood = "angry"
                return self._end(self.scenario.hangup_line, heard, "the customer hung up", "hangup")
        self.mood = new_mood
        if chosen.end:
            return self._end(chosen.say, heard, "the scenario reached its end", why)
        if chosen.next is not None:
            self._turn = next(i for i, t in enumerate(self.scenario.turns) if t.id == chosen.next)
        elif not is_reaction:
            if self._turn + 1 >= len(self.scenario.turns):
                return self._end(chosen.say, heard, "the scenario reached its end", why)
            self._turn += 1
        return self._say(chosen.say, heard, why)

    def _choose(self, turn: Turn, heard: frozenset[str]) -> tuple[Branch, bool, str]:
        for b in turn.branches:
            hit = [w for w in b.when if w in heard]
            if hit and not b.is_default:
                return b, False, f"{turn.id}:{hit[0]}"
        for b in self.scenario.reactions:
            hit = [w for w in b.when if w in heard]
            if hit:
                return b, True, f"reaction:{hit[0]}"
        return turn.default, False, f"{turn.id}:{DEFAULT}"

    def _say(self, text: str, heard: frozenset[str], why: str, *, ends: bool = False) -> CustomerTurn:
        rate = self.scenario.voice.rate_for(self.mood)
        duration = estimate_speech_s(text, rate)
        self.lines.append(Line(CUSTOMER, text, duration, True, mood=self.mood))
        return CustomerTurn(len(self.lines) - 1, text, self.mood, rate, duration, heard, why, ends,
                            self.ended_by)

    def _end(self, text: str, heard: frozenset[str], ended_by: str, why: str) -> CustomerTurn:
        self.finished = True
        self.ended_by = ended_by
        return self._say(text, heard, why, ends=True)

    def stop(self, reason: str = "the trainee ended the call") -> None:
        """End the attempt early (end of input, the trainer pressed End)."""
        if not self.finished:
            self.finished = True
            self.ended_by = reason

    def set_line_duration(self, index: int, duration_s: float) -> None:
        """Report the real duration of a line (the synthesized customer audio, or measured speech)."""
        self.lines[index] = replace(self.lines[index], duration_s=float(duration_s), estimated=False)

    # -- goals --
    def _score_goals(self, heard: frozenset[str], n: int) -> None:
        for g in self.scenario.goals:
            if g.id in self._goal_hits:
                continue
            if g.within_replies is not None and n > g.within_replies and not g.avoid:
                continue
            if any(i in heard for i in g.intents):
                self._goal_hits[g.id] = n

    def goal_results(self) -> tuple[GoalResult, ...]:
        out = []
        for g in self.scenario.goals:
            n = self._goal_hits.get(g.id)
            if g.avoid:
                out.append(GoalResult(g.id, g.label, n is None, True,
                                      "kept" if n is None else f"broken in reply {n}", n))
            else:
                out.append(GoalResult(g.id, g.label, n is not None, False,
                                      f"reply {n}" if n is not None else "not heard", n))
        return tuple(out)

    # -- timeline and figures --
    def segments(self) -> list[Segment]:
        """Speech segments of the conversation so far (lines in order, a short gap between parties)."""
        out: list[Segment] = []
        t = 0.0
        prev: str | None = None
        for ln in self.lines:
            if prev is not None:
                t += self.turn_gap_s
            if ln.duration_s > 0:
                out.append(Segment(ln.party, t, t + ln.duration_s))
            t += ln.duration_s
            prev = ln.party
        return out

    def timeline_s(self) -> float:
        segs = self.segments()
        return segs[-1].end if segs else 0.0

    def talk_metrics(self) -> TalkMetrics:
        return analyze(self.segments(), self.timeline_s(), self.talk_settings)

    def score_card(self) -> ScoreCard:
        talk = self.talk_metrics()
        goals = self.goal_results()
        flags = tuple(f for ln in self.lines for f in ln.flags)
        target = self.talk_settings.target
        parts: dict[str, float] = {}
        parts["goals"] = WEIGHTS["goals"] * (sum(g.met for g in goals) / len(goals) if goals else 1.0)
        r = talk.talk_ratio
        parts["talk"] = 0.0 if r is None else WEIGHTS["talk"] * max(0.0, min(1.0, 1 - (r - target) / 0.30))
        if self.checker is not None:
            parts["phrasing"] = WEIGHTS["phrasing"] * max(0.0, 1 - 0.34 * len(flags))
        hung_up = self.ended_by == "the customer hung up"
        parts["mood"] = 0.0 if hung_up else WEIGHTS["mood"] * MOOD_POINTS.get(self.mood, 0.0)
        if self._replies == 0:
            parts = dict.fromkeys(parts, 0.0)
        possible = sum(WEIGHTS[k] for k in parts)
        score = round(100.0 * sum(parts.values()) / possible, 1)
        agent_lines = [ln for ln in self.lines if ln.party == AGENT]
        customer_lines = [ln for ln in self.lines if ln.party == CUSTOMER]
        return ScoreCard(
            scenario=self.scenario.name, title=self.scenario.title, talk=talk, talk_target=target,
            agent_estimated=any(ln.estimated for ln in agent_lines),
            customer_estimated=any(ln.estimated for ln in customer_lines),
            words_per_minute=self.words_per_minute, flags=flags,
            phrasing_available=self.checker is not None, phrasing_note=self.phrasing_note, goals=goals,
            mood_start=self.scenario.persona.mood, mood_end=self.mood,
            ended_by=self.ended_by or "not finished", replies=self._replies, score=score,
            parts={k: round(v, 1) for k, v in parts.items()},
        )

