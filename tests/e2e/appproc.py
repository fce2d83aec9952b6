"""Driving the real app process from end-to-end tests: the CLI, and the window's state file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


def cli(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


def read_state(p: Path) -> dict[str, Any]:
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {}


def wait_state(p: Path, pred: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
    """The window's state once ``pred`` holds (polled every 0.1 s, up to ``timeout``)."""
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = read_state(p)
        if state and pred(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"window never reached the expected state; last: {state}")
