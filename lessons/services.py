"""Lesson use cases that need lesson rows only: opening a lesson, recording it
completed, how many lessons of a course a learner has left, their current course
completion.

- A lesson without a quiz is completed with "Mark complete"; a lesson with a quiz
  is completed by passing its quiz. Both go through progress.services, which also
  records the course completion a lesson may bring: deciding that needs quiz
  attempts (the final assessment), which sit above lessons. Where a learner stands
  in a course is progress.rules.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState


class LessonError(Exception):
    """Why a lesson cannot be started or completed; views show it as a message."""


@transaction.atomic
def start_lesson(learner, lesson: Lesson) -> LessonProgress:
    """Record that the learner opened the lesson; opening it again changes nothing.
    The lesson page's script posts it once the page has loaded (progress.views.start:
    the page's GET records nothing); without JavaScript the first completion does."""
    if not lesson.is_published:
        raise LessonError(_("This lesson is no longer available."))
    progress, _created = LessonProgress.objects.get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.IN_PROGRESS, "started_at": timezone.now()},
    )
    return progress


@transaction.atomic(savepoint=False)
def mark_lesson_completed(learner, lesson: Lesson) -> tuple[LessonProgress, bool]:
    """Record the lesson completed for the learner, once: the progress row, and
    whether this call completed it (False: it was completed before).

    The lesson's row only; progress.services.record_lesson_completion calls it and
    then records the course completion this may bring. It runs in the caller's
    transaction (no savepoint of its own), or in one of its own when there is none;
    the row lock it takes lasts until that transaction ends."""
    now = timezone.now()
    # The row lock serialises two racing requests; the unique constraint backs it up.
    progress, created = LessonProgress.objects.select_for_update().get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.COMPLETED, "started_at": now, "completed_at": now},
    )
    if created:
        return progress, True
    if progress.state == ProgressState.COMPLETED:
        return progress, False
    progress.state = ProgressState.COMPLETED
    progress.completed_at = now
    progress.save(update_fields=["state", "completed_at", "updated_at"])
    return progress, True


def lessons_left(learner, course: Course) -> int | None:
    """How many of the course's published lessons the learner has not completed (in
    the current run); None when the course has no published lessons. One query. The
    final assessment opens at 0 (quizzes.services.check_quiz_open)."""
    completed = LessonProgress.objects.filter(
        learner=learner, lesson=OuterRef("pk"), state=ProgressState.COMPLETED
    )
    counts = (
        Lesson.objects.published()
        .filter(course=course)
        .aggregate(total=Count("pk"), left=Count("pk", filter=Q(~Exists(completed))))
    )
    return counts["left"] if counts["total"] else None


def completion_of(learner, course: Course) -> CourseCompletion | None:
    """The learner's current completion of the course (with its certificate), if any."""
    return (
        CourseCompletion.objects.current()
        .filter(learner=learner, course=course)
        .select_related("certificate")
        .first()
    )
