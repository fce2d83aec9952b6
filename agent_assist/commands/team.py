"""``agent-assist team init URL | status [--json] [--url URL] | sync [--url URL]``: team mode by hand.

The URL is ``--url``, else ``AGENT_ASSIST_TEAM_URL``, else the ``team_url`` setting, else the one this
desk last joined (stored without its password). Passwords come from libpq's ``~/.pgpass`` or
``pg_service.conf`` or the OS keyring, never from the app's files.
"""

from __future__ import annotations

import argparse
import json

from agent_assist.commands.common import db_path, load_settings, open_db
from agent_assist.errors import CliError
from agent_assist.store.team import outbox, remote, schema
from agent_assist.store.team.errors import TeamError, TeamUnavailable
from agent_assist.workflows import team_sync


def team_url(args: argparse.Namespace, stored: str | None = None) -> str | None:
    return getattr(args, "url", None) or team_sync.configured_team_url(load_settings(args)) or stored


def run(args: argparse.Namespace) -> int:
    action = args.team_command
    if action == "init":
        return _init(args)
    if action == "status":
        return _status(args)
    if action == "add-member":
        return _add_member(args)
    return _sync(args)


def _init(args: argparse.Namespace) -> int:
    try:
        with remote.connect(args.url) as conn:
            version, applied = schema.migrate(conn)
    except TeamError as e:
        raise CliError(str(e)) from None
    except Exception as e:  # e.g. the login may not create schemas or roles
        import psycopg

        if isinstance(e, psycopg.Error):
            raise CliError(f"team init failed: {str(e).strip().splitlines()[0]}") from None
        raise
    where = remote.redact_url(args.url)
    if applied:
        print(f"Team store {where}: schema version {version} (applied: {'; '.join(applied)}).")
    else:
        print(f"Team store {where}: schema version {version}, up to date.")
    return 0


def _add_member(args: argparse.Namespace) -> int:
    import sys

    import psycopg

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CliError("No password on standard input.")
    try:
        with remote.connect(args.url) as conn:
            remote.check_schema(conn)
            remote.add_member(conn, args.login, team=args.team, role=args.role, name=args.name,
                              password=password)
    except TeamError as e:
        raise CliError(str(e)) from None
    except psycopg.Error as e:
        raise CliError(f"Cannot add {args.login}: {str(e).strip().splitlines()[0]}") from None
    print(f"{args.login} is now {'an' if args.role == 'agent' else 'a'} {args.role} of team {args.team}.")
    return 0


def _status(args: argparse.Namespace) -> int:
    if not db_path(args).exists():
        raise CliError(f"No database at {db_path(args)}; run 'agent-assist demo' or start the app first.")
    db = open_db(args, create=False)
    try:
        url = team_url(args, outbox.state(db).url)
        connected = False
        error = None
        if url:
            try:
                with remote.connect(url) as conn:
                    remote.identity(conn)
                connected = True
            except TeamError as e:
                error = str(e)
        else:
            error = "no team store configured (--url, AGENT_ASSIST_TEAM_URL or the team_url setting)"
        st = team_sync.status(db, connected)
        if error:
            st = team_sync.SyncStatus(**{**st.__dict__, "error": error})
    finally:
        db.close()
    if args.json:
        print(json.dumps(st.as_json()))
    else:
        print(st.line())
    return 0


def _sync(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        url = team_url(args, outbox.state(db).url)
        if not url:
            raise CliError("No team store: pass --url URL, set AGENT_ASSIST_TEAM_URL or the team_url setting.")
        try:
            with remote.TeamStore(url) as store:
                res = team_sync.sync_once(db, store)
        except TeamUnavailable as e:
            outbox.set_error(db, str(e))
            raise CliError(f"{e} ({outbox.pending(db)} waiting, kept for the next sync)", code=1) from None
        except TeamError as e:
            raise CliError(str(e)) from None
        print(f"Team sync: {res.pushed} sent, {res.pulled} received, {res.pending} waiting.")
        rejected = outbox.rejected(db)
        if rejected:
            print(f"{rejected} rows were refused by the server (see team_rejected in the desk's database).")
        return 0 if res.pending == 0 else 1
    finally:
        db.close()
