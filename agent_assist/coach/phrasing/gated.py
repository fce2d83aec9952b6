"""A spaCy ``Matcher`` split by trigger word, so a doc only pays for the patterns that can start in it.

The Matcher tries every pattern at every token; with ~120 phrasing patterns that cost more than the
rest of the coach. Most patterns start with a token fixed by word (``LOWER``/``LEMMA``/``ORTH``/``NORM``,
one value or an ``IN`` list): those are grouped by that word set, and a group's matcher runs only when
the doc has one of its words. Patterns that start with a tag, a dependency or an optional token stay in
one ungated matcher. Same results as one Matcher (``tests/coach/test_phrasing_gated.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

WORD_KEYS = ("LOWER", "LEMMA", "ORTH", "TEXT", "NORM")


def triggers(pattern: Sequence[Mapping[str, Any]]) -> frozenset[str] | None:
    """Lower-case words the first token must be (or have as lemma), or ``None`` when not fixed by word."""
    if not pattern:
        return None
    first = pattern[0]
    if "OP" in first and first["OP"] not in ("!", "+", "1"):
        return None
    if first.get("OP") == "!":
        return None
    words: set[str] = set()
    found = False
    for key in WORD_KEYS:
        if key not in first:
            continue
        value = first[key]
        if isinstance(value, str):
            words.add(value.lower())
        elif isinstance(value, Mapping) and set(value) == {"IN"}:
            words.update(str(v).lower() for v in value["IN"])
        else:
            return None
        found = True
        break  # one word key fixes the token; other keys only narrow it further
    return frozenset(words) if found else None


class GatedMatcher:
    def __init__(self, vocab: Vocab, *, validate: bool = True) -> None:
        self.vocab = vocab
        self._validate = validate
        self._ungated = Matcher(vocab, validate=validate)
        self._groups: dict[frozenset[str], Matcher] = {}
        self._by_word: dict[str, list[frozenset[str]]] = {}
        self._where: dict[str, frozenset[str] | None] = {}

    def add(self, key: str, pattern: list[dict[str, Any]]) -> None:
        trig = triggers(pattern)
        self._where[key] = trig
        if trig is None:
            self._ungated.add(key, [pattern])
            return
        if trig not in self._groups:
            self._groups[trig] = Matcher(self.vocab, validate=self._validate)
            for w in trig:
                self._by_word.setdefault(w, []).append(trig)
        self._groups[trig].add(key, [pattern])

    def remove(self, key: str) -> None:
        trig = self._where.pop(key)
        (self._ungated if trig is None else self._groups[trig]).remove(key)

    def __len__(self) -> int:
        return len(self._where)

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = list(self._ungated(doc)) if len(self._ungated) else []
        seen: set[frozenset[str]] = set()
        for t in doc:
            for w in (t.lower_, t.lemma_.lower()):
                for trig in self._by_word.get(w, ()):
                    if trig not in seen:
                        seen.add(trig)
                        out.extend(self._groups[trig](doc))
        return out
