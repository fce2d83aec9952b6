"""Parts of the phrasing coach: recogniser-style text, the gated matcher, the learned classifier,
question detection without '?', categories in the agent's terms, odd input."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from spacy.matcher import Matcher

from agent_assist import resources
from agent_assist.coach import flags as vocab
from agent_assist.coach.phrasing import PIPE_NAME, PhrasingChecker, default_checker
from agent_assist.coach.phrasing.asr import (
    restore_contractions,
    restore_with_offsets,
    to_recogniser_style,
)
from agent_assist.coach.phrasing.checker import not_text_reason
from agent_assist.coach.phrasing.checks_more import is_question
from agent_assist.coach.phrasing.gated import GatedMatcher, triggers

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def checker() -> PhrasingChecker:
    return default_checker()


@pytest.mark.parametrize(("text", "asr"), [
    ("You're sure, didn't you?", "you re sure didnt you"),
    ("I'll call at 9 o'clock.", "i ll call at nine o clock"),
    ("It's 100% guaranteed!", "it s one hundred percent guaranteed"),
    ("The card ends in 4421, correct?", "the card ends in forty four twenty one correct"),
    ("We can’t — sorry.", "we cant sorry"),
])
def test_recogniser_style(text: str, asr: str) -> None:
    assert to_recogniser_style(text) == asr


def test_restore_contractions_and_offsets() -> None:
    text = "so you re saying you didnt get it"
    restored, pos = restore_with_offsets(text)
    assert restored == "so you're saying you didn't get it"
    assert restore_contractions("Dont worry") == "Don't worry"
    # every restored character maps into the original, in order
    assert len(pos) == len(restored) + 1 and pos[-1] == len(text)
    assert all(a <= b for a, b in pairwise(pos))
    i = restored.index("didn't")
    assert text[pos[i]:pos[i + len("didn't") - 1] + 1] == "didnt"


def test_recogniser_flags_point_into_the_original(checker: PhrasingChecker) -> None:
    text = "thanks for waiting didnt you get the email we sent"
    flags = checker.check(text)
    assert [f.category for f in flags] == ["blaming"]
    assert text[flags[0].start:flags[0].end] == flags[0].text and "didnt" in flags[0].text


@pytest.mark.parametrize(("text", "question"), [
    ("did you keep the receipt", True),
    ("how was the installation", True),
    ("you re on the enterprise plan correct", False),
    ("so what do you think", True),
    ("i will transfer you to the team who can look at it", False),
    ("thank you for calling", False),
    ("is the device plugged in", True),
])
def test_question_without_question_mark(checker: PhrasingChecker, text: str, question: bool) -> None:
    with checker.nlp.select_pipes(disable=[PIPE_NAME]):
        doc = checker.nlp(text)
    assert is_question(next(iter(doc.sents))) is question


@pytest.mark.parametrize(("text", "category"), [
    ("you should have read the instructions", "blaming"),
    ("thats the couriers fault not ours they lost it", "blaming"),
    ("most customers love the premium plan would you like it", "leading"),
    ("how pleased are you with the new app", "leading"),
    ("is the new app fast and reliable", "loaded"),
    ("are you still using the old cable", "loaded"),
    ("i understand how you feel", "negative_language"),
    ("its against our policy", "negative_language"),
    ("it will be fixed in an hour tops", "over_promise"),
])
def test_families_in_recogniser_style(checker: PhrasingChecker, text: str, category: str) -> None:
    flags = checker.check(text)
    assert flags and {f.category for f in flags} == {category}, flags
    assert flags[0].reason and flags[0].suggestion


def test_gated_matcher_finds_what_one_matcher_finds(checker: PhrasingChecker) -> None:
    nlp = checker.nlp
    patterns = list(resources.read_jsonl("phrasing/patterns.jsonl"))
    plain, gated = Matcher(nlp.vocab), GatedMatcher(nlp.vocab)
    for p in patterns:
        plain.add(p["id"], [p["pattern"]])
        gated.add(p["id"], p["pattern"])
    assert len(gated) == len(patterns)
    assert sum(triggers(p["pattern"]) is not None for p in patterns) > len(patterns) // 2
    texts = [json.loads(x)["text"] for x in (DATA / "phrasing_dev.jsonl").read_text().splitlines()]
    with nlp.select_pipes(disable=[PIPE_NAME]):
        for doc in nlp.pipe(texts[:120]):
            assert sorted(gated(doc)) == sorted(plain(doc)), doc.text
    gated.remove(patterns[0]["id"])
    assert len(gated) == len(patterns) - 1


def test_learned_scores_equal_the_textcat_pipeline(checker: PhrasingChecker) -> None:
    learned = checker.coach.learned
    assert learned is not None
    texts = ["you should have called us sooner", "thank you for calling", "i guarantee it arrives today"]
    fast = learned.scores(texts)
    for text, cats in zip(texts, fast, strict=True):
        slow = learned.nlp(text).cats
        assert cats.keys() == slow.keys()
        assert all(abs(cats[k] - slow[k]) < 1e-6 for k in cats)
    meta = learned.nlp.meta
    assert meta["version"] and "phrasing_test.jsonl" not in meta["training_data"]
    assert 0.3 <= meta["threshold"] <= 0.95
    size = sum(p.stat().st_size for p in resources.path("phrasing/textcat").rglob("*") if p.is_file())
    assert size < 2_000_000


def test_learned_flag_has_span_category_reason(checker: PhrasingChecker) -> None:
    # which sentences the classifier flags depends on training; take the dev rows it flagged
    texts = [json.loads(x)["text"] for x in (DATA / "phrasing_dev.jsonl").read_text().splitlines()]
    learned = [(t, f) for t, fl in zip(texts, checker.check_many(texts), strict=True) for f in fl
               if f.rule == "learned"]
    assert learned
    for text, f in learned:
        assert f.category in vocab.CATEGORIES and f.reason and f.suggestion and not f.is_rewrite
        assert 0 <= f.start < f.end <= len(text) and text[f.start:f.end] == f.text


def test_train_is_reproducible() -> None:
    """Two trainings on the same rows give the same weights (what make train-phrasing relies on)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "phrasing_train", Path(__file__).resolve().parents[2] / "scripts" / "phrasing" / "train.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = [("you should have called", "blaming"), ("thank you for calling", "neutral"),
            ("i guarantee it arrives today", "over_promise"), ("calm down", "negative_language"),
            ("you agree dont you", "leading"), ("have you stopped doing that", "loaded")] * 3
    a, b = mod.train(rows), mod.train(rows)
    assert a.get_pipe("textcat").model.to_bytes() == b.get_pipe("textcat").model.to_bytes()


def test_flag_vocabulary_is_one_table() -> None:
    assert vocab.CATEGORIES == ("blaming", "loaded", "leading", "negative_language", "over_promise")
    assert vocab.canonical("negative") == "blaming"
    assert vocab.label("negative") == vocab.LABELS["blaming"]
    assert len(set(vocab.COLOURS.values())) == len(vocab.CATEGORIES)
    assert vocab.label("something_new") == "Something new"


@pytest.mark.parametrize("text", ["\x00\x01\x02binary\x00\x03" * 20, b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_binary_gets_a_clear_message(text: str | bytes) -> None:
    assert "not text" in (not_text_reason(text) or "")


@pytest.mark.parametrize("text", ["Why didn't you call us sooner?", "¿Por qué no llamó antes?", "🙂🙂 ok 👍",
                                  "ну и что", ""])
def test_ordinary_text_is_text(text: str) -> None:
    assert not_text_reason(text) is None


def test_all_caps_is_checked_like_lower_case(checker: PhrasingChecker) -> None:
    text = "WHY DIDN'T YOU CALL US SOONER?"
    flags = checker.check(text)
    assert [f.category for f in flags] == ["blaming"]
    assert text[flags[0].start:flags[0].end] == flags[0].text
