"""PII redaction: generated valid card numbers are always caught; demo order numbers and phones never are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from agent_assist.coach.redact import redact

PREFIXES = {  # scheme prefix -> allowed lengths
    "4": (13, 16, 19),
    "51": (16,), "55": (16,), "2221": (16,), "2720": (16,),
    "34": (15,), "37": (15,),
    "6011": (16, 19), "65": (16,),
    "3528": (16,), "36": (14,), "62": (16, 19),
}


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(PREFIXES)))
    length = draw(st.sampled_from(PREFIXES[prefix]))
    body = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                          min_size=length - len(prefix) - 1,
                                          max_size=length - len(prefix) - 1)))
    return body + luhn.calc_check_digit(body)


@st.composite
def spaced(draw: st.DrawFn, digits: str) -> str:
    """The digits with a random separator ('', ' ', '-') after each digit but the last."""
    seps = draw(st.lists(st.sampled_from(["", "", " ", "-"]), min_size=len(digits) - 1,
                         max_size=len(digits) - 1))
    return "".join(d + s for d, s in zip(digits, [*seps, ""], strict=True))


@given(data=st.data(), prefix=st.sampled_from(["", "card ", "my card number is ", "Paid with ", "x: "]),
       suffix=st.sampled_from(["", ".", " thanks", " exp 12/27", ", ok"]))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_valid_cards_in_any_spacing_are_redacted(data: st.DataObject, prefix: str, suffix: str) -> None:
    number = data.draw(card_numbers())
    written = data.draw(spaced(number))
    r = redact(f"{prefix}{written}{suffix}")
    assert r.count >= 1 and "card" in r.kinds
    assert f"[card ••••{number[-4:]}]" in r.text
    leftover = "".join(c for c in r.text if c.isdigit())
    assert number not in leftover
    assert r.text.startswith(prefix) and r.text.endswith(suffix)


@given(st.integers(min_value=10**12, max_value=10**19 - 1))
def test_luhn_invalid_numbers_are_kept(n: int) -> None:
    s = str(n)
    if luhn.is_valid(s):
        s = s[:-1] + str((int(s[-1]) + 1) % 10)
    assert redact(f"order {s}").text == f"order {s}"


def test_cvv_after_a_card_mention() -> None:
    r = redact("Card 4111 1111 1111 1111, the CVV is 123 and expiry 11/28")
    assert r.text == "Card [card ••••1111], the CVV is [CVV] and expiry 11/28"
    assert r.kinds == ("card", "cvv") and r.count == 2
    assert redact("on my visa, security code 4321").text == "on my visa, security code [CVV]"
    # a "security code" with no card in sight is something else (a door code, a PIN reset...)
    assert redact("the building security code 4321").count == 0


def test_ssn_and_iban() -> None:
    r = redact("SSN 123-45-6789; IBAN DE89 3704 0044 0532 0130 00 please")
    assert r.text == "SSN [SSN]; IBAN [IBAN] please"
    assert set(r.kinds) == {"ssn", "iban"}
    assert redact("social security number: 123456789").text == "social security number: [SSN]"
    # invalid SSN areas (000, 666, 9xx) and bad IBAN checksums are not redacted
    for keep in ("000-12-3456", "666-12-3456", "DE89 3704 0044 0532 0130 01", "123456789"):
        assert redact(keep).count == 0, keep
    assert redact("gb82west12345698765432").text == "[IBAN]"


def test_two_ssns_on_consecutive_lines_are_both_redacted() -> None:
    # a call's notes join every line with "\n", so two numbers form one run of digit groups; found by
    # tests/store/test_redaction_paths.py (hypothesis) — the second, or both, used to survive
    notes = "ok so it's \uff13\uff16\uff17  \u096a\u096d  \u0661\u0663\u0669\u0669\n617\u2009\u0666\u0663\u2009\uff10\uff12\uff16\u0661 thanks"
    assert redact(notes).text == "ok so it's [SSN]\n[SSN] thanks"
    spoken = "my social security number: two one three nine two oh four oh nine\n306-86-0072"
    assert redact(spoken).text == "my social security number: [SSN]\n[SSN]"
    assert redact("123 45 6789\n306 86 0072").text == "[SSN]\n[SSN]"
    # a card read out as words, another, then an SSN: found by hypothesis in a CI-style run, the second
    # card used to grow into a 19-digit "card" (Luhn-valid by chance) that ate the SSN's first group
    words = ("two two two one zero zero zero zero zero zero zero zero zero zero zero nine "
             "three five two eight one six five three five seven five eight seven seven eight nine 001 01 0001")
    assert redact(words).text == "[card ••••0009] [card ••••7789] [SSN]"
    assert redact("4111 1111 1111 1111 123 45 6789").text == "[card ••••1111] [SSN]"
    # one number with the same separator throughout is not an SSN inside it
    for keep in ("order 123-45-6789-01", "123 45 6789 12", "ref 9 123 45 6789"):
        assert redact(keep).count == 0, keep


def test_describe_and_nothing_found() -> None:
    r = redact("Call back Friday about the refund")
    assert (r.text, r.count, r.kinds, r.changed, r.describe()) == (
        "Call back Friday about the refund", 0, (), False, "")
    r = redact("4111111111111111 cvv 999")
    assert r.describe() == "2 items redacted (card, CVV)"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from agent_assist.store import db as store_db
    from agent_assist.store import demo as store_demo

    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = store_db.connect(path)
    store_demo.build_demo(db, customers=400, seed=1234, today=date(2026, 11, 23))
    yield db
    db.close()


def test_no_false_positives_on_demo_orders_and_phones(demo_db: Any) -> None:
    db = demo_db
    # Orders carry an external id when imported; demo orders are numbered by id, shown as order numbers.
    orders = [r[0] for r in db.execute(
        "SELECT COALESCE(external_id, printf('%08d', id)) FROM orders")]
    amounts = [f"{r[0]:.2f}" for r in db.execute("SELECT amount FROM orders")]
    phones = [r[0] for r in db.execute("SELECT phone FROM customers WHERE phone IS NOT NULL")]
    e164 = [r[0] for r in db.execute("SELECT phone_e164 FROM customers WHERE phone_e164 IS NOT NULL")]
    digits = ["".join(c for c in p if c.isdigit()) for p in e164]
    assert len(orders) > 100 and len(phones) > 100
    for value in [*orders, *amounts, *phones, *e164, *digits]:
        for text in (value, f"order {value} shipped", f"call me on {value}", f"card ending {value}"):
            r = redact(text)
            assert r.count == 0, (text, r)
    # and the notes and summaries the demo wrote
    for (text,) in db.execute("SELECT summary FROM interactions UNION SELECT notes FROM customers"):
        if text:
            assert redact(text).count == 0, text
