"""``agent-assist demo --customers N [--seed S] [--force] [--db PATH]``: build a fresh demo database file.

The database is built in a temporary file beside the target and renamed over it only when complete, so an
interrupted or failed build leaves the old file (or nothing) in place. An existing file is only replaced
with ``--force``.
"""

from __future__ import annotations

import argparse
import sys
import time

from agent_assist.commands.common import db_path
from agent_assist.errors import CliError
from agent_assist.settings import ensure_private_dir
from agent_assist.store.db import writer_is_free
from agent_assist.store.errors import StoreError
from agent_assist.workflows.demo import build_demo_file


def run(args: argparse.Namespace) -> int:
    path = db_path(args)
    if args.customers < 1:
        raise CliError("--customers must be at least 1.")
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a database file path with --db.")
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists; add --force to replace it with a new demo database.")
    if not writer_is_free(path):
        raise CliError(f"{path} is open in Agent Assist; close the window before replacing the database "
                       "(nothing was changed).")
    try:
        ensure_private_dir(path.parent)
    except OSError as e:
        raise CliError(f"Cannot create {path.parent}: {e.strerror or e}.") from None
    tty = sys.stderr.isatty()
    last = [-1]

    def progress(what: str, frac: float) -> None:
        pct = int(frac * 100)
        if tty and pct != last[0]:
            last[0] = pct
            print(f"\rbuilding demo: {pct:3d}% {what:<12}", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    try:
        counts = build_demo_file(path, customers=args.customers, seed=args.seed, progress=progress)
    except StoreError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"Cannot write {path}: {e.strerror or e}.") from None
    finally:
        if tty:
            print(file=sys.stderr)
    took = time.perf_counter() - started
    print(
        f"Demo database {path}: {counts['customers']:,} customers, {counts['interactions']:,} interactions, "
        f"{counts['orders']:,} orders, {counts['issues']:,} issues, {counts['agents']} agents ({took:.1f} s)."
    )
    return 0
