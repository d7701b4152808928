"""Reminders: each learner is emailed when an assignment reaches a step of the schedule.

The schedule (settings.REMINDER_DAYS_BEFORE, default 30, 7 and 1 days before the due
date, then every settings.REMINDER_OVERDUE_EVERY_DAYS days while overdue) is decided
by :func:`reminder_step`. A learner with an incomplete assignment at a step not yet
reminded of gets ONE email listing everything pending (due within the first step's
days, or overdue), soonest due first; each step of each due date of each assignment
is recorded as a ReminderNotice (a database constraint), so it is emailed exactly
once however often, and however late, the schedule runs. A renewal's due date is a
new due date (its steps start again). At most one email per learner per day
(ReminderSent): a second step on the same day waits for the next run.

The claim (ReminderSent and the notices) is written in a short transaction before the
email is sent and removed if sending fails, so a later run retries; a concurrent run
finds the claim and skips the learner. ``run_scheduled`` runs this; so does the
older ``send_reminders`` command.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.language import language_for_user
from courses.models import Course
from lessons.models import CourseCompletion
from progress.rules import CourseState
from training.assignments import DueState, latest_renewals
from training.dashboard import covered_rows
from training.models import Assignment, ReminderNotice, ReminderSent, Team
from training.services import AUDIT_LANGUAGE

User = get_user_model()

SUBJECT_TEMPLATE = "training/email/reminder_subject.txt"
BODY_TEMPLATE = "training/email/reminder.txt"


@dataclass(frozen=True)
class Schedule:
    days_before: tuple[int, ...] = (30, 7, 1)
    overdue_every: int = 7

    @classmethod
    def from_settings(cls) -> Schedule:
        return cls(
            tuple(sorted(settings.REMINDER_DAYS_BEFORE, reverse=True)),
            settings.REMINDER_OVERDUE_EVERY_DAYS,
        )

    @property
    def horizon(self) -> int:
        """Items due within this many days are listed (the first step's)."""
        return max(self.days_before, default=0)


def reminder_step(due_date: datetime.date, today: datetime.date, schedule: Schedule) -> str | None:
    """THE reminder rule: the step an assignment due on ``due_date`` is at today, or
    None before the first one. "before-7" from 7 days before until the next step;
    "overdue-0" from the first overdue day, "overdue-1" a period later, and so on."""
    days = (due_date - today).days
    if days < 0:
        return f"overdue-{(-days - 1) // max(schedule.overdue_every, 1)}"
    reached = [step for step in schedule.days_before if days <= step]
    return f"before-{min(reached)}" if reached else None


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class PendingCourse:
    """One line of the email. Its words are read when the email is written, in the
    recipient's language."""

    course_id: int
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
    def from_row(cls, course: Course, due: DueState, state: CourseState) -> PendingCourse:
        applies = due.applies
        return cls(
            course_id=course.pk,
            title=course.title,
            due=due,
            course_state=state,
            completed=applies.completed,
            total=applies.total,
            # Lessons all done, but a whole-course assignment also needs the final.
            awaiting_final=applies.lesson_ids is None and state == CourseState.AWAITING_FINAL,
            url=absolute_url(reverse("courses:continue", args=[course.slug])),
        )


def pending_for(
    learner_ids: Collection[int], today: datetime.date, days: int
) -> dict[int, list[PendingCourse]]:
    """{learner: their incomplete assignments due within ``days`` days or overdue,
    soonest due first}, by the due rule the pages ask, for many learners at once: a
    fixed number of queries per course they are assigned."""
    people = User.objects.filter(pk__in=list(learner_ids))
    assigned = Assignment.objects.filter(
        Q(learner__in=people.values("pk")) | Q(team__members__in=people.values("pk"))
    )
    pending: dict[int, list[PendingCourse]] = {}
    for course in Course.objects.filter(pk__in=assigned.values("course_id")).order_by("pk"):
        for row in covered_rows(course, people, today):
            due = row.due
            if (
                due is None
                or due.is_complete
                or due.due_date is None
                or (due.due_date - today).days > days
                or due.applies.total == 0  # nothing to do (all chosen lessons retired)
            ):
                continue
            item = PendingCourse.from_row(course, due, row.progress.course_state)
            pending.setdefault(row.learner.pk, []).append(item)  # type: ignore[attr-defined]
    for items in pending.values():
        items.sort(key=lambda item: (item.due.due_date, item.title))
    return pending


def describe(items: Iterable[PendingCourse]) -> str:
    """What the email listed, for the ReminderSent record and the output: English,
    like every record, whatever language the email was written in."""
    with translation.override(AUDIT_LANGUAGE):
        return "\n".join(f"{item.title} ({item.due_label})" for item in items)


# Who may be owed a step: cheap, in bulk ------------------------------------------------


@dataclass(frozen=True)
class Step:
    learner_id: int
    assignment_id: int
    course_id: int
    due_date: datetime.date
    step: str


def _covered(assignments: list[Assignment]) -> dict[int, list[int]]:
    """{assignment: the active learners it covers}: one query for the teams."""
    covered: dict[int, list[int]] = {a.pk: [] for a in assignments}
    team_of = {a.team_id: a.pk for a in assignments if a.team_id}
    for a in assignments:
        if a.learner_id:
            covered[a.pk].append(a.learner_id)
    if team_of:
        for user_id, team_id in Team.members.through.objects.filter(
            team__in=list(team_of), user__is_active=True
        ).values_list("user_id", "team_id"):
            covered[team_of[team_id]].append(user_id)
    return covered


def _finished(steps: list[Step], since: dict[tuple[int, int], datetime.datetime | None]) -> set:
    """(learner, assignment) pairs whose course has a current completion recorded
    after what the assignment asks (its renewal or fresh start): one query. Chosen
    lessons are left to the full rule."""
    learners = {s.learner_id for s in steps}
    courses = {s.course_id for s in steps}
    completed = {
        (learner_id, course_id): at
        for learner_id, course_id, at in CourseCompletion.objects.current()
        .filter(learner__in=learners, course__in=courses)
        .values_list("learner_id", "course_id", "completed_at")
    }
    done = set()
    for s in steps:
        at = completed.get((s.learner_id, s.course_id))
        after = since.get((s.assignment_id, s.learner_id))
        if at is not None and (after is None or at >= after):
            done.add((s.learner_id, s.assignment_id))
    return done


def owed_steps(today: datetime.date, schedule: Schedule) -> dict[int, list[Step]]:
    """{learner: the steps reached today and not yet reminded of}, before checking
    what each learner has done: a fixed number of queries."""
    assignments = list(Assignment.objects.prefetch_related("lessons").order_by("pk"))
    covered = _covered(assignments)
    renewals = latest_renewals(assignments, User.objects.filter(is_active=True))
    steps: list[Step] = []
    since: dict[tuple[int, int], datetime.datetime | None] = {}
    whole = {a.pk for a in assignments if not a.lessons.all()}
    for a in assignments:
        for learner_id in covered[a.pk]:
            renewal = renewals.get((a.pk, learner_id))
            due = renewal.due_date if renewal else a.due_date
            step = reminder_step(due, today, schedule) if due else None
            if due is None or step is None:
                continue
            steps.append(Step(learner_id, a.pk, a.course_id, due, step))
            moments = [renewal.opened_at] if renewal else []
            if a.require_fresh_completion:
                moments.append(a.created_at)
            since[(a.pk, learner_id)] = max(moments, default=None)
    if not steps:
        return {}
    noticed = set(
        ReminderNotice.objects.filter(
            learner__in={s.learner_id for s in steps}, due_date__in={s.due_date for s in steps}
        ).values_list("learner_id", "assignment_id", "due_date", "step")
    )
    finished = _finished([s for s in steps if s.assignment_id in whole], since)
    owed: dict[int, list[Step]] = {}
    for s in steps:
        key = (s.learner_id, s.assignment_id, s.due_date, s.step)
        if key in noticed or (s.learner_id, s.assignment_id) in finished:
            continue
        owed.setdefault(s.learner_id, []).append(s)
    return owed


# Sending ------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    sent: int = 0
    skipped_sent: int = 0
    skipped_no_email: int = 0
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _claim(user, today: datetime.date, items: list[PendingCourse], steps: list[Step]) -> bool:
    """Record today's email and its steps; False if another run recorded them first."""
    try:
        with transaction.atomic():
            # The constraint (learner, sent_on) refuses a second email today.
            ReminderSent.objects.create(learner=user, sent_on=today, courses=describe(items))
            ReminderNotice.objects.bulk_create(
                ReminderNotice(
                    learner=user, assignment_id=s.assignment_id, due_date=s.due_date, step=s.step
                )
                for s in steps
            )
    except IntegrityError:
        return False
    return True


def _release(user, today: datetime.date, steps: list[Step]) -> None:
    with transaction.atomic():
        ReminderSent.objects.filter(learner=user, sent_on=today).delete()
        for s in steps:
            ReminderNotice.objects.filter(
                learner=user, assignment_id=s.assignment_id, due_date=s.due_date, step=s.step
            ).delete()


def _message(user, items: list[PendingCourse]) -> EmailMessage:
    context = {
        "name": user.first_name or user.username,
        "items": items,
        "my_learning_url": absolute_url(reverse("courses:my_learning")),
    }
    with translation.override(language_for_user(user)):
        subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
        body = render_to_string(BODY_TEMPLATE, context)
    return EmailMessage(subject, body, to=[user.email])


def send_reminders(
    today: datetime.date,
    schedule: Schedule | None = None,
    *,
    dry_run: bool = False,
    say: Callable[[str], None] = lambda line: None,
) -> ReminderReport:
    """Email every learner owed a step today (see the module's docstring)."""
    schedule = schedule or Schedule.from_settings()
    report = ReminderReport()
    owed = owed_steps(today, schedule)
    already = set(
        ReminderSent.objects.filter(sent_on=today, learner__in=list(owed)).values_list(
            "learner_id", flat=True
        )
    )
    found = User.objects.filter(pk__in=list(owed), is_active=True).select_related("profile")
    users = list(found.order_by("username", "pk"))
    report.skipped_sent = sum(1 for user in users if user.pk in already)
    users = [user for user in users if user.pk not in already]
    pending = pending_for([user.pk for user in users], today, schedule.horizon) if users else {}
    for user in users:
        _remind(user, owed[user.pk], pending.get(user.pk, []), today, dry_run, report, say)
    return report


def _remind(user, steps, items, today, dry_run, report, say) -> None:
    pending = {item.course_id for item in items}
    steps = [s for s in steps if s.course_id in pending]
    if not steps:
        return
    if not user.email:
        report.skipped_no_email += 1
        return
    line = f"{user.username} <{user.email}>: {', '.join(i.title for i in items)}"
    if dry_run:
        say(f"Would remind {line}")
        report.sent += 1
        return
    if not _claim(user, today, items, steps):
        report.skipped_sent += 1
        return
    try:
        _message(user, items).send(fail_silently=False)
    except Exception as exc:  # the claim is removed: a later run retries
        _release(user, today, steps)
        report.failures.append(user.username)
        say(f"Could not remind {user.username} <{user.email}>: {exc}")
        return
    say(f"Reminded {line}")
    report.sent += 1
