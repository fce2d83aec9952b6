"""Demo work for the agent's work list: callbacks and follow-ups due at different times, parked notes.

Made through ``store.calls.add_task`` like real tasks, for the first agents and a spread of customers
(some of them with open issues past their target and other retention cues), so the work list has
something to order by urgency on a fresh demo database.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlite_utils import Database

from agent_assist.store import calls

# (kind, text, due offset in hours from 09:00 today, channel); None = no due time
DEMO_TASKS: tuple[tuple[str, str, float | None, str | None], ...] = (
    ("callback", "Call back about the double charge", -26.0, "phone"),
    ("follow_up", "Confirm the technician visit by SMS", -3.0, "sms"),
    ("callback", "Check the router swap arrived", 4.0, "phone"),
    ("follow_up", "Send the loyalty discount terms", 7.5, "email"),
    ("callback", "Walk through the new invoice layout", 30.0, "phone"),
    ("follow_up", "Ask how the first order went (one week)", 50.0, "email"),
    ("parked", "Look up whether the refund was batched", None, None),
    ("parked", "Update the billing address on file", None, None),
)


def add_demo_tasks(db: Database, seed: int = 1234, today: date | None = None, agents: int = 3) -> int:
    """Add the demo tasks for the first ``agents`` agents; returns how many were added."""
    rng = random.Random(seed * 31 + 5)
    today = today or datetime.now(UTC).date()
    start = datetime.combine(today, time(9))
    agent_ids = [int(r[0]) for r in db.execute("SELECT id FROM agents ORDER BY id LIMIT ?", [agents])]
    # customers with an open issue first (so issue age against target matters), then anyone
    with_issue = [int(r[0]) for r in db.execute(
        "SELECT DISTINCT customer_id FROM issues WHERE status = 'open' ORDER BY customer_id LIMIT 40")]
    anyone = [int(r[0]) for r in db.execute("SELECT id FROM customers ORDER BY id LIMIT 200")]
    pool = with_issue + [c for c in anyone if c not in with_issue]
    if not agent_ids or not pool:
        return 0
    made = 0
    for agent in agent_ids:
        for kind, text, offset, channel in DEMO_TASKS:
            customer = 1 if (agent == agent_ids[0] and made == 0) else rng.choice(pool[:60])
            due = (start + timedelta(hours=offset)).isoformat(timespec="seconds") if offset is not None else None
            calls.add_task(db, text=text, kind=kind, agent_id=agent, customer_id=customer, due_at=due,
                           channel=channel)
            made += 1
    return made
