"""Email each learner whose assignments are due soon or overdue: one email a day at most.

Run it once a day (cron, a systemd timer, a scheduled job). For every active user
with an assignment (their own or their team's), the pending courses are those not
complete, with a due date, and due within ``--days`` days (default 3) or overdue.
A learner with pending courses gets ONE email listing them all, soonest due first,
with links to continue each one.

What was sent is recorded as a ReminderSent row (one per learner per day, a
database constraint), so running the command again on the same day sends nothing
new. The row is claimed before the email is sent and removed if sending fails, so
a later run retries; if two runs race, the constraint makes the second one skip
the learner.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from common.language import language_for_user
from progress.rules import CourseState
from training.assignments import AssignedCourse, DueState, assigned_courses
from training.models import Assignment, ReminderSent
from training.services import AUDIT_LANGUAGE

User = get_user_model()

SUBJECT_TEMPLATE = "training/email/reminder_subject.txt"
BODY_TEMPLATE = "training/email/reminder.txt"


@dataclass(frozen=True)
class PendingCourse:
    """One line of the email. Its words are read when the email is written, in the
    recipient's language."""

    title: str
    due: DueState
    course_state: CourseState
    completed: int
    total: int
    awaiting_final: bool
    url: str

    @property
    def due_label(self) -> str:
        return self.due.due_label

    @property
    def state(self) -> str:
        """The course state's label (CourseState), as every page says it."""
        return str(self.course_state.label)

    @classmethod
    def from_assigned(cls, item: AssignedCourse) -> PendingCourse:
        return cls(
            title=item.course.title,
            due=item.due,
            course_state=item.state,
            completed=item.completed,
            total=item.total,
            # Lessons all done, but a whole-course assignment also needs the final.
            awaiting_final=item.lesson_ids is None and item.state == CourseState.AWAITING_FINAL,
            url=absolute_url(reverse("courses:continue", args=[item.course.slug])),
        )


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def pending_courses(learner, today: datetime.date, days: int) -> list[PendingCourse]:
    """The learner's incomplete assignments due within ``days`` days or overdue."""
    return [
        PendingCourse.from_assigned(item)
        for item in assigned_courses(learner, today)
        if not item.is_complete
        and item.due_date is not None
        and (item.due_date - today).days <= days
        and item.total > 0  # nothing the learner could do (all chosen lessons retired)
    ]


def candidates(today: datetime.date, days: int) -> QuerySet:
    """Active users with at least one assignment (theirs or a team's) due by the cutoff.

    The due date that applies to a learner is one of their assignments' (see
    training.assignments.due_state), so a user with no assignment due by the
    cutoff can have nothing pending; one query, no duplicates.
    """
    due = Assignment.objects.filter(due_date__lte=today + datetime.timedelta(days=days))
    return (
        User.objects.filter(is_active=True)
        .filter(
            Exists(due.filter(learner=OuterRef("pk")))
            | Exists(due.filter(team__members=OuterRef("pk")))
        )
        .select_related("profile")  # the language each email is written in
        .order_by("username", "pk")
    )


def parse_date(value: str | datetime.date | None) -> datetime.date:
    if value is None:
        return timezone.localdate()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


def describe(items: list[PendingCourse]) -> str:
    """What the email listed, for the ReminderSent record and the command's output:
    English, like every record, whatever language the email was written in."""
    with translation.override(AUDIT_LANGUAGE):
        return "\n".join(f"{item.title} ({item.due_label})" for item in items)


class Command(BaseCommand):
    help = (
        "Email each learner whose assignments are due within --days days or overdue, "
        "one email listing everything pending; at most one email per learner per day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=3,
            help="Remind about assignments due within this many days (default: 3).",
        )
        parser.add_argument(
            "--date",
            default=None,
            help="Run as if today were this date, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List who would get which reminder; send and record nothing.",
        )

    def handle(self, *args, days: int, date: str | None, dry_run: bool, **options) -> None:
        today = parse_date(date)
        if not isinstance(days, int) or days < 0:
            raise CommandError(f"--days must be 0 or more, not {days!r}.")
        already_sent = set(
            ReminderSent.objects.filter(sent_on=today).values_list("learner_id", flat=True)
        )
        sent = skipped_sent = skipped_no_email = 0
        failures: list[str] = []

        for user in candidates(today, days).iterator():
            if user.pk in already_sent:
                skipped_sent += 1
                continue
            items = pending_courses(user, today, days)
            if not items:
                continue
            if not user.email:
                skipped_no_email += 1
                continue
            line = f"{user.username} <{user.email}>: {', '.join(i.title for i in items)}"
            if dry_run:
                self.stdout.write(f"Would remind {line}")
                sent += 1
                continue
            try:
                if self.send(user, items, today):
                    self.stdout.write(f"Reminded {line}")
                    sent += 1
                else:  # another run got there first
                    skipped_sent += 1
            except Exception as exc:  # the claim was removed: a later run retries
                failures.append(user.username)
                self.stderr.write(f"Could not remind {user.username} <{user.email}>: {exc}")

        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(
            f"{verb} {sent} reminder{'s' if sent != 1 else ''} "
            f"({skipped_sent} already sent today, "
            f"{skipped_no_email} without an email address)."
        )
        if failures:
            raise CommandError(
                f"{len(failures)} reminder{'s' if len(failures) != 1 else ''} could not be "
                f"sent ({', '.join(failures)}); run the command again to retry."
            )

    def send(self, user, items: list[PendingCourse], today: datetime.date) -> bool:
        """Record and send one reminder; False if one was already recorded today."""
        context = {
            "name": user.first_name or user.username,
            "items": items,
            "my_learning_url": absolute_url(reverse("courses:my_learning")),
        }
        with translation.override(language_for_user(user)):
            subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
            body = render_to_string(BODY_TEMPLATE, context)
        # Claim today's reminder first, in a short transaction: the unique constraint
        # (learner, sent_on) settles two concurrent runs, and no database lock is held
        # while the mail server answers (SQLite locks the whole database for writes).
        with transaction.atomic():
            record, created = ReminderSent.objects.get_or_create(
                learner=user, sent_on=today, defaults={"courses": describe(items)}
            )
        if not created:
            return False
        try:
            EmailMessage(subject, body, to=[user.email]).send(fail_silently=False)
        except Exception:
            record.delete()  # not sent: a later run retries
            raise
        return True
