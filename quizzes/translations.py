"""A quiz's questions and a submitted attempt's review in the learner's language.

The texts come from lessons.translations (one query for the page); each is chosen
by courses.translations.shown. Grading accepts the short answers of every
language (:func:`short_answers_in_translations`): an answer is right or wrong whatever
the language the learner took the quiz in.

A translation's quiz texts must fit the quiz they translate (:func:`quiz_text_problems_for`:
question ids, number of choices, answers only for short questions): checked here, above
the translation models, by the admin's translation forms (authoring.admin). The importer
checks a translated file against its base file instead (authoring.quiz_files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import get_language, pgettext

from courses.models import CourseTranslation
from courses.translations import localise, shown, validate_quiz_texts
from lessons.models import LessonTranslation
from quizzes.answers import Listed, answer_key
from quizzes.models import Question, QuestionType, Quiz

if TYPE_CHECKING:  # quizzes.services grades with short_answers_in_translations
    from quizzes.services import ReviewItem


def _base_order(question: Question) -> list:
    # Translated choices are listed in the base file's order: by position.
    return sorted(question.choices.all(), key=lambda choice: (choice.position, choice.pk))


def true_false_label(text: str) -> str:
    """A true/false question's choice ("True", "False") in the interface's language."""
    if text == "True":
        return pgettext("a true/false answer", "True")
    if text == "False":
        return pgettext("a true/false answer", "False")
    return text


def localise_questions(questions: Sequence[Question], quiz_texts: dict, language: str) -> None:
    """Put the translated prompt, explanation and choice texts and feedback on the
    questions of a quiz page (from quizzes.services.questions_for); a true/false
    question's choices read "True" and "False" in the interface's language."""
    for question in questions:
        if question.type == QuestionType.TRUE_FALSE:
            for choice in question.ordered_choices:
                if (label := true_false_label(choice.text)) != choice.text:
                    localise(choice, get_language(), text=label)
        texts = quiz_texts.get(question.key)
        if not texts:
            continue
        localise(
            question,
            language,
            prompt=texts.get("prompt"),
            explanation=texts.get("explanation"),
            feedback=texts.get("feedback"),
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
        if question.type == QuestionType.TRUE_FALSE:
            item = replace(
                item,
                choices=[
                    replace(choice, text=true_false_label(choice.text)) for choice in item.choices
                ],
            )
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
        feedback = item.feedback and _feedback_in_language(item, texts, language)
        localised.append(
            replace(
                item,
                choices=choices,
                expected=expected,
                explanation=explanation,
                feedback=feedback,
            )
        )
    return localised


def _feedback_in_language(item: ReviewItem, texts: dict, language: str) -> str:
    """A wrong answer's feedback in the language: the translation's listed wrong answer
    the learner typed, else the translated question feedback (unless the learner typed
    a wrong answer of the base file, whose own feedback is kept)."""
    matched = item.answer.matched
    key = answer_key(matched, language) if matched else None
    for wrong in texts.get("wrong") or []:
        if key and answer_key(wrong.get("answer", ""), language) == key:
            return shown(item.feedback, wrong.get("feedback"))
    question = item.answer.question
    if any(wrong.get("answer") == matched for wrong in question.wrong_answers if matched):
        return item.feedback
    return shown(item.feedback, texts.get("feedback"))


@dataclass
class TranslatedAnswers:
    """A short question's answers listed in its translations, each in its language."""

    accepted: list[Listed] = field(default_factory=list)
    wrong: list[Listed] = field(default_factory=list)


def short_answers_in_translations(quiz: Quiz) -> dict[str, TranslatedAnswers]:
    """{question id: the short answers its translations accept and list as wrong},
    every language: an answer is right or wrong whatever language the quiz is in."""
    if quiz.lesson_id:
        rows = LessonTranslation.objects.filter(lesson_id=quiz.lesson_id)
    else:
        rows = CourseTranslation.objects.filter(course_id=quiz.course_id)
    answers: dict[str, TranslatedAnswers] = {}
    for language, quiz_texts in rows.values_list("language", "quiz_texts"):
        for key, texts in (quiz_texts or {}).items():
            if not isinstance(texts, dict):
                continue
            found = answers.setdefault(key, TranslatedAnswers())
            for text in texts.get("accept") or []:
                found.accepted.append(Listed(str(text), language))
            for wrong in texts.get("wrong") or []:
                if isinstance(wrong, dict) and wrong.get("answer"):
                    found.wrong.append(
                        Listed(str(wrong["answer"]), language, str(wrong.get("feedback") or ""))
                    )
    return answers


# --- Quiz texts against the quiz ---------------------------------------------------


def quiz_text_problems_for(
    translation: CourseTranslation | LessonTranslation, texts: Any
) -> list[str]:
    """What in ``texts`` (quiz texts for ``translation``) does not fit the quiz it
    translates: its course's final assessment, or its lesson's quiz. Nothing for texts
    that are not well-formed (the field's validator,
    courses.translations.validate_quiz_texts, says what is wrong with them) nor for a
    translation not yet attached to its course or lesson."""
    try:
        validate_quiz_texts(texts)
    except ValidationError:
        return []
    if isinstance(translation, LessonTranslation):
        if translation.lesson_id is None:
            return []
        quiz = Quiz.objects.filter(lesson_id=translation.lesson_id).first()
    else:
        if translation.course_id is None:
            return []
        quiz = Quiz.objects.filter(course_id=translation.course_id).first()
    return quiz_text_problems(texts, quiz_shape(quiz))


def quiz_shape(quiz: Quiz | None) -> dict[str, tuple[int, bool]]:
    """{question id: (number of choices, is a short question)} of a quiz's published
    questions: what translated quiz texts must fit. Empty for no quiz."""
    if quiz is None:
        return {}
    rows = quiz.questions.published().annotate(choice_count=Count("choices"))
    return {row.key: (row.choice_count, row.type == QuestionType.SHORT) for row in rows}


def quiz_text_problems(texts: dict, questions: dict[str, tuple[int, bool]]) -> list[str]:
    """What does not fit the quiz in ``texts`` (valid by validate_quiz_texts):
    ``questions`` is {question id: (number of choices, is a short question)}."""
    problems = []
    for key, question in texts.items():
        if key not in questions:
            problems.append(f"question '{key}' is not in the quiz")
            continue
        count, short = questions[key]
        if "choices" in question and len(question["choices"]) != count:
            problems.append(
                f"question '{key}' has {len(question['choices'])} choices; the quiz has {count}"
            )
        if "accept" in question and not short:
            problems.append(f"question '{key}': only short questions accept answers")
        if "wrong" in question and not short:
            problems.append(f"question '{key}': only short questions list wrong answers")
    return problems
