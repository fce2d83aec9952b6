"""The call workflow over a real SQLite store: every state against every event, and what each writes."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from agent_assist.store import calls as store
from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.store.demo import build_demo
from agent_assist.telephony.events import CallEvent, CallEventKind
from agent_assist.workflows import calls as wf
from agent_assist.workflows.calls import CallAction, CallState, IllegalTransition, UnknownCall

T0 = datetime(2026, 12, 2, 14, 0, 0, tzinfo=UTC)

EXPECTED = {
    (CallState.RINGING, CallAction.RING): CallState.RINGING,
    (CallState.RINGING, CallAction.ANSWER): CallState.ACTIVE,
    (CallState.RINGING, CallAction.HANGUP): CallState.MISSED,
    (CallState.RINGING, CallAction.DECLINE): CallState.MISSED,
    (CallState.ACTIVE, CallAction.HOLD): CallState.HELD,
    (CallState.ACTIVE, CallAction.HANGUP): CallState.WRAP_UP,
    (CallState.HELD, CallAction.RESUME): CallState.ACTIVE,
    (CallState.HELD, CallAction.HANGUP): CallState.WRAP_UP,
    (CallState.WRAP_UP, CallAction.FINISH): CallState.DONE,
}
PAIRS = list(itertools.product(CallState, CallAction))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calls") / "template.db"
    d = connect(path)
    build_demo(d, customers=20, seed=5)
    d.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    d.close()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[Database]:
    shutil.copyfile(template, tmp_path / "calls.db")
    d = connect(tmp_path / "calls.db")
    yield d
    d.close()


def customer(db: Database, cid: int = 1) -> dict[str, Any]:
    cur = db.execute("SELECT id, name, phone_e164, preferred_channel, preferred_hours FROM customers WHERE id = ?",
                     [cid])
    return dict(zip([c[0] for c in cur.description], cur.fetchone(), strict=True))


def row(db: Database, call_id: int) -> dict[str, Any]:
    r = store.call_record(db, call_id)
    assert r is not None
    return r


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_the_table_is_exactly_the_design(state: CallState, action: CallAction) -> None:
    if (state, action) in EXPECTED:
        assert wf.next_state(state, action) is EXPECTED[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            wf.next_state(state, action)
    assert dict(wf.TRANSITIONS) == EXPECTED


def _call_in(db: Database, state: CallState, ref: str) -> int:
    at = (T0 - timedelta(minutes=5)).replace(tzinfo=None).isoformat(timespec="milliseconds")
    cid = store.insert_ringing(db, agent_id=1, call_ref=ref, phone_e164=customer(db)["phone_e164"],
                               display_name="", customer_id=1, rang_at=at)
    values: dict[str, Any] = {"status": state.value}
    if state not in (CallState.RINGING, CallState.MISSED):
        values["answered_at"] = at
    if state is CallState.HELD:
        values["held_at"] = at
    store.update_call(db, cid, values)
    db.conn.commit()
    return cid


def _do(db: Database, action: CallAction, ref: str, call_id: int) -> wf.Call:
    now = T0
    run: dict[CallAction, Callable[[], Any]] = {
        CallAction.RING: lambda: wf.ring(db, CallEvent(CallEventKind.RING, ref, "+15551230000"), agent_id=1,
                                         now=now).call,
        CallAction.ANSWER: lambda: wf.answer(db, ref, now=now)[0],
        CallAction.HOLD: lambda: wf.hold(db, ref, now=now),
        CallAction.RESUME: lambda: wf.resume(db, ref, now=now)[0],
        CallAction.HANGUP: lambda: wf.hangup(db, ref, now=now),
        CallAction.DECLINE: lambda: wf.hangup(db, ref, decline=True, now=now),
        CallAction.FINISH: lambda: wf.finish(db, call_id, outcome="resolved"),
    }
    result = run[action]()
    assert isinstance(result, wf.Call)
    return result


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_state_against_every_event_in_the_store(db: Database, state: CallState,
                                                      action: CallAction) -> None:
    call_id = _call_in(db, state, "sp-1")
    before = row(db, call_id)
    tasks_before = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
    calls_before = db.execute("SELECT count(*) FROM calls").fetchone()[0]
    if action is CallAction.RING and state in (CallState.DONE, CallState.MISSED):
        # the softphone reused an ended call's id: that is a new call, the old one is untouched
        new = _do(db, action, "sp-1", call_id)
        assert new.id != call_id and new.state is CallState.RINGING and row(db, call_id) == before
        return
    if (state, action) in EXPECTED:
        call = _do(db, action, "sp-1", call_id)
        assert call.state is EXPECTED[(state, action)] and call.id == call_id
        assert row(db, call_id)["status"] == call.state.value
    else:
        with pytest.raises(IllegalTransition) as err:
            _do(db, action, "sp-1", call_id)
        assert "sp-1" in str(err.value)
        # refused means nothing changed
        assert row(db, call_id) == before
        assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == tasks_before
        assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == calls_before


def test_ring_answer_hold_resume_hangup_finish_times(db: Database) -> None:
    c = customer(db, 3)
    rung = wf.ring(db, CallEvent(CallEventKind.RING, "abc", f'"Front desk" <sip:{c["phone_e164"]}@pbx>'),
                   agent_id=1, now=T0)
    assert rung.call.state is CallState.RINGING and rung.call.customer_id == 3 and not rung.repeated
    assert rung.card is not None and rung.card.customer.id == 3
    assert rung.call.display_name == "Front desk" and rung.call.number == c["phone_e164"]
    again = wf.ring(db, CallEvent(CallEventKind.RING, "abc", c["phone_e164"]), agent_id=1, now=T0)
    assert again.repeated and again.call.id == rung.call.id
    assert db.execute("SELECT count(*) FROM calls WHERE call_ref = 'abc'").fetchone()[0] == 1

    call, held = wf.answer(db, None, agent_id=1, now=T0 + timedelta(seconds=10))
    assert call.state is CallState.ACTIVE and held == [] and call.answered_at == "2026-12-02T14:00:10.000"
    wf.hold(db, "abc", now=T0 + timedelta(seconds=40))
    wf.resume(db, "abc", now=T0 + timedelta(seconds=50))
    ended = wf.hangup(db, "abc", cause="remote", now=T0 + timedelta(seconds=100))
    # talk time from the answer, without the 10 s on hold
    assert ended.state is CallState.WRAP_UP and ended.duration_s == 80.0 and ended.held_s == 10.0
    assert ended.end_cause == "remote"
    # the ended call is in the customer's history at once
    card = queries.caller_card(db, 3)
    assert card.history[0].summary == "Call, 1:20"
    done = wf.finish(db, ended.id, outcome="resolved", notes="ok")
    assert done.state is CallState.DONE and done.duration_s == 80.0
    assert queries.caller_card(db, 3).history[0].summary == "Call, 1:20 — resolved"


def test_a_second_call_answered_holds_the_first_and_an_unanswered_one_is_missed(db: Database) -> None:
    first = wf.ring(db, CallEvent(CallEventKind.RING, "one", customer(db, 1)["phone_e164"]), agent_id=1,
                    now=T0).call
    wf.answer(db, "one", now=T0)
    c2 = customer(db, 2)
    second = wf.ring(db, CallEvent(CallEventKind.RING, "two", c2["phone_e164"]), agent_id=1,
                     now=T0 + timedelta(seconds=5)).call
    call, held = wf.answer(db, "two", now=T0 + timedelta(seconds=8))
    assert call.id == second.id and [h.id for h in held] == [first.id] and held[0].state is CallState.HELD
    third = wf.ring(db, CallEvent(CallEventKind.RING, "three", "(555) 010-9999"), agent_id=1,
                    now=T0 + timedelta(seconds=9)).call
    assert third.customer_id is None
    missed = wf.hangup(db, "three", cause="cancel", now=T0 + timedelta(seconds=20))
    assert missed.state is CallState.MISSED and missed.duration_s is None
    task = db.execute("SELECT kind, text, channel, done, due_at FROM tasks WHERE call_id = ?",
                      [missed.id]).fetchone()
    assert task[0] == "callback" and "+15550109999" in task[1] and task[2] == "phone" and task[3] == 0
    # a missed call of a known customer: the callback is on their channel, inside their hours
    fourth = wf.ring(db, CallEvent(CallEventKind.RING, "four", c2["phone_e164"]), agent_id=1,
                     now=T0 + timedelta(seconds=30)).call
    wf.hangup(db, "four", decline=True, now=T0 + timedelta(seconds=31))
    kind, channel, due = db.execute("SELECT kind, channel, due_at FROM tasks WHERE call_id = ?",
                                    [fourth.id]).fetchone()
    assert kind == "callback" and channel == (c2["preferred_channel"] or "phone")
    from agent_assist.coach.retention import parse_hours

    span = parse_hours(c2["preferred_hours"])
    local = datetime.fromisoformat(due).replace(tzinfo=UTC).astimezone()
    if span and span[0] <= span[1]:
        assert span[0] <= local.time() <= span[1]
    assert queries.caller_card(db, 2).history[0].summary == "Missed call"
    # the callbacks of missed calls have their own list, not the work list's
    assert [r["call_ref"] for r in store.missed_callbacks(db)] == ["four", "three"]
    assert not [t for t in store.open_tasks(db) if t["call_id"] in (missed.id, fourth.id)]
    assert [r["call_ref"] for r in store.list_live_calls(db, statuses=("missed",))] == ["four", "three"]


def test_anonymous_and_uri_callers_never_fail(db: Database) -> None:
    for raw in ("", "anonymous", "withheld", "sip:anonymous@anonymous.invalid", "tel:+1-555-010-1234",
                "sips:alice@pbx.example"):
        rung = wf.ring(db, CallEvent(CallEventKind.RING, None, raw), agent_id=1, now=T0)
        assert rung.call.state is CallState.RINGING and rung.card is None
        assert rung.call.call_ref.startswith("aa-")
        wf.hangup(db, rung.call.call_ref, now=T0)
    assert db.execute("SELECT phone_e164 FROM calls WHERE call_ref IS NOT NULL ORDER BY id").fetchall()[4] \
        == ("+15550101234",)


def test_unknown_ids_and_no_call(db: Database) -> None:
    with pytest.raises(UnknownCall, match="'nope'"):
        wf.answer(db, "nope")
    with pytest.raises(UnknownCall, match="no ringing call to answer"):
        wf.answer(db, None)
    with pytest.raises(UnknownCall, match="to hangup"):
        wf.hangup(db, None)


def test_customer_linked_mid_call_takes_its_tasks_and_history(db: Database) -> None:
    rung = wf.ring(db, CallEvent(CallEventKind.RING, "x", "+15550107777"), agent_id=1, now=T0)
    wf.answer(db, "x", now=T0)
    store.add_task(db, text="send the form", call_id=rung.call.id, agent_id=1)
    new_id = queries.create_customer(db, name="Nina New", phone="+15550107777", preferred_channel="sms")
    linked = wf.link_customer(db, rung.call.id, new_id)
    assert linked.customer_id == new_id
    assert db.execute("SELECT customer_id FROM tasks WHERE call_id = ?", [rung.call.id]).fetchone()[0] == new_id
    wf.hangup(db, "x", now=T0 + timedelta(seconds=30))
    assert queries.caller_card(db, new_id).history[0].summary == "Call, 0:30"


def test_wrapup_draft_round_trip(db: Database) -> None:
    rung = wf.ring(db, CallEvent(CallEventKind.RING, "d", "+15550107777"), agent_id=1, now=T0)
    wf.answer(db, "d", now=T0)
    wf.hangup(db, "d", now=T0)
    store.save_wrapup_draft(db, rung.call.id, {"notes": "half typed", "outcome": "resolved"})
    assert store.wrapup_draft(db, rung.call.id) == {"notes": "half typed", "outcome": "resolved"}
    wf.finish(db, rung.call.id, outcome="resolved")
    assert store.wrapup_draft(db, rung.call.id) == {}
    # a draft for a call no longer in wrap-up is not written
    store.save_wrapup_draft(db, rung.call.id, {"notes": "late"})
    assert store.wrapup_draft(db, rung.call.id) == {}
    assert json.loads(json.dumps(store.list_live_calls(db, limit=1)))[0]["call_ref"] == "d"
