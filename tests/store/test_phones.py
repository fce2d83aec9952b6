"""Phone numbers normalise to E.164 whatever the stored or typed format."""

from __future__ import annotations

import pytest

from agent_assist.store.phones import BadPhoneNumber, pretty, to_e164, try_e164


@pytest.mark.parametrize(
    "raw",
    ["(555) 123-4567", "555/123 4567", "+1 555 123 4567", "555-123-4567", "555.123.4567",
     "5551234567", "+15551234567", "1 555 123 4567", "+1 (555) 123-4567", "  555 123 4567  "],
)
def test_every_format_gives_the_same_e164(raw: str) -> None:
    assert to_e164(raw) == "+15551234567"


def test_region_decides_numbers_without_country_code() -> None:
    assert to_e164("030 1234567", "DE") == "+49301234567"
    assert to_e164("020 7946 0958", "gb") == "+442079460958"
    assert to_e164("+44 20 7946 0958", "US") == "+442079460958"  # an explicit code wins


@pytest.mark.parametrize(
    ("raw", "why"),
    [("", "empty"), ("   ", "empty"), ("hello", "no digits"), ("12", "not a phone number"),
     ("+999 1234 5678", "unknown country code"), ("555 123 4567 8901 2345", "not a phone number")],
)
def test_bad_numbers_raise_a_readable_error(raw: str, why: str) -> None:
    with pytest.raises(BadPhoneNumber, match=why) as e:
        to_e164(raw)
    assert "\n" not in str(e.value)


def test_try_e164_and_pretty() -> None:
    assert try_e164("(555) 123-4567") == "+15551234567"
    assert try_e164("nope") is None
    assert try_e164(None) is None
    assert pretty("+15551234567") == "+1 555-123-4567"
    assert pretty("garbage") == "garbage"
