"""Build the demo database: customers and their history (store.demo), then finished calls for review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlite_utils import Database

from agent_assist.store import demo as store_demo

Progress = Callable[[str, float], None]  # (what, fraction 0..1)


def build_demo_database(
    db: Database,
    *,
    customers: int = 2000,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
) -> None:
    store_demo.build_demo(db, customers=customers, seed=seed, today=today, progress=progress)
