"""The one outcome vocabulary (wrap-up, Review table, detail, CSV, PDF) and local-time display of UTC times.

Calls store an outcome *key* (``follow_up``); older rows and the demo data stored the label or a variant
("follow-up needed"), practice attempts "practice: <scenario> — score N/100". :func:`outcome_label` turns
any of them into the one label everybody sees, so the table, the summary, the CSV and the PDF agree.

Times are stored as naive ISO-8601 UTC (``2026-11-23T19:25:00``); :func:`local_time` shows them in the
machine's time zone, and :func:`local_day_bounds` turns local calendar days into UTC bounds for queries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("resolved", "Resolved"),
    ("follow_up", "Follow-up needed"),
    ("escalated", "Escalated"),
    ("callback", "Callback scheduled"),
    ("info_only", "Information given"),
    ("unresolved", "Not resolved"),
    ("dropped", "Call dropped"),
    ("practice", "Practice"),
)
OUTCOME_LABELS = dict(OUTCOMES)
WRAPUP_OUTCOMES = OUTCOMES[:6]  # what an agent picks at wrap-up (dropped calls and practice are set by the app)
# Spellings written before the keys were agreed (demo data, first wrap-up versions, imports).
_ALIASES = {
    "follow-up needed": "follow_up", "follow up": "follow_up", "follow-up": "follow_up",
    "callback scheduled": "callback", "call back": "callback", "information given": "info_only",
    "info only": "info_only", "not resolved": "unresolved", "no resolution": "unresolved",
    "call dropped": "dropped",
}


def outcome_key(raw: str | None) -> str | None:
    """The vocabulary key of a stored outcome, or None when it is none of them (free text)."""
    if raw is None:
        return None
    text = raw.strip()
    low = text.lower()
    if low in OUTCOME_LABELS:
        return low
    if low in _ALIASES:
        return _ALIASES[low]
    for key, label in OUTCOMES:
        if low == label.lower():
            return key
    if low.startswith("practice"):
        return "practice"
    return None


def outcome_label(raw: str | None) -> str:
    """What the table, the summary, the CSV and the PDF show for a stored outcome ("—" when none)."""
    if raw is None or not raw.strip():
        return "—"
    key = outcome_key(raw)
    if key == "practice" and ":" in raw:
        return "Practice: " + raw.split(":", 1)[1].strip()  # keeps the scenario and its score
    if key is not None:
        return OUTCOME_LABELS[key]
    text = raw.strip()
    return text[:1].upper() + text[1:]


# -- time --------------------------------------------------------------------------------------------------
def _parse_utc(iso: str) -> datetime | None:
    try:
        d = datetime.fromisoformat(iso.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d


def local_time(iso: str | None, with_zone: bool = False) -> str:
    """A stored UTC time as ``YYYY-MM-DD HH:MM`` in the local time zone ("—" when missing or unreadable)."""
    if not iso:
        return "—"
    d = _parse_utc(str(iso))
    if d is None:
        return str(iso)[:16].replace("T", " ")
    loc = d.astimezone()
    text = loc.strftime("%Y-%m-%d %H:%M")
    return f"{text} {loc.tzname()}" if with_zone else text


def local_zone_name() -> str:
    return datetime.now().astimezone().tzname() or "local time"


def local_day_bounds(d1: date | None, d2: date | None) -> tuple[str | None, str | None]:
    """UTC bounds ``[start, end)`` (naive ISO) covering local days ``d1`` to ``d2`` inclusive."""

    def utc(d: date) -> str:
        loc = datetime.combine(d, time()).astimezone()  # local midnight, with its own offset (DST)
        return loc.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")

    return (utc(d1) if d1 else None, utc(d2 + timedelta(days=1)) if d2 else None)


def local_monday(iso: str) -> str:
    """The Monday (local calendar) of the week a stored UTC time falls in."""
    d = _parse_utc(iso)
    day = d.astimezone().date() if d is not None else date.fromisoformat(iso[:10])
    return (day - timedelta(days=day.weekday())).isoformat()
