"""Back up and restore the whole database (``manage.py backup_db`` / ``restore_db``).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database as it
is at one moment, safe while the site runs (writers wait for the copy, which is quick).
PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, safe while the site
runs), restored with ``pg_restore --clean --if-exists --no-owner --single-transaction``:
every table is replaced, all or nothing. The PostgreSQL client tools come from Debian's
``postgresql-client`` and must be of the server's major version or newer.

Every row of every table is in a backup, archived runs of progress and attempts
included (``dumpdata`` would need ``--all`` for those: their default manager reads
the current run). A restore replaces what the database holds: stop the site first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"  # pg_dump's custom format


class BackupError(Exception):
    """The backup or restore did not happen; the message says why."""


def backup(path: Path, using: str = "default") -> None:
    """Write a backup of the database to ``path`` (replacing the file only once the
    backup is complete)."""
    connection = connections[using]
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"No folder {path.parent} to write the backup in.")
    partial = path.with_name(path.name + ".partial")
    try:
        if connection.vendor == "sqlite":
            _sqlite_backup(connection, partial)
        elif connection.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--file", str(partial)], connection)
        else:
            raise BackupError(f"No backup for {connection.vendor} databases.")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore(path: Path, using: str = "default") -> None:
    """Replace the database's contents by the backup at ``path``."""
    connection = connections[using]
    path = Path(path)
    if connection.vendor == "sqlite":
        _expect(path, SQLITE_HEADER, "an SQLite backup")
        _sqlite_restore(connection, path)
    elif connection.vendor == "postgresql":
        _expect(path, PG_DUMP_HEADER, "a PostgreSQL backup (pg_dump --format=custom)")
        connection.close()  # holds no lock while pg_restore drops and recreates the tables
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"],
            connection,
            str(path),
        )
    else:
        raise BackupError(f"No restore for {connection.vendor} databases.")


def _sqlite_backup(connection: BaseDatabaseWrapper, target_path: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(target_path)
    try:
        connection.connection.backup(target)
        (result,) = target.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise BackupError(f"The backup failed its integrity check: {result}")
    finally:
        target.close()


def _sqlite_restore(connection: BaseDatabaseWrapper, path: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        (result,) = source.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise BackupError(f"The backup failed its integrity check: {result}")
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()


def _expect(path: Path, header: bytes, what: str) -> None:
    try:
        with path.open("rb") as file:
            start = file.read(len(header))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}") from error
    if start != header:
        raise BackupError(f"{path} is not {what}.")


def _run(command: list[str], connection: BaseDatabaseWrapper, *arguments: str) -> None:
    """Run a PostgreSQL client tool against the connection's database; the password
    goes in the environment, never on the command line (``ps`` shows that)."""
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(f"{command[0]} not found: install Debian's postgresql-client.")
    settings = connection.settings_dict
    env = dict(os.environ)
    options = [("--host", settings["HOST"]), ("--port", settings["PORT"])]
    options += [("--username", settings["USER"]), ("--dbname", settings["NAME"])]
    if settings["PASSWORD"]:
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    if sslmode := settings.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    flags = [f"{name}={value}" for name, value in options if value]
    result = subprocess.run(
        [program, *command[1:], *flags, *arguments], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
