"""Errors the store raises, each with a message fit to show a user as it is."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: ``str(err)`` is one clear line for a dialog or the CLI."""


class DatabaseCorrupt(StoreError):
    pass


class DatabaseLocked(StoreError):
    pass


class DatabaseTooNew(StoreError):
    pass


class DataDirUnwritable(StoreError):
    pass


class DatabaseEmpty(StoreError):
    """A 0-byte file (an interrupted first run, a full disk): refused rather than silently initialised."""


class DatabaseInUse(StoreError):
    """Another Agent Assist (or this file through a hard link) already writes to this database."""


class DiskFull(StoreError):
    pass


def from_sqlite(e: BaseException, path: object) -> StoreError | None:
    """The :class:`StoreError` for a ``sqlite3`` error raised while using the database at ``path``.

    ``None`` when it is not one of the faults a user can act on (then it is a bug, reported as such).
    """
    import sqlite3

    if not isinstance(e, sqlite3.Error):
        return None
    msg = str(e).lower()
    if "locked" in msg or "busy" in msg:
        return DatabaseLocked(f"Database {path} is locked by another program; close it and try again.")
    if "i/o error" in msg:  # a write the OS refused part-way: a full disk or quota, or a failing disk
        return DiskFull(f"Writing {path} failed (disk I/O error: the disk may be full or failing); the step "
                        "that failed saved nothing.")
    if "full" in msg:
        return DiskFull(f"The disk holding {path} is full; free some space and try again (nothing was saved "
                        "by the step that failed).")
    if "readonly" in msg or "read-only" in msg:
        return DataDirUnwritable(f"Database {path} cannot be written (check the permissions of the file and "
                                 "its folder).")
    if "malformed" in msg or "not a database" in msg:
        return DatabaseCorrupt(f"Database {path} is damaged ({e}).")
    return None
