"""Parse helpers shared by the checks and the rewrite builders."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

if TYPE_CHECKING:
    from agent_assist.coach.phrasing.component import PhrasingCoach


# --------------------------------------------------------------------------------------------------------
# parse helpers

WH_TAGS = {"WDT", "WP", "WP$", "WRB"}
SUBJ_DEPS = {"nsubj", "nsubjpass", "expl", "csubj"}
AUX_DEPS = {"aux", "auxpass"}
CLAUSE_DEPS = {"advcl", "ccomp", "csubj", "relcl", "acl", "pcomp", "xcomp", "conj", "parataxis"}


def _subject(verb: Token) -> Token | None:
    """The verb's subject; of two (run-on speech: "thanks for calling didn't you read…", "hello there
    did you…"), the one nearest before the verb, else the first after it."""
    cands = [c for c in verb.children if c.dep_ in SUBJ_DEPS]
    if len(cands) <= 1:
        return cands[0] if cands else None
    before = [c for c in cands if c.i < verb.i]
    return max(before, key=lambda c: c.i) if before else cands[0]


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
    from agent_assist.coach.phrasing.checks_more import is_question

    return verb.dep_ == "ROOT" and is_question(verb.sent)


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

