"""Build the demo database: customers and their history (store.demo), then finished calls for review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from agent_assist.store import demo as store_demo
from agent_assist.workflows.demo_calls import add_demo_calls
from agent_assist.workflows.demo_tasks import add_demo_tasks

Progress = Callable[[str, float], None]  # (what, fraction 0..1)


def build_demo_database(
    db: Database,
    *,
    customers: int = 2000,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Fill an empty database with demo data; returns row counts per table."""
    counts = store_demo.build_demo(db, customers=customers, seed=seed, today=today, progress=progress)
    counts["calls"] = add_demo_calls(db, seed=seed, today=today, progress=progress)
    counts["tasks"] = counts.get("tasks", 0) + add_demo_tasks(db, seed=seed, today=today)
    return counts


def build_demo_file(
    path: Path | str,
    *,
    customers: int = 2000,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Build a complete demo database file at ``path`` (all or nothing; replaces an existing file)."""
    return store_demo.build_demo_file(
        path,
        fill=lambda db: build_demo_database(db, customers=customers, seed=seed, today=today, progress=progress),
    )
