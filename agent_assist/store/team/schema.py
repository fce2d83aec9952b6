"""The team store's schema: numbered migrations of hand-written PostgreSQL SQL, applied by ``migrate``.

Each migration runs once, in one transaction (PostgreSQL's DDL, roles included, is transactional), under
an advisory lock so two ``team init`` runs cannot interleave, and is recorded in
``agent_assist.schema_migrations``. Append new ones at the end; never edit one that was released.

Who sees what (row-level security on every table a desk pushes its own rows to):

- ``agent_assist_agent`` (a desk's login): reads and writes its own rows only (``agent_login =
  current_user``), reads and edits the customer directory (customers, issues, interactions);
- ``agent_assist_supervisor``: reads every row of the agents in its teams (``members``);
- ``agent_assist_trainer``: reads the practice calls and practice attempts of its teams.

The owner of the schema (whoever ran ``team init``) is not subject to the policies; desks must never log
in as it. Times are ISO-8601 UTC text, as in the desk's SQLite file, so both sides sort and filter alike.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "agent_assist"
ROLES = ("agent_assist_agent", "agent_assist_supervisor", "agent_assist_trainer")
# Frozen in the migrations below; kept here for code that builds queries over them.
FLAG_CATEGORIES = ("leading", "loaded", "negative", "negative_language", "over_promise")

_ROLES_SQL = "\n".join(
    f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN CREATE ROLE {r} NOLOGIN; END IF;
EXCEPTION WHEN duplicate_object THEN NULL; END $$;"""
    for r in ROLES
)

_FLAG_COLS = ",\n  ".join(f"flags_{c} integer NOT NULL DEFAULT 0" for c in FLAG_CATEGORIES)

_M001 = f"""
{_ROLES_SQL}

CREATE SCHEMA IF NOT EXISTS agent_assist;
CREATE TABLE agent_assist.store_info (
  id integer PRIMARY KEY CHECK (id = 1),
  store_id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agent_assist.store_info (id) VALUES (1);

CREATE TABLE agent_assist.teams (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE agent_assist.members (
  login name NOT NULL,
  team_id integer NOT NULL REFERENCES agent_assist.teams ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('agent', 'supervisor', 'trainer')),
  display_name text NOT NULL,
  PRIMARY KEY (login, team_id)
);
CREATE INDEX members_team ON agent_assist.members (team_id);

-- The logins a supervisor or trainer may read. Policies call it as an uncorrelated sub-select, so it is
-- evaluated once per query (an InitPlan), not once per row.
CREATE FUNCTION agent_assist.visible_logins(who name) RETURNS name[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(DISTINCT a.login), '{{}}')
  FROM agent_assist.members a JOIN agent_assist.members me ON me.team_id = a.team_id
  WHERE me.login = who AND me.role IN ('supervisor', 'trainer')
$$;

-- Pull cursor: every directory row carries the id of the transaction that last wrote it. A desk pulls
-- rows below the snapshot's xmin (all of them committed or gone), so no concurrent writer is skipped.
CREATE FUNCTION agent_assist.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.txid := pg_current_xact_id();
  NEW.updated_by := current_user;
  RETURN NEW;
END $$;

CREATE TABLE agent_assist.customers (
  uuid uuid PRIMARY KEY,
  external_id text, name text NOT NULL, email text, phone text, phone_e164 text, customer_since text,
  preferred_channel text, preferred_hours text, city text, segment text, notes text,
  created_at text, updated_at text,
  updated_by name NOT NULL DEFAULT current_user,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE agent_assist.issues (
  uuid uuid PRIMARY KEY,
  external_id text, customer_uuid uuid, opened_at text NOT NULL, resolved_at text,
  status text NOT NULL, severity text, title text NOT NULL, reopen_count integer, target_hours float8,
  updated_at text,
  updated_by name NOT NULL DEFAULT current_user,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE TABLE agent_assist.interactions (
  uuid uuid PRIMARY KEY,
  external_id text, customer_uuid uuid, at text NOT NULL, channel text NOT NULL, direction text,
  summary text,
  updated_by name NOT NULL DEFAULT current_user,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX customers_txid ON agent_assist.customers (txid, uuid);
CREATE INDEX customers_ext ON agent_assist.customers (external_id);
CREATE INDEX customers_phone ON agent_assist.customers (phone_e164);
CREATE INDEX issues_txid ON agent_assist.issues (txid, uuid);
CREATE INDEX issues_customer_opened ON agent_assist.issues (customer_uuid, opened_at);
CREATE INDEX issues_customer_resolved ON agent_assist.issues (customer_uuid, resolved_at);
CREATE INDEX interactions_txid ON agent_assist.interactions (txid, uuid);
CREATE INDEX interactions_customer_at ON agent_assist.interactions (customer_uuid, at);
CREATE TRIGGER customers_touch BEFORE UPDATE ON agent_assist.customers
  FOR EACH ROW EXECUTE FUNCTION agent_assist.touch();
CREATE TRIGGER issues_touch BEFORE UPDATE ON agent_assist.issues
  FOR EACH ROW EXECUTE FUNCTION agent_assist.touch();
CREATE TRIGGER interactions_touch BEFORE UPDATE ON agent_assist.interactions
  FOR EACH ROW EXECUTE FUNCTION agent_assist.touch();

CREATE TABLE agent_assist.calls (
  uuid uuid PRIMARY KEY,
  agent_login name NOT NULL DEFAULT current_user,
  agent_name text, customer_uuid uuid, customer_name text, phone_e164 text,
  kind text NOT NULL, source text, status text NOT NULL, started_at text NOT NULL, ended_at text,
  outcome text, notes text,
  duration_s float8, talk_ratio float8, agent_speech_s float8, customer_speech_s float8,
  overtalk_s float8, silence_s float8, longest_monologue_s float8, interruptions integer,
  flags_count integer NOT NULL DEFAULT 0,
  {_FLAG_COLS},
  summary_json text,
  pushed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE agent_assist.speech_segments (
  uuid uuid PRIMARY KEY, agent_login name NOT NULL DEFAULT current_user,
  call_uuid uuid NOT NULL, party text NOT NULL, start_s float8 NOT NULL, end_s float8 NOT NULL
);
CREATE TABLE agent_assist.utterances (
  uuid uuid PRIMARY KEY, agent_login name NOT NULL DEFAULT current_user,
  call_uuid uuid NOT NULL, party text NOT NULL, start_s float8, text text NOT NULL, redacted integer
);
CREATE TABLE agent_assist.phrasing_flags (
  uuid uuid PRIMARY KEY, agent_login name NOT NULL DEFAULT current_user,
  call_uuid uuid NOT NULL, utterance_uuid uuid, category text NOT NULL, span_start integer,
  span_end integer, reason text, suggestion text
);
CREATE TABLE agent_assist.tasks (
  uuid uuid PRIMARY KEY, agent_login name NOT NULL DEFAULT current_user,
  call_uuid uuid, customer_uuid uuid, kind text NOT NULL, text text NOT NULL, due_at text,
  channel text, done integer NOT NULL DEFAULT 0, created_at text NOT NULL, done_at text,
  redacted integer
);
CREATE TABLE agent_assist.practice_attempts (
  uuid uuid PRIMARY KEY, agent_login name NOT NULL DEFAULT current_user,
  call_uuid uuid NOT NULL, scenario text NOT NULL, started_at text NOT NULL, score float8,
  goals_met integer, goals_total integer, result_json text
);
CREATE INDEX calls_agent_started ON agent_assist.calls (agent_login, started_at);
CREATE INDEX segments_call ON agent_assist.speech_segments (call_uuid, start_s);
CREATE INDEX utterances_call ON agent_assist.utterances (call_uuid, start_s);
CREATE INDEX flags_call ON agent_assist.phrasing_flags (call_uuid);
CREATE INDEX tasks_call ON agent_assist.tasks (call_uuid);
CREATE INDEX attempts_call ON agent_assist.practice_attempts (call_uuid);

GRANT USAGE ON SCHEMA agent_assist TO agent_assist_agent, agent_assist_supervisor, agent_assist_trainer;
GRANT SELECT ON agent_assist.schema_migrations, agent_assist.store_info, agent_assist.teams,
  agent_assist.members, agent_assist.customers, agent_assist.issues, agent_assist.interactions
  TO agent_assist_agent, agent_assist_supervisor, agent_assist_trainer;
GRANT INSERT, UPDATE ON agent_assist.customers, agent_assist.issues, agent_assist.interactions
  TO agent_assist_agent;
"""

_OWNED = ("calls", "speech_segments", "utterances", "phrasing_flags", "tasks", "practice_attempts")
_VISIBLE = "agent_login = ANY ((SELECT agent_assist.visible_logins(current_user))::name[])"
_M001 += "\n".join(
    f"""ALTER TABLE agent_assist.{t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON agent_assist.{t} FOR ALL TO agent_assist_agent
  USING (agent_login = current_user) WITH CHECK (agent_login = current_user);
CREATE POLICY team_rows ON agent_assist.{t} FOR SELECT TO agent_assist_supervisor USING ({_VISIBLE});
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_assist.{t} TO agent_assist_agent;
GRANT SELECT ON agent_assist.{t} TO agent_assist_supervisor;"""
    for t in _OWNED
)
_M001 += f"""
CREATE POLICY practice_rows ON agent_assist.calls FOR SELECT TO agent_assist_trainer
  USING (kind = 'practice' AND {_VISIBLE});
CREATE POLICY practice_rows ON agent_assist.practice_attempts FOR SELECT TO agent_assist_trainer
  USING ({_VISIBLE});
GRANT SELECT ON agent_assist.calls, agent_assist.practice_attempts TO agent_assist_trainer;
"""

# The review table sorts by these and always filters status = 'done'; as for the desk (migration 5 of the
# SQLite schema) one (status, column, uuid) index per sort column keeps every first page an index scan.
_SORTS = ("started_at", "talk_ratio", "duration_s", "overtalk_s", "longest_monologue_s", "flags_count",
          *(f"flags_{c}" for c in FLAG_CATEGORIES))
_M002 = "\n".join(
    f"CREATE INDEX calls_review_{c} ON agent_assist.calls (status, {c}, uuid);" for c in _SORTS
) + "\nCREATE INDEX calls_review_kind ON agent_assist.calls (kind, status, started_at, uuid);"

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("roles, directory, desk tables, row-level security", _M001),
    ("review indexes: one per sort column", _M002),
)


def latest_version() -> int:
    return len(MIGRATIONS)


def current_version(conn: Any) -> int | None:
    """The store's schema version, or None when the database has no team schema."""
    row = conn.execute("SELECT to_regclass('agent_assist.schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    v = conn.execute("SELECT coalesce(max(version), 0) FROM agent_assist.schema_migrations").fetchone()
    return int(v[0]) if v else 0


def migrate(conn: Any, upto: int | None = None) -> tuple[int, list[str]]:
    """Create or upgrade the schema (to ``upto``); returns (version, names applied). Idempotent.

    ``conn`` is a psycopg connection of a role allowed to create schemas and roles (the store's owner).
    Raises :class:`TeamSchemaTooNew` for a store written by a newer app, touching nothing.
    """
    from agent_assist.store.team.errors import TeamSchemaTooNew

    target = latest_version() if upto is None else upto
    applied: list[str] = []
    with conn.transaction():
        # One init at a time per database; the lock ends with the transaction.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('agent_assist.schema'))")
        current = current_version(conn)
        if current is None:
            conn.execute("CREATE SCHEMA IF NOT EXISTS agent_assist")
            conn.execute(
                "CREATE TABLE agent_assist.schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = 0
        if current > latest_version():
            raise TeamSchemaTooNew(
                f"The team store's schema is version {current}; this app knows up to "
                f"{latest_version()}. Update Agent Assist; nothing was changed."
            )
        for version in range(current + 1, target + 1):
            name, sql = MIGRATIONS[version - 1]
            conn.execute(sql)
            conn.execute(
                "INSERT INTO agent_assist.schema_migrations (version, name) VALUES (%s, %s)",
                (version, name),
            )
            applied.append(name)
    return max(current, target), applied
