"""parse_caller: every form a softphone or PBX hands over, and never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_assist.telephony.caller import MAX_RAW, Caller, parse_caller

NUMBER = "+15551234567"


@pytest.mark.parametrize("raw", [
    "5551234567", "(555) 123-4567", "555.123.4567", "555/123 4567", "+1 555 123 4567", "1-555-123-4567",
    "  +1 (555) 123-4567  ", "\uff15\uff15\uff15\uff11\uff12\uff13\uff14\uff15\uff16\uff17",  # full-width
    "sip:+15551234567@127.0.0.1", "sip:5551234567@pbx.example.com;user=phone",
    "sips:+15551234567@pbx.example.com:5061;transport=tls", "sip:%2B15551234567@host",
    "sip:1234567;phone-context=+1555@pbx.example.com", "sip:5551234567", "SIP:+15551234567@HOST",
    "tel:+1-555-123-4567", "tel:1234567;phone-context=+1555", "tel:+15551234567;ext=22",
    '"Jane Doe" <sip:+15551234567@127.0.0.1:5060>;tag=as5e9f2b3c',
    "Jane Doe <sip:+15551234567@127.0.0.1>", "<sip:5551234567@10.0.0.1>;tag=1",
    'From: "Jane Doe" <sip:+15551234567@host>;tag=xyz', "f: <tel:+15551234567>",
    "sip:user:secret@host".replace("user:secret", "+15551234567:pw"),
])
def test_numbers_in_every_form(raw: str) -> None:
    c = parse_caller(raw, "US")
    assert c.e164 == NUMBER, raw
    assert not c.anonymous
    assert c.raw.strip()


def test_display_name_from_header() -> None:
    c = parse_caller('"Doe, Jane \\"JD\\"" <sip:+15551234567@host>;tag=1', "US")
    assert c.display_name == 'Doe, Jane "JD"'
    assert c.e164 == NUMBER
    assert c.label == 'Doe, Jane "JD"'


def test_region_decides_national_numbers() -> None:
    assert parse_caller("020 7946 0958", "GB").e164 == "+442079460958"
    assert parse_caller("tel:7946-0958;phone-context=+4420", "US").e164 == "+442079460958"
    assert parse_caller("0044 20 7946 0958", "DE").e164 == "+442079460958"


@pytest.mark.parametrize("raw", [
    "", "   ", "anonymous", "Anonymous", "ANONYMOUS", "withheld", "Restricted", "unknown", "private",
    "unavailable", "sip:anonymous@anonymous.invalid", '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1',
    "<sip:anonymous@127.0.0.1>", "sip:restricted@pbx", "tel:unknown", '"Withheld" <sip:@host>', None,
])
def test_anonymous_callers(raw: str | None) -> None:
    c = parse_caller(raw, "US")
    assert c.anonymous, raw
    assert c.e164 is None
    assert c.label == "Unknown caller" or c.label == c.display_name


def test_sip_user_that_is_not_a_number_is_kept() -> None:
    c = parse_caller('"Front desk" <sip:alice@pbx.example.com>', "US")
    assert c.e164 is None and not c.anonymous
    assert c.user == "alice" and c.display_name == "Front desk"
    assert parse_caller("sip:alice@pbx", "US").label == "alice"


def test_short_extension_is_not_a_number() -> None:
    c = parse_caller("sip:204@pbx", "US")
    assert c.e164 is None and c.user == "204" and not c.anonymous


@pytest.mark.parametrize("raw", [
    "\ud800", "555\udc00123 4567", "\x00\x01\x02", "sip:", "tel:", "<>", '"', '"unterminated <sip:1@h',
    "sip:@", "sip:+1555\x00@host", "x" * (MAX_RAW + 10), "5" * 5000, "tel:;phone-context=", "🙂📞",
])
def test_garbage_never_raises(raw: str) -> None:
    c = parse_caller(raw, "US")
    assert isinstance(c, Caller)
    assert len(c.raw) <= MAX_RAW
    assert "\x00" not in c.raw and "\ud800" not in c.raw
    assert c.e164 is None or c.e164.startswith("+")


def test_lone_surrogate_never_becomes_a_number() -> None:
    # the ghost call of issue 17: a surrogate in the digits must not pass as a caller
    c = parse_caller("555\ud800", "US")
    assert c.e164 is None


def test_bad_region_is_no_crash() -> None:
    assert parse_caller("5551234567", "??").e164 is None
    assert parse_caller("+15551234567", "??").e164 == NUMBER


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["US", "GB", "DE", "", "zz"]))
def test_any_text_gives_a_caller(raw: str, region: str) -> None:
    c = parse_caller(raw, region)
    assert isinstance(c, Caller)
    assert c.anonymous or c.e164 or c.user or c.display_name
