"""``agent-assist practice`` as a real process: replies on stdin, score card out, attempt saved."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GOOD_REPLIES = """\
Hello, thank you for calling, my name is Sam. What happened?
I'm so sorry, that sounds really frustrating. Could I have your order number?
I've refunded the second charge; it will be back on your card in three to five days.
Does that resolve it for you?
Thank you for your patience, and thank you for being with us.
"""


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_ASSIST_")}
    return subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(tmp_path / "aa.db"),
                           "practice", *args], input=stdin, capture_output=True, text=True, timeout=240,
                          cwd=tmp_path, env=env)


def card(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("--- score card: "))
    return lines[head + 1:]


def test_play_to_the_end_prints_card_and_saves(tmp_path: Path) -> None:
    r = run(tmp_path, "double_billing", "--text", stdin=GOOD_REPLIES)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.count("Customer [") == 6  # the opening + one answer per reply
    assert "I've been charged twice for the same order" in out
    lines = card(out)
    assert lines[0].startswith("Talk ratio: ") and "target at most 30%" in lines[0]
    assert "estimated" in lines[0] and "150 words/min" in lines[0]
    assert lines[1].startswith("Longest monologue: ")
    assert "Goals: 6/6" in out and "Ended: the scenario reached its end" in out
    assert "✓ Asked for the order number (reply 2)" in out
    assert "Saved as attempt 1 (call 1)" in out

    con = sqlite3.connect(tmp_path / "aa.db")
    try:
        kind, source, status, ratio, agent_id = con.execute(
            "SELECT kind, source, status, talk_ratio, agent_id FROM calls").fetchone()
        assert (kind, source, status) == ("practice", "practice", "done") and 0 < ratio < 1
        scenario, trainee, goals_met, goals_total, score, result = con.execute(
            "SELECT scenario, trainee_id, goals_met, goals_total, score, result_json"
            " FROM practice_attempts").fetchone()
        assert (scenario, trainee, goals_met, goals_total) == ("double_billing", agent_id, 6, 6)
        assert json.loads(result)["score"] == score
        assert con.execute("SELECT count(*) FROM utterances WHERE call_id = 1").fetchone()[0] == 11
        assert con.execute("SELECT count(*) FROM speech_segments WHERE call_id = 1").fetchone()[0] == 11
        # an empty database gets a "Trainee" agent so the attempt can be kept
        assert con.execute("SELECT name FROM agents WHERE id = ?", [agent_id]).fetchone()[0] == "Trainee"
    finally:
        con.close()


def test_end_of_input_ends_the_call(tmp_path: Path) -> None:
    r = run(tmp_path, "competitor_offer", "--text", stdin="Didn't you read our offer e-mail?\n")
    assert r.returncode == 0, r.stderr
    lines = card(r.stdout)
    assert lines[0].startswith("Talk ratio: ")
    assert "Ended: the input ended" in r.stdout
    assert "Goals: 1/7" in r.stdout  # only "made no promise" is met


def test_scenario_by_path_and_list(tmp_path: Path) -> None:
    path = ROOT / "resources" / "scenarios" / "cannot_promise.yaml"
    r = run(tmp_path, str(path), "--text", stdin="Hello, how can I help?\n")
    assert r.returncode == 0, r.stderr
    assert "Practice: Asking for something you can't promise" in r.stdout
    r = run(tmp_path, "--list")
    assert r.returncode == 0
    names = [ln.split()[0] for ln in r.stdout.splitlines()]
    assert {"double_billing", "competitor_offer", "third_problem", "first_time_user", "social_media",
            "cannot_promise"} <= set(names)


def test_bad_scenario_file_gives_one_clear_line(tmp_path: Path) -> None:
    text = (ROOT / "resources" / "scenarios" / "double_billing.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  mood: angry\n", "  mood: livid\n", 1), encoding="utf-8")
    r = run(tmp_path, str(bad), "--text", stdin="Hello\n")
    assert r.returncode != 0
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"agent-assist: {bad}:9: persona.mood: 'livid' is not one of")
    assert not (tmp_path / "aa.db").exists() or sqlite3.connect(tmp_path / "aa.db").execute(
        "SELECT count(*) FROM practice_attempts").fetchone()[0] == 0


def test_unknown_name_and_missing_trainee(tmp_path: Path) -> None:
    r = run(tmp_path, "no_such_scenario", "--text")
    assert r.returncode != 0 and "no scenario named 'no_such_scenario'" in r.stderr
    r = run(tmp_path, "double_billing", "--text", "--trainee", "99", stdin="Hello\n")
    assert r.returncode != 0 and "no agent with id 99" in r.stderr
    r = run(tmp_path, "double_billing")
    assert r.returncode != 0 and "--text" in r.stderr
