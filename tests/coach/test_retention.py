"""Retention cues: each rule on both sides of its boundary date, plus ordering and the word lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from agent_assist.coach.retention import (
    Cue,
    RetentionWords,
    compute_cues,
    describe_preference,
    next_preferred_slot,
    parse_hours,
    risk_score,
)
from agent_assist.store.models import CallerCard, Customer, HistoryItem, Issue, TaskItem

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 15, 0)
WORDS = RetentionWords(competitors=("Northwind", "switch to"), public_complaint=("trustpilot", "BBB"))


def iso(d: date | datetime) -> str:
    return d.isoformat() if isinstance(d, datetime) else f"{d.isoformat()}T10:00:00"


def customer(since: date | None = date(2025, 1, 1), channel: str | None = None, hours: str | None = None,
             notes: str | None = None) -> Customer:
    return Customer(1, "Ada Lovelace", None, "+15551230000", "+15551230000",
                    since.isoformat() if since else None, channel, hours, notes=notes)


def card(**kw: object) -> CallerCard:
    base = CallerCard(customer(), (), (), (), iso(TODAY - timedelta(days=3)))
    return replace(base, **kw)  # type: ignore[arg-type]


def issue(iid: int, opened: datetime | date, *, status: str = "open", reopen: int = 0,
          target: float = 72.0, title: str = "Broken router") -> Issue:
    return Issue(iid, 1, title, status, "normal", iso(opened), None, reopen, target)


def kinds(cues: list[Cue]) -> list[str]:
    return [c.kind for c in cues]


def cues_of(c: CallerCard, **kw: object) -> list[Cue]:
    return compute_cues(c, TODAY, NOW, WORDS, **kw)  # type: ignore[arg-type]


# -- anniversary ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("since", "expected"), [
    (date(2021, 11, 23), "today"),  # today: 5 years
    (date(2021, 12, 7), "in 14 days"),  # last day inside the window
    (date(2021, 12, 8), None),  # 15 days: outside
    (date(2021, 11, 22), None),  # yesterday: passed
    (date(2025, 12, 1), "in 8 days"),  # first anniversary
    (date(2026, 11, 30), None),  # a customer for less than a year has no anniversary yet
])
def test_anniversary_window(since: date, expected: str | None) -> None:
    cues = [c for c in cues_of(card(customer=customer(since))) if c.kind == "anniversary"]
    if expected is None:
        assert cues == []
    else:
        assert len(cues) == 1 and expected in cues[0].why and cues[0].severity == "info"
        assert "Thank" in cues[0].action


def test_anniversary_across_new_year_and_leap_day() -> None:
    dec = date(2026, 12, 25)
    c = card(customer=customer(date(2020, 1, 5)))
    cue = next(c for c in compute_cues(c, dec, None, WORDS) if c.kind == "anniversary")
    assert "7 years" in cue.why and "in 11 days" in cue.why
    leap = card(customer=customer(date(2024, 2, 29)))
    cue = next(c for c in compute_cues(leap, date(2027, 2, 20), None, WORDS) if c.kind == "anniversary")
    assert "3 years" in cue.why and "in 8 days" in cue.why  # celebrated on 28 Feb in a common year


# -- activity decline -----------------------------------------------------------------------------
def _activity(recent: int, earlier_per_window: int, recent_age: int = 10) -> CallerCard:
    orders = [iso(TODAY - timedelta(days=recent_age + i)) for i in range(recent)]
    earlier = [iso(TODAY - timedelta(days=90 + (360 * i) // (4 * earlier_per_window)))
               for i in range(4 * earlier_per_window)]
    return card(customer=customer(date(2023, 1, 1)), order_times=tuple(orders + earlier))


def test_decline_against_own_baseline() -> None:
    assert "decline" in kinds(cues_of(_activity(recent=2, earlier_per_window=4)))  # 2 <= 4 * 0.5
    assert "decline" not in kinds(cues_of(_activity(recent=3, earlier_per_window=4)))  # 3 > 2
    no_orders = next(c for c in cues_of(_activity(recent=0, earlier_per_window=4)) if c.kind == "decline")
    assert no_orders.severity == "alert"
    # a baseline too thin to judge (1 per 90 days) never makes a cue
    assert "decline" not in kinds(cues_of(_activity(recent=0, earlier_per_window=1)))


def test_decline_window_boundary_day_90() -> None:
    # an order exactly 89 days ago is recent; 90 days ago belongs to the baseline
    base = [iso(TODAY - timedelta(days=91 + 10 * i)) for i in range(32)]  # 8 per window
    inside = card(customer=customer(date(2023, 1, 1)),
                  order_times=tuple([iso(TODAY - timedelta(days=89))] * 4 + base))
    outside = card(customer=customer(date(2023, 1, 1)),
                   order_times=tuple([iso(TODAY - timedelta(days=90))] * 4 + base))
    assert "decline" in kinds(cues_of(inside))  # 4 <= 8 * 0.5
    assert "decline" in kinds(cues_of(outside))
    five = card(customer=customer(date(2023, 1, 1)),
                order_times=tuple([iso(TODAY - timedelta(days=89))] * 5 + base))
    assert "decline" not in kinds(cues_of(five))


def test_decline_needs_a_full_baseline_window() -> None:
    # customer since 179 days: less than one full 90-day window before the recent one
    young = card(customer=customer(TODAY - timedelta(days=178)),
                 order_times=tuple(iso(TODAY - timedelta(days=100 + i)) for i in range(10)))
    assert "decline" not in kinds(cues_of(young))
    old_enough = card(customer=customer(TODAY - timedelta(days=179)),
                      order_times=young.order_times)
    assert "decline" in kinds(cues_of(old_enough))


# -- repeated problems ------------------------------------------------------------------------------
def test_repeat_problems_60_day_boundary() -> None:
    two_in = card(recent_issues=(issue(1, TODAY - timedelta(days=60), status="resolved"),
                                 issue(2, TODAY - timedelta(days=1), status="resolved")))
    one_out = card(recent_issues=(issue(1, TODAY - timedelta(days=61), status="resolved"),
                                  issue(2, TODAY - timedelta(days=1), status="resolved")))
    cue = next(c for c in cues_of(two_in) if c.kind == "repeat")
    assert cue.why == "2 problems in 60 days" and cue.severity == "warn"
    assert "repeat" not in kinds(cues_of(one_out))
    three = card(recent_issues=(*two_in.recent_issues, issue(3, TODAY, status="resolved")))
    assert next(c for c in cues_of(three) if c.kind == "repeat").severity == "alert"


def test_any_reopened_issue_is_a_repeat() -> None:
    old = issue(5, TODAY - timedelta(days=200), reopen=2, title="Billing error", target=100000)
    cue = next(c for c in cues_of(card(open_issues=(old,))) if c.kind == "repeat")
    assert "'Billing error' reopened 2×" in cue.why and cue.severity == "alert"
    closed_long_ago = replace(old, status="resolved")
    assert "repeat" not in kinds(cues_of(card(recent_issues=(closed_long_ago,))))


# -- issue past target ---------------------------------------------------------------------------
def test_issue_past_target_boundary() -> None:
    at_target = issue(1, NOW - timedelta(hours=72))
    past = issue(2, NOW - timedelta(hours=72, seconds=1), title="Refund missing")
    assert "past_target" not in kinds(cues_of(card(open_issues=(at_target,))))
    cue = next(c for c in cues_of(card(open_issues=(past,))) if c.kind == "past_target")
    assert cue.severity == "alert" and cue.why == "'Refund missing' open 3 days: just over target"


# -- follow-ups overdue ---------------------------------------------------------------------------
@pytest.mark.parametrize(("first_order_age", "contact_age", "expected"), [
    (7, None, None),  # due today: not overdue yet
    (8, None, "one week"),  # one day late
    (8, 3, None),  # contacted after the first order: done
    (31, 20, "one month"),  # day-11 contact was the week check-in; the month one is a day late
    (31, 15, None),  # a contact on day 16 counts for the month check-in
    (31, 28, "one month"),  # a contact before day 7 does not count for the month check-in
    (37, None, "one month"),
    (61, None, None),  # 31 days late: stale, no cue
])
def test_first_order_checkins(first_order_age: int, contact_age: int | None, expected: str | None) -> None:
    c = card(customer=customer(TODAY - timedelta(days=400)),
             order_times=(iso(TODAY - timedelta(days=first_order_age)),),
             first_order_at=iso(TODAY - timedelta(days=first_order_age)),
             contact_times=(iso(TODAY - timedelta(days=contact_age)),) if contact_age else (),
             last_contact_at=None)
    found = [x for x in cues_of(c) if x.kind == "followup_overdue"]
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0].why


def test_promised_callback_overdue() -> None:
    task = TaskItem(9, "callback", "Call about the refund", iso(NOW - timedelta(minutes=1)), "phone",
                    iso(TODAY - timedelta(days=5)))
    on_time = replace(task, due_at=iso(NOW))
    cue = next(c for c in cues_of(card(open_tasks=(task,))) if c.kind == "followup_overdue")
    assert cue.severity == "warn" and "Call about the refund" in cue.why
    assert "followup_overdue" not in kinds(cues_of(card(open_tasks=(on_time,))))
    three_days = replace(task, due_at=iso(NOW - timedelta(days=3)))
    assert next(c for c in cues_of(card(), tasks=[{"id": 1, "kind": "follow_up", "text": "e-mail",
                                                  "due_at": three_days.due_at, "done": 0}])
                if c.kind == "followup_overdue").severity == "alert"
    parked = replace(task, kind="parked")  # parked notes are wrap-up's business, not a promise
    assert "followup_overdue" not in kinds(cues_of(card(open_tasks=(parked,))))


# -- preferred channel and hours -------------------------------------------------------------------
def test_preferred_channel_and_hours() -> None:
    cue = next(c for c in cues_of(card(customer=customer(channel="sms", hours="18:00-24:00")))
               if c.kind == "preference")
    assert cue.why == "Prefers SMS after 18:00" and cue.severity == "info"
    assert describe_preference("email", "09:00-12:00") == "e-mail 09:00–12:00"
    assert describe_preference(None, "00:00-08:00") == "before 08:00"
    assert describe_preference(None, "bad") == ""
    assert "preference" not in kinds(cues_of(card()))


def test_next_preferred_slot_boundaries() -> None:
    assert parse_hours("18:00-21:00") is not None and parse_hours("25:00-26:00") is None
    d = datetime(2026, 11, 23, 17, 59)
    assert next_preferred_slot("18:00-21:00", d) == datetime(2026, 11, 23, 18, 0)
    assert next_preferred_slot("18:00-21:00", d.replace(hour=18, minute=0)) == datetime(2026, 11, 23, 18, 0)
    assert next_preferred_slot("18:00-21:00", d.replace(hour=21, minute=0)) == datetime(2026, 11, 23, 21, 0)
    assert next_preferred_slot("18:00-21:00", d.replace(hour=21, minute=1)) == datetime(2026, 11, 24, 18, 0)
    assert next_preferred_slot("22:00-06:00", d.replace(hour=3)) == d.replace(hour=3)
    assert next_preferred_slot("22:00-06:00", d.replace(hour=12)) == datetime(2026, 11, 23, 22, 0)
    assert next_preferred_slot(None, d, timedelta(days=1)) == d + timedelta(days=1)


# -- long silence ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "since", "expected"), [
    (180, date(2024, 11, 23), True),  # exactly two years and 180 days: cue
    (179, date(2024, 11, 23), False),
    (200, date(2024, 11, 24), False),  # one day short of two years: not a long-time customer yet
])
def test_long_silence(days: int, since: date, expected: bool) -> None:
    last = iso(TODAY - timedelta(days=days))
    c = card(customer=customer(since), last_contact_at=last, contact_times=(last,))
    found = [x for x in cues_of(c) if x.kind == "silence"]
    assert bool(found) is expected
    if expected:
        assert found[0].why == f"No contact for {days} days from a customer of 2 years"


# -- competitor / public complaint ---------------------------------------------------------------------
def test_mentions_in_recent_interactions_boundary_90_days() -> None:
    def said(text: str, age: int) -> CallerCard:
        return card(history=(HistoryItem(iso(TODAY - timedelta(days=age)), "call", "in", text),))

    assert "competitor" in kinds(cues_of(said("Says northwind is cheaper", 90)))
    assert "competitor" not in kinds(cues_of(said("Says northwind is cheaper", 91)))
    assert "competitor" in kinds(cues_of(said("Thinking to switch to another ISP", 0)))
    assert "competitor" not in kinds(cues_of(said("Northwinds of change", 1)))  # whole words only
    pub = next(c for c in cues_of(said("Will post on Trustpilot", 3)) if c.kind == "public_complaint")
    assert pub.severity == "alert" and "Trustpilot" in pub.why
    notes = card(customer=customer(notes="Complained to the BBB in 2019"))
    assert "public_complaint" in kinds(cues_of(notes))
    order = card(history=(HistoryItem(iso(TODAY), "order", None, "Northwind router"),))
    assert "competitor" not in kinds(cues_of(order))  # an order line is not something they said


def test_shipped_word_lists_load() -> None:
    words = RetentionWords.load()
    assert words.find("public", "they will write a one-star review on Yelp") in ("one-star", "Yelp")
    assert words.find("competitor", "nothing to see") is None
    assert RetentionWords.parse("# c\n\nfoo  # x\nbar\n") == ("foo", "bar")


# -- whole card --------------------------------------------------------------------------------------
def test_sorted_by_severity_and_no_history() -> None:
    full = card(customer=customer(date(2021, 11, 25), channel="email"),
                open_issues=(issue(1, NOW - timedelta(days=10), reopen=1),))
    cues = cues_of(full)
    ranks = [{"alert": 0, "warn": 1, "info": 2}[c.severity] for c in cues]
    assert ranks == sorted(ranks) and cues[0].severity == "alert" and cues[-1].severity == "info"
    assert risk_score(cues) >= 6
    # a brand-new customer without any history: no crash, no cues
    bare = CallerCard(customer(since=None), (), (), (), None)
    assert compute_cues(bare, TODAY, None, WORDS) == []
    assert compute_cues(bare, TODAY) == []  # shipped lists, default now


# -- issue 18: ranked by weight, labelled act/watch/info, durations in words, impossible data -------
@pytest.mark.parametrize(("hours", "words"), [
    (0.25, "15 minutes"), (1, "1 hour"), (1.4, "1 hour"), (10, "10 hours"), (23.4, "23 hours"),
    (24, "1 day"), (30, "1 day"), (47, "2 days"), (24 * 3, "3 days"), (24 * 30, "30 days"), (24 * 45, "1 month 15 days"),
    (24 * 200, "6 months"), (24 * 366, "1 year"), (24 * 1534, "4 years 2 months"),
])
def test_durations_in_words(hours: float, words: str) -> None:
    from agent_assist.coach.retention import duration_words

    assert duration_words(hours) == words


def test_relationship_words_and_negative_durations() -> None:
    from agent_assist.coach.retention import duration_words, relationship_words

    assert relationship_words(date(2022, 9, 20), TODAY) == "4 years 2 months"
    assert relationship_words(date(2025, 11, 23), TODAY) == "1 year"
    assert relationship_words(date(2026, 10, 23), TODAY) == "1 month"
    assert relationship_words(date(2026, 11, 20), TODAY) == "new this month"
    with pytest.raises(ValueError):
        relationship_words(date(2027, 1, 1), TODAY)
    with pytest.raises(ValueError):
        duration_words(-1)


def test_a_competitor_mention_is_ranked_first_and_labels_follow_severity() -> None:
    late = issue(2, NOW - timedelta(days=6), title="Refund missing")
    c = card(customer=customer(date(2021, 11, 23), channel="sms", notes="Said she may switch to Northwind"),
             open_issues=(late,))
    cues = cues_of(c)
    assert cues[0].kind == "competitor" and cues[0].label == "act"
    assert [x.kind for x in cues][:2] == ["competitor", "past_target"]
    assert cues == sorted(cues, key=lambda x: -x.weight)
    by_kind = {x.kind: x for x in cues}
    assert by_kind["anniversary"].label == "info" and by_kind["preference"].label == "info"
    assert all(x.action for x in cues)
    assert by_kind["past_target"].why == "'Refund missing' open 6 days: 3 days over target"


def test_impossible_data_is_a_data_warning_not_a_new_customer() -> None:
    future = card(customer=customer(date(2027, 3, 1)),
                  open_issues=(issue(3, NOW + timedelta(days=2), title="Time traveller"),))
    cues = cues_of(future)
    data = [x for x in cues if x.kind == "data"]
    assert len(data) == 2 and all(x.label == "watch" for x in data)
    assert "in the future" in data[0].why and "01 Mar 2027" in data[0].why
    assert "'Time traveller'" in data[1].why
    assert "anniversary" not in kinds(cues) and "silence" not in kinds(cues)
    garbled = card(customer=replace(customer(), customer_since="soon"))
    assert any(x.kind == "data" and "'soon' is not a date" in x.why for x in cues_of(garbled))
