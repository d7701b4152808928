"""Course content in more than one language: which text a learner sees.

A course and its lessons are written in the site's default language
(``settings.LANGUAGE_CODE``); ``course.<lang>.md`` and ``NN-slug.<lang>.md`` carry
their texts in another of ``settings.LANGUAGES`` (see authoring/content_files.py),
stored as ``CourseTranslation`` and ``lessons.LessonTranslation``. Settings,
progress, attempts and scores belong to the course, lesson and question, whatever
the language.

The rule, in one place (:func:`shown`): a learner sees the active language's
translation of a text where it exists, else the base text. Pages apply it to the
objects they show, in memory (:func:`localise`); such an object carries the
language in ``LOCALISED`` and refuses to be saved (:func:`_refuse_localised_save`),
so a translated title can never be written over the base one. Overwriting the
attributes (rather than adding display attributes) keeps every template and
``__str__`` as it is: the templates read ``lesson.title`` in a dozen places.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import get_language

# Set on an object whose texts were replaced by a translation (the language code).
LOCALISED = "_localised_language"

# The texts a translated quiz may carry for a question, and for each choice.
QUESTION_TEXT_KEYS = ("prompt", "explanation", "feedback", "choices", "accept", "wrong")
CHOICE_TEXT_KEYS = ("text", "feedback")
WRONG_ANSWER_KEYS = ("answer", "feedback")


def translation_languages() -> list[str]:
    """Language codes content may be translated into: every one of
    ``settings.LANGUAGES`` but the default, which the base files are written in."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def content_language(language: str | None = None) -> str | None:
    """The translation a learner sees now: the active language (or ``language``) if
    content may be translated into it, else None (the base text, no query)."""
    code = (language or get_language() or settings.LANGUAGE_CODE).lower()
    languages = translation_languages()
    if code in languages:
        return code
    primary = code.split("-")[0]  # "de-at" reads the "de" translation
    return primary if primary in languages else None


def shown(base: Any, translated: Any) -> Any:
    """The one rule: the translation where it exists (not empty), else the base."""
    return translated if translated not in (None, "", [], {}) else base


def localise(obj: Any, language: str, **texts: Any) -> Any:
    """Put each of ``texts`` (attribute: translated value) on ``obj`` by :func:`shown`
    and mark it, so it can no longer be saved."""
    for name, translated in texts.items():
        # The base is not read (it may be a deferred field): kept unless replaced.
        if (value := shown(_KEEP, translated)) is not _KEEP:
            setattr(obj, name, value)
    setattr(obj, LOCALISED, language)
    return obj


_KEEP = object()


class LocalisedSave(RuntimeError):
    """A programming error: an object showing a translation was about to be saved."""


@receiver(pre_save, dispatch_uid="courses.translations.refuse_localised_save")
def _refuse_localised_save(sender, instance, **kwargs) -> None:
    if getattr(instance, LOCALISED, None):
        raise LocalisedSave(
            f"{sender.__name__} {instance.pk} holds texts in {getattr(instance, LOCALISED)}; "
            "reload it from the database to change it"
        )


def validate_language(value: str) -> None:
    if value not in translation_languages():
        raise ValidationError(
            f"'{value}' is not a language content is translated into "
            f"(one of: {', '.join(translation_languages())})"
        )


def validate_quiz_texts(value: Any) -> None:
    """The shape of a translation's quiz texts: ``{question id: {"prompt": "...",
    "explanation": "...", "choices": [{"text": "...", "feedback": "..."}],
    "accept": ["..."]}}``; every key optional. Whether the ids and the number of
    choices match the quiz is checked against the quiz: by the importer against the
    base file (authoring.quiz_files), in the admin by quizzes.translations."""
    if not isinstance(value, dict):
        raise ValidationError("Quiz texts must be a JSON object keyed by question id.")
    for key, texts in value.items():
        if not isinstance(texts, dict):
            raise ValidationError(f"Question {key}: must be an object.")
        for name, text in texts.items():
            if name not in QUESTION_TEXT_KEYS:
                raise ValidationError(
                    f"Question {key}: unknown key '{name}' "
                    f"(allowed: {', '.join(QUESTION_TEXT_KEYS)})."
                )
            if name in ("prompt", "explanation", "feedback") and not isinstance(text, str):
                raise ValidationError(f"Question {key}: '{name}' must be text.")
            if name == "wrong":
                _validate_wrong(key, text)
            if name == "accept" and not (
                isinstance(text, list) and all(isinstance(item, str) for item in text)
            ):
                raise ValidationError(f"Question {key}: 'accept' must be a list of texts.")
            if name == "choices":
                _validate_choices(key, text)


def _validate_choices(key: str, choices: Any) -> None:
    if not isinstance(choices, list):
        raise ValidationError(f"Question {key}: 'choices' must be a list.")
    for number, choice in enumerate(choices, start=1):
        if not isinstance(choice, dict) or not set(choice) <= set(CHOICE_TEXT_KEYS):
            raise ValidationError(
                f"Question {key}, choice {number}: must be an object with text and feedback."
            )
        if not all(isinstance(text, str) for text in choice.values()):
            raise ValidationError(f"Question {key}, choice {number}: texts must be text.")


def _validate_wrong(key: str, wrong: Any) -> None:
    if not isinstance(wrong, list) or not all(
        isinstance(item, dict)
        and set(item) <= set(WRONG_ANSWER_KEYS)
        and all(isinstance(text, str) for text in item.values())
        for item in wrong
    ):
        raise ValidationError(
            f"Question {key}: 'wrong' must be a list of objects with answer and feedback."
        )


def canonical_quiz_texts(texts: dict) -> dict:
    """Quiz texts with empty values left out, so the admin, the files and the
    hashes agree on one form of the same texts."""
    result = {}
    for key, question in texts.items():
        item: dict[str, Any] = {}
        for name in ("prompt", "explanation", "feedback"):
            if text := (question.get(name) or "").strip():
                item[name] = text
        choices = [
            {name: (choice.get(name) or "").strip() for name in CHOICE_TEXT_KEYS}
            for choice in question.get("choices") or []
        ]
        if any(value for choice in choices for value in choice.values()):
            item["choices"] = choices
        if accept := [text.strip() for text in question.get("accept") or [] if text.strip()]:
            item["accept"] = accept
        if wrong := _canonical_wrong(question.get("wrong") or []):
            item["wrong"] = wrong
        if item:
            result[str(key)] = item
    return result


def _canonical_wrong(entries: list) -> list[dict[str, str]]:
    """Listed wrong answers with an answer; feedback only where there is one."""
    wrong = []
    for entry in entries:
        answer = (entry.get("answer") or "").strip()
        feedback = (entry.get("feedback") or "").strip()
        if answer:
            wrong.append({"answer": answer, **({"feedback": feedback} if feedback else {})})
    return wrong
