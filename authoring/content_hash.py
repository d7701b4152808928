"""Hashes of content as the files carry it, so an import can tell whose copy changed.

Each hash is computed the same way from a source file and from the database row
it was imported into: after an import and no edits, the row's hash, the hash
recorded at import (``imported_hash``) and the file's hash are equal. A hash
covers exactly what the content format carries, so an export followed by an
import finds the database and the files equal.

The ``*_fields`` functions are the one mapping from source to model fields: the
importer writes them and the hashes read the same names back from the rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from authoring.content_files import CourseSource, LessonSource, TranslationSource
from authoring.quiz_files import ChoiceSource, QuestionSource, QuizSource
from authoring.requirements import RequirementSource
from courses.models import Course, CourseRequirement, CourseTranslation, MediaFile
from courses.translations import canonical_quiz_texts
from lessons.models import Lesson, LessonTranslation
from quizzes.models import Question, QuestionType, Quiz

COURSE_FIELDS = ("title", "description", "introduction_markdown", "visibility", "valid_for_months")
# Course fields added after hashes were first recorded: hashed only when set, so a
# course imported before they existed is not taken for an edited one.
COURSE_OPTIONAL_DEFAULTS = {"valid_for_months": None}
# Not the position: inserting a lesson in the files renumbers the others. The
# order of the lessons belongs to the course.
LESSON_FIELDS = ("title", "minutes", "body_markdown")
QUIZ_FIELDS = ("pass_mark", "max_attempts", "shuffle", "show_answers", "draw", "time_limit")
# Quiz settings added after hashes were first recorded: hashed only when not at their
# default, so a quiz imported before they existed is not taken for an edited one.
QUIZ_OPTIONAL_DEFAULTS = {"show_answers": "after_pass", "draw": 0, "time_limit": 0}
QUESTION_FIELDS = (
    "type",
    "prompt",
    "explanation",
    "accepted_answers",
    "feedback",
    "exact",
    "wrong_answers",
)
# Question fields added after hashes were first recorded: hashed only when set.
QUESTION_OPTIONAL_DEFAULTS = {"feedback": "", "exact": False, "wrong_answers": []}
CHOICE_FIELDS = ("text", "is_correct", "feedback")


def course_fields(source: CourseSource) -> dict[str, Any]:
    values = (
        source.title,
        source.description,
        source.introduction,
        source.visibility,
        source.valid_for_months,
    )
    return dict(zip(COURSE_FIELDS, values, strict=True))


def lesson_fields(source: LessonSource) -> dict[str, Any]:
    return dict(zip(LESSON_FIELDS, (source.title, source.minutes, source.body), strict=True))


def quiz_fields(source: QuizSource) -> dict[str, Any]:
    values = (
        source.pass_mark,
        source.max_attempts,
        source.shuffle,
        source.show_answers,
        source.draw,
        source.time_limit,
    )
    return dict(zip(QUIZ_FIELDS, values, strict=True))


def question_fields(source: QuestionSource) -> dict[str, Any]:
    values = (
        source.type,
        source.prompt,
        source.explanation,
        source.accept,
        source.feedback,
        source.exact,
        source.wrong,
    )
    return dict(zip(QUESTION_FIELDS, values, strict=True))


def choice_fields(source: ChoiceSource) -> dict[str, Any]:
    return dict(zip(CHOICE_FIELDS, (source.text, source.correct, source.feedback), strict=True))


COURSE_TRANSLATION_FIELDS = ("title", "description", "introduction_markdown", "quiz_texts")
LESSON_TRANSLATION_FIELDS = ("title", "body_markdown", "quiz_texts")


def translation_fields(source: TranslationSource, course: bool) -> dict[str, Any]:
    if course:
        values = (source.title, source.description, source.body, source.quiz_texts)
        return dict(zip(COURSE_TRANSLATION_FIELDS, values, strict=True))
    values = (source.title, source.body, source.quiz_texts)
    return dict(zip(LESSON_TRANSLATION_FIELDS, values, strict=True))


def translation_hash(
    translation: CourseTranslation | LessonTranslation | TranslationSource | None,
    course: bool = False,
) -> str:
    """The texts of a translation file or row (``course``: of course.<lang>.md); ABSENT
    for None. Quiz texts in their canonical form, as an admin's edit may not be."""
    if translation is None:
        return ABSENT
    if isinstance(translation, TranslationSource):
        fields = translation_fields(translation, course)
    else:
        names = COURSE_TRANSLATION_FIELDS if course else LESSON_TRANSLATION_FIELDS
        fields = _values(translation, names)
    texts = fields["quiz_texts"] if isinstance(fields["quiz_texts"], dict) else {}
    return _digest({**fields, "quiz_texts": canonical_quiz_texts(texts)})


def _digest(data: Any) -> str:
    canonical = json.dumps(_normalise(data), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normalise(value: Any) -> Any:
    # A browser posts text areas with CRLF and Django's forms strip the ends:
    # an admin saving a lesson without changing it has not edited it.
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    return value


# The hash of a lesson or quiz that is not there: gone from the files, or retired.
ABSENT = _digest(None)


def _values(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def course_hash(course: Course | CourseSource) -> str:
    """Title, description, introduction, visibility, validity, the courses it
    requires, the order of the lessons and the media files (path and hash of the
    stored bytes: the files' media are checked and scaled as on import before they
    are hashed, so both sides hash the same bytes)."""
    if isinstance(course, CourseSource):
        fields = course_fields(course)
        lessons = [lesson.slug for lesson in course.lessons]
        media = sorted([item.path, item.media.hash] for item in course.media)
        requires = requirement_list(course.requires)
    else:
        fields = _values(course, COURSE_FIELDS)
        # What an export would write: published lessons, in order.
        published = course.lessons.published().order_by("position", "id")
        lessons = list(published.values_list("slug", flat=True))
        rows = MediaFile.objects.filter(course=course).values_list("path", "content_hash")
        media = sorted(list(row) for row in rows)  # in Python: collations differ
        requires = course_requirements(course)
    fields = _without_defaults(fields, COURSE_OPTIONAL_DEFAULTS)
    # Media and requirements only when there are some: hashes recorded before they
    # existed stay valid.
    return _digest(
        {
            **fields,
            "lessons": lessons,
            **({"media": media} if media else {}),
            **({"requires": requires} if requires else {}),
        }
    )


def requirement_list(requires: Iterable[RequirementSource]) -> list[list[Any]]:
    """Requirements as the hash and the exporter see them: [slug, score] by slug."""
    return sorted([requirement.slug, requirement.min_score] for requirement in requires)


def course_requirements(course: Course) -> list[list[Any]]:
    """The course's requirements in the database, as :func:`requirement_list`."""
    rows = CourseRequirement.objects.filter(course=course).values_list(
        "required__slug", "min_score"
    )
    return sorted(list(row) for row in rows)


def lesson_requirements(lesson: Lesson) -> list[list[Any]]:
    """The lesson's requirements in the database, as :func:`requirement_list` (from
    ``requirements`` prefetched with their ``required`` lessons, if they were)."""
    rows = lesson.requirements.all()
    # A retired or draft lesson is in no file: an export leaves it out, and so does this.
    return sorted([row.required.slug, row.min_score] for row in rows if row.required.is_published)


def lesson_hash(lesson: Lesson | LessonSource | None) -> str:
    """Title, minutes, body and the lessons it requires; ABSENT for None."""
    if lesson is None:
        return ABSENT
    if isinstance(lesson, LessonSource):
        fields, requires = lesson_fields(lesson), requirement_list(lesson.requires)
    else:
        fields, requires = _values(lesson, LESSON_FIELDS), lesson_requirements(lesson)
    return _digest({**fields, **({"requires": requires} if requires else {})})


def _without_defaults(fields: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in fields.items()
        if name not in defaults or value != defaults[name]
    }


def quiz_hash(quiz: Quiz | QuizSource | None) -> str:
    """Settings and questions in order with their choices; ABSENT for None or retired."""
    if quiz is None or (isinstance(quiz, Quiz) and quiz.retired_at is not None):
        return ABSENT
    if isinstance(quiz, QuizSource):
        settings = quiz_fields(quiz)
        questions = [
            _question(q.key, question_fields(q), [choice_fields(c) for c in q.choices])
            for q in quiz.questions
        ]
    else:
        settings = _values(quiz, QUIZ_FIELDS)
        rows = quiz.questions.published().order_by("position", "id").prefetch_related("choices")
        questions = [_question(q.key, _values(q, QUESTION_FIELDS), _choices(q)) for q in rows]
    settings = {
        name: value
        for name, value in settings.items()
        if name not in QUIZ_OPTIONAL_DEFAULTS or value != QUIZ_OPTIONAL_DEFAULTS[name]
    }
    return _digest({**settings, "questions": questions})


def _choices(question: Question) -> list[dict[str, Any]]:
    choices = sorted(question.choices.all(), key=lambda choice: (choice.position, choice.pk))
    return [_values(choice, CHOICE_FIELDS) for choice in choices]


def _question(key: str, fields: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
    if fields["type"] == QuestionType.TRUE_FALSE:
        # The format has no feedback for true/false choices (export leaves it out):
        # feedback added there in the admin could never reach the files.
        choices = [{**choice, "feedback": ""} for choice in choices]
    fields = {
        name: value
        for name, value in fields.items()
        if name not in QUESTION_OPTIONAL_DEFAULTS or value != QUESTION_OPTIONAL_DEFAULTS[name]
    }
    return {"key": key, **fields, "choices": choices}
