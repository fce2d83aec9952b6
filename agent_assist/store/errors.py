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
