"""``agent-assist demo``: a fresh database file, never silently overwriting one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agent_assist import cli
from agent_assist.store import queries
from agent_assist.store.db import connect


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_demo_builds_a_new_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new" / "demo.db"
    assert cli.main(["--db", str(path), "demo", "--customers", "120", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "120 customers" in out and str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = connect(path)
    try:
        assert queries.count_customers(db) == 120
        assert queries.find_by_phone(db, "+1 555 123 4567") is not None
    finally:
        db.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.db"]


def test_demo_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    db = connect(path)
    queries.create_customer(db, name="Precious Data", phone="555 010 0000")
    db.close()
    before = path.read_bytes()
    r = _cli("--db", str(path), "demo", "--customers", "30")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "already exists" in r.stderr and "--force" in r.stderr
    assert "Traceback" not in r.stderr
    assert path.read_bytes() == before
    r = _cli("--db", str(path), "demo", "--customers", "30", "--force")
    assert r.returncode == 0, r.stderr
    db = connect(path)
    try:
        assert queries.count_customers(db) == 30
        assert queries.search(db, "precious") == []
    finally:
        db.close()


def test_demo_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(tmp_path / "x.db"), "demo", "--customers", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["--db", str(blocker / "x.db"), "demo", "--customers", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("agent-assist: Cannot create") and err.count("\n") == 1
    assert cli.main(["--db", str(tmp_path), "demo"]) == 2
    assert "folder" in capsys.readouterr().err


def test_demo_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """A real write failure: the file-size limit (RLIMIT_FSIZE) makes the kernel refuse writes past
    400 kB, as a full disk would; SQLite reports it and the command says so in one line."""
    import resource
    import signal

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write() instead of a killed process

    target = tmp_path / "full.db"
    r = subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(target), "demo", "--customers", "300"],
                       capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and ("disk is full" in r.stderr or "disk may be full" in r.stderr), r.stderr
    assert "unexpected" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # no half-built database, no temporary file
