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

The package: ``model`` (the scenario's data types and the intent detector), ``loading`` (YAML + JSON Schema
validation with file/line/field messages) and ``session`` (the running conversation and its score card).
"""

from agent_assist.coach.scenario.loading import load_schema, parse_scenario
from agent_assist.coach.scenario.model import (
    DEFAULT,
    MOODS,
    WORDS_PER_MINUTE,
    Branch,
    Goal,
    Intent,
    IntentDetector,
    Persona,
    Scenario,
    ScenarioError,
    Turn,
    VoiceSpec,
)
from agent_assist.coach.scenario.session import (
    CustomerTurn,
    FlagItem,
    FlagLike,
    GoalResult,
    Line,
    PhrasingCheck,
    PracticeSession,
    ScoreCard,
    estimate_speech_s,
)

__all__ = [
    "DEFAULT", "MOODS", "WORDS_PER_MINUTE", "Branch", "CustomerTurn", "FlagItem", "FlagLike", "Goal",
    "GoalResult", "Intent", "IntentDetector", "Line", "Persona", "PhrasingCheck",
    "PracticeSession", "Scenario", "ScenarioError", "ScoreCard", "Turn", "VoiceSpec", "estimate_speech_s",
    "load_schema", "parse_scenario",
]
