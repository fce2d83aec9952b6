"""``agent-assist export calls --from DATE --to DATE [--agent ID] --csv FILE``: the review table as CSV.

The same query and writer as the Review tab's export (``store.review.export_csv``): every finished call
and practice attempt in the period, oldest first. Bad dates, dates in the wrong order and unwritable paths
fail with one line; the file is written to a temporary name and renamed, so nothing is half-written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent_assist.commands.common import db_path, open_db
from agent_assist.errors import CliError
from agent_assist.store import review


def run(args: argparse.Namespace) -> int:
    try:
        d1, d2 = review.check_range(args.date_from, args.date_to)
    except ValueError as e:
        raise CliError(str(e)) from None
    if getattr(args, "team", False):
        return _team(args, str(d1), str(d2))
    target = Path(args.csv).expanduser()
    if target.is_dir():
        raise CliError(f"Cannot write {target}: it is a folder.")
    if not target.parent.is_dir():
        raise CliError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if not db_path(args).exists():
        raise CliError(f"No database at {db_path(args)}; run 'agent-assist demo' or start the app first.")
    db = open_db(args, create=False)
    try:
        flt = review.ReviewFilter(agent_id=args.export_agent, date_from=str(d1), date_to=str(d2))
        try:
            n = review.export_csv(db, flt, target, "started_at", False)
        except OSError as e:
            raise CliError(str(e)) from None
    finally:
        db.close()
    print(f"Exported {n} call{'s' if n != 1 else ''} to {target}.")
    return 0


def _team(args: argparse.Namespace, d1: str, d2: str) -> int:
    """``export calls --team``: the same CSV, read from the team store (what this login may see)."""
    import sys

    from agent_assist.commands.team import team_url
    from agent_assist.store.team import remote
    from agent_assist.store.team import review as team_review
    from agent_assist.store.team.errors import TeamError

    url = team_url(args)
    if not url:
        raise CliError("No team store: pass --url URL, set AGENT_ASSIST_TEAM_URL or the team_url setting.")
    flt = team_review.TeamFilter(agent=getattr(args, "team_agent", None), date_from=d1, date_to=d2)
    try:
        with remote.connect(url) as conn:
            remote.identity(conn)
            if args.csv == "-":
                n = team_review.write_csv(conn, flt, sys.stdout)
                sys.stdout.flush()
                print(f"Exported {n} call{'s' if n != 1 else ''} from the team store.", file=sys.stderr)
                return 0
            target = Path(args.csv).expanduser()
            try:
                n = team_review.export_csv(conn, flt, target)
            except OSError as e:
                raise CliError(str(e)) from None
    except TeamError as e:
        raise CliError(str(e)) from None
    print(f"Exported {n} call{'s' if n != 1 else ''} from the team store to {target}.")
    return 0
