"""The progress rules: starting and completing lessons, and where a learner stands.

Everything a page shows about progress is computed here, so "14% Complete"
means the same thing on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.models import Course
from lessons.models import Lesson, LessonProgress, ProgressState


class LessonUnavailable(Exception):
    """The lesson is retired, or otherwise not open to learners."""


def percent_complete(completed: int, total: int) -> int:
    """Whole percent, rounded down, so 100% means every lesson is done."""
    if total <= 0:
        return 0
    return completed * 100 // total


@dataclass(frozen=True)
class CourseProgress:
    completed: int
    total: int
    started: bool

    @property
    def percent(self) -> int:
        return percent_complete(self.completed, self.total)

    @property
    def state(self) -> ProgressState:
        if self.total and self.completed >= self.total:
            return ProgressState.COMPLETED
        if self.started:
            return ProgressState.IN_PROGRESS
        return ProgressState.NOT_STARTED

    @property
    def remaining(self) -> int:
        return max(self.total - self.completed, 0)


@transaction.atomic
def start_lesson(learner, lesson: Lesson) -> LessonProgress:
    """Record that the learner opened the lesson; opening it again changes nothing."""
    if not lesson.is_published:
        raise LessonUnavailable("This lesson is no longer available.")
    progress, _created = LessonProgress.objects.get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.IN_PROGRESS, "started_at": timezone.now()},
    )
    return progress


@transaction.atomic
def complete_lesson(learner, lesson: Lesson) -> LessonProgress:
    """Mark the lesson complete. Idempotent: a double click records one completion."""
    if not lesson.is_published:
        raise LessonUnavailable("This lesson is no longer available.")
    now = timezone.now()
    # The row lock serialises two racing requests; the unique constraint backs it up.
    progress, created = LessonProgress.objects.select_for_update().get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.COMPLETED, "started_at": now, "completed_at": now},
    )
    if not created and progress.state != ProgressState.COMPLETED:
        progress.state = ProgressState.COMPLETED
        progress.completed_at = now
        progress.save(update_fields=["state", "completed_at", "updated_at"])
    return progress


def lessons_with_state(learner, course: Course) -> list[Lesson]:
    """The course's published lessons in order, each with ``state`` for this learner.

    One query, whatever the number of lessons; the bodies are left out.
    """
    lessons = list(
        Lesson.objects.published()
        .filter(course=course)
        .with_state_for(learner)
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    )
    for lesson in lessons:
        lesson.state = ProgressState(lesson.state)  # so templates can show state.label
    return lessons


def progress_from_lessons(lessons: Sequence[Lesson]) -> CourseProgress:
    """Course progress from lessons annotated by :func:`lessons_with_state`."""
    return CourseProgress(
        completed=sum(lesson.state == ProgressState.COMPLETED for lesson in lessons),
        total=len(lessons),
        started=any(lesson.state != ProgressState.NOT_STARTED for lesson in lessons),
    )


def lesson_to_continue(lessons: Sequence[Lesson]) -> Lesson | None:
    """Where "Continue" goes: the first unfinished lesson the learner has opened,
    else the first unfinished one, else (all done) the first lesson."""
    for lesson in lessons:
        if lesson.state == ProgressState.IN_PROGRESS:
            return lesson
    for lesson in lessons:
        if lesson.state != ProgressState.COMPLETED:
            return lesson
    return lessons[0] if lessons else None


class _SubqueryCount(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def courses_with_progress(learner) -> list[tuple[Course, CourseProgress]]:
    """Every course with published lessons, with the learner's progress, in one query."""
    published = Lesson.objects.published().filter(course=OuterRef("pk")).values("pk")
    progress = LessonProgress.objects.filter(
        learner=learner, lesson__course=OuterRef("pk"), lesson__retired_at__isnull=True
    )
    courses = (
        Course.objects.annotate(
            lesson_count=Coalesce(_SubqueryCount(published), 0),
            completed_count=Coalesce(
                _SubqueryCount(progress.filter(state=ProgressState.COMPLETED).values("pk")), 0
            ),
            started_count=Coalesce(_SubqueryCount(progress.values("pk")), 0),
        )
        .filter(lesson_count__gt=0)
        .order_by("title")
    )
    return [
        (
            course,
            CourseProgress(
                completed=course.completed_count,
                total=course.lesson_count,
                started=course.started_count > 0,
            ),
        )
        for course in courses
    ]
