"""``agent-assist check`` as a real subprocess: human output, --json order, junk stdin, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from agent_assist.cli import main

PY = sys.executable


def cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([PY, "-m", "agent_assist.cli", "check", *args], input=stdin, capture_output=True,
                          timeout=120, env={**os.environ, **(env or {})}, check=False)


def test_json_lines_in_order_with_exact_keys() -> None:
    lines = ["Didn't you read the setup guide?", "How can I help you today?", "",
             "why did you cancel the order", "That's not my department.", "It'll definitely be fixed by tomorrow."]
    p = cli("--json", stdin=("\n".join(lines) + "\n").encode())
    assert p.returncode == 0, p.stderr
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [o["text"] for o in out] == lines
    assert [[f["category"] for f in o["flags"]] for o in out] == [
        ["blaming"], [], [], ["blaming"], ["negative_language"], ["over_promise"]]
    for o in out:
        assert set(o) == {"text", "flags"}
        for f in o["flags"]:
            assert set(f) == {"category", "start", "end", "reason", "suggestion"}
            assert 0 <= f["start"] < f["end"] <= len(o["text"])
    assert out[0]["flags"][0]["suggestion"] == "Have you had a chance to read the setup guide?"


def test_binary_junk_on_stdin_is_replaced_not_a_traceback() -> None:
    junk = bytes(range(256)) + b"\n\xff\xfe\xfd\n" + os.urandom(2000).replace(b"\n", b"") + b"\nok thanks\n"
    p = cli("--json", stdin=junk)
    assert p.returncode == 0
    err = p.stderr.decode()
    assert "Traceback" not in err and "not valid UTF-8" in err
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert all("\u2028" not in x for x in p.stdout.decode().split("\n"))
    assert len(out) == junk.count(b"\n")
    assert out[-1] == {"text": "ok thanks", "flags": []}


def test_empty_stdin_gives_no_output_and_exit_zero() -> None:
    p = cli("--json")
    assert (p.returncode, p.stdout) == (0, b"")


def test_human_output_shows_category_span_reason_and_rewrite() -> None:
    p = cli("Why did you cancel the order?")
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "[blaming]" in out and '"Why did you cancel"' in out
    assert "What led to cancelling the order?" in out and "why:" in out


def test_binary_text_on_stdin_is_one_clear_line_exit_2() -> None:
    p = cli(stdin=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(32)) * 20)
    err = p.stderr.decode().strip()
    assert p.returncode == 2 and len(err.splitlines()) == 1 and "not text" in err and "Traceback" not in err


def test_nothing_flagged_still_exit_zero() -> None:
    p = cli("Could you tell me the order number?")
    assert p.returncode == 0 and "No phrasing problems" in p.stdout.decode()


def test_missing_model_one_clear_line_nonzero() -> None:
    p = cli("--json", stdin=b"hello\n", env={"AGENT_ASSIST_SPACY_MODEL": "no_such_model_xyz"})
    assert p.returncode != 0
    err = p.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "No English spaCy model found" in err and "Traceback" not in err


def test_empty_text_is_a_clean_error(capsys: object) -> None:
    assert main(["check", "   "]) == 2
