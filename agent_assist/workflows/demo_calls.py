"""A few weeks of finished demo calls for several agents, made through the same code paths as live calls.

Every call goes ``store.calls.start_call`` → ``add_segments`` → ``add_utterance`` (with phrasing flags) →
``add_task`` → ``finish_call`` with the figures of ``coach.talk.analyze`` over its segments and the
summary of ``coach.summary``. Segment timelines are synthetic but shaped like real calls: alternating
turns, short gaps, a backchannel now and then, some overtalk, the odd hold silence; each agent has a
personal talk-ratio habit between about 20% and 50%.

Agent lines come from ``resources/review/demo_lines.jsonl``, which holds each line's flags *as the real
phrasing checker found them*. Loading spaCy costs about 2.5 s, which would double the first-run demo
build, so the flags are cached there; ``tests/workflows/test_demo_calls.py`` re-runs the real checker
over the lines and fails if the cache no longer matches it (``write_line_cache`` refreshes it).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent_assist import resources
from agent_assist.coach.summary import summarize
from agent_assist.coach.talk import Segment, TalkSettings, analyze
from agent_assist.store import calls
from agent_assist.store import review as rv

Progress = Callable[[str, float], None]
LINES_RESOURCE = "review/demo_lines.jsonl"

OUTCOMES = (("resolved", 0.55), ("follow-up needed", 0.2), ("escalated", 0.1), ("callback scheduled", 0.1),
            ("no resolution", 0.05))
NOTES = {
    "resolved": ["Reset the password; customer logged in while on the call.",
                 "Refund issued for the duplicate charge.", "Explained the new bill; customer satisfied.",
                 "Replacement router shipped, tracking sent by e-mail."],
    "follow-up needed": ["Waiting for the carrier's answer; promised an update by e-mail.",
                         "Need the billing team to confirm the credit."],
    "escalated": ["Escalated to second line: repeated outages at the address.",
                  "Escalated to the supervisor at the customer's request."],
    "callback scheduled": ["Customer busy; callback booked for tomorrow afternoon."],
    "no resolution": ["Customer will check the cabling and call again."],
}
PARKED = ["Send the refund confirmation", "Check the outage map for the area", "E-mail the setup guide",
          "Ask billing about the late fee", "Update the delivery address"]
ISSUE_TITLES = ["Connection drops every evening", "Charged twice for the same month", "Parcel not delivered",
                "Cannot log in to the app", "Router keeps restarting"]
CUSTOMER_LINES = ["Hi, I'm calling because my internet keeps dropping.", "I was charged twice this month.",
                  "My parcel still hasn't arrived.", "I can't log in to the app any more.",
                  "Yes, I tried restarting it twice."]


def load_lines() -> list[dict[str, Any]]:
    """The demo agent lines with their cached phrasing flags."""
    return list(resources.read_jsonl(LINES_RESOURCE))


def write_line_cache(texts: Sequence[str] | None = None, path: Path | None = None) -> Path:
    """Re-run the real phrasing checker over the lines and rewrite the cache (needs the spaCy model)."""
    from agent_assist.coach.phrasing import PhrasingChecker, load_nlp

    texts = list(texts) if texts is not None else [str(x["text"]) for x in load_lines()]
    checker = PhrasingChecker(load_nlp())
    target = path or resources.path(LINES_RESOURCE)
    rows = [json.dumps({"text": t, "flags": [_flag_dict(f.to_dict()) for f in flags]}, ensure_ascii=False)
            for t, flags in zip(texts, checker.check_many(texts), strict=True)]
    target.write_text("// demo agent lines and their flags from the real phrasing checker "
                      "(workflows.demo_calls.write_line_cache)\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return target


def _flag_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("category", "start", "end", "reason", "suggestion")}


def _pick(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p for p, _w in pairs], [w for _p, w in pairs])[0]


def synth_segments(rng: random.Random, duration_s: float, agent_share: float
                   ) -> list[tuple[str, float, float]]:
    """Alternating turns whose lengths give the agent about ``agent_share`` of the talking."""
    segs: list[tuple[str, float, float]] = []
    t = rng.uniform(0.3, 1.2)
    party = "agent"  # the agent greets
    mean_turn = rng.uniform(7.0, 12.0)
    while t < duration_s - 2:
        share = agent_share if party == "agent" else 1 - agent_share
        length = max(0.8, rng.expovariate(1 / (2 * mean_turn * share)))
        end = min(duration_s - 0.5, t + length)
        segs.append((party, round(t, 2), round(end, 2)))
        if party == "customer" and length > 6 and rng.random() < 0.3:  # "uh-huh" while listening
            b = rng.uniform(t + 1, end - 1.5)
            segs.append(("agent", round(b, 2), round(b + rng.uniform(0.3, 0.8), 2)))
        r = rng.random()
        if r < 0.12:
            gap = -rng.uniform(0.4, 1.8)  # the next speaker starts before this one stops: overtalk
        elif r < 0.17:
            gap = rng.uniform(4.0, 12.0)  # hold or thinking silence
        else:
            gap = rng.uniform(0.2, 1.4)
        t = max(t + 0.5, end + gap)
        party = "customer" if party == "agent" else "agent"
    return segs


def add_demo_calls(
    db: Database,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
    *,
    weeks: int = 4,
    calls_per_day: tuple[int, int] = (2, 4),
    lines: list[dict[str, Any]] | None = None,
) -> int:
    """Add ``weeks`` of finished calls (weekdays) for every agent; returns the number of calls."""
    report = progress or (lambda what, frac: None)
    rng = random.Random(seed * 7919 + 17)
    today = today or datetime.now(UTC).date()
    agents = [int(r[0]) for r in db.execute("SELECT id FROM agents ORDER BY id").fetchall()]
    customers = [int(r[0]) for r in db.execute("SELECT id FROM customers ORDER BY id").fetchall()]
    if not agents:
        return 0
    lines = lines if lines is not None else load_lines()
    clean = [x for x in lines if not x["flags"]]
    flagged = [x for x in lines if x["flags"]]
    ts = TalkSettings()
    # each agent's habits: talk share and how often a flaggable line slips out
    habits = {a: (rng.uniform(0.17, 0.40), rng.uniform(0.03, 0.22)) for a in agents}
    days = [today - timedelta(days=d) for d in range(weeks * 7, 0, -1)]
    days = [d for d in days if d.weekday() < 5]
    plan = [(d, a) for d in days for a in agents]
    made = 0
    for k, (day, agent) in enumerate(plan):
        share, slip = habits[agent]
        start_clock = datetime.combine(day, time(8, 30)) + timedelta(minutes=rng.randint(0, 60))
        for _ in range(rng.randint(*calls_per_day)):
            customer = rng.choice(customers) if customers and rng.random() > 0.05 else None
            duration = rng.uniform(150, 720)
            made += 1
            _one_call(db, rng, agent, customer, start_clock, duration,
                      min(0.55, max(0.1, rng.gauss(share, 0.05))), slip, clean, flagged, ts)
            start_clock += timedelta(seconds=duration + rng.randint(120, 2400))
        if k % 10 == 0:
            report("demo calls", k / len(plan))
    report("demo calls", 1.0)
    return made


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _one_call(db: Database, rng: random.Random, agent: int, customer: int | None, start: datetime,
              duration: float, share: float, slip: float, clean: list[dict[str, Any]],
              flagged: list[dict[str, Any]], ts: TalkSettings) -> None:
    started, ended = _iso(start), _iso(start + timedelta(seconds=duration + rng.uniform(20, 90)))
    cid = calls.start_call(db, agent_id=agent, customer_id=customer, source="demo", started_at=started)
    segs = synth_segments(rng, duration, share)
    calls.add_segments(db, cid, segs)
    turns = [s for s in segs if s[0] == "agent" and s[2] - s[1] > 2.0]
    first_customer = next((s for s in segs if s[0] == "customer"), None)
    if first_customer:
        calls.add_utterance(db, cid, party="customer", text=rng.choice(CUSTOMER_LINES),
                            start_s=first_customer[1])
    for seg in sorted(rng.sample(turns, min(len(turns), rng.randint(3, 7)))):
        line = rng.choice(flagged) if flagged and rng.random() < slip else rng.choice(clean or flagged)
        calls.add_utterance(db, cid, party="agent", text=str(line["text"]), start_s=seg[1],
                            flags=line["flags"])
    outcome = _pick(rng, OUTCOMES)
    if customer is not None and rng.random() < 0.25:
        opened = _iso(start + timedelta(seconds=duration * rng.uniform(0.3, 0.9)))
        rv.record_issue_opened(db, customer, rng.choice(ISSUE_TITLES), opened)
    if customer is not None and outcome == "resolved":
        for issue in rv.open_issue_ids(db, customer, started)[:1]:
            rv.record_issue_resolved(db, issue, _iso(start + timedelta(seconds=duration * 0.95)))
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        task = calls.add_task(db, text=rng.choice(PARKED), agent_id=agent, call_id=cid, customer_id=customer)
        if rng.random() < 0.6:
            calls.set_task_done(db, task)
    metrics = analyze([Segment(p, s, e) for p, s, e in segs], duration, ts)
    notes = rng.choice(NOTES[outcome])
    detail = rv.call_detail(db, cid)
    summary = summarize({**detail.call, "status": "done", "ended_at": ended, "duration_s": duration,
                         "outcome": outcome, "notes": notes}, detail.segments, detail.utterances,
                        detail.tasks, detail.issues_opened, detail.issues_resolved)
    calls.finish_call(db, cid, metrics=metrics.to_dict(), outcome=outcome, notes=notes,
                      summary={"flags": summary.flag_counts, "checks": [c.status for c in summary.checks]},
                      ended_at=ended)
