"""``run_scheduled``: the recurring work of compliance training, in one place.

Each step is safe to run every few minutes and again after a crash: what it did is
recorded with what it sent (renewals, reminder steps, lapse notices), and a record is
claimed before its email goes out. Two runs at once (a timer on two servers, a slow
run overlapping the next) are kept apart by a lease (:class:`ScheduleLock`); a
killed run's lease lapses after ``LEASE``.

The steps, in order:

1. open the renewals that have come due (training.recertification), each in its
   own transaction, and email each learner whose renewal is new;
2. remind learners of the steps their assignments reached (training.reminders);
3. tell trainers whose learners' completions lapsed (compliance.notices);
4. send the trainers' weekly digests (compliance.digests).
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.digests import send_digests
from compliance.models import ScheduleLock
from compliance.notices import send_lapse_emails, send_renewal_emails
from training.recertification import open_renewal, renewals_due
from training.reminders import ReminderReport, send_reminders

LOCK_NAME = "run_scheduled"
LEASE = datetime.timedelta(minutes=30)


class AlreadyRunning(Exception):
    """Another run_scheduled holds the lease."""


@dataclass
class ScheduledReport:
    renewals: int = 0
    renewal_emails: int = 0
    reminders: ReminderReport = field(default_factory=ReminderReport)
    lapse_emails: int = 0
    digests: int = 0


def take_lease(holder: str) -> bool:
    """Take the lease if it is free or lapsed; one conditional UPDATE decides."""
    now = timezone.now()
    try:
        with transaction.atomic():
            ScheduleLock.objects.get_or_create(
                name=LOCK_NAME, defaults={"held_until": now - datetime.timedelta(seconds=1)}
            )
    except IntegrityError:  # created by a concurrent run meanwhile
        pass
    taken = ScheduleLock.objects.filter(name=LOCK_NAME, held_until__lte=now).update(
        holder=holder, held_until=now + LEASE
    )
    return taken == 1


def release_lease(holder: str) -> None:
    ScheduleLock.objects.filter(name=LOCK_NAME, holder=holder).update(
        holder="", held_until=timezone.now()
    )


def run_scheduled(
    today: datetime.date | None = None, *, say: Callable[[str], None] = lambda line: None
) -> ScheduledReport:
    """Run every step once, under the lease; AlreadyRunning if another run holds it."""
    today = today or timezone.localdate()
    holder = secrets.token_hex(8)
    if not take_lease(holder):
        raise AlreadyRunning("run_scheduled is already running (another process holds its lease).")
    try:
        return _steps(today, say)
    finally:
        release_lease(holder)


def _steps(today: datetime.date, say: Callable[[str], None]) -> ScheduledReport:
    report = ScheduledReport()
    for due in renewals_due(today):
        if open_renewal(due) is not None:
            report.renewals += 1
    report.renewal_emails = send_renewal_emails()
    report.reminders = send_reminders(today, say=say)
    report.lapse_emails = send_lapse_emails(today)
    report.digests = send_digests(today)
    return report
