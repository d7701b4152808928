"""Recording path completions (with their certificates), and setting a path's courses.

A path completion is recorded when a course completion completes the path: the
course is one of the path's, and with it every course of the path counts
(paths.rules). The apps above progress call :func:`record_path_completions` in
the transaction recording the course completion (training.receivers, on
progress.signals.course_completed); an import or admin change that makes a path
complete for learners who had done its courses already records them with
:func:`record_due_path_completions`. Each is recorded once per course completion
that completes it (``completed_by``, a unique constraint): the learner's row is
locked first, as progress.services.record_course_completion does, so two requests
finishing two courses at once take turns.

A path completion counts until the earliest last day of the course completions it
covers (``valid_until``): a path certificate never outlives one of its courses.
A learner who renews a course of a completed path completes the path anew when the
renewal is recorded and the others still count: a new run, with its own certificate.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from courses.models import Course
from lessons.models import CourseCompletion, name_on_certificate, new_certificate_code
from paths.models import Path, PathCertificate, PathCompletion, PathCourse
from paths.rules import PathProgress, courses_by_path, path_progress, valid_completions_filter


@transaction.atomic
def record_path_completions(completion: CourseCompletion) -> list[PathCompletion]:
    """The path completions a newly recorded course completion brings: one for each
    published path of its course that it completes. Called in the transaction that
    records ``completion`` (after its validity is decided)."""
    paths = Path.objects.published().filter(steps__course_id=completion.course_id).order_by("pk")
    recorded = []
    for path in paths:
        made = record_path_completion(completion.learner, path, completion)
        if made is not None:
            recorded.append(made)
    return recorded


@transaction.atomic
def record_path_completion(
    learner, path: Path, by: CourseCompletion | None = None
) -> PathCompletion | None:
    """Record that the learner completed the path, if every course of it counts now
    and this was not recorded yet for the completion that completes it (``by``, the
    latest course completion that counts when None). Returns the new completion."""
    get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
    progress = path_progress(learner, path)
    if not progress.is_complete:
        return None
    last = by if by is not None and by.pk in _counted_ids(progress) else progress.last_completion
    if last is None or PathCompletion.objects.filter(path=path, completed_by=last).exists():
        return None
    return _create(learner, path, progress, last)


def _counted_ids(progress: PathProgress) -> set[int]:
    return {completion.pk for completion in progress.counted.values()}


def _create(learner, path: Path, progress: PathProgress, last: CourseCompletion) -> PathCompletion:
    runs = PathCompletion.objects.filter(learner=learner, path=path).count()
    completion = PathCompletion.objects.create(
        learner=learner,
        path=path,
        run=runs + 1,
        completed_at=last.completed_at,
        completed_by=last,
        valid_until=progress.valid_until,
        courses=[
            {
                "id": course.pk,
                "slug": course.slug,
                "title": course.title,
                "completion": progress.counted[course.pk].pk,
                "completed_at": progress.counted[course.pk].completed_at.isoformat(),
            }
            for course in progress.courses
        ],
    )
    PathCertificate.objects.create(
        completion=completion,
        code=new_certificate_code(),
        learner_name=name_on_certificate(learner),
        path_title=path.title,
        issued_at=timezone.now(),
    )
    return completion


def record_due_path_completions(path: Path, today: datetime.date | None = None) -> int:
    """Record the completions of ``path`` that its courses' completions already make
    due (the path was published, or its courses changed, after learners completed
    them): the candidates are found in one query. Returns how many were recorded."""
    if path.published_at is None:
        return 0
    courses = courses_by_path([path])[path.pk]
    if not courses:
        return 0
    today = today or timezone.localdate()
    learners = (
        CourseCompletion.objects.current()
        .filter(valid_completions_filter(today), course__in=[course.pk for course in courses])
        .order_by()
        .values("learner")
        .annotate(counted=Count("course", distinct=True))
        .filter(counted=len(courses))
        .values("learner")
    )
    recorded = 0
    for learner in get_user_model().objects.filter(pk__in=learners).order_by("pk"):
        if record_path_completion(learner, path) is not None:
            recorded += 1
    return recorded


@transaction.atomic
def set_path_courses(path: Path, courses: Sequence[Course]) -> bool:
    """Make the path's courses these, in this order (positions 1, 2, ...); say whether
    anything changed. The rows are written again only when the order changed, so the
    positions' unique constraint never sees two rows at one place."""
    wanted = [course.pk for course in courses]
    current = list(
        PathCourse.objects.filter(path=path)
        .order_by("position")
        .values_list("course_id", flat=True)
    )
    if current == wanted:
        return False
    PathCourse.objects.filter(path=path).delete()
    PathCourse.objects.bulk_create(
        PathCourse(path=path, course_id=course_id, position=position)
        for position, course_id in enumerate(wanted, start=1)
    )
    return True


def course_slugs(path: Path) -> list[str]:
    """The slugs of the path's courses (drafts included), in order: what its file lists."""
    return list(
        PathCourse.objects.filter(path=path)
        .order_by("position")
        .values_list("course__slug", flat=True)
    )
