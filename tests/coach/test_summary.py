"""coach.summary on hand-computed examples."""

from __future__ import annotations

import json

import pytest

from agent_assist.coach.summary import Targets, box_stats, fmt_duration, summarize

# agent 0–10, customer 10–40, agent 38–50 (2 s overtalk, an interruption), nobody 50–60 (10 s silence),
# customer 60–100. Agent 22 s, customer 70 s: talk ratio 22 / 92 = 0.2391.
SEGMENTS = [("agent", 0.0, 10.0), ("customer", 10.0, 40.0), ("agent", 38.0, 50.0),
            ("customer", 60.0, 100.0)]
CALL = {"id": 7, "kind": "call", "agent": "Ann", "customer": "Carla", "status": "done",
        "started_at": "2026-11-02T09:00:00", "ended_at": "2026-11-02T09:01:40", "duration_s": 100.0,
        "outcome": "resolved", "notes": "Refund sent."}
TEXT = "Didn't you read the manual?"
UTTERANCES = [
    {"id": 1, "party": "agent", "start_s": 0.0, "text": "Hello, how can I help?", "flags": []},
    {"id": 2, "party": "agent", "start_s": 38.0, "text": TEXT, "flags": [
        {"category": "loaded", "start": 0, "end": 6, "reason": "Assumes the customer is at fault.",
         "suggestion": "Which steps have you tried so far?"},
        {"category": "negative_language", "start": 7, "end": 26, "reason": "Blames the customer.",
         "suggestion": "Let's go through it together."}]},
    {"id": 3, "party": "agent", "start_s": 45.0, "text": "I guarantee it arrives tomorrow.", "flags": [
        {"category": "over_promise", "start": 2, "end": 11, "reason": "Promises more than we control.",
         "suggestion": "It usually arrives within two days."}]},
]
TASKS = [{"id": 1, "text": "Send refund form", "done": 1}, {"id": 2, "text": "Call back Friday", "done": 0}]


def test_metrics_against_targets() -> None:
    s = summarize(CALL, SEGMENTS, UTTERANCES, TASKS, [{"title": "Router"}], [{"title": "Bill"}])
    m = s.metrics
    assert m is not None
    assert m.agent_speech_s == pytest.approx(22.0)
    assert m.customer_speech_s == pytest.approx(70.0)
    assert m.talk_ratio == pytest.approx(22 / 92)
    assert m.overtalk_s == pytest.approx(2.0) and m.overtalk_pct == pytest.approx(2.0)
    assert m.silence_s == pytest.approx(10.0)
    assert m.longest_monologue_s == pytest.approx(40.0) and m.longest_monologue_party == "customer"
    checks = {c.key: c for c in s.checks}
    assert (checks["talk_ratio"].value, checks["talk_ratio"].target, checks["talk_ratio"].status) == (
        "24%", "≤ 30%", "ok")
    assert checks["overtalk"].value == "2 s (2.0%)" and checks["overtalk"].status == "ok"
    # the longest monologue is the customer's: listening is not a miss
    assert checks["longest_monologue"].value == "0:40 (customer)"
    assert checks["longest_monologue"].status == "ok"
    assert "Target: at most 30%" in checks["talk_ratio"].definition


def test_missed_targets() -> None:
    # agent 0–80, customer 80–100: ratio 0.8, an 80 s agent monologue
    s = summarize(CALL, [("agent", 0.0, 80.0), ("customer", 80.0, 100.0)], targets=Targets())
    checks = {c.key: c.status for c in s.checks}
    assert checks["talk_ratio"] == "over" and checks["longest_monologue"] == "over"
    strict = summarize(CALL, SEGMENTS, targets=Targets(talk_ratio=0.2, overtalk_pct=1.0))
    checks = {c.key: c.status for c in strict.checks}
    assert checks["talk_ratio"] == "over" and checks["overtalk"] == "over"


def test_flags_by_category_with_span_reason_rewrite() -> None:
    s = summarize(CALL, SEGMENTS, UTTERANCES, TASKS)
    assert s.flag_counts == {"leading": 0, "loaded": 1, "blaming": 0, "negative_language": 1,
                             "over_promise": 1}
    assert s.flags_total == 3
    assert [u.utterance_id for u in s.flagged] == [2, 3]
    first = s.flagged[0].flags
    assert (first[0].span, first[0].label, first[0].suggestion) == (
        "Didn't", "Loaded question", "Which steps have you tried so far?")
    assert first[1].span == "you read the manual"
    assert s.flagged[1].flags[0].span == "guarantee"


def test_wrap_up_tasks_and_issues() -> None:
    s = summarize(CALL, SEGMENTS, UTTERANCES, TASKS, [{"title": "Router"}], [{"title": "Bill"}])
    assert (s.outcome, s.notes) == ("resolved", "Refund sent.")
    assert [t["text"] for t in s.open_tasks] == ["Call back Friday"]
    assert len(s.tasks) == 2
    assert (s.issues_opened, s.issues_resolved) == (("Router",), ("Bill",))
    assert not s.in_progress and s.notices == ()
    json.dumps(s.to_dict())  # JSON-ready


def test_no_segments_and_in_progress() -> None:
    s = summarize({**CALL, "status": "active", "ended_at": None, "duration_s": None}, [], UTTERANCES)
    assert s.metrics is None and s.checks == ()
    assert s.in_progress
    assert any("still in progress" in n for n in s.notices)
    assert any("No speech was recorded" in n for n in s.notices)
    assert s.flags_total == 3  # flags are still shown
    assert s.duration_s is None


def test_duration_from_times_when_not_stored() -> None:
    s = summarize({**CALL, "duration_s": None}, SEGMENTS)
    assert s.duration_s == pytest.approx(100.0)


def test_box_stats_and_format() -> None:
    b = box_stats([0.4, 0.1, 0.2, 0.3, 0.5])
    assert b is not None
    assert (b.low, b.q1, b.median, b.q3, b.high, b.n) == pytest.approx((0.1, 0.2, 0.3, 0.4, 0.5, 5))
    b = box_stats([1.0, 2.0, 3.0, 4.0])  # positions 0.75, 1.5, 2.25
    assert b is not None and (b.q1, b.median, b.q3) == pytest.approx((1.75, 2.5, 3.25))
    assert box_stats([]) is None
    assert [fmt_duration(x) for x in (None, 5, 65.4, 3725)] == ["—", "0:05", "1:05", "1:02:05"]


def test_a_parked_task_handed_to_a_follow_up_is_shown_once() -> None:
    call = {"id": 1, "status": "done", "started_at": "2026-11-20T10:00:00", "ended_at": "2026-11-20T10:05:00"}
    tasks = [
        {"id": 1, "kind": "parked", "text": "Send the setup guide", "done": 1},
        {"id": 2, "kind": "follow_up", "text": "Send the setup guide", "done": 0, "due_at": "2026-11-21"},
        {"id": 3, "kind": "parked", "text": "Check the outage map", "done": 1},
    ]
    s = summarize(call, [], tasks=tasks)
    assert [(t["id"], t["text"]) for t in s.tasks] == [(2, "Send the setup guide"), (3, "Check the outage map")]
    assert [t["id"] for t in s.open_tasks] == [2]
