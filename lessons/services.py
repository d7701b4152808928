"""The progress rules: starting and completing lessons, and where a learner stands.

Everything a page shows about progress is computed here, so "14% Complete"
means the same thing on every page.

- A lesson without a quiz is completed with "Mark complete"; a lesson with a
  quiz is completed by passing its quiz (see quizzes.services).
- Percent complete = completed lessons / published lessons, rounded down.
- A course is completed when every lesson is, and its final assessment (if it
  has one) is passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.models import Course
from lessons.models import Lesson, LessonProgress, ProgressState
from quizzes.models import Attempt, Quiz


class LessonError(Exception):
    """Why a lesson cannot be started or completed; views show it as a message."""


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
    final_required: bool = False
    final_passed: bool = False

    @property
    def percent(self) -> int:
        return percent_complete(self.completed, self.total)

    @property
    def lessons_done(self) -> bool:
        return bool(self.total) and self.completed >= self.total

    @property
    def awaiting_final(self) -> bool:
        return self.lessons_done and self.final_required and not self.final_passed

    @property
    def state(self) -> ProgressState:
        if self.lessons_done and not self.awaiting_final:
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
        raise LessonError("This lesson is no longer available.")
    progress, _created = LessonProgress.objects.get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.IN_PROGRESS, "started_at": timezone.now()},
    )
    return progress


@transaction.atomic
def complete_lesson(learner, lesson: Lesson) -> LessonProgress:
    """ "Mark complete". Idempotent: a double click records one completion."""
    if not lesson.is_published:
        raise LessonError("This lesson is no longer available.")
    if Quiz.objects.published().filter(lesson=lesson).exists():
        raise LessonError("Pass this lesson's quiz to complete it.")
    return record_lesson_completion(learner, lesson)


@transaction.atomic
def record_lesson_completion(learner, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed for the learner, once (also used by quizzes)."""
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
    """The course's published lessons in order, each with, for this learner:
    ``state`` (a ProgressState), and ``quiz_id``, ``quiz_best`` (best percent or
    None) and ``quiz_attempts`` (0 for a lesson without a quiz).

    Four small indexed queries whatever the number of lessons or learners,
    merged here: simple queries cost far less to build than one query of
    correlated subqueries, and each reads only this learner's rows.
    """
    lessons = list(
        Lesson.objects.published()
        .filter(course=course)
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    )
    states = dict(
        LessonProgress.objects.filter(learner=learner, lesson__course=course).values_list(
            "lesson_id", "state"
        )
    )
    quiz_of_lesson = dict(
        Quiz.objects.published().filter(lesson__course=course).values_list("lesson_id", "pk")
    )
    stats = _attempt_stats(learner, quiz_of_lesson.values())
    for lesson in lessons:
        lesson.state = ProgressState(states.get(lesson.pk, ProgressState.NOT_STARTED))
        lesson.quiz_id = quiz_of_lesson.get(lesson.pk)
        lesson.quiz_best, lesson.quiz_attempts, _passed = stats.get(lesson.quiz_id, (None, 0, 0))
    return lessons


def as_new_learner(lessons: list[Lesson]) -> list[Lesson]:
    """Lessons as someone who has not started sees them (the staff preview)."""
    for lesson in lessons:
        lesson.state = ProgressState.NOT_STARTED
        lesson.quiz_id, lesson.quiz_best, lesson.quiz_attempts = None, None, 0
    return lessons


def _attempt_stats(learner, quiz_ids) -> dict[int, tuple[int | None, int, int]]:
    """{quiz id: (best percent, attempts submitted, attempts passed)} for one learner."""
    rows = (
        Attempt.objects.filter(learner=learner, quiz__in=list(quiz_ids), submitted_at__isnull=False)
        .order_by()
        .values("quiz_id")
        .annotate(best=Max("percent"), used=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .values_list("quiz_id", "best", "used", "passed")
    )
    return {quiz_id: (best, used, passed) for quiz_id, best, used, passed in rows}


def final_assessment_for(learner, course: Course) -> Quiz | None:
    """The course's published final assessment with the learner's ``best``,
    ``attempts_used`` and ``passed``; two queries (one if there is none)."""
    final = Quiz.objects.published().filter(course=course).first()
    if final is not None:
        final.best, final.attempts_used, passed = _attempt_stats(learner, [final.pk]).get(
            final.pk, (None, 0, 0)
        )
        final.passed = passed > 0
    return final


def progress_from_lessons(
    lessons: Sequence[Lesson], final_assessment: Quiz | None = None
) -> CourseProgress:
    """Course progress from :func:`lessons_with_state` and :func:`final_assessment_for`."""
    return CourseProgress(
        completed=sum(lesson.state == ProgressState.COMPLETED for lesson in lessons),
        total=len(lessons),
        started=any(lesson.state != ProgressState.NOT_STARTED for lesson in lessons),
        final_required=final_assessment is not None,
        final_passed=bool(final_assessment is not None and final_assessment.passed),
    )


def course_progress(learner, course: Course) -> CourseProgress:
    return progress_from_lessons(
        lessons_with_state(learner, course), final_assessment_for(learner, course)
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


class SubqueryCount(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def courses_with_progress(learner, courses=None) -> list[tuple[Course, CourseProgress]]:
    """Courses (default: every course) with published lessons, with the learner's
    progress, in one query."""
    published = Lesson.objects.published().filter(course=OuterRef("pk")).values("pk")
    progress = LessonProgress.objects.filter(
        learner=learner,
        lesson__course=OuterRef("pk"),
        lesson__published_at__isnull=False,
        lesson__retired_at__isnull=True,
    )
    final = Quiz.objects.published().filter(course=OuterRef("pk"))
    courses = (
        (Course.objects.all() if courses is None else courses)
        .filter(published_at__isnull=False)
        .annotate(
            lesson_count=Coalesce(SubqueryCount(published), 0),
            completed_count=Coalesce(
                SubqueryCount(progress.filter(state=ProgressState.COMPLETED).values("pk")), 0
            ),
            started_count=Coalesce(SubqueryCount(progress.values("pk")), 0),
            has_final=Exists(final),
            final_passed=Exists(
                Attempt.objects.filter(
                    learner=learner,
                    quiz__course=OuterRef("pk"),
                    quiz__retired_at__isnull=True,
                    passed=True,
                )
            ),
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
                final_required=course.has_final,
                final_passed=course.final_passed,
            ),
        )
        for course in courses
    ]
