"""Content is stored with LF line endings, whoever writes it.

A browser posts every text area with CRLF, so a lesson saved in the admin would be
stored with CRLF and its export would mark every line changed. Before any course,
lesson, quiz, question, choice or translation is saved, :func:`normalise` turns CRLF
and lone CR into LF in its text fields and in the texts inside its JSON fields
(quiz texts, accepted answers), so the files, the hashes and the database agree.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver

# Models whose texts are content: exported to files and compared with them.
CONTENT_MODELS = {
    "courses.course",
    "courses.coursetranslation",
    "lessons.lesson",
    "lessons.lessontranslation",
    "quizzes.quiz",
    "quizzes.question",
    "quizzes.choice",
}


def lf(value: Any) -> Any:
    """``value`` with every line ending as LF, inside lists and dicts too."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, list):
        return [lf(item) for item in value]
    if isinstance(value, dict):
        return {key: lf(item) for key, item in value.items()}
    return value


def normalise(instance: models.Model) -> None:
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            value = getattr(instance, field.attname)
            if (normalised := lf(value)) != value:
                setattr(instance, field.attname, normalised)


@receiver(pre_save, dispatch_uid="courses.line_endings.normalise")
def _normalise_content(sender, instance, raw: bool = False, **kwargs) -> None:
    if sender._meta.label_lower in CONTENT_MODELS:
        normalise(instance)
