"""The PostgreSQL side of team mode: connecting, clear errors, upserts by uuid, pulls by cursor.

Credentials never live in the app's files: a URL names the server, database and login, and libpq finds
the password in ``~/.pgpass`` (or ``PGPASSFILE``), a ``pg_service.conf`` service (``service=floor``), or
the OS keyring (service ``agent-assist-team``, user ``login@host:port/dbname``) when the ``keyring``
package is installed. A URL given with a password is used for that command only and saved without it.
For a server across a network use ``sslmode=verify-full`` (with ``sslrootcert``) in the URL or service.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from agent_assist.store.team import schema
from agent_assist.store.team.errors import (
    TeamAuthFailed,
    TeamError,
    TeamNotMember,
    TeamSchemaMissing,
    TeamSchemaTooNew,
    TeamUnavailable,
)
from agent_assist.store.team.tables import SyncedTable

KEYRING_SERVICE = "agent-assist-team"
CONNECT_TIMEOUT_S = 5


def redact_url(url: str) -> str:
    """The URL without its password (what may be saved or shown)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return url
    params.pop("password", None)
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def _where(params: dict[str, Any]) -> str:
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    return f"{host}:{port}" if not params.get("service") else f"service {params['service']}"


def keyring_password(params: dict[str, Any]) -> str | None:
    """The login's password from the OS keyring, if the keyring package and a backend are there."""
    try:
        import keyring  # optional: libpq's .pgpass and pg_service.conf work without it
        from keyring.errors import KeyringError
    except ImportError:
        return None
    user = params.get("user")
    if not user:
        return None
    key = f"{user}@{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or user}"
    try:
        pw = keyring.get_password(KEYRING_SERVICE, key)
    except (KeyringError, RuntimeError):
        return None
    return str(pw) if pw else None


def conninfo(url: str) -> str:
    """A libpq connection string for ``url`` (a URL, ``key=value`` string or ``service=name``)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as e:
        raise TeamError(f"The team store address {url!r} is not a PostgreSQL URL ({e}).") from None
    if "password" not in params:
        pw = keyring_password(params)
        if pw:
            params["password"] = pw
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    params.setdefault("application_name", "agent-assist")
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def explain(e: BaseException, url: str) -> TeamError:
    """One clear line for a connection failure."""
    if isinstance(e, TeamError):
        return e
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        params = {}
    where = _where(params)
    msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    low = str(e).lower()
    user = params.get("user") or "the default user"
    if "password authentication failed" in low or "no password supplied" in low or \
            ("role" in low and "does not exist" in low):
        return TeamAuthFailed(
            f"The team store at {where} refused the login {user}: wrong password or unknown user "
            "(set the password in ~/.pgpass, pg_service.conf or the keyring).")
    if "database" in low and "does not exist" in low:
        return TeamUnavailable(f"The team store at {where} has no database {params.get('dbname')!r}.")
    if isinstance(e, PoolTimeout):
        return TeamUnavailable(f"The team store at {where} cannot be reached (no connection in time).")
    if isinstance(e, psycopg.OperationalError | OSError):
        return TeamUnavailable(f"The team store at {where} cannot be reached: {msg}")
    return TeamError(f"The team store at {where} failed: {msg}")


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One direct connection (for ``team init`` and checks); clear errors."""
    try:
        return psycopg.connect(conninfo(url), autocommit=autocommit)
    except (psycopg.Error, OSError) as e:
        raise explain(e, url) from None


@dataclass(frozen=True)
class Identity:
    login: str
    role: str  # agent | supervisor | trainer | owner
    teams: tuple[str, ...]
    store_id: str
    version: int


def check_schema(conn: psycopg.Connection[Any]) -> int:
    v = schema.current_version(conn)
    conn.rollback()
    if v is None or v == 0:
        raise TeamSchemaMissing("This database has no team store yet; run 'agent-assist team init URL'.")
    if v > schema.latest_version():
        raise TeamSchemaTooNew(
            f"The team store's schema is version {v}; this app knows up to {schema.latest_version()}. "
            "Update Agent Assist (nothing was sent).")
    return v


def identity(conn: psycopg.Connection[Any]) -> Identity:
    """Who this login is in the store. Owners (who ran init) count as 'owner'; others must be members."""
    try:
        return _identity(conn)
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
        login = conn.execute("SELECT current_user").fetchone()
        conn.rollback()
        raise TeamNotMember(f"The login {login[0] if login else '?'} has no team role in this store; "
                            "ask the store's owner to add it.") from None


def _identity(conn: psycopg.Connection[Any]) -> Identity:
    version = check_schema(conn)
    with conn.transaction():
        login, is_owner = conn.execute(
            "SELECT current_user, pg_has_role(current_user, (SELECT nspowner FROM pg_namespace"
            " WHERE nspname = 'agent_assist'), 'USAGE')").fetchone() or ("", False)
        store_id = conn.execute("SELECT store_id::text FROM agent_assist.store_info").fetchone()
        rows = conn.execute(
            "SELECT m.role, t.name FROM agent_assist.members m JOIN agent_assist.teams t ON t.id = m.team_id"
            " WHERE m.login = current_user ORDER BY t.name").fetchall()
    if not rows and not is_owner:
        raise TeamNotMember(f"The login {login} is not a member of any team in this store; "
                            "ask the store's owner to add it.")
    roles = {r for r, _ in rows}
    role = "owner" if is_owner and not rows else (
        "supervisor" if "supervisor" in roles else "trainer" if "trainer" in roles else "agent")
    return Identity(str(login), role, tuple(str(t) for _, t in rows), str(store_id[0]) if store_id else "",
                    version)


class TeamStore:
    """A pool of connections to one team store. Safe to share between threads."""

    def __init__(self, url: str, *, max_size: int = 2, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.url = url
        self._timeout = timeout_s
        self._conninfo = conninfo(url)
        self._pool: ConnectionPool[Any] | None = None
        self._max_size = max_size

    def open(self) -> Identity:
        """Connect (clear errors for a wrong password, an unreachable host, a too-new schema)."""
        with connect(self.url) as conn:
            ident = identity(conn)
        if self._pool is None:
            self._pool = ConnectionPool(self._conninfo, min_size=0, max_size=self._max_size, open=True,
                                        timeout=self._timeout, check=ConnectionPool.check_connection,
                                        name="agent-assist-team")
        return ident

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> TeamStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._pool is None:
            self.open()
        assert self._pool is not None
        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout, OSError) as e:
            raise explain(e, self.url) from None


# -- push ---------------------------------------------------------------------------------------------------
def _t(name: str) -> sql.Composed:
    return sql.SQL("agent_assist.{}").format(sql.Identifier(name))


def upsert(conn: psycopg.Connection[Any], table: SyncedTable, rows: Sequence[Sequence[Any]]) -> None:
    """COPY the rows into a staging table, then one INSERT … ON CONFLICT (uuid) into the real one.

    Must run inside the caller's transaction. ``lww`` tables keep the row with the later ``updated_at``.
    """
    if not rows:
        return
    stage = sql.Identifier(f"stage_{table.name}")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in table.all_columns)
    conn.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                 .format(stage, _t(table.name)))
    with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as cp:
        for r in rows:
            cp.write_row(r)
    sets = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in table.columns)
    cond: sql.Composable = sql.SQL("")
    if table.conflict == "lww":
        cond = sql.SQL(" WHERE coalesce(EXCLUDED.updated_at, '') >= coalesce({}.updated_at, '')").format(
            _t(table.name))
    conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT (uuid) DO UPDATE SET {}{}")
                 .format(_t(table.name), cols, cols, stage, sets, cond))
    # the staging rows go at commit (ON COMMIT DELETE ROWS); one table of a push stages once


def delete(conn: psycopg.Connection[Any], table: SyncedTable, uuids: Sequence[str]) -> None:
    if uuids:
        conn.execute(sql.SQL("DELETE FROM {} WHERE uuid = ANY(%s::uuid[])").format(_t(table.name)),
                     (list(uuids),))


# -- pull ---------------------------------------------------------------------------------------------------
START_CURSOR: list[Any] = ["0", "00000000-0000-0000-0000-000000000000"]
_MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff"


def pull(conn: psycopg.Connection[Any], table: SyncedTable, cursor: Sequence[Any] | None,
         limit: int = 2000) -> tuple[list[dict[str, Any]], list[Any], bool]:
    """Rows of ``table`` written after ``cursor`` by transactions that are over; (rows, cursor, done).

    The cursor is (transaction id, uuid) of the last row taken. Only rows of transactions below the
    snapshot's xmin are read, so a transaction still open (which may commit rows with a lower id later)
    is never passed: the next pull starts where this one stopped.
    """
    cur_txid, cur_uuid = (cursor or START_CURSOR)[0], (cursor or START_CURSOR)[1]
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in ("uuid", *table.columns))
    with conn.transaction(), conn.cursor() as cur:
        xmin = cur.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()
        hi = str(xmin[0]) if xmin else "0"
        cur.execute(
            sql.SQL("SELECT {}, txid::text FROM {} WHERE (txid, uuid) > (%s::xid8, %s::uuid)"
                    " AND txid < %s::xid8 ORDER BY txid, uuid LIMIT %s").format(cols, _t(table.name)),
            (cur_txid, cur_uuid, hi, limit))
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["uuid"] = str(r["uuid"])
        if r.get("customer_uuid") is not None:
            r["customer_uuid"] = str(r["customer_uuid"])
    if len(rows) == limit:
        last = rows[-1]
        return rows, [last["txid"], last["uuid"]], False
    # Everything below xmin is read: the next pull starts at xmin.
    return rows, [str(max(int(hi) - 1, 0)), _MAX_UUID], True


# -- teams and members (the store owner's tools; also used by the demo and the tests) ------------------------
def add_member(conn: psycopg.Connection[Any], login: str, *, team: str, role: str, name: str | None = None,
               password: str | None = None) -> None:
    """Create the login (if new) in the role's group and make it a member of ``team``. Owner only."""
    if role not in ("agent", "supervisor", "trainer"):
        raise ValueError(f"Unknown team role {role!r}; use agent, supervisor or trainer.")
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(login),
                                                                    sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(f"agent_assist_{role}"),
                                                      sql.Identifier(login)))
        conn.execute("INSERT INTO agent_assist.teams (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (team,))
        conn.execute(
            "INSERT INTO agent_assist.members (login, team_id, role, display_name)"
            " SELECT %s, id, %s, %s FROM agent_assist.teams WHERE name = %s"
            " ON CONFLICT (login, team_id) DO UPDATE SET role = EXCLUDED.role,"
            " display_name = EXCLUDED.display_name",
            (login, role, name or login, team))


def server_error_is_permanent(e: BaseException) -> bool:
    """A refusal that retrying cannot fix (bad data, a permission), as opposed to a lost connection."""
    return isinstance(e, psycopg.errors.DataError | psycopg.errors.IntegrityError |
                      psycopg.errors.InsufficientPrivilege | psycopg.errors.ProgrammingError) and \
        not isinstance(e, psycopg.OperationalError)
