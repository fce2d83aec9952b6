"""Screen pop, caller card, search and new-customer queries against a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import queries as q
from agent_assist.store.db import connect
from agent_assist.store.phones import BadPhoneNumber

NOW = datetime(2026, 6, 15, 12, 0, 0)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "q.db")
    yield d
    d.close()


def add_customer(db: Database, name: str, phone: str, email: str | None = None) -> int:
    return q.create_customer(db, name=name, phone=phone, email=email)


STORED = ["(555) 123-4567", "555/222 3333", "+1 555 444 5555", "555-666-7777", "555.888.9999"]


@pytest.mark.parametrize("stored", STORED)
@pytest.mark.parametrize("style", ["+1{a}{b}{c}", "({a}) {b}-{c}", "{a}/{b} {c}", "+1 {a} {b} {c}", "{a}{b}{c}"])
def test_find_by_phone_matches_any_stored_format(db: Database, stored: str, style: str) -> None:
    ids = {s: add_customer(db, f"Customer {i}", s) for i, s in enumerate(STORED)}
    digits = "".join(ch for ch in stored if ch.isdigit())[-10:]
    typed = style.format(a=digits[:3], b=digits[3:6], c=digits[6:])
    found = q.find_by_phone(db, typed)
    assert found is not None
    assert found.id == ids[stored]
    assert found.phone == stored  # kept as given
    assert found.phone_e164 == "+1" + digits


def test_find_by_phone_unknown_and_bad(db: Database) -> None:
    add_customer(db, "Ann", "(555) 123-4567")
    assert q.find_by_phone(db, "555 000 0000") is None
    with pytest.raises(BadPhoneNumber):
        q.find_by_phone(db, "12")
    with pytest.raises(BadPhoneNumber):
        q.find_by_phone(db, "call me")


def test_region_is_used_for_national_numbers(db: Database) -> None:
    cid = q.create_customer(db, name="Berlin", phone="030 1234567", region="DE")
    found = q.find_by_phone(db, "+49 30 1234567")
    assert found is not None and found.id == cid
    assert q.find_by_phone(db, "030 1234567", region="DE") == found


def _history_customer(db: Database) -> int:
    cid = add_customer(db, "Hist Ory", "(555) 100-2000")
    other = add_customer(db, "Other", "(555) 100-2001")
    inter = [(cid, iso(NOW - timedelta(days=2 * i + 1)), "call" if i % 2 else "email", "in", f"i{i}")
             for i in range(60)]
    inter.append((other, iso(NOW - timedelta(hours=1)), "call", "in", "someone else's"))
    db.conn.executemany(
        "INSERT INTO interactions (customer_id, at, channel, direction, summary) VALUES (?, ?, ?, ?, ?)", inter)
    orders = [(cid, iso(NOW - timedelta(days=2 * i + 2)), 10.0 + i, "delivered", f"item{i}") for i in range(30)]
    db.conn.executemany("INSERT INTO orders (customer_id, at, amount, status, item) VALUES (?, ?, ?, ?, ?)", orders)
    db.conn.commit()
    return cid


def test_caller_card_history_is_merged_newest_first_and_limited(db: Database) -> None:
    cid = _history_customer(db)
    card = q.caller_card(db, cid, history_limit=50, today=NOW)
    assert card.customer.name == "Hist Ory"
    assert len(card.history) == 50
    ats = [h.at for h in card.history]
    assert ats == sorted(ats, reverse=True)
    assert {h.kind for h in card.history} == {"call", "email", "order"}
    assert "someone else's" not in {h.summary for h in card.history}
    # The 50 newest of 60 interactions (odd days) and 30 orders (even days) are days 1..50.
    assert card.history[0].at == iso(NOW - timedelta(days=1))
    assert card.history[-1].at == iso(NOW - timedelta(days=50))
    first_order = next(h for h in card.history if h.kind == "order")
    assert first_order.amount == 10.0 and first_order.summary == "item0"
    assert card.last_contact_at == iso(NOW - timedelta(days=1))
    assert len(q.caller_card(db, cid, history_limit=5, today=NOW).history) == 5
    assert len(card.contact_times) == 60 and len(card.order_times) == 30
    assert card.first_order_at == iso(NOW - timedelta(days=60))


def test_caller_card_open_issues_with_age_against_target(db: Database) -> None:
    cid = add_customer(db, "Issue Person", "(555) 300-4000")
    rows = [
        (cid, iso(NOW - timedelta(hours=10)), None, "open", "high", "Fresh one", 0, 24.0),
        (cid, iso(NOW - timedelta(hours=100)), None, "open", "normal", "Overdue one", 1, 72.0),
        (cid, iso(NOW - timedelta(days=30)), iso(NOW - timedelta(days=29)), "resolved", "normal", "Fixed", 0, 72.0),
        (cid, iso(NOW - timedelta(days=800)), iso(NOW - timedelta(days=790)), "resolved", "low", "Ancient", 0, 168.0),
    ]
    db.conn.executemany(
        "INSERT INTO issues (customer_id, opened_at, resolved_at, status, severity, title, reopen_count,"
        " target_hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.conn.commit()
    card = q.caller_card(db, cid, today=NOW)
    assert [i.title for i in card.open_issues] == ["Overdue one", "Fresh one"]  # oldest first
    overdue, fresh = card.open_issues
    assert overdue.age_hours == pytest.approx(100.0)
    assert overdue.overdue and overdue.reopen_count == 1
    assert overdue.age_fraction == pytest.approx(100 / 72)
    assert fresh.age_hours == pytest.approx(10.0) and not fresh.overdue
    assert {i.title for i in card.recent_issues} == {"Fresh one", "Overdue one", "Fixed"}
    fixed = next(i for i in card.recent_issues if i.title == "Fixed")
    assert fixed.age_hours == pytest.approx(24.0) and not fixed.overdue


def test_caller_card_missing_customer(db: Database) -> None:
    with pytest.raises(LookupError):
        q.caller_card(db, 12345)


def test_screen_pop(db: Database) -> None:
    cid = _history_customer(db)
    card = q.screen_pop(db, "+1 555 100 2000", today=NOW)
    assert card is not None and card.customer.id == cid and len(card.history) == 50
    assert q.screen_pop(db, "555 999 9999") is None


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    ids = {
        "ann": q.create_customer(db, name="Ann O'Brien", phone="(555) 123-4567", email="ann.obrien@example.com"),
        "bob": q.create_customer(db, name="Bob Annandale", phone="555/987 6543", email="bob@shop.example.net"),
        "cy": q.create_customer(db, name="Cy Twombly", phone="+1 555 246 8100", email="cy@example.org"),
    }
    db.execute(
        "INSERT INTO issues (customer_id, opened_at, status, title) VALUES (?, ?, 'open', 'Router keeps rebooting')",
        [ids["cy"], iso(NOW)])
    return ids


def test_search_by_phone_any_format_and_partial_digits(db: Database, people: dict[str, int]) -> None:
    for text in ("555/123 4567", "+15551234567", "(555) 123-4567"):
        hits = q.search(db, text)
        assert [h.customer_id for h in hits] == [people["ann"]]
        assert hits[0].matched == "phone"
    assert [h.customer_id for h in q.search(db, "4321")] == []
    assert [h.customer_id for h in q.search(db, "987 65")] == [people["bob"]]
    assert {h.customer_id for h in q.search(db, "555")} == set(people.values())


def test_search_by_name_email_and_issue(db: Database, people: dict[str, int]) -> None:
    hits = q.search(db, "ann")
    assert [h.customer_id for h in hits][:2] == [people["ann"], people["bob"]] or \
        {h.customer_id for h in hits} == {people["ann"], people["bob"]}
    assert all(h.matched == "name" for h in hits)
    hits = q.search(db, "shop.example")
    assert [(h.customer_id, h.matched) for h in hits] == [(people["bob"], "email")]
    hits = q.search(db, "twom")
    assert [(h.customer_id, h.matched) for h in hits] == [(people["cy"], "name")]
    hits = q.search(db, "reboot")
    assert [(h.customer_id, h.matched, h.detail) for h in hits] == [
        (people["cy"], "issue", "Router keeps rebooting")]
    assert [h.customer_id for h in q.search(db, "O'Brien")] == [people["ann"]]
    assert q.search(db, "ann", limit=1) and len(q.search(db, "ann", limit=1)) == 1


@pytest.mark.parametrize(
    "text",
    ['"', "'", "*", "AND", "OR NOT", "NEAR(", "(", ")", "^ann", "name:ann", "-", "+", "ann\"", '"ann',
     "a OR b", "ann*", "{x}", "\\", "\x00", "😀", "ann AND", "  ", ""],
)
def test_search_survives_fts_syntax_in_user_text(db: Database, people: dict[str, int], text: str) -> None:
    hits = q.search(db, text)
    assert isinstance(hits, list)
    if text in ("^ann", 'ann"', '"ann', "ann*"):  # the only word is "ann": operators are ignored
        assert people["ann"] in {h.customer_id for h in hits}


def test_fts_query_quotes_every_term() -> None:
    assert q.fts_query('ann "obrien" OR x*') == '"ann"* "obrien"* "OR"* "x"*'
    assert q.fts_query("!!!") == ""


def test_create_customer_normalises_and_validates(db: Database) -> None:
    cid = q.create_customer(db, name="  New   Caller ", phone="555/321 0000", email="new@example.com",
                            preferred_channel="SMS", preferred_hours="9:00 - 17:30")
    c = q.get_customer(db, cid)
    assert c is not None
    assert (c.name, c.phone, c.phone_e164, c.preferred_channel, c.preferred_hours) == (
        "New Caller", "555/321 0000", "+15553210000", "sms", "09:00-17:30")
    assert c.customer_since == q.utcnow().date().isoformat()
    bad = [
        ({"name": "", "phone": "555 321 0001"}, ValueError),
        ({"name": "X", "phone": "12"}, BadPhoneNumber),
        ({"name": "X", "phone": "555 321 0001", "email": "nope"}, ValueError),
        ({"name": "X", "phone": "555 321 0001", "preferred_channel": "pigeon"}, ValueError),
        ({"name": "X", "phone": "555 321 0001", "preferred_hours": "evenings"}, ValueError),
        ({"name": "X", "phone": "555 321 0001", "preferred_hours": "25:00-26:00"}, ValueError),
    ]
    for kwargs, err in bad:
        with pytest.raises(err):
            q.create_customer(db, **kwargs)  # type: ignore[arg-type]
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    assert q.search(db, "new caller")[0].customer_id == cid  # FTS kept in step


def test_list_agents(db: Database) -> None:
    assert q.list_agents(db) == []
    db.execute("INSERT INTO agents (name, email, team) VALUES ('Zoe', 'z@x.com', 'Billing')")
    db.execute("INSERT INTO agents (name, team) VALUES ('Adam', 'Tech')")
    assert [a["name"] for a in q.list_agents(db)] == ["Adam", "Zoe"]
    assert set(q.list_agents(db)[0]) == {"id", "name", "email", "team"}


def test_fast_history_rows_equal_constructed_ones() -> None:
    import dataclasses

    from agent_assist.store.models import HistoryItem

    row = ("2026-01-01T10:00:00", "order", None, "Router", 12.5)
    fast = q._history_item(row)
    assert fast == HistoryItem(*row) and hash(fast) == hash(HistoryItem(*row))
    assert type(fast) is HistoryItem
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.at = "x"  # type: ignore[misc]
