"""The path-progress rule: where a learner stands in a learning path, asked by the
path page, My learning, the trainers' pages and when a completion is recorded, so
"Course 2 of 4" means the same thing everywhere.

- A path's courses are its published courses, in the path's order (a draft course
  is left out, as a draft lesson is left out of a course).
- A course **counts** when the learner has a current completion of it
  (``CourseCompletion.objects.current()``: not followed by a fresh start or a
  renewal) that has not expired: its ``valid_until`` is empty or today or later.
  An expired completion does not count: the path's certificate would not cover it
  (:attr:`PathProgress.expired` tells such courses apart, for the page to say so).
- Percent = counted courses / courses, rounded down; the path is complete when
  every course counts. "Course N of M" names the first course in order that does
  not count (the next one); a complete path is "M of M".

:func:`path_progress` asks it for one path, :func:`paths_progress` for many at
once (two queries whatever their number); both end in :func:`progress_from`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course
from lessons.models import CourseCompletion
from paths.models import Path, PathCourse


def percent_of(counted: int, total: int) -> int:
    """Whole percent, rounded down, so 100% means every course counts."""
    return counted * 100 // total if total > 0 else 0


@dataclass(frozen=True)
class PathProgress:
    """Where one learner stands in one path."""

    courses: tuple[Course, ...]  # the path's published courses, in order
    counted: dict[int, CourseCompletion]  # course id: the completion that counts
    expired: frozenset[int] = frozenset()  # course ids whose current completion expired

    @property
    def total(self) -> int:
        return len(self.courses)

    @property
    def completed(self) -> int:
        return sum(course.pk in self.counted for course in self.courses)

    @property
    def percent(self) -> int:
        return percent_of(self.completed, self.total)

    @property
    def is_complete(self) -> bool:
        return bool(self.courses) and self.completed == self.total

    @property
    def started(self) -> bool:
        return bool(self.counted or self.expired)

    @property
    def next_course(self) -> Course | None:
        """The first course, in the path's order, that does not count yet."""
        return next((course for course in self.courses if course.pk not in self.counted), None)

    @property
    def number(self) -> int:
        """The next course's place in the path (the last's once complete)."""
        following = self.next_course
        if following is None:
            return self.total
        return self.courses.index(following) + 1

    @property
    def label(self) -> str:
        """ "Course 2 of 4"."""
        return _("Course %(number)s of %(total)s") % {"number": self.number, "total": self.total}

    @property
    def valid_until(self) -> datetime.date | None:
        """Until when a completion of the path made now would count: the earliest
        last day of the completions that count (None: none of them expires)."""
        days = [c.valid_until for c in self.counted.values() if c.valid_until is not None]
        return min(days, default=None)

    @property
    def last_completion(self) -> CourseCompletion | None:
        """The latest of the completions that count (the one that completed the path)."""
        return max(self.counted.values(), key=lambda c: (c.completed_at, c.pk), default=None)


def counts_on(completion: CourseCompletion, today: datetime.date) -> bool:
    """THE rule for one completion: current (the caller reads current ones) and not
    expired on ``today``."""
    return completion.valid_until is None or completion.valid_until >= today


def progress_from(
    courses: Sequence[Course],
    completions: Iterable[CourseCompletion],
    today: datetime.date | None = None,
) -> PathProgress:
    """The rule, from a path's courses (in order) and the learner's current
    completions of them (others are ignored)."""
    today = today or timezone.localdate()
    ids = {course.pk for course in courses}
    counted: dict[int, CourseCompletion] = {}
    expired: set[int] = set()
    for completion in completions:
        if completion.course_id not in ids:
            continue
        if counts_on(completion, today):
            counted[completion.course_id] = completion
        else:
            expired.add(completion.course_id)
    return PathProgress(tuple(courses), counted, frozenset(expired))


def courses_by_path(paths: Iterable[Path]) -> dict[int, list[Course]]:
    """{path id: its published courses in order}: one query for any number of paths."""
    ids = [path.pk for path in paths]
    found: dict[int, list[Course]] = {path_id: [] for path_id in ids}
    steps = (
        PathCourse.objects.filter(path_id__in=ids, course__published_at__isnull=False)
        .select_related("course")
        .defer("course__introduction_markdown", "course__introduction_html")
        .order_by("path_id", "position")
    )
    for step in steps:
        found[step.path_id].append(step.course)
    return found


def current_completions(learner, course_ids: Iterable[int]) -> list[CourseCompletion]:
    """The learner's current completions of these courses: one query."""
    return list(
        CourseCompletion.objects.current()
        .filter(learner=learner, course_id__in=set(course_ids))
        .only("pk", "course_id", "learner_id", "completed_at", "valid_until")
    )


def path_progress(learner, path: Path, today: datetime.date | None = None) -> PathProgress:
    """Where the learner stands in the path: two queries."""
    return paths_progress(learner, [path], today)[path.pk]


def paths_progress(
    learner, paths: Iterable[Path], today: datetime.date | None = None
) -> dict[int, PathProgress]:
    """{path id: PathProgress} for many paths (a list page): two queries whatever
    their number, by the same rule as :func:`path_progress`."""
    by_path = courses_by_path(list(paths))
    course_ids = {course.pk for courses in by_path.values() for course in courses}
    completions = current_completions(learner, course_ids) if course_ids else []
    return {
        path_id: progress_from(courses, completions, today) for path_id, courses in by_path.items()
    }


def valid_completions_filter(today: datetime.date) -> Q:
    """:func:`counts_on` as a filter on current CourseCompletion rows (SQL)."""
    return Q(valid_until__isnull=True) | Q(valid_until__gte=today)
