"""Desks and a supervisor against a real PostgreSQL team store: push, pull, join, crashes, the worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_assist.store import calls
from agent_assist.store.team import outbox, remote, schema
from agent_assist.store.team import review as team_review
from agent_assist.store.team.errors import TeamUnavailable
from agent_assist.store.team.tables import TABLES
from agent_assist.workflows import team_sync
from tests.pg_cluster import TeamDb
from tests.store.team.desk import PER_CALL, add_call, make_desk


@pytest.fixture
def team(team_db: TeamDb) -> TeamDb:
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        remote.add_member(conn, "w_alice", team="north", role="agent", name="Alice", password="pw-a")
        remote.add_member(conn, "w_bob", team="north", role="agent", name="Bob", password="pw-b")
        remote.add_member(conn, "w_sue", team="north", role="supervisor", name="Sue", password="pw-s")
    return team_db


@pytest.fixture
def stores(team: TeamDb) -> Iterator[dict[str, remote.TeamStore]]:
    s = {n: remote.TeamStore(team.url(f"w_{n}", f"pw-{n[0]}"), timeout_s=2) for n in ("alice", "bob", "sue")}
    yield s
    for st in s.values():
        st.close()


def server_counts(team: TeamDb) -> dict[str, tuple[int, int]]:
    """(rows, distinct uuids) per table, read as the owner."""
    with remote.connect(team.url()) as conn:
        return {t.name: conn.execute(f"SELECT count(*), count(DISTINCT uuid) FROM agent_assist.{t.name}")
                .fetchone() for t in TABLES}


def test_join_uploads_history_once_and_repush_never_duplicates(team: TeamDb, stores: dict[str, remote.TeamStore],
                                                               tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "a.db", customers=4, finished=6)
    queued = team_sync.join(desk, stores["alice"])
    assert queued == 4 + 6 * sum(PER_CALL.values())
    assert team_sync.push(desk, stores["alice"], batch_size=7) == queued
    counts = server_counts(team)
    assert counts["calls"] == (6, 6) and counts["utterances"] == (12, 12) and counts["customers"] == (4, 4)
    # a crash after the server committed but before the desk acknowledged: everything is sent again
    with desk.atomic():
        desk.execute("UPDATE team_state SET store_id = 'other' WHERE id = 1")
    team_sync.join(desk, stores["alice"])  # a join of "another" store queues the whole history again
    team_sync.push(desk, stores["alice"])
    assert server_counts(team) == counts
    assert outbox.pending(desk) == 0
    # the call's row on the server says whose it is and carries the desk's figures
    with remote.connect(team.url()) as conn:
        row = conn.execute("SELECT agent_login, agent_name, customer_name, talk_ratio, flags_negative"
                           " FROM agent_assist.calls ORDER BY started_at LIMIT 1").fetchone()
    assert row[0] == "w_alice" and row[1] == "Alice" and row[2].startswith("Customer") and row[4] == 1
    assert abs(row[3] - 1 / 3) < 1e-9
    desk.close()


def test_edits_and_deletes_after_the_push_arrive(team: TeamDb, stores: dict[str, remote.TeamStore],
                                                 tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "a.db", finished=2)
    team_sync.sync_once(desk, stores["alice"])
    with desk.atomic():
        desk.execute("UPDATE calls SET notes = 'follow-up sent' WHERE id = 1")
        desk.execute("DELETE FROM tasks WHERE call_id = 2")
    calls.set_task_done(desk, 1)
    assert team_sync.sync_once(desk, stores["alice"]).pending == 0
    with remote.connect(team.url()) as conn:
        assert conn.execute("SELECT count(*) FROM agent_assist.calls WHERE notes = 'follow-up sent'").fetchone() == (1,)
        assert conn.execute("SELECT count(*), sum(done) FROM agent_assist.tasks").fetchone() == (1, 1)
    desk.close()


def test_two_desks_and_a_supervisor(team: TeamDb, stores: dict[str, remote.TeamStore], tmp_path: Path) -> None:
    a = make_desk(tmp_path / "a.db", agent="Alice", finished=5, prefix="a")
    b = make_desk(tmp_path / "b.db", agent="Bob", finished=3, prefix="b")
    team_sync.sync_once(a, stores["alice"])
    team_sync.sync_once(b, stores["bob"])
    # each desk's replica now has the other's customers (the directory is shared)
    team_sync.pull(a, stores["alice"])
    names = {r[0] for r in a.execute("SELECT name FROM customers").fetchall()}
    assert {"Customer a0", "Customer b0"} <= names
    # the supervisor's review sees both agents; an agent's only their own
    with stores["sue"].connection() as conn:
        flt = team_review.TeamFilter()
        assert team_review.review_count(conn, flt) == 8
        page = team_review.review_page(conn, flt, "started_at", True, 0, 3)
        assert len(page) == 3 and {r[2] for r in team_review.review_page(conn, flt)} == {"Alice", "Bob"}
        assert team_review.review_count(conn, flt.with_(agent="w_bob")) == 3
        assert team_review.review_count(conn, flt.with_(team="north", flag_category="blaming")) == 8
    with stores["bob"].connection() as conn:
        assert team_review.review_count(conn, team_review.TeamFilter()) == 3
    a.close()
    b.close()


def test_same_issue_edited_on_two_desks_the_later_edit_wins(team: TeamDb, stores: dict[str, remote.TeamStore],
                                                            tmp_path: Path) -> None:
    a = make_desk(tmp_path / "a.db", finished=0, customers=1, prefix="x")
    with a.atomic():
        a.execute("INSERT INTO issues (customer_id, opened_at, status, title) VALUES (1, '2026-11-01', 'open', 'Router')")
    b = make_desk(tmp_path / "b.db", agent="Bob", finished=0, customers=0)
    team_sync.sync_once(a, stores["alice"])
    team_sync.sync_once(b, stores["bob"])
    assert b.execute("SELECT title FROM issues").fetchall() == [("Router",)]
    with b.atomic():
        b.execute("UPDATE issues SET title = 'Router (Bob)', updated_at = '2026-11-05T10:00:00'")
    with a.atomic():
        a.execute("UPDATE issues SET title = 'Router (Alice)', updated_at = '2026-11-05T09:00:00'")
    team_sync.push(b, stores["bob"])
    team_sync.push(a, stores["alice"])  # pushed last but edited earlier: loses
    team_sync.pull(a, stores["alice"])
    with remote.connect(team.url()) as conn:
        assert conn.execute("SELECT title FROM agent_assist.issues").fetchall() == [("Router (Bob)",)]
    assert a.execute("SELECT title FROM issues").fetchall() == [("Router (Bob)",)]
    a.close()
    b.close()


def test_server_killed_mid_push_then_restarted_exactly_once(team: TeamDb, stores: dict[str, remote.TeamStore],
                                                            tmp_path: Path) -> None:
    n_calls = 400
    desk = make_desk(tmp_path / "a.db", customers=20, finished=n_calls)
    queued = team_sync.join(desk, stores["alice"])
    killed = threading.Event()

    def kill_after_first_batch(done: int) -> None:
        if not killed.is_set():
            killed.set()
            team.cluster.kill()

    with pytest.raises(TeamUnavailable) as e:
        team_sync.push(desk, stores["alice"], batch_size=300, on_batch=kill_after_first_batch)
    assert "cannot be reached" in str(e.value) and "\n" not in str(e.value)
    left = outbox.pending(desk)
    assert 0 < left <= queued - 300
    # the desk keeps working while the server is down: the outbox grows
    add_call(desk, 999)
    assert outbox.pending(desk) == left + sum(PER_CALL.values())
    team.cluster.start()
    team_sync.push(desk, stores["alice"], batch_size=300)
    assert outbox.pending(desk) == 0
    counts = server_counts(team)
    assert counts["calls"] == (n_calls + 1, n_calls + 1)
    for t, k in PER_CALL.items():
        assert counts[t] == ((n_calls + 1) * k, (n_calls + 1) * k), t
    assert counts["customers"] == (20, 20)
    desk.close()


def test_worker_reports_offline_then_delivers(team: TeamDb, tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    make_desk(path, finished=3).close()
    seen: list[team_sync.SyncStatus] = []
    got = threading.Condition()

    def on_status(st: team_sync.SyncStatus) -> None:
        with got:
            seen.append(st)
            got.notify_all()

    team.cluster.stop()
    w = team_sync.TeamSyncWorker(path, team.url("w_alice", "pw-a"), interval_s=0.2, on_status=on_status,
                                 retry_max_s=0.5)
    w.start()
    try:
        with got:
            assert got.wait_for(lambda: bool(seen), timeout=30)
        assert not seen[-1].connected and "cannot be reached" in (seen[-1].error or "")
        assert "not joined" in seen[-1].line()
        team.cluster.start()
        with got:
            assert got.wait_for(lambda: seen[-1].connected and seen[-1].pending == 0 and seen[-1].joined,
                                timeout=60)
        line = seen[-1].line()
        assert line.startswith("Team: connected, 0 waiting") and "last push 20" in line
        # the round that joined also pulled the directory back (the desk's own 3 customers, now the team's)
        assert any(st.pulled >= 3 for st in seen if st.connected)
    finally:
        w.stop()
    assert server_counts(team)["calls"] == (3, 3)


def test_a_row_the_server_refuses_is_parked_and_the_rest_arrives(team: TeamDb, stores: dict[str, remote.TeamStore],
                                                                 tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "a.db", finished=6)
    with desk.atomic():  # SQLite takes any integer; PostgreSQL's integer column cannot hold this one
        desk.execute("UPDATE phrasing_flags SET start = 1099511627776 WHERE id = 3")
    queued = team_sync.join(desk, stores["alice"])
    assert team_sync.push(desk, stores["alice"], batch_size=16) == queued - 1
    assert outbox.pending(desk) == 0 and outbox.rejected(desk) == 1
    tbl, row_id, error = desk.execute("SELECT tbl, row_id, error FROM team_rejected").fetchone()
    assert (tbl, row_id) == ("phrasing_flags", 3) and "out of range" in error
    counts = server_counts(team)
    assert counts["phrasing_flags"] == (5, 5) and counts["calls"] == (6, 6) and counts["utterances"] == (12, 12)
    assert "1 refused by the server" in team_sync.status(desk, True).line()
    desk.close()


def test_practice_attempts_reach_the_trainer(team: TeamDb, stores: dict[str, remote.TeamStore],
                                             tmp_path: Path) -> None:
    with remote.connect(team.url()) as conn:
        remote.add_member(conn, "w_tom", team="north", role="trainer", name="Tom", password="pw-t")
    desk = make_desk(tmp_path / "a.db", finished=2)
    team_sync.join(desk, stores["alice"])
    pid = add_call(desk, 7, customer_id=None, finish=False, kind="practice")
    with desk.atomic():
        desk.execute("INSERT INTO practice_attempts (call_id, scenario, trainee_id, started_at, score, goals_met,"
                     " goals_total) VALUES (?, 'double_billing', 1, '2026-11-07T10:07:00', 0.75, 3, 4)", [pid])
    calls.finish_call(desk, pid, outcome="practice")
    team_sync.push(desk, stores["alice"])
    with remote.TeamStore(team.url("w_tom", "pw-t")) as tom, tom.connection() as conn:
        assert conn.execute("SELECT scenario, score FROM agent_assist.practice_attempts").fetchall() == [
            ("double_billing", 0.75)]
        assert conn.execute("SELECT kind, count(*) FROM agent_assist.calls GROUP BY kind").fetchall() == [
            ("practice", 1)]  # the trainer sees the practice call, not Alice's two live calls
    desk.close()
