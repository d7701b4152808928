"""Content versions: a SHA-256 of the text a learner saw, kept with each event.

- A course completion's version covers the lessons it records
  (``CourseCompletion.lessons``), in its order: each lesson's slug, title and
  Markdown body, and those of its translations (the learner read one of these
  languages).
- A quiz attempt's version covers the questions of the attempt (those it drew;
  without a recorded order, the quiz's published questions), in the quiz's order
  whatever the attempt's shuffle: each question's key, type and prompt and its
  choices' texts, and the quiz's texts in each translation.

Two texts that differ by a character give different versions; the same text gives
the same version, whenever it is computed. Computed from the database as it is when
the event is written, in the event's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.log import sha256_of
from courses.models import CourseTranslation
from lessons.models import Lesson, LessonTranslation
from quizzes.models import Choice, Question


def lessons_version(lessons: list[dict[str, Any]]) -> str:
    """The version of the texts of these lessons (``CourseCompletion.lessons``: each
    with its ``id`` and ``slug``); two queries, none for no lessons. Lessons are
    named by slug, not id: the same texts give the same version in any database."""
    if not lessons:
        return sha256_of([])
    ids = [int(lesson.get("id") or 0) for lesson in lessons]
    found = {
        row["id"]: row
        for row in Lesson.objects.filter(pk__in=ids).values("id", "slug", "title", "body_markdown")
    }
    translations: dict[int, dict[str, dict[str, str]]] = {}
    for row in (
        LessonTranslation.objects.filter(lesson_id__in=ids)
        .order_by("lesson_id", "language")
        .values("lesson_id", "language", "title", "body_markdown")
    ):
        translations.setdefault(row["lesson_id"], {})[row["language"]] = {
            "title": row["title"],
            "body": row["body_markdown"],
        }
    return sha256_of([_lesson_text(lesson, found, translations) for lesson in lessons])


def _lesson_text(
    lesson: Mapping[str, Any], found: Mapping[int, Mapping[str, Any]], translations: dict
) -> dict[str, Any]:
    row = found.get(int(lesson.get("id") or 0))
    if row is None:  # deleted since: the version says so
        return {"slug": lesson.get("slug"), "missing": True}
    return {
        "slug": row["slug"],
        "title": row["title"],
        "body": row["body_markdown"],
        "translations": translations.get(row["id"], {}),
    }


def quiz_version(
    quiz_id: int,
    question_ids: list[int] | None,
    *,
    lesson_id: int | None,
    course_id: int | None,
) -> str:
    """The version of a quiz's texts as an attempt showed them (three queries)."""
    questions = Question.objects.filter(quiz_id=quiz_id)
    questions = questions.filter(pk__in=question_ids) if question_ids else questions.published()
    rows = {row["id"]: row for row in questions.values("id", "key", "type", "prompt", "position")}
    # The quiz's order, not the attempt's shuffle: the same questions are one version.
    order = sorted(rows, key=lambda pk: (rows[pk]["position"], pk))
    choices: dict[int, list[str]] = {}
    for question_id, text in (
        Choice.objects.filter(question_id__in=order)
        .order_by("question_id", "position", "id")
        .values_list("question_id", "text")
    ):
        choices.setdefault(question_id, []).append(text)
    texts = [
        {
            "key": rows[pk]["key"],
            "type": rows[pk]["type"],
            "prompt": rows[pk]["prompt"],
            "choices": choices.get(pk, []),
        }
        for pk in order
    ]
    return sha256_of({"questions": texts, "translations": _quiz_translations(lesson_id, course_id)})


def _quiz_translations(lesson_id: int | None, course_id: int | None) -> dict[str, Any]:
    """{language: quiz texts} of the lesson's (or for a final, the course's) translations."""
    if lesson_id is not None:
        lesson_rows = LessonTranslation.objects.filter(lesson_id=lesson_id)
        return dict(lesson_rows.order_by("language").values_list("language", "quiz_texts"))
    course_rows = CourseTranslation.objects.filter(course_id=course_id or 0)
    return dict(course_rows.order_by("language").values_list("language", "quiz_texts"))
