"""The one way rows leave the audit log: emptying the whole database with
``manage.py flush`` (audit/management/commands/flush.py), as the tests do between
transactional tests and a developer does to start again.

The database's triggers (migration 0002) refuse every UPDATE of an event, every
DELETE of an event or a chain's head, and on PostgreSQL TRUNCATE of either, unless
the connection is in maintenance:

- PostgreSQL: the session setting ``audit.maintenance`` is ``on``
  (``set_config``, for this connection only);
- SQLite: the function ``audit_maintenance()`` answers 1. It exists only in
  connections Django opens (registered here when each connection is created), and
  answers 1 only while :func:`maintenance` runs; any other program's connection has
  no such function, so its DELETE fails.

Maintenance allows removing rows, never changing them. Whoever may change the
database's schema may also drop the triggers (the tests do, to tamper behind the
app's back): ``verify_records`` is what finds such changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

FLAG = "audit_maintenance"


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        "audit_maintenance", 0, lambda: 1 if getattr(connection, FLAG, False) else 0
    )


@contextmanager
def maintenance(using: str = "default") -> Iterator[None]:
    """Let the block remove the log's rows (``flush``) on this connection."""
    connection = connections[using]
    setattr(connection, FLAG, True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.maintenance', 'on', false)")
    try:
        yield
    finally:
        setattr(connection, FLAG, False)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.maintenance', 'off', false)")
