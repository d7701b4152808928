"""``manage.py backup_db PATH``: a backup of the whole database (common/backup.py).

Backing up is no app's idea: the command lives in the lowest layer, beside the work.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from common.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH, safe while the site runs: SQLite's online "
        "backup API, or pg_dump --format=custom for PostgreSQL. Restore with restore_db."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to write (replaced)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: object, path: Path, database: str, **options: object) -> None:
        started = time.monotonic()
        try:
            backup(path, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        vendor = connections[database].vendor
        self.stdout.write(
            f"Backed up the {vendor} database to {path} "
            f"({path.stat().st_size:,} bytes, {time.monotonic() - started:.1f} s)."
        )
