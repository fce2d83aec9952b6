"""Hypothesis strategies for the redaction contract: valid secrets written in every shape people use.

A *secret* is a Luhn-valid card number of a real scheme, a valid IBAN (check digits computed with
python-stdnum, then validated by it) or a valid US SSN. Each is written with any separator (single,
double, non-breaking or thin spaces, ``-``, en dash, ``/``, ``_``, ``.``, line breaks), in ASCII,
full-width, Arabic-Indic or Devanagari digits (mixed per digit), and — cards and SSNs — spoken as words
("four one one …", "oh", "double five"). :func:`leaked` says whether a secret survives in a text by
reading every digit form and digit word back, independently of the redactor.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hypothesis import strategies as st
from stdnum import iban, luhn
from stdnum.us import ssn

CARD_PREFIXES = {  # scheme prefix -> allowed lengths
    "4": (13, 16, 19),
    "51": (16,), "55": (16,), "2221": (16,), "2720": (16,),
    "34": (15,), "37": (15,),
    "6011": (16, 19), "65": (16,),
    "3528": (16,), "36": (14,), "62": (16, 19),
}
# country -> BBAN shape: "n" a digit, "a" an upper-case letter (formats of the IBAN registry)
IBAN_SHAPES = {"DE": "n" * 18, "GB": "aaaa" + "n" * 14, "NL": "aaaa" + "n" * 10, "AT": "n" * 16,
               "CH": "n" * 17, "IE": "aaaa" + "n" * 14, "PL": "n" * 24}

SEPARATORS = [" ", "  ", "\u00a0", "\u2009", "-", " - ", "\u2013", "/", "_", ".", "\n", " \n", ", "]
DIGIT_SCRIPTS = {
    "ascii": "0123456789",
    "fullwidth": "０１２３４５６７８９",
    "arabic_indic": "٠١٢٣٤٥٦٧٨٩",
    "devanagari": "०१२३४५६७८९",
}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
CONTEXT_BEFORE = ["", "card ", "my card number is ", "Paid with: ", "ok so it's ", "the number\n",
                  "IBAN ", "SSN is ", "account: "]
CONTEXT_AFTER = ["", ".", " thanks", ", ok", "\nbye", " and that's it"]


@dataclass(frozen=True)
class Secret:
    kind: str  # card | iban | ssn
    value: str  # canonical: digits (card, ssn) or the compact IBAN

    def must_not_survive(self) -> str:
        """The part that may never be readable after redaction (a card keeps its last four)."""
        if self.kind == "card":
            return self.value[:-4]
        if self.kind == "iban":
            return self.value[4:]  # the account digits
        return self.value


@st.composite
def card_numbers(draw: st.DrawFn) -> Secret:
    prefix = draw(st.sampled_from(sorted(CARD_PREFIXES)))
    length = draw(st.sampled_from(CARD_PREFIXES[prefix]))
    body = prefix + draw(st.text("0123456789", min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))
    return Secret("card", body + luhn.calc_check_digit(body))


@st.composite
def ibans(draw: st.DrawFn) -> Secret:
    cc = draw(st.sampled_from(sorted(IBAN_SHAPES)))
    bban = "".join(draw(st.sampled_from("0123456789" if c == "n" else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                   for c in IBAN_SHAPES[cc])
    number = cc + iban.calc_check_digits(cc + "00" + bban) + bban
    assert iban.is_valid(number), number
    return Secret("iban", number)


@st.composite
def ssns(draw: st.DrawFn) -> Secret:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    number = f"{area:03d}{draw(st.integers(1, 99)):02d}{draw(st.integers(1, 9999)):04d}"
    if not ssn.is_valid(number):
        number = "123456789"
    return Secret("ssn", number)


secrets = st.one_of(card_numbers(), ibans(), ssns())


def _digit_forms(draw: st.DrawFn, digits: str) -> str:
    mode = draw(st.sampled_from([*DIGIT_SCRIPTS, "mixed"]))
    if mode != "mixed":
        return "".join(DIGIT_SCRIPTS[mode][int(d)] for d in digits)
    return "".join(DIGIT_SCRIPTS[draw(st.sampled_from(sorted(DIGIT_SCRIPTS)))][int(d)] for d in digits)


def _groups(draw: st.DrawFn, digits: str, sizes: list[int] | None) -> list[str]:
    if sizes is None:
        sizes = []
        left = len(digits)
        while left > 0:
            n = min(left, draw(st.integers(1, 6)))
            sizes.append(n)
            left -= n
    out, pos = [], 0
    for n in sizes:
        out.append(digits[pos:pos + n])
        pos += n
    return out


def _spoken(draw: st.DrawFn, digits: str) -> str:
    words: list[str] = []
    i = 0
    while i < len(digits):
        d = digits[i]
        if i + 1 < len(digits) and digits[i + 1] == d and draw(st.booleans()):
            words.append(f"double {WORDS[int(d)]}")
            i += 2
            continue
        words.append("oh" if d == "0" and draw(st.booleans()) else WORDS[int(d)])
        i += 1
    sep = draw(st.sampled_from([" ", ", ", "-", "  "]))
    return sep.join(words)


@st.composite
def written(draw: st.DrawFn, secret: Secret) -> str:
    """``secret`` as a person, a form or a speech recogniser might write it."""
    if secret.kind == "iban":
        head, rest = secret.value[:4], secret.value[4:]
        groups = [head, *_groups(draw, rest, [4] * (len(rest) // 4) + ([len(rest) % 4] if len(rest) % 4 else []))]
        if draw(st.booleans()):
            groups = [head, *_groups(draw, rest, None)]
        seps = [draw(st.sampled_from(SEPARATORS[:10])) for _ in groups[1:]]
        text = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=True))
        if draw(st.booleans()):  # full-width letters and digits, as some keyboards type them
            text = "".join(unicodedata.normalize("NFKC", c) if c.isspace() else
                           chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
        return text.lower() if draw(st.booleans()) else text
    if draw(st.integers(0, 4)) == 0:
        return _spoken(draw, secret.value)
    if secret.kind == "ssn":
        sep = draw(st.sampled_from(SEPARATORS))
        a, b, c = secret.value[:3], secret.value[3:5], secret.value[5:]
        return sep.join(_digit_forms(draw, g) for g in (a, b, c))
    standard = [4] * (len(secret.value) // 4) + ([len(secret.value) % 4] if len(secret.value) % 4 else [])
    groups = _groups(draw, secret.value, draw(st.sampled_from([standard, None])))
    seps = [draw(st.sampled_from(SEPARATORS)) for _ in groups[1:]]
    forms = [_digit_forms(draw, g) for g in groups]
    return forms[0] + "".join(s + g for s, g in zip(seps, forms[1:], strict=True))


@st.composite
def sentences(draw: st.DrawFn) -> tuple[Secret, str]:
    """(secret, a sentence that contains it)."""
    secret = draw(secrets)
    before = draw(st.sampled_from(CONTEXT_BEFORE))
    text = draw(written(secret))
    if secret.kind == "ssn" and not text[:1].isdigit() and not text[:1].isnumeric():
        # nine spoken digits are an SSN only where the text says so (otherwise: any nine digits)
        before = draw(st.sampled_from(["SSN is ", "my social security number: ", "ssn "]))
    return secret, before + text + draw(st.sampled_from(CONTEXT_AFTER))


_PIECE_RE = re.compile(r"\d|\b(?:double\s+)?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b", re.I)


def _piece_digits(piece: str) -> str:
    if len(piece) == 1:
        return piece
    words = piece.lower().split()
    d = "0" if words[-1] == "oh" else str(WORDS.index(words[-1]))
    return d * 2 if len(words) == 2 else d


def readable_numbers(text: str) -> list[str]:
    """Every number a reader could get back from ``text``: digits of any script and digit words, read
    as one number while only a few non-alphanumeric characters stand between them."""
    norm = "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c
                   for c in unicodedata.normalize("NFKC", text))
    numbers: list[str] = []
    cur, end = "", -1
    for m in _PIECE_RE.finditer(norm):
        gap = norm[end:m.start()] if end >= 0 else None
        if gap is not None and len(gap) <= 4 and not any(c.isalnum() for c in gap):
            cur += _piece_digits(m.group(0))
        else:
            if cur:
                numbers.append(cur)
            cur = _piece_digits(m.group(0))
        end = m.end()
    if cur:
        numbers.append(cur)
    return numbers


def readable_digits(text: str) -> str:
    return " ".join(readable_numbers(text))


def leaked(secret: Secret, text: str) -> bool:
    needle = secret.must_not_survive()
    if any(needle in n for n in readable_numbers(text)):
        return True
    if secret.kind == "iban":
        compact = re.sub(r"[^0-9A-Z]+", "", unicodedata.normalize("NFKC", text).upper())
        return secret.value[4:].upper() in compact and not secret.value[4:].isdigit()
    return False
