"""Prerequisites: what locks a course or a lesson for a learner, and why. Every page,
and every POST that would record work in a locked item, asks here.

- A course that requires others (courses.CourseRequirement) is locked until the
  learner has completed each of them: a CourseCompletion of any run (a completion
  that expired or was followed by a fresh start still counts: it was learnt). With a
  score, the completion's final assessment result (``final_percent``) or the best
  score on the required course's final assessment (quizzes.scores) must reach it.
- A lesson that requires other lessons of its course (lessons.LessonRequirement)
  is locked until each of them is completed; with a score, until its quiz is passed
  with at least that percent (the lesson's best score, quizzes.scores).
- Only published items count: a requirement on a draft or retired course or lesson
  locks nothing (the learner could never meet it).
- What a learner has completed stays open: a course with a current completion, a
  completed lesson (for review).
- A locked course locks its lessons and quizzes. Staff previews are never locked.

The requirements come with the cached course structure (progress.structure): a course
without any costs no query. The learner's standing in the required courses is read
in one query (two when a score is asked) for a whole page of courses
(:func:`course_locks`); lessons' locks come from the lessons a page has read already
(:func:`lesson_locks`, no query).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, ProgressState
from lessons.services import completion_of
from progress.rules import lessons_with_state
from progress.structure import CourseStructure, Required, course_structure, course_structures
from quizzes.models import Attempt, Quiz
from quizzes.scores import scores


@dataclass(frozen=True)
class Unmet:
    """One requirement the learner has not met: the required course or lesson (its
    title in the learner's language once the page has localised it), the score asked
    for and their best so far, and whether they may open it (for a link)."""

    item: Course | Lesson
    min_score: int | None = None
    best: int | None = None
    number: int | None = None  # a lesson's number in its course
    can_open: bool = True

    @property
    def is_lesson(self) -> bool:
        return isinstance(self.item, Lesson)

    @property
    def url(self) -> str:
        return self.item.get_absolute_url() if self.can_open else ""

    @property
    def name(self) -> str:
        """ "Induction", or "lesson 2": what unlocks it, in a few words."""
        if self.is_lesson:
            return _("lesson %(number)s") % {"number": self.number}
        return _("“%(title)s”") % {"title": self.item.title}

    @property
    def reason(self) -> str:
        """What to do, in one sentence: "Finish “Induction” first."."""
        return self._sentence() % self._values(self.item.title)

    @property
    def reason_html(self) -> SafeString:
        """:attr:`reason` with the title linked to the item, when the learner may open it."""
        title = conditional_escape(self.item.title)
        if self.url:
            title = format_html('<a class="alert-link" href="{}">{}</a>', self.url, self.item.title)
        return mark_safe(conditional_escape(self._sentence()) % self._values(title))

    def _values(self, title: str) -> dict[str, object]:
        return {"title": title, "number": self.number, "score": self.min_score, "best": self.best}

    def _sentence(self) -> str:
        """The sentence with %(title)s, %(number)s, %(score)s and %(best)s to fill in."""
        if self.min_score is None:
            if self.is_lesson:
                return _("Finish lesson %(number)s, “%(title)s”, first.")
            return _("Finish “%(title)s” first.")
        if self.is_lesson:
            text = _("Pass the quiz of lesson %(number)s, “%(title)s”, with %(score)s%% or more.")
        else:
            text = _("Complete “%(title)s” with %(score)s%% or more in its final assessment.")
        if self.best is not None:
            text += " " + _("Your best so far: %(best)s%%.")
        return text


@dataclass(frozen=True)
class Lock:
    """Why a course or lesson is locked: the requirements not met yet, in order."""

    unmet: tuple[Unmet, ...]
    of_course: bool = False  # the course is locked (a lesson's lock may be its course's)

    @property
    def reasons(self) -> list[str]:
        return [item.reason for item in self.unmet]

    @property
    def message(self) -> str:
        """One line for a refused POST: "This course is locked. Finish “Induction” first."."""
        what = _("This course is locked.") if self.of_course else _("This lesson is locked.")
        return " ".join([what, *self.reasons])

    @property
    def unlocks_after(self) -> str:
        """ "Unlocks after “Induction”": what comes first, on a card."""
        names = ", ".join(item.name for item in self.unmet)
        return _("Unlocks after %(items)s") % {"items": names}

    @property
    def courses(self) -> list[Course]:
        """The required courses named, for the page to show in the learner's language."""
        return [item.item for item in self.unmet if isinstance(item.item, Course)]

    @property
    def lessons(self) -> list[Lesson]:
        """The required lessons named, likewise."""
        return [item.item for item in self.unmet if isinstance(item.item, Lesson)]


# Courses --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Standing:
    """The learner's standing in a required course (read by :func:`_standings`)."""

    course: Course
    completed: bool
    best: int | None  # the best final assessment score, completion or attempts
    has_final: bool
    can_open: bool  # the learner may see the course (Course.objects.visible_to)

    def meets(self, min_score: int | None) -> bool:
        if not self.completed:
            return False
        if min_score is None or not self.has_final:
            return True
        return self.best is not None and self.best >= min_score


def course_locks(
    learner, courses: Iterable[Course], *, completed: Collection[int] = ()
) -> dict[int, Lock]:
    """{course id: Lock} of these courses that are locked for the learner (the others
    are absent); ``completed``: ids of the courses the learner has a current
    completion of (never locked). No query when none of the courses requires
    another (the structures are cached), otherwise one, or two when a score is asked,
    whatever the number of courses."""
    courses = [course for course in courses if course.pk not in completed]
    structures = course_structures(courses)
    asked = {course.pk: structures[course.pk].requires for course in courses}
    asked = {course_id: required for course_id, required in asked.items() if required}
    if not asked:
        return {}
    standings = _standings(learner, asked.values())
    locks = {}
    for course_id, required in asked.items():
        unmet = tuple(
            _unmet_course(standings[item.id], item.min_score)
            for item in required
            if item.id in standings and not standings[item.id].meets(item.min_score)
        )
        if unmet:
            locks[course_id] = Lock(unmet, of_course=True)
    return locks


def course_lock(learner, course: Course, *, completed: bool = False) -> Lock | None:
    """What locks this course for the learner (:func:`course_locks` for one)."""
    return course_locks(learner, [course], completed={course.pk} if completed else ()).get(
        course.pk
    )


def _unmet_course(standing: _Standing, min_score: int | None) -> Unmet:
    best = standing.best if min_score is not None else None
    return Unmet(standing.course, min_score, best, can_open=standing.can_open)


def _standings(learner, asked: Iterable[tuple[Required, ...]]) -> dict[int, _Standing]:
    """{course id: _Standing} of the published courses required: one query for the
    courses with the learner's completions, one more for their attempts at the finals
    when a score is asked."""
    required = [item for items in asked for item in items]
    # Every run's completions: one followed by a fresh start still counts.
    completions = CourseCompletion.objects.filter(learner=learner, course=OuterRef("pk"))
    scored = completions.filter(final_percent__isnull=False).order_by("-final_percent")
    final = Quiz.objects.published().filter(course=OuterRef("pk"))
    rows = list(
        Course.objects.published()
        .filter(pk__in={item.id for item in required})
        .only("slug", "title", "visibility", "published_at")
        .annotate(
            completed=Exists(completions),
            completion_best=Subquery(scored.values("final_percent")[:1]),
            final_id=Subquery(final.values("pk")[:1]),
            can_open=Exists(Course.objects.visible_to(learner).filter(pk=OuterRef("pk"))),
        )
    )
    finals = {_annotated(row).final_id for row in rows} - {None}
    best: dict[int, int | None] = {}
    if finals and any(item.min_score is not None for item in required):
        found = scores(Attempt.objects.filter(learner=learner, quiz_id__in=finals))
        best = {quiz_id: score.best for (_learner, quiz_id), score in found.items()}
    return {row.pk: _standing(row, best) for row in rows}


def _standing(row: Course, attempt_best: dict[int, int | None]) -> _Standing:
    """A row of :func:`_standings` with the best score on its final, if any."""
    values = _annotated(row)
    found = [values.completion_best, attempt_best.get(values.final_id)]
    return _Standing(
        course=row,
        completed=values.completed,
        best=max((value for value in found if value is not None), default=None),
        has_final=values.final_id is not None,
        can_open=values.can_open,
    )


def _annotated(row: Any) -> Any:
    """A row with the values a query annotated (or a lesson with those
    progress.rules set), which the model's type does not declare."""
    return row


# Lessons --------------------------------------------------------------------------


def lesson_locks(
    lessons: Sequence[Lesson], structure: CourseStructure | None = None
) -> dict[int, Lock]:
    """{lesson id: Lock} of a course's lessons locked by other lessons, from the lessons
    a page holds (progress.rules.lessons_with_state: ``state``, ``quiz_id``,
    ``quiz_best``): no query. Completed lessons stay open."""
    if not lessons:
        return {}
    structure = structure or course_structure(lessons[0].course)
    numbered = {lesson.pk: (number, lesson) for number, lesson in enumerate(lessons, start=1)}
    locks = {}
    for lesson in lessons:
        if _annotated(lesson).state == ProgressState.COMPLETED:
            continue
        unmet = tuple(
            _unmet_lesson(*numbered[item.id], item.min_score)
            for item in sorted(
                structure.lesson_requires.get(lesson.pk, ()), key=_position(numbered)
            )
            if item.id in numbered and not _lesson_met(numbered[item.id][1], item.min_score)
        )
        if unmet:
            locks[lesson.pk] = Lock(unmet)
    return locks


def _position(numbered: dict[int, tuple[int, Lesson]]) -> Callable[[Required], int]:
    """Requirements in the course's order (a lesson not shown last: it is left out)."""
    return lambda item: numbered.get(item.id, (len(numbered) + 1,))[0]


def _lesson_met(lesson: Lesson, min_score: int | None) -> bool:
    """Completed; with a score, its quiz passed with at least that (a lesson with a
    quiz is completed by passing it)."""
    figures = _annotated(lesson)
    if figures.state != ProgressState.COMPLETED:
        return False
    if min_score is None or figures.quiz_id is None:
        return True
    return figures.quiz_best is not None and figures.quiz_best >= min_score


def _unmet_lesson(number: int, lesson: Lesson, min_score: int | None) -> Unmet:
    figures = _annotated(lesson)
    best = figures.quiz_best if min_score is not None and figures.quiz_id else None
    return Unmet(lesson, min_score, best, number=number)


# A course page, a lesson page, a POST ---------------------------------------------


@dataclass
class CourseLocks:
    """What is locked for a learner in one course: the course itself, or some of its
    lessons. :meth:`of` says what locks one lesson (its course's lock first)."""

    course: Lock | None = None
    lessons: dict[int, Lock] = field(default_factory=dict)

    def of(self, lesson: Lesson) -> Lock | None:
        return self.course or self.lessons.get(lesson.pk)

    def mark(self, lessons: Iterable[Lesson]) -> None:
        """Set ``lock`` (a Lock or None) on each lesson, for the page's templates."""
        for lesson in lessons:
            lesson.lock = self.of(lesson)  # type: ignore[attr-defined]


def locks_in_course(
    learner, course: Course, lessons: Sequence[Lesson], completed: bool
) -> CourseLocks:
    """The locks of a course page or lesson page, from the lessons it read
    (progress.rules.learner_course) and whether the learner completed the course."""
    structure = course_structure(course)
    return CourseLocks(
        course_lock(learner, course, completed=completed) if structure.requires else None,
        lesson_locks(lessons, structure),
    )


def lock_of(learner, course: Course, lesson: Lesson | None = None) -> Lock | None:
    """What locks this course, or this lesson of it, for the learner: the check before
    a POST records work (a lesson's start or completion, a quiz's attempt). No query
    beyond the cached structure when nothing is required."""
    structure = course_structure(course)
    if structure.requires:
        lock = course_lock(learner, course)
        if lock is not None and completion_of(learner, course) is None:
            return lock
    if lesson is not None and structure.lesson_requires.get(lesson.pk):
        return lesson_locks(lessons_with_state(learner, course), structure).get(lesson.pk)
    return None


def mark_course_locks(
    learner, courses: Sequence[Course], completed: Collection[int], others: Iterable[Course] = ()
) -> list[Course]:
    """A list page's courses (My learning, the catalogue): set ``lock`` (a Lock or None)
    on each, and on ``others`` (the same courses read elsewhere on the page), by
    :func:`course_locks`. Returns the required courses the locks name, for the page to
    show in the learner's language."""
    locks = course_locks(learner, courses, completed=completed)
    for course in [*courses, *others]:
        course.lock = locks.get(course.pk)  # type: ignore[attr-defined]
    return [required for lock in locks.values() for required in lock.courses]


def page_locks(learner, course: Course, lessons: Sequence[Lesson], completed: bool) -> CourseLocks:
    """A course or lesson page's locks (:func:`locks_in_course`), set on its lessons as
    ``lock`` for the lesson list and the outline."""
    locks = locks_in_course(learner, course, lessons, completed)
    locks.mark(lessons)
    return locks
