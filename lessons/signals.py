"""Keep the lesson search indexes (lessons/search.py) in step with lessons and their
translations.

Every way a lesson's text changes goes through ``Lesson.save()`` (the admin, the
importer, the factories) and every removal through a delete (the admin, a course
deleted with its lessons), so these receivers are the one place the indexes are
written; likewise ``LessonTranslation.save()`` and delete. They run in the saving
transaction: a rolled-back import leaves no trace.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lessons.models import Lesson, LessonTranslation
from lessons.search import index_lessons, index_translations, unindex_lesson, unindex_translation

# What the index holds is derived from these; a save of other fields only
# (retired_at, imported_hash, position) leaves it as it is.
INDEXED_FIELDS = frozenset({"title", "body_markdown", "body_html"})


def _indexed_fields_changed(update_fields) -> bool:
    return update_fields is None or bool(INDEXED_FIELDS.intersection(update_fields))


@receiver(post_save, sender=Lesson, dispatch_uid="lessons.search.index")
def index_saved_lesson(sender, instance: Lesson, created=False, update_fields=None, **kwargs):
    if not _indexed_fields_changed(update_fields):
        return
    index_lessons([instance])
    if not created:
        # A translation's empty title or text is indexed as the lesson's own.
        translations = list(LessonTranslation.objects.filter(lesson=instance))
        for translation in translations:
            translation.lesson = instance
        index_translations(translations)


@receiver(post_delete, sender=Lesson, dispatch_uid="lessons.search.unindex")
def unindex_deleted_lesson(sender, instance: Lesson, **kwargs) -> None:
    unindex_lesson(instance.pk)


@receiver(post_save, sender=LessonTranslation, dispatch_uid="lessons.search.index_translation")
def index_saved_translation(
    sender, instance: LessonTranslation, update_fields=None, **kwargs
) -> None:
    if _indexed_fields_changed(update_fields):
        index_translations([instance])


@receiver(post_delete, sender=LessonTranslation, dispatch_uid="lessons.search.unindex_translation")
def unindex_deleted_translation(sender, instance: LessonTranslation, **kwargs) -> None:
    unindex_translation(instance.pk)
