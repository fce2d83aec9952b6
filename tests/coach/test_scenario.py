"""Scenario files (schema + semantic checks with file/line/field), intents, branches, goals, scoring."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from agent_assist import resources
from agent_assist.coach.scenario import (
    IntentDetector,
    PracticeSession,
    Scenario,
    ScenarioError,
    estimate_speech_s,
    load_schema,
    parse_scenario,
)

SCHEMA = load_schema(resources.read_text("scenarios/schema.json"))
INTENTS = IntentDetector.from_data(yaml.safe_load(resources.read_text("scenarios/_intents.yaml")))
SHIPPED = [n.rsplit(".", 1)[0] for n in resources.listdir("scenarios")
           if n.endswith(".yaml") and not n.startswith("_")]

GOOD = textwrap.dedent("""\
    title: Test scenario
    persona:
      name: Pat
      summary: A test customer
      mood: upset
    voice:
      rate: 170
      pitch: 50
      prefer: [en-us]
    time_limit_s: 120
    opening: My parcel never came.
    turns:
      - id: first
        branches:
          - when: empathy
            say: Thanks, that helps.
            mood: calmer
          - when: open_question
            say: It was due on Monday, the tracking says delivered, and I was home all day long.
          - when: default
            say: So what now?
      - id: second
        branches:
          - when: resolution
            say: Great, thank you.
            end: true
          - when: default
            say: Hello?
            next: second
    reactions:
      - when: blaming_question
        say: Yes. I did.
        mood: angrier
    goals:
      - id: greeted
        label: Greeted
        intent: greeting
        within_replies: 1
      - id: empathy
        label: Acknowledged the feeling
        intent: empathy
      - id: no_promise
        label: No promises
        intent: promise
        avoid: true
    """)


def parse(text: str, source: str = "test.yaml") -> Scenario:
    return parse_scenario(text, source, SCHEMA, INTENTS)


def session(text: str = GOOD) -> PracticeSession:
    return PracticeSession(parse(text), INTENTS)


# -- validation ----------------------------------------------------------------------------------------

def test_good_file_parses() -> None:
    s = parse(GOOD)
    assert s.name == "test"
    assert [t.id for t in s.turns] == ["first", "second"]
    assert s.turns[0].default.say == "So what now?"
    assert s.voice.rate == 170 and s.persona.mood == "upset"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        # a wrong enum value points at the value's own line
        ("  mood: upset\n", "  mood: furious\n", 5, "persona.mood", "'furious' is not one of"),
        # a typo in a field name points at the key and names the allowed ones
        ("        say: So what now?", "        sya: So what now?", 21, "turns[0].branches[2].sya",
         "unknown field 'sya' (did you mean 'say'?"),
        # a missing required field names the field, at its parent's line
        ("opening: My parcel never came.\n", "", None, "opening", "missing required field 'opening'"),
        # wrong type
        ("time_limit_s: 120", "time_limit_s: soon", 10, "time_limit_s", "is not of type 'number'"),
        # an unknown intent is a semantic error with the line of the value
        ("      - when: open_question", "      - when: open_questoin", 18,
         "turns[0].branches[1].when", "unknown intent 'open_questoin'"),
        # next must name a turn
        ("        next: second", "        next: third", 29, "turns[1].branches[1].next",
         "no turn has the id 'third'"),
    ],
)
def test_bad_file_message_names_file_line_and_field(old: str, new: str, line: int | None, field: str,
                                                    words: str) -> None:
    assert old in GOOD
    with pytest.raises(ScenarioError) as ei:
        parse(GOOD.replace(old, new), "broken.yaml")
    msg = str(ei.value)
    assert msg.startswith("broken.yaml:")
    assert field in msg and words in msg
    assert ei.value.field == field
    if line is not None:
        assert ei.value.line == line
        assert msg.startswith(f"broken.yaml:{line}: ")
    assert "\n" not in msg


def test_turn_without_default_branch_is_refused() -> None:
    bad = GOOD.replace("      - when: default\n        say: So what now?\n", "")
    with pytest.raises(ScenarioError, match=r"^t\.yaml:\d+: turns\[0\]\.branches: turn 'first' needs a branch"):
        parse(bad, "t.yaml")


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(ScenarioError, match=r"^s\.yaml:4: not valid YAML .*started on line 3"):
        parse("title: x\npersona:\n  name: [unclosed\n  mood: calm\n", "s.yaml")


def test_not_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="must be a mapping"):
        parse("- just\n- a list\n", "l.yaml")


def test_all_problems_are_kept() -> None:
    bad = GOOD.replace("  mood: upset\n", "  mood: furious\n").replace("time_limit_s: 120", "time_limit_s: x")
    with pytest.raises(ScenarioError) as ei:
        parse(bad)
    assert len(ei.value.problems) == 2


# -- intents -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("What happened when you tried to log in?", {"open_question"}, {"blaming_question"}),
        ("Why didn't you read the e-mail we sent?", {"blaming_question"}, {"open_question"}),
        ("Didn't you check your statement?", {"blaming_question"}, set()),
        ("I'm so sorry, that sounds really frustrating.", {"empathy"}, set()),
        ("Could I have your order number, please?", {"asks_order_number"}, set()),
        ("I guarantee it will be fixed by tomorrow.", {"promise"}, set()),
        ("I've refunded the second charge.", {"resolution"}, set()),
        ("Does that resolve it for you?", {"confirm_resolution"}, set()),
        ("Thank you for your patience.", {"thanks"}, set()),
        ("Good morning, my name is Sam.", {"greeting"}, set()),
        ("Okay.", set(), {"empathy", "open_question", "promise"}),
    ],
)
def test_intents(text: str, expected: set[str], absent: set[str]) -> None:
    found = INTENTS.detect(text)
    assert expected <= found
    assert not (absent & found)


def test_curly_quotes_are_straightened() -> None:
    assert "blaming_question" in INTENTS.detect("Didn’t you read the manual?")


# -- branches and moods ----------------------------------------------------------------------------

def test_open_question_gets_more_detail() -> None:
    s = session()
    s.opening()
    turn = s.reply("What happened with the delivery?")
    assert turn is not None and turn.branch == "first:open_question"
    assert "tracking says delivered" in turn.text


def test_empathy_calms_the_customer() -> None:
    s = session()
    s.opening()
    turn = s.reply("I'm so sorry, that must be frustrating.")
    assert turn is not None and turn.mood == "neutral" and turn.text == "Thanks, that helps."


def test_blaming_question_makes_customer_curt_and_stays_on_the_turn() -> None:
    s = session()
    s.opening()
    turn = s.reply("Didn't you check the tracking?")
    assert turn is not None
    assert turn.branch == "reaction:blaming_question" and turn.text == "Yes. I did." and turn.mood == "angry"
    # still on the first turn: an open question now gets the first turn's detailed answer
    turn = s.reply("What happened with the delivery?")
    assert turn is not None and turn.branch == "first:open_question"


def test_default_branch_and_end() -> None:
    s = session()
    s.opening()
    turn = s.reply("Okay.")
    assert turn is not None and turn.branch == "first:default" and turn.text == "So what now?"
    turn = s.reply("Hmm.")
    assert turn is not None and turn.branch == "second:default" and not turn.ends
    turn = s.reply("I've sent a replacement today.")
    assert turn is not None and turn.ends and turn.text == "Great, thank you."
    assert s.finished and s.ended_by == "the scenario reached its end"
    assert s.reply("Anything else?") is None


def test_angering_an_angry_customer_twice_ends_the_call() -> None:
    s = session()
    s.opening()
    s.reply("Didn't you check the tracking?")  # upset -> angry
    s.reply("Did you even look?")  # angry: strike 1
    turn = s.reply("You should have stayed home.")  # strike 2: hangs up
    assert turn is not None and turn.ends and s.ended_by == "the customer hung up"
    assert s.score_card().parts["mood"] == 0.0


def test_time_limit_ends_the_scenario() -> None:
    s = session()
    s.opening()
    long_reply = "Okay " * 400  # 400 words at 150 words/min is 160 s, over the 120 s limit
    turn = s.reply(long_reply)
    assert turn is not None and turn.ends and s.ended_by == "time limit reached"
    assert turn.text == s.scenario.timeout_line


# -- goals -------------------------------------------------------------------------------------------

def test_goals_detected_with_window_and_avoid() -> None:
    s = session()
    s.opening()
    s.reply("Okay.")  # greeting only counts in the first reply
    s.reply("Hello there, I'm so sorry about this.")
    results = {g.id: g for g in s.goal_results()}
    assert not results["greeted"].met
    assert results["empathy"].met and results["empathy"].detail == "reply 2"
    assert results["no_promise"].met and results["no_promise"].detail == "kept"
    s.reply("I promise it will be there tomorrow.")
    results = {g.id: g for g in s.goal_results()}
    assert not results["no_promise"].met and results["no_promise"].detail == "broken in reply 3"


# -- timing and the score card -------------------------------------------------------------------------

def test_typed_replies_are_estimated_and_tts_durations_replace_estimates() -> None:
    s = session()
    opening = s.opening()
    s.reply("What happened with the delivery?")  # 5 words at 150 words/min = 2 s
    card = s.score_card()
    assert card.agent_estimated and card.customer_estimated
    assert card.talk.agent_speech_s == pytest.approx(2.0)
    assert "150 words/min" in card.lines()[0]
    for ln in range(len(s.lines)):
        if s.lines[ln].party == "customer":
            s.set_line_duration(ln, 4.0)
    card = s.score_card()
    assert not card.customer_estimated and card.agent_estimated
    assert card.talk.customer_speech_s == pytest.approx(8.0)
    assert card.talk.talk_ratio == pytest.approx(2.0 / 10.0)
    assert opening.index == 0


def test_measured_speech_time_is_used() -> None:
    s = session()
    s.opening()
    s.reply("What happened?", speech_s=3.5)
    assert s.score_card().talk.agent_speech_s == pytest.approx(3.5)
    assert not s.score_card().agent_estimated


def test_estimate_speech() -> None:
    assert estimate_speech_s("one two three four five", 150) == pytest.approx(2.0)
    assert estimate_speech_s("   ", 150) == 0.0


def test_without_phrasing_checker_the_card_says_so() -> None:
    s = PracticeSession(parse(GOOD), INTENTS, None, phrasing_note="the spaCy model is missing")
    s.opening()
    s.reply("Didn't you read the e-mail?")
    card = s.score_card()
    assert not card.phrasing_available
    assert "phrasing" not in card.parts
    assert any("not checked (the spaCy model is missing)" in ln for ln in card.lines())


def test_card_lines_start_with_talk_ratio_and_dict_round_trips() -> None:
    s = session()
    s.opening()
    s.reply("Hello, I'm so sorry. What happened?")
    card = s.score_card()
    assert card.lines()[0].startswith("Talk ratio: ")
    d = card.to_dict()
    assert d["goals_total"] == 3 and d["talk"]["talk_ratio"] == card.talk.talk_ratio


# -- the shipped scenarios -----------------------------------------------------------------------------

GOOD_TRAINEE = [
    "Hello, thank you for calling, my name is Sam. What happened?",
    "I'm so sorry, that sounds really frustrating. Could I have your order number?",
    "Thank you. I can see the previous issues on your account; this is not the first time.",
    "Here's what I can do: first I'll open a priority ticket, then I'll arrange the fix today.",
    "Does that resolve it for you?",
    "Thank you for your patience, and thank you for being with us.",
    "Is there anything else I can help with?",
    "Thank you, goodbye.",
]
POOR_TRAINEE = [
    "Yeah.",
    "Didn't you read the e-mail we sent?",
    "Calm down, that's policy.",
    "I guarantee it will be fixed by tomorrow.",
    "Whatever.",
    "Ok.",
    "Ok.",
    "Ok.",
]


def play(name: str, script: list[str]) -> PracticeSession:
    rel = f"scenarios/{name}.yaml"
    s = PracticeSession(parse_scenario(resources.read_text(rel), rel, SCHEMA, INTENTS, name=name), INTENTS)
    s.opening()
    for line in script:
        if s.reply(line) is None:
            break
    s.stop("the script ended")
    return s


def test_at_least_six_scenarios_ship() -> None:
    assert {"double_billing", "competitor_offer", "third_problem", "first_time_user", "social_media",
            "cannot_promise"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads(name: str) -> None:
    rel = f"scenarios/{name}.yaml"
    s = parse_scenario(resources.read_text(rel), rel, SCHEMA, INTENTS, name=name)
    assert s.turns and s.goals and s.time_limit_s >= 60
    assert {"greeted", "thanked"} <= {g.id for g in s.goals}


@pytest.mark.parametrize("name", SHIPPED)
def test_good_trainee_reaches_the_end_and_beats_the_poor_one(name: str) -> None:
    good = play(name, GOOD_TRAINEE)
    poor = play(name, POOR_TRAINEE)
    assert good.ended_by == "the scenario reached its end", [ln.text for ln in good.lines]
    assert poor.finished
    g, p = good.score_card(), poor.score_card()
    assert g.goals_met > p.goals_met
    assert g.score > p.score + 20
    assert MOODS_ORDER.index(good.mood) < MOODS_ORDER.index(poor.mood) or poor.mood == "angry"


MOODS_ORDER = ["calm", "neutral", "upset", "angry"]


def test_real_phrasing_checker_flags_go_on_the_card() -> None:
    from agent_assist.coach.phrasing import default_checker

    s = PracticeSession(parse(GOOD), INTENTS, default_checker())
    s.opening()
    s.reply("Didn't you check the tracking before calling?")
    s.reply("I'm so sorry. I guarantee it will definitely arrive tomorrow.")
    card = s.score_card()
    assert card.phrasing_available and card.phrasing_note == ""
    cats = {f.category for f in card.flags}
    assert "blaming" in cats and "over_promise" in cats, card.flags
    blame = next(f for f in card.flags if f.category == "blaming")
    assert blame.reply == 1 and blame.span.lower().startswith("didn't you") and blame.suggestion
    assert card.parts["phrasing"] < 20.0
    lines = card.lines()
    assert any(ln.startswith("    try: ") for ln in lines)


# -- issue 18: each goal credited to the reply that met it ---------------------------------------------
def _goals(script: list[str]) -> dict[str, tuple[bool, int | None]]:
    return {g.id: (g.met, g.reply) for g in play("double_billing", script).goal_results()}


def test_replies_that_meet_no_goal() -> None:
    got = _goals(["Ok.", "Right.", "Hm."])
    assert got == {"greeted": (False, None), "acknowledged": (False, None), "order_number": (False, None),
                   "confirmed": (False, None), "thanked": (False, None), "no_promise": (True, None)}


def test_one_reply_meets_one_goal_and_is_credited_with_it() -> None:
    got = _goals(["Right.", "Could I have your order number?", "Hm."])
    assert got["order_number"] == (True, 2)
    assert all(not met for k, (met, _n) in got.items() if k not in ("order_number", "no_promise"))


def test_every_goal_is_credited_to_its_own_reply() -> None:
    got = _goals(GOOD_TRAINEE)
    assert got == {"greeted": (True, 1), "acknowledged": (True, 2), "order_number": (True, 2),
                   "confirmed": (True, 5), "thanked": (True, 1), "no_promise": (True, None)}


def test_a_closing_line_does_not_confirm_the_resolution() -> None:
    closing = "Is there anything else I can help with?"
    assert "confirm_resolution" not in INTENTS.detect(closing)
    got = _goals(["Hello, thank you for calling. What happened?", closing, "Anything else I can do for you?",
                  "Does that solve it for you?"])
    assert got["confirmed"] == (True, 4)  # the real check, not the closing lines before it
    assert _goals(["Hello.", closing])["confirmed"] == (False, None)
    broken = _goals(["Hello.", "I guarantee it will be fixed by tomorrow."])
    assert broken["no_promise"] == (False, 2)
