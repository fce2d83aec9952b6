"""``agent-assist practice``: list the scenarios, or play one in the terminal (``--text``).

In text mode the customer's lines are printed and each line read from stdin is one reply of the trainee.
At the end of the scenario, or of the input, the score card is printed (talk ratio first) and the attempt
is saved in the database (``--db`` or the default one). Typed replies count as speech at 150 words/min, so
the talk figures are marked *estimated*.
"""

from __future__ import annotations

import argparse
import sys

from agent_assist.coach.scenario import ScenarioError
from agent_assist.commands.common import db_path, load_settings, open_db
from agent_assist.errors import CliError
from agent_assist.workflows import practice as wp


def _list() -> int:
    for e in wp.catalog():
        if e.error:
            print(f"{e.name:18} BROKEN: {e.error}")
        else:
            print(f"{e.name:18} {e.title} — {e.persona} [{e.mood}, {e.goals} goals, "
                  f"{e.time_limit_s / 60:.0f} min]")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if not args.scenario:
        raise CliError("name a scenario or a scenario file (agent-assist practice --list shows them)")
    if not args.text:
        raise CliError("the spoken customer runs in the window (Practice tab); "
                       "add --text to practise in the terminal")
    try:
        scenario = wp.load_scenario(args.scenario)
    except ScenarioError as e:
        raise CliError(str(e)) from None
    settings = load_settings(args)
    db = open_db(args)
    try:
        try:
            trainee = wp.resolve_trainee(db, args.trainee, settings.agent_id)
        except LookupError as e:
            raise CliError(str(e)) from None
        checker, why = wp.phrasing_checker()
        session = wp.new_session(scenario, checker, phrasing_note=why)
        out = sys.stdout
        print(f"Practice: {scenario.title}", file=out)
        print(f"Customer: {scenario.persona.name} — {scenario.persona.summary}", file=out)
        print(f"Goals: {'; '.join(g.label for g in scenario.goals)}", file=out)
        if checker is None:
            print(f"Phrasing checks are unavailable: {why}", file=out)
        print("Type one reply per line; the end of the input (Ctrl-D) ends the call.\n", file=out)
        first = session.opening()
        print(f"Customer [{first.mood}]: {first.text}", file=out, flush=True)
        interactive = sys.stdin.isatty()
        while not session.finished:
            if interactive:
                print("You: ", end="", file=out, flush=True)
            line = sys.stdin.readline()
            if not line:
                session.stop("the input ended")
                break
            text = line.strip()
            if not text:
                continue
            if not interactive:
                print(f"You: {text}", file=out)
            turn = session.reply(text)
            if turn is not None:
                print(f"Customer [{turn.mood}]: {turn.text}", file=out, flush=True)
        card = session.score_card()
        print(f"\n--- score card: {scenario.title} ---", file=out)
        for ln in card.lines():
            print(ln, file=out)
        if card.replies:
            saved = wp.save_attempt(db, session, trainee, card)
            print(f"Saved as attempt {saved.attempt_id} (call {saved.call_id}) for agent {trainee} "
                  f"in {db_path(args)}", file=out)
        else:
            print("No replies, so nothing was saved.", file=out)
    finally:
        db.close()
    return 0
