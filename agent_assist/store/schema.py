"""The schema, as an ordered list of migrations. Append new ones at the end; never edit a released one.

Times are ISO-8601 text in UTC (``2026-11-23T19:25:00``); dates are ``YYYY-MM-DD``. Every table that can be
imported has a unique ``external_id`` so re-imports upsert instead of duplicating.

Why this file is over 400 lines: the migrations, frozen in order; a migration never changes once shipped, so
the file only grows.
"""

from __future__ import annotations

from sqlite_utils import Database

from agent_assist.store.migrations import migration


@migration("create migrations table")
def m001_migrations(db: Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )


@migration("core tables: agents, customers, interactions, orders, issues, calls, tasks")
def m002_core(db: Database) -> None:
    db.table("agents").create(
        {"id": int, "external_id": str, "name": str, "email": str, "team": str, "created_at": str},
        pk="id",
        not_null={"name"},
    )
    db.table("customers").create(
        {
            "id": int,
            "external_id": str,
            "name": str,
            "email": str,
            "phone": str,  # as given
            "phone_e164": str,  # normalised; what the screen pop looks up
            "customer_since": str,
            "preferred_channel": str,  # phone | email | sms | chat
            "preferred_hours": str,  # "18:00-21:00"
            "city": str,
            "segment": str,
            "notes": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name"},
    )
    db.table("interactions").create(
        {
            "id": int,
            "external_id": str,
            "customer_id": int,
            "agent_id": int,
            "at": str,
            "channel": str,  # call | email | chat | sms
            "direction": str,  # in | out
            "summary": str,
        },
        pk="id",
        not_null={"customer_id", "at", "channel"},
        foreign_keys=[("customer_id", "customers", "id"), ("agent_id", "agents", "id")],
    )
    db.table("orders").create(
        {
            "id": int,
            "external_id": str,
            "customer_id": int,
            "at": str,
            "amount": float,
            "status": str,
            "item": str,
        },
        pk="id",
        not_null={"customer_id", "at"},
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("issues").create(
        {
            "id": int,
            "external_id": str,
            "customer_id": int,
            "opened_at": str,
            "resolved_at": str,
            "status": str,  # open | resolved
            "severity": str,  # low | normal | high | urgent
            "title": str,
            "reopen_count": int,
            "target_hours": float,
        },
        pk="id",
        not_null={"customer_id", "opened_at", "status", "title"},
        defaults={"reopen_count": 0, "target_hours": 72.0, "severity": "normal", "status": "open"},
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("calls").create(
        {
            "id": int,
            "agent_id": int,
            "customer_id": int,
            "phone_e164": str,
            "kind": str,  # call | practice
            "source": str,  # live | file | transcript | demo | practice
            "status": str,  # active | wrapup | done
            "started_at": str,
            "ended_at": str,
            "outcome": str,
            "notes": str,
            "duration_s": float,
            "talk_ratio": float,
            "agent_speech_s": float,
            "customer_speech_s": float,
            "overtalk_s": float,
            "silence_s": float,
            "longest_monologue_s": float,
            "interruptions": int,
            "flags_count": int,
            "summary_json": str,
        },
        pk="id",
        not_null={"agent_id", "started_at", "status", "kind"},
        defaults={"status": "active", "kind": "call", "flags_count": 0},
        foreign_keys=[("agent_id", "agents", "id"), ("customer_id", "customers", "id")],
    )
    db.table("speech_segments").create(
        {"id": int, "call_id": int, "party": str, "start_s": float, "end_s": float},
        pk="id",
        not_null={"call_id", "party", "start_s", "end_s"},
        foreign_keys=[("call_id", "calls", "id")],
    )
    db.table("utterances").create(
        {
            "id": int,
            "call_id": int,
            "party": str,
            "start_s": float,
            "text": str,  # redacted before it is stored
            "redacted": int,
        },
        pk="id",
        not_null={"call_id", "party", "text"},
        defaults={"redacted": 0},
        foreign_keys=[("call_id", "calls", "id")],
    )
    db.table("phrasing_flags").create(
        {
            "id": int,
            "call_id": int,
            "utterance_id": int,
            "category": str,
            "start": int,
            "end": int,
            "reason": str,
            "suggestion": str,
        },
        pk="id",
        not_null={"call_id", "category"},
        foreign_keys=[("call_id", "calls", "id"), ("utterance_id", "utterances", "id")],
    )
    db.table("tasks").create(
        {
            "id": int,
            "agent_id": int,
            "call_id": int,
            "customer_id": int,
            "kind": str,  # parked | callback | follow_up
            "text": str,
            "due_at": str,
            "channel": str,
            "done": int,
            "created_at": str,
            "done_at": str,
            "redacted": int,
        },
        pk="id",
        not_null={"kind", "text", "created_at"},
        defaults={"done": 0, "redacted": 0},
        foreign_keys=[("agent_id", "agents", "id"), ("call_id", "calls", "id"), ("customer_id", "customers", "id")],
    )
    db.table("practice_attempts").create(
        {
            "id": int,
            "call_id": int,
            "scenario": str,
            "trainee_id": int,
            "started_at": str,
            "score": float,
            "goals_met": int,
            "goals_total": int,
            "result_json": str,
        },
        pk="id",
        not_null={"call_id", "scenario", "started_at"},
        foreign_keys=[("call_id", "calls", "id"), ("trainee_id", "agents", "id")],
    )


@migration("indexes for the screen pop, history, review and work list")
def m003_indexes(db: Database) -> None:
    stmts = [
        "CREATE UNIQUE INDEX idx_agents_ext ON agents(external_id)",
        "CREATE UNIQUE INDEX idx_customers_ext ON customers(external_id)",
        "CREATE INDEX idx_customers_phone ON customers(phone_e164)",
        "CREATE INDEX idx_customers_email ON customers(email COLLATE NOCASE)",
        "CREATE UNIQUE INDEX idx_interactions_ext ON interactions(external_id)",
        "CREATE INDEX idx_interactions_customer_at ON interactions(customer_id, at DESC)",
        "CREATE UNIQUE INDEX idx_orders_ext ON orders(external_id)",
        "CREATE INDEX idx_orders_customer_at ON orders(customer_id, at DESC)",
        "CREATE UNIQUE INDEX idx_issues_ext ON issues(external_id)",
        "CREATE INDEX idx_issues_customer_status ON issues(customer_id, status, opened_at)",
        "CREATE INDEX idx_calls_agent_started ON calls(agent_id, started_at)",
        "CREATE INDEX idx_calls_started ON calls(started_at)",
        "CREATE INDEX idx_calls_customer ON calls(customer_id, started_at)",
        "CREATE INDEX idx_calls_status ON calls(status)",
        "CREATE INDEX idx_segments_call ON speech_segments(call_id, start_s)",
        "CREATE INDEX idx_utterances_call ON utterances(call_id, start_s)",
        "CREATE INDEX idx_flags_call ON phrasing_flags(call_id, category)",
        "CREATE INDEX idx_tasks_agent_open ON tasks(agent_id, done, due_at)",
        "CREATE INDEX idx_tasks_call ON tasks(call_id)",
        "CREATE INDEX idx_tasks_customer ON tasks(customer_id)",
        "CREATE INDEX idx_attempts_trainee ON practice_attempts(trainee_id, started_at)",
        "CREATE INDEX idx_attempts_call ON practice_attempts(call_id)",
    ]
    for s in stmts:
        db.execute(s)


@migration("full-text search over customer names, e-mails and issue titles")
def m004_fts(db: Database) -> None:
    db.table("customers").enable_fts(["name", "email"], create_triggers=True, tokenize="unicode61")
    db.table("issues").enable_fts(["title"], create_triggers=True, tokenize="unicode61")


@migration("indexes for the review table: sort columns, kind, issue windows, flag categories")
def m005_review_indexes(db: Database) -> None:
    # The review table always filters status = 'done'; (status, column) serves both that filter and
    # "ORDER BY column LIMIT n OFFSET m" for each sortable column, so no page sorts every call.
    cols = ["started_at", "talk_ratio", "duration_s", "overtalk_s", "longest_monologue_s", "flags_count"]
    stmts = [f"CREATE INDEX IF NOT EXISTS idx_calls_status_{c} ON calls(status, {c})" for c in cols]
    stmts += [
        "CREATE INDEX IF NOT EXISTS idx_calls_kind_started ON calls(kind, status, started_at)",
        "CREATE INDEX IF NOT EXISTS idx_flags_category_call ON phrasing_flags(category, call_id)",
        "CREATE INDEX IF NOT EXISTS idx_issues_customer_opened ON issues(customer_id, opened_at)",
        "CREATE INDEX IF NOT EXISTS idx_issues_customer_resolved ON issues(customer_id, resolved_at)",
    ]
    for s in stmts:
        db.execute(s)


# Frozen here, not imported: a migration must do the same thing forever, whatever later code adds.
_FLAG_CATEGORIES = ("leading", "loaded", "negative", "negative_language", "over_promise")


@migration("per-category flag counts on calls, kept by triggers, indexed for sorting")
def m006_call_flag_counts(db: Database) -> None:
    # The review table shows and sorts by flags per category. As correlated sub-queries those cost a
    # count per row for every row a sort or an OFFSET passes (0.6-1 s to sort 100k calls by one
    # category); stored on the call they are a column like flags_count. Triggers keep them right for
    # every writer (live calls, practice, imports, demo data), so no code path can forget them.
    for cat in _FLAG_CATEGORIES:
        db.execute(f"ALTER TABLE calls ADD COLUMN flags_{cat} INTEGER NOT NULL DEFAULT 0")
    sets = ", ".join(
        f"flags_{c} = (SELECT count(*) FROM phrasing_flags f WHERE f.call_id = calls.id AND f.category = '{c}')"
        for c in _FLAG_CATEGORIES)
    db.execute(f"UPDATE calls SET {sets} WHERE id IN (SELECT DISTINCT call_id FROM phrasing_flags)")

    def delta(row: str, sign: str) -> str:
        return ", ".join(f"flags_{c} = flags_{c} {sign} ({row}.category = '{c}')" for c in _FLAG_CATEGORIES)

    db.execute("CREATE TRIGGER trg_flags_insert AFTER INSERT ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('NEW', '+')} WHERE id = NEW.call_id; END")
    db.execute("CREATE TRIGGER trg_flags_delete AFTER DELETE ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('OLD', '-')} WHERE id = OLD.call_id; END")
    db.execute("CREATE TRIGGER trg_flags_update AFTER UPDATE OF call_id, category ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('OLD', '-')} WHERE id = OLD.call_id; "
               f"UPDATE calls SET {delta('NEW', '+')} WHERE id = NEW.call_id; END")
    for cat in _FLAG_CATEGORIES:
        db.execute(f"CREATE INDEX idx_calls_status_flags_{cat} ON calls(status, flags_{cat})")
    # A database that has statistics (ANALYZE ran, e.g. after the demo build) must get them for the new
    # indexes too: without, the planner took one of them for "status = 'done'" and sorted 100k calls for
    # the default page (2 ms -> 240 ms).
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        for cat in _FLAG_CATEGORIES:
            db.execute(f"ANALYZE idx_calls_status_flags_{cat}")


# Frozen here like _FLAG_CATEGORIES: (table, condition on NEW for the row to be sent, pulled from the team).
_CALL_DONE = "(SELECT status FROM calls WHERE id = NEW.call_id) = 'done'"
_TEAM_SYNCED = (
    ("customers", None, True),
    ("issues", None, True),
    ("interactions", None, True),
    ("calls", "NEW.status = 'done'", False),
    ("speech_segments", _CALL_DONE, False),
    ("utterances", _CALL_DONE, False),
    ("phrasing_flags", _CALL_DONE, False),
    ("tasks", f"(NEW.call_id IS NULL OR {_CALL_DONE})", False),
    ("practice_attempts", _CALL_DONE, False),
)


@migration("team mode: a uuid per synced row, updated_at on the directory, the outbox filled by triggers")
def m_team_outbox(db: Database) -> None:
    # Team mode (agent_assist.store.team): every write to a synced table queues its row id in team_outbox
    # in the writer's own transaction, by trigger, so no writer can forget it and a crash can never
    # separate the row from its queue entry. Triggers do nothing until the desk joins a team
    # (team_state.enabled); while the puller applies the team's rows (team_state.applying) they stay
    # quiet so pulled rows are not sent back. Uuids are filled by the pusher before a row is first sent
    # (ALTER TABLE cannot add a column with a random default, and filling them at send time costs the
    # writers nothing); once sent, a row keeps its uuid forever.
    db.execute(
        "CREATE TABLE team_state ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL DEFAULT 0,"
        " applying INTEGER NOT NULL DEFAULT 0, store_id TEXT, url TEXT, login TEXT, role TEXT,"
        " joined_at TEXT, backfill_seq INTEGER, last_push TEXT, last_pull TEXT, last_error TEXT,"
        " pull_cursors TEXT NOT NULL DEFAULT '{}')"
    )
    db.execute("INSERT INTO team_state (id) VALUES (1)")
    db.execute(
        "CREATE TABLE team_outbox ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row_id INTEGER NOT NULL,"
        " op TEXT NOT NULL DEFAULT 'upsert', uuid TEXT,"
        " queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')))"
    )
    db.execute(
        "CREATE TABLE team_rejected ("
        " seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, row_id INTEGER NOT NULL, op TEXT NOT NULL,"
        " uuid TEXT, error TEXT NOT NULL, at TEXT NOT NULL)"
    )
    for t, cond, pulled in _TEAM_SYNCED:
        db.execute(f"ALTER TABLE {t} ADD COLUMN uuid TEXT")
        db.execute(f"CREATE UNIQUE INDEX idx_{t}_uuid ON {t}(uuid)")
        gate = "(SELECT enabled AND NOT applying FROM team_state WHERE id = 1)" if pulled else \
            "(SELECT enabled FROM team_state WHERE id = 1)"
        extra = f" AND {cond}" if cond else ""
        enqueue = f"INSERT INTO team_outbox (tbl, row_id) VALUES ('{t}', NEW.rowid);"
        db.execute(f"CREATE TRIGGER trg_{t}_outbox_insert AFTER INSERT ON {t}"
                   f" WHEN {gate}{extra} BEGIN {enqueue} END")
        # The pusher's own uuid fill (NULL -> value) is not an edit and queues nothing.
        db.execute(f"CREATE TRIGGER trg_{t}_outbox_update AFTER UPDATE ON {t}"
                   f" WHEN {gate}{extra} AND NOT (OLD.uuid IS NULL AND NEW.uuid IS NOT NULL)"
                   f" BEGIN {enqueue} END")
        if not pulled:
            db.execute(f"CREATE TRIGGER trg_{t}_outbox_delete AFTER DELETE ON {t}"
                       f" WHEN {gate} AND OLD.uuid IS NOT NULL BEGIN"
                       f" INSERT INTO team_outbox (tbl, row_id, op, uuid) VALUES ('{t}', OLD.rowid, 'delete',"
                       " OLD.uuid); END")
    for t in ("customers", "issues"):
        db.execute(f"ALTER TABLE {t} ADD COLUMN updated_at TEXT")
        # Stamps a local edit for the last-writer-wins rule, unless the writer (or the puller) set it.
        db.execute(
            f"CREATE TRIGGER trg_{t}_updated_at AFTER UPDATE ON {t}"
            " WHEN NEW.updated_at IS OLD.updated_at AND NOT (OLD.uuid IS NULL AND NEW.uuid IS NOT NULL)"
            " AND (SELECT enabled AND NOT applying FROM team_state WHERE id = 1)"
            f" BEGIN UPDATE {t} SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now')"
            " WHERE rowid = NEW.rowid; END"
        )
    # A call that becomes finished brings what was written during it: its segments, utterances, flags,
    # tasks and practice attempt were not sent while the call was open.
    children = "".join(
        f"INSERT INTO team_outbox (tbl, row_id) SELECT '{t}', rowid FROM {t} WHERE call_id = NEW.id;"
        for t in ("speech_segments", "utterances", "phrasing_flags", "tasks", "practice_attempts"))
    db.execute("CREATE TRIGGER trg_calls_outbox_finished AFTER UPDATE OF status ON calls"
               " WHEN (SELECT enabled FROM team_state WHERE id = 1) AND NEW.status = 'done'"
               f" AND OLD.status IS NOT 'done' BEGIN {children} END")


# Frozen here as well: the category ids after "negative" became "blaming" (coach.flags).
_FLAG_CATEGORIES_7 = ("leading", "loaded", "blaming", "negative_language", "over_promise")


@migration("phrasing flag category 'negative' renamed 'blaming' (flags, per-call column, triggers, index)")
def m008_flag_category_blaming(db: Database) -> None:
    # The coach now flags blaming statements as well as questions under one id, "blaming". Stored flags
    # and the per-call count column follow, so Review, the CSV and the PDF name them the same way.
    for t in ("trg_flags_insert", "trg_flags_delete", "trg_flags_update"):
        db.execute(f"DROP TRIGGER IF EXISTS {t}")
    db.execute("UPDATE phrasing_flags SET category = 'blaming' WHERE category = 'negative'")
    db.execute("DROP INDEX IF EXISTS idx_calls_status_flags_negative")
    db.execute("ALTER TABLE calls RENAME COLUMN flags_negative TO flags_blaming")
    db.execute("UPDATE calls SET flags_blaming = (SELECT count(*) FROM phrasing_flags f WHERE f.call_id = calls.id"
               " AND f.category = 'blaming') WHERE id IN (SELECT call_id FROM phrasing_flags WHERE category = 'blaming')")

    def delta(row: str, sign: str) -> str:
        return ", ".join(f"flags_{c} = flags_{c} {sign} ({row}.category = '{c}')" for c in _FLAG_CATEGORIES_7)

    db.execute("CREATE TRIGGER trg_flags_insert AFTER INSERT ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('NEW', '+')} WHERE id = NEW.call_id; END")
    db.execute("CREATE TRIGGER trg_flags_delete AFTER DELETE ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('OLD', '-')} WHERE id = OLD.call_id; END")
    db.execute("CREATE TRIGGER trg_flags_update AFTER UPDATE OF call_id, category ON phrasing_flags BEGIN "
               f"UPDATE calls SET {delta('OLD', '-')} WHERE id = OLD.call_id; "
               f"UPDATE calls SET {delta('NEW', '+')} WHERE id = NEW.call_id; END")
    db.execute("CREATE INDEX idx_calls_status_flags_blaming ON calls(status, flags_blaming)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute("ANALYZE idx_calls_status_flags_blaming")


@migration("coaching comments and bookmarks a supervisor leaves on a call")
def m_coaching_comments(db: Database) -> None:
    # One row per comment; ``at_s`` set makes it a bookmark on that moment of the call (seconds from its
    # start), NULL a comment on the whole call. The author is whoever was signed in on the desk.
    db.execute(
        "CREATE TABLE coaching_comments ("
        " id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,"
        " author_id INTEGER, author TEXT, created_at TEXT NOT NULL, at_s REAL, text TEXT NOT NULL DEFAULT '')"
    )
    db.execute("CREATE INDEX idx_coaching_comments_call ON coaching_comments(call_id, at_s)")


@migration("speech transcripts: redacted recognised lines per call, full-text searchable (FTS5)")
def m008_transcripts(db: Database) -> None:
    # Recognised speech is kept apart from typed utterances: it has an end time, it is deleted after
    # the retention period while the call's figures and flag counts stay, and a setting can switch
    # storing it off. Its flags also go to phrasing_flags (utterance_id NULL) so Review counts them.
    db.execute(
        "CREATE TABLE transcript_lines ("
        " id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES calls(id),"
        " party TEXT NOT NULL, start_s REAL NOT NULL, end_s REAL NOT NULL, text TEXT NOT NULL,"
        " flags_json TEXT NOT NULL DEFAULT '[]', stored_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_transcript_call_start ON transcript_lines(call_id, start_s)")
    db.execute("CREATE INDEX idx_transcript_stored ON transcript_lines(stored_at)")
    db.execute("CREATE VIRTUAL TABLE transcript_fts USING fts5(text, content='transcript_lines', "
               "content_rowid='id', tokenize='unicode61')")
    db.execute("CREATE TRIGGER trg_transcript_ai AFTER INSERT ON transcript_lines BEGIN "
               "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END")
    db.execute("CREATE TRIGGER trg_transcript_ad AFTER DELETE ON transcript_lines BEGIN "
               "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); END")
    db.execute("CREATE TRIGGER trg_transcript_au AFTER UPDATE OF text ON transcript_lines BEGIN "
               "INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); "
               "INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END")


@migration("live calls: the softphone's call id, ring/answer/hold times, wrap-up draft, the issue of the call")
def m_live_call_lifecycle(db: Database) -> None:
    # A live call now lives through ringing -> active <-> held -> wrapup -> done, or ringing -> missed
    # (status). started_at stays the ring time so every existing reader keeps working; talk time counts
    # from answered_at and leaves out the time on hold (held_s).
    for col, kind in (("call_ref", "TEXT"), ("display_name", "TEXT"), ("rang_at", "TEXT"),
                      ("answered_at", "TEXT"), ("held_at", "TEXT"), ("held_s", "REAL NOT NULL DEFAULT 0"),
                      ("end_cause", "TEXT"), ("wrapup_started_at", "TEXT"), ("wrapup_draft", "TEXT"),
                      ("issue_id", "INTEGER REFERENCES issues(id)")):
        db.execute(f"ALTER TABLE calls ADD COLUMN {col} {kind}")
    # (status, started_at) for "the newest ringing/active call" is idx_calls_status_started_at (m005)
    db.execute("CREATE INDEX idx_calls_ref ON calls(call_ref)")
    db.execute("CREATE INDEX idx_calls_status_started ON calls(status, started_at)")
