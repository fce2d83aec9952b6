"""Rewrite builders: (coach, sentence, hit) -> whole-sentence rewrite or None (then the tip is shown)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

from agent_assist.coach.phrasing.model import Hit
from agent_assist.coach.phrasing.parse import (
    _auxes,
    _clean_tail,
    _fill,
    _has_neg,
    _is_you,
    _lemma,
    _past,
    _sentence_text,
    _subject,
    _tag_start,
    _vp,
    _words,
)

if TYPE_CHECKING:
    from agent_assist.coach.phrasing.component import PhrasingCoach


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
    if _lemma(verb) in {"agree", "admit"}:
        return None  # "Will you agree…?" is still leading: show the tip
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

