"""What trainers do to assignments: the use cases, one transaction each.

Views, the admin and commands call these; each raises ``AssignmentError`` with a
message the view shows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import Course
from lessons.models import Lesson, LessonProgress
from lessons.services import completion_of
from quizzes.models import Attempt
from training.assignments import _day_month, fresh_start_asked
from training.models import Assignment, Team
from training.roles import can_assign, learners_followed_by, teams_managed_by

User = get_user_model()


class AssignmentError(Exception):
    """Why an assignment cannot be made; views show it as a message."""


@transaction.atomic
def assign_course(
    *,
    by,
    course: Course,
    team: Team | None = None,
    learners: Iterable = (),
    lessons: Iterable[Lesson] = (),
    due_date: datetime.date | None = None,
    note: str = "",
    require_fresh_completion: bool = False,
) -> list[Assignment]:
    """Assign ``course`` (or ``lessons`` of it) to a team or to learners, once each."""
    learners = list(learners)
    lessons = list(lessons)
    if not can_assign(by):
        raise AssignmentError("You cannot assign courses.")
    if (team is None) == (not learners):
        raise AssignmentError("Choose a team or one or more learners.")
    if team is not None and not teams_managed_by(by).filter(pk=team.pk).exists():
        raise AssignmentError("You can only assign to teams you manage.")
    allowed = set(
        learners_followed_by(by)
        .filter(pk__in=[u.pk for u in learners])
        .values_list("pk", flat=True)
    )
    if any(learner.pk not in allowed for learner in learners):
        raise AssignmentError("You can only assign to learners in your teams.")
    if any(lesson.course_id != course.pk or not lesson.is_published for lesson in lessons):
        raise AssignmentError("Choose lessons of this course.")
    if require_fresh_completion and lessons:
        raise AssignmentError("A fresh completion is for the whole course, not chosen lessons.")

    targets = [{"team": team}] if team is not None else [{"learner": u} for u in learners]
    for target in targets:
        existing = Assignment.objects.filter(course=course, **target).first()
        if existing is not None:
            raise AssignmentError(
                f"“{course}” is already assigned to {existing.assignee}"
                + (
                    f" (due {_day_month(existing.due_date)} {existing.due_date:%Y})"
                    if existing.due_date
                    else ""
                )
                + ". Change that assignment instead."
            )
    created = []
    try:
        for target in targets:
            assignment = Assignment.objects.create(
                course=course,
                due_date=due_date,
                note=note,
                require_fresh_completion=require_fresh_completion,
                assigned_by=by,
                **target,
            )
            assignment.lessons.set(lessons)
            created.append(assignment)
    except IntegrityError as exc:  # a second click or another trainer, at the same moment
        raise AssignmentError(f"“{course}” is already assigned there.") from exc
    return created


@transaction.atomic
def start_fresh_run(learner, course: Course) -> None:
    """Begin a new run of a completed course because an assignment asks for a fresh
    completion. The current run's progress and attempts are archived into its
    completion (kept, and shown as history); the completion is marked superseded."""
    User.objects.select_for_update().filter(pk=learner.pk).first()
    completion = completion_of(learner, course)
    if not fresh_start_asked(learner, course, completion):
        raise AssignmentError("Nothing asks you to complete this course again.")
    LessonProgress.objects.filter(learner=learner, lesson__course=course).update(
        archived_in=completion
    )
    Attempt.objects.filter(
        Q(quiz__course=course) | Q(quiz__lesson__course=course), learner=learner
    ).update(archived_in=completion)
    completion.superseded_at = timezone.now()
    completion.save(update_fields=["superseded_at"])
