"""What training does when an app below it announces something: a course completion
recorded (progress.signals.course_completed) gets its validity, in the same
transaction (training.recertification.record_validity)."""

from __future__ import annotations

from django.dispatch import receiver

from lessons.models import CourseCompletion
from progress.signals import course_completed
from training.recertification import record_validity


@receiver(course_completed, dispatch_uid="training.receivers.decide_validity")
def decide_validity(sender, completion: CourseCompletion, **kwargs) -> None:
    record_validity(completion)
