"""Recogniser-style text: what a speech recogniser writes for a typed sentence.

Lower case, no punctuation, no apostrophes, digits as words, and contractions spelled the way recognisers
write them ("didn't" -> "didnt", "you're" -> "you re"). Used to build the recogniser-style copies of the
evaluation sets and, in reverse, by the checker to read such text (see :func:`restore_contractions`).
"""

from __future__ import annotations

import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for ``0 <= n < 10000``; longer numbers are read digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("" if o == 0 else " " + _ONES[o])
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + ("" if r == 0 else " " + number_words(r))
    if n < 10000 and n % 100 != 0 and n >= 1100:
        hi, lo = divmod(n, 100)  # "4421" -> "forty four twenty one", as card endings are read
        return number_words(hi) + " " + (number_words(lo) if lo >= 10 else "oh " + number_words(lo))
    if n < 10000:
        th, r = divmod(n, 1000)
        return _ONES[th] + " thousand" + ("" if r == 0 else " " + number_words(r))
    return " ".join(_ONES[int(d)] for d in str(n))


_APOS = re.compile(r"[’‘`´]")
_NT = re.compile(r"n't\b", re.I)
_CLITIC = re.compile(r"'(re|ll|ve|m|d|s)\b", re.I)
_NUM = re.compile(r"\d+")


def to_recogniser_style(text: str) -> str:
    """``"You're sure, didn't you?"`` -> ``"you re sure didnt you"``."""
    t = _APOS.sub("'", text)
    t = t.replace("%", " percent ").replace("&", " and ")
    t = _NT.sub("nt", t)
    t = _CLITIC.sub(lambda m: " " + m.group(1), t)
    t = _NUM.sub(lambda m: " " + number_words(int(m.group())) + " ", t)
    t = t.lower()
    t = re.sub(r"[^\w\s]|_", " ", t)
    return re.sub(r"\s+", " ", t).strip()


# Recogniser spellings back to the written contraction, so the tagger sees the tokens it was trained on.
_FUSED_NT = {
    "dont": "don't", "didnt": "didn't", "doesnt": "doesn't", "cant": "can't", "wont": "won't",
    "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "havent": "haven't",
    "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't", "shouldnt": "shouldn't",
    "wouldnt": "wouldn't", "mustnt": "mustn't", "neednt": "needn't", "aint": "ain't",
}
_SPLIT = re.compile(r"\b(i|you|we|they|he|she|it|that|there|what|who|where|here|let)\s+(re|ll|ve|m|d|s)\b",
                    re.I)
_FUSED_PRON = {"im": "I'm", "youre": "you're", "theyre": "they're", "youll": "you'll", "youve": "you've",
               "weve": "we've", "theyve": "they've", "ive": "I've", "itll": "it'll", "thats": "that's",
               "whats": "what's", "theres": "there's", "lets": "let's"}
_WORD = re.compile(r"[A-Za-z]+")


def restore_contractions(text: str) -> str:
    """Undo recogniser spellings of contractions ("didnt" -> "didn't", "you re" -> "you're").

    Keeps the text's length-independent meaning; the checker maps offsets back (see ``checker``)."""
    def fused(m: re.Match[str]) -> str:
        w = m.group()
        low = w.lower()
        rep = _FUSED_NT.get(low) or _FUSED_PRON.get(low)
        if rep is None:
            return w
        return rep if not w[:1].isupper() else rep[:1].upper() + rep[1:]

    t = _SPLIT.sub(lambda m: m.group(1) + "'" + m.group(2), text)
    return _WORD.sub(fused, t)


def restore_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`restore_contractions` plus, for each character of the result (and its end), the offset in
    ``text`` it came from, so flags found on the restored text point into the original."""
    restored = restore_contractions(text)
    if restored == text:
        return text, list(range(len(text) + 1))
    # both strings differ only inside words: align word by word (same number of whitespace-split parts
    # except where "you re" became "you're")
    import difflib

    sm = difflib.SequenceMatcher(a=text, b=restored, autojunk=False)
    pos = [0] * (len(restored) + 1)
    for tag, a0, a1, b0, b1 in sm.get_opcodes():
        for k in range(b1 - b0):
            pos[b0 + k] = a0 + (k if tag == "equal" else min(k, max(0, a1 - a0 - 1)))
    pos[len(restored)] = len(text)
    return restored, pos
