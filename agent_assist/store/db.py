"""Opening the database: location, pragmas, migrations, and the clear errors for bad files.

The schema is a list of migrations; each one runs once, inside a transaction, and is recorded in the
``migrations`` table and in ``PRAGMA user_version``. A database whose version is newer than this program
knows is refused (opening it could lose data written by the newer version).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from sqlite_utils import Database

from agent_assist.store import (
    migrations,
    schema,  # noqa: F401  (importing it registers the migrations)
)
from agent_assist.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseTooNew,
    DataDirUnwritable,
    StoreError,
)

QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def latest_version() -> int:
    return len(migrations.MIGRATIONS)


def _refuse_newer(db: Database) -> int:
    current = schema_version(db)
    if current > len(migrations.MIGRATIONS):
        raise DatabaseTooNew(
            f"This database was written by a newer version of Agent Assist (schema {current}, "
            f"this version knows {len(migrations.MIGRATIONS)}). Update the app; the file was left untouched."
        )
    return current


def migrate(db: Database, upto: int | None = None) -> list[str]:
    """Apply pending migrations (up to version ``upto``); returns the names applied."""
    current = _refuse_newer(db)
    applied = []
    target = len(migrations.MIGRATIONS) if upto is None else upto
    for version in range(current + 1, target + 1):
        name, fn = migrations.MIGRATIONS[version - 1]
        # One transaction per migration: db.atomic() holds an explicit BEGIN, so the DDL that
        # db.execute would otherwise autocommit statement by statement is rolled back as a whole.
        with db.atomic():
            fn(db)
            db.execute(
                "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                [version, name],
            )
            db.execute(f"PRAGMA user_version = {version}")
        applied.append(name)
    return applied


def connect(path: Path | str, *, create: bool = True, migrate_schema: bool = True) -> Database:
    """Open (or create) the database at ``path`` with WAL, foreign keys and the current schema.

    Raises a :class:`StoreError` subclass with a one-line message for a corrupt, locked or too-new file
    or an unwritable directory. Nothing is changed in a file that fails these checks.
    """
    if str(path) == ":memory:":
        db = Database(memory=True)
        _configure(db)
        if migrate_schema:
            migrate(db)
        return db
    p = Path(path).expanduser()
    exists = p.exists()
    if not exists and not create:
        raise StoreError(f"Database {p} does not exist.")
    if not exists:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except OSError as e:
            raise DataDirUnwritable(f"Cannot create the database in {p.parent}: {e.strerror or e}.") from None
    elif p.is_dir():
        raise StoreError(f"{p} is a folder, not a database file.")
    conn = None
    try:
        conn = sqlite3.connect(str(p), timeout=2.0, check_same_thread=False)
        db = Database(conn)
        _check_readable(db, p)
        # Before anything writes (switching to WAL rewrites the header): a newer schema is refused here.
        _refuse_newer(db)
        _configure(db)
        if migrate_schema:
            migrate(db)
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        msg = str(e).lower()
        if "locked" in msg or "busy" in msg:
            raise DatabaseLocked(f"Database {p} is locked by another program; close it and try again.") from None
        if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
            raise DataDirUnwritable(
                f"Database {p} cannot be written (check the permissions of the file and {p.parent})."
            ) from None
        raise DatabaseCorrupt(f"Database {p} is damaged or not an Agent Assist database ({e}); it was left untouched.") from None
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    _restrict_mode(p)
    return db


def _check_readable(db: Database, p: Path) -> None:
    with p.open("rb") as f:
        head = f.read(16)
    if head and head != b"SQLite format 3\x00":
        raise DatabaseCorrupt(f"{p} is not a SQLite database (it may be damaged); it was left untouched.")
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    # quick_check reads every page: ~50 ms for the 2,000-customer demo, seconds for a 400 MB database,
    # so big files rely on SQLite's own "malformed" errors at query time instead of a full scan at start.
    if head and p.stat().st_size <= QUICK_CHECK_MAX_BYTES:
        row = db.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise DatabaseCorrupt(f"Database {p} is damaged ({row[0] if row else 'no answer'}); it was left untouched.")


def _configure(db: Database) -> None:
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 2000")
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")


def _restrict_mode(p: Path) -> None:
    for f in (p, Path(str(p) + "-wal"), Path(str(p) + "-shm")):
        try:
            if f.exists() and stat.S_IMODE(f.stat().st_mode) != 0o600:
                os.chmod(f, 0o600)
        except OSError:
            pass
