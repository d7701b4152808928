"""A quiz's questions and a submitted attempt's review in the learner's language.

The texts come from lessons.translations (one query for the page); each is chosen
by courses.translations.shown. Grading accepts the short answers of every
language (:func:`accepted_in_translations`): an answer is right or wrong whatever
the language the learner took the quiz in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from courses.models import CourseTranslation
from courses.translations import localise, shown
from lessons.models import LessonTranslation
from quizzes.models import Question, QuestionType, Quiz

if TYPE_CHECKING:  # quizzes.services grades with accepted_in_translations
    from quizzes.services import ReviewItem


def _base_order(question: Question) -> list:
    # Translated choices are listed in the base file's order: by position.
    return sorted(question.choices.all(), key=lambda choice: (choice.position, choice.pk))


def localise_questions(questions: Sequence[Question], quiz_texts: dict, language: str) -> None:
    """Put the translated prompt, explanation and choice texts and feedback on the
    questions of a quiz page (from quizzes.services.questions_for)."""
    for question in questions:
        texts = quiz_texts.get(question.key)
        if not texts:
            continue
        localise(
            question, language, prompt=texts.get("prompt"), explanation=texts.get("explanation")
        )
        for choice, translated in zip(
            _base_order(question), texts.get("choices", []), strict=False
        ):
            localise(
                choice, language, text=translated.get("text"), feedback=translated.get("feedback")
            )


def localise_review(items: list[ReviewItem], quiz_texts: dict, language: str) -> list[ReviewItem]:
    """The result page's items (quizzes.services.review_attempt) in the language:
    prompt, choices, feedback, explanation and the accepted answer shown."""
    localised = []
    for item in items:
        question = item.answer.question
        texts = quiz_texts.get(question.key)
        if not texts:
            localised.append(item)
            continue
        localise(item.answer, language, prompt=texts.get("prompt"))
        # Choice texts are unique within a question: the review's choices are found by them.
        by_text = dict(
            zip((c.text for c in _base_order(question)), texts.get("choices", []), strict=False)
        )
        choices = [
            replace(
                choice,
                text=shown(choice.text, by_text.get(choice.text, {}).get("text")),
                feedback=choice.feedback
                and shown(choice.feedback, by_text.get(choice.text, {}).get("feedback")),
            )
            for choice in item.choices
        ]
        expected = item.expected
        if expected and question.type == QuestionType.SHORT:
            expected = shown(expected, (texts.get("accept") or [""])[0])
        explanation = item.explanation and shown(item.explanation, texts.get("explanation"))
        localised.append(replace(item, choices=choices, expected=expected, explanation=explanation))
    return localised


def accepted_in_translations(quiz: Quiz) -> dict[str, list[str]]:
    """{question id: the short answers its translations accept}, every language."""
    if quiz.lesson_id:
        rows = LessonTranslation.objects.filter(lesson_id=quiz.lesson_id)
    else:
        rows = CourseTranslation.objects.filter(course_id=quiz.course_id)
    accepted: dict[str, list[str]] = {}
    for quiz_texts in rows.values_list("quiz_texts", flat=True):
        for key, texts in (quiz_texts or {}).items():
            if isinstance(texts, dict) and isinstance(texts.get("accept"), list):
                accepted.setdefault(key, []).extend(str(text) for text in texts["accept"])
    return accepted
