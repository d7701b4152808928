"""The recurring work of compliance training (compliance/scheduling.py): renewals,
reminders, lapse notices. Safe to run every few minutes and twice at once; see
docs/compliance.md for a systemd timer and a cron line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.scheduling import AlreadyRunning, run_scheduled
from training.management.commands.send_reminders import parse_date


class Command(BaseCommand):
    help = (
        "Run the recurring work: open renewals that came due (and email the learners), "
        "send the reminders owed, tell trainers whose learners' completions lapsed. "
        "Safe to run every few minutes; a second run at the same time exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", default=None, help="Run as if today were this date, YYYY-MM-DD."
        )

    def handle(self, *args, date: str | None, **options) -> None:
        try:
            report = run_scheduled(parse_date(date), say=self.stdout.write)
        except AlreadyRunning as exc:
            self.stdout.write(str(exc))
            return
        reminders = report.reminders
        self.stdout.write(
            f"Renewals opened: {report.renewals} ({report.renewal_emails} emailed). "
            f"Reminders sent: {reminders.sent}. "
            f"Trainers told of lapses: {report.lapse_emails}. "
            f"Digests sent: {report.digests}."
        )
        if reminders.failures:
            raise CommandError(
                f"{len(reminders.failures)} reminders could not be sent "
                f"({', '.join(reminders.failures)}); the next run retries."
            )
