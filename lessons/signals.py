"""Keep the lesson search index (lessons/search.py) in step with lessons.

Every way a lesson's text changes goes through ``Lesson.save()`` (the admin, the
importer, the factories) and every removal through a delete (the admin, a course
deleted with its lessons), so these two receivers are the one place the index is
written. They run in the saving transaction: a rolled-back import leaves no trace.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lessons.models import Lesson
from lessons.search import index_lessons, unindex_lesson

# What the index holds is derived from these; a save of other fields only
# (retired_at, imported_hash, position) leaves it as it is.
INDEXED_FIELDS = frozenset({"title", "body_markdown", "body_html"})


@receiver(post_save, sender=Lesson, dispatch_uid="lessons.search.index")
def index_saved_lesson(sender, instance: Lesson, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not INDEXED_FIELDS.intersection(update_fields):
        return
    index_lessons([instance])


@receiver(post_delete, sender=Lesson, dispatch_uid="lessons.search.unindex")
def unindex_deleted_lesson(sender, instance: Lesson, **kwargs) -> None:
    unindex_lesson(instance.pk)
