"""``agent-assist team init|status|sync`` and ``export calls --team`` against a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from agent_assist.cli import main
from agent_assist.store.team import remote
from agent_assist.store.team.cluster import free_port
from tests.pg_cluster import TeamDb
from tests.store.team.desk import make_desk


def test_team_init_status_sync_and_export(team_db: TeamDb, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["team", "init", team_db.url()]) == 0
    assert "schema version 2 (applied:" in capsys.readouterr().out
    assert main(["team", "init", team_db.url()]) == 0
    assert "schema version 2, up to date" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-a\n"))
    assert main(["team", "add-member", team_db.url(), "c_alice", "--team", "north", "--role", "agent",
                 "--name", "Alice", "--password-stdin"]) == 0
    assert "c_alice is now an agent of team north" in capsys.readouterr().out
    with remote.connect(team_db.url()) as conn:
        remote.add_member(conn, "c_sue", team="north", role="supervisor", name="Sue", password="pw-s")
    db = tmp_path / "desk.db"
    make_desk(db, finished=4).close()
    url = team_db.url("c_alice", "pw-a")
    assert main(["--db", str(db), "team", "status", "--json", "--url", url]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["connected"] is True and st["pending"] == 0 and st["last_push"] is None and not st["joined"]
    assert main(["--db", str(db), "team", "sync", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "0 waiting" in out and " sent" in out
    # the URL comes from the environment when not given
    monkeypatch.setenv("AGENT_ASSIST_TEAM_URL", url)
    assert main(["--db", str(db), "team", "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["connected"] and st["joined"] and st["pending"] == 0 and st["last_push"]
    monkeypatch.delenv("AGENT_ASSIST_TEAM_URL")
    # the desk remembers the store it joined, without the password
    row = __import__("sqlite3").connect(db).execute("SELECT url FROM team_state").fetchone()
    assert "pw-a" not in row[0] and "c_alice" in row[0]
    # the supervisor exports the floor to standard output
    sup = team_db.url("c_sue", "pw-s")
    assert main(["export", "calls", "--team", "--url", sup, "--from", "2026-11-01", "--to", "2026-11-30",
                 "--csv", "-"]) == 0
    cap = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(cap.out.lstrip("\ufeff"))))
    assert rows[0][0] == "call_id" and len(rows) == 5 and {r[3] for r in rows[1:]} == {"Alice"}
    assert "Exported 4 calls from the team store" in cap.err
    target = tmp_path / "floor.csv"
    assert main(["export", "calls", "--team", "--url", sup, "--from", "2026-11-01", "--to", "2026-11-30",
                 "--csv", str(target)]) == 0
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 5


def test_bad_logins_and_unreachable_hosts_exit_with_one_line(team_db: TeamDb, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["team", "init", team_db.url()]) == 0
    with remote.connect(team_db.url()) as conn:
        remote.add_member(conn, "c_bob", team="north", role="agent", password="pw-b")
    capsys.readouterr()
    db = tmp_path / "desk.db"
    make_desk(db, finished=2).close()
    assert main(["--db", str(db), "team", "sync", "--url", team_db.url("c_bob", "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "refused the login c_bob" in err
    down = f"postgresql://c_bob@127.0.0.1:{free_port()}/x"
    assert main(["--db", str(db), "team", "sync", "--url", down]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot be reached" in err
    assert main(["--db", str(db), "team", "status", "--json", "--url", down]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["connected"] is False and "cannot be reached" in st["error"]
    assert main(["export", "calls", "--team", "--url", down, "--from", "2026-11-01", "--to", "2026-11-02",
                 "--csv", "-"]) == 2
    assert "cannot be reached" in capsys.readouterr().err
    with remote.connect(team_db.url()) as conn:
        conn.execute("INSERT INTO agent_assist.schema_migrations (version, name) VALUES (42, 'future')")
    assert main(["--db", str(db), "team", "sync", "--url", team_db.url("c_bob", "pw-b")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "version 42" in err and "Update Agent Assist" in err
    assert main(["team", "init", team_db.url()]) == 2
    assert "version 42" in capsys.readouterr().err
