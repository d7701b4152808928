"""The progress rules: starting and completing lessons, and where a learner stands.

Everything a page shows about progress is computed here, so "14% Complete"
means the same thing on every page.

- A lesson without a quiz is completed with "Mark complete"; a lesson with a
  quiz is completed by passing its quiz (see quizzes.services).
- Percent complete = completed lessons / published lessons, rounded down.
- A course is completed when every lesson is, and its final assessment (if it
  has one) is passed. That moment is recorded once as a CourseCompletion (with
  its certificate), in the transaction of the step that finished the course,
  and no later change to the course takes it away: a completed learner stays
  Completed when lessons are added, and sees them as new lessons.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course
from lessons.models import (
    Certificate,
    CourseCompletion,
    Lesson,
    LessonProgress,
    ProgressState,
    name_on_certificate,
    new_certificate_code,
)
from quizzes.models import Attempt, Quiz


class LessonError(Exception):
    """Why a lesson cannot be started or completed; views show it as a message."""


def percent_complete(completed: int, total: int) -> int:
    """Whole percent, rounded down, so 100% means every lesson is done."""
    if total <= 0:
        return 0
    return completed * 100 // total


class CourseState(models.TextChoices):
    """A learner's state in a course, in the words every page, export and email
    uses (``CourseProgress.course_state`` decides it). Overdue is not a state: it
    is a separate flag of an assignment (training.assignments)."""

    NOT_STARTED = "not_started", gettext_lazy("Not started")
    IN_PROGRESS = "in_progress", gettext_lazy("In Progress")
    # Every lesson done, the final assessment not passed yet (also after a failed try).
    AWAITING_FINAL = "awaiting_final", gettext_lazy("Awaiting final")
    COMPLETED = "completed", gettext_lazy("Completed")


@dataclass(frozen=True)
class CourseProgress:
    """Where one learner stands in one course: the rule every page, export and
    email asks. The trainer's dashboard builds one per learner from counts it
    reads in bulk (training/dashboard.py), so it asks the same rule."""

    completed: int
    total: int
    started: bool
    final_required: bool = False
    final_passed: bool = False
    # When the learner's current CourseCompletion was recorded, if there is one.
    completed_at: datetime.datetime | None = None

    @property
    def lessons_done(self) -> bool:
        return bool(self.total) and self.completed >= self.total

    @property
    def is_complete(self) -> bool:
        """Recorded as completed, or every lesson done and the final passed now (a
        lesson retired since, say, before the record was written)."""
        return self.completed_at is not None or (
            self.lessons_done and (self.final_passed or not self.final_required)
        )

    @property
    def awaiting_final(self) -> bool:
        return not self.is_complete and self.lessons_done and self.final_required

    @property
    def course_state(self) -> CourseState:
        """The state pages show: ``state`` with "Awaiting final" told apart."""
        if self.awaiting_final:
            return CourseState.AWAITING_FINAL
        return CourseState(self.state.value)

    @property
    def state(self) -> ProgressState:
        """As a lesson's state (awaiting the final is In Progress); pages show
        :attr:`course_state`."""
        if self.is_complete:
            return ProgressState.COMPLETED
        if self.started:
            return ProgressState.IN_PROGRESS
        return ProgressState.NOT_STARTED

    @property
    def percent(self) -> int:
        # A completion covers the course as it was: lessons added later do not
        # make a completed learner "87%" again (they are shown as new lessons).
        return 100 if self.is_complete else percent_complete(self.completed, self.total)

    @property
    def remaining(self) -> int:
        return max(self.total - self.completed, 0)

    @property
    def new_lessons(self) -> int:
        """Lessons a completed learner has not done: added since they finished."""
        return self.remaining if self.is_complete else 0


@transaction.atomic
def start_lesson(learner, lesson: Lesson) -> LessonProgress:
    """Record that the learner opened the lesson; opening it again changes nothing."""
    if not lesson.is_published:
        raise LessonError(_("This lesson is no longer available."))
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
        raise LessonError(_("This lesson is no longer available."))
    if Quiz.objects.published().filter(lesson=lesson).exists():
        raise LessonError(_("Pass this lesson's quiz to complete it."))
    return record_lesson_completion(learner, lesson)


@transaction.atomic
def record_lesson_completion(learner, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed for the learner, once (also used by quizzes), and
    the course too if this was the last step."""
    now = timezone.now()
    # The row lock serialises two racing requests; the unique constraint backs it up.
    progress, created = LessonProgress.objects.select_for_update().get_or_create(
        learner=learner,
        lesson=lesson,
        defaults={"state": ProgressState.COMPLETED, "started_at": now, "completed_at": now},
    )
    if not created and progress.state == ProgressState.COMPLETED:
        return progress  # done before: nothing changes, the course included
    if not created:
        progress.state = ProgressState.COMPLETED
        progress.completed_at = now
        progress.save(update_fields=["state", "completed_at", "updated_at"])
    record_course_completion(learner, lesson.course)
    return progress


@transaction.atomic
def record_course_completion(learner, course: Course) -> CourseCompletion | None:
    """Record that the learner completed the course, if they now have, exactly once;
    with its certificate. Returns the current completion, or None.

    Called inside the transaction of the lesson completion or passing attempt that
    may finish the course. The learner's row is locked first, so two requests
    finishing the last two lessons at once are serialised: the second sees the
    first's lesson and records the completion (the partial unique constraint on
    current completions backs this up).
    """
    get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
    existing = completion_of(learner, course)
    if existing is not None:
        return existing
    lessons = lessons_with_state(learner, course)
    final = final_assessment_for(learner, course)
    if not progress_from_lessons(lessons, final).is_complete:
        return None
    completed_at = dict(
        LessonProgress.objects.filter(
            learner=learner, lesson__in=[lesson.pk for lesson in lessons]
        ).values_list("lesson_id", "completed_at")
    )
    final_attempt = None
    if final is not None:
        final_attempt = (
            Attempt.objects.filter(learner=learner, quiz=final, passed=True)
            .order_by("submitted_at", "pk")
            .first()
        )
    previous_runs = CourseCompletion.objects.filter(learner=learner, course=course).count()
    now = timezone.now()
    completion = CourseCompletion.objects.create(
        learner=learner,
        course=course,
        run=previous_runs + 1,
        completed_at=now,
        final_attempt=final_attempt,
        final_percent=final_attempt.percent if final_attempt else None,
        lessons=[
            {
                "id": lesson.pk,
                "slug": lesson.slug,
                "title": lesson.title,
                "completed_at": completed_at[lesson.pk].isoformat(),
            }
            for lesson in lessons
        ],
    )
    Certificate.objects.create(
        completion=completion,
        code=new_certificate_code(),
        learner_name=name_on_certificate(learner),
        course_title=course.title,
        issued_at=now,
    )
    return completion


def completion_of(learner, course: Course) -> CourseCompletion | None:
    """The learner's current completion of the course (with its certificate), if any."""
    return (
        CourseCompletion.objects.current()
        .filter(learner=learner, course=course)
        .select_related("certificate")
        .first()
    )


def record_due_completions(course: Course) -> int:
    """Record completions that content changes have made due (a lesson retired,
    the final assessment removed) for learners who had done everything else.
    Returns how many were recorded. The importer runs it after every import; the
    candidates are found in one query, so a course with thousands of learners
    part-way through costs the same as one."""
    published = Lesson.objects.published().filter(course=course)
    total = published.count()
    if not total:
        return 0
    done_everything = (
        LessonProgress.objects.filter(lesson__in=published, state=ProgressState.COMPLETED)
        .order_by()
        .values("learner")
        .annotate(done=Count("pk"))
        .filter(done=total)
        .values("learner")
    )
    candidates = (
        get_user_model()
        .objects.filter(pk__in=done_everything)
        .exclude(pk__in=CourseCompletion.objects.current().filter(course=course).values("learner"))
    )
    final = Quiz.objects.published().filter(course=course).first()
    if final is not None:
        candidates = candidates.filter(
            pk__in=Attempt.objects.filter(quiz=final, passed=True).values("learner")
        )
    recorded = 0
    for learner in candidates:
        if record_course_completion(learner, course) is not None:
            recorded += 1
    return recorded


@dataclass(frozen=True)
class CourseQuizzes:
    """A course's published quizzes and one learner's attempt figures on them: one
    query for the quizzes (lesson quizzes and the final together), one for the
    attempts, shared by :func:`lessons_with_state` and :func:`final_assessment_for`."""

    of_lesson: dict[int, int]  # lesson id: quiz id
    final: Quiz | None
    stats: dict[int, tuple[int | None, int, int]]  # by _attempt_stats


def course_quizzes(learner, course: Course) -> CourseQuizzes:
    """One query: the course's published quizzes, each with the learner's figures in
    the current run (the same as :func:`_attempt_stats`, aggregated in the join)."""
    mine = Q(
        attempts__learner=learner,
        attempts__archived_in__isnull=True,
        attempts__submitted_at__isnull=False,
    )
    quizzes = list(
        Quiz.objects.published()
        .filter(Q(lesson__course=course) | Q(course=course))
        .annotate(
            learner_best=Max("attempts__percent", filter=mine),
            learner_used=Count("attempts", filter=mine),
            learner_passed=Count("attempts", filter=mine & Q(attempts__passed=True)),
        )
        .order_by("pk")
    )
    of_lesson = {quiz.lesson_id: quiz.pk for quiz in quizzes if quiz.lesson_id}
    final = next((quiz for quiz in quizzes if quiz.course_id == course.pk), None)
    stats = {
        quiz.pk: (quiz.learner_best, quiz.learner_used, quiz.learner_passed)
        for quiz in quizzes
        if quiz.learner_used
    }
    return CourseQuizzes(of_lesson, final, stats)


def lessons_with_state(
    learner, course: Course, quizzes: CourseQuizzes | None = None
) -> list[Lesson]:
    """The course's published lessons in order, each with, for this learner:
    ``state`` (a ProgressState), ``started_at`` (when first opened, or None),
    and ``quiz_id``, ``quiz_best`` (best percent or None) and ``quiz_attempts``
    (0 for a lesson without a quiz).

    Two queries whatever the number of lessons or learners (the lessons with the
    learner's progress joined in, then the quizzes with the learner's scores,
    :func:`course_quizzes`, unless ``quizzes`` were read already); plain joins,
    never correlated subqueries, which cost far more to build and run.
    """
    # The learner's progress row in the current run (at most one per lesson) joined
    # in: one query for the lessons and where the learner stands in each.
    lessons = list(
        Lesson.objects.published()
        .filter(course=course)
        .annotate(
            mine=FilteredRelation(
                "progress",
                condition=Q(progress__learner=learner, progress__archived_in__isnull=True),
            ),
            learner_state=F("mine__state"),
            learner_started_at=F("mine__started_at"),
        )
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    )
    states = {
        lesson.pk: (lesson.learner_state, lesson.learner_started_at)
        for lesson in lessons
        if lesson.learner_state
    }
    quizzes = quizzes or course_quizzes(learner, course)
    quiz_of_lesson, stats = quizzes.of_lesson, quizzes.stats
    for lesson in lessons:
        state, lesson.started_at = states.get(lesson.pk, (ProgressState.NOT_STARTED, None))
        lesson.state = ProgressState(state)
        lesson.quiz_id = quiz_of_lesson.get(lesson.pk)
        lesson.quiz_best, lesson.quiz_attempts, _passed = stats.get(lesson.quiz_id, (None, 0, 0))
    return lessons


def as_new_learner(lessons: list[Lesson]) -> list[Lesson]:
    """Lessons as someone who has not started sees them (the staff preview)."""
    for lesson in lessons:
        lesson.state, lesson.started_at = ProgressState.NOT_STARTED, None
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


def final_assessment_for(
    learner, course: Course, quizzes: CourseQuizzes | None = None
) -> Quiz | None:
    """The course's published final assessment with the learner's ``best``,
    ``attempts_used`` and ``passed``; two queries (one if there is none), none when
    ``quizzes`` were read already."""
    if quizzes is None:
        final = Quiz.objects.published().filter(course=course).first()
        stats = _attempt_stats(learner, [final.pk]) if final is not None else {}
    else:
        final, stats = quizzes.final, quizzes.stats
    if final is not None:
        final.best, final.attempts_used, passed = stats.get(final.pk, (None, 0, 0))
        final.passed = passed > 0
    return final


def progress_from_lessons(
    lessons: Sequence[Lesson],
    final_assessment: Quiz | None = None,
    completion: CourseCompletion | None = None,
) -> CourseProgress:
    """Course progress from :func:`lessons_with_state`, :func:`final_assessment_for`
    and :func:`completion_of`."""
    return CourseProgress(
        completed=sum(lesson.state == ProgressState.COMPLETED for lesson in lessons),
        total=len(lessons),
        started=any(lesson.state != ProgressState.NOT_STARTED for lesson in lessons),
        final_required=final_assessment is not None,
        final_passed=bool(final_assessment is not None and final_assessment.passed),
        completed_at=completion.completed_at if completion else None,
    )


@dataclass
class LearnerCourse:
    """Everything a learner's page shows about one course: its lessons with the
    learner's state, the final assessment with their results, their current
    completion (with certificate) and the progress derived from them."""

    lessons: list[Lesson]
    final: Quiz | None
    completion: CourseCompletion | None
    progress: CourseProgress

    @property
    def new_lessons(self) -> list[Lesson]:
        """Lessons a completed learner has not done (added since they finished)."""
        if not self.progress.is_complete:
            return []
        return [lesson for lesson in self.lessons if lesson.state != ProgressState.COMPLETED]


def learner_course(learner, course: Course) -> LearnerCourse:
    quizzes = course_quizzes(learner, course)
    lessons = lessons_with_state(learner, course, quizzes)
    final = final_assessment_for(learner, course, quizzes)
    completion = completion_of(learner, course)
    progress = progress_from_lessons(lessons, final, completion)
    return LearnerCourse(lessons, final, completion, progress)


def course_progress(learner, course: Course) -> CourseProgress:
    return learner_course(learner, course).progress


def lesson_to_continue(lessons: Sequence[Lesson]) -> Lesson | None:
    """Where "Continue" goes: the unfinished lesson the learner opened last, else
    the first unfinished one, else (all done) the first lesson.

    "Opened last" is the unfinished lesson with the latest ``started_at``: the
    moment a lesson is first opened is recorded anyway (start_lesson), so this
    needs no write when a page is only read again (GET requests write nothing
    when nothing changes). Going back to a lesson opened earlier does not move
    "Continue" there; a learner who does so is reviewing, and the lesson they
    were working on is the newer one. :func:`courses_with_next_step` is the same
    rule in bulk, in SQL (tests/test_player.py checks that they agree)."""
    opened = [
        lesson
        for lesson in lessons
        if lesson.state == ProgressState.IN_PROGRESS and getattr(lesson, "started_at", None)
    ]
    if opened:
        # max() keeps the first of equal times: the earlier lesson in the course.
        return max(opened, key=lambda lesson: lesson.started_at)
    for lesson in lessons:
        if lesson.state != ProgressState.COMPLETED:
            return lesson
    return lessons[0] if lessons else None


def minutes_left(lessons: Sequence[Lesson]) -> int:
    """Time left in a course: the minutes of the lessons not completed yet (a
    lesson without a duration counts as none)."""
    return sum(lesson.minutes or 0 for lesson in lessons if lesson.state != ProgressState.COMPLETED)


class SubqueryCount(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def _courses_with_progress_query(learner, courses=None) -> models.QuerySet:
    published = Lesson.objects.published().filter(course=OuterRef("pk")).values("pk")
    progress = LessonProgress.objects.filter(
        learner=learner,
        lesson__course=OuterRef("pk"),
        lesson__published_at__isnull=False,
        lesson__retired_at__isnull=True,
    )
    final = Quiz.objects.published().filter(course=OuterRef("pk"))
    completion = CourseCompletion.objects.current().filter(learner=learner, course=OuterRef("pk"))
    return (
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
            completed_at=Subquery(completion.values("completed_at")[:1]),
        )
        .filter(lesson_count__gt=0)
        .order_by("title")
    )


def _progress_of(course: Course) -> CourseProgress:
    return CourseProgress(
        completed=course.completed_count,
        total=course.lesson_count,
        started=course.started_count > 0,
        final_required=course.has_final,
        final_passed=course.final_passed,
        completed_at=course.completed_at,
    )


def courses_with_progress(learner, courses=None) -> list[tuple[Course, CourseProgress]]:
    """Courses (default: every course) with published lessons, with the learner's
    progress, in one query."""
    query = _courses_with_progress_query(learner, courses)
    return [(course, _progress_of(course)) for course in query]


@dataclass(frozen=True)
class NextStep:
    """Where a learner goes next in a course and how long the rest takes."""

    lesson: Lesson | None  # None: no lesson left (the final assessment may be)
    minutes_left: int


def courses_with_next_step(learner, courses=None) -> list[tuple[Course, CourseProgress, NextStep]]:
    """:func:`courses_with_progress` with each course's :class:`NextStep`, still in
    one query: the rule of :func:`lesson_to_continue` and :func:`minutes_left`,
    written as subqueries so My learning costs the same for ten courses as for one.
    The lessons it returns have ``course`` set, so ``get_absolute_url`` costs nothing."""
    completed = LessonProgress.objects.filter(
        learner=learner, state=ProgressState.COMPLETED
    ).values("lesson")
    unfinished = Lesson.objects.published().filter(course=OuterRef("pk")).exclude(pk__in=completed)
    opened = LessonProgress.objects.filter(
        learner=learner,
        state=ProgressState.IN_PROGRESS,
        lesson__course=OuterRef("pk"),
        lesson__published_at__isnull=False,
        lesson__retired_at__isnull=True,
    ).order_by("-started_at", "lesson__position", "lesson__id")
    first = unfinished.order_by("position", "id")

    def next_lesson(field: str):
        return Coalesce(
            Subquery(opened.values(f"lesson__{field}")[:1]),
            Subquery(first.values(field)[:1]),
        )

    query = _courses_with_progress_query(learner, courses).annotate(
        next_slug=next_lesson("slug"),
        next_title=next_lesson("title"),
        minutes_left=Coalesce(
            Subquery(
                unfinished.order_by().values("course").annotate(sum=Sum("minutes")).values("sum")
            ),
            0,
        ),
    )
    rows = []
    for course in query:
        lesson = None
        if course.next_slug is not None:
            lesson = Lesson(course=course, slug=course.next_slug, title=course.next_title)
        rows.append((course, _progress_of(course), NextStep(lesson, course.minutes_left)))
    return rows


def next_steps_among(learner, lesson_ids) -> dict[int, NextStep]:
    """{course id: NextStep} over these lessons only (an assignment's chosen
    lessons), by :func:`lesson_to_continue` and :func:`minutes_left`; one query."""
    progress = LessonProgress.objects.filter(learner=learner, lesson=OuterRef("pk"))
    lessons = list(
        Lesson.objects.published()
        .filter(pk__in=list(lesson_ids))
        .select_related("course")
        .defer("body_markdown", "body_html", "course__introduction_markdown")
        .annotate(
            progress_state=Subquery(progress.values("state")[:1]),
            progress_started_at=Subquery(progress.values("started_at")[:1]),
        )
        .order_by("course_id", "position", "id")
    )
    by_course: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        lesson.state = ProgressState(lesson.progress_state or ProgressState.NOT_STARTED)
        lesson.started_at = lesson.progress_started_at
        by_course.setdefault(lesson.course_id, []).append(lesson)
    steps = {}
    for course_id, chosen in by_course.items():
        unfinished = [lesson for lesson in chosen if lesson.state != ProgressState.COMPLETED]
        steps[course_id] = NextStep(
            lesson_to_continue(unfinished) if unfinished else None, minutes_left(chosen)
        )
    return steps
