"""The log: every line redacted (cards, SSNs, IBANs) with caller numbers masked; the file 0600 in a 0700
folder. Through the app's own ``setup_logging`` and the ``logging`` calls code makes."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.ui import app as app_mod
from tests.coach.pii_strategies import Secret, leaked, sentences


@pytest.fixture
def app_log() -> Iterator[logging.Handler]:
    root = logging.getLogger()
    old_level = root.level
    app_mod.setup_logging()
    handler = next(h for h in root.handlers if getattr(h, "_agent_assist", False))
    yield handler
    root.removeHandler(handler)
    handler.close()
    root.setLevel(old_level)


@given(st.lists(sentences(), min_size=3, max_size=6))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
def test_log_lines_hold_no_secret_and_no_caller_number(app_log: logging.Handler,
                                                       cases: list[tuple[Secret, str]]) -> None:
    log = logging.getLogger("agent_assist.test")
    log.warning("incoming call %s (%s) from %s", "+1 555 123 4567", "+15551234567", "(555) 987-6543")
    for _s, text in cases:
        log.info("note typed: %s", text)
    try:
        raise ValueError(f"could not store {cases[0][1]}")
    except ValueError:
        log.exception("storing failed")
    app_log.flush()
    written = app_mod.log_path().read_text(encoding="utf-8")
    assert "incoming call" in written and "storing failed" in written
    for number in ("5551234567", "5559876543"):
        assert number not in "".join(c for c in written if c.isdigit() or c == "\n").replace("\n", " ")
    leaks = [(s.kind, t) for s, t in cases if leaked(s, written)]
    assert not leaks, leaks


def test_log_file_and_folder_are_private(app_log: logging.Handler) -> None:
    logging.getLogger("agent_assist.test").warning("hello")
    app_log.flush()
    p = app_mod.log_path()
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    # a rotated log is created 0600 too
    assert isinstance(app_log, logging.handlers.RotatingFileHandler)
    app_log.doRollover()
    for f in p.parent.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
