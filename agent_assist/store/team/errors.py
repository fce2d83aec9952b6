"""Team-store errors: one line each, fit for the status line, a dialog or the CLI."""

from __future__ import annotations

from agent_assist.store.errors import StoreError


class TeamError(StoreError):
    """Base class of the team store's errors."""


class TeamUnavailable(TeamError):
    """The server cannot be reached (down, unreachable host, lost connection). Retry later."""


class TeamAuthFailed(TeamError):
    """The server refused the login (wrong password, unknown role, pg_hba rejects it)."""


class TeamSchemaTooNew(TeamError):
    """The team store was upgraded by a newer app; this one must not write to it."""


class TeamSchemaMissing(TeamError):
    """The database has no team schema yet (run ``agent-assist team init URL``)."""


class TeamNotMember(TeamError):
    """The login is not a member of any team in this store."""
