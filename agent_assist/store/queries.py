"""Reads for the screen pop, the caller card and search, and creating a customer from the card.

Hot reads are hand-written SQL through ``db.execute`` (sqlite-utils' table API costs several times the raw
query on this path); every result leaves the store as a frozen record from :mod:`store.models`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from agent_assist.store.models import CallerCard, Customer, HistoryItem, Issue, SearchHit, TaskItem
from agent_assist.store.phones import to_e164, try_e164
from agent_assist.store.review import Comment, comment_text

CHANNELS = ("phone", "email", "sms", "chat")

_CUSTOMER_COLS = (
    "id, name, email, phone, phone_e164, customer_since, preferred_channel, preferred_hours,"
    " city, segment, notes, external_id"
)
_CUSTOMER_BY_ID = f"SELECT {_CUSTOMER_COLS} FROM customers WHERE id = ?"
_CUSTOMER_BY_PHONE = f"SELECT {_CUSTOMER_COLS} FROM customers WHERE phone_e164 = ? ORDER BY id LIMIT 1"

# Each branch reads its newest rows through the (customer_id, at DESC) index and stops at the limit, so
# the merge touches at most 2 x limit rows whatever the length of the customer's history.
_HISTORY = (
    "SELECT at, kind, direction, summary, amount FROM ("
    " SELECT at, channel AS kind, direction, COALESCE(summary, '') AS summary, NULL AS amount"
    " FROM interactions WHERE customer_id = ?1 ORDER BY at DESC LIMIT ?2)"
    " UNION ALL SELECT * FROM ("
    " SELECT at, 'order', NULL, COALESCE(item, 'Order') ||"
    " CASE WHEN status IS NULL OR status = 'delivered' THEN '' ELSE ' (' || status || ')' END,"
    " amount FROM orders WHERE customer_id = ?1 ORDER BY at DESC LIMIT ?2)"
    " ORDER BY at DESC LIMIT ?2"
)
# Coaching comments and bookmarks left in Review on this customer's calls: the agent sees them in the history.
_COACHING = (
    "SELECT k.created_at, coalesce(a.name, 'an agent'), c.started_at, k.at_s, k.text, k.author"
    " FROM coaching_comments k JOIN calls c ON c.id = k.call_id LEFT JOIN agents a ON a.id = c.agent_id"
    " WHERE c.customer_id = ? ORDER BY k.created_at DESC LIMIT ?"
)
# Open issues (any age) and the last year's issues (for retention cues) in one pass over the customer's.
_ISSUES = (
    "SELECT id, customer_id, title, status, severity, opened_at, resolved_at, reopen_count, target_hours"
    " FROM issues WHERE customer_id = ? AND (status = 'open' OR opened_at >= ?) ORDER BY opened_at"
)

_PHONEISH = re.compile(r"^[\d\s()+./-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_WORD = re.compile(r"\w+")


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the form every stored time uses."""
    return datetime.now(UTC).replace(tzinfo=None)


def reference_time(today: date | datetime | None) -> datetime:
    """The instant ages are measured at: ``today`` as a date means the start of that day."""
    if today is None:
        return utcnow()
    if isinstance(today, datetime):
        return today.replace(tzinfo=None) if today.tzinfo is None else today.astimezone(UTC).replace(tzinfo=None)
    return datetime.combine(today, time())


_HISTORY_FIELDS = ("at", "kind", "direction", "summary", "amount")
assert tuple(HistoryItem.__dataclass_fields__) == _HISTORY_FIELDS, "update _history_item"


def _history_item(row: Sequence[Any], _new: Any = object.__new__) -> HistoryItem:
    """Row -> HistoryItem, about twice as fast as the constructor (up to 50 per screen pop).

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; filling the instance
    dict directly gives an identical, equally frozen object (equality and hash are the same).
    """
    item: HistoryItem = _new(HistoryItem)
    d = item.__dict__
    d["at"], d["kind"], d["direction"], d["summary"], d["amount"] = row
    return item


def _coaching_item(row: Sequence[Any]) -> HistoryItem:
    at, agent, started, at_s, text, author = row
    note = comment_text(Comment(0, 0, "", "", None if at_s is None else float(at_s), str(text or "")))
    return HistoryItem(str(at), "coaching", None,
                       f"Coaching on {agent}'s call of {str(started)[:10]}: {note} — {author or 'supervisor'}")


def _customer(row: Sequence[Any]) -> Customer:
    return Customer(*row)


def get_customer(db: Database, customer_id: int) -> Customer | None:
    row = db.execute(_CUSTOMER_BY_ID, [customer_id]).fetchone()
    return _customer(row) if row else None


def find_by_phone(db: Database, raw: str, region: str = "US") -> Customer | None:
    """The customer whose number is ``raw`` in any format; ``None`` for an unknown caller.

    Raises :class:`~agent_assist.store.phones.BadPhoneNumber` when ``raw`` is not a phone number.
    """
    e164 = to_e164(raw, region)
    row = db.execute(_CUSTOMER_BY_PHONE, [e164]).fetchone()
    return _customer(row) if row else None


_ACTIVITY = (
    "SELECT 'o', at FROM orders WHERE customer_id = ?1 AND at >= ?2"
    " UNION ALL SELECT 'i', at FROM interactions WHERE customer_id = ?1 AND at >= ?2"
    " UNION ALL SELECT 'f', min(at) FROM orders WHERE customer_id = ?1"
    " ORDER BY 2 DESC"
)
_OPEN_TASKS = (
    "SELECT id, kind, text, due_at, channel, created_at, call_id, done FROM tasks"
    " WHERE customer_id = ? AND done = 0 ORDER BY COALESCE(due_at, created_at)"
)


def caller_card(
    db: Database,
    customer_id: int,
    history_limit: int = 50,
    today: date | datetime | None = None,
) -> CallerCard:
    """Profile, the newest ``history_limit`` interactions and orders, open issues with their age.

    Also carries what the retention cues need: the last year's issues, two years of order and contact
    times, the first order and open tasks. Raises :class:`LookupError` when the customer does not exist.
    """
    row = db.execute(_CUSTOMER_BY_ID, [customer_id]).fetchone()
    if row is None:
        raise LookupError(f"customer {customer_id} does not exist")
    return _card(db, _customer(row), history_limit, reference_time(today))


def _card(db: Database, customer: Customer, history_limit: int, now: datetime) -> CallerCard:
    customer_id = customer.id
    history = tuple(map(_history_item, db.execute(_HISTORY, [customer_id, history_limit])))
    coaching = tuple(_coaching_item(r) for r in db.execute(_COACHING, [customer_id, history_limit]))
    if coaching:
        history = tuple(sorted(history + coaching, key=lambda h: h.at, reverse=True)[:history_limit])
    year_ago = (now - timedelta(days=365)).isoformat(timespec="seconds")
    open_issues: list[Issue] = []
    recent: list[Issue] = []
    parse = datetime.fromisoformat
    for iid, cid, title, status, severity, opened, resolved, reopens, target in db.execute(
        _ISSUES, [customer_id, year_ago]
    ):
        end = parse(resolved) if resolved and status != "open" else now
        age = max(0.0, (end - parse(opened)).total_seconds() / 3600.0)
        issue = Issue(
            iid, cid, title, status, severity or "normal", opened, resolved, reopens or 0,
            float(target if target is not None else 72.0), age,
        )
        if status == "open":
            open_issues.append(issue)
        if opened >= year_ago:
            recent.append(issue)
    # Retention inputs in one pass: two years of order and contact times (newest first), first order.
    two_years_ago = (now - timedelta(days=730)).isoformat(timespec="seconds")
    orders: list[str] = []
    contacts: list[str] = []
    first_order: str | None = None
    for kind, at in db.execute(_ACTIVITY, [customer_id, two_years_ago]):
        if kind == "i":
            contacts.append(at)
        elif kind == "o":
            orders.append(at)
        else:
            first_order = at
    tasks = tuple(
        TaskItem(tid, kind, text, due, channel, created, call_id, bool(done))
        for tid, kind, text, due, channel, created, call_id, done in db.execute(_OPEN_TASKS, [customer_id])
    )
    last_contact = contacts[0] if contacts else next((h.at for h in history if h.kind != "order"), None)
    if last_contact is None and history:
        # Nothing in two years and only orders among the newest rows: the last contact is further back.
        last_contact = db.execute(
            "SELECT max(at) FROM interactions WHERE customer_id = ?", [customer_id]
        ).fetchone()[0]
    return CallerCard(
        customer, history, tuple(open_issues), tuple(recent), last_contact,
        tuple(orders), tuple(contacts), first_order, tasks,
    )


def screen_pop(
    db: Database, raw: str, region: str = "US", history_limit: int = 50, today: date | datetime | None = None
) -> CallerCard | None:
    """Phone number in any format -> the caller's card, or ``None`` for a new caller."""
    customer = find_by_phone(db, raw, region)
    return _card(db, customer, history_limit, reference_time(today)) if customer else None


def fts_query(text: str, max_terms: int = 8) -> str:
    """User text -> an FTS5 query where every word is a quoted prefix term (no operator gets through)."""
    return " ".join(f'"{w}"*' for w in _WORD.findall(text)[:max_terms])


def search(db: Database, text: str, region: str = "US", limit: int = 50) -> list[SearchHit]:
    """Customers matching ``text``: phone (any format or a run of its digits), name, e-mail, issue title.

    Phone matches come first, then name/e-mail matches by relevance, then customers with a matching issue
    (open issues first). Each customer appears once, with what matched.
    """
    text = (text or "").strip()
    if not text or limit <= 0:
        return []
    hits: dict[int, SearchHit] = {}

    def add(rows: Any, matched: str, detail_col: bool = False) -> None:
        for r in rows:
            if len(hits) >= limit:
                return
            if r[0] not in hits:
                hits[r[0]] = SearchHit(r[0], r[1], r[2], r[3], matched, r[4] if detail_col else "")

    digits = re.sub(r"\D", "", text)
    if _PHONEISH.match(text) and len(digits) >= 3:
        e164 = try_e164(text, region)
        if e164:
            add(db.execute(
                "SELECT id, name, phone_e164, email FROM customers WHERE phone_e164 = ? ORDER BY id LIMIT ?",
                [e164, limit],
            ), "phone")
            if hits:
                return list(hits.values())
        # A run of digits anywhere in the number: scan the narrow phone index, not the whole table.
        add(db.execute(
            "SELECT id, name, phone_e164, email FROM customers WHERE id IN ("
            " SELECT id FROM customers INDEXED BY idx_customers_phone WHERE phone_e164 LIKE ? LIMIT ?)"
            " ORDER BY id",
            [f"%{digits}%", limit],
        ), "phone")
        return list(hits.values())

    query = fts_query(text)
    if not query:
        return []
    words = [w.lower() for w in _WORD.findall(text)]
    for r in db.execute(
        "SELECT c.id, c.name, c.phone_e164, c.email FROM customers_fts"
        " JOIN customers c ON c.id = customers_fts.rowid"
        " WHERE customers_fts MATCH ? ORDER BY rank LIMIT ?",
        [query, limit],
    ):
        if r[0] not in hits and len(hits) < limit:
            name_words = [w.lower() for w in _WORD.findall(r[1] or "")]
            in_name = all(any(n.startswith(w) for n in name_words) for w in words)
            hits[r[0]] = SearchHit(r[0], r[1], r[2], r[3], "name" if in_name else "email")
    if len(hits) < limit:
        add(db.execute(
            "SELECT c.id, c.name, c.phone_e164, c.email, i.title FROM issues_fts"
            " JOIN issues i ON i.id = issues_fts.rowid JOIN customers c ON c.id = i.customer_id"
            " WHERE issues_fts MATCH ? ORDER BY i.status = 'open' DESC, rank LIMIT ?",
            [query, limit * 4],
        ), "issue", detail_col=True)
    return list(hits.values())


def normalise_hours(text: str | None) -> str | None:
    """``"9:00 - 17:30"`` -> ``"09:00-17:30"``; raises ValueError for anything else."""
    if text is None or not text.strip():
        return None
    m = _HOURS.match(text)
    if not m:
        raise ValueError(f"preferred hours {text!r} should look like 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"preferred hours {text!r} are not times of day")
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def check_email(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    email = text.strip()
    if not _EMAIL.match(email):
        raise ValueError(f"{email!r} is not an e-mail address")
    return email


def check_channel(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    channel = text.strip().lower()
    if channel not in CHANNELS:
        raise ValueError(f"preferred channel {text!r} should be one of {', '.join(CHANNELS)}")
    return channel


def create_customer(
    db: Database,
    *,
    name: str,
    phone: str,
    email: str | None = None,
    preferred_channel: str | None = None,
    preferred_hours: str | None = None,
    region: str = "US",
) -> int:
    """Create a customer (customer since today) and return the id.

    Raises :class:`~agent_assist.store.phones.BadPhoneNumber` or :class:`ValueError` with a readable
    message for bad input; nothing is written then.
    """
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise ValueError("A customer needs a name.")
    e164 = to_e164(phone, region)
    values = [
        clean_name, check_email(email), phone.strip(), e164, utcnow().date().isoformat(),
        check_channel(preferred_channel), normalise_hours(preferred_hours),
        utcnow().isoformat(timespec="seconds"),
    ]
    with db.atomic():
        cur = db.execute(
            "INSERT INTO customers (name, email, phone, phone_e164, customer_since, preferred_channel,"
            " preferred_hours, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
    return int(cur.lastrowid or 0)


def list_agents(db: Database) -> list[dict[str, Any]]:
    """Every agent as ``{id, name, email, team}``, by name."""
    cur = db.execute("SELECT id, name, email, team FROM agents ORDER BY name, id")
    return [{"id": r[0], "name": r[1], "email": r[2], "team": r[3]} for r in cur]


def count_customers(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM customers").fetchone()[0])
