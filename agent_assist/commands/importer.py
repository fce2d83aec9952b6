"""``agent-assist import customers|interactions|orders|issues FILE``: CSV, JSON, JSON Lines or .xlsx
(``-`` reads standard input).

Prints a report: one summary line, then one line per rejected row (``line 7: phone '12' is not a phone
number (too short)``). Exit codes: 0 every row imported; 1 some rows rejected (the good ones were
imported); 2 the file could not be imported at all (one line on stderr; nothing was written).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from agent_assist.commands.common import load_settings, open_db
from agent_assist.errors import CliError
from agent_assist.store.importer import ImportFileError, import_file


def _stdin_file(folder: Path) -> Path:
    """Standard input saved to a file named for what it holds (xlsx, JSON or CSV), so the importer reads
    it as it reads any file."""
    data = sys.stdin.buffer.read()
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".json" if head in (b"[", b"{") else ".csv"
    if suffix == ".json" and b"\n{" in data.strip() and not data.lstrip().startswith(b"["):
        suffix = ".jsonl"  # one object per line
    p = folder / f"stdin{suffix}"
    p.write_bytes(data)
    return p


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    with tempfile.TemporaryDirectory(prefix="agent-assist-import-") as tmp:
        path = _stdin_file(Path(tmp)) if args.file == "-" else Path(args.file)
        db = open_db(args)
        try:
            report = import_file(db, args.kind, path, region=settings.default_region)
        except ImportFileError as e:
            raise CliError(str(e)) from None
        finally:
            db.close()
    for line in report.lines():
        print(line)
    return 1 if report.rejected else 0
