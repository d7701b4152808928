"""What every learner of a course sees alike: its published lessons in order and its
published quizzes. Read once per content version and cached, so a learner's page reads
only the learner's own rows (progress.rules).

The key is ``Course.content_version``, a token in the course row the pages read
anyway: every app server agrees on it whether the cache is per process or shared
(``CACHE_URL``). ``Course.save()`` writes a new token, and so do the receivers below
after any lesson or quiz is saved or deleted (the admin, the importer, the publish
and retire actions, a course deleted with its lessons), in the same transaction.
Tokens are never reused, so whoever reads the course row after a change commits
gets the changed structure. A reader racing the change may cache the new rows under
the old token; a request that read the old token just before the commit then sees
the change a moment early, which is what it would have seen a moment later anyway
(pages treat a lesson missing from the structure as gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import BooleanField, F, Q, Value
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from courses.models import Course, CourseRequirement
from lessons.models import Lesson, LessonRequirement
from quizzes.models import Quiz

# An entry unused for a day goes; a course edited since has a new key anyway.
CACHE_SECONDS = 24 * 60 * 60


class Required(NamedTuple):
    """A prerequisite as the structure holds it: the required course's or lesson's id
    and the score asked for (None: completing it is enough)."""

    id: int
    min_score: int | None


@dataclass(frozen=True)
class CourseStructure:
    """A course's published lessons (in order, bodies not loaded, ``course`` set) and
    its published quizzes: the rule "the published quizzes of a course" is the
    published quizzes of its published lessons (by lesson id) and its published
    final assessment. With them, its prerequisites (progress.prerequisites asks):
    the courses it requires, and what each published lesson requires among the
    published lessons."""

    lessons: list[Lesson]
    lesson_quizzes: list[Quiz]  # in lesson order, each with ``lesson`` set
    final: Quiz | None
    requires: tuple[Required, ...] = ()  # courses, whether published or not
    lesson_requires: dict[int, tuple[Required, ...]] = field(default_factory=dict)

    @property
    def quiz_of_lesson(self) -> dict[int, int]:  # lesson id: quiz id
        return {quiz.lesson_id: quiz.pk for quiz in self.lesson_quizzes if quiz.lesson_id}

    @property
    def quizzes(self) -> list[Quiz]:
        """Every published quiz of the course in course order, the final last."""
        return [*self.lesson_quizzes, *([self.final] if self.final else [])]

    @property
    def quiz_ids(self) -> list[int]:
        return [quiz.pk for quiz in self.quizzes]


def _key(course: Course) -> str:
    # "v3": the entry's shape (a release that changes CourseStructure bumps it, so a
    # shared cache never hands a new process an old entry).
    return f"course-structure:v3:{course.pk}:{course.content_version}"


def course_structures(courses: Iterable[Course]) -> dict[int, CourseStructure]:
    """{course id: CourseStructure}: one cache read for them all; the courses not
    cached are read in two queries together (their lessons, their quizzes) and
    cached. Each call returns its own objects: callers annotate them freely."""
    courses = list(courses)
    cached = cache.get_many([_key(course) for course in courses])
    found = {course.pk: cached[_key(course)] for course in courses if _key(course) in cached}
    missing = [course for course in courses if course.pk not in found]
    if missing:
        read = _read([course.pk for course in missing])
        cache.set_many({_key(course): read[course.pk] for course in missing}, CACHE_SECONDS)
        found.update(read)
    for course in courses:
        # Set after caching: the entry holds no course row, the page's own is fresh.
        for lesson in found[course.pk].lessons:
            lesson.course = course
        if found[course.pk].final is not None:
            found[course.pk].final.course = course
    return found


def course_structure(course: Course) -> CourseStructure:
    return course_structures([course])[course.pk]


def _read(course_ids: list[int]) -> dict[int, CourseStructure]:
    """The structures of these courses: their lessons, their quizzes and their
    prerequisites, in three queries whatever their number."""
    lessons: dict[int, list[Lesson]] = {course_id: [] for course_id in course_ids}
    for lesson in (
        Lesson.objects.published()
        .filter(course_id__in=course_ids)
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    ):
        lessons[lesson.course_id].append(lesson)
    published = {
        lesson.pk: lesson for course_lessons in lessons.values() for lesson in course_lessons
    }
    of_lesson: dict[int, dict[int, Quiz]] = {course_id: {} for course_id in course_ids}
    final: dict[int, Quiz] = {}
    for quiz in (
        Quiz.objects.published()
        .filter(Q(course_id__in=course_ids) | Q(lesson__course_id__in=course_ids))
        .annotate(lesson_course_id=F("lesson__course_id"))
    ):
        if quiz.course_id:
            final[quiz.course_id] = quiz
        elif quiz.lesson_id in published:  # a draft or retired lesson's quiz is not shown
            quiz.lesson = published[quiz.lesson_id]
            of_lesson[quiz.lesson_course_id][quiz.lesson_id] = quiz
    requires, lesson_requires = _read_requirements(course_ids, published)
    return {
        course_id: CourseStructure(
            lessons[course_id],
            [
                of_lesson[course_id][lesson.pk]
                for lesson in lessons[course_id]
                if lesson.pk in of_lesson[course_id]
            ],
            final.get(course_id),
            tuple(requires.get(course_id, ())),
            {
                lesson.pk: tuple(lesson_requires[lesson.pk])
                for lesson in lessons[course_id]
                if lesson.pk in lesson_requires
            },
        )
        for course_id in course_ids
    }


def _read_requirements(
    course_ids: list[int], published: dict[int, Lesson]
) -> tuple[dict[int, list[Required]], dict[int, list[Required]]]:
    """{course id: courses it requires} and {lesson id: published lessons it requires}
    of these courses: one query (the two tables' rows together)."""
    of_courses = (
        CourseRequirement.objects.filter(course_id__in=course_ids)
        .annotate(of_lesson=Value(False, output_field=BooleanField()))
        .order_by()
        .values_list("of_lesson", "course_id", "required_id", "min_score")
    )
    of_lessons = (
        LessonRequirement.objects.filter(lesson__course_id__in=course_ids)
        .annotate(of_lesson=Value(True, output_field=BooleanField()))
        .order_by()
        .values_list("of_lesson", "lesson_id", "required_id", "min_score")
    )
    courses: dict[int, list[Required]] = {}
    lessons: dict[int, list[Required]] = {}
    for of_lesson, owner, required, min_score in of_courses.union(of_lessons, all=True):
        if not of_lesson:
            courses.setdefault(owner, []).append(Required(required, min_score))
        elif owner in published and required in published:
            lessons.setdefault(owner, []).append(Required(required, min_score))
    for found in (*courses.values(), *lessons.values()):
        found.sort()
    return courses, lessons


# Keeping the version: after every write of a lesson or quiz, in its transaction ---


def _courses_of(instance: Lesson | Quiz) -> set[int]:
    """The course a lesson or quiz belongs to as saved (a lesson quiz through its lesson)."""
    if isinstance(instance, Lesson):
        return {instance.course_id}
    if instance.course_id:
        return {instance.course_id}
    if instance.lesson_id is None:  # a half-made quiz: in no course yet
        return set()
    return set(Lesson.objects.filter(pk=instance.lesson_id).values_list("course_id", flat=True))


@receiver(pre_save, sender=Lesson, dispatch_uid="progress.structure.before_lesson")
@receiver(pre_save, sender=Quiz, dispatch_uid="progress.structure.before_quiz")
def remember_course_before(sender, instance, raw=False, **kwargs) -> None:
    """A lesson or quiz moved to another course (the admin allows it) changes both."""
    if raw or instance._state.adding:
        instance._courses_before = set()
        return
    before = sender._default_manager.filter(pk=instance.pk)
    if sender is Lesson:
        courses = before.values_list("course_id", flat=True)
    else:
        pairs = before.values_list("course_id", "lesson__course_id")
        courses = [course_id for pair in pairs for course_id in pair]
    instance._courses_before = set(courses) - {None}


@receiver(post_save, sender=Lesson, dispatch_uid="progress.structure.lesson_saved")
@receiver(post_save, sender=Quiz, dispatch_uid="progress.structure.quiz_saved")
@receiver(post_delete, sender=Lesson, dispatch_uid="progress.structure.lesson_deleted")
@receiver(post_delete, sender=Quiz, dispatch_uid="progress.structure.quiz_deleted")
def course_content_changed(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # loaddata: no course rows to rely on yet
        return
    courses = _courses_of(instance) | getattr(instance, "_courses_before", set())
    version = Course.objects.filter(pk__in=courses).content_changed()
    # The course row this code holds (the one the change was made through, as in
    # `course.lessons...` or `Lesson(course=course)`) follows too, so the same
    # request or command reads the changed structure through it.
    for course in _held_courses(instance):
        if course.pk in courses:
            course.content_version = version


@receiver(post_save, sender=CourseRequirement, dispatch_uid="progress.structure.course_req_saved")
@receiver(post_delete, sender=CourseRequirement, dispatch_uid="progress.structure.course_req_gone")
@receiver(post_save, sender=LessonRequirement, dispatch_uid="progress.structure.lesson_req_saved")
@receiver(post_delete, sender=LessonRequirement, dispatch_uid="progress.structure.lesson_req_gone")
def requirements_changed(sender, instance, raw=False, **kwargs) -> None:
    """A prerequisite added, changed or removed (the importer, the admin's inlines)."""
    if raw:
        return
    if isinstance(instance, CourseRequirement):
        courses = Course.objects.filter(pk=instance.course_id)
    else:
        courses = Course.objects.filter(lessons=instance.lesson_id)
    courses.content_changed()


def _held_courses(instance: Lesson | Quiz) -> list[Course]:
    held = []
    if type(instance).course.is_cached(instance) and instance.course is not None:
        held.append(instance.course)
    lesson = (
        instance.lesson if isinstance(instance, Quiz) and Quiz.lesson.is_cached(instance) else None
    )
    if lesson is not None and Lesson.course.is_cached(lesson):
        held.append(lesson.course)
    return held
