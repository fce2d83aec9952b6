"""settings.py: defaults, round trip, bad files and bad values fall back with a reason, paths from XDG."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agent_assist import settings as st


def test_missing_file_gives_defaults_without_problems(tmp_path: Path) -> None:
    s, problems = st.load(tmp_path / "nope.json")
    assert s == st.Settings() and problems == []
    assert s.talk_target == 0.30


def test_round_trip_keeps_values_and_unknown_keys(tmp_path: Path) -> None:
    p = tmp_path / "cfg" / "settings.json"
    s = st.Settings(agent_id=4, profile="supervisor", talk_target=0.25)
    s.extra["future_option"] = {"a": 1}
    st.save(s, p)
    back, problems = st.load(p)
    assert problems == []
    assert (back.agent_id, back.profile, back.talk_target) == (4, "supervisor", 0.25)
    assert back.extra == {"future_option": {"a": 1}}
    assert not list(p.parent.glob("*.tmp"))  # written through a temp file and renamed


@pytest.mark.parametrize(("text", "why"), [("{not json", "could not be read"), ("[1, 2]", "not a JSON object")])
def test_bad_file_falls_back_with_one_reason(tmp_path: Path, text: str, why: str) -> None:
    p = tmp_path / "settings.json"
    p.write_text(text)
    s, problems = st.load(p)
    assert s == st.Settings() and len(problems) == 1 and why in problems[0]


def test_wrong_types_are_reported_and_ignored(tmp_path: Path) -> None:
    p = tmp_path / "settings.json"
    p.write_text('{"agent_id": "seven", "stereo_input": 1, "talk_target": 0.2, "window_s": 60}')
    s, problems = st.load(p)
    assert s.agent_id == 1 and s.stereo_input is False  # defaults kept for the wrong ones
    assert s.talk_target == 0.2 and s.window_s == 60.0 and isinstance(s.window_s, float)
    assert sorted(p.split("'")[1] for p in problems) == ["agent_id", "stereo_input"]


def test_paths_follow_xdg_and_db_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert st.default_db_path() == tmp_path / "data" / "agent-assist" / st.DB_FILENAME
    assert st.settings_path() == tmp_path / "config" / "agent-assist" / "settings.json"
    assert st.db_path_from_args(argparse.Namespace(db=None)) == st.default_db_path()
    assert st.db_path_from_args(argparse.Namespace(db="~/x.db")) == Path("~/x.db").expanduser()


def test_command_line_overrides() -> None:
    s = st.apply_args(st.Settings(), argparse.Namespace(region="gb", agent=3, profile="trainer"))
    assert (s.default_region, s.agent_id, s.profile) == ("GB", 3, "trainer")
