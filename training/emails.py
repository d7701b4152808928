"""The email telling learners something was assigned to them.

Sent after the assigning transaction commits (nothing for a rolled-back one),
one per learner: a team assignment's current active members with an email
address, or the one learner. Each is claimed as an ``AssignmentEmail`` row
before it is sent, so a retry or a second worker sends nothing twice; a failure
to send releases the claim and is logged, never an error for the trainer.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.language import language_for_user
from training.models import Assignment, AssignmentEmail
from training.services import describe_due, person_name

log = logging.getLogger(__name__)
User = get_user_model()

SUBJECT_TEMPLATE = "training/email/assigned_subject.txt"
BODY_TEMPLATE = "training/email/assigned.txt"


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def recipients(assignment: Assignment) -> QuerySet:
    """Who is told: the team's active members with an email address, or the learner."""
    people = (
        User.objects.filter(teams=assignment.team_id)
        if assignment.team_id
        else User.objects.filter(pk=assignment.learner_id)
    )
    # The profile: each email is written in its recipient's language.
    return people.filter(is_active=True).exclude(email="").select_related("profile").order_by("pk")


def email_after_commit(assignment: Assignment) -> None:
    """Send the assignment's emails once the current transaction commits."""
    pk = assignment.pk
    # robust: anything unexpected is logged by Django, never the trainer's 500 (the
    # assignment is made; the emails are owed and can be sent again).
    transaction.on_commit(lambda: send_assignment_emails(pk), robust=True)


def _message(assignment: Assignment, learner, connection) -> mail.EmailMessage:
    lessons = [lesson.title for lesson in assignment.lessons.all()]
    context = {
        "name": learner.first_name or learner.get_username(),
        "course": assignment.course.title,
        "lessons": lessons,
        "team": assignment.team.name if assignment.team_id else "",
        "assigned_by": person_name(assignment.assigned_by) if assignment.assigned_by else "",
        "note": assignment.note,
        "url": absolute_url(reverse("courses:detail", args=[assignment.course.slug])),
        "my_learning_url": absolute_url(reverse("courses:my_learning")),
    }
    with translation.override(language_for_user(learner)):
        context["due"] = describe_due(assignment.due_date) if assignment.due_date else ""
        subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
        body = render_to_string(BODY_TEMPLATE, context)
    return mail.EmailMessage(subject, body, to=[learner.email], connection=connection)


def _claim(assignment: Assignment, learner) -> AssignmentEmail | None:
    """Record the email before sending it; None when it is recorded already (sent,
    or being sent by another worker). The unique constraint settles a race."""
    try:
        with transaction.atomic():
            return AssignmentEmail.objects.create(
                assignment=assignment, learner=learner, course_id=assignment.course_id
            )
    except IntegrityError:
        return None


def send_assignment_emails(assignment_id: int) -> int:
    """Send the emails an assignment owes; how many were sent. Safe to run again."""
    assignment = (
        Assignment.objects.select_related("course", "team", "assigned_by")
        .prefetch_related("lessons")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:  # removed meanwhile
        return 0
    already = set(
        AssignmentEmail.objects.filter(assignment=assignment).values_list("learner_id", flat=True)
    )
    owed = [learner for learner in recipients(assignment) if learner.pk not in already]
    if not owed:
        return 0
    sent = 0
    connection = mail.get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Could not connect to send %d assignment emails: %s", len(owed), exc)
        return 0
    try:
        for learner in owed:
            record = _claim(assignment, learner)
            if record is None:
                continue
            try:
                _message(assignment, learner, connection).send()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning(
                    "Could not send the assignment email of user %s (assignment %s): %s",
                    learner.pk,
                    assignment.pk,
                    exc,
                )
                record.delete()  # not sent: a later run may send it
            else:
                sent += 1
    finally:
        connection.close()
    return sent
