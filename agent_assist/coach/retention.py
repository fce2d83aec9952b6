"""Retention cues for the caller card: what this customer's history says the agent should not forget.

Pure Python over the caller card the store returns (typed here by protocols, so ``coach`` needs no import
of ``store``). Every rule is a small function with its boundary stated in :class:`RetentionRules`; the
cues come back ranked by weight (how strongly each signals that the customer may leave: a competitor named
recently first), each with a severity the agent sees as *act* (``alert``), *watch* (``warn``) or *info*,
and its suggested action. Impossible data (a customer_since in the future, an issue opened in the future)
comes back as a ``data`` cue instead of being read as a new customer or a fresh issue.

Times in the store are naive UTC ISO strings; ``today`` and ``now`` are given by the caller, so the rules
never read the clock themselves (tests pin them, and a clock change cannot make a cue flicker).

Why this file is over 400 lines: each retention cue is a small pure function; kept together so their weights
and wording are ranked against each other in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol

Severity = Literal["info", "warn", "alert"]
SEVERITY_RANK: dict[str, int] = {"alert": 0, "warn": 1, "info": 2}
# What the agent reads on the card for each severity.
SEVERITY_LABELS: dict[str, str] = {"alert": "act", "warn": "watch", "info": "info"}
# How strongly each kind of cue signals churn (ranking on the card); the severity adds to it.
KIND_WEIGHTS: dict[str, int] = {
    "competitor": 100, "public_complaint": 90, "past_target": 80, "followup_overdue": 70, "repeat": 65,
    "decline": 60, "data": 55, "silence": 40, "anniversary": 30, "preference": 10,
}
_SEVERITY_WEIGHT = {"alert": 6, "warn": 3, "info": 0}

CHANNEL_NAMES = {"phone": "phone", "email": "e-mail", "sms": "SMS", "chat": "chat"}


# -- what the rules read (the store's CallerCard satisfies these) -------------------------------------
class CustomerLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def customer_since(self) -> str | None: ...
    @property
    def preferred_channel(self) -> str | None: ...
    @property
    def preferred_hours(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...


class HistoryLike(Protocol):
    @property
    def at(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def summary(self) -> str: ...


class IssueLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def opened_at(self) -> str: ...
    @property
    def reopen_count(self) -> int: ...
    @property
    def target_hours(self) -> float: ...


class CardLike(Protocol):
    @property
    def customer(self) -> CustomerLike: ...
    @property
    def history(self) -> Sequence[HistoryLike]: ...
    @property
    def open_issues(self) -> Sequence[IssueLike]: ...
    @property
    def recent_issues(self) -> Sequence[IssueLike]: ...
    @property
    def last_contact_at(self) -> str | None: ...


# -- results and settings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Cue:
    """One retention cue: what kind, how urgent, why (one line) and what to do about it."""

    kind: str
    severity: Severity
    why: str
    action: str
    weight: int = -1  # churn weight for ranking; -1: from KIND_WEIGHTS and the severity

    def __post_init__(self) -> None:
        if self.weight < 0:
            object.__setattr__(self, "weight",
                               KIND_WEIGHTS.get(self.kind, 20) + _SEVERITY_WEIGHT.get(self.severity, 0))

    @property
    def label(self) -> str:
        """``act``, ``watch`` or ``info``: the severity as the card shows it."""
        return SEVERITY_LABELS.get(self.severity, "info")

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "why": self.why, "action": self.action}


@dataclass(frozen=True)
class RetentionRules:
    """The thresholds of every rule (days unless said otherwise)."""

    anniversary_within_days: int = 14  # anniversary today .. today + 14 days -> cue
    decline_window_days: int = 90  # "recent" = the last 90 days, today included
    baseline_periods: int = 4  # earlier baseline: up to 4 windows of 90 days before the recent one
    decline_min_baseline: float = 2.0  # need at least 2 orders+contacts per window to call a decline
    decline_ratio: float = 0.5  # recent at most half the baseline rate -> decline
    repeat_window_days: int = 60  # issues opened in the last 60 days (today - 60 .. today)
    repeat_min_issues: int = 2
    first_order_checkins: tuple[int, ...] = (7, 30)  # check in one week and one month after a first order
    checkin_stale_days: int = 30  # a missed check-in older than this is history, not a cue
    long_time_years: int = 2  # "long-time customer"
    silence_days: int = 180  # no contact for this long from a long-time customer -> cue
    mention_days: int = 90  # notes and interactions this recent are scanned for competitor/complaint words
    callback_alert_days: int = 3  # a promised callback this late is an alert


@dataclass(frozen=True)
class RetentionWords:
    """Configurable word lists (``resources/retention/*.txt``), matched whole-word, case-insensitive."""

    competitors: tuple[str, ...] = ()
    public_complaint: tuple[str, ...] = ()
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, words in (("competitor", self.competitors), ("public", self.public_complaint)):
            alts = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
            self._patterns[name] = (
                re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in alts) + r")(?!\w)", re.I) if alts else None
            )

    def find(self, which: str, text: str) -> str | None:
        """The first listed word found in ``text`` (``which``: ``competitor`` or ``public``)."""
        pattern = self._patterns.get(which)
        m = pattern.search(text) if pattern else None
        return m.group(1) if m else None

    @staticmethod
    def parse(text: str) -> tuple[str, ...]:
        """One word or phrase a line; blank lines and ``#`` comments are skipped."""
        return tuple(s for line in text.splitlines() if (s := line.split("#", 1)[0].strip()))

    @classmethod
    def load(cls) -> RetentionWords:
        """The lists shipped in ``resources/retention/``."""
        from agent_assist import resources  # the one door to resources/ (no Qt, no store)

        return cls(
            competitors=cls.parse(resources.read_text("retention/competitors.txt")),
            public_complaint=cls.parse(resources.read_text("retention/public_complaint.txt")),
        )


# -- durations in words ------------------------------------------------------------------------------------
def _n(value: int, unit: str) -> str:
    return f"{value} {unit}{'s' if value != 1 else ''}"


def duration_words(hours: float) -> str:
    """A duration as people say it: "45 minutes", "1 hour", "3 days", "2 months 5 days", "4 years 2 months"."""
    if hours < 0:
        raise ValueError("a negative duration is a data error")
    minutes = round(hours * 60)
    if minutes < 60:
        return _n(minutes, "minute")
    if hours < 24:
        return _n(round(hours), "hour")
    days = round(hours / 24)
    if days < 31:
        return _n(days, "day")
    months = int(days // 30.4375)
    if months < 12:
        rest = round(days - months * 30.4375)
        return _n(months, "month") + (f" {_n(rest, 'day')}" if months < 3 and rest else "")
    years, months = divmod(months, 12)
    return _n(years, "year") + (f" {_n(months, 'month')}" if months else "")


def relationship_words(since: date, today: date) -> str:
    """How long someone has been a customer in calendar years and months ("4 years 2 months",
    "8 months", "new this month"); ValueError for a start in the future."""
    if since > today:
        raise ValueError("customer_since is in the future")
    months = (today.year - since.year) * 12 + today.month - since.month - (today.day < since.day)
    years, rest = divmod(months, 12)
    if years:
        return _n(years, "year") + (f" {_n(rest, 'month')}" if rest else "")
    return _n(rest, "month") if rest else "new this month"


# -- helpers --------------------------------------------------------------------------------------------
def _dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return d.replace(tzinfo=None)


def _day(text: str | None) -> date | None:
    d = _dt(text)
    return d.date() if d else None


def _anniversary(since: date, year: int) -> date:
    try:
        return since.replace(year=year)
    except ValueError:  # 29 February in a common year: celebrate on the 28th
        return date(year, 2, 28)


def parse_hours(text: str | None) -> tuple[time, time] | None:
    """``"18:00-21:00"`` -> (18:00, 21:00); ``24:00`` reads as the end of the day. None if unreadable."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*", text)
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    start = time(min(h1, 23), m1 if h1 < 24 else 59)
    end = time(23, 59) if h2 == 24 else time(h2, m2)
    return start, end


def describe_preference(channel: str | None, hours: str | None) -> str:
    """``"SMS after 18:00"``, ``"e-mail 09:00–12:00"``, ``"phone"``; empty when nothing is known."""
    parts: list[str] = []
    if channel:
        parts.append(CHANNEL_NAMES.get(channel, channel))
    span = parse_hours(hours)
    if span:
        start, end = span
        if end >= time(23, 59):
            parts.append(f"after {start:%H:%M}")
        elif start == time(0, 0):
            parts.append(f"before {end:%H:%M}")
        else:
            parts.append(f"{start:%H:%M}–{end:%H:%M}")
    return " ".join(parts)


def next_preferred_slot(hours: str | None, after: datetime, lead: timedelta = timedelta(0)) -> datetime:
    """The first moment at or after ``after + lead`` inside the preferred hours (same day or the next).

    With no (readable) preferred hours it is simply ``after + lead``. Overnight spans such as
    ``22:00-06:00`` are understood.
    """
    at = after + lead
    span = parse_hours(hours)
    if span is None:
        return at
    start, end = span
    t = at.time()
    if start <= end:
        if start <= t <= end:
            return at
        day = at.date() if t < start else at.date() + timedelta(days=1)
        return datetime.combine(day, start)
    # overnight window: inside when after start or before end
    if t >= start or t <= end:
        return at
    return datetime.combine(at.date(), start)


# -- the rules --------------------------------------------------------------------------------------
def _anniversary_cue(card: CardLike, today: date, rules: RetentionRules) -> Cue | None:
    since = _day(card.customer.customer_since)
    if since is None or since >= today:
        return None
    for year in (today.year, today.year + 1):
        day = _anniversary(since, year)
        delta = (day - today).days
        years = year - since.year
        if years >= 1 and 0 <= delta <= rules.anniversary_within_days:
            when = "today" if delta == 0 else ("tomorrow" if delta == 1 else f"on {day:%a %d %b} (in {delta} days)")
            plural = "s" if years != 1 else ""
            return Cue("anniversary", "info", f"Customer for {years} year{plural} {when}",
                       "Thank them for their loyalty; don't assume a long-time customer is happy.")
    return None


def _times(card: CardLike, attr: str, kinds: Callable[[str], bool]) -> list[date]:
    raw: Sequence[str] | None = getattr(card, attr, None)
    if raw:
        return [d for d in (_day(t) for t in raw) if d]
    return [d for h in card.history if kinds(h.kind) and (d := _day(h.at))]


def _orders(card: CardLike) -> list[date]:
    return _times(card, "order_times", lambda k: k == "order")


def _contacts(card: CardLike) -> list[date]:
    return _times(card, "contact_times", lambda k: k != "order")


def _decline_cue(card: CardLike, today: date, rules: RetentionRules) -> Cue | None:
    w = rules.decline_window_days
    since = _day(card.customer.customer_since)
    events = _orders(card) + _contacts(card)
    if since is None:
        since = min(events, default=today)
    # how many full baseline windows of the customer's life lie before the recent window
    periods = min(float(rules.baseline_periods), ((today - since).days - w + 1) / w)
    if periods < 1:
        return None
    ages = [(today - d).days for d in events]
    recent = sum(1 for a in ages if 0 <= a < w)
    earlier = sum(1 for a in ages if w <= a < w + w * periods)
    baseline = earlier / periods
    if baseline < rules.decline_min_baseline or recent > baseline * rules.decline_ratio:
        return None
    severity: Severity = "alert" if recent == 0 else "warn"
    return Cue("decline", severity,
               f"{recent} orders/contacts in the last {w} days vs about {baseline:.0f} per {w} days before",
               "Ask how things are going and whether anything made them buy or call less.")


def _all_issues(card: CardLike) -> list[IssueLike]:
    seen: dict[int, IssueLike] = {}
    for i in (*card.open_issues, *card.recent_issues):
        seen.setdefault(i.id, i)
    return list(seen.values())


def _repeat_cue(card: CardLike, today: date, rules: RetentionRules) -> Cue | None:
    issues = _all_issues(card)
    recent = [i for i in issues if (d := _day(i.opened_at)) and 0 <= (today - d).days <= rules.repeat_window_days]
    reopened = [i for i in issues if i.reopen_count > 0 and (i.status == "open" or i in recent)]
    if len(recent) < rules.repeat_min_issues and not reopened:
        return None
    bits: list[str] = []
    if len(recent) >= rules.repeat_min_issues:
        bits.append(f"{len(recent)} problems in {rules.repeat_window_days} days")
    if reopened:
        bits.append(f"'{reopened[0].title}' reopened" + (f" {reopened[0].reopen_count}×"
                                                          if reopened[0].reopen_count > 1 else ""))
    severity: Severity = "alert" if len(recent) > rules.repeat_min_issues or reopened else "warn"
    return Cue("repeat", severity, "; ".join(bits),
               "Acknowledge the pattern, own the fix end to end and confirm when it is really solved.")


def _past_target_cues(card: CardLike, now: datetime) -> list[Cue]:
    cues: list[Cue] = []
    for i in card.open_issues:
        opened = _dt(i.opened_at)
        if opened is None or i.status != "open" or i.target_hours <= 0:
            continue
        age_h = (now - opened).total_seconds() / 3600.0
        if age_h > i.target_hours:
            over = age_h - i.target_hours
            cues.append(Cue("past_target", "alert",
                            f"'{i.title}' open {duration_words(age_h)}: "
                            + (f"{duration_words(over)} over target" if over >= 1 / 60 else "just over target"),
                            "Give a date for the fix today and escalate if it is blocked."))
    return cues


def _data_cues(card: CardLike, today: date, now: datetime) -> list[Cue]:
    """Impossible records, said as such (a future start date is not a new customer)."""
    cues: list[Cue] = []
    raw = card.customer.customer_since
    since = _day(raw)
    if raw and since is None:
        cues.append(Cue("data", "warn", f"Customer since '{raw}' is not a date",
                        "Ask when they became a customer and correct the record."))
    elif since is not None and since > today:
        cues.append(Cue("data", "warn", f"Customer since {since:%d %b %Y} is in the future: the record is wrong",
                        "Ask when they became a customer and correct the record."))
    for i in _all_issues(card):
        opened = _dt(i.opened_at)
        if opened is not None and opened > now + timedelta(minutes=5):
            cues.append(Cue("data", "warn", f"Issue '{i.title}' is dated {opened:%d %b %Y}, in the future",
                            "Check when it was really opened; its age cannot be trusted."))
    return cues


def _first_order_cue(card: CardLike, today: date, rules: RetentionRules) -> Cue | None:
    orders = _orders(card)
    first = _day(getattr(card, "first_order_at", None)) or min(orders, default=None)
    if first is None:
        return None
    contacts = sorted(_contacts(card))
    due_cue: Cue | None = None
    for k in rules.first_order_checkins:
        due = first + timedelta(days=k)
        # a check-in counts as done with any contact from half-way to its due day on (day 4 for the
        # one-week check-in, day 15 for the one-month one)
        done = any(c >= first + timedelta(days=(k + 1) // 2) for c in contacts)
        late = (today - due).days
        if 0 < late <= rules.checkin_stale_days and not done:
            label = "one week" if k == 7 else ("one month" if k == 30 else f"{k} days")
            due_cue = Cue("followup_overdue", "warn",
                          f"The {label} check-in after the first order ({first:%d %b}) is "
                          f"{_n(late, 'day')} overdue",
                          "Ask how the first order went before anything else.")
    return due_cue


def _field(task: Any, key: str) -> Any:
    return task.get(key) if isinstance(task, Mapping) else getattr(task, key, None)


def _task_cues(tasks: Iterable[Any], now: datetime, rules: RetentionRules) -> list[Cue]:
    cues: list[Cue] = []
    seen: set[Any] = set()
    for task in tasks:
        t = {k: _field(task, k) for k in ("id", "kind", "text", "due_at", "done")}
        if t["id"] is not None:
            if t["id"] in seen:
                continue
            seen.add(t["id"])
        if t.get("done") or t.get("kind") not in ("callback", "follow_up"):
            continue
        due = _dt(t.get("due_at"))
        if due is None or due >= now:
            continue
        late_days = (now - due).total_seconds() / 86400.0
        severity: Severity = "alert" if late_days >= rules.callback_alert_days else "warn"
        what = "callback" if t.get("kind") == "callback" else "follow-up"
        late = duration_words(late_days * 24.0)
        cues.append(Cue("followup_overdue", severity,
                        f"Promised {what} '{t.get('text', '')}' is {late} overdue",
                        "Apologise for the delay and do it on this call if you can."))
    return cues


def _preference_cue(card: CardLike) -> Cue | None:
    text = describe_preference(card.customer.preferred_channel, card.customer.preferred_hours)
    if not text:
        return None
    return Cue("preference", "info", f"Prefers {text}",
               f"Send follow-ups by {text}; don't default to what suits us.")


def _silence_cue(card: CardLike, today: date, rules: RetentionRules) -> Cue | None:
    since = _day(card.customer.customer_since)
    if since is None or _anniversary(since, since.year + rules.long_time_years) > today:
        return None
    candidates = [*_contacts(card), *_orders(card)]
    if (last := _day(card.last_contact_at)) is not None:
        candidates.append(last)
    last_contact = max(candidates, default=None)
    days = (today - last_contact).days if last_contact else (today - since).days
    if days < rules.silence_days:
        return None
    return Cue("silence", "warn", f"No contact for {_n(days, 'day')} from a customer of "
               f"{relationship_words(since, today)}",
               "Welcome them back and ask what they need now; check nothing went wrong quietly.")


def _mention_cues(card: CardLike, today: date, words: RetentionWords, rules: RetentionRules) -> list[Cue]:
    texts: list[str] = []
    if card.customer.notes:
        texts.append(card.customer.notes)
    for h in card.history:
        d = _day(h.at)
        if h.kind != "order" and d is not None and 0 <= (today - d).days <= rules.mention_days:
            texts.append(h.summary)
    cues: list[Cue] = []
    for which, kind, why, action in (
        ("competitor", "competitor", "A competitor came up recently: '{w}'",
         "Ask what the other offer gives them; show what they would lose by switching."),
        ("public", "public_complaint", "They mentioned a public complaint recently: '{w}'",
         "Take the complaint seriously now and offer a concrete fix before it goes public."),
    ):
        found = next((w for t in texts if (w := words.find(which, t))), None)
        if found:
            cues.append(Cue(kind, "alert", why.format(w=found), action))
    return cues


def sort_cues(cues: Iterable[Cue]) -> list[Cue]:
    """Heaviest first (a competitor mention before a late follow-up before an anniversary); the
    severity, then the rule order, break ties."""
    return sorted(cues, key=lambda c: (-c.weight, SEVERITY_RANK[c.severity]))


def compute_cues(
    card: CardLike,
    today: date,
    now: datetime | None = None,
    words: RetentionWords | None = None,
    tasks: Iterable[Any] = (),
    rules: RetentionRules | None = None,
) -> list[Cue]:
    """Every retention cue for ``card`` on ``today`` (``now`` defaults to noon that day), heaviest first.

    ``tasks`` are the customer's open tasks as the store returns them (mappings with ``kind``, ``text``,
    ``due_at``, ``done``); tasks carried on the card as ``open_tasks`` are used too.
    """
    rules = rules or RetentionRules()
    words = words if words is not None else RetentionWords.load()
    now = now or datetime.combine(today, time(12))
    all_tasks = [*tasks, *getattr(card, "open_tasks", ())]
    cues: list[Cue | None] = [
        _anniversary_cue(card, today, rules),
        _decline_cue(card, today, rules),
        _repeat_cue(card, today, rules),
        *_past_target_cues(card, now),
        _first_order_cue(card, today, rules),
        *_task_cues(all_tasks, now, rules),
        _preference_cue(card),
        _silence_cue(card, today, rules),
        *_mention_cues(card, today, words, rules),
        *_data_cues(card, today, now),
    ]
    return sort_cues(c for c in cues if c is not None)


def risk_score(cues: Iterable[Cue]) -> int:
    """A small number for ordering work: 3 per alert, 1 per warning (info cues carry no risk)."""
    return sum({"alert": 3, "warn": 1}.get(c.severity, 0) for c in cues)


def is_long_time_customer(customer_since: str | None, today: date, years: int = 2) -> bool:
    since = _day(customer_since)
    return since is not None and _anniversary(since, since.year + years) <= today
