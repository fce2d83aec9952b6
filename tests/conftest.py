"""Test-wide set-up: offscreen Qt, private XDG dirs, and a check that no test leaks a thread."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests explore new random examples on every local run (`make test`, `make test-repeat`): that
# is how the redaction gaps of 2026-12-02 were found. CI (CI=true: .ci/run, ci-fresh) runs them on the
# examples derived from each test's own code instead, so that a landing is decided by the code under
# test and not by the draw; a failure prints the example to add as a regression test.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
os.environ.setdefault("AGENT_ASSIST_TESTING", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the real user's data, config or runtime directories."""
    base = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = base / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    rt = base / "runtime"
    rt.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(rt))


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [t for t in threading.enumerate()
              if t.ident not in before and t.is_alive() and not t.daemon
              and not t.name.startswith(("QDBus", "Dummy", "asyncio"))]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test leaked running threads: {still}"


# A real PostgreSQL server (session) and a fresh database per test, for the team-store tests.
from tests.pg_cluster import pg_cluster, team_db  # noqa: E402, F401
