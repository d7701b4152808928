"""What progress does when an app below it announces a change (those apps may not
import progress): after the content admin changes courses, lessons or quizzes
(courses.signals.content_changed), record the course completions the change made due,
in the change's transaction. So a learner who had done everything else is completed
when the admin retires, sets back to draft, deletes or moves away the last lesson they
had left or the final assessment, and no learner's GET ever has to record it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model
from django.dispatch import receiver

from courses.models import Course
from courses.signals import content_changed
from lessons.models import Lesson
from progress.services import record_due_completions
from quizzes.models import Quiz


def courses_of(instances: Iterable[Model]) -> set[int]:
    """The ids of the courses these courses, lessons and quizzes belong to, as saved
    and as before the save (progress.structure remembers a lesson's or quiz's courses
    before it is saved, in ``_courses_before``: one moved away changes both)."""
    ids: set[int | None] = set()
    lesson_ids: set[int] = set()
    for instance in instances:
        if isinstance(instance, Course):
            ids.add(instance.pk)  # None once deleted: nothing left to complete
        elif isinstance(instance, Lesson):
            ids.add(instance.course_id)
        elif isinstance(instance, Quiz):
            if instance.lesson_id:
                lesson_ids.add(instance.lesson_id)
            ids.add(instance.course_id)
        ids |= getattr(instance, "_courses_before", set())
    if lesson_ids:
        ids |= set(Lesson.objects.filter(pk__in=lesson_ids).values_list("course_id", flat=True))
    return {course_id for course_id in ids if course_id is not None}


@receiver(content_changed, dispatch_uid="progress.receivers.record_completions_made_due")
def record_completions_made_due(sender, instances: list[Model], **kwargs) -> None:
    for course in Course.objects.filter(pk__in=courses_of(instances)).order_by("pk"):
        record_due_completions(course)
