"""Assignments: who is asked to do what by when, and where each learner stands.

- A trainer assigns a course (or chosen lessons of it) to a team they manage or
  to learners in their teams; a superuser to anyone. One assignment per course
  and team, and per course and learner (database constraints).
- A learner's assignments are their own plus their teams' (a team assignment
  covers people who join later). The same course assigned twice (a team and
  individually) shows once, with the earlier due date.
- An assignment is complete when its lessons are complete (a lesson with a
  quiz is complete when the quiz is passed) and, for a whole course, when the
  learner completed the course (lessons.services decides that; a recorded
  completion lasts when lessons are added later). An assignment that requires
  a fresh completion is satisfied only by a completion recorded after it was
  made: a learner who completed the course before starts it again (a new run;
  earlier runs' progress and attempts are kept).
- Due states use the site's time zone: "Due in 3 days", "Due tomorrow",
  "Due today", "Overdue by 2 days", "Completed on 4 Dec".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState
from lessons.services import (
    CourseProgress,
    courses_with_progress,
    percent_complete,
)
from quizzes.models import Attempt
from training.models import Assignment

User = get_user_model()


def assignments_of(learner) -> QuerySet[Assignment]:
    return Assignment.objects.filter(Q(learner=learner) | Q(team__members=learner))


def fresh_completion_after(assignments: Iterable[Assignment]) -> datetime.datetime | None:
    """The moment after which a completion must be recorded to satisfy these
    assignments of one course: the latest that asks for a fresh completion."""
    moments = [a.created_at for a in assignments if a.require_fresh_completion and not _chosen(a)]
    return max(moments) if moments else None


def _chosen(assignment: Assignment) -> bool:
    """Whether the assignment names lessons (uses the prefetched lessons)."""
    return bool(assignment.lessons.all())


def fresh_start_asked(learner, course: Course, completion: CourseCompletion | None) -> bool:
    """The learner completed the course, and an assignment made since asks for a
    fresh completion: the course page offers "Start again"."""
    if completion is None:
        return False
    after = fresh_completion_after(
        assignments_of(learner).filter(course=course).prefetch_related("lessons")
    )
    return after is not None and completion.completed_at < after


def _day_month(day: datetime.date) -> str:
    return f"{day.day} {day:%b}"  # "4 Dec" (strftime's %-d is not portable)


def due_label(due_date: datetime.date | None, today: datetime.date) -> str:
    if due_date is None:
        return "No due date"
    days = (due_date - today).days
    if days > 1:
        return f"Due in {days} days"
    if days == 1:
        return "Due tomorrow"
    if days == 0:
        return "Due today"
    return f"Overdue by {-days} day{'s' if days != -1 else ''}"


@dataclass
class AssignedCourse:
    """One assigned course as a learner sees it on "My learning"."""

    course: Course
    due_date: datetime.date | None
    note: str
    lesson_ids: set[int] | None  # None: the whole course
    completed: int
    total: int
    progress: CourseProgress
    completed_on: datetime.date | None
    today: datetime.date
    # Completed before an assignment that asks for a fresh completion: start again.
    needs_fresh_start: bool = False

    @property
    def is_complete(self) -> bool:
        return self.completed_on is not None

    @property
    def percent(self) -> int:
        return 100 if self.is_complete else percent_complete(self.completed, self.total)

    @property
    def is_overdue(self) -> bool:
        return not self.is_complete and self.due_date is not None and self.due_date < self.today

    @property
    def due_label(self) -> str:
        if self.is_complete:
            return f"Completed on {_day_month(self.completed_on)}"
        return due_label(self.due_date, self.today)

    @property
    def sort_key(self) -> tuple:
        return (self.is_complete, self.due_date or datetime.date.max, self.course.title)


def assigned_courses(learner, today: datetime.date | None = None) -> list[AssignedCourse]:
    """The learner's assignments, soonest due first, completed last. Five queries."""
    today = today or timezone.localdate()
    assignments = list(assignments_of(learner).select_related("course").prefetch_related("lessons"))
    if not assignments:
        return []
    merged: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        merged.setdefault(assignment.course_id, []).append(assignment)
    progress_by_course = {
        course.pk: progress
        for course, progress in courses_with_progress(
            learner, Course.objects.filter(pk__in=list(merged))
        )
    }
    done = dict(
        LessonProgress.objects.filter(
            learner=learner,
            state=ProgressState.COMPLETED,
            lesson__course__in=list(merged),
            lesson__retired_at__isnull=True,
        ).values_list("lesson_id", "completed_at")
    )
    published = {}
    for lesson_id, course_id in (
        Lesson.objects.published().filter(course__in=list(merged)).values_list("pk", "course_id")
    ):
        published.setdefault(course_id, set()).add(lesson_id)
    final_passed_at = dict(
        Attempt.objects.filter(
            learner=learner,
            passed=True,
            quiz__course__in=list(merged),
            quiz__retired_at__isnull=True,
        )
        .values("quiz__course")
        .annotate(first=Min("submitted_at"))
        .values_list("quiz__course", "first")
    )

    result = []
    for course_id, group in merged.items():
        progress = progress_by_course.get(course_id)
        if progress is None:  # no published lessons yet
            continue
        subsets = [{lesson.pk for lesson in a.lessons.all()} for a in group]
        # Any whole-course assignment wins; otherwise the union of the chosen lessons.
        lesson_ids = None if any(not s for s in subsets) else set().union(*subsets)
        course_lessons = published.get(course_id, set())
        if lesson_ids is not None and not lesson_ids & course_lessons:
            lesson_ids = None  # every chosen lesson was retired: the course is what is left
        required = (lesson_ids or course_lessons) & course_lessons
        completed_dates = [done[pk] for pk in required if pk in done]
        completed_on = None
        fresh_after = fresh_completion_after(group) if lesson_ids is None else None
        needs_fresh_start = False
        if lesson_ids is None and progress.completed_at is not None:
            # The whole course: the recorded completion decides, whatever was added since.
            if fresh_after is None or progress.completed_at >= fresh_after:
                completed_on = timezone.localdate(progress.completed_at)
            else:
                needs_fresh_start = True
        elif required and len(completed_dates) == len(required) and fresh_after is None:
            finished = max(completed_dates)
            if lesson_ids is None and progress.final_required:
                finished = final_passed_at.get(course_id) and max(
                    finished, final_passed_at[course_id]
                )
            if finished:
                completed_on = timezone.localdate(finished)
        due_dates = [a.due_date for a in group if a.due_date]
        result.append(
            AssignedCourse(
                course=group[0].course,
                due_date=min(due_dates) if due_dates else None,
                note="\n".join(a.note for a in group if a.note),
                lesson_ids=lesson_ids,
                completed=len(completed_dates),
                total=len(required),
                progress=progress,
                completed_on=completed_on,
                today=today,
                needs_fresh_start=needs_fresh_start,
            )
        )
    return sorted(result, key=lambda item: item.sort_key)
