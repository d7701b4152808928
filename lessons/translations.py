"""Courses and lessons in the learner's language, for the pages that show them.

:func:`show_in_language` reads every translation a page needs in one query (a
UNION of course and lesson translations), and only when the active language is
one content is translated into: in the default language it costs nothing. Each
text is then chosen by the one rule, courses.translations.shown, and put on the
objects the page already has (courses.translations.localise: such objects refuse
to be saved).

Lesson translations are found by course and slug, so the lessons a page builds
without a primary key (My learning's next steps) are translated too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, CharField, F, IntegerField, TextField, Value, When
from django.db.models.functions import Cast

from courses.models import Course, CourseTranslation
from courses.translations import content_language, localise
from lessons.models import Lesson, LessonTranslation


@dataclass(frozen=True)
class Texts:
    """One translation's texts: html and quiz texts only when they were asked for."""

    title: str
    description: str = ""
    html: str = ""
    quiz_texts: dict = field(default_factory=dict)


@dataclass
class PageTexts:
    """The translations read for one page, in ``language`` (None: the default)."""

    language: str | None = None
    courses: dict[int, Texts] = field(default_factory=dict)  # by course id
    lessons: dict[tuple[int, str], Texts] = field(default_factory=dict)  # by (course id, slug)

    def of_course(self, course_id: int | None) -> Texts | None:
        return self.courses.get(course_id)

    def of_lesson(self, lesson: Lesson) -> Texts | None:
        return self.lessons.get((lesson.course_id, lesson.slug))

    def quiz_texts(self, quiz: Any) -> dict:
        """The translated texts of a quiz's questions, by question id ({} if none)."""
        if quiz is None:
            return {}
        texts = self.of_lesson(quiz.lesson) if quiz.lesson_id else self.of_course(quiz.course_id)
        return texts.quiz_texts if texts else {}


def show_in_language(
    courses: Iterable[Course] = (),
    lessons: Iterable[Lesson] = (),
    full: Iterable[Course | Lesson] = (),
    language: str | None = None,
) -> PageTexts:
    """Put the active language's texts on ``courses`` (title, description) and
    ``lessons`` (title); on those also in ``full`` the introduction or body and read
    their quiz texts. One query, none in the default language."""
    language = content_language(language)
    if language is None:
        return PageTexts()
    courses, lessons, full = list(courses), list(lessons), list(full)
    courses += [item for item in full if isinstance(item, Course)]
    lessons += [item for item in full if isinstance(item, Lesson)]
    if not courses and not lessons:
        return PageTexts(language)
    page = _read(
        language,
        course_ids={course.pk for course in courses},
        lesson_course_ids={lesson.course_id for lesson in lessons},
        full_course_ids={item.pk for item in full if isinstance(item, Course)},
        full_lesson_ids={item.pk for item in full if isinstance(item, Lesson)},
    )
    full_ids = {(type(item), item.pk) for item in full}
    for course in courses:
        if texts := page.of_course(course.pk):
            extra = {"introduction_html": texts.html} if (Course, course.pk) in full_ids else {}
            localise(course, language, title=texts.title, description=texts.description, **extra)
    for lesson in lessons:
        if texts := page.of_lesson(lesson):
            extra = {"body_html": texts.html} if (Lesson, lesson.pk) in full_ids else {}
            localise(lesson, language, title=texts.title, **extra)
    return page


def _read(
    language: str,
    course_ids: set[int],
    lesson_course_ids: set[int],
    full_course_ids: set[int],
    full_lesson_ids: set[int],
) -> PageTexts:
    def html_and_quiz(owner: str, html: str, ids: set[int]) -> dict[str, Any]:
        # The long texts only for the objects whose page shows them.
        if not ids:
            return {"h": Value("", output_field=TextField()), "q": Value("{}", TextField())}
        wanted = {f"{owner}__in": sorted(ids)}
        return {
            "h": Case(When(**wanted, then=F(html)), default=Value(""), output_field=TextField()),
            "q": Case(
                When(**wanted, then=Cast("quiz_texts", TextField())),
                default=Value("{}"),
                output_field=TextField(),
            ),
        }

    names = ("k", "o", "c", "s", "t", "d", "h", "q")
    parts = []
    if course_ids:
        parts.append(
            CourseTranslation.objects.filter(language=language, course_id__in=sorted(course_ids))
            .order_by()
            .annotate(
                k=Value(0, IntegerField()),
                o=F("course_id"),
                c=F("course_id"),
                s=Value("", CharField()),
                t=F("title"),
                d=F("description"),
                **html_and_quiz("course_id", "introduction_html", full_course_ids),
            )
            .values_list(*names)
        )
    if lesson_course_ids:
        parts.append(
            LessonTranslation.objects.filter(
                language=language, lesson__course_id__in=sorted(lesson_course_ids)
            )
            .order_by()
            .annotate(
                k=Value(1, IntegerField()),
                o=F("lesson_id"),
                c=F("lesson__course_id"),
                s=F("lesson__slug"),
                t=F("title"),
                d=Value("", CharField()),
                **html_and_quiz("lesson_id", "body_html", full_lesson_ids),
            )
            .values_list(*names)
        )
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    page = PageTexts(language)
    for kind, _owner, course_id, slug, title, description, html, quiz in query:
        texts = Texts(title, description, html, _quiz_texts(quiz))
        if kind == 0:
            page.courses[course_id] = texts
        else:
            page.lessons[(course_id, slug)] = texts
    return page


def _quiz_texts(raw: Any) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
