"""Phrasing coach: flag leading, loaded, negative (blaming) questions, negative language and over-promises.

Written like spaCy's ``SpanRuler``: ``phrasing_coach`` is a registered pipeline component whose patterns
(spaCy ``Matcher`` token patterns), word lists and rewrite templates are data in ``resources/phrasing/``,
loaded by :meth:`PhrasingCoach.initialize` / :meth:`PhrasingCoach.add_patterns`. A pattern only finds a
candidate; a named *check* then confirms it on the dependency parse (interrogative clause from subject-aux
inversion or a main-clause WH word, second-person subject, tense, modality), so lower-case, unpunctuated
speech-recognition text works and "right"/"always"/"why" in neutral use pass. Each flag carries a rewrite of
the whole sentence built from the parse where one is safe, otherwise a short tip.

``PhrasingChecker(nlp).check(text)`` is the public entry point: it chunks long text so any paste runs in
bounded time and never raises on odd input.
"""

from agent_assist.coach.phrasing.checker import PhrasingChecker, chunks
from agent_assist.coach.phrasing.component import PhrasingCoach, make_phrasing_coach
from agent_assist.coach.phrasing.model import (
    CATEGORIES,
    CATEGORY_NAMES,
    CHUNK_CHARS,
    EXCLUDE,
    MODEL_NAMES,
    PIPE_NAME,
    RESOURCE_DIR,
    Flag,
    Hit,
    ModelMissing,
    Rule,
    add_coach,
    default_checker,
    load_nlp,
)
from agent_assist.coach.phrasing.parse import gerund

__all__ = [
    "CATEGORIES", "CATEGORY_NAMES", "CHUNK_CHARS", "EXCLUDE", "MODEL_NAMES", "PIPE_NAME", "RESOURCE_DIR",
    "Flag", "Hit", "ModelMissing", "PhrasingChecker", "PhrasingCoach", "Rule", "add_coach", "chunks",
    "default_checker", "gerund", "load_nlp", "make_phrasing_coach",
]
