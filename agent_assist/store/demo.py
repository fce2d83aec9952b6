"""Demo data: agents, customers and years of history that exercise every card and retention cue.

Deterministic for a given ``seed`` and ``today``. Faker supplies pools of names, cities and e-mail domains
once; everything per row comes from one ``random.Random`` so 100,000 customers build in well under a
minute. The whole build is one transaction: it either lands completely or not at all.

What is in it, on purpose:

* customers for up to ~8 years (a quarter of them 5+ years), phone numbers stored in assorted formats
  (``+1 555 …``, ``(555) …``, ``555/…``, ``555-…``, ``555.…``), preferred channel and hours;
* calls, e-mails, chats and SMS, and orders, over each customer's whole tenure;
* issues with severity-based resolution targets, open ones of every age (within and past target), some
  reopened;
* cue material: repeated problems in the last 60 days, activity that stopped 90+ days ago, relationship
  anniversaries in the next two weeks, overdue promised follow-ups, notes that mention a competitor or a
  public complaint.

Customer 1 has the number ``(555) 123-4567`` and a bit of everything, for demos and screenshots.

Why this file is over 400 lines: the demo data generator: one seeded story per customer, so history, issues
and orders agree.
"""

from __future__ import annotations

import errno
import os
import random
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from sqlite_utils import Database

from agent_assist.store.db import _holder, connect, writer_is_free
from agent_assist.store.errors import DatabaseInUse, DiskFull, from_sqlite

Progress = Callable[[str, float], None]

AGENT_TEAMS = ("Billing", "Tech support", "Tech support", "Retention", "Billing", "Sales")
CHANNEL_WEIGHTS = (("call", 40), ("email", 30), ("chat", 15), ("sms", 15))
PREFERRED = (("phone", 45), ("email", 25), ("sms", 15), ("chat", 15))
HOURS = (None, None, "08:00-12:00", "09:00-17:00", "12:00-14:00", "17:00-20:00", "18:00-21:00")
SEGMENTS = (("consumer", 70), ("business", 20), ("premium", 10))
PHONE_FORMATS = (
    "+1 555 {a} {b}",
    "(555) {a}-{b}",
    "555/{a} {b}",
    "555-{a}-{b}",
    "555.{a}.{b}",
    "+1 (555) {a}-{b}",
    "555{a}{b}",
)
SEVERITY_TARGET = (("low", 168.0, 20), ("normal", 72.0, 55), ("high", 24.0, 20), ("urgent", 8.0, 5))
TOPICS = (
    "a billing question", "a double charge", "a late delivery", "a refund", "the router setup",
    "slow internet", "a dropped connection", "a plan upgrade", "a password reset", "a damaged item",
    "an address change", "a warranty claim", "a cancelled order", "the monthly invoice", "roaming charges",
    "a missing part", "the loyalty discount", "a technician visit", "a contract renewal", "the app login",
    "a payment method", "a product return", "a data allowance", "a price increase", "a service outage",
)
SUMMARY_FORMATS = {
    ("call", "in"): "Called about {}",
    ("call", "out"): "Called back about {}",
    ("email", "in"): "E-mail about {}",
    ("email", "out"): "Replied by e-mail about {}",
    ("chat", "in"): "Chat about {}",
    ("chat", "out"): "Chat follow-up on {}",
    ("sms", "in"): "SMS asking about {}",
    ("sms", "out"): "SMS update on {}",
}
ISSUE_TITLES = (
    "Internet drops every evening", "Charged twice for the same month", "Refund not received",
    "Router keeps rebooting", "Delivery never arrived", "Wrong item delivered", "Invoice shows old plan",
    "Cannot log in to the app", "Technician did not show up", "Slow speeds since the upgrade",
    "Promised discount not applied", "Roaming charges disputed", "Damaged parcel", "Contract cancelled by mistake",
    "Direct debit failed", "Replacement part missing", "No dial tone on landline", "Email account locked",
    "Late fee charged in error", "TV box freezes", "Porting my number failed", "Warranty claim rejected",
    "Installation appointment moved twice", "Loyalty points missing", "Paper bills still arriving",
)
ITEMS = (
    ("Fibre 500 plan", 45.0, 60.0), ("Mesh Wi-Fi kit", 129.0, 199.0), ("Smartphone X2", 399.0, 799.0),
    ("Phone case", 15.0, 35.0), ("TV box", 79.0, 119.0), ("Extra data pack", 10.0, 25.0),
    ("Router replacement", 0.0, 59.0), ("Headset", 25.0, 89.0), ("Smart plug (2)", 19.0, 29.0),
    ("Installation service", 49.0, 99.0), ("Tablet 10", 199.0, 449.0), ("SIM only plan", 9.0, 20.0),
)
ORDER_STATUS = (("delivered", 85), ("returned", 6), ("cancelled", 5), ("shipped", 4))
COMPETITOR_NOTES = (
    "Mentioned a cheaper offer from NetWave; considering switching.",
    "Said Skyline Mobile offered them six months free.",
    "Comparing our price with BrightLink before renewing.",
)
COMPLAINT_NOTES = (
    "Posted a public complaint on social media about the outage.",
    "Left a one-star review about the billing mix-up.",
    "Threatened to complain to the consumer ombudsman.",
)
PLAIN_NOTES = (
    "Prefers a call back rather than waiting on hold.",
    "Hard of hearing: speak slowly and clearly.",
    "Works night shifts; do not call mornings.",
    "Runs a small shop; bills go to the business address.",
    "Very happy with the last technician visit.",
    "Asked to be called by first name.",
)
FOLLOW_UPS = (
    "Send the refund confirmation", "E-mail the corrected invoice", "Call back with the technician slot",
    "Confirm the loyalty discount in writing", "Send the returns label",
)

_INTERACTION_SQL = (
    "INSERT INTO interactions (customer_id, agent_id, at, channel, direction, summary) VALUES (?, ?, ?, ?, ?, ?)"
)
_ORDER_SQL = "INSERT INTO orders (customer_id, at, amount, status, item) VALUES (?, ?, ?, ?, ?)"
_ISSUE_SQL = (
    "INSERT INTO issues (customer_id, opened_at, resolved_at, status, severity, title, reopen_count,"
    " target_hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_CUSTOMER_SQL = (
    "INSERT INTO customers (id, external_id, name, email, phone, phone_e164, customer_since,"
    " preferred_channel, preferred_hours, city, segment, notes, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_TASK_SQL = (
    "INSERT INTO tasks (agent_id, customer_id, kind, text, due_at, channel, done, created_at)"
    " VALUES (?, ?, 'follow_up', ?, ?, ?, 0, ?)"
)


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, ...], ...]) -> Callable[[], Any]:
    """A fast chooser over ``(value, ..., weight)`` tuples (precomputed cumulative weights)."""
    values = [p[0] if len(p) == 2 else p[:-1] for p in pairs]
    cum: list[float] = []
    total = 0.0
    for p in pairs:
        total += p[-1]
        cum.append(total)
    choices = rng.choices

    def pick() -> Any:
        return choices(values, cum_weights=cum)[0]

    return pick


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _anniversary_since(today: date, days_ahead: int, years: int) -> date:
    d = today + timedelta(days=days_ahead)
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def build_demo(
    db: Database,
    customers: int = 2000,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
    *,
    interactions_per_customer: float = 20.0,
    orders_per_customer: float = 5.0,
    issues_per_customer: float = 2.0,
    batch: int = 2000,
) -> dict[str, int]:
    """Fill an empty database with ``customers`` demo customers and their history; returns row counts.

    ``progress(what, fraction)`` is called now and then (fraction 0..1). Raises ValueError if the database
    already has customers (a demo is never mixed into real data).
    """
    if customers < 1:
        raise ValueError("The demo needs at least one customer.")
    existing = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    if existing:
        raise ValueError(f"The database already holds {existing} customers; build the demo into an empty one.")
    report = progress or (lambda what, frac: None)
    today = today or datetime.now(UTC).date()
    end = datetime.combine(today, time())  # every event happens before today starts
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    first_names = [fake.first_name() for _ in range(800)]
    last_names = [fake.last_name() for _ in range(800)]
    cities = [fake.city() for _ in range(300)]
    domains = ["example.com", "example.net", "example.org", "mail.example.com", "post.example.net"]
    report("people", 0.02)

    counts = {"agents": 0, "customers": 0, "interactions": 0, "orders": 0, "issues": 0, "tasks": 0}
    with db.atomic():
        agent_rows = []
        for i, team in enumerate(AGENT_TEAMS, start=1):
            name = fake.name()
            email = name.lower().replace(" ", ".").replace("'", "") + "@agents.example.com"
            agent_rows.append((f"DEMO-A{i}", name, email, team, _iso(end - timedelta(days=3000))))
        db.conn.executemany(
            "INSERT INTO agents (external_id, name, email, team, created_at) VALUES (?, ?, ?, ?, ?)", agent_rows
        )
        agent_ids = [r[0] for r in db.execute("SELECT id FROM agents ORDER BY id").fetchall()]
        counts["agents"] = len(agent_rows)
        next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM customers").fetchone()[0]) + 1
        builder = _Builder(rng, end, agent_ids, first_names, last_names, cities, domains)
        # Target totals are shared out by weight so the whole database has about the asked-for counts.
        profiles = [builder.profile(i) for i in range(customers)]
        weight_sum = sum(p.weight for p in profiles) or 1.0
        scale_i = interactions_per_customer * customers / weight_sum
        scale_o = orders_per_customer * customers / weight_sum
        scale_s = issues_per_customer * customers / weight_sum
        for start in range(0, customers, batch):
            rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("c", "i", "o", "s", "t")}
            for k in range(start, min(start + batch, customers)):
                builder.customer(next_id + k, profiles[k], scale_i, scale_o, scale_s, rows)
            db.conn.executemany(_CUSTOMER_SQL, rows["c"])
            db.conn.executemany(_INTERACTION_SQL, rows["i"])
            db.conn.executemany(_ORDER_SQL, rows["o"])
            db.conn.executemany(_ISSUE_SQL, rows["s"])
            db.conn.executemany(_TASK_SQL, rows["t"])
            for key, table in (("c", "customers"), ("i", "interactions"), ("o", "orders"), ("s", "issues"),
                               ("t", "tasks")):
                counts[table] += len(rows[key])
            report("customers", 0.05 + 0.9 * min(customers, start + batch) / customers)
        report("saving", 0.97)
    report("done", 1.0)
    return counts


class _Profile:
    __slots__ = ("anniversary", "declining", "repeated", "since", "weight")

    def __init__(self, since: date, weight: float, declining: bool, repeated: bool, anniversary: bool) -> None:
        self.since = since
        self.weight = weight
        self.declining = declining
        self.repeated = repeated
        self.anniversary = anniversary


class _Builder:
    """Row generation for one customer at a time (kept together so the hot loop reads locals)."""

    def __init__(
        self,
        rng: random.Random,
        end: datetime,
        agent_ids: list[int],
        first_names: list[str],
        last_names: list[str],
        cities: list[str],
        domains: list[str],
    ) -> None:
        self.rng = rng
        self.end = end
        self.today = end.date()
        self.agent_ids = agent_ids
        self.first_names = first_names
        self.last_names = last_names
        self.cities = cities
        self.domains = domains
        self.channel = _weighted(rng, CHANNEL_WEIGHTS)
        self.preferred = _weighted(rng, PREFERRED)
        self.segment = _weighted(rng, SEGMENTS)
        self.severity = _weighted(rng, SEVERITY_TARGET)
        self.order_status = _weighted(rng, ORDER_STATUS)
        # 7-digit subscriber numbers after the fictional 555 area code, unique per customer.
        self.numbers: set[int] = {1234567}
        self.summaries = {
            key: [fmt.format(t) for t in TOPICS] for key, fmt in SUMMARY_FORMATS.items()
        }

    def profile(self, index: int) -> _Profile:
        rng = self.rng
        today = self.today
        anniversary = index == 0 or rng.random() < 0.03
        if anniversary:
            since = _anniversary_since(today, rng.randint(1, 14), 5 if index == 0 else rng.randint(1, 8))
        elif rng.random() < 0.25:
            since = today - timedelta(days=rng.randint(5 * 365, 8 * 365))
        else:
            since = today - timedelta(days=rng.randint(20, 5 * 365))
        years = max((today - since).days / 365.0, 0.1)
        weight = years**0.8 * rng.lognormvariate(0.0, 0.6)
        declining = index != 0 and years > 1.5 and rng.random() < 0.08
        repeated = index == 0 or rng.random() < 0.05
        if declining:
            weight *= 1.3
        return _Profile(since, weight, declining, repeated, anniversary)

    def _time(self, start: datetime, stop: datetime) -> datetime:
        """A moment between ``start`` and ``stop``, in office-ish hours."""
        days = max((stop - start).days, 1)
        day = start.replace(hour=0, minute=0, second=0) + timedelta(days=self.rng.randrange(days))
        t = day + timedelta(seconds=self.rng.randrange(7 * 3600, 21 * 3600))
        return min(max(t, start), stop - timedelta(seconds=1))

    def _count(self, expected: float) -> int:
        base = int(expected)
        return base + (1 if self.rng.random() < expected - base else 0)

    def customer(
        self,
        cid: int,
        p: _Profile,
        scale_i: float,
        scale_o: float,
        scale_s: float,
        rows: dict[str, list[tuple[Any, ...]]],
    ) -> None:
        rng = self.rng
        end = self.end
        first = rng.choice(self.first_names)
        last = rng.choice(self.last_names)
        name = f"{first} {last}"
        if cid == 1:
            number = 1234567
        else:
            number = rng.randrange(2000000, 10000000)
            while number in self.numbers:
                number = rng.randrange(2000000, 10000000)
            self.numbers.add(number)
        digits = f"{number:07d}"
        phone = (PHONE_FORMATS[1] if cid == 1 else rng.choice(PHONE_FORMATS)).format(a=digits[:3], b=digits[3:])
        e164 = f"+1555{digits}"
        email = None
        if rng.random() < 0.9:
            suffix = "" if rng.random() < 0.6 else str(rng.randint(1, 99))
            local = f"{first}.{last}{suffix}".lower().replace("'", "").replace(" ", "")
            email = f"{local}@{rng.choice(self.domains)}"
        preferred = self.preferred()
        hours = rng.choice(HOURS)
        notes = None
        r = rng.random()
        if cid == 1 or r < 0.03:
            notes = rng.choice(COMPETITOR_NOTES)
        elif r < 0.06:
            notes = rng.choice(COMPLAINT_NOTES)
        elif r < 0.20:
            notes = rng.choice(PLAIN_NOTES)
        since_dt = datetime.combine(p.since, time(9))
        rows["c"].append((
            cid, f"DEMO-C{cid:06d}", name, email, phone, e164, p.since.isoformat(), preferred, hours,
            rng.choice(self.cities), self.segment(), notes, _iso(since_dt),
        ))

        # Activity stops 90-200 days ago for a declining customer, and was busier in the year before.
        stop = end - timedelta(days=rng.randint(90, 200)) if p.declining else end
        busy_from = max(since_dt, stop - timedelta(days=400)) if p.declining else since_dt
        agents = self.agent_ids
        n_int = self._count(p.weight * scale_i)
        times = []
        for _ in range(n_int):
            lo = busy_from if (p.declining and rng.random() < 0.6) else since_dt
            times.append(self._time(lo, stop) if lo < stop else stop - timedelta(hours=1))
        times.sort()
        inter = rows["i"]
        summaries = self.summaries
        channel = self.channel
        for t in times:
            ch = channel()
            direction = "in" if rng.random() < 0.7 else "out"
            inter.append((cid, rng.choice(agents), _iso(t), ch, direction, rng.choice(summaries[ch, direction])))

        n_ord = self._count(p.weight * scale_o)
        otimes = sorted(self._time(since_dt, stop) for _ in range(n_ord)) if since_dt < stop else []
        for t in otimes:
            item, lo_price, hi_price = rng.choice(ITEMS)
            rows["o"].append((cid, _iso(t), round(rng.uniform(lo_price, hi_price), 2), self.order_status(), item))

        issues = rows["s"]
        n_iss = self._count(p.weight * scale_s)
        for _ in range(n_iss):
            opened = self._time(since_dt, stop) if since_dt < stop else stop - timedelta(hours=2)
            self._issue(cid, opened, issues)
        if p.repeated:
            # 3-4 problems in the last 60 days, each with the call that reported it.
            for k in range(3 if cid != 1 else 4):
                opened = end - timedelta(days=rng.randint(1, 58), seconds=rng.randrange(3600, 40000))
                title = self._issue(cid, opened, issues, force_open=(k == 0 or (cid == 1 and k == 1)))
                inter.append((cid, rng.choice(agents), _iso(opened), "call", "in", f"Called to report: {title}"))
        if cid == 1 or rng.random() < 0.02:
            due = end - timedelta(days=rng.randint(3, 12))
            rows["t"].append((
                rng.choice(agents), cid, rng.choice(FOLLOW_UPS), _iso(due), preferred,
                _iso(due - timedelta(days=2)),
            ))

    def _issue(self, cid: int, opened: datetime, out: list[tuple[Any, ...]], force_open: bool = False) -> str:
        rng = self.rng
        severity, target = self.severity()
        title = rng.choice(ISSUE_TITLES)
        age_h = (self.end - opened).total_seconds() / 3600.0
        # Recent issues are often still open; old ones rarely (the long-unresolved cases).
        p_open = 0.55 if age_h < 24 * 30 else 0.03
        reopen = 0
        r = rng.random()
        if r < 0.07:
            reopen = 1
        elif r < 0.09:
            reopen = 2
        if force_open or rng.random() < p_open:
            out.append((cid, _iso(opened), None, "open", severity, title, reopen, target))
        else:
            took = target * rng.lognormvariate(-0.4, 0.7)
            resolved = min(opened + timedelta(hours=took), self.end - timedelta(minutes=5))
            if resolved <= opened:
                resolved = opened + timedelta(minutes=30)
            out.append((cid, _iso(opened), _iso(resolved), "resolved", severity, title, reopen, target))
        return title


def build_demo_file(
    path: Path | str,
    *,
    customers: int = 2000,
    seed: int = 1234,
    today: date | None = None,
    progress: Progress | None = None,
    fill: Callable[[Database], dict[str, int]] | None = None,
    **sizes: float,
) -> dict[str, int]:
    """Build a demo database at ``path``, replacing any file there, all or nothing.

    The data goes into a temporary file next to ``path`` (no journal while building: a failure throws the
    file away anyway), which is switched to WAL and renamed over ``path`` only when complete. A stale
    ``-wal``/``-shm`` beside ``path`` is removed first so it can never be replayed into the new file.
    ``fill(db)`` replaces the default :func:`build_demo` call (the workflows layer adds demo calls).
    """
    target = Path(path).expanduser()
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    remove_stale_builds(target)
    _refuse_in_use(target)
    _remove_db_files(tmp)
    try:
        try:
            return _build_into(target, tmp, customers, seed, today, progress, fill, sizes)
        except BaseException:
            _remove_db_files(tmp)  # whatever failed, even opening it: nothing half-built stays behind
            raise
    except sqlite3.Error as e:
        err = from_sqlite(e, target.parent)
        if err is None:
            raise
        raise err from None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise DiskFull(f"The disk holding {target.parent} is full; the demo database was not built "
                           "(nothing was changed). Free some space and try again.") from None
        raise


def _refuse_in_use(target: Path) -> None:
    if not writer_is_free(target):
        raise DatabaseInUse(f"Database {target} is open in Agent Assist{_holder(target)}; close the window "
                            "before replacing it (nothing was changed).")


def remove_stale_builds(target: Path) -> list[Path]:
    """Delete what a killed or failed build left beside ``target`` (``.NAME.building-PID*`` of dead PIDs)."""
    removed = []
    for f in target.parent.glob(f".{target.name}.building-*"):
        m = re.match(rf"\.{re.escape(target.name)}\.building-(\d+)(?:-wal|-shm|-journal|\.lock)?$", f.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and _pid_alive(pid):
            continue
        f.unlink(missing_ok=True)
        removed.append(f)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _build_into(target: Path, tmp: Path, customers: int, seed: int, today: date | None,
                progress: Progress | None, fill: Callable[[Database], dict[str, int]] | None,
                sizes: dict[str, float]) -> dict[str, int]:
    db = connect(tmp)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")  # 256 MB while building
        if fill is not None:
            counts = fill(db)
        else:
            counts = build_demo(
                db, customers=customers, seed=seed, today=today, progress=progress,
                interactions_per_customer=sizes.get("interactions_per_customer", 20.0),
                orders_per_customer=sizes.get("orders_per_customer", 5.0),
                issues_per_customer=sizes.get("issues_per_customer", 2.0),
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.close()
    except BaseException:
        db.close()
        _remove_db_files(tmp)
        raise
    try:
        _refuse_in_use(target)  # again: a window may have opened it while this was building
    except DatabaseInUse:
        _remove_db_files(tmp)
        raise
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    os.chmod(target, 0o600)
    return counts


def _remove_db_files(p: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        Path(str(p) + suffix).unlink(missing_ok=True)
