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
    target = Path(args.csv).expanduser()
    if target.is_dir():
        raise CliError(f"Cannot write {target}: it is a folder.")
    if not target.parent.is_dir():
        raise CliError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if not db_path(args).exists():
        raise CliError(f"No database at {db_path(args)}; run 'agent-assist demo' or start the app first.")
    db = open_db(args, create=False, writer=False)  # a reader: works beside the open window
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
