"""Practice workflows on a real SQLite file: scenario lookup, trainee choice, saving with redaction."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.coach.scenario import ScenarioError
from agent_assist.store.db import connect
from agent_assist.workflows import practice as wp


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "p.db")
    yield d
    d.close()


def test_catalog_lists_the_six_and_loads_by_name_or_path(tmp_path: Path) -> None:
    names = [e.name for e in wp.catalog()]
    assert len(names) >= 6 and all(e.error is None for e in wp.catalog())
    s = wp.load_scenario("third_problem")
    assert s.name == "third_problem" and s.source == "scenarios/third_problem.yaml"
    p = tmp_path / "mine.yaml"
    p.write_text(wp.resources.read_text("scenarios/third_problem.yaml"), encoding="utf-8")
    assert wp.load_scenario(str(p)).name == "mine"
    with pytest.raises(ScenarioError, match="does not exist"):
        wp.load_scenario(str(tmp_path / "missing.yaml"))
    with pytest.raises(ScenarioError, match="no scenario named 'nope'"):
        wp.load_scenario("nope")


def test_trainee_resolution(db: Database) -> None:
    first = wp.resolve_trainee(db, None, 7)  # empty database: a "Trainee" agent is made
    assert [a["name"] for a in wp.trainees(db)] == ["Trainee"]
    db["agents"].insert({"id": 7, "name": "Zed"})
    assert wp.resolve_trainee(db, None, 7) == 7
    assert wp.resolve_trainee(db, None, 99) == first
    assert wp.resolve_trainee(db, first, None) == first
    with pytest.raises(LookupError, match="no agent with id 42"):
        wp.resolve_trainee(db, 42, None)


def test_saved_attempt_is_a_practice_call_with_redacted_text(db: Database) -> None:
    db["agents"].insert({"id": 1, "name": "Ann"})
    s = wp.new_session(wp.load_scenario("double_billing"))
    s.opening()
    s.reply("Hello, I'm so sorry. Could you read me the card, 4111 1111 1111 1111, and the order number?")
    s.reply("Didn't you check?")
    s.stop("the trainer ended the call")
    saved = wp.save_attempt(db, s, 1)
    texts = [r[0] for r in db.execute(
        "SELECT text FROM utterances WHERE call_id = ? ORDER BY id", [saved.call_id]).fetchall()]
    assert len(texts) == 5
    assert "4111 1111 1111 1111" not in " ".join(texts) and "1111" in texts[1]  # "[card ••••1111]"
    segs = db.execute("SELECT party, start_s, end_s FROM speech_segments WHERE call_id = ? ORDER BY start_s",
                      [saved.call_id]).fetchall()
    assert [p for p, _s, _e in segs] == ["customer", "agent", "customer", "agent", "customer"]
    assert all(b[1] >= a[2] for a, b in itertools.pairwise(segs))
    rows = wp.attempts(db, 1)
    assert len(rows) == 1 and rows[0]["id"] == saved.attempt_id and rows[0]["trainee"] == "Ann"
    assert rows[0]["goals_total"] == 6 and rows[0]["talk_ratio"] is not None
    assert wp.attempts(db, 2) == []
    kind, outcome = db.execute("SELECT kind, outcome FROM calls WHERE id = ?", [saved.call_id]).fetchone()
    assert kind == "practice" and outcome.startswith("practice: Charged twice and angry")
