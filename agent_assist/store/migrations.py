"""The schema's migration registry: an ordered list that ``store/schema.py`` fills with ``@migration``.

Kept apart from ``store/db.py`` (which applies them) so the schema module never imports the module that
imports it: ``db -> schema -> migrations``, no circle.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

Migration = Callable[[Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    """Register a schema migration. Order of registration is the order of application; never reorder."""

    def deco(fn: Migration) -> Migration:
        MIGRATIONS.append((name, fn))
        return fn

    return deco
