"""The scenario model: moods and weights, intents (what the trainee said, by data-driven patterns), persona, voice, turns, branches, goals."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

MOODS = ("calm", "neutral", "upset", "angry")
MOOD_CHANGES = ("calmer", "angrier")
DEFAULT = "default"
WORDS_PER_MINUTE = 150.0  # typed replies count as speech at this rate (a calm telephone pace)
TURN_GAP_S = 0.6  # pause between one party stopping and the other starting
MAX_REPLIES = 40  # a safety stop; the time limit normally ends a scenario long before
HANGUP_STRIKES = 2  # angering an already angry customer this many times ends the call

# How each part counts in the 0–100 score (stated on the score card).
WEIGHTS = {"goals": 50.0, "talk": 20.0, "phrasing": 20.0, "mood": 10.0}
MOOD_POINTS = {"calm": 1.0, "neutral": 0.7, "upset": 0.3, "angry": 0.0}


class ScenarioError(ValueError):
    """A scenario file is malformed. ``str(e)`` is one line naming the file, line and field."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None, field: str = "",
                 problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.field = field
        self.problems = tuple(problems) or (message,)


# -- intents ---------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


@dataclass(frozen=True)
class Intent:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    suppresses: tuple[str, ...] = ()
    description: str = ""


class IntentDetector:
    """Finds the intents of a reply by regular-expression patterns (case-insensitive, on normalised text).

    An intent may *suppress* others it overlaps with: "Why didn't you read the e-mail?" starts like an open
    question, but ``blaming_question`` suppresses ``open_question``.
    """

    def __init__(self, intents: Iterable[Intent]) -> None:
        self.intents: dict[str, Intent] = {i.name: i for i in intents}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], source: str = "intents") -> IntentDetector:
        """Build from ``{name: {patterns: [...], suppresses: [...], description: ...}}``."""
        if not isinstance(data, Mapping) or not data:
            raise ScenarioError(f"{source}: expected a mapping of intent names to patterns", source=source)
        out = []
        for name, spec in data.items():
            if not isinstance(spec, Mapping) or not isinstance(spec.get("patterns"), list):
                raise ScenarioError(f"{source}: intent {name!r} needs a list of patterns", source=source,
                                    field=str(name))
            out.append(Intent(str(name), tuple(_compile(p, source, str(name)) for p in spec["patterns"]),
                              tuple(str(s) for s in spec.get("suppresses", [])),
                              str(spec.get("description", ""))))
        return cls(out)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.intents)

    def extended(self, extra: Mapping[str, Sequence[str]], source: str = "scenario") -> IntentDetector:
        """A detector with more patterns (a scenario's own ``intents:``), added to or defining intents."""
        merged = dict(self.intents)
        for name, patterns in extra.items():
            compiled = tuple(_compile(p, source, f"intents.{name}") for p in patterns)
            old = merged.get(name)
            merged[name] = (replace(old, patterns=old.patterns + compiled) if old
                            else Intent(name, compiled))
        return IntentDetector(merged.values())

    def detect(self, text: str) -> frozenset[str]:
        t = _normalise(text)
        found = {name for name, i in self.intents.items() if any(p.search(t) for p in i.patterns)}
        suppressed = {s for name in found for s in self.intents[name].suppresses}
        return frozenset(found - suppressed)


def _compile(pattern: Any, source: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(str(pattern), re.IGNORECASE)
    except re.error as e:
        raise ScenarioError(f"{source}: {where}: bad pattern {pattern!r} ({e})", source=source,
                            field=where) from None


# -- the scenario model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Persona:
    name: str
    summary: str
    mood: str


@dataclass(frozen=True)
class VoiceSpec:
    """How the customer sounds: speaking rate (words/min), pitch (0–100), voice preferences, gender."""

    rate: int = 175
    pitch: int = 50
    prefer: tuple[str, ...] = ("en-us", "en")
    gender: str = "any"

    def rate_for(self, mood: str) -> int:
        """Angry people speak faster, calm ones a little slower."""
        return self.rate + {"angry": 20, "upset": 10, "neutral": 0, "calm": -10}.get(mood, 0)


@dataclass(frozen=True)
class Branch:
    when: tuple[str, ...]  # intents (any of); ('default',) for the default branch
    say: str
    mood: str | None = None
    next: str | None = None
    end: bool = False

    @property
    def is_default(self) -> bool:
        return DEFAULT in self.when


@dataclass(frozen=True)
class Turn:
    id: str
    branches: tuple[Branch, ...]
    note: str = ""

    @property
    def default(self) -> Branch:
        return next(b for b in self.branches if b.is_default)


@dataclass(frozen=True)
class Goal:
    """A goal is met when a reply shows one of ``intents`` (within the first ``within_replies`` replies);
    an *avoid* goal is met when no reply ever shows them."""

    id: str
    label: str
    intents: tuple[str, ...]
    avoid: bool = False
    within_replies: int | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    persona: Persona
    voice: VoiceSpec
    opening: str
    turns: tuple[Turn, ...]
    reactions: tuple[Branch, ...]
    goals: tuple[Goal, ...]
    time_limit_s: float
    timeout_line: str
    hangup_line: str
    intents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""

    def turn(self, turn_id: str) -> Turn:
        return next(t for t in self.turns if t.id == turn_id)
