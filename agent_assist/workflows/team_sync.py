"""Team mode on a desk: join once, push the outbox, pull the directory; a background worker does it.

Exactly once, whatever fails: a push reads the oldest outbox entries and their rows, sends them in one
PostgreSQL transaction of upserts by uuid, and only after that transaction committed deletes the entries
(``store.team.outbox.ack``). A crash or a lost connection before the commit sends them again later; after
the commit and before the ack it sends them again too, and the upserts by uuid make that a no-op. The
join's upload of the desk's history is the same outbox, so it is resumable and exactly once as well.

Conflict rule, shown in the UI: for customers and issues edited on two desks, the later edit (the desk's
UTC clock when it was made) wins the whole row; with equal times the one pushed last wins. A desk's own
calls, transcripts, flags, tasks and practice attempts have one writer, so they never conflict.

Nothing here imports Qt: the GUI wraps :class:`TeamSyncWorker` and shows :class:`SyncStatus`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlite_utils import Database

from agent_assist.store.team import outbox, remote
from agent_assist.store.team.errors import TeamError, TeamUnavailable
from agent_assist.store.team.tables import BY_NAME, PULLED, TABLES

CONFLICT_RULE = ("Customers and issues edited on two desks: the later edit wins the whole row "
                 "(ties: the one sent last).")
PUSH_BATCH = 5000
PULL_BATCH = 2000


def configured_team_url(settings: Any = None) -> str | None:
    """The team store URL from ``AGENT_ASSIST_TEAM_URL``, else the ``team_url`` setting (None: no team)."""
    import os

    url = os.environ.get("AGENT_ASSIST_TEAM_URL")
    if not url and settings is not None:
        setting = getattr(settings, "extra", {}).get("team_url")
        url = str(setting) if setting else None
    return url or None


@dataclass(frozen=True)
class SyncStatus:
    connected: bool
    pending: int
    last_push: str | None
    last_pull: str | None = None
    joined: bool = False
    role: str | None = None
    login: str | None = None
    backfill_left: int = 0
    rejected: int = 0
    error: str | None = None
    pulled: int = 0  # directory rows this round brought into the desk's replica

    def as_json(self) -> dict[str, Any]:
        return {"connected": self.connected, "pending": self.pending, "last_push": self.last_push,
                "last_pull": self.last_pull, "joined": self.joined, "role": self.role, "login": self.login,
                "backfill_left": self.backfill_left, "rejected": self.rejected, "error": self.error,
                "pulled": self.pulled}

    def line(self) -> str:
        """The desk's status line."""
        if not self.joined:
            return "Team: not joined" + (f" — {self.error}" if self.error else "")
        state = "connected" if self.connected else "offline"
        parts = [f"Team: {state}", f"{self.pending} waiting"]
        if self.backfill_left:
            parts.append(f"history upload {self.backfill_left} left")
        parts.append(f"last push {self.last_push or 'never'}")
        if self.rejected:
            parts.append(f"{self.rejected} refused by the server")
        line = ", ".join(parts)
        return f"{line} — {self.error}" if self.error and not self.connected else line


def status(db: Database, connected: bool = False, pulled: int = 0) -> SyncStatus:
    st = outbox.state(db)
    return SyncStatus(connected=connected, pending=outbox.pending(db), last_push=st.last_push,
                      last_pull=st.last_pull, joined=st.joined, role=st.role, login=st.login,
                      backfill_left=outbox.backfill_left(db), rejected=outbox.rejected(db),
                      error=st.last_error, pulled=pulled)


def join(db: Database, store: remote.TeamStore) -> int:
    """Join the store as this login (once); returns the rows queued for the history upload."""
    ident = store.open()
    role = "agent" if ident.role in ("agent", "owner") else ident.role
    return outbox.join(db, store_id=ident.store_id, url=remote.redact_url(store.url), login=ident.login,
                       role=role)


def push(db: Database, store: remote.TeamStore, batch_size: int = PUSH_BATCH,
         max_batches: int | None = None, on_batch: Callable[[int], None] | None = None) -> int:
    """Send the outbox until it is empty (or ``max_batches``); returns the entries acknowledged.

    Raises :class:`TeamUnavailable` when the server goes away (what was committed is acknowledged, the
    rest stays queued). An entry the server refuses for good is parked in ``team_rejected``.
    """
    if not outbox.state(db).enabled:
        return 0
    done = 0
    limit = batch_size
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = outbox.next_batch(db, limit)
        if not batch.seqs:
            break
        try:
            with store.connection() as conn, conn.transaction():
                for t in TABLES:
                    remote.delete(conn, t, batch.deletes.get(t.name, []))
                    remote.upsert(conn, t, batch.upserts.get(t.name, []))
        except psycopg.Error as e:
            if not remote.server_error_is_permanent(e):
                raise remote.explain(e, store.url) from None
            if len(batch.seqs) > 1:
                limit = max(1, limit // 2)  # narrow down to the entry the server refuses
                continue
            outbox.reject(db, batch.seqs, str(e).strip().splitlines()[0])
            limit = batch_size
            continue
        # The server committed: from here a crash only means sending these rows again, harmlessly.
        outbox.ack(db, batch.seqs)
        done += len(batch.seqs)
        batches += 1
        if on_batch is not None:
            on_batch(done)
    return done


def pull(db: Database, store: remote.TeamStore, batch: int = PULL_BATCH) -> int:
    """Bring the team's customers, issues and interactions changed since the desk's cursors."""
    if not outbox.state(db).joined:
        return 0
    n = 0
    for t in PULLED:
        cursor = outbox.state(db).pull_cursors.get(t.name)
        while True:
            with store.connection() as conn:
                rows, cursor, finished = remote.pull(conn, t, cursor, batch)
            n += outbox.apply_pulled(db, t, rows, cursor)
            if finished:
                break
    return n


@dataclass(frozen=True)
class SyncResult:
    pushed: int
    pulled: int
    pending: int


def sync_once(db: Database, store: remote.TeamStore) -> SyncResult:
    """Join if needed, push everything, pull everything."""
    join(db, store)
    pushed = push(db, store)
    pulled = pull(db, store)
    return SyncResult(pushed, pulled, outbox.pending(db))


class TeamSyncWorker:
    """Pushes and pulls in its own thread with its own SQLite connection, every ``interval_s`` or on
    :meth:`wake`. ``on_status`` is called from that thread with a :class:`SyncStatus` after each round
    (the GUI forwards it with a queued signal). Never raises: faults become the status's ``error``."""

    def __init__(self, db_path: Path | str, url: str, *, interval_s: float = 5.0,
                 on_status: Callable[[SyncStatus], None] | None = None,
                 retry_max_s: float = 60.0) -> None:
        self._db_path = db_path
        self._url = url
        self._interval = interval_s
        self._retry_max = retry_max_s
        self._on_status = on_status
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="team-sync", daemon=False)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _emit(self, st: SyncStatus) -> None:
        if self._on_status is not None:
            self._on_status(st)

    def _open(self) -> Database | None:
        """The desk's database, on this thread. The GUI's db lane may be creating or migrating the same
        file right now (first start); that is waited out, not reported as damage."""
        from agent_assist.store.db import connect
        from agent_assist.store.errors import StoreError

        delay = 0.1
        while not self._stop.is_set():
            try:
                return connect(self._db_path)
            except StoreError as e:
                error = str(e)
            self._emit(SyncStatus(connected=False, pending=0, last_push=None, error=error))
            self._wake.wait(delay)
            delay = min(delay * 2, self._retry_max)
        return None

    def _run(self) -> None:
        db = self._open()
        if db is None:
            return
        store: remote.TeamStore | None = None
        joined = False  # this session checked the login and joined (once; then only push and pull)
        delay = self._interval
        try:
            while not self._stop.is_set():
                connected = False
                pulled = 0
                try:
                    if store is None:
                        store = remote.TeamStore(self._url)
                    if not joined:
                        join(db, store)
                        joined = True
                    push(db, store)
                    pulled = pull(db, store)
                    connected = True
                    outbox.set_error(db, None)
                    delay = self._interval
                except TeamError as e:
                    outbox.set_error(db, str(e))
                    if not isinstance(e, TeamUnavailable) and store is not None:
                        store.close()
                        store = None
                        joined = False
                    delay = min(max(delay * 2, 1.0), self._retry_max)
                except Exception as e:  # a bug must not kill the desk's sync thread silently
                    outbox.set_error(db, f"team sync failed: {type(e).__name__}: {e}")
                    delay = min(max(delay * 2, 1.0), self._retry_max)
                self.rounds += 1
                self._emit(status(db, connected, pulled))
                self._wake.wait(delay)
                self._wake.clear()
        finally:
            if store is not None:
                store.close()
            db.close()


__all__ = [
    "BY_NAME",
    "CONFLICT_RULE",
    "SyncResult",
    "SyncStatus",
    "TeamSyncWorker",
    "configured_team_url",
    "join",
    "pull",
    "push",
    "status",
    "sync_once",
]
