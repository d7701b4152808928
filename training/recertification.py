"""Compliance training: how long a completion counts, and when an assignment comes back.

**Validity** (:func:`valid_until`, the one rule). A completion counts until its
``valid_until`` (the last day it counts), decided once, when it is recorded
(:func:`record_validity`), so "was Ann trained on 1 March?" is answered from the
record and not from today's settings:

- an assignment renewed "every year by 31 March": until that date in the year
  after the cycle's due date (a completion for the cycle due 31 March 2027 counts
  until 31 March 2028, whether it was made in February or, late, in April);
- otherwise the assignment's ``valid_for_months``, else the course's; neither:
  the completion never expires;
- extending from the old expiry (``extend_from_expiry``, the default): a learner
  who renews on or before their previous completion's last day keeps the rest of
  it, and the new one counts from that day, not from the day they finished.

**Renewals** (:func:`renewals_due`, :func:`open_renewal`). A recurring
whole-course assignment comes back for each learner ``renew_window_days`` before
their completion's last day: ``run_scheduled`` opens a :class:`Renewal` due on that
day. The learner's current run is archived into the completion (kept, as a fresh
start does), so the new cycle starts at 0 %; the old completion and its
certificate stay valid until their own end and verifiable as "expired on …".

**Lapses** (:func:`lapsed_completions`): a completion past its last day with no
newer one, for a learner still assigned the course; their trainers are told once.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from courses.models import Course
from lessons.models import CourseCompletion, LessonProgress
from quizzes.models import Attempt
from training.assignments import covered_by
from training.models import Assignment, LapseNotice, Recurrence, Renewal

User = get_user_model()


@dataclass(frozen=True)
class RenewalRule:
    """How an assignment comes back (the Assignment's recurrence fields), as the
    assigning use case takes it; checked by training.services.check_renewal_rule."""

    recurrence: Recurrence = Recurrence.ONCE
    valid_for_months: int | None = None
    renew_by: tuple[int, int] | None = None  # (month, day) for "every year by"
    window_days: int = 30
    extend_from_expiry: bool = True

    def fields(self) -> dict:
        """The Assignment fields it sets."""
        return {
            "recurrence": self.recurrence,
            "valid_for_months": self.valid_for_months,
            "renew_by_month": self.renew_by[0] if self.renew_by else None,
            "renew_by_day": self.renew_by[1] if self.renew_by else None,
            "renew_window_days": self.window_days,
            "extend_from_expiry": self.extend_from_expiry,
        }


ONCE = RenewalRule()


@dataclass(frozen=True)
class Validity:
    """How long a completion of one assignment (or of a course, unassigned) counts."""

    months: int | None = None
    yearly_by: tuple[int, int] | None = None  # (month, day)
    extend_from_expiry: bool = True

    @property
    def expires(self) -> bool:
        return self.months is not None or self.yearly_by is not None


def validity_of(course: Course, assignment: Assignment | None = None) -> Validity:
    """The validity a completion of ``course`` gets under ``assignment``."""
    if assignment is None:
        return Validity(months=course.valid_for_months)
    if assignment.recurrence == Recurrence.YEARLY and assignment.renew_by_month:
        return Validity(
            yearly_by=(assignment.renew_by_month, assignment.renew_by_day or 1),
            extend_from_expiry=assignment.extend_from_expiry,
        )
    return Validity(
        months=assignment.valid_for_months or course.valid_for_months,
        extend_from_expiry=assignment.extend_from_expiry,
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar months: 31 January + 1 month is the last day of February."""
    return day + relativedelta(months=months)


def yearly_date(month: int, day: int, year: int) -> datetime.date:
    """The date in ``year``; 29 (30, 31) February is the month's last day."""
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_yearly(month: int, day: int, start: datetime.date) -> datetime.date:
    """The first such date on or after ``start``."""
    found = yearly_date(month, day, start.year)
    return found if found >= start else yearly_date(month, day, start.year + 1)


def valid_until(
    validity: Validity,
    completed_on: datetime.date,
    *,
    cycle_due: datetime.date | None = None,
    renewed_until: datetime.date | None = None,
) -> datetime.date | None:
    """THE validity rule: the last day a completion made on ``completed_on`` counts.

    ``cycle_due``: the due date of the cycle it completes (a renewal's, or the
    assignment's); ``renewed_until``: the last day of the completion it renews."""
    if validity.yearly_by is not None:
        month, day = validity.yearly_by
        anchor = cycle_due or next_yearly(month, day, completed_on)
        return next_yearly(month, day, anchor + datetime.timedelta(days=1))
    if validity.months is None:
        return None
    start = completed_on
    if validity.extend_from_expiry and renewed_until and completed_on <= renewed_until:
        start = renewed_until
    return add_months(start, validity.months)


# When a completion is recorded ------------------------------------------------------


def _whole_course_assignments(learner, course: Course) -> list[Assignment]:
    return list(
        Assignment.objects.filter(Q(learner=learner) | Q(team__members=learner), course=course)
        .filter(lessons__isnull=True)
        .distinct()
        .order_by("due_date", "pk")
    )


def _applying(learner, course: Course) -> tuple[Assignment | None, Renewal | None]:
    """The assignment a new completion answers: the one with the learner's latest
    renewal, else the soonest due whole-course assignment covering them."""
    assignments = _whole_course_assignments(learner, course)
    renewal = (
        Renewal.objects.filter(learner=learner, assignment__in=assignments)
        .select_related("renews", "assignment")
        .first()
    )
    if renewal is not None:
        return renewal.assignment, renewal
    return (assignments[0] if assignments else None), None


def record_validity(completion: CourseCompletion) -> datetime.date | None:
    """Decide and store how long a newly recorded completion counts. Called in the
    transaction that records it (progress.signals.course_completed)."""
    course = completion.course
    assignment, renewal = _applying(completion.learner, course)
    validity = validity_of(course, assignment)
    if not validity.expires:
        return None
    cycle_due = renewal.due_date if renewal else (assignment.due_date if assignment else None)
    completion.valid_until = valid_until(
        validity,
        timezone.localdate(completion.completed_at),
        cycle_due=cycle_due,
        renewed_until=renewal.renews.valid_until if renewal else None,
    )
    completion.save(update_fields=["valid_until"])
    return completion.valid_until


# Renewals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalDue:
    assignment: Assignment
    learner_id: int
    completion: CourseCompletion


def renewals_due(today: datetime.date) -> Iterator[RenewalDue]:
    """Every (recurring assignment, learner) whose current completion ends within the
    assignment's window and has no renewal yet: one query per recurring assignment."""
    recurring = (
        Assignment.objects.exclude(recurrence=Recurrence.ONCE)
        .filter(lessons__isnull=True)
        .select_related("course")
        .order_by("pk")
    )
    for assignment in recurring:
        window_end = today + datetime.timedelta(days=assignment.renew_window_days)
        completions = (
            CourseCompletion.objects.current()
            .filter(
                course=assignment.course_id,
                learner__in=covered_by(assignment).values("pk"),
                valid_until__isnull=False,
                valid_until__lte=window_end,
            )
            .exclude(
                Exists(
                    Renewal.objects.filter(
                        assignment=assignment, learner=OuterRef("learner"), renews=OuterRef("pk")
                    )
                )
            )
            .order_by("learner_id")
        )
        for completion in completions:
            yield RenewalDue(assignment, completion.learner_id, completion)


@transaction.atomic
def open_renewal(due: RenewalDue) -> Renewal | None:
    """Open the learner's next cycle: a renewal due on their completion's last day, and
    their current run archived into the completion (kept; the course starts again at
    0 %). None if another run opened it first or the learner renewed meanwhile."""
    User.objects.select_for_update().filter(pk=due.learner_id).first()
    completion = CourseCompletion.objects.get(pk=due.completion.pk)  # as it is now
    if completion.valid_until is None:  # (never: renewals_due asks for one)
        return None
    renewal, created = Renewal.objects.get_or_create(
        assignment=due.assignment,
        learner_id=due.learner_id,
        renews=completion,
        defaults={"opened_at": timezone.now(), "due_date": completion.valid_until},
    )
    if not created:
        return None
    if completion.superseded_at is None:  # (a fresh start may have archived it already)
        archive_run(due.learner_id, completion)
    return renewal


def archive_run(learner_id: int, completion: CourseCompletion) -> None:
    """Keep the learner's current run in ``completion`` and start the course afresh."""
    course_id = completion.course_id
    LessonProgress.objects.filter(learner_id=learner_id, lesson__course=course_id).update(
        archived_in=completion
    )
    Attempt.objects.filter(
        Q(quiz__course=course_id) | Q(quiz__lesson__course=course_id), learner_id=learner_id
    ).update(archived_in=completion)
    completion.superseded_at = timezone.now()
    completion.save(update_fields=["superseded_at"])


# Lapses -----------------------------------------------------------------------------


def lapsed_completions(today: datetime.date) -> QuerySet:
    """Completions whose last day has passed with no newer completion of the course by
    the same learner, who is still assigned it (their own or a team's assignment),
    and whose trainers were not told yet (a trainer who starts following the learner
    later is not told of an earlier lapse: the dashboard shows it)."""
    newer = CourseCompletion.objects.filter(
        learner=OuterRef("learner"),
        course=OuterRef("course"),
        completed_at__gt=OuterRef("completed_at"),
    )
    assigned = Assignment.objects.filter(course=OuterRef("course")).filter(
        Q(learner=OuterRef("learner")) | Q(team__members=OuterRef("learner"))
    )
    return (
        CourseCompletion.objects.filter(valid_until__lt=today, learner__is_active=True)
        .exclude(Exists(newer))
        .exclude(Exists(LapseNotice.objects.filter(completion=OuterRef("pk"))))
        .filter(Exists(assigned))
        .select_related("learner", "course")
        .order_by("valid_until", "pk")
    )
