"""The one outcome vocabulary and local-time display of stored UTC times."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest

from agent_assist.store.outcomes import (
    OUTCOMES,
    local_day_bounds,
    local_monday,
    local_time,
    outcome_key,
    outcome_label,
)


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in a time zone west of UTC (with daylight saving), then restore the machine's zone."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("stored", "label"), [
    ("resolved", "Resolved"), ("follow_up", "Follow-up needed"), ("follow-up needed", "Follow-up needed"),
    ("Follow-up needed", "Follow-up needed"), ("callback scheduled", "Callback scheduled"),
    ("callback", "Callback scheduled"), ("no resolution", "Not resolved"), ("unresolved", "Not resolved"),
    ("dropped", "Call dropped"), ("practice", "Practice"),
    ("practice: Late delivery — score 72/100", "Practice: Late delivery — score 72/100"),
    ("customer hung up", "Customer hung up"), (None, "—"), ("  ", "—"),
])
def test_every_spelling_gets_the_one_label(stored: str | None, label: str) -> None:
    assert outcome_label(stored) == label


def test_keys_are_their_own_keys_and_labels_map_back() -> None:
    for key, label in OUTCOMES:
        assert outcome_key(key) == key and outcome_key(label) == key and outcome_label(key) == label
    assert outcome_key("something else") is None


def test_local_time_and_day_bounds_follow_the_time_zone(new_york: None) -> None:
    # 03:30 UTC on 21 Nov is 22:30 on 20 Nov in New York (EST, UTC-5)
    assert local_time("2026-11-21T03:30:00") == "2026-11-20 22:30"
    assert local_time("2026-11-21T03:30:00", with_zone=True) == "2026-11-20 22:30 EST"
    assert local_time("2026-07-01T03:30:00") == "2026-06-30 23:30"  # EDT in summer
    assert local_day_bounds(date(2026, 11, 20), date(2026, 11, 20)) == ("2026-11-20T05:00:00",
                                                                       "2026-11-21T05:00:00")
    assert local_monday("2026-11-23T03:00:00") == "2026-11-16"  # Sunday evening locally
    assert local_time(None) == "—" and local_time("not a time") == "not a time"
