"""The phrasing coach on the real spaCy model: the issue's examples, neutral look-alikes, ASR-style text,
spans, rewrites, odd input and the evaluation thresholds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_assist.coach.phrasing import (
    CATEGORIES,
    Flag,
    ModelMissing,
    PhrasingChecker,
    chunks,
    default_checker,
    gerund,
    load_nlp,
)

EVAL = Path(__file__).resolve().parents[1] / "data" / "phrasing_eval.jsonl"


@pytest.fixture(scope="session")
def checker() -> PhrasingChecker:
    return default_checker()


def one(checker: PhrasingChecker, text: str) -> Flag:
    flags = checker.check(text)
    assert len(flags) == 1, (text, flags)
    return flags[0]


@pytest.mark.parametrize(("text", "category", "span", "suggestion"), [
    ("Didn't you read the setup guide?", "blaming", "Didn't you read",
     "Have you had a chance to read the setup guide?"),
    ("Why did you cancel the order?", "blaming", "Why did you cancel", "What led to cancelling the order?"),
    ("You did restart it, right?", "leading", "right", "Did you restart it?"),
    ("Wouldn't you agree the new plan is better?", "leading", "Wouldn't you agree",
     "What do you think about the new plan?"),
    ("Why do you always call at the last minute?", "loaded", "always call", None),
    ("How many times do we have to go over this?", "loaded", "How many times do we have",
     "Let me go over this once more."),
    ("You have to fill in the form first.", "negative_language", "You have to fill",
     "Could you please fill in the form first?"),
    ("That's not my department.", "negative_language", "not my department",
     "Let me find the right person to help you with that."),
    ("I guarantee it will never happen again.", "over_promise", "never happen again",
     "I'll do everything I can to keep this from happening again."),
    ("It'll definitely be fixed by tomorrow.", "over_promise", "definitely",
     "It should be fixed by tomorrow — I'll keep you updated."),
])
def test_issue_examples(checker: PhrasingChecker, text: str, category: str, span: str,
                        suggestion: str | None) -> None:
    f = one(checker, text)
    assert f.category == category
    assert text[f.start:f.end] == span == f.text
    assert f.reason and "\n" not in f.reason
    if suggestion is None:
        assert f.suggestion and not f.is_rewrite
    else:
        assert f.suggestion == suggestion and f.is_rewrite
    assert (f.sent_start, f.sent_end) == (0, len(text))
    assert set(f.to_dict()) == {"category", "start", "end", "reason", "suggestion"}


@pytest.mark.parametrize("text", [
    "What happened when you restarted it?",
    "Could you tell me the order number?",
    "I'm not able to see the order yet — could you read me the number?",
    "i'm not able to see the order yet could you read me the number",
    "May I ask why the payment was declined?",
    "Why don't we try resetting it together?",
    "why is the light blinking",
    "You're right, that was our mistake.",
    "Turn right at the main entrance.",
    "Is that right?",
    "Your delivery address is 12 Main Street, right?",
    "You can always call us back on this number.",
    "Our support line is always open.",
    "Could you say that again?",
    "How many times did the light blink?",
    "Definitely, I can help with that.",
    "I promised to call you back, so here I am.",
    "The warranty guarantees a free repair for two years.",
    "It should be fixed by tomorrow; I'll keep you updated.",
    "Stop by any store and they can swap it for you.",
    "It's not your fault, the update caused it.",
    "Don't worry, we'll sort this out together.",
])
def test_neutral_not_flagged(checker: PhrasingChecker, text: str) -> None:
    assert checker.check(text) == []


@pytest.mark.parametrize(("text", "category", "suggestion"), [
    ("didnt you read the setup guide", "blaming", "Have you had a chance to read the setup guide?"),
    ("why did you cancel the order", "blaming", "What led to cancelling the order?"),
    ("you did restart it right", "leading", "Did you restart it?"),
    ("wouldnt you agree the new plan is better", "leading", "What do you think about the new plan?"),
    ("why do you always call at the last minute", "loaded", None),
    ("how many times do we have to go over this", "loaded", "Let me go over this once more."),
    ("you have to fill in the form first", "negative_language", "Could you please fill in the form first?"),
    ("thats not my department", "negative_language", None),
    ("i guarantee it will never happen again", "over_promise", None),
    ("itll definitely be fixed by tomorrow", "over_promise", None),
])
def test_asr_style_lowercase_unpunctuated(checker: PhrasingChecker, text: str, category: str,
                                          suggestion: str | None) -> None:
    f = one(checker, text)
    assert f.category == category
    if suggestion is not None:
        assert f.suggestion == suggestion


def test_spans_point_into_longer_text(checker: PhrasingChecker) -> None:
    text = "Thanks for holding.   Why did you cancel the order? Let me check. You did restart it, right?"
    flags = checker.check(text)
    assert [f.category for f in flags] == ["blaming", "leading"]
    assert text[flags[0].start:flags[0].end] == "Why did you cancel"
    assert text[flags[0].sent_start:flags[0].sent_end] == "Why did you cancel the order?"
    assert text[flags[1].sent_start:flags[1].sent_end] == "You did restart it, right?"


def test_check_many_keeps_order_and_matches_check(checker: PhrasingChecker) -> None:
    texts = ["How can I help you today?", "Didn't you get the email?", "", "That's not my job."]
    many = checker.check_many(texts)
    assert many == [checker.check(t) for t in texts]
    assert [bool(f) for f in many] == [False, True, False, True]


def test_long_paste_is_chunked_with_correct_offsets(checker: PhrasingChecker) -> None:
    unit = "Thank you for calling, let me look at the account for you. Didn't you read the setup guide? "
    text = unit * (100_000 // len(unit) + 1)
    text = text[:100_000]
    t0 = time.perf_counter()
    flags = checker.check(text)
    assert time.perf_counter() - t0 < 60
    assert len(flags) >= 1000
    assert all(text[f.start:f.end] == "Didn't you read" for f in flags)


def test_chunks_cover_text_exactly() -> None:
    text = ("word " * 50 + ". ") * 200 + "x" * 5000
    parts = chunks(text, 700)
    assert "".join(p for _o, p in parts) == text
    assert all(len(p) <= 700 for _o, p in parts)
    assert all(text[o:o + len(p)] == p for o, p in parts)


@pytest.mark.parametrize("text", ["", "   \n\t ", "🙂🙂🙂 👍", "这是什么问题？", "\x00\x01\x1b[31m\x7f",
                                  "\ud800 broken surrogate", "?" * 500, "didn't" * 300])
def test_odd_input_never_raises(checker: PhrasingChecker, text: str) -> None:
    flags = checker.check(text)
    assert all(0 <= f.start < f.end <= len(text) for f in flags)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_any_text_no_exception_bounded_time(checker: PhrasingChecker, text: str) -> None:
    t0 = time.perf_counter()
    flags = checker.check(text)
    assert time.perf_counter() - t0 < 5
    for f in flags:
        assert f.category in CATEGORIES
        assert 0 <= f.start < f.end <= len(text)
        assert f.sent_start <= f.start and f.end <= f.sent_end
        assert f.suggestion and f.reason


def test_gerund_forms(checker: PhrasingChecker) -> None:
    coach = checker.coach
    assert [gerund(coach, v) for v in ("cancel", "make", "stop", "wait", "die", "see", "unplug", "buy")] == [
        "cancelling", "making", "stopping", "waiting", "dying", "seeing", "unplugging", "buying"]


def test_component_registered_and_sets_extension(checker: PhrasingChecker) -> None:
    nlp = checker.nlp
    assert "phrasing_coach" in nlp.pipe_names
    assert "ner" not in nlp.pipe_names
    doc = nlp("Why did you cancel the order?")
    assert [f.category for f in doc._.phrasing_flags] == ["blaming"]


def test_patterns_come_from_data(checker: PhrasingChecker) -> None:
    coach = checker.coach
    assert "negated_question" in coach.rules and coach.templates["chance_to"].startswith("Have you")
    custom = PhrasingChecker(checker.nlp)  # same pipeline, same component
    assert custom.coach is coach
    with pytest.raises(ValueError, match="unknown label"):
        coach.add_patterns([{"id": "bad", "label": "rude", "pattern": [{"LOWER": "x"}], "reason": "r"}])


def test_missing_model_clear_message() -> None:
    with pytest.raises(ModelMissing, match="No English spaCy model found"):
        load_nlp(["no_such_model_xyz"])


def test_eval_thresholds(checker: PhrasingChecker) -> None:
    rows = [json.loads(x) for x in EVAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(rows) >= 250
    assert sum(r["label"] == "neutral" for r in rows) / len(rows) >= 0.40
    preds = checker.check_many([r["text"] for r in rows])
    tp = sum(r["label"] != "neutral" and bool(p) for r, p in zip(rows, preds, strict=True))
    fp = sum(r["label"] == "neutral" and bool(p) for r, p in zip(rows, preds, strict=True))
    fn = sum(r["label"] != "neutral" and not p for r, p in zip(rows, preds, strict=True))
    f1 = 2 * tp / (2 * tp + fp + fn)
    neutral = sum(r["label"] == "neutral" for r in rows)
    assert f1 >= 0.90
    assert fp / neutral <= 0.05
