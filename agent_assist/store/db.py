"""Opening the database: location, pragmas, migrations, and the clear errors for bad files.

The schema is a list of migrations; each one runs once, inside a transaction, and is recorded in the
``migrations`` table and in ``PRAGMA user_version``. A database whose version is newer than this program
knows is refused (opening it could lose data written by the newer version).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

from sqlite_utils import Database

from agent_assist.store import (
    migrations,
    schema,  # noqa: F401  (importing it registers the migrations)
)
from agent_assist.store.errors import (
    DatabaseCorrupt,
    DatabaseEmpty,
    DatabaseInUse,
    DatabaseLocked,
    DatabaseTooNew,
    DataDirUnwritable,
    DiskFull,
    StoreError,
)

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locking only
    fcntl = None  # type: ignore[assignment]

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


# -- one writer per database ------------------------------------------------------------------------------
# The lock is an flock() on the database file itself, so it follows the file's identity (device, inode):
# two names of one file (a hard link, a second path) share it, a copy does not. SQLite's own locks are
# POSIX record locks, which flock() does not touch. Within one process the lock is shared by every
# connection (the window's db lane, a workflow's own connection), counted, and released with the last.
_LOCKS: dict[tuple[int, int], list[int]] = {}  # (st_dev, st_ino) -> [fd, connections]
_LOCKS_GUARD = threading.Lock()


def lock_file_path(p: Path) -> Path:
    """The file beside the database that names the process holding it (for the message, not the lock)."""
    return p.with_name(f"{p.name}.lock")


def _holder(p: Path) -> str:
    try:
        pid = int(lock_file_path(p).read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return ""
    return f" (process {pid})"


def acquire_writer(p: Path) -> tuple[int, int] | None:
    """Take the one-writer lock of the database file ``p``; raises :class:`DatabaseInUse`."""
    if fcntl is None:
        return None
    st = os.stat(p)
    key = (st.st_dev, st.st_ino)
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is not None:
            held[1] += 1
            return key
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DatabaseInUse(
                f"Database {p} is already open in another Agent Assist window or command{_holder(p)}, "
                "perhaps under another name (a link to the same file); close that one first."
            ) from None
        _LOCKS[key] = [fd, 1]
    try:
        fd2 = os.open(lock_file_path(p), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd2, "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
    except OSError:
        pass  # only the message needs it
    return key


def release_writer(key: tuple[int, int] | None, p: Path | None = None) -> None:
    if key is None:
        return
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1] > 0:
            return
        del _LOCKS[key]
        if p is not None:
            lf = lock_file_path(p)
            try:
                if lf.read_text(encoding="ascii").split()[0] == str(os.getpid()):
                    lf.unlink()
            except (OSError, IndexError):
                pass
        os.close(held[0])  # after SQLite closed its connection: closing an fd drops POSIX locks


def writer_is_free(path: Path | str) -> bool:
    """Whether no process holds the one-writer lock of the database at ``path`` (True if it is missing)."""
    p = Path(path).expanduser()
    if fcntl is None or not p.is_file():
        return True
    st = p.stat()
    if (st.st_dev, st.st_ino) in _LOCKS:
        return False
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


class LockedDatabase(Database):
    """A :class:`Database` holding the file's one-writer lock until it is closed."""

    _writer_key: tuple[int, int] | None = None
    _writer_path: Path | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            key, self._writer_key = self._writer_key, None
            release_writer(key, self._writer_path)


# -- first run --------------------------------------------------------------------------------------------
def first_run_reason(path: Path | str) -> str | None:
    """Why the database at ``path`` must be built before use, or ``None`` if it can be opened as it is.

    Missing, 0 bytes, or a SQLite file without a single table (what an interrupted first run or a full
    disk leaves behind). A database with the schema but no data is not rebuilt (someone may have made it
    to import into): the window says it is empty. A damaged or locked file is *not* rebuilt either:
    :func:`connect` reports it and leaves it alone.
    """
    p = Path(path).expanduser()
    if not p.exists():
        return "missing"
    if not p.is_file():
        return None
    if p.stat().st_size == 0:
        return "empty file (0 bytes)"
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) > latest_version():
            return None  # written by a newer version: connect() refuses it, nothing is rebuilt
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return None if tables else "no tables"
    except sqlite3.Error:
        return None
    finally:
        conn.close()



def connect(path: Path | str, *, create: bool = True, migrate_schema: bool = True,
            writer: bool = True) -> Database:
    """Open (or create) the database at ``path`` with WAL, foreign keys and the current schema.

    Raises a :class:`StoreError` subclass with a one-line message for a corrupt, locked, empty (0-byte),
    too-new or in-use file or an unwritable directory. Nothing is changed in a file that fails these
    checks. ``writer`` takes the one-writer lock (see :func:`acquire_writer`); read-only users pass False.
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
            _make_private_dirs(p.parent)
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except OSError as e:
            raise DataDirUnwritable(f"Cannot create the database in {p.parent}: {e.strerror or e}.") from None
    elif p.is_dir():
        raise StoreError(f"{p} is a folder, not a database file.")
    elif p.stat().st_size == 0:
        raise DatabaseEmpty(
            f"Database {p} is an empty file (0 bytes), probably left by an interrupted first run or a full "
            "disk; it was left untouched. Delete it, or build the demo there with 'agent-assist demo --force'."
        )
    key = acquire_writer(p) if writer else None
    conn = None
    try:
        conn = sqlite3.connect(str(p), timeout=2.0, check_same_thread=False)
        db = LockedDatabase(conn)
        db._writer_key, db._writer_path = key, p
        _check_readable(db, p)
        # Before anything writes (switching to WAL rewrites the header): a newer schema is refused here.
        _refuse_newer(db)
        _configure(db)
        if migrate_schema:
            migrate(db)
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        release_writer(key, p)
        msg = str(e).lower()
        if "full" in msg or "i/o error" in msg:
            raise DiskFull(f"Writing {p} failed ({e}: the disk may be full or failing); free some space and "
                           "try again.") from None
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
        release_writer(key, p)
        raise
    _restrict_mode(p)
    return db


def _make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents 0700 (the umask would make them 0755); existing ones stay."""
    missing = []
    d = folder
    while not d.exists() and d.parent != d:
        missing.append(d)
        d = d.parent
    for m in reversed(missing):
        try:
            os.mkdir(m, 0o700)
        except FileExistsError:
            continue
        os.chmod(m, 0o700)


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
