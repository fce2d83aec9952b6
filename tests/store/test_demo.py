"""Demo data: deterministic, realistic, and carrying the material every retention cue needs."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import demo, queries
from agent_assist.store.db import connect
from agent_assist.store.phones import to_e164

TODAY = date(2026, 3, 10)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict[str, int], list[tuple[str, float]]]]:
    seen: list[tuple[str, float]] = []
    db = connect(tmp_path_factory.mktemp("demo") / "demo.db")
    counts = demo.build_demo(db, customers=600, seed=7, today=TODAY, progress=lambda w, f: seen.append((w, f)))
    yield db, counts, seen
    db.close()


def _dump(db: Database) -> list[tuple[object, ...]]:
    return (db.execute("SELECT * FROM customers ORDER BY id").fetchall()
            + db.execute("SELECT * FROM issues ORDER BY id").fetchall()
            + db.execute("SELECT * FROM interactions ORDER BY id LIMIT 3000").fetchall())


def test_counts_and_progress(built: tuple[Database, dict[str, int], list[tuple[str, float]]]) -> None:
    db, counts, seen = built
    assert counts["customers"] == 600 and counts["agents"] == 6
    for table in ("customers", "interactions", "orders", "issues", "tasks", "agents"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[table]
    assert 0.8 * 20 * 600 < counts["interactions"] < 1.3 * 20 * 600
    assert 0.8 * 2 * 600 < counts["issues"] < 1.5 * 2 * 600
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(queries.list_agents(db)) == 6


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    dumps = []
    for seed in (11, 11, 12):
        db = connect(":memory:")
        demo.build_demo(db, customers=80, seed=seed, today=TODAY)
        dumps.append(_dump(db))
        db.close()
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


def test_phones_are_stored_in_varied_formats_that_all_match(built: tuple[Database, dict[str, int], list[tuple[str, float]]]) -> None:
    db = built[0]
    rows = db.execute("SELECT id, phone, phone_e164 FROM customers").fetchall()
    shapes = {re.sub(r"\d", "9", phone) for _, phone, _ in rows}
    assert {"(999) 999-9999", "999/999 9999", "+9 999 999 9999", "999-999-9999"} <= shapes
    assert len({e for _, _, e in rows}) == len(rows)  # one customer per number
    for _cid, phone, e164 in rows:
        assert to_e164(phone) == e164
    first = queries.find_by_phone(db, "+15551234567")
    assert first is not None and first.id == 1 and first.phone == "(555) 123-4567"
    sample = rows[::50]
    for cid, phone, _ in sample:
        found = queries.find_by_phone(db, phone)
        assert found is not None and found.id == cid


def test_profiles_and_history_look_real(built: tuple[Database, dict[str, int], list[tuple[str, float]]]) -> None:
    db = built[0]
    since = [date.fromisoformat(r[0]) for r in db.execute("SELECT customer_since FROM customers")]
    years = [(TODAY - s).days / 365.25 for s in since]
    assert max(years) <= 8.1 and min(years) >= 0
    assert sum(y >= 5 for y in years) > 0.15 * len(years)  # long-time customers
    assert sum(y < 1 for y in years) > 0.05 * len(years)
    channels = dict(db.execute("SELECT channel, count(*) FROM interactions GROUP BY channel").fetchall())
    assert set(channels) == {"call", "email", "chat", "sms"}
    prefs = {r[0] for r in db.execute("SELECT DISTINCT preferred_channel FROM customers")}
    assert prefs == {"phone", "email", "sms", "chat"}
    assert db.execute("SELECT count(*) FROM customers WHERE preferred_hours IS NOT NULL").fetchone()[0] > 100
    start = datetime.combine(TODAY, datetime.min.time()).isoformat()
    for table, col in (("interactions", "at"), ("orders", "at"), ("issues", "opened_at"), ("issues", "resolved_at")):
        latest = db.execute(f"SELECT max({col}) FROM {table}").fetchone()[0]
        assert latest < start, (table, col)
    # Nothing happens before the customer relationship starts.
    early = db.execute(
        "SELECT count(*) FROM interactions i JOIN customers c ON c.id = i.customer_id"
        " WHERE i.at < c.customer_since").fetchone()[0]
    assert early == 0


def test_retention_cue_material_is_present(built: tuple[Database, dict[str, int], list[tuple[str, float]]]) -> None:
    db = built[0]
    iso = TODAY.isoformat()
    d60 = (TODAY - timedelta(days=60)).isoformat()
    repeated = db.execute(
        "SELECT count(*) FROM (SELECT customer_id FROM issues WHERE opened_at >= ? GROUP BY customer_id"
        " HAVING count(*) >= 3)", [d60]).fetchone()[0]
    assert repeated >= 10
    d90 = (TODAY - timedelta(days=90)).isoformat()
    d455 = (TODAY - timedelta(days=455)).isoformat()
    dropped = db.execute(
        "SELECT count(*) FROM customers c WHERE"
        " (SELECT count(*) FROM interactions WHERE customer_id = c.id AND at >= ?) = 0 AND"
        " (SELECT count(*) FROM interactions WHERE customer_id = c.id AND at BETWEEN ? AND ?) >= 10",
        [d90, d455, d90]).fetchone()[0]
    assert dropped >= 10
    soon = [(TODAY + timedelta(days=k)).strftime("%m-%d") for k in range(1, 15)]
    anniversaries = db.execute(
        f"SELECT count(*) FROM customers WHERE substr(customer_since, 6) IN ({','.join('?' * 14)})"
        " AND customer_since < ?", [*soon, iso]).fetchone()[0]
    assert anniversaries >= 10
    now = datetime.combine(TODAY, datetime.min.time())
    open_rows = db.execute("SELECT opened_at, target_hours FROM issues WHERE status = 'open'").fetchall()
    ages = [((now - datetime.fromisoformat(o)).total_seconds() / 3600, t) for o, t in open_rows]
    assert sum(a > t for a, t in ages) >= 10 and sum(a <= t for a, t in ages) >= 5
    assert {r[0] for r in db.execute("SELECT DISTINCT severity FROM issues")} == {"low", "normal", "high", "urgent"}
    assert db.execute("SELECT count(*) FROM issues WHERE reopen_count > 0").fetchone()[0] > 20
    notes = [r[0] for r in db.execute("SELECT notes FROM customers WHERE notes IS NOT NULL")]
    assert any("NetWave" in n or "Skyline" in n or "BrightLink" in n for n in notes)
    assert any("complaint" in n or "review" in n for n in notes)
    overdue = db.execute("SELECT count(*) FROM tasks WHERE done = 0 AND due_at < ?", [iso]).fetchone()[0]
    assert overdue >= 3


def test_customer_one_is_a_rich_demo_caller(built: tuple[Database, dict[str, int], list[tuple[str, float]]]) -> None:
    card = queries.caller_card(built[0], 1, today=TODAY)
    assert len(card.history) > 5
    assert card.open_issues and any(i.overdue for i in card.open_issues)
    assert len([i for i in card.recent_issues
                if i.opened_at >= (TODAY - timedelta(days=60)).isoformat()]) >= 3
    assert card.open_tasks


def test_refuses_a_database_with_customers(tmp_path: Path) -> None:
    db = connect(tmp_path / "x.db")
    queries.create_customer(db, name="Real", phone="555 111 2222")
    with pytest.raises(ValueError, match="already holds 1 customers"):
        demo.build_demo(db, customers=10)
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    db.close()


def test_build_demo_file_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    counts = demo.build_demo_file(path, customers=50, seed=3, today=TODAY)
    assert counts["customers"] == 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 50
    db.close()
    before = path.read_bytes()

    def failing(db: Database) -> dict[str, int]:
        demo.build_demo(db, customers=20, seed=3, today=TODAY)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        demo.build_demo_file(path, fill=failing)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]
