"""``agent-assist export calls`` as a real subprocess on a real database."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_assist.store import calls
from agent_assist.store.db import connect


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    p = tmp_path / "calls.db"
    db = connect(p)
    db["agents"].insert_all([{"id": 1, "name": "Ann Agent"}, {"id": 2, "name": "Bob Baker"}])
    db["customers"].insert({"id": 10, "name": "Zoë Ünal"})
    for agent, day, ratio in ((1, "2026-11-02", 0.25), (2, "2026-11-03", 0.45), (1, "2026-11-20", 0.3)):
        cid = calls.start_call(db, agent_id=agent, customer_id=10, started_at=f"{day}T09:00:00")
        calls.add_utterance(db, cid, party="agent", text="I guarantee it.", flags=[
            {"category": "over_promise", "start": 2, "end": 11, "reason": "r", "suggestion": "s"}])
        calls.finish_call(db, cid, metrics={"talk_ratio": ratio, "duration_s": 300.0}, outcome="resolved",
                          ended_at=f"{day}T09:05:00")
    calls.start_call(db, agent_id=1, customer_id=10, started_at="2026-11-04T09:00:00")  # still active
    db.close()
    return p


def test_export_calls_to_csv(dbfile: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-10",
             "--csv", str(out))
    assert r.returncode == 0, r.stderr
    assert "Exported 2 calls" in r.stdout
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(x["agent"], x["talk_ratio_pct"], x["flags_over_promise"]) for x in rows] == [
        ("Ann Agent", "25.0", "1"), ("Bob Baker", "45.0", "1")]
    assert rows[0]["customer"] == "Zoë Ünal"
    r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-30",
             "--agent", "1", "--csv", str(out))
    assert r.returncode == 0, r.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert [x["started_at_utc"][:10] for x in csv.DictReader(f)] == ["2026-11-02", "2026-11-20"]


@pytest.mark.parametrize(("dates", "message"), [
    (("2026-11-10", "2026-11-01"), "after the end date"),
    (("2026-13-01", "2026-11-01"), "is not a date"),
    (("yesterday", "2026-11-01"), "YYYY-MM-DD"),
])
def test_bad_dates(dbfile: Path, tmp_path: Path, dates: tuple[str, str], message: str) -> None:
    out = tmp_path / "out.csv"
    r = _cli("--db", str(dbfile), "export", "calls", "--from", dates[0], "--to", dates[1], "--csv", str(out))
    assert r.returncode != 0
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_unwritable_path_keeps_the_old_file(dbfile: Path, tmp_path: Path) -> None:
    r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-30",
             "--csv", str(tmp_path / "no" / "such" / "dir.csv"))
    assert r.returncode != 0 and "does not exist" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    # /proc refuses new files even for root: the export fails with one line and leaves nothing behind
    r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-30",
             "--csv", "/proc/agent-assist-export.csv")
    assert r.returncode != 0 and "Cannot write /proc/agent-assist-export.csv" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not Path("/proc/agent-assist-export.csv").exists()
    r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to", "2026-11-30",
             "--csv", str(tmp_path))
    assert r.returncode != 0 and "is a folder" in r.stderr
    if os.geteuid() != 0:  # a read-only folder stops ordinary users (root writes anyway)
        locked = tmp_path / "locked"
        locked.mkdir()
        old = locked / "out.csv"
        old.write_text("old contents", encoding="utf-8")
        locked.chmod(0o500)
        try:
            r = _cli("--db", str(dbfile), "export", "calls", "--from", "2026-11-01", "--to",
                     "2026-11-30", "--csv", str(old))
        finally:
            locked.chmod(0o700)
        assert r.returncode != 0 and "Cannot write" in r.stderr
        assert old.read_text(encoding="utf-8") == "old contents"


def test_failed_export_keeps_the_previous_file(dbfile: Path, tmp_path: Path) -> None:
    from agent_assist.store import review

    out = tmp_path / "out.csv"
    out.write_text("previous export", encoding="utf-8")
    db = connect(dbfile)
    db.execute("DROP TABLE tasks")  # the query (open tasks per call) now fails after the temporary file was opened
    with pytest.raises(Exception, match="tasks"):
        review.export_csv(db, review.ReviewFilter(), out)
    db.close()
    assert out.read_text(encoding="utf-8") == "previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")] == []


def test_missing_database(tmp_path: Path) -> None:
    r = _cli("--db", str(tmp_path / "none.db"), "export", "calls", "--from", "2026-11-01", "--to",
             "2026-11-02", "--csv", str(tmp_path / "x.csv"))
    assert r.returncode != 0 and "No database" in r.stderr
    assert not (tmp_path / "none.db").exists()
