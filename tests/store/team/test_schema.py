"""The team store's schema on a real PostgreSQL server: init/upgrade, roles and RLS, clear errors."""

from __future__ import annotations

import pytest

from agent_assist.store.team import remote, schema
from agent_assist.store.team.cluster import free_port
from agent_assist.store.team.errors import (
    TeamAuthFailed,
    TeamNotMember,
    TeamSchemaMissing,
    TeamSchemaTooNew,
    TeamUnavailable,
)
from tests.pg_cluster import TeamDb


def _members(team_db: TeamDb) -> None:
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        remote.add_member(conn, "t_alice", team="north", role="agent", name="Alice", password="pw-a")
        remote.add_member(conn, "t_bob", team="north", role="agent", name="Bob", password="pw-b")
        remote.add_member(conn, "t_carol", team="south", role="agent", name="Carol", password="pw-c")
        remote.add_member(conn, "t_sue", team="north", role="supervisor", name="Sue", password="pw-s")
        remote.add_member(conn, "t_tom", team="north", role="trainer", name="Tom", password="pw-t")


def test_init_creates_then_upgrades_and_is_idempotent(team_db: TeamDb) -> None:
    with remote.connect(team_db.url()) as conn:
        assert schema.current_version(conn) is None
        assert schema.migrate(conn, upto=1) == (1, [schema.MIGRATIONS[0][0]])
        idx = "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'calls_review_%'"
        assert conn.execute(idx).fetchone() == (0,)
        assert schema.migrate(conn) == (2, [schema.MIGRATIONS[1][0]])
        assert conn.execute(idx).fetchone()[0] >= 11
        assert schema.migrate(conn) == (2, [])
        assert conn.execute("SELECT count(*) FROM agent_assist.schema_migrations").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM agent_assist.store_info").fetchone() == (1,)


def test_schema_newer_than_the_app_is_refused_untouched(team_db: TeamDb) -> None:
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        conn.execute("INSERT INTO agent_assist.schema_migrations (version, name) VALUES (99, 'future')")
        conn.commit()
        with pytest.raises(TeamSchemaTooNew, match="version 99") as e:
            schema.migrate(conn)
        assert "\n" not in str(e.value)
        with pytest.raises(TeamSchemaTooNew):
            remote.identity(conn)
        assert conn.execute("SELECT max(version) FROM agent_assist.schema_migrations").fetchone() == (99,)


def test_missing_schema_and_non_member_are_one_line(team_db: TeamDb) -> None:
    with remote.connect(team_db.url()) as conn, pytest.raises(TeamSchemaMissing, match="team init"):
        remote.identity(conn)
    _members(team_db)
    team_db.cluster.psql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 't_nobody')"
                         " THEN CREATE ROLE t_nobody LOGIN PASSWORD 'pw-n'; END IF; END $$")
    with remote.connect(team_db.url("t_nobody", "pw-n")) as conn, pytest.raises(TeamNotMember):
        remote.identity(conn)


def test_wrong_password_and_unreachable_host_are_one_clear_line(team_db: TeamDb) -> None:
    _members(team_db)
    with pytest.raises(TeamAuthFailed) as e:
        remote.connect(team_db.url("t_alice", "wrong"))
    assert "refused the login t_alice" in str(e.value) and "\n" not in str(e.value)
    assert "wrong" not in str(e.value).replace("wrong password", "")  # the password is never echoed
    port = free_port()
    with pytest.raises(TeamUnavailable) as e2:
        remote.connect(f"postgresql://t_alice:pw@127.0.0.1:{port}/x")
    assert f"127.0.0.1:{port} cannot be reached" in str(e2.value) and "\n" not in str(e2.value)
    with pytest.raises(TeamUnavailable, match="cannot be reached"):
        remote.connect("postgresql://t_alice:pw@host.invalid:5432/x")


def _call(conn: object, uuid: str, kind: str = "call") -> None:
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO agent_assist.calls (uuid, kind, status, started_at) VALUES (%s, %s, 'done', '2026-11-01')",
        (uuid, kind))


def test_row_level_security_who_sees_what(team_db: TeamDb) -> None:
    _members(team_db)
    a1, a2, b1, c1 = ("00000000-0000-4000-8000-00000000000" + str(i) for i in range(1, 5))
    with remote.connect(team_db.url("t_alice", "pw-a")) as conn:
        _call(conn, a1)
        _call(conn, a2, kind="practice")
        conn.commit()
        # an agent cannot write a row in another agent's name
        with pytest.raises(Exception, match="row-level security"):
            conn.execute("INSERT INTO agent_assist.calls (uuid, agent_login, kind, status, started_at)"
                         " VALUES (gen_random_uuid(), 't_bob', 'call', 'done', '2026-11-01')")
        conn.rollback()
    with remote.connect(team_db.url("t_bob", "pw-b")) as conn:
        _call(conn, b1)
        conn.commit()
        seen = {r[0] for r in conn.execute("SELECT uuid::text FROM agent_assist.calls").fetchall()}
        assert seen == {b1}  # not Alice's
        # nor can Bob change or delete Alice's rows: the statements match nothing
        assert conn.execute("UPDATE agent_assist.calls SET notes = 'x' WHERE uuid = %s", (a1,)).rowcount == 0
        assert conn.execute("DELETE FROM agent_assist.calls WHERE uuid = %s", (a1,)).rowcount == 0
        conn.commit()
    with remote.connect(team_db.url("t_carol", "pw-c")) as conn:
        _call(conn, c1)
        conn.commit()
    with remote.connect(team_db.url("t_sue", "pw-s")) as conn:
        seen = {r[0] for r in conn.execute("SELECT uuid::text FROM agent_assist.calls").fetchall()}
        assert seen == {a1, a2, b1}  # her team north, not Carol of south
        with pytest.raises(Exception, match="permission denied"):
            _call(conn, "00000000-0000-4000-8000-000000000009")
        conn.rollback()
    with remote.connect(team_db.url("t_tom", "pw-t")) as conn:
        seen = {r[0] for r in conn.execute("SELECT uuid::text FROM agent_assist.calls").fetchall()}
        assert seen == {a2}  # practice calls only
        with pytest.raises(Exception, match="permission denied"):
            conn.execute("SELECT count(*) FROM agent_assist.utterances")
        conn.rollback()
    # every role reads the customer directory
    with remote.connect(team_db.url("t_bob", "pw-b")) as conn:
        assert conn.execute("SELECT count(*) FROM agent_assist.customers").fetchone() == (0,)
        ident = remote.identity(conn)
        assert (ident.login, ident.role, ident.teams) == ("t_bob", "agent", ("north",))


def test_redact_url_drops_the_password() -> None:
    red = remote.redact_url("postgresql://alice:s3cret@db.example:5433/floor?sslmode=verify-full")
    assert "s3cret" not in red and "alice" in red and "verify-full" in red
