"""``agent-assist import customers|interactions|orders|issues FILE``: CSV, JSON or JSON Lines.

Prints a report: one summary line, then one line per rejected row (``line 7: phone '12' is not a phone
number (too short)``). Exit codes: 0 every row imported; 1 some rows rejected (the good ones were
imported); 2 the file could not be imported at all (one line on stderr; nothing was written).
"""

from __future__ import annotations

import argparse

from agent_assist.commands.common import load_settings, open_db
from agent_assist.errors import CliError
from agent_assist.store.importer import ImportFileError, import_file


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    db = open_db(args)
    try:
        report = import_file(db, args.kind, args.file, region=settings.default_region)
    except ImportFileError as e:
        raise CliError(str(e)) from None
    finally:
        db.close()
    for line in report.lines():
        print(line)
    return 1 if report.rejected else 0
