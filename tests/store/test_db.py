"""Opening, creating and migrating the database, and refusing bad files without touching them."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.settings import default_db_path
from agent_assist.store import db as dbm
from agent_assist.store import migrations
from agent_assist.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseTooNew,
    DataDirUnwritable,
    StoreError,
)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Database]:
    db = dbm.connect(tmp_path / "a.db")
    yield db
    db.close()


def test_new_file_gets_every_migration_wal_foreign_keys_and_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "a.db"
    db = dbm.connect(path)
    try:
        latest = dbm.latest_version()
        assert latest >= 4
        assert dbm.schema_version(db) == latest
        rows = db.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, latest + 1))
        assert [r[1] for r in rows] == [name for name, _ in migrations.MIGRATIONS]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO interactions (customer_id, at, channel) VALUES (999, '2024-01-01', 'call')")
        for table in ("agents", "customers", "interactions", "orders", "issues", "calls", "tasks"):
            assert db[table].exists(), table
        assert db["customers_fts"].exists() and db["issues_fts"].exists()
        db.execute("INSERT INTO customers (name) VALUES ('x')")  # creates the -wal file
        for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert f.exists()
            assert mode(f) == 0o600, f
    finally:
        db.close()


def test_existing_file_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    dbm.connect(path).close()
    os.chmod(path, 0o644)
    dbm.connect(path).close()
    assert mode(path) == 0o600


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    dbm.connect(path).close()
    db = dbm.connect(path)
    try:
        assert dbm.migrate(db) == []
        assert db.execute("SELECT count(*) FROM migrations").fetchone()[0] == dbm.latest_version()
    finally:
        db.close()


@pytest.mark.parametrize("start", range(dbm.latest_version()))
def test_migrates_from_every_earlier_version_keeping_data(tmp_path: Path, start: int) -> None:
    path = tmp_path / "old.db"
    old = dbm.connect(path, migrate_schema=False)
    dbm.migrate(old, upto=start)
    assert dbm.schema_version(old) == start
    if start >= 2:
        old.execute("INSERT INTO customers (name, phone_e164) VALUES ('Kept Customer', '+15550001111')")
    old.close()
    db = dbm.connect(path)
    try:
        assert dbm.schema_version(db) == dbm.latest_version()
        assert db.execute("SELECT count(*) FROM migrations").fetchone()[0] == dbm.latest_version()
        if start >= 2:
            assert db.execute("SELECT name FROM customers").fetchall() == [("Kept Customer",)]
            # FTS built by a later migration covers rows written before it.
            hits = db.execute("SELECT rowid FROM customers_fts WHERE customers_fts MATCH 'kept'").fetchall()
            assert hits == [(1,)]
    finally:
        db.close()


def test_a_failing_migration_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db"
    dbm.connect(path).close()
    before = dbm.latest_version()

    def broken(db: Database) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        db.execute("INSERT INTO half_done VALUES (1)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("broken", broken)])
    with pytest.raises(RuntimeError, match="migration bug"):
        dbm.connect(path)
    monkeypatch.undo()
    db = dbm.connect(path)
    try:
        assert dbm.schema_version(db) == before
        assert not db["half_done"].exists()
    finally:
        db.close()


def _snapshot(path: Path) -> tuple[bytes, list[str]]:
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def test_garbage_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    path.write_bytes(b"this is a shopping list, not a database\n" * 50)
    before = _snapshot(path)
    with pytest.raises(DatabaseCorrupt, match="not a SQLite database"):
        dbm.connect(path)
    assert _snapshot(path) == before


def test_damaged_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = dbm.connect(path)
    db.conn.executemany("INSERT INTO customers (name, notes) VALUES (?, ?)",
                        [(f"c{i}", "x" * 300) for i in range(2000)])
    db.conn.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    for n in range(3, 20):  # scribble over b-tree pages, keep the header page
        data[n * page:n * page + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    before = _snapshot(path)
    with pytest.raises(DatabaseCorrupt):
        dbm.connect(path)
    assert _snapshot(path) == before


def test_newer_schema_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)  # rollback-journal file, as a newer app might leave it
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {dbm.latest_version() + 3}")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    with pytest.raises(DatabaseTooNew, match="newer version"):
        dbm.connect(path)
    assert _snapshot(path) == before  # not even switched to WAL


def test_locked_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO t VALUES (1)")
    try:
        with pytest.raises(DatabaseLocked, match="locked"):
            dbm.connect(path)
    finally:
        other.execute("ROLLBACK")
        other.close()
    db = dbm.connect(path, migrate_schema=False)
    assert dbm.schema_version(db) == 0  # refused without a migration half applied
    db.close()


def test_locked_wal_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    dbm.connect(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLocked):
            dbm.connect(path)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_unwritable_data_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(DataDirUnwritable, match="Cannot create the database"):
        dbm.connect(blocker / "agent-assist.db")
    assert blocker.read_text() == "a file where the data folder should be"


def test_folder_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="folder"):
        dbm.connect(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        dbm.connect(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    path.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(StoreError) as e:
        dbm.connect(path)
    assert "\n" not in str(e.value)


def test_memory_database(fresh: Database) -> None:
    db = dbm.connect(":memory:")
    try:
        assert dbm.schema_version(db) == dbm.latest_version()
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        db.close()


def test_default_path_honours_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path().is_relative_to(tmp_path / "xdg")
