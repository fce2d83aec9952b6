"""``agent-assist --self-test`` from source: every check passes, and a failing check says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_assist.commands import selftest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ["model", "database", "window", "phrasing", "talk", "voice"]


def _run_cli(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_ASSIST_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([sys.executable, "-m", "agent_assist", "--self-test"], capture_output=True,
                          text=True, timeout=240, cwd=tmp_path, env=env)


def test_self_test_passes_from_source(tmp_path: Path) -> None:
    r = _run_cli(tmp_path)
    lines = r.stdout.splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line.split(":")[0].split()[-1] for line in lines[:-1]] == CHECKS
    assert all(line.startswith("ok   ") for line in lines[:-1]), r.stdout
    assert lines[-1].startswith("self-test passed: 6 checks")
    assert "flagged" in lines[CHECKS.index("phrasing")]
    # nothing on stderr but the offscreen platform's note (see build_installer.STDERR_ALLOWED)
    assert [e for e in r.stderr.splitlines()
            if e.strip() and e != "This plugin does not support propagateSizeHints()"] == []
    # the self-test writes only under its own temporary folder, never into the working directory
    assert list(tmp_path.iterdir()) == []


def test_failing_check_prints_fail_line_and_continues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    st = selftest.SelfTest(tmp_path)

    def broken() -> str:
        raise selftest.CheckFailed("talk ratio 0.9 outside the expected 0.10-0.40")

    def crashing() -> str:
        raise KeyError("x")

    assert st.run_check("talk", broken) is False
    assert st.run_check("other", crashing) is False
    assert st.run_check("fine", lambda: "all good") is True
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "FAIL talk: talk ratio 0.9 outside the expected 0.10-0.40"
    assert out[1] == "FAIL other: KeyError: 'x'"
    assert out[2].startswith("ok   fine: all good (")
    assert [ok for _n, ok, _d in st.results] == [False, False, True]


def test_missing_feature_module_is_a_clear_failure() -> None:
    with pytest.raises(selftest._Missing, match=r"agent_assist\.coach\.nonexistent is not available"):
        selftest._import("agent_assist.coach.nonexistent")


def test_talk_check_fails_when_the_agent_is_silent(tmp_path: Path) -> None:
    import soundfile as sf

    from agent_assist import resources

    data, rate = sf.read(resources.path(selftest.SELFTEST_CALL), dtype="float32")
    data[:, 0] = 0.0  # mute the agent's (left) channel: only the customer speaks
    one_sided = tmp_path / "one_sided.wav"
    sf.write(one_sided, data, rate, subtype="PCM_16")
    st = selftest.SelfTest(tmp_path, call=one_sided)
    with pytest.raises(selftest.CheckFailed, match="expected speech from agent and customer"):
        st.check_talk()
