"""Fixtures shared by the end-to-end tests that start the window offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_assist.store.demo import build_demo_file


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "e2e.db"
    build_demo_file(path, customers=40, seed=11)
    return path


@pytest.fixture
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "state.json"
    monkeypatch.setenv("AGENT_ASSIST_TEST_STATE", str(p))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return p
