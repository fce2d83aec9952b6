"""The ``phrasing_coach`` spaCy component (written like spaCy's ``SpanRuler``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from agent_assist import resources
from agent_assist.coach.phrasing.checks import CHECKS
from agent_assist.coach.phrasing.checks_more import QUESTION_CHECKS, is_question
from agent_assist.coach.phrasing.gated import GatedMatcher
from agent_assist.coach.phrasing.learned import SentenceClassifier
from agent_assist.coach.phrasing.model import CATEGORIES, PIPE_NAME, RESOURCE_DIR, Flag, Hit, Rule
from agent_assist.coach.phrasing.rewrites import BUILDERS

# --------------------------------------------------------------------------------------------------------
# the component


@Language.factory(
    PIPE_NAME,
    assigns=["doc._.phrasing_flags"],
    requires=["token.dep", "token.tag", "token.lemma", "token.morph"],
    default_config={"resource_dir": RESOURCE_DIR, "use_learned": True},
)
def make_phrasing_coach(nlp: Language, name: str, resource_dir: str, use_learned: bool) -> PhrasingCoach:
    return PhrasingCoach(nlp, name, resource_dir=resource_dir, use_learned=use_learned)


class PhrasingCoach:
    """Pipeline component setting ``doc._.phrasing_flags`` (a list of :class:`Flag`, at most one per
    sentence: the rule with the highest priority)."""

    def __init__(self, nlp: Language, name: str = PIPE_NAME, *, resource_dir: str = RESOURCE_DIR,
                 use_learned: bool = True) -> None:
        self.name = name
        # sentences no pattern flags go to the small trained classifier (learned.py)
        self.learned: SentenceClassifier | None = SentenceClassifier() if use_learned else None
        self.vocab = nlp.vocab
        self.resource_dir = resource_dir
        self.matcher = GatedMatcher(nlp.vocab, validate=True)
        # patterns whose check only confirms questions run only on docs that contain a question: the
        # matcher's cost grows with the number of patterns, and most utterances are statements
        self.q_matcher = GatedMatcher(nlp.vocab, validate=True)
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
        if self.learned is not None:
            # load the classifier now (with the pipeline, on the loading thread), not in the first check:
            # a first check that loads a model holds the GIL long enough to stall the GUI thread
            _ = self.learned.nlp
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
            (self.q_matcher if rule.check in QUESTION_CHECKS else self.matcher).add(rule.id, list(p["pattern"]))

    def clear(self) -> None:
        for rid in list(self.rules):
            (self.q_matcher if self.rules[rid].check in QUESTION_CHECKS else self.matcher).remove(rid)
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
        matches = list(self.matcher(doc))
        if any(is_question(s) for s in doc.sents):
            matches += self.q_matcher(doc)
        for match_id, start, end in matches:
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
                text=doc.text[start:end], sent_start=_rewrite_start(sent, toks, rewrite),
                sent_end=_sent_end_char(sent), is_rewrite=rewrite is not None, rule=rule.id,
            )
            best[sent.start] = (priority, flag)
        if self.learned is not None:
            rest = [s for s in doc.sents if s.start not in best and any(not t.is_punct for t in s)]
            for sent, verdict in zip(rest, self.learned.classify(rest), strict=True):
                if verdict is None:
                    continue
                start = verdict.tokens[0].idx
                end = verdict.tokens[-1].idx + len(verdict.tokens[-1].text)
                best[sent.start] = (0, Flag(
                    category=verdict.category, start=start, end=end, reason=verdict.reason,
                    suggestion=verdict.tip, text=doc.text[start:end], sent_start=sent.start_char,
                    sent_end=_sent_end_char(sent), is_rewrite=False, rule="learned"))
        return [f for _p, f in sorted(best.values(), key=lambda pf: pf[1].start)]


def _rewrite_start(sent: Span, toks: list[Token], rewrite: str | None) -> int:
    """Where the text a rewrite replaces starts: the sentence start, or — when the rewrite begins at the
    question itself and leaves out words before it ("thanks for calling didn't you read…") — the
    question's first word, so Apply keeps those words."""
    first = min(toks, key=lambda t: t.i)
    if rewrite is None or first.i == sent.start:
        return sent.start_char
    lead = [t for t in sent if t.i < first.i and not (t.is_punct or t.is_space)]
    opener = first.pos_ == "AUX" or first.tag_ in {"MD", "WRB", "WP", "WDT"}
    if lead and opener and not rewrite.lower().startswith(lead[0].lower_):
        return first.idx
    return sent.start_char


def _sent_end_char(sent: Span) -> int:
    toks = [t for t in sent if not t.is_space]
    return toks[-1].idx + len(toks[-1].text) if toks else sent.end_char

