"""``agent-assist import``: the report, exit codes and one-line failures, in-process and as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_assist import cli
from agent_assist.store.db import connect

GOOD = "external_id,name,phone\nc1,Ann Lee,(555) 222-3333\nc2,Bob Marsh,555/444 5555\n"
MIXED = GOOD + "c3,Cy,12\n"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def _count(path: Path) -> int:
    db = connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM customers").fetchone()[0])
    finally:
        db.close()


def test_import_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbp = tmp_path / "a.db"
    f = tmp_path / "c.csv"
    f.write_text(GOOD, encoding="utf-8")
    assert cli.main(["--db", str(dbp), "import", "customers", str(f)]) == 0
    assert capsys.readouterr().out == "c.csv: 2 rows of customers: 2 imported (2 new, 0 updated)\n"
    f.write_text(MIXED, encoding="utf-8")
    assert cli.main(["--db", str(dbp), "import", "customers", str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "c.csv: 3 rows of customers: 2 imported (0 new, 2 updated), 1 rejected"
    assert out[1].startswith("  line 4: column phone, value '12': is not a phone number")
    assert _count(dbp) == 2


def test_import_subprocess_exit_codes_and_messages(tmp_path: Path) -> None:
    dbp = tmp_path / "a.db"
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    r = _cli("--db", str(dbp), "import", "customers", str(good))
    assert r.returncode == 0, r.stderr
    assert "2 imported" in r.stdout
    for name, content, message in [
            ("binary.csv", b"external_id,name,phone\nc9,Jos\x81\x8d,555 777 8888\n", "nor Windows-1252"),
        ("empty.csv", b"", "is empty"),
        ("cols.csv", b"who,phone\nx,555 777 8888\n", "missing columns external_id, name"),
    ]:
        p = tmp_path / name
        p.write_bytes(content)
        r = _cli("--db", str(dbp), "import", "customers", str(p))
        assert r.returncode == 2, (name, r.stderr)
        assert r.stderr.startswith("agent-assist: ") and r.stderr.count("\n") == 1, r.stderr
        assert message in r.stderr and "Traceback" not in r.stderr
        assert r.stdout == ""
    r = _cli("--db", str(dbp), "import", "interactions", str(tmp_path / "nope.csv"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert _count(dbp) == 2


def test_import_into_a_damaged_database_is_one_line(tmp_path: Path) -> None:
    dbp = tmp_path / "a.db"
    dbp.write_bytes(b"definitely not sqlite" * 20)
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    r = _cli("--db", str(dbp), "import", "customers", str(good))
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "not a SQLite database" in r.stderr
    assert dbp.read_bytes() == b"definitely not sqlite" * 20
