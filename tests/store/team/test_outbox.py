"""The desk's outbox in SQLite: triggers fill it in the writer's transaction, only once joined."""

from __future__ import annotations

from agent_assist.store import calls
from agent_assist.store.team import outbox
from agent_assist.store.team.tables import CALLS, CUSTOMERS
from tests.store.team.desk import PER_CALL, add_call, make_desk


def _counts(db: object) -> dict[str, int]:
    return dict(db.execute("SELECT tbl, count(*) FROM team_outbox GROUP BY tbl").fetchall())  # type: ignore[attr-defined]


def test_nothing_is_queued_before_joining() -> None:
    db = make_desk(":memory:", finished=3)
    assert outbox.pending(db) == 0
    assert db.execute("SELECT count(*) FROM calls WHERE uuid IS NOT NULL").fetchone() == (0,)


def test_join_queues_the_history_once_with_uuids() -> None:
    db = make_desk(":memory:", customers=3, finished=4)
    add_call(db, 9, finish=False)  # an open call is not history yet
    n = outbox.join(db, store_id="s1", url="u", login="alice", role="agent")
    want = {"customers": 3, **{t: k * 4 for t, k in PER_CALL.items()}}
    assert _counts(db) == want and n == sum(want.values())
    assert db.execute("SELECT count(*) FROM calls WHERE uuid IS NULL").fetchone() == (0,)
    assert outbox.join(db, store_id="s1", url="u", login="alice", role="agent") == 0  # idempotent
    assert outbox.pending(db) == n
    assert outbox.backfill_left(db) == n


def test_a_call_is_queued_with_its_children_when_it_finishes_not_before() -> None:
    db = make_desk(":memory:", finished=0)
    outbox.join(db, store_id="s1", url="u", login="alice", role="agent")
    base = outbox.pending(db)
    cid = add_call(db, 1, finish=False)
    assert outbox.pending(db) == base  # during the call nothing is sent
    calls.finish_call(db, cid, outcome="resolved")
    assert _counts(db) == {"customers": 3, **PER_CALL}
    # a task added at wrap-up of the finished call, and a customer task, are queued at once
    calls.add_task(db, text="send the refund form", call_id=cid, agent_id=1)
    calls.add_task(db, text="check in next week", customer_id=1, agent_id=1)
    assert _counts(db)["tasks"] == 3


def test_a_rolled_back_write_leaves_no_outbox_entry() -> None:
    db = make_desk(":memory:", finished=0)
    outbox.join(db, store_id="s1", url="u", login="alice", role="agent")
    before = outbox.pending(db)
    try:
        with db.atomic():
            db.execute("INSERT INTO calls (agent_id, kind, status, started_at) VALUES (1, 'call', 'done', 'x')")
            raise RuntimeError("crash mid-transaction")
    except RuntimeError:
        pass
    assert outbox.pending(db) == before


def test_batch_reads_the_rows_as_they_are_and_ack_keeps_newer_entries() -> None:
    db = make_desk(":memory:", finished=2)
    outbox.join(db, store_id="s1", url="u", login="alice", role="agent")
    batch = outbox.next_batch(db, limit=1000)
    assert len(batch.upserts["calls"]) == 2 and all(r[0] for r in batch.upserts["calls"])
    db.execute("UPDATE calls SET notes = 'edited' WHERE id = 1")  # edited while the batch was in flight
    db.conn.commit()
    outbox.ack(db, batch.seqs)
    assert _counts(db) == {"calls": 1}
    again = outbox.next_batch(db)
    notes = again.upserts["calls"][0][CALLS.all_columns.index("notes")]
    assert notes == "edited"


def test_deletes_are_queued_by_uuid_and_pulled_rows_are_not_echoed() -> None:
    db = make_desk(":memory:", finished=1)
    outbox.join(db, store_id="s1", url="u", login="alice", role="agent")
    outbox.ack(db, outbox.next_batch(db).seqs)
    uuid = db.execute("SELECT uuid FROM tasks WHERE id = 1").fetchone()[0]
    with db.atomic():
        db.execute("DELETE FROM tasks WHERE id = 1")
    assert db.execute("SELECT tbl, op, uuid FROM team_outbox").fetchall() == [("tasks", "delete", uuid)]
    outbox.ack(db, outbox.next_batch(db).seqs)
    row = {"uuid": "11111111-1111-4111-8111-111111111111", "external_id": "team-1", "name": "From the team",
           "updated_at": "2026-11-02T00:00:00"}
    assert outbox.apply_pulled(db, CUSTOMERS, [row], ["5", row["uuid"]]) == 1
    assert db.execute("SELECT name FROM customers WHERE uuid = ?", [row["uuid"]]).fetchone() == ("From the team",)
    assert outbox.pending(db) == 0
    assert outbox.state(db).pull_cursors == {"customers": ["5", row["uuid"]]}
    # a local edit is stamped and queued; an older team version does not overwrite it
    with db.atomic():
        db.execute("UPDATE customers SET name = 'Edited here' WHERE uuid = ?", [row["uuid"]])
    assert outbox.pending(db) >= 1
    outbox.apply_pulled(db, CUSTOMERS, [row], ["6", row["uuid"]])
    assert db.execute("SELECT name FROM customers WHERE uuid = ?", [row["uuid"]]).fetchone() == ("Edited here",)


def test_a_supervisor_desk_joins_without_an_outbox() -> None:
    db = make_desk(":memory:", finished=2)
    assert outbox.join(db, store_id="s1", url="u", login="sue", role="supervisor") == 0
    add_call(db, 5)
    assert outbox.pending(db) == 0 and outbox.state(db).joined
