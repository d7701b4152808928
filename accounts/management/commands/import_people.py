"""manage.py import_people people.csv: create and update people, teams and trainers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.provisioning import COLUMNS, ProvisioningError, import_people


class Command(BaseCommand):
    help = (
        f"Create or update people from a CSV file with the columns {', '.join(COLUMNS)} "
        "(team and trainer_of: team names separated by ;). Every row is checked first; "
        "if any is bad nothing is changed. Staff and superuser accounts are never changed "
        "(a row naming one is refused). New people get an invitation email."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the CSV file (UTF-8)")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="deactivate active people without staff status who are not in the file",
        )
        parser.add_argument(
            "--no-invite",
            action="store_true",
            help="send no invitation emails (e.g. people who sign in with single sign-on)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and say what would change"
        )

    def handle(self, *args, **options) -> None:
        try:
            data = Path(options["path"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['path']}: {exc.strerror}") from None
        try:
            result = import_people(
                data,
                deactivate_missing=options["deactivate_missing"],
                invite=not options["no_invite"],
                dry_run=options["dry_run"],
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())
