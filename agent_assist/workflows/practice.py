"""Practice attempts: finding scenarios, starting a session, and saving an attempt.

Shared by the Practice tab and ``agent-assist practice``. A saved attempt is a ``calls`` row with
``kind='practice'`` and ``source='practice'`` (so Review and the talk figures treat it like a call: its speech
segments, utterances and phrasing flags are stored the same way) plus a ``practice_attempts`` row with the
scenario, the trainee, the score and the goals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent_assist import resources
from agent_assist.coach.scenario import (
    IntentDetector,
    PhrasingCheck,
    PracticeSession,
    Scenario,
    ScenarioError,
    ScoreCard,
    load_schema,
    parse_scenario,
)
from agent_assist.coach.talk import TalkSettings
from agent_assist.store import calls as store_calls

FOLDER = "scenarios"
SCHEMA = f"{FOLDER}/schema.json"
INTENTS = f"{FOLDER}/_intents.yaml"


@cache
def schema() -> dict[str, Any]:
    return load_schema(resources.read_text(SCHEMA))


@cache
def intents() -> IntentDetector:
    import yaml

    return IntentDetector.from_data(yaml.safe_load(resources.read_text(INTENTS)), INTENTS)


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (files ``resources/scenarios/<name>.yaml``)."""
    return [n.rsplit(".", 1)[0] for n in resources.listdir(FOLDER)
            if n.endswith((".yaml", ".yml")) and not n.startswith("_")]


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path. Raises ``ScenarioError`` (one clear line)."""
    text_name = str(name_or_path)
    p = Path(text_name).expanduser()
    looks_like_path = p.suffix.lower() in (".yaml", ".yml", ".json") or "/" in text_name or p.exists()
    if looks_like_path:
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(f"scenario file {p} does not exist", source=str(p)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise ScenarioError(f"scenario file {p} cannot be read ({e})", source=str(p)) from None
        return parse_scenario(text, str(p), schema(), intents())
    names = scenario_names()
    if text_name not in names:
        raise ScenarioError(f"no scenario named {text_name!r} (known: {', '.join(names)})")
    rel = f"{FOLDER}/{text_name}.yaml"
    return parse_scenario(resources.read_text(rel), rel, schema(), intents(), name=text_name)


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    persona: str
    mood: str
    time_limit_s: float
    goals: int
    error: str | None = None


def catalog() -> list[CatalogEntry]:
    """Every shipped scenario; a broken file is listed with its error instead of hiding the others."""
    out = []
    for n in scenario_names():
        try:
            s = load_scenario(n)
        except ScenarioError as e:
            out.append(CatalogEntry(n, n, "", "", 0.0, 0, str(e)))
            continue
        out.append(CatalogEntry(n, s.title, s.persona.summary, s.persona.mood, s.time_limit_s, len(s.goals)))
    return out


def new_session(scenario: Scenario, checker: PhrasingCheck | None = None, *, phrasing_note: str = "",
                talk_settings: TalkSettings | None = None) -> PracticeSession:
    kw: dict[str, Any] = {}
    if phrasing_note:
        kw["phrasing_note"] = phrasing_note
    return PracticeSession(scenario, intents(), checker, talk_settings=talk_settings, **kw)


def phrasing_checker() -> tuple[PhrasingCheck | None, str]:
    """The phrasing checker with the spaCy model, or ``(None, why not)``; loading takes a second or two."""
    import importlib

    try:
        phrasing = importlib.import_module("agent_assist.coach.phrasing")
    except ImportError as e:
        return None, f"the phrasing checker is not installed ({e})"
    try:
        return phrasing.PhrasingChecker(phrasing.load_nlp()), ""
    except Exception as e:  # ModelMissing or a broken model: practice goes on without phrasing checks
        return None, str(e).splitlines()[0] if str(e) else type(e).__name__


# -- trainees --------------------------------------------------------------------------------------

def trainees(db: Database) -> list[dict[str, Any]]:
    """Agents who can practise, ``{id, name, ...}`` by name."""
    from agent_assist.store import queries

    return queries.list_agents(db)


def resolve_trainee(db: Database, trainee_id: int | None, default_id: int | None = None) -> int:
    """The trainee's agent id: the one asked for (must exist), else the default agent if it exists, else
    the first agent, else a new agent named "Trainee" (so an empty database can still save attempts)."""
    agents = {a["id"]: a for a in trainees(db)}
    if trainee_id is not None:
        if trainee_id not in agents:
            raise LookupError(f"no agent with id {trainee_id} (see the agents in the database)")
        return int(trainee_id)
    if default_id is not None and default_id in agents:
        return default_id
    if agents:
        return int(min(agents))
    with db.conn:
        cur = db.execute("INSERT INTO agents (name, team, created_at) VALUES ('Trainee', 'Training', ?)",
                         [store_calls.now_iso()])
    return int(cur.lastrowid or 0)


# -- saving ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SavedAttempt:
    attempt_id: int
    call_id: int


def save_attempt(db: Database, session: PracticeSession, trainee_id: int,
                 card: ScoreCard | None = None, started_at: str | None = None) -> SavedAttempt:
    """Store the attempt: the call (segments, utterances with flags, metrics) and the attempt row."""
    from agent_assist.coach.redact import redact

    card = card or session.score_card()
    scenario = session.scenario
    call_id = store_calls.start_call(db, agent_id=trainee_id, customer_id=None, kind="practice",
                                     source="practice", started_at=started_at)
    store_calls.add_segments(db, call_id, [(s.party, s.start, s.end) for s in session.segments()])
    starts = [0.0]
    for ln in session.lines:
        starts.append(starts[-1] + ln.duration_s + session.turn_gap_s)
    for ln, start in zip(session.lines, starts, strict=False):
        r = redact(ln.text)
        # a redaction shifts character offsets, so flags keep their category and rewrite but lose the span
        flags = [{"category": f.category, "start": None if r.changed else f.start,
                  "end": None if r.changed else f.end, "reason": f.reason, "suggestion": f.suggestion}
                 for f in ln.flags]
        store_calls.add_utterance(db, call_id, party=ln.party, text=r.text, start_s=round(start, 3),
                                  redacted=r.changed, flags=flags)
    metrics = card.talk.to_dict()
    summary = {"practice": card.to_dict(), "scenario": scenario.name, "title": scenario.title}
    outcome = f"practice: {scenario.title} — score {card.score:.0f}/100"
    store_calls.finish_call(db, call_id, metrics=metrics, outcome=outcome, summary=summary,
                            notes=card.ended_by)
    row = db.conn.execute("SELECT started_at FROM calls WHERE id = ?", [call_id]).fetchone()
    with db.conn:
        cur = db.execute(
            "INSERT INTO practice_attempts (call_id, scenario, trainee_id, started_at, score, goals_met,"
            " goals_total, result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [call_id, scenario.name, trainee_id, row[0], card.score, card.goals_met, len(card.goals),
             json.dumps(card.to_dict(), sort_keys=True)],
        )
    return SavedAttempt(int(cur.lastrowid or 0), call_id)


def attempts(db: Database, trainee_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Saved attempts, newest first, with the trainee's name and the talk ratio of the attempt."""
    sql = ("SELECT a.id, a.call_id, a.scenario, a.trainee_id, ag.name AS trainee, a.started_at, a.score,"
           " a.goals_met, a.goals_total, c.talk_ratio, c.longest_monologue_s, c.flags_count"
           " FROM practice_attempts a JOIN calls c ON c.id = a.call_id"
           " LEFT JOIN agents ag ON ag.id = a.trainee_id")
    params: list[Any] = []
    if trainee_id is not None:
        sql += " WHERE a.trainee_id = ?"
        params.append(trainee_id)
    sql += " ORDER BY a.started_at DESC, a.id DESC LIMIT ?"
    params.append(limit)
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
