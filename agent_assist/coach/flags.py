"""The one flag vocabulary of the phrasing coach: categories, their order, labels, short labels, colours.

Read from ``resources/phrasing/flags.json`` so the coach, the desk panel, Review, the CSV export and the PDF
report all name and colour a flag the same way. Flags stored by earlier versions under an old id
(``negative``) are read through :func:`canonical`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from agent_assist import resources

RESOURCE = "phrasing/flags.json"


@dataclass(frozen=True)
class FlagCategory:
    id: str
    label: str
    short: str
    colour: str
    definition: str


@cache
def _load() -> tuple[tuple[FlagCategory, ...], dict[str, str]]:
    data = json.loads(resources.read_text(RESOURCE))
    cats = tuple(FlagCategory(str(c["id"]), str(c["label"]), str(c["short"]), str(c["colour"]),
                              str(c["definition"])) for c in data["categories"])
    return cats, {str(k): str(v) for k, v in data.get("aliases", {}).items()}


def categories() -> tuple[FlagCategory, ...]:
    return _load()[0]


def canonical(category: str) -> str:
    """Today's id for ``category`` (old stored ids map to their successor; unknown ids pass through)."""
    return _load()[1].get(category, category)


def category(cid: str) -> FlagCategory | None:
    cid = canonical(cid)
    return next((c for c in categories() if c.id == cid), None)


def label(cid: str) -> str:
    c = category(cid)
    return c.label if c else cid.replace("_", " ").capitalize()


def short_label(cid: str) -> str:
    c = category(cid)
    return c.short if c else cid.replace("_", " ").capitalize()


def colour(cid: str, default: str = "#d0342c") -> str:
    c = category(cid)
    return c.colour if c else default


CATEGORIES: tuple[str, ...] = tuple(c.id for c in categories())
LABELS: dict[str, str] = {c.id: c.label for c in categories()}
SHORT_LABELS: dict[str, str] = {c.id: c.short for c in categories()}
COLOURS: dict[str, str] = {c.id: c.colour for c in categories()}
