"""PII redaction for anything stored about a call or shown outside the app: notes, tasks, utterances,
imports, exports, logs, reports.

Finds payment card numbers (13–19 digits, a known card prefix, Luhn-checked), a CVV that follows a card
mention, US social security numbers and IBANs (country format and mod-97 checksum), and replaces each with
a short marker such as ``[card ••••1234]``, ``[CVV]``, ``[SSN]`` or ``[IBAN]``. Check digits come from
``python-stdnum`` so that order numbers, phone numbers and other long digit strings are left alone unless
they really are valid identifiers.

The number may be written in any way a person or a speech recogniser writes it: digits of any script
(full-width ``４１１１``, Arabic-Indic, Devanagari… — anything Unicode calls a decimal digit), groups
separated by spaces of any kind (double, non-breaking, thin), ``-`` and the other dashes, ``/``, ``_``,
``.`` or ``,``, split over lines, and digits spoken as words ("four one one one", "oh", "double five",
"triple seven"), mixed freely. The text is first mapped character by character onto a same-length
*shadow* (ASCII digits, one space for every space, one ``-`` for every dash) so every match found in the
shadow is a span of the original text.

:func:`redact` is the one entry point every path calls (its name and signature are stable: the speech
recogniser's output goes through it too); :func:`mask_phone` and :func:`redact_log` serve the log.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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
_CARD_WORDS = re.compile(r"\b(?:card|visa|master ?card|amex|american express|discover|credit|debit)\b")
_CVV_KEY = re.compile(r"\b(cvv2?|cvc2?|cid|security code|verification code|card code|code on the back)\b")
_SSN_KEY = re.compile(r"\b(ssn|social security(?: number| no\.?| #)?|social)\b")

_WORD_DIGITS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "naught": "0",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "niner": "9",
}
_WORDS = "|".join(sorted(_WORD_DIGITS, key=len, reverse=True))
# One token is a run of digits, a digit word, or "double/triple <digit>"; "o'clock" is not a zero.
_TOKEN_RE = re.compile(
    rf"(?P<d>\d+)"
    rf"|\b(?P<mult>double|triple)[ \-]+(?P<mw>{_WORDS}|\d)\b(?!['’])"
    rf"|\b(?P<w>{_WORDS})\b(?!['’])"
)
# What may stand between two tokens of one number: up to four separator characters (spaces of any kind
# and line breaks are one space in the shadow).
_GAP_RE = re.compile(r"[ \-/_.,]{0,4}")
_IBAN_START = re.compile(r"(?<![A-Z0-9])(?=[A-Z]{2}\d{2})")
_IBAN_BODY = re.compile(r"[A-Z]{2}\d{2}(?:[ \-/_.]{0,3}[A-Z0-9]){10,32}")
_IBAN_SEP = re.compile(r"[ \-/_.]")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


def _shadow_char(c: str) -> str:
    if c.isascii():
        return c
    d = unicodedata.decimal(c, None)
    if d is not None:
        return str(d)
    if c.isspace() or unicodedata.category(c) in ("Zs", "Cf"):
        return " "
    if c in _DASHES:
        return "-"
    n = unicodedata.normalize("NFKC", c)
    return n if len(n) == 1 else c


_ASCII_SPACES = str.maketrans("\n\r\t\f\v", "     ")


def _shadow(text: str) -> str:
    """``text`` mapped char by char (same length): ASCII digits, ' ' for any space, '-' for any dash."""
    if text.isascii():
        return text.translate(_ASCII_SPACES).lower()
    out = []
    for c in text:
        s = _shadow_char(c)
        if s == "\n" or s == "\r" or s == "\t":
            s = " "
        low = s.lower()
        out.append(low if len(low) == 1 else s)
    return "".join(out)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    digits: str
    glued: bool  # part of a code such as ORD-4111… (letters glued to the digits)


def _tokens(sh: str) -> list[_Token]:
    toks: list[_Token] = []
    for m in _TOKEN_RE.finditer(sh):
        if m.group("d") is not None:
            a, b = m.span()
            before = sh[a - 1] if a else " "
            before2 = sh[a - 2] if a > 1 else " "
            after = sh[b] if b < len(sh) else " "
            glued = before.isalpha() or after.isalpha() or (before == "-" and before2.isalpha())
            toks.append(_Token(a, b, m.group("d"), glued))
        elif m.group("mult") is not None:
            w = m.group("mw")
            d = w if w.isdigit() else _WORD_DIGITS[w]
            toks.append(_Token(m.start(), m.end(), d * (2 if m.group("mult") == "double" else 3), False))
        else:
            toks.append(_Token(m.start(), m.end(), _WORD_DIGITS[m.group("w")], False))
    return toks


def _runs(sh: str, toks: list[_Token]) -> list[list[_Token]]:
    """Tokens grouped into numbers: consecutive tokens with only separators between them."""
    runs: list[list[_Token]] = []
    cur: list[_Token] = []
    for t in toks:
        if t.glued:
            if cur:
                runs.append(cur)
            cur = []
            continue
        if cur and _GAP_RE.fullmatch(sh, cur[-1].end, t.start) is None:
            runs.append(cur)
            cur = []
        cur.append(t)
    if cur:
        runs.append(cur)
    return runs


def _is_card(digits: str) -> bool:
    if not 13 <= len(digits) <= 19:
        return False
    if not any(p.match(digits) and len(digits) in lengths for p, lengths in _CARD_SCHEMES):
        return False
    return bool(_luhn.is_valid(digits))


def _cover(groups: list[str], ssn_at: Callable[[int, int], bool] | None = None
                ) -> list[tuple[int, int, str]]:
    """Runs of consecutive whole groups that are card numbers (or, with ``ssn_at``, SSNs), chosen to
    cover the most digits: ``(first group, last group, CARD or SSN)``.

    A card may be followed by an expiry or preceded by a quantity ("2 4111 1111 1111 1111"), two cards
    read out one after the other form one run of digit words, and a note's lines run together, so every
    split is considered (dynamic programming over the groups; a card has at most 19 digits, so this is
    linear). SSNs take part in the same choice: "… eight nine 001 01 0001" is a 16-digit card and an SSN,
    not a 19-digit card that happens to pass Luhn and the rest of an SSN left readable.
    """
    n = len(groups)
    best = [0] * (n + 1)
    pick: list[tuple[int, str] | None] = [None] * (n + 1)  # (end group, kind) of the item starting here
    for i in range(n - 1, -1, -1):
        best[i], pick[i] = best[i + 1], None
        digits = ""
        for j in range(i, n):
            digits += groups[j]
            if len(digits) > 19:
                break
            if _is_card(digits) and len(digits) + best[j + 1] > best[i]:
                best[i], pick[i] = len(digits) + best[j + 1], (j, CARD)
            if (len(digits) == 9 and ssn_at is not None and 9 + best[j + 1] > best[i]
                    and ssn_at(i, j)):
                best[i], pick[i] = 9 + best[j + 1], (j, SSN)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        got = pick[i]
        if got is None:
            i += 1
        else:
            out.append((i, got[0], got[1]))
            i = got[0] + 1
    return out


Span = tuple[int, int, str, str]  # start, end, marker, kind


def _numbers_in(text: str, sh: str, run: list[_Token], spans: list[Span]) -> list[list[_Token]]:
    """Redact every card and SSN in ``run``; returns the pieces of the run left over.

    The cover is chosen with every SSN-shaped stretch as a candidate; then each SSN chosen must also pass
    the test against its neighbours that no card or SSN took ("123-45-6789-01" is one number).
    """
    cover = _cover([t.digits for t in run],
                        lambda i, j: _ssn_window(text, sh, run, i, j, free=lambda k: False))
    taken = {k for i, j, _kind in cover for k in range(i, j + 1)}
    rest: list[list[_Token]] = []
    pos = 0
    for i, j, kind in cover:
        if kind == CARD:
            digits = "".join(t.digits for t in run[i:j + 1])
            spans.append((run[i].start, run[j].end, f"[card ••••{digits[-4:]}]", CARD))
        elif _ssn_window(text, sh, run, i, j, free=lambda k: k not in taken):
            spans.append((run[i].start, run[j].end, "[SSN]", SSN))
        else:
            continue
        if run[pos:i]:
            rest.append(run[pos:i])
        pos = j + 1
    if run[pos:]:
        rest.append(run[pos:])
    return rest


def _key_before(sh: str, start: int, key: re.Pattern[str], reach: int) -> bool:
    """Whether ``key`` ends within ``reach`` characters before ``start`` with no digit in between."""
    window = sh[max(0, start - reach - 40):start]
    for m in key.finditer(window):
        gap = window[m.end():]
        if len(gap) <= reach and not any(ch.isdigit() for ch in gap):
            return True
    return False


def _ssn_window(text: str, sh: str, run: list[_Token], i: int, j: int,
                free: Callable[[int], bool] = lambda k: True) -> bool:
    """Whether tokens ``i..j`` of ``run`` (nine digits together) are written as, or introduced as, an SSN.
    ``free(k)``: token ``k`` is not part of another number found in the run (a neighbour that is, such as
    the last group of a card before it, is no reason to doubt the SSN)."""
    window = run[i:j + 1]
    digits = "".join(t.digits for t in window)
    if not _ssn.is_valid(digits):
        return False
    if [len(t.digits) for t in window] == [3, 2, 4]:
        gaps = [(window[0].end, window[1].start), (window[1].end, window[2].start)]
        # inside a longer run the SSN's own separator must differ from the ones around it:
        # "123-45-6789-01" is one number, "123 45 6789\n987 65 4321" (two lines of notes) is two
        outer = []
        if i > 0 and free(i - 1):
            outer.append((run[i - 1].end, window[0].start))
        if j + 1 < len(run) and free(j + 1):
            outer.append((window[-1].end, run[j + 1].start))
        same = len({sh[a:b] for a, b in gaps}) == 1  # 123-45 6789 is not written as an SSN
        if same and not {text[a:b] for a, b in gaps} & {text[a:b] for a, b in outer}:
            return True
    return _key_before(sh, window[0].start, _SSN_KEY, 16)


def _cvv_in(sh: str, run: list[_Token], card_context: bool, spans: list[Span]) -> None:
    digits = "".join(t.digits for t in run)
    if not 3 <= len(digits) <= 4:
        return
    window = sh[max(0, run[0].start - 60):run[0].start]
    keys = [m for m in _CVV_KEY.finditer(window)
            if len(window) - m.end() <= 20 and not any(ch.isdigit() for ch in window[m.end():])]
    if not keys:
        return
    # "After a card mention": only when the text talks about a card, unless the key itself says CVV
    if not card_context and keys[-1].group(1)[:2] not in ("cv", "ci"):
        return
    spans.append((run[0].start, run[-1].end, "[CVV]", CVV))


def _mod97(compact: str) -> bool:
    # the ISO 7064 check alone, cheap, before python-stdnum's full validation (country length, format)
    moved = compact[4:] + compact[:4]
    if not moved.isalnum() or not moved.isascii():
        return False
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ibans(sh: str, spans: list[Span]) -> None:
    up = sh.upper() if len(sh.upper()) == len(sh) else sh
    pos = 0
    for s in _IBAN_START.finditer(up):
        if s.start() < pos:
            continue
        m = _IBAN_BODY.match(up, s.start())
        if m is None:
            continue
        candidate = m.group(0)
        # The pattern is greedy and may swallow a following word ("... 32 THANKS"): shrink from the
        # right to the longest prefix that is a valid IBAN.
        for end in range(len(candidate), 13, -1):
            piece = candidate[:end]
            last, nxt = piece[-1], up[s.start() + end:s.start() + end + 1]
            # an IBAN ends before a separator, the end of the text or a change of letters and digits
            if not last.isalnum() or (nxt.isalnum() and nxt.isdigit() == last.isdigit()):
                continue
            compact = _IBAN_SEP.sub("", piece)
            if 15 <= len(compact) <= 34 and _mod97(compact) and _iban.is_valid(compact):
                spans.append((s.start(), s.start() + end, "[IBAN]", IBAN))
                pos = s.start() + end
                break


def redact(text: str) -> Redaction:
    """Replace card numbers, CVVs, SSNs and IBANs in ``text``; see the module docstring."""
    if not text:
        return Redaction(text=text, count=0, kinds=())
    sh = _shadow(text)
    spans: list[Span] = []
    # IBANs first: their digit groups could otherwise look like a card number.
    _ibans(sh, spans)
    taken = [(a, b) for a, b, _m, _k in spans]
    toks = [t for t in _tokens(sh) if not any(a <= t.start < b for a, b in taken)]
    rest: list[list[_Token]] = []
    for run in _runs(sh, toks):
        rest.extend(_numbers_in(text, sh, run, spans))
    card_context = any(k == CARD for *_x, k in spans) or bool(_CARD_WORDS.search(sh))
    for run in rest:
        _cvv_in(sh, run, card_context, spans)
    if not spans:
        return Redaction(text=text, count=0, kinds=())
    spans.sort()
    out: list[str] = []
    pos = 0
    for a, b, marker, _kind in spans:
        out.append(text[pos:a])
        out.append(marker)
        pos = b
    out.append(text[pos:])
    kinds = tuple(dict.fromkeys(k for *_x, k in spans))
    return Redaction(text="".join(out), count=len(spans), kinds=kinds)


def redact_text(text: str) -> str:
    """Just the redacted text (for export and report writers)."""
    return redact(text).text


_PHONE_RE = re.compile(r"(?<![\w+])\+?\d(?:[ \-./()]{0,2}\d){6,14}(?!\w)")


def mask_phone(number: str) -> str:
    """A phone number for a log line: its first two and last two digits, the rest as ``•``."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= 4:
        return "•" * len(digits)
    shown = ("+" if number.lstrip().startswith("+") else "") + "".join(digits[:2])
    return f"{shown}{'•' * (len(digits) - 4)}{''.join(digits[-2:])}"


def redact_log(text: str) -> str:
    """A log message with card numbers, CVVs, SSNs and IBANs redacted and every phone-like number masked."""
    red = redact(text).text
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), _shadow_digits(red))


def _shadow_digits(text: str) -> str:
    # Unicode digits become ASCII so a full-width phone number is masked too (a log line, not user text).
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)
