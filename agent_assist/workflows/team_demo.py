"""``make team-demo``: a local team store with a demo team, for trying team mode on one machine.

Starts a PostgreSQL cluster from Debian's ``postgresql`` package in ``<user data dir>/team-demo/pg``
(as the ``postgres`` user when run as root), creates the team schema, three agents and a supervisor, builds
each agent's desk (a demo SQLite file with weeks of calls) and sends it through the real pusher, then joins
the supervisor's desk, which pulls the shared directory. Passwords are random and kept only in
``team-demo/pgpass`` (mode 0600, libpq's own password file, pointed to by ``PGPASSFILE``), never in the
app's settings. Prints the supervisor's URL and desk; ``--stop`` stops the cluster.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from agent_assist.settings import data_dir
from agent_assist.store.db import connect
from agent_assist.store.team import remote, schema
from agent_assist.store.team.cluster import LocalCluster
from agent_assist.workflows import team_sync
from agent_assist.workflows.demo import build_demo_file

DBNAME = "agent_assist_team"
AGENTS = (("demo_alice", "Alice Moreau"), ("demo_bob", "Bob Okafor"), ("demo_chen", "Chen Wei"))
SUPERVISOR = ("demo_sam", "Sam Rivera")


def demo_root() -> Path:
    return data_dir() / "team-demo"


def _pgpass(root: Path, port: int, logins: list[str]) -> dict[str, str]:
    path = root / "pgpass"
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split(":")
            if len(parts) == 5:
                known[parts[3]] = parts[4]
    for login in logins:
        known.setdefault(login, secrets.token_urlsafe(18))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for login, pw in known.items():
            f.write(f"127.0.0.1:{port}:{DBNAME}:{login}:{pw}\n")
    os.environ["PGPASSFILE"] = str(path)
    return known


def setup(root: Path | None = None, customers: int = 400) -> tuple[str, Path]:
    """Start (or reuse) the demo store; returns (supervisor URL without password, supervisor's desk)."""
    root = root or demo_root()
    root.mkdir(parents=True, exist_ok=True)
    cluster = LocalCluster(root / "pg")
    cluster.start()
    if not cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DBNAME}'").strip():
        cluster.psql(f"CREATE DATABASE {DBNAME}")
    passwords = _pgpass(root, cluster.port, [a for a, _ in AGENTS] + [SUPERVISOR[0]])
    with remote.connect(cluster.url(dbname=DBNAME)) as conn:
        version, _ = schema.migrate(conn)
        for login, name in AGENTS:
            remote.add_member(conn, login, team="North floor", role="agent", name=name,
                              password=passwords[login])
        remote.add_member(conn, SUPERVISOR[0], team="North floor", role="supervisor", name=SUPERVISOR[1],
                          password=passwords[SUPERVISOR[0]])
    print(f"Team store: {cluster.url(dbname=DBNAME)} (schema version {version})")
    for i, (login, name) in enumerate(AGENTS):
        desk = root / f"desk-{login}.db"
        if not desk.exists():
            print(f"Building {name}'s desk ({desk.name}) …", flush=True)
            build_demo_file(desk, customers=customers, seed=100 + i)
        db = connect(desk)
        try:
            with remote.TeamStore(cluster.url(login, DBNAME)) as store:
                res = team_sync.sync_once(db, store)
            print(f"  {name}: {res.pushed} rows sent, {res.pending} waiting")
        finally:
            db.close()
    sup_url = cluster.url(SUPERVISOR[0], DBNAME)
    sup_desk = root / f"desk-{SUPERVISOR[0]}.db"
    db = connect(sup_desk)
    try:
        with remote.TeamStore(sup_url) as store:
            res = team_sync.sync_once(db, store)
        print(f"  {SUPERVISOR[1]} (supervisor): {res.pulled} directory rows received")
    finally:
        db.close()
    return sup_url, sup_desk


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="team-demo", description=__doc__)
    ap.add_argument("--stop", action="store_true", help="stop the demo cluster")
    ap.add_argument("--env", metavar="FILE", help="write the supervisor's desk and URL as shell variables")
    args = ap.parse_args(argv)
    root = demo_root()
    if args.stop:
        LocalCluster(root / "pg").stop()
        print("Team demo cluster stopped.")
        return 0
    url, desk = setup(root)
    print(f"Supervisor: agent-assist --db {desk} --profile supervisor")
    print(f"Floor export: PGPASSFILE={root / 'pgpass'} agent-assist export calls --team --url '{url}'"
          " --from 2020-01-01 --to 2030-12-31 --csv -")
    if args.env:
        Path(args.env).write_text(
            f"TEAM_DESK='{desk}'\nAGENT_ASSIST_TEAM_URL='{url}'\nPGPASSFILE='{root / 'pgpass'}'\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
