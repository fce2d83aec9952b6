"""The redaction contract on the redactor itself: no generated secret, in any shape, survives ``redact``.

The same strategies drive the path tests (database, log, CSV, PDF) in tests/store, tests/commands and
tests/ui/review; here they run many more examples because nothing but the redactor is involved.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.coach.redact import redact
from tests.coach.pii_strategies import Secret, leaked, readable_digits, sentences

MARKERS = {"card": "[card ••••", "iban": "[IBAN]", "ssn": "[SSN]"}


@given(sentences())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_secret_in_any_shape_survives(case: tuple[Secret, str]) -> None:
    secret, text = case
    assert leaked(secret, text)  # the generator really wrote the secret readably
    r = redact(text)
    assert not leaked(secret, r.text), (text, r.text)
    assert MARKERS[secret.kind] in r.text and secret.kind in r.kinds


@given(st.lists(sentences(), min_size=2, max_size=5), st.sampled_from([" ", "\n", "; ", " and then "]))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_several_secrets_in_one_text(cases: list[tuple[Secret, str]], joiner: str) -> None:
    text = joiner.join(t for _s, t in cases)
    out = redact(text).text
    for secret, _t in cases:
        assert not leaked(secret, out), (text, out)


@given(sentences())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_log_lines_are_redacted_too(case: tuple[Secret, str]) -> None:
    from agent_assist.coach.redact import redact_log  # the log's entry point (also masks phones)

    secret, text = case
    assert not leaked(secret, redact_log(f"incoming call from +15551234567: {text}"))


def test_examples_from_the_issue() -> None:
    # the shapes the issue found stored in the clear, one per line
    cases = {
        "card 4111  1111  1111  1111": "card [card ••••1111]",
        "card 4111\u00a01111\u00a01111\u00a01111": "card [card ••••1111]",
        "card 4111/1111/1111/1111": "card [card ••••1111]",
        "card 4111_1111_1111_1111": "card [card ••••1111]",
        "card ４１１１ １１１１ １１１１ １１１１": "card [card ••••1111]",
        "card 4111 1111\n1111 1111 thanks": "card [card ••••1111] thanks",
        "four one one one one one one one one one one one one one one one": "[card ••••1111]",
        "four double one double one double one double one double one double one double one one":
            "[card ••••1111]",
        "ssn one two three, four five, six seven eight nine": "ssn [SSN]",
        "IBAN DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000": "IBAN [IBAN]",
        "IBAN DE89/3704/0044/0532/0130/00": "IBAN [IBAN]",
        "SSN 123 45 6789": "SSN [SSN]",
        "SSN 123/45/6789": "SSN [SSN]",
    }
    for text, expected in cases.items():
        assert redact(text).text == expected, text


def test_ordinary_speech_and_numbers_are_kept() -> None:
    for text in ("call me at one o'clock or two", "I have one two three things to ask",
                 "order 4111 1111 1111 1112", "+1 555 123 4567", "2026-11-23 09:15", "12.50 and 3.99",
                 "ref 123-45 6789", "room 1-2-3, building security code 4321",
                 "version 3.11.4, build 20261123", "ORD-4111111111111111"):
        r = redact(text)
        assert r.count == 0, (text, r.text)
    assert readable_digits("four double five oh ٣, ok 12") == "45503 12"
