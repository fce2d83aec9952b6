"""Checks for the families added with the sourced evaluation set: questions recognised without "?",
double-barrelled questions, refusals without an alternative, blame put on a third party, outcome deadlines
and absolute claims. Each takes the matched span and confirms it on the parse, or returns ``None``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

from agent_assist.coach.phrasing.model import Hit
from agent_assist.coach.phrasing.parse import WH_TAGS, _inverted_aux, _is_future, _subject

if TYPE_CHECKING:
    from agent_assist.coach.phrasing.component import PhrasingCoach

QUESTION_OPENERS = {"do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "can", "could",
                    "would", "will", "should", "shall", "may", "might", "how", "what", "why", "when",
                    "where", "which", "who", "whose", "whom", "am", "isn't", "aren't", "don't", "didn't",
                    "wouldn't", "won't", "haven't", "hasn't", "doesn't", "wasn't", "weren't", "couldn't"}


def is_question(sent: Span) -> bool:
    """A question by its words and parse, with or without "?": the root clause (or a clause after a
    comma) opens with an auxiliary or WH word, or the subject-aux order is inverted."""
    if sent.text.rstrip().rstrip("\"')]»”").endswith("?"):
        return True
    root = sent.root
    if _inverted_aux(root) is not None:
        return True
    words = [t for t in sent if not (t.is_punct or t.is_space)]
    starts = [0] + [i + 1 for i, t in enumerate(words[:-1]) if t.nbor(1).is_punct or t.lower_ in {"so"}]
    for s in starts[:4]:
        if s >= len(words) - 1 or words[s].lower_ not in QUESTION_OPENERS:
            continue
        w, nxt = words[s], words[s + 1]
        after = words[s + 2] if s + 2 < len(words) else None
        if w.tag_ in WH_TAGS:
            # a WH word opens a question at the start, or after a comma when an inverted aux follows
            # ("…, what do you think"), not a relative clause ("the team, who can look at it")
            if s == 0 or (nxt.pos_ == "AUX" and after is not None and after.pos_ in {"PRON", "PROPN"}):
                return True
        elif (w.pos_ == "AUX" or w.tag_ == "MD") and nxt.pos_ in {"PRON", "PROPN", "DET", "NOUN"} and (
                s == 0 or after is not None):
            return True
    return False


def check_question(coach: PhrasingCoach, span: Span) -> Hit | None:
    return Hit(list(span)) if is_question(span.sent) else None


def check_statement(coach: PhrasingCoach, span: Span) -> Hit | None:
    return None if is_question(span.sent) else Hit(list(span))


def _is_request(sent: Span) -> bool:
    words = [t.lower_ for t in sent if not t.is_punct][:3]
    return len(words) >= 2 and words[0] in {"could", "can", "may", "would"} and words[1] == "you" and (
        len(words) < 3 or words[2] not in {"like", "prefer", "say", "agree"})


def check_double_barrel(coach: PhrasingCoach, span: Span) -> Hit | None:
    """"Was the engineer on time and polite?": a yes/no or rating question joining two things to judge."""
    cc = span[0]
    sent = cc.sent
    if not is_question(sent) or _is_request(sent) or any(t.lower_ == "or" for t in sent):
        return None
    first = cc.head
    conj = [c for c in first.children if c.dep_ == "conj" and c.i > cc.i]
    if not conj:
        return None
    second = conj[0]
    if first.pos_ == "NUM" or second.pos_ == "NUM":
        return None
    evaluative = first.pos_ in {"ADJ", "ADV"} or second.pos_ in {"ADJ"} or (
        first.pos_ == "NOUN" and any(t.lemma_ in coach.w("rating_words") for t in sent))
    if first.pos_ == "VERB" and second.pos_ == "VERB":
        evaluative = True
    if first.pos_ in {"NOUN", "PROPN"} and second.pos_ in {"NOUN", "PROPN"} and not evaluative:
        evaluative = any(t.lemma_ in {"like", "want"} for t in sent)
    if not evaluative:
        return None
    return Hit([first, cc, second])


def check_refusal(coach: PhrasingCoach, span: Span) -> Hit | None:
    """A refusal or dead end with no alternative offered in the same sentence."""
    sent = span.sent
    low = {t.lower_ for t in sent}
    if low & coach.w("alternative_markers"):
        return None
    for t in sent:
        if t.i < span.start:
            continue
        if t.lower_ in {"'ll", "ll", "will", "can"} and t.i > span.end and not any(
                c.dep_ == "neg" for c in t.head.children):
            subj = _subject(t.head)
            if subj is not None and subj.lower_ in {"i", "we"}:
                return None  # "…, so I'll check with the warehouse": an alternative follows
    return Hit(list(span))


def _third_party(coach: PhrasingCoach, tok: Token | None) -> bool:
    if tok is None:
        return False
    words = {tok.lower_, tok.lemma_} | {c.lower_ for c in tok.children if c.dep_ in {"compound", "amod"}}
    return bool(words & coach.w("third_parties"))


def check_third_party_blame(coach: PhrasingCoach, span: Span) -> Hit | None:
    """Blame put on the system, a supplier or another team: "Our shipping people messed up"."""
    cue = span[0]
    verb = cue if cue.pos_ in {"VERB", "AUX"} else cue.head
    for v in (verb, verb.head):
        subj = _subject(v)
        if _third_party(coach, subj):
            return Hit([subj, cue] if subj is not None else [cue])
    return None


def check_outcome_deadline(coach: PhrasingCoach, span: Span) -> Hit | None:
    """An outcome the agent does not control stated as certain by a deadline: "It'll be fixed in an hour"."""
    sent = span.sent
    low = {t.lower_ for t in sent}
    if low & coach.w("hedges"):
        return None
    if not any(t.lower_ in coach.w("deadline_words") or t.like_num for t in sent):
        return None
    for v in sent:
        if v.pos_ not in {"VERB", "AUX"} or not _is_future(coach, v):
            continue
        subj = _subject(v)
        if subj is not None and subj.lower_ in {"i", "we"}:
            continue  # "I'll call you by Thursday": the agent's own action
        if any(c.dep_ == "xcomp" for c in v.children) and v.lemma_ in {"have", "need"}:
            continue  # "you'll have to call back tomorrow": an obligation, not a promise
        outcome = v.lemma_ in coach.w("outcome_verbs") or any(
            c.lower_ in coach.w("outcome_verbs") for c in v.children)
        if outcome:
            return Hit([v, *[t for t in sent if t.lower_ in coach.w("deadline_words")][:1]])
    return None


def check_absolute_claim(coach: PhrasingCoach, span: Span) -> Hit | None:
    """"We always deliver on time", "Our engineers never make mistakes": a claim with no exceptions."""
    adv = span[0]
    verb = adv.head
    if verb.lemma_ not in coach.w("outcome_verbs") and verb.lemma_ not in {"make", "wait", "go"}:
        return None
    subj = _subject(verb)
    if subj is None or subj.lower_ in {"i"}:
        return None
    if subj.lower_ == "you" and not _is_future(coach, verb):
        return None  # "you can always call us back"
    return Hit([subj, adv, verb])


def _content(sent: Span) -> list[Token]:
    return [t for t in sent if not (t.is_punct or t.is_space)]


def check_question_praise(coach: PhrasingCoach, span: Span) -> Hit | None:
    adj = span[0]
    if not is_question(span.sent) or adj.dep_ not in {"amod", "compound", "advmod"}:
        return None
    return Hit([adj, span[-1]])


def check_still_habit(coach: PhrasingCoach, span: Span) -> Hit | None:
    verb = span[-1]
    if not is_question(span.sent) or verb.lemma_ in coach.w("stative_verbs") | {"work", "get", "need"}:
        return None
    subj = _subject(verb)
    if subj is None or subj.lower_ not in coach.w("second_person"):
        return None
    return Hit([span[0], verb])


def check_blame_statement(coach: PhrasingCoach, span: Span) -> Hit | None:
    if is_question(span.sent):
        return None
    if span[0].i == span.sent.start or span[0].lower_ in coach.w("second_person"):
        words = {t.lower_ for t in span.sent}
        if words & {"thanks", "thank", "great", "right", "glad", "mentioned"}:
            return None
    return Hit(list(span))


def check_minimising(coach: PhrasingCoach, span: Span) -> Hit | None:
    words = {t.lower_ for t in span.sent}
    if not words & {"only", "just", "nothing", "not", "n't", "very", "really"}:
        return None
    return Hit(list(span))


def check_bare_phrase(coach: PhrasingCoach, span: Span) -> Hit | None:
    rest = [t for t in _content(span.sent) if t.i < span.start or t.i >= span.end]
    if any(t.lower_ not in coach.w("discourse") - {"no"} for t in rest):
        return None
    return Hit(list(span))


def check_excuse(coach: PhrasingCoach, span: Span) -> Hit | None:
    subj = _subject(span[0].head) or _subject(span[0])
    if subj is None or subj.lower_ not in {"we", "i", "they"}:
        return None
    return Hit(list(span))


def _has_future(coach: PhrasingCoach, sent: Span) -> bool:
    return any(v.pos_ in {"VERB", "AUX"} and _is_future(coach, v) for v in sent)


def check_outcome_or_time(coach: PhrasingCoach, span: Span) -> Hit | None:
    return Hit(list(span)) if _has_future(coach, span.sent) else None


def check_future_or_claim(coach: PhrasingCoach, span: Span) -> Hit | None:
    sent = span.sent
    if is_question(sent) or {t.lower_ for t in sent} & coach.w("hedges"):
        return None
    if _has_future(coach, sent) or any(t.lower_ in {"always", "never", "every"} for t in sent):
        return Hit(list(span))
    return None


MORE_CHECKS = {
    "question": check_question,
    "statement": check_statement,
    "question_after_comma": check_question,
    "question_charged": check_question,
    "question_praise": check_question_praise,
    "double_barrel": check_double_barrel,
    "refusal": check_refusal,
    "third_party_blame": check_third_party_blame,
    "outcome_deadline": check_outcome_deadline,
    "absolute_claim": check_absolute_claim,
    "still_habit": check_still_habit,
    "blame_statement": check_blame_statement,
    "minimising": check_minimising,
    "bare_phrase": check_bare_phrase,
    "excuse": check_excuse,
    "outcome_or_time": check_outcome_or_time,
    "future_or_claim": check_future_or_claim,
}


def check_unnegated(coach: PhrasingCoach, span: Span) -> Hit | None:
    """The phrase, unless negated just before ("it's *not* your fault")."""
    if span.start > 0 and span.doc[span.start - 1].lower_ in {"not", "n't", "never", "no"}:
        return None
    return Hit(list(span))


MORE_CHECKS["unnegated"] = check_unnegated

# checks that never confirm a statement: their patterns run only on docs with a question (component.py)
QUESTION_CHECKS = frozenset({"question", "question_after_comma", "question_charged", "question_praise",
                             "still_habit", "double_barrel"})
