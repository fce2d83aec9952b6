"""``agent-assist export calls|report``: the review table as CSV, or one agent's period as a PDF.

``export calls --from DATE --to DATE [--agent ID] --csv FILE`` uses the same query and writer as the Review
tab's export (``store.review.export_csv``): every finished call and practice attempt in the period, oldest
first. ``export report --agent ID --from DATE --to DATE --pdf FILE`` makes the agent's period report of the
Trends tab without a window (Qt's offscreen platform when there is no display). ``-`` as FILE writes to
stdout (the confirmation then goes to stderr). Bad dates, dates in the wrong order, an unknown agent and
unwritable paths fail with one line and exit 2; files are written to a temporary name and renamed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent_assist.commands.common import db_path, load_settings, open_db
from agent_assist.errors import CliError
from agent_assist.store import review


def _target(value: str) -> Path | None:
    """The output path, or None for stdout; CliError when it cannot be written."""
    if value == "-":
        return None
    target = Path(value).expanduser()
    if target.is_dir():
        raise CliError(f"Cannot write {target}: it is a folder.")
    if not target.parent.is_dir():
        raise CliError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    return target


def _say(text: str, to_stdout: bool) -> None:
    print(text, file=sys.stdout if to_stdout else sys.stderr)


def _check_agent(db: Database, agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    name = review.agent_name(db, agent_id)
    if name is None:
        raise CliError(f"No agent with id {agent_id}; 'agent-assist agents' lists them.")
    return name


def run(args: argparse.Namespace) -> int:
    try:
        d1, d2 = review.check_range(args.date_from, args.date_to)
    except ValueError as e:
        raise CliError(str(e)) from None
    if getattr(args, "team", False):
        if args.what != "calls" or not args.csv:
            raise CliError("--team exports calls: agent-assist export calls --team --from … --to … --csv FILE")
        return _team(args, str(d1), str(d2))
    if args.what == "calls":
        if not args.csv:
            raise CliError("export calls needs --csv FILE (or --csv - for stdout).")
        if args.pdf:
            raise CliError("--pdf is for 'export report'; export calls writes --csv.")
        out = args.csv
    else:
        if args.export_agent is None:
            raise CliError("export report needs --agent ID ('agent-assist agents' lists them).")
        if not args.pdf:
            raise CliError("export report needs --pdf FILE (or --pdf - for stdout).")
        if args.csv:
            raise CliError("--csv is for 'export calls'; export report writes --pdf.")
        out = args.pdf
    target = _target(out)
    if not db_path(args).exists():
        raise CliError(f"No database at {db_path(args)}; run 'agent-assist demo' or start the app first.")
    db = open_db(args, create=False)
    try:
        name = _check_agent(db, args.export_agent)
        if args.what == "calls":
            flt = review.ReviewFilter(agent_id=args.export_agent, date_from=str(d1), date_to=str(d2))
            try:
                if target is None:
                    n = review.write_csv(db, flt, sys.stdout)
                    sys.stdout.flush()
                else:
                    n = review.export_csv(db, flt, target, "started_at", False)
            except OSError as e:
                raise CliError(str(e)) from None
            where = "stdout" if target is None else str(target)
            _say(f"Exported {n} call{'s' if n != 1 else ''} to {where}.", target is not None)
            return 0
        assert name is not None and args.export_agent is not None
        n = _report(db, args, int(args.export_agent), name, str(d1), str(d2), target)
    finally:
        db.close()
    where = "stdout" if target is None else str(target)
    _say(f"Wrote {name}'s report ({n} call{'s' if n != 1 else ''}, {d1} to {d2}) to {where}.",
         target is not None)
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


def _report(db: Database, args: argparse.Namespace, agent_id: int, name: str, d1: str, d2: str,
            target: Path | None) -> int:
    """The Trends tab's agent report, headless; returns the number of calls in it."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app: Any = QApplication.instance() or QApplication(["agent-assist"])
    from agent_assist.ui.review.report_pdf import write_agent_report
    from agent_assist.ui.review.trends import chart_image, flags_chart, talk_chart

    target_ratio = load_settings(args).talk_target
    calls = review.calls_for_agent(db, agent_id, d1, d2, "call")
    trends = review.weekly_trends(db, d1, d2, agent_id, "call")
    weeks = review.week_mondays(d1, d2)
    moments = review.worth_coaching(db, review.ReviewFilter(agent_id=agent_id, date_from=d1, date_to=d2,
                                                            kind="call", target=target_ratio), 10)
    charts = {"talk": chart_image(talk_chart(trends, target_ratio, weeks)),
              "flags": chart_image(flags_chart(trends, weeks))}
    try:
        if target is not None:
            write_agent_report(target, agent=name, period=f"{d1} to {d2}", calls=calls, charts=charts,
                               moments=moments, target=target_ratio)
        else:
            with tempfile.TemporaryDirectory(prefix="agent-assist-report-") as tmp:
                pdf = Path(tmp) / "report.pdf"
                write_agent_report(pdf, agent=name, period=f"{d1} to {d2}", calls=calls, charts=charts,
                                   moments=moments, target=target_ratio)
                with pdf.open("rb") as f:
                    shutil.copyfileobj(f, sys.stdout.buffer)
                sys.stdout.buffer.flush()
    except OSError as e:
        raise CliError(str(e)) from None
    del app
    return len(calls)
