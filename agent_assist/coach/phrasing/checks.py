"""Checks: a matcher pattern finds a candidate, a named check confirms it on the parse."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

from agent_assist.coach.phrasing import checks_more
from agent_assist.coach.phrasing.model import Hit
from agent_assist.coach.phrasing.parse import (
    WH_TAGS,
    _auxes,
    _has_modal,
    _has_neg,
    _inverted_aux,
    _is_future,
    _is_question_clause,
    _is_you,
    _lemma,
    _past,
    _subject,
    _tag_start,
)

if TYPE_CHECKING:
    from agent_assist.coach.phrasing.component import PhrasingCoach


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
    if verb.lemma_ == "have" and verb.tag_ in {"VBD", "VBN"}:
        return None  # "I'm sorry you had to wait": sympathy about the past, not an order
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
    **checks_more.MORE_CHECKS,
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


