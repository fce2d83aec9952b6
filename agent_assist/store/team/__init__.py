"""The team store: one PostgreSQL database that many desks push to and pull from (team mode).

``schema`` holds the numbered migrations (hand-written SQL, roles and row-level security), ``tables`` the
one description of every synced table both sides use, ``outbox`` the desk's SQLite side (the outbox the
triggers fill, reading rows to send, applying pulled rows), ``remote`` the PostgreSQL side (connection,
upserts, pulls by transaction cursor) and ``review`` the supervisor's queries over the whole floor.
Nothing here imports Qt.
"""
