"""The command line. With no command it starts the GUI; headless commands live in ``agent_assist.commands``.

Every command module has ``run(args) -> int`` and is imported only when used, so ``agent-assist check``
never pays for Qt and ``agent-assist`` (the GUI) never pays for the commands. A failing command prints one
clear line to stderr and exits non-zero; tracebacks are for ``AGENT_ASSIST_DEBUG=1`` only.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from agent_assist import APP_NAME, __version__
from agent_assist.errors import CliError

__all__ = ["CliError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="agent-assist",
        description=f"{APP_NAME}: an offline assistant beside the softphone. No command starts the window.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--db", metavar="PATH", help="database file (default: the user data directory)")
    p.add_argument("--profile", choices=["agent", "supervisor", "trainer"], help="start in this profile")
    p.add_argument("--agent", type=int, metavar="ID", help="the agent using this machine (default from settings)")
    p.add_argument("--region", metavar="CC", help="default region for numbers without a country code (e.g. US)")
    p.add_argument("--self-test", action="store_true", help="check model, database, window and analysis; exit 0 if all pass")
    p.add_argument("--measure-startup", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, examples: str) -> argparse.ArgumentParser:
        # one line in the list of commands, the line again and examples in the command's own --help
        return sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".",
                              epilog="examples:\n" + examples,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    c = command("call", "deliver an incoming call to the running window (starts it if needed)",
                "  agent-assist call \"+1 555 123 4567\"\n"
                "  agent-assist call 5551234567 --no-start   # fail if the window is not running")
    c.add_argument("number", help="caller's phone number in any format")
    c.add_argument("--no-start", action="store_true", help="fail instead of starting the app")
    # also accepted after the number (softphones append options); SUPPRESS keeps a value given before
    c.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    c.add_argument("--region", metavar="CC", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    c = command("demo", "build a demo database",
                "  agent-assist demo\n  agent-assist --db /tmp/demo.db demo --customers 500 --seed 7 --force")
    c.add_argument("--customers", type=int, default=2000)
    c.add_argument("--seed", type=int, default=1234)
    c.add_argument("--force", action="store_true", help="replace an existing database file")

    c = command("import", "import customers, interactions, orders or issues from CSV, JSON or .xlsx",
                "  agent-assist import customers customers.csv      # comma, semicolon or tab separated\n"
                "  agent-assist import orders orders.xlsx             # the first sheet, a header row\n"
                "  cat issues.jsonl | agent-assist import issues -    # - reads standard input\n"
                "Every problem of every rejected row is listed (row, column, value, why); the good rows are\n"
                "imported. Exit 0: all imported, 1: some rows rejected, 2: the file was not imported.")
    c.add_argument("kind", choices=["customers", "interactions", "orders", "issues"])
    c.add_argument("file", help="CSV, JSON, JSON Lines or .xlsx file; - for standard input")

    c = command("check", "flag loaded, leading, negative or blaming phrasing",
                "  agent-assist check \"Didn't you read the manual?\"\n"
                "  agent-assist check --json < utterances.txt > flags.jsonl")
    c.add_argument("text", nargs="?", help="text to check (omit with --json to read lines from stdin)")
    c.add_argument("--json", action="store_true", help="read one utterance per stdin line, write JSON lines")

    c = command("analyze", "talk ratio and timing figures of a recording or transcript",
                "  agent-assist analyze call.wav --agent-channel right\n"
                "  agent-assist analyze call.vtt --json          # transcripts: agent turns phrasing-checked\n"
                "  agent-assist analyze call.srt --agent-speaker Dana --timeline timeline.png\n"
                "  agent-assist analyze call.wav --timeline - > timeline.png")
    c.add_argument("file", help=".wav/.flac recording or .vtt/.srt/.json transcript")
    c.add_argument("--agent-channel", choices=["left", "right"], default="left")
    c.add_argument("--agent-file", metavar="MONO", help="two mono files: FILE is the customer, this the agent")
    c.add_argument("--agent-speaker", metavar="NAME", help="speaker name of the agent in a transcript")
    c.add_argument("--json", action="store_true")
    c.add_argument("--timeline", metavar="PNG", help="write the two-lane timeline chart (- for stdout)")

    c = command("export", "export the review table as CSV or an agent's period as a PDF, headlessly",
                "  agent-assist export calls --from 2026-11-01 --to 2026-11-30 --csv november.csv\n"
                "  agent-assist export calls --from 2026-11-01 --to 2026-11-30 --agent 3 --csv - | head\n"
                "  agent-assist export report --agent 3 --from 2026-11-01 --to 2026-11-30 --pdf ann.pdf\n"
                "Dates are local calendar days, both inclusive; 'agent-assist agents' lists the ids.")
    c.add_argument("what", choices=["calls", "report"],
                   help="calls: every finished call as CSV; report: one agent's period as a PDF")
    c.add_argument("--from", dest="date_from", metavar="DATE", required=True, help="first day, YYYY-MM-DD")
    c.add_argument("--to", dest="date_to", metavar="DATE", required=True, help="last day, YYYY-MM-DD")
    c.add_argument("--agent", dest="export_agent", type=int, metavar="ID",
                   help="one agent's calls (required for report)")
    c.add_argument("--csv", metavar="FILE", help="calls: the CSV file, - for stdout")
    c.add_argument("--pdf", metavar="FILE", help="report: the PDF file, - for stdout")
    c.add_argument("--team", action="store_true", help="read the team store (every agent you may see)")
    c.add_argument("--url", metavar="URL", help="team store URL (with --team)")
    c.add_argument("--team-agent", metavar="LOGIN", help="with --team: only this agent's calls")

    c = command("agents", "list the agents and their ids",
                "  agent-assist agents\n  agent-assist agents --json | jq '.[] | .id'")
    c.add_argument("--json", action="store_true", help="one JSON array")

    c = command("practice", "play a practice scenario",
                "  agent-assist practice --list\n"
                "  agent-assist practice double_billing --text --trainee 3   # replies typed on stdin")
    c.add_argument("scenario", nargs="?", help="scenario name or path of a scenario file")
    c.add_argument("--text", action="store_true", help="run in the terminal, one reply per stdin line")
    c.add_argument("--list", action="store_true", help="list the scenarios")
    c.add_argument("--trainee", type=int, metavar="ID", help="agent id of the trainee")

    c = sub.add_parser("team", help="team mode: a PostgreSQL team store shared by many desks")
    team = c.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    t = team.add_parser("init", help="create or upgrade the team store's schema; prints its version")
    t.add_argument("url", metavar="URL", help="PostgreSQL URL of the store's owner, e.g. postgresql://owner@db/floor")
    t = team.add_parser("add-member", help="(store owner) create a login and add it to a team")
    t.add_argument("url", metavar="URL", help="the store owner's URL")
    t.add_argument("login")
    t.add_argument("--team", required=True, metavar="NAME")
    t.add_argument("--role", required=True, choices=["agent", "supervisor", "trainer"])
    t.add_argument("--name", metavar="TEXT", help="display name (default: the login)")
    t.add_argument("--password-stdin", action="store_true", help="set the login's password from stdin")
    t = team.add_parser("status", help="connected?, rows waiting, last push")
    t.add_argument("--json", action="store_true")
    t.add_argument("--url", metavar="URL")
    t = team.add_parser("sync", help="join if needed, push and pull now; exit 0 when nothing is left")
    t.add_argument("--url", metavar="URL")
    return p


# command name -> module in agent_assist.commands
COMMANDS = {
    "call": "call",
    "demo": "demo",
    "import": "importer",
    "check": "check",
    "analyze": "analyze",
    "export": "export",
    "practice": "practice",
    "team": "team",
    "agents": "agents",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(os.environ.get("AGENT_ASSIST_DEBUG"))
    try:
        if args.self_test:
            module = importlib.import_module("agent_assist.commands.selftest")
        elif args.command is None:
            module = importlib.import_module("agent_assist.ui.app")
        else:
            module = importlib.import_module(f"agent_assist.commands.{COMMANDS[args.command]}")
        return int(module.run(args) or 0)
    except CliError as e:
        print(f"agent-assist: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        if debug:
            raise
        from agent_assist.store.errors import StoreError

        if isinstance(e, StoreError | OSError | ValueError):
            print(f"agent-assist: {e}", file=sys.stderr)
        else:
            print(f"agent-assist: unexpected error ({type(e).__name__}: {e}); "
                  "rerun with AGENT_ASSIST_DEBUG=1 for details", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
