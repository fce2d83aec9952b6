"""PII redaction for anything stored about a call: notes, parked tasks, utterances.

Finds payment card numbers (13–19 digits with any spacing or dashes, a known card prefix, Luhn-checked),
a CVV that follows a card mention, US social security numbers and IBANs (country format and mod-97
checksum), and replaces each with a short marker such as ``[card ••••1234]``, ``[CVV]``, ``[SSN]`` or
``[IBAN]``. Check digits come from ``python-stdnum`` so that order numbers, phone numbers and other long
digit strings are left alone unless they really are valid identifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.us import ssn as _ssn

CARD = "card"
CVV = "cvv"
SSN = "ssn"
IBAN = "iban"


@dataclass(frozen=True)
class Redaction:
    """The redacted text, how many items were replaced and which kinds (in order of first appearance)."""

    text: str
    count: int
    kinds: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.count > 0

    def describe(self) -> str:
        """One line for the UI, e.g. ``"2 items redacted (card, CVV)"``; empty when nothing was."""
        if not self.count:
            return ""
        names = ", ".join(_LABELS[k] for k in self.kinds)
        return f"{self.count} item{'s' if self.count != 1 else ''} redacted ({names})"


_LABELS = {CARD: "card", CVV: "CVV", SSN: "SSN", IBAN: "IBAN"}

# 13-19 digits, single spaces/dashes (or dots) allowed between digits; not glued to other digits, a plus
# sign (phone numbers) or a letter (reference codes such as ORD-...).
_CARD_RE = re.compile(r"(?<![\w+\-])(?<!\+ )(\d(?:[ \-.]?\d)+)(?![\w])")
# IIN ranges of the major schemes with their lengths; a Luhn-valid number outside them is not a card.
_CARD_SCHEMES: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = (
    (re.compile(r"4"), frozenset({13, 16, 19})),  # Visa
    (re.compile(r"5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)"), frozenset({16})),  # Mastercard
    (re.compile(r"3[47]"), frozenset({15})),  # American Express
    (re.compile(r"6(?:011|5|4[4-9])"), frozenset({16, 19})),  # Discover
    (re.compile(r"35(?:2[89]|[3-8]\d)"), frozenset({16, 17, 18, 19})),  # JCB
    (re.compile(r"3(?:0[0-5]|[68])"), frozenset({14, 16, 19})),  # Diners Club
    (re.compile(r"62"), frozenset({16, 17, 18, 19})),  # UnionPay
    (re.compile(r"5018|5020|5038|6304|6759|676[1-3]"), frozenset(range(12, 20))),  # Maestro
)
_CARD_WORDS = re.compile(r"\b(?:card|visa|master ?card|amex|american express|discover|credit|debit)\b", re.I)
_CVV_RE = re.compile(
    r"\b(?P<key>cvv2?|cvc2?|cid|security code|verification code|card code|code on the back)\b"
    r"(?P<gap>[^\d\n]{0,20}?)(?<!\d)(?P<num>\d{3,4})(?!\d)",
    re.I,
)
_SSN_RE = re.compile(r"(?<![\w\-+])(\d{3})([ \-])(\d{2})\2(\d{4})(?![\w\-])")
_SSN_PLAIN_RE = re.compile(
    r"\b(?P<key>ssn|social security(?: number| no\.?| #)?)\b(?P<gap>[^\d\n]{0,12}?)(?<!\d)(?P<num>\d{9})(?!\d)",
    re.I,
)
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){10,30})")


def _is_card(digits: str) -> bool:
    if not 13 <= len(digits) <= 19:
        return False
    if not any(p.match(digits) and len(digits) in lengths for p, lengths in _CARD_SCHEMES):
        return False
    return bool(_luhn.is_valid(digits))


def _card_marker(digits: str) -> str:
    return f"[card ••••{digits[-4:]}]"


def _best_card(groups: list[str]) -> tuple[int, int] | None:
    """The longest run of consecutive digit groups (leftmost on ties) that is a card number."""
    best: tuple[int, int] | None = None
    for i in range(len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j]
            if len(digits) > 19:
                break
            if _is_card(digits) and (best is None or j - i > best[1] - best[0]):
                best = (i, j)
    return best


def _redact_cards(text: str, found: list[str]) -> str:
    out: list[str] = []
    pos = 0
    for m in _CARD_RE.finditer(text):
        # Split the digit run at its separators: a card may be followed by an expiry or preceded by a
        # quantity ("2 4111 1111 1111 1111"), so try every run of whole groups.
        spans = [g.span() for g in re.finditer(r"\d+", m.group(1))]
        groups = [m.group(1)[a:b] for a, b in spans]
        best = _best_card(groups)
        if best is None:
            continue
        start = m.start(1) + spans[best[0]][0]
        end = m.start(1) + spans[best[1]][1]
        out.append(text[pos:start])
        out.append(_card_marker("".join(groups[best[0]:best[1] + 1])))
        found.append(CARD)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _redact_cvv(text: str, found: list[str]) -> str:
    # "After a card mention": only when the text talks about a card (a number we redacted or a card word).
    card_context = CARD in found or bool(_CARD_WORDS.search(text))

    def sub(m: re.Match[str]) -> str:
        if not card_context and m.group("key").lower()[:2] not in ("cv", "ci"):
            return m.group(0)
        found.append(CVV)
        return f"{m.group('key')}{m.group('gap')}[CVV]"

    return _CVV_RE.sub(sub, text)


def _redact_ssn(text: str, found: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        number = f"{m.group(1)}{m.group(3)}{m.group(4)}"
        if not _ssn.is_valid(number):
            return m.group(0)
        found.append(SSN)
        return "[SSN]"

    def sub_plain(m: re.Match[str]) -> str:
        if not _ssn.is_valid(m.group("num")):
            return m.group(0)
        found.append(SSN)
        return f"{m.group('key')}{m.group('gap')}[SSN]"

    return _SSN_PLAIN_RE.sub(sub_plain, _SSN_RE.sub(sub, text))


def _redact_iban(text: str, found: list[str]) -> str:
    out: list[str] = []
    pos = 0
    for m in _IBAN_RE.finditer(text):
        if m.start() < pos:
            continue
        candidate = m.group(1)
        # The pattern is greedy and may swallow a following word ("... 32 THANKS"): shrink from the
        # right to the longest prefix that is a valid IBAN.
        for end in range(len(candidate), 13, -1):
            piece = candidate[:end]
            if piece[-1] in " -":
                continue
            compact = re.sub(r"[ \-]", "", piece)
            if 15 <= len(compact) <= 34 and _iban.is_valid(compact):
                out.append(text[pos:m.start(1)])
                out.append("[IBAN]")
                found.append(IBAN)
                pos = m.start(1) + end
                break
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> Redaction:
    """Replace card numbers, CVVs, SSNs and IBANs in ``text``; see the module docstring."""
    found: list[str] = []
    # IBANs first: their digit groups could otherwise look like a card number.
    result = _redact_iban(text, found)
    result = _redact_cards(result, found)
    result = _redact_cvv(result, found)
    result = _redact_ssn(result, found)
    kinds = tuple(dict.fromkeys(found))
    return Redaction(text=result, count=len(found), kinds=kinds)
