"""Practice scenarios: loading and validating them, the customer's side of the dialogue, and the score card.

A scenario is data (YAML, checked against a JSON Schema): a persona, a voice, an opening line, a list of
customer *turns* whose *branches* are chosen from what the trainee just said, scenario-wide *reactions*
(e.g. a blaming question makes the customer curt wherever it happens), goals and a time limit.

What the trainee said is reduced to a set of *intents* (``open_question``, ``blaming_question``,
``empathy``, ``asks_order_number``, ``promise``, ...) by regular-expression patterns kept as data
(``resources/scenarios/_intents.yaml``), so a trainer can tune them without touching code.

Pure Python, no Qt and no file lookup by name: ``workflows.practice`` finds the files and passes their text,
the schema and the intents in. Everything here is testable with plain pytest.

Timeline. The session keeps a *conversation timeline*: each line takes its speech time and the parties
take turns with a short gap. Typed replies have no measurable speech time, so they count at a stated
speaking rate (``words_per_minute``, 150 by default) and are marked *estimated*; the customer's lines take
the duration of their synthesized audio when the caller reports it (``set_line_duration``), else an estimate
at the persona's speaking rate. The talk figures then come from :func:`agent_assist.coach.talk.analyze`, so
they are the same figures a live call gets.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import jsonschema
import yaml

from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, TalkMetrics, TalkSettings, analyze

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


# -- loading and validation ------------------------------------------------------------------------

def _fmt_path(path: Sequence[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _node_at(root: yaml.Node, path: Sequence[Any], *, key: bool = False) -> yaml.Node:
    """The deepest YAML node along ``path`` (so a bad value points at its own line)."""
    node = root
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(part):
                    node = k if (key and last) else v
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _line(root: yaml.Node | None, path: Sequence[Any], *, key: bool = False) -> int | None:
    if root is None:
        return None
    return _node_at(root, path, key=key).start_mark.line + 1


def _schema_problem(err: jsonschema.ValidationError, root: yaml.Node | None) -> tuple[int | None, str, str]:
    """(line, field, message) of a jsonschema error, pointing at the field itself where possible."""
    path = list(err.absolute_path)
    message = err.message
    if err.validator == "additionalProperties":
        m = re.search(r"\('([^']+)'", err.message)
        if m:
            path.append(m.group(1))
            sub = err.schema if isinstance(err.schema, Mapping) else {}
            allowed = sorted(sub.get("properties", {}))
            close = difflib.get_close_matches(m.group(1), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (_line(root, path, key=True), _fmt_path(path),
                    f"unknown field {m.group(1)!r} ({hint}allowed: {', '.join(allowed)})")
    if err.validator == "required":
        m = re.match(r"'([^']+)' is a required property", err.message)
        if m:
            line = _line(root, path)
            return line, _fmt_path([*path, m.group(1)]), f"missing required field {m.group(1)!r}"
    return _line(root, path), _fmt_path(path), message


def parse_scenario(text: str, source: str, schema: Mapping[str, Any], detector: IntentDetector,
                   name: str | None = None) -> Scenario:
    """Parse and validate a scenario (YAML or JSON text). ``source`` names the file in messages.

    Raises :class:`ScenarioError` whose message is ``"<source>:<line>: <field>: <problem>"``.
    """
    stem = name or re.sub(r"\.(ya?ml|json)$", "", source.rsplit("/", 1)[-1])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = e.problem or e.context or "syntax error"
        if e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
            what += f"; {e.context} started on line {e.context_mark.line + 1}"
        raise ScenarioError(f"{source}:{line}: not valid YAML ({what})", source=source, line=line) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{source}: not valid YAML ({e})", source=source) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario must be a mapping of fields (title, persona, ...)",
                            source=source, line=1)

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (_line(root, list(e.absolute_path)) or 0))
    if errors:
        problems = [_schema_problem(e, root) for e in errors]
        # A misspelt field shows up twice (unknown 'sya', missing 'say'): the typo is the cause.
        typos = [e for e in errors if e.validator == "additionalProperties"]
        first = typos[0] if typos else jsonschema.exceptions.best_match(errors)
        line, fld, msg = _schema_problem(first, root) if first is not None else problems[0]
        raise ScenarioError(f"{source}:{line}: {fld}: {msg}", source=source, line=line, field=fld,
                            problems=[f"{source}:{ln}: {f}: {m}" for ln, f, m in problems])

    def fail(path: Sequence[Any], msg: str, *, key: bool = False) -> ScenarioError:
        line = _line(root, path, key=key)
        return ScenarioError(f"{source}:{line}: {_fmt_path(path)}: {msg}", source=source, line=line,
                             field=_fmt_path(path))

    extra = {str(k): tuple(str(p) for p in v) for k, v in (data.get("intents") or {}).items()}
    try:
        det = detector.extended(extra, source)
    except ScenarioError as e:
        raise fail(["intents"], str(e).split(": ", 1)[-1]) from None
    known = det.names

    def intents_of(value: Any, path: list[Any], allow_default: bool) -> tuple[str, ...]:
        names = (value,) if isinstance(value, str) else tuple(value)
        for i, n in enumerate(names):
            p = path if isinstance(value, str) else [*path, i]
            if n == DEFAULT and not allow_default:
                raise fail(p, "'default' is only allowed in a turn's branches")
            if n != DEFAULT and n not in known:
                raise fail(p, f"unknown intent {n!r} (known: {', '.join(sorted(known))})")
        return tuple(str(n) for n in names)

    def branch(d: Mapping[str, Any], path: list[Any], allow_default: bool) -> Branch:
        return Branch(when=intents_of(d["when"], [*path, "when"], allow_default), say=str(d["say"]).strip(),
                      mood=d.get("mood"), next=d.get("next"), end=bool(d.get("end", False)))

    turns: list[Turn] = []
    seen: set[str] = set()
    for ti, t in enumerate(data["turns"]):
        if t["id"] in seen:
            raise fail(["turns", ti, "id"], f"turn id {t['id']!r} is used twice")
        seen.add(t["id"])
        branches = tuple(branch(b, ["turns", ti, "branches", bi], True) for bi, b in enumerate(t["branches"]))
        defaults = [bi for bi, b in enumerate(branches) if b.is_default]
        if not defaults:
            raise fail(["turns", ti, "branches"],
                       f"turn {t['id']!r} needs a branch with 'when: default' (what the customer says "
                       "when no other branch fits)")
        if len(defaults) > 1:
            raise fail(["turns", ti, "branches", defaults[1], "when"],
                       f"turn {t['id']!r} has more than one default branch")
        turns.append(Turn(id=t["id"], branches=branches, note=str(t.get("note", ""))))
    reactions = tuple(branch(b, ["reactions", i], False) for i, b in enumerate(data.get("reactions") or []))
    for ti, t in enumerate(turns):
        for bi, b in enumerate(t.branches):
            if b.next is not None and b.next not in seen:
                raise fail(["turns", ti, "branches", bi, "next"], f"no turn has the id {b.next!r}")
    for ri, b in enumerate(reactions):
        if b.next is not None and b.next not in seen:
            raise fail(["reactions", ri, "next"], f"no turn has the id {b.next!r}")

    goals: list[Goal] = []
    goal_ids: set[str] = set()
    for gi, g in enumerate(data["goals"]):
        if g["id"] in goal_ids:
            raise fail(["goals", gi, "id"], f"goal id {g['id']!r} is used twice")
        goal_ids.add(g["id"])
        goals.append(Goal(id=g["id"], label=g["label"],
                          intents=intents_of(g["intent"], ["goals", gi, "intent"], False),
                          avoid=bool(g.get("avoid", False)), within_replies=g.get("within_replies")))

    persona = data["persona"]
    v = data.get("voice") or {}
    return Scenario(
        name=stem,
        title=data["title"],
        description=str(data.get("description", "")).strip(),
        persona=Persona(persona["name"], str(persona["summary"]).strip(), persona["mood"]),
        voice=VoiceSpec(rate=int(v.get("rate", 175)), pitch=int(v.get("pitch", 50)),
                        prefer=tuple(v.get("prefer", ("en-us", "en"))), gender=v.get("gender", "any")),
        opening=str(data["opening"]).strip(),
        turns=tuple(turns),
        reactions=reactions,
        goals=tuple(goals),
        time_limit_s=float(data["time_limit_s"]),
        timeout_line=str(data.get("timeout_line") or
                         "Look, I've run out of time. I'll have to call back another day.").strip(),
        hangup_line=str(data.get("hangup_line") or
                        "You know what, forget it. I'm done with this call.").strip(),
        intents=extra,
        source=source,
    )


def load_schema(text: str) -> dict[str, Any]:
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return dict(schema)


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

