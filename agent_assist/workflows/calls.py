"""The life of a live call, as one small state machine with one door (no Qt).

::

    ringing --answer--> active --hold--> held --resume--> active
       |                  |                 |
       +--hangup/decline--+-> missed        +--hangup--> wrap_up --finish--> done
                          +--hangup-------------------->  wrap_up

The allowed transitions are data (:data:`TRANSITIONS`, ``(state, action) -> next state``). Each event has
one function here that loads the call, checks the transition, writes in one transaction and returns a new
frozen :class:`Call`; anything the table does not allow raises :class:`IllegalTransition` (the CLI turns
it into exit 2, the window logs it). The UI renders a ``Call``; it never decides a transition.

A ring normalises the caller once (:func:`~agent_assist.telephony.caller.parse_caller`) and looks the
customer up once; the caller card built in the same job is handed to the window with the call. Talk time
counts from the answer and leaves out the time on hold. A ring that ends unanswered is *missed* and gets a
callback task on the customer's preferred channel, inside their preferred hours. A call that has ended is
in its customer's history at once (an interaction ``call:<id>``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from agent_assist.coach.retention import next_preferred_slot
from agent_assist.errors import CliError
from agent_assist.store import calls as store
from agent_assist.store import queries
from agent_assist.store.models import CallerCard
from agent_assist.telephony.caller import Caller, parse_caller
from agent_assist.telephony.events import CallEvent, CallEventKind


class CallState(StrEnum):
    # values are the stored ``calls.status`` (``wrapup`` predates this module)
    RINGING = "ringing"
    ACTIVE = "active"
    HELD = "held"
    WRAP_UP = "wrapup"
    DONE = "done"
    MISSED = "missed"


class CallAction(StrEnum):
    RING = "ring"  # the softphone rang again for a call it already offered (a retry)
    ANSWER = "answer"
    HOLD = "hold"
    RESUME = "resume"
    HANGUP = "hangup"  # either side ended it (before the answer: missed)
    DECLINE = "decline"  # the agent turned a ringing call down
    FINISH = "finish"  # the wrap-up was saved


S, A = CallState, CallAction
TRANSITIONS: Mapping[tuple[CallState, CallAction], CallState] = {
    (S.RINGING, A.RING): S.RINGING,
    (S.RINGING, A.ANSWER): S.ACTIVE,
    (S.RINGING, A.HANGUP): S.MISSED,
    (S.RINGING, A.DECLINE): S.MISSED,
    (S.ACTIVE, A.HOLD): S.HELD,
    (S.ACTIVE, A.HANGUP): S.WRAP_UP,
    (S.HELD, A.RESUME): S.ACTIVE,
    (S.HELD, A.HANGUP): S.WRAP_UP,
    (S.WRAP_UP, A.FINISH): S.DONE,
}
del S, A

LIVE = (CallState.RINGING, CallState.ACTIVE, CallState.HELD, CallState.WRAP_UP)
CALLBACK_LEAD = timedelta(minutes=15)


class CallError(CliError):
    """A call event the workflow refuses (exit 2 on the command line, a log line in the window)."""


class UnknownCall(CallError):
    pass


class IllegalTransition(CallError):
    def __init__(self, call_ref: str, state: CallState, action: CallAction) -> None:
        self.call_ref, self.state, self.action = call_ref, state, action
        verb = {CallAction.RING: "ring again", CallAction.FINISH: "finish the wrap-up of"}.get(action, str(action))
        super().__init__(f"cannot {verb} call {call_ref!r}: it is {state.value.replace('wrapup', 'in wrap-up')}")


def next_state(state: CallState, action: CallAction) -> CallState:
    """The state after ``action``; :class:`IllegalTransition` when the table does not allow it."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition("?", state, action) from None


@dataclass(frozen=True, slots=True)
class Call:
    """One live call as the store holds it (times are naive UTC ISO text)."""

    id: int
    call_ref: str
    state: CallState
    number: str | None  # E.164, None for an anonymous or non-numeric caller
    display_name: str
    customer_id: int | None
    rang_at: str
    answered_at: str | None
    ended_at: str | None
    duration_s: float | None  # talk time: from the answer to the hang-up, minus the time on hold
    held_s: float
    end_cause: str | None
    outcome: str | None

    @property
    def label(self) -> str:
        return self.display_name or self.number or "Unknown caller"

    @staticmethod
    def from_row(r: Mapping[str, Any]) -> Call:
        return Call(
            id=int(r["id"]), call_ref=str(r["call_ref"] or r["id"]), state=CallState(r["status"]),
            number=r["phone_e164"], display_name=r["display_name"] or "", customer_id=r["customer_id"],
            rang_at=r["rang_at"] or r["started_at"], answered_at=r["answered_at"], ended_at=r["ended_at"],
            duration_s=r["duration_s"], held_s=float(r["held_s"] or 0.0), end_cause=r["end_cause"],
            outcome=r["outcome"])


@dataclass(frozen=True, slots=True)
class Rung:
    """What a ring produced: the call, who it is (read once) and the caller's card (None: unknown caller)."""

    call: Call
    caller: Caller
    card: CallerCard | None
    repeated: bool = False  # the softphone offered a call it had already offered


def _now(now: datetime | None) -> str:
    t = now if now is not None else datetime.now(UTC)
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.isoformat(timespec="milliseconds")


def _seconds(a: str, b: str) -> float:
    return max(0.0, (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds())


def new_call_ref() -> str:
    """An id for a call whose softphone gave none."""
    return f"aa-{uuid.uuid4().hex[:12]}"


def _load(db: Database, call_ref: str | None, default: tuple[CallState, ...], agent_id: int | None,
          action: CallAction) -> dict[str, Any]:
    if call_ref:
        row = store.call_by_ref(db, call_ref)
        if row is None and call_ref.isdigit():
            row = store.call_record(db, int(call_ref))
        if row is None or row["kind"] != "call":
            raise UnknownCall(f"no call with id {call_ref!r}")
        return row
    row = store.newest_call(db, [s.value for s in default], agent_id)
    if row is None:
        wanted = " or ".join(s.value for s in default)
        raise UnknownCall(f"no {wanted} call to {action.value}")
    return row


def _move(db: Database, row: Mapping[str, Any], action: CallAction, values: Mapping[str, Any]) -> Call:
    state = CallState(row["status"])
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise IllegalTransition(str(row["call_ref"] or row["id"]), state, action)
    store.update_call(db, int(row["id"]), {"status": target.value, **values})
    fresh = store.call_record(db, int(row["id"]))
    assert fresh is not None
    return Call.from_row(fresh)


def find(db: Database, call_ref: str) -> Call:
    """The call ``call_ref`` (the softphone's id or our row id); :class:`UnknownCall` if there is none."""
    return Call.from_row(_load(db, call_ref, LIVE, None, CallAction.ANSWER))


def get(db: Database, call_id: int) -> Call:
    row = store.call_record(db, call_id)
    if row is None:
        raise UnknownCall(f"no call with id {call_id}")
    return Call.from_row(row)


# -- the events --------------------------------------------------------------------------------------------
def ring(db: Database, event: CallEvent, *, agent_id: int, region: str = "US", history_limit: int = 50,
         now: datetime | None = None, today: date | datetime | None = None) -> Rung:
    """A call is offered: record it as ringing (one transaction) and read the caller's card."""
    caller = parse_caller(event.caller, region)
    name = (event.display_name or caller.display_name or "").strip()[:200]
    at = _now(now)
    with db.atomic():
        live = store.live_call_id_for_ref(db, event.call_id) if event.call_id else None
        if live is not None:
            row = store.call_record(db, live)
            assert row is not None
            call = _move(db, row, CallAction.RING, {})  # a retry of a ring: the same call, once
            repeated = True
        else:
            customer_id = store.customer_id_for_phone(db, caller.e164) if caller.e164 else None
            ref = event.call_id or new_call_ref()
            cid = store.insert_ringing(db, agent_id=agent_id, call_ref=ref, phone_e164=caller.e164,
                                       display_name=name, customer_id=customer_id, rang_at=at)
            call = Call(id=cid, call_ref=ref, state=CallState.RINGING, number=caller.e164, display_name=name,
                        customer_id=customer_id, rang_at=at, answered_at=None, ended_at=None, duration_s=None,
                        held_s=0.0, end_cause=None, outcome=None)
            repeated = False
    card = queries.caller_card(db, call.customer_id, history_limit, today) if call.customer_id else None
    return Rung(call, caller, card, repeated)


def answer(db: Database, call_ref: str | None = None, *, agent_id: int | None = None,
           now: datetime | None = None) -> tuple[Call, list[Call]]:
    """Answer ``call_ref`` (default: the newest ringing call); every other active call goes on hold.

    Returns the answered call and the calls put on hold, all written in one transaction.
    """
    at = _now(now)
    with db.atomic():
        row = _load(db, call_ref, (CallState.RINGING,), agent_id, CallAction.ANSWER)
        held = [_move(db, other, CallAction.HOLD, {"held_at": at})
                for other in store.calls_in(db, [CallState.ACTIVE.value], row["agent_id"])
                if other["id"] != row["id"]]
        call = _move(db, row, CallAction.ANSWER, {"answered_at": at})
    return call, held


def hold(db: Database, call_ref: str | None = None, *, agent_id: int | None = None,
         now: datetime | None = None) -> Call:
    with db.atomic():
        row = _load(db, call_ref, (CallState.ACTIVE,), agent_id, CallAction.HOLD)
        return _move(db, row, CallAction.HOLD, {"held_at": _now(now)})


def resume(db: Database, call_ref: str | None = None, *, agent_id: int | None = None,
           now: datetime | None = None) -> tuple[Call, list[Call]]:
    """Take ``call_ref`` off hold; any other active call goes on hold (one line to talk on)."""
    at = _now(now)
    with db.atomic():
        row = _load(db, call_ref, (CallState.HELD,), agent_id, CallAction.RESUME)
        held = [_move(db, other, CallAction.HOLD, {"held_at": at})
                for other in store.calls_in(db, [CallState.ACTIVE.value], row["agent_id"])
                if other["id"] != row["id"]]
        extra = _seconds(row["held_at"], at) if row["held_at"] else 0.0
        call = _move(db, row, CallAction.RESUME, {"held_at": None, "held_s": float(row["held_s"] or 0) + extra})
    return call, held


def hangup(db: Database, call_ref: str | None = None, *, agent_id: int | None = None, cause: str = "",
           decline: bool = False, metrics: Mapping[str, Any] | None = None, now: datetime | None = None) -> Call:
    """End ``call_ref`` (default: the newest ringing or active call).

    Answered: wrap-up starts; talk time is stored and the call enters the customer's history. Unanswered:
    missed, with a callback task on the customer's terms.
    """
    at = _now(now)
    action = CallAction.DECLINE if decline else CallAction.HANGUP
    with db.atomic():
        row = _load(db, call_ref, (CallState.RINGING, CallState.ACTIVE, CallState.HELD), agent_id, action)
        state = CallState(row["status"])
        values: dict[str, Any] = {"ended_at": at, "end_cause": cause[:100] or ("declined" if decline else None)}
        if state in (CallState.ACTIVE, CallState.HELD):
            held_s = float(row["held_s"] or 0.0)
            if state is CallState.HELD and row["held_at"]:
                held_s += _seconds(row["held_at"], at)
            talk = max(0.0, _seconds(row["answered_at"] or row["started_at"], at) - held_s)
            for k, v in (metrics or {}).items():
                if k in store.METRIC_COLUMNS and k != "duration_s" and v is not None:
                    values[k] = v
            values.update(duration_s=round(talk, 1), held_s=round(held_s, 1), held_at=None,
                          wrapup_started_at=at)
        call = _move(db, row, action, values)
        if call.state is CallState.MISSED:
            _callback_task(db, call, row, at)
        if call.customer_id is not None:
            _history(db, call)
    return call


def finish(db: Database, call_id: int, *, outcome: str | None = None, notes: str | None = None,
           summary: Mapping[str, Any] | None = None) -> Call:
    """The wrap-up is saved: wrap_up -> done (run inside the wrap-up's own transaction)."""
    import json

    with db.atomic():
        row = store.call_record(db, call_id)
        if row is None:
            raise UnknownCall(f"no call with id {call_id}")
        values: dict[str, Any] = {"wrapup_draft": None}
        if row["ended_at"] is None:
            values["ended_at"] = _now(None)
        if outcome is not None:
            values["outcome"] = outcome
        if notes is not None:
            values["notes"] = notes
        if summary is not None:
            values["summary_json"] = json.dumps(dict(summary), sort_keys=True)
        call = _move(db, row, CallAction.FINISH, values)
        if call.customer_id is not None:
            _history(db, call)
    return call


def link_customer(db: Database, call_id: int, customer_id: int) -> Call:
    """A customer created (or found) during the call is the call's customer, with its tasks and history."""
    with db.atomic():
        row = store.call_record(db, call_id)
        if row is None:
            raise UnknownCall(f"no call with id {call_id}")
        if store.customer_contact(db, customer_id) is None:
            raise LookupError(f"customer {customer_id} does not exist")
        store.update_call(db, call_id, {"customer_id": customer_id})
        db.execute("UPDATE tasks SET customer_id = ? WHERE call_id = ? AND customer_id IS NULL",
                   [customer_id, call_id])
        call = get(db, call_id)
        if call.ended_at is not None:
            _history(db, call)
    return call


def handle(db: Database, event: CallEvent, *, agent_id: int, region: str = "US",
           now: datetime | None = None) -> Rung | Call | tuple[Call, list[Call]]:
    """One event from any source, dispatched to its function."""
    kind = event.kind
    if kind is CallEventKind.RING:
        return ring(db, event, agent_id=agent_id, region=region, now=now)
    if kind is CallEventKind.ANSWER:
        return answer(db, event.call_id, agent_id=agent_id, now=now)
    if kind is CallEventKind.HOLD:
        return hold(db, event.call_id, agent_id=agent_id, now=now)
    if kind is CallEventKind.RESUME:
        return resume(db, event.call_id, agent_id=agent_id, now=now)
    return hangup(db, event.call_id, agent_id=agent_id, cause=event.cause, now=now)


# -- what a transition also writes -----------------------------------------------------------------------
def _history(db: Database, call: Call) -> None:
    assert call.customer_id is not None
    if call.state is CallState.MISSED:
        text = "Missed call"
    else:
        d = int(call.duration_s or 0)
        text = f"Call, {d // 60}:{d % 60:02d}" + (f" — {call.outcome.replace('_', ' ')}" if call.outcome else "")
    store.put_call_in_history(db, call.id, call.customer_id, None, (call.ended_at or call.rang_at)[:19], text)


def _callback_task(db: Database, call: Call, row: Mapping[str, Any], at: str) -> None:
    contact = store.customer_contact(db, call.customer_id) if call.customer_id else None
    channel = (contact or {}).get("preferred_channel") or "phone"
    hours = (contact or {}).get("preferred_hours")
    # the customer's hours are local; the due time is stored as UTC like every other time
    local_now = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone()
    due_local = next_preferred_slot(hours, local_now.replace(tzinfo=None, second=0, microsecond=0),
                                    CALLBACK_LEAD)
    due = due_local.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    who = (contact or {}).get("name") or call.display_name or call.number or "an unknown caller"
    number = f" on {call.number}" if call.number else ""
    text = f"Call back {who}{number}: missed call" if call.number or contact else \
        "Missed call from a withheld number (no callback possible)"
    db.execute(
        "INSERT INTO tasks (agent_id, call_id, customer_id, kind, text, due_at, channel, done, created_at,"
        " redacted) VALUES (?, ?, ?, 'callback', ?, ?, ?, ?, ?, 0)",
        [row["agent_id"], call.id, call.customer_id, text, due, channel,
         0 if (call.number or contact) else 1, at[:19]])
