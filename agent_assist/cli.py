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

    c = sub.add_parser("call", help="deliver an incoming call to the running window (starts it if needed)")
    c.add_argument("number", help="caller's phone number in any format")
    c.add_argument("--no-start", action="store_true", help="fail instead of starting the app")
    # also accepted after the number (softphones append options); SUPPRESS keeps a value given before
    c.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    c.add_argument("--region", metavar="CC", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    c = sub.add_parser("demo", help="build a demo database")
    c.add_argument("--customers", type=int, default=2000)
    c.add_argument("--seed", type=int, default=1234)
    c.add_argument("--force", action="store_true", help="replace an existing database file")

    c = sub.add_parser("import", help="import customers, interactions, orders or issues from CSV or JSON")
    c.add_argument("kind", choices=["customers", "interactions", "orders", "issues"])
    c.add_argument("file")

    c = sub.add_parser("check", help="flag loaded, leading, negative or blaming phrasing")
    c.add_argument("text", nargs="?", help="text to check (omit with --json to read lines from stdin)")
    c.add_argument("--json", action="store_true", help="read one utterance per stdin line, write JSON lines")

    c = sub.add_parser("analyze", help="talk ratio and timing figures of a recording or transcript")
    c.add_argument("file", help=".wav/.flac recording or .vtt/.srt/.json transcript")
    c.add_argument("--agent-channel", choices=["left", "right"], default="left")
    c.add_argument("--agent-file", metavar="MONO", help="two mono files: FILE is the customer, this the agent")
    c.add_argument("--agent-speaker", metavar="NAME", help="speaker name of the agent in a transcript")
    c.add_argument("--json", action="store_true")
    c.add_argument("--timeline", metavar="PNG", help="write the two-lane timeline chart")

    c = sub.add_parser("export", help="export data headlessly")
    c.add_argument("what", choices=["calls"])
    c.add_argument("--from", dest="date_from", metavar="DATE", required=True)
    c.add_argument("--to", dest="date_to", metavar="DATE", required=True)
    c.add_argument("--agent", dest="export_agent", type=int, metavar="ID")
    c.add_argument("--csv", metavar="FILE", required=True)

    c = sub.add_parser("practice", help="play a practice scenario")
    c.add_argument("scenario", nargs="?", help="scenario name or path of a scenario file")
    c.add_argument("--text", action="store_true", help="run in the terminal, one reply per stdin line")
    c.add_argument("--list", action="store_true", help="list the scenarios")
    c.add_argument("--trainee", type=int, metavar="ID", help="agent id of the trainee")
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
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(os.environ.get("AGENT_ASSIST_DEBUG"))
    try:
        if args.self_test:
            module = importlib.import_module("agent_assist.commands.selftest")
        elif args.command is None:
            from agent_assist import stop_signals

            stop_signals.install()  # before Qt's import: a SIGTERM in the first second is not lost
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
        from agent_assist.store.errors import StoreError, from_sqlite

        known = from_sqlite(e, getattr(args, "db", None) or "the database")
        if known is not None:
            print(f"agent-assist: {known}", file=sys.stderr)
        elif isinstance(e, StoreError | OSError | ValueError):
            print(f"agent-assist: {e}", file=sys.stderr)
        else:
            print(f"agent-assist: unexpected error ({type(e).__name__}: {e}); "
                  "rerun with AGENT_ASSIST_DEBUG=1 for details", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
