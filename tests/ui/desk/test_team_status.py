"""The desk's team status line: offline with rows waiting while the server is down, then delivered."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from agent_assist.store.db import connect
from agent_assist.store.team import remote, schema
from agent_assist.ui.desk.team_status import TeamStatusLabel
from tests.pg_cluster import TeamDb
from tests.store.team.desk import PER_CALL, add_call, make_desk


def test_status_line_follows_the_server(qtbot: QtBot, team_db: TeamDb, tmp_path: Path) -> None:
    with remote.connect(team_db.url()) as conn:
        schema.migrate(conn)
        remote.add_member(conn, "s_ann", team="north", role="agent", name="Ann", password="pw")
    path = tmp_path / "desk.db"
    make_desk(path, finished=3).close()
    label = TeamStatusLabel(path, team_db.url("s_ann", "pw"), interval_s=0.2)
    qtbot.addWidget(label)
    label.start()
    try:
        qtbot.waitUntil(lambda: label.text().startswith("Team: connected, 0 waiting, last push 20"),
                        timeout=30000)
        team_db.cluster.stop()
        db = connect(path)
        add_call(db, 50)
        db.close()
        label.wake()
        waiting = sum(PER_CALL.values())
        qtbot.waitUntil(lambda: label.text().startswith(f"Team: offline, {waiting} waiting"), timeout=30000)
        assert "cannot be reached" in label.text()
        team_db.cluster.start()
        label.wake()
        qtbot.waitUntil(lambda: label.text().startswith("Team: connected, 0 waiting"), timeout=60000)
    finally:
        label.stop()
    with remote.connect(team_db.url()) as conn:
        assert conn.execute("SELECT count(*) FROM agent_assist.calls").fetchone() == (4,)
