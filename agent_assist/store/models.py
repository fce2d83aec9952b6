"""Frozen records the store returns to upper layers (no sqlite3.Row escapes the store)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    email: str | None
    phone: str | None
    phone_e164: str | None
    customer_since: str | None
    preferred_channel: str | None
    preferred_hours: str | None
    city: str | None = None
    segment: str | None = None
    notes: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One row of the caller's timeline: an interaction or an order, newest first."""

    at: str
    kind: str  # call | email | chat | sms | order
    direction: str | None
    summary: str
    amount: float | None = None


@dataclass(frozen=True)
class Issue:
    id: int
    customer_id: int
    title: str
    status: str
    severity: str
    opened_at: str
    resolved_at: str | None
    reopen_count: int
    target_hours: float
    age_hours: float = 0.0  # open: now - opened_at; resolved: resolved_at - opened_at

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    @property
    def age_fraction(self) -> float:
        """Age against the resolution target: 1.0 means the target is reached."""
        return self.age_hours / self.target_hours if self.target_hours > 0 else 0.0

    @property
    def overdue(self) -> bool:
        return self.is_open and self.age_hours > self.target_hours


@dataclass(frozen=True)
class CallerCard:
    """Everything the screen pop shows for one caller."""

    customer: Customer
    history: tuple[HistoryItem, ...]
    open_issues: tuple[Issue, ...]
    recent_issues: tuple[Issue, ...] = field(default=())  # all issues in the last year (for retention cues)
    last_contact_at: str | None = None
    # For retention cues (activity against the customer's own baseline, first-order check-ins): the times
    # of every order and interaction in the last two years, newest first, plus the first order ever.
    order_times: tuple[str, ...] = field(default=())
    contact_times: tuple[str, ...] = field(default=())
    first_order_at: str | None = None
    open_tasks: tuple[TaskItem, ...] = field(default=())  # callbacks / follow-ups / parked, not done


@dataclass(frozen=True)
class TaskItem:
    """An open task about a customer (a promised callback, a follow-up, a parked note)."""

    id: int
    kind: str  # parked | callback | follow_up
    text: str
    due_at: str | None
    channel: str | None
    created_at: str
    call_id: int | None = None
    done: bool = False


@dataclass(frozen=True)
class SearchHit:
    customer_id: int
    name: str
    phone_e164: str | None
    email: str | None
    matched: str  # what matched: phone | name | email | issue
    detail: str = ""
