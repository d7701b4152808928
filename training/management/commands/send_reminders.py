"""Email each learner whose assignments reached a reminder step (training/reminders.py).

``run_scheduled`` (compliance) runs this with the rest of the recurring work; this
command runs the reminders alone. Run either every few minutes or once a day: each
step of each due date is emailed once, at most one email per learner per day.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from training.reminders import Schedule, send_reminders


def parse_date(value: str | datetime.date | None) -> datetime.date:
    if value is None:
        return timezone.localdate()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Email each learner whose assignments reached a reminder step (30, 7 and 1 days "
        "before the due date, then weekly while overdue, by default): one email listing "
        "everything pending; each step once, at most one email per learner per day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Remind only this many days before (one step) instead of the settings' steps.",
        )
        parser.add_argument(
            "--date", default=None, help="Run as if today were this date, YYYY-MM-DD."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be reminded; send nothing."
        )

    def handle(self, *args, days: int | None, date: str | None, dry_run: bool, **options) -> None:
        today = parse_date(date)
        schedule = Schedule.from_settings()
        if days is not None:
            if not isinstance(days, int) or days < 0:
                raise CommandError(f"--days must be 0 or more, not {days!r}.")
            schedule = Schedule((days,), schedule.overdue_every)
        report = send_reminders(today, schedule, dry_run=dry_run, say=self.stdout.write)
        for line in report.failures:
            self.stderr.write(f"Could not remind {line}")
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(
            f"{verb} {report.sent} reminder{'s' if report.sent != 1 else ''} "
            f"({report.skipped_sent} already sent today, "
            f"{report.skipped_no_email} without an email address)."
        )
        if report.failures:
            n = len(report.failures)
            raise CommandError(
                f"{n} reminder{'s' if n != 1 else ''} could not be sent "
                f"({', '.join(report.failures)}); run the command again to retry."
            )
