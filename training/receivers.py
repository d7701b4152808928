"""What training does when an app below it announces something: a course completion
recorded (progress.signals.course_completed) gets its validity, then the path
completions it brings, in the same transaction (training.recertification.record_validity,
paths.services.record_path_completions); a path saved or published in the admin
(courses.signals.content_changed) records the path completions it made due."""

from __future__ import annotations

from django.db.models import Model
from django.dispatch import receiver

from courses.signals import content_changed
from lessons.models import CourseCompletion
from paths.models import Path
from paths.services import record_due_path_completions, record_path_completions
from progress.signals import course_completed
from training.recertification import record_validity


@receiver(course_completed, dispatch_uid="training.receivers.decide_validity")
def decide_validity(sender, completion: CourseCompletion, **kwargs) -> None:
    record_validity(completion)


# Connected after decide_validity (receivers run in the order they were connected), so
# a path completion's validity is that of the course completions as decided.
@receiver(course_completed, dispatch_uid="training.receivers.complete_paths")
def complete_paths(sender, completion: CourseCompletion, **kwargs) -> None:
    record_path_completions(completion)


@receiver(content_changed, dispatch_uid="training.receivers.record_path_completions_made_due")
def record_path_completions_made_due(sender, instances: list[Model], **kwargs) -> None:
    for path in instances:
        if isinstance(path, Path):
            record_due_path_completions(path)
