"""The checker: chunked, never-raising ``check(text)`` over a loaded pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from spacy.language import Language

from agent_assist.coach.phrasing.asr import restore_with_offsets
from agent_assist.coach.phrasing.model import CHUNK_CHARS, Flag, add_coach

# --------------------------------------------------------------------------------------------------------
# the checker


_BOUNDARY = re.compile(r"(?<=[.!?\n…])\s+|\n")


def chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Split ``text`` into ``(offset, piece)`` chunks of at most ``size`` characters, at sentence ends
    where possible, else at whitespace, else hard — so the parser never sees a huge document."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            window = text[start:end]
            cut = -1
            for m in _BOUNDARY.finditer(window):
                if m.end() > size // 4:
                    cut = m.end()
            if cut <= 0:
                ws = max(window.rfind(" "), window.rfind("\t"))
                cut = ws + 1 if ws > size // 4 else len(window)
            end = start + cut
        out.append((start, text[start:end]))
        start = end
    return out


def _safe(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        text = str(text)
    # lone surrogates (from bad decoding) break spaCy's hashing; replace them, keeping length and offsets
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if any(
        "\ud800" <= c <= "\udfff" for c in text) else text


class PhrasingChecker:
    """Check agent text with a loaded pipeline: ``check(text)`` / ``check_many(texts)``."""

    def __init__(self, nlp: Language, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.coach = add_coach(nlp)
        self.batch_size = batch_size

    def check(self, text: str) -> list[Flag]:
        return self.check_many([text])[0]

    def check_many(self, texts: Iterable[str]) -> list[list[Flag]]:
        """Flags for each text, in order. Long texts are parsed in chunks; results carry whole-text offsets."""
        items = [_safe(t) for t in texts]
        pieces: list[tuple[int, int, str]] = []
        for k, t in enumerate(items):
            if not t.strip():
                continue
            for off, piece in chunks(t):
                if piece.strip():
                    pieces.append((k, off, piece))
        results: list[list[Flag]] = [[] for _ in items]
        # recogniser spellings ("didnt", "you re") are restored before parsing; offsets map back
        restored = [restore_with_offsets(_uncapped(p)) for _k, _o, p in pieces]
        docs = self.nlp.pipe((r for r, _pos in restored), batch_size=self.batch_size)
        for (k, off, piece), (_r, pos), doc in zip(pieces, restored, docs, strict=True):
            for f in doc._.phrasing_flags or []:
                f = _map_back(f, pos, piece)
                results[k].append(f.shifted(off) if off else f)
        return results


def _uncapped(text: str) -> str:
    """Shouted text ("WHY DIDN'T YOU…") in lower case, which the tagger reads far better; same length,
    so offsets stay."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 8 or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return text
    low = text.lower()
    return low if len(low) == len(text) else text


def _map_back(f: Flag, pos: list[int], original: str) -> Flag:
    if len(pos) == len(original) + 1 and pos[-1] == len(original) and all(
            pos[i] == i for i in (f.start, f.end, f.sent_start, f.sent_end)):
        text = original[f.start:f.end]
        return f if text == f.text else replace(f, text=text)

    def end(i: int) -> int:
        return pos[i - 1] + 1 if i > 0 else 0

    start, stop = pos[f.start], end(f.end)
    return replace(f, start=start, end=stop, text=original[start:stop], sent_start=pos[f.sent_start],
                   sent_end=end(f.sent_end))


def not_text_reason(text: object) -> str | None:
    """Why ``text`` can't be checked as agent wording (binary data, mostly control characters), else None."""
    if isinstance(text, bytes):
        if b"\x00" in text[:4096]:
            return "This looks like binary data, not text: nothing was checked."
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        return None
    sample = text[:4096]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t") or c == "\ufffd")
    if bad > max(8, len(sample) // 10):
        return "This looks like binary data, not text: nothing was checked."
    return None

