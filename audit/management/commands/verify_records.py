"""``manage.py verify_records``: recompute every chain of the audit log.

Prints ``OK`` with the counts and exits 0; or names, for each chain that does not
check, the first event that was changed, removed or reordered (audit.verify), and
exits 1."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import verify_all


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chains; name the first event changed, removed or reordered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="Check one chain only, e.g. learner:42.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_all(options["chain"])
        if report.ok:
            counts = f"{report.events} events in {report.chains} chains"
            self.stdout.write(self.style.SUCCESS(f"OK: {counts} verified."))
            return
        for problem in report.problems:
            self.stdout.write(f"FAILED chain {problem.chain}: {problem.detail}")
        raise CommandError(
            f"{len(report.problems)} of {report.chains} chains do not verify "
            f"({report.events} events read).",
            returncode=1,
        )
