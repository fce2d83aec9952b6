"""``agent-assist agents [--json]``: the agents in the database, with their ids (for ``--agent ID``)."""

from __future__ import annotations

import argparse
import json

from agent_assist.commands.common import db_path, open_db
from agent_assist.errors import CliError
from agent_assist.store import review
from agent_assist.store.outcomes import local_time


def run(args: argparse.Namespace) -> int:
    if not db_path(args).exists():
        raise CliError(f"No database at {db_path(args)}; run 'agent-assist demo' or start the app first.")
    db = open_db(args, create=False)
    try:
        agents = review.agents_overview(db)
    finally:
        db.close()
    if args.json:
        print(json.dumps(agents, ensure_ascii=False))
        return 0
    if not agents:
        print("No agents yet; import some or run 'agent-assist demo'.")
        return 0
    width = max(len(str(a["name"])) for a in agents)
    print(f"{'ID':>4}  {'Name':<{width}}  {'Team':<12}  {'Calls':>6}  {'Practice':>8}  Last call")
    for a in agents:
        last = local_time(a["last_call_at"]) if a["last_call_at"] else "—"
        print(f"{a['id']:>4}  {a['name']:<{width}}  {(a['team'] or '—'):<12}  {a['calls']:>6}  "
              f"{a['practice_attempts']:>8}  {last}")
    return 0
