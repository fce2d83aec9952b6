"""A real PostgreSQL server for the team-store tests: one per test session, a fresh database per test.

Debian's ``postgresql`` package (``make test`` installs it); ``initdb``/``pg_ctl`` run as ``postgres``
when the tests run as root. The server is always stopped at the end of the session.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_assist.store.team.cluster import LocalCluster

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    # Not under pytest's tmp dirs: those are private to root (0700), which the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="agent-assist-pg-"))
    cluster = LocalCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class TeamDb:
    cluster: LocalCluster
    dbname: str

    def url(self, user: str = "postgres", password: str | None = None) -> str:
        return self.cluster.url(user, self.dbname, password)


@pytest.fixture
def team_db(pg_cluster: LocalCluster) -> Iterator[TeamDb]:
    """An empty database in the session's server, dropped after the test."""
    if not pg_cluster.is_running():  # a test that crashed the server and failed before restarting it
        pg_cluster.start()
    name = f"team_{next(_counter)}"
    pg_cluster.psql(f"CREATE DATABASE {name}")
    try:
        yield TeamDb(pg_cluster, name)
    finally:
        if not pg_cluster.is_running():
            pg_cluster.start()
        pg_cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
