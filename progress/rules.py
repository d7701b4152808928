"""The course-progress rule: where a learner stands in a course, asked by every page,
export, email and the admin, so "14% Complete" means the same thing everywhere.

- Percent complete = completed lessons / published lessons, rounded down.
- A course is complete when every lesson is, and its final assessment (if it has
  one) is passed; once recorded (progress.services.record_course_completion) a
  completion lasts: a completed learner stays Completed when lessons are added,
  and sees them as new lessons.
- "Continue" goes to the unfinished lesson opened last (:func:`lesson_to_continue`).
- A quiz's best score, attempts used and whether it is passed: quizzes.scores.

It reads the course structure (progress.structure, cached) and the learner's own
rows: lesson progress (lessons), attempts (quizzes) and completions (lessons).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState
from lessons.services import completion_of
from progress.structure import CourseStructure, course_structure, course_structures
from quizzes.models import Attempt, Quiz
from quizzes.scores import NO_SCORE, QuizScore, any_passed, scores


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


@dataclass(frozen=True)
class CourseQuizzes:
    """A course's published quizzes and one learner's attempt figures on them,
    shared by :func:`lessons_with_state` and :func:`final_assessment_for`."""

    of_lesson: dict[int, int]  # lesson id: quiz id
    final: Quiz | None
    stats: dict[int, QuizScore]  # quiz id: the learner's score (quizzes.scores)


def course_quizzes(
    learner, course: Course, structure: CourseStructure | None = None
) -> CourseQuizzes:
    """The course's published quizzes (progress.structure, cached) with the learner's
    figures in the current run: one query, the learner's own attempts."""
    structure = structure or course_structure(course)
    return CourseQuizzes(
        structure.quiz_of_lesson, structure.final, _attempt_stats(learner, structure.quiz_ids)
    )


def lessons_with_state(
    learner, course: Course, quizzes: CourseQuizzes | None = None
) -> list[Lesson]:
    """The course's published lessons in order, each with, for this learner:
    ``state`` (a ProgressState), ``started_at`` (when first opened, or None),
    and ``quiz_id``, ``quiz_best`` (best percent or None) and ``quiz_attempts``
    (0 for a lesson without a quiz).

    The lessons and quizzes are the same for every learner (progress.structure,
    cached); what is read per learner is their own progress rows and attempts: two
    plain queries whatever the number of lessons or learners (one if ``quizzes``
    were read already).
    """
    structure = course_structure(course)
    quizzes = quizzes or course_quizzes(learner, course, structure)
    return _with_state(structure.lessons, _progress_of_learner(learner, structure.lessons), quizzes)


def _progress_of_learner(
    learner, lessons: Sequence[Lesson] | None = None
) -> dict[int, tuple[str, datetime.datetime]]:
    """{lesson id: (state, started_at)} of the learner's current run in these lessons
    (None: in every lesson; a learner has opened a few hundred at most, and a filter
    by learner alone is the cheapest query)."""
    rows = LessonProgress.objects.filter(learner=learner)
    if lessons is not None:
        if not lessons:
            return {}
        rows = rows.filter(lesson_id__in=[lesson.pk for lesson in lessons])
    return {
        lesson_id: (state, started_at)
        for lesson_id, state, started_at in rows.values_list("lesson_id", "state", "started_at")
    }


def _with_state(
    lessons: list[Lesson],
    progress: dict[int, tuple[str, datetime.datetime]],
    quizzes: CourseQuizzes,
) -> list[Lesson]:
    for lesson in lessons:
        state, lesson.started_at = progress.get(lesson.pk, (ProgressState.NOT_STARTED, None))
        lesson.state = ProgressState(state)
        lesson.quiz_id = quizzes.of_lesson.get(lesson.pk)
        score = quizzes.stats.get(lesson.quiz_id, NO_SCORE)
        lesson.quiz_best, lesson.quiz_attempts = score.best, score.used
    return lessons


def as_new_learner(lessons: list[Lesson]) -> list[Lesson]:
    """Lessons as someone who has not started sees them (the staff preview)."""
    for lesson in lessons:
        lesson.state, lesson.started_at = ProgressState.NOT_STARTED, None
        lesson.quiz_id, lesson.quiz_best, lesson.quiz_attempts = None, None, 0
    return lessons


def _attempt_stats(learner, quiz_ids) -> dict[int, QuizScore]:
    """{quiz id: QuizScore} for one learner in the current run: one query."""
    quiz_ids = list(quiz_ids)
    if not quiz_ids:
        return {}
    found = scores(Attempt.objects.filter(learner=learner, quiz_id__in=quiz_ids))
    return {quiz_id: score for (_learner, quiz_id), score in found.items()}


def final_assessment_for(
    learner, course: Course, quizzes: CourseQuizzes | None = None
) -> Quiz | None:
    """The course's published final assessment with the learner's ``best``,
    ``attempts_used`` and ``passed``: the learner's attempts in one query (none if
    there is no final), none when ``quizzes`` were read already."""
    if quizzes is None:
        final = course_structure(course).final
        stats = _attempt_stats(learner, [final.pk]) if final is not None else {}
    else:
        final, stats = quizzes.final, quizzes.stats
    if final is not None:
        score = stats.get(final.pk, NO_SCORE)
        final.best, final.attempts_used, final.passed = score.best, score.used, score.passed
    return final


def progress_from_lessons(
    lessons: Sequence[Lesson],
    final_assessment: Quiz | None = None,
    completion: CourseCompletion | None = None,
) -> CourseProgress:
    """Course progress from :func:`lessons_with_state`, :func:`final_assessment_for`
    and :func:`lessons.services.completion_of`."""
    return _progress(
        lessons,
        final_required=final_assessment is not None,
        final_passed=bool(final_assessment is not None and final_assessment.passed),
        completed_at=completion.completed_at if completion else None,
    )


def _progress(
    lessons: Sequence[Lesson],
    *,
    final_required: bool,
    final_passed: bool,
    completed_at: datetime.datetime | None,
) -> CourseProgress:
    return progress_of(
        [lesson.state for lesson in lessons],
        final_required=final_required,
        final_passed=final_passed,
        completed_at=completed_at,
    )


def progress_of(
    states: Iterable[str],
    *,
    final_required: bool,
    final_passed: bool,
    completed_at: datetime.datetime | None,
) -> CourseProgress:
    """The rule's inputs from the learner's state in each published lesson of the
    course (in any order): every page, My learning and the dashboard end here."""
    states = list(states)
    return CourseProgress(
        completed=sum(state == ProgressState.COMPLETED for state in states),
        total=len(states),
        started=any(state != ProgressState.NOT_STARTED for state in states),
        final_required=final_required,
        final_passed=final_passed,
        completed_at=completed_at,
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
    structure = course_structure(course)
    quizzes = course_quizzes(learner, course, structure)
    lessons = _with_state(
        structure.lessons, _progress_of_learner(learner, structure.lessons), quizzes
    )
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
    lesson page's start POST records when a lesson is first opened (or, without
    JavaScript, its first completion), so reading a page writes nothing. Going back
    to a lesson opened earlier does not move "Continue" there; a learner who does
    so is reviewing, and the lesson they were working on is the newer one.
    :func:`courses_with_next_step` asks it for every course at once."""
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


def courses_with_progress(learner, courses=None) -> list[tuple[Course, CourseProgress]]:
    """Courses (default: every course) with published lessons, with the learner's
    progress: :func:`courses_with_next_step` without the next steps."""
    return [
        (course, progress) for course, progress, _step in courses_with_next_step(learner, courses)
    ]


@dataclass(frozen=True)
class NextStep:
    """Where a learner goes next in a course and how long the rest takes."""

    lesson: Lesson | None  # None: no lesson left (the final assessment may be)
    minutes_left: int


def courses_with_next_step(learner, courses=None) -> list[tuple[Course, CourseProgress, NextStep]]:
    """Published courses with published lessons (default: every course), by title,
    each with the learner's :class:`CourseProgress` and :class:`NextStep` by the
    rules of one course (:func:`progress_from_lessons`, :func:`lesson_to_continue`,
    :func:`minutes_left`). Two queries whatever the number of courses: the courses
    (with whether the learner passed the final and their completion), then the
    learner's progress rows; the lessons and quizzes come from progress.structure.
    The lessons returned have ``course`` set, so ``get_absolute_url`` costs nothing."""
    completion = CourseCompletion.objects.current().filter(learner=learner, course=OuterRef("pk"))
    rows = list(
        (Course.objects.all() if courses is None else courses)
        .published()
        .annotate(
            final_passed=any_passed(
                Attempt.objects.filter(
                    learner=learner, quiz__course=OuterRef("pk"), quiz__retired_at__isnull=True
                )
            ),
            completed_at=Subquery(completion.values("completed_at")[:1]),
        )
        .order_by("title")
    )
    structures = course_structures(rows)
    progress = _progress_of_learner(learner)  # every course's at once
    result = []
    for course in rows:
        structure = structures[course.pk]
        if not structure.lessons:
            continue
        lessons = _with_state(structure.lessons, progress, CourseQuizzes({}, structure.final, {}))
        course_progress = _progress(
            lessons,
            final_required=structure.final is not None,
            final_passed=course.final_passed,
            completed_at=course.completed_at,
        )
        unfinished = [lesson for lesson in lessons if lesson.state != ProgressState.COMPLETED]
        step = NextStep(
            lesson_to_continue(unfinished) if unfinished else None, minutes_left(lessons)
        )
        result.append((course, course_progress, step))
    return result


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


# The rule in bulk: many learners in one course (the trainer's dashboard and CSVs) ---


class LessonRecord(NamedTuple):
    """A learner's progress row in one lesson (read for the learners on a page)."""

    state: str
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None


@dataclass
class CourseRecords:
    """Many learners' own rows in one course, read together by :func:`course_records`:
    what :class:`CourseProgress` needs, through the same rule as one learner's pages
    (:func:`progress_of`, quizzes.scores). The state of every learner in every
    lesson is read (small values); moments are added up by the database, and whole
    rows are read only for the learners a page shows (:meth:`read_rows`)."""

    structure: CourseStructure
    states: dict[int, dict[int, str]] = field(default_factory=dict)  # learner, lesson
    scores: dict[int, dict[int, QuizScore]] = field(default_factory=dict)  # learner, quiz
    # learner: (last change to any of their rows in the course, when they completed
    # the last of the published lessons they completed)
    moments: dict[int, tuple[datetime.datetime | None, datetime.datetime | None]] = field(
        default_factory=dict
    )
    rows: dict[int, dict[int, LessonRecord]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lesson_ids = [lesson.pk for lesson in self.structure.lessons]
        self.final_id = self.structure.final.pk if self.structure.final else None

    def score(self, learner_id: int, quiz_id: int | None) -> QuizScore:
        return self.scores.get(learner_id, {}).get(quiz_id, NO_SCORE) if quiz_id else NO_SCORE

    def final_score(self, learner_id: int) -> QuizScore | None:
        return self.score(learner_id, self.final_id) if self.final_id else None

    def progress(self, learner_id: int, completed_at: datetime.datetime | None) -> CourseProgress:
        states = self.states.get(learner_id, {})
        final = self.final_score(learner_id)
        return progress_of(
            [states.get(lesson_id, ProgressState.NOT_STARTED) for lesson_id in self.lesson_ids],
            final_required=final is not None,
            final_passed=final is not None and final.passed,
            completed_at=completed_at,
        )

    def add_moments(self, learners: Iterable) -> None:
        """The moments of learners read with :func:`with_moments`."""
        for learner in learners:
            self.moments[learner.pk] = (learner.last_lesson_change, learner.lessons_done_at)

    def lessons_done_at(self, learner_id: int) -> datetime.datetime | None:
        """When the learner completed the last of the published lessons they did."""
        return self.moments.get(learner_id, (None, None))[1]

    def last_activity(self, learner_id: int) -> datetime.datetime | None:
        """The learner's latest change in the course: a lesson row, or a quiz submitted."""
        moments = [self.moments.get(learner_id, (None, None))[0]]
        moments += [score.last_submitted_at for score in self.scores.get(learner_id, {}).values()]
        return max((moment for moment in moments if moment), default=None)

    def read_rows(self, learner_ids: Iterable[int], lesson_ids: Iterable[int]) -> None:
        """Whole rows of these learners in these lessons (one query): :meth:`lesson`."""
        self.rows = {}  # the rows read before go: an export reads in chunks
        for learner_id, lesson_id, *values in LessonProgress.objects.filter(
            learner__in=list(learner_ids), lesson__in=list(lesson_ids)
        ).values_list("learner_id", "lesson_id", "state", "started_at", "completed_at"):
            self.rows.setdefault(learner_id, {})[lesson_id] = LessonRecord._make(values)

    def lesson(self, learner_id: int, lesson_id: int) -> LessonRecord | None:
        """A row read by :meth:`read_rows`."""
        return self.rows.get(learner_id, {}).get(lesson_id)


def with_moments(learners: QuerySet, course: Course) -> QuerySet:
    """``learners`` (users) annotated with ``last_lesson_change`` (their latest change
    to a lesson row in the course) and ``lessons_done_at`` (when they completed the
    last of its published lessons they completed): added up by the database, for
    :meth:`CourseRecords.add_moments`."""
    rows = LessonProgress.objects.filter(learner=OuterRef("pk"), lesson__course=course)
    published = [lesson.pk for lesson in course_structure(course).lessons]
    done = rows.filter(state=ProgressState.COMPLETED, lesson__in=published)
    return learners.annotate(
        last_lesson_change=Subquery(rows.order_by("-updated_at").values("updated_at")[:1]),
        lessons_done_at=Subquery(done.order_by("-completed_at").values("completed_at")[:1]),
    )


def course_records(course: Course, learners: QuerySet) -> CourseRecords:
    """The records of ``learners`` (a queryset of users) in ``course``: their state
    in each lesson and their scores on its published quizzes. Two queries, whatever
    the number of learners; the lessons and quizzes come from progress.structure."""
    structure = course_structure(course)
    records = CourseRecords(structure)
    people = learners.values("pk")
    rows = LessonProgress.objects.filter(learner__in=people, lesson__course=course)
    states = records.states
    for learner_id, lesson_id, state in rows.values_list("learner_id", "lesson_id", "state"):
        if learner_id in states:
            states[learner_id][lesson_id] = state
        else:
            states[learner_id] = {lesson_id: state}
    if structure.quiz_ids:
        found = scores(Attempt.objects.filter(learner__in=people, quiz_id__in=structure.quiz_ids))
        for (learner_id, quiz_id), score in found.items():
            records.scores.setdefault(learner_id, {})[quiz_id] = score
    return records
