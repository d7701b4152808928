"""The emails telling learners an assignment of theirs changed or was removed.

When a trainer (or an admin) changes an assignment's due date or note, or removes
it, each learner it covers gets one email in their own language: the course, the
old and the new due date (or that the assignment was removed, and whether they
still have the course through another assignment, and through which).

- **Who**: the learners the assignment covers (a team's active members, or the
  learner) with an email address, except those who have already finished it by
  the due rule (training.assignments.due_state, read through the dashboard's rows
  by :func:`training.dashboard.finished_by`): the change asks nothing more of them,
  and their completion is kept. For a change this is decided after the change,
  for a removal just before the row goes.
- **When**: the owed emails are rows (``AssignmentChangeEmail``) written in the
  changing transaction, next to the audit-log event; they are sent after the
  commit. A rolled-back change owes nothing; saving the same values again changes
  nothing and owes nothing; a second click on "Remove" finds nothing to remove.
- **Once**: each row is claimed (marked sent) before its email goes and released
  if sending fails (logged, never an error for the trainer); running
  :func:`send_change_emails` again sends only what is still owed.
"""

from __future__ import annotations

import datetime
import logging
import smtplib

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from common.language import language_for_user
from training.assignments import coverage, through_label
from training.emails import absolute_url, recipients
from training.models import (
    Assignment,
    AssignmentAction,
    AssignmentChangeEmail,
    AssignmentEvent,
)
from training.services import describe_due

log = logging.getLogger(__name__)
User = get_user_model()

TEMPLATES = {
    AssignmentAction.CHANGED: ("training/email/changed_subject.txt", "training/email/changed.txt"),
    AssignmentAction.REMOVED: ("training/email/removed_subject.txt", "training/email/removed.txt"),
}


def owe_emails(assignment: Assignment, event: AssignmentEvent) -> int:
    """Record the emails a change or removal (``event``) owes, in the caller's
    transaction, and send them once it commits. How many are owed."""
    from training.dashboard import finished_by  # the dashboard imports the services

    finished = finished_by(assignment)
    owed = [
        AssignmentChangeEmail(event=event, learner_id=pk)
        for pk in recipients(assignment).values_list("pk", flat=True)
        if pk not in finished
    ]
    AssignmentChangeEmail.objects.bulk_create(owed)
    if owed:
        pk = event.pk
        # robust: a failure is logged by Django, never the trainer's 500 (the change
        # is made; the emails stay owed and can be sent again).
        transaction.on_commit(lambda: send_change_emails(pk), robust=True)
    return len(owed)


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _context(event: AssignmentEvent, learner, kept: list[Assignment]) -> dict:
    """What the email says; call it in the recipient's language."""
    changes = event.changes
    old_due, new_due = (_day(day) for day in changes.get("due_date", [None, None]))
    context = {
        "name": learner.first_name or learner.get_username(),
        "course": event.course.title,
        "team": event.assignee_name if event.team_id else "",
        "changed_by": event.actor_name,
        "url": absolute_url(reverse("courses:detail", args=[event.course.slug])),
        "my_learning_url": absolute_url(reverse("courses:my_learning")),
    }
    if event.action == AssignmentAction.REMOVED:
        return {
            **context,
            "was_due": describe_due(old_due) if old_due else "",
            "kept": [through_label(assignment, yours=True) for assignment in kept],
        }
    due_changed = "due_date" in changes
    if not due_changed and event.assignment is not None:
        new_due = event.assignment.due_date  # unchanged: as it is
    note = changes.get("note")
    return {
        **context,
        "due_changed": due_changed,
        "old_due": describe_due(old_due),
        "new_due": describe_due(new_due),
        "new_due_date": new_due,
        "note_changed": note is not None,
        "note": note[1] if note else "",
    }


def _message(
    event: AssignmentEvent, learner, kept: list[Assignment], connection
) -> mail.EmailMessage:
    subject_template, body_template = TEMPLATES[event.action]
    with translation.override(language_for_user(learner)):
        context = _context(event, learner, kept)
        subject = " ".join(render_to_string(subject_template, context).split())
        body = render_to_string(body_template, context)
    return mail.EmailMessage(subject, body, to=[learner.email], connection=connection)


def _claim(row: AssignmentChangeEmail) -> bool:
    """Mark the row sent before sending; False when someone else did (a second worker)."""
    return bool(
        AssignmentChangeEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
    )


def _kept_by(event: AssignmentEvent, learner_ids: list[int]) -> dict[int, list[Assignment]]:
    """For a removal: which assignments still give each learner the course now (the
    removed one is gone once the removal has committed), by the one rule."""
    if event.action != AssignmentAction.REMOVED:
        return {}
    cover = coverage(event.course_id, User.objects.filter(pk__in=learner_ids))
    return {
        pk: sorted(
            (c.assignment for c in cover.of(pk)),
            key=lambda a: (a.due_date or datetime.date.max, a.pk),
        )
        for pk in learner_ids
    }


def send_change_emails(event_id: int) -> int:
    """Send what an assignment's change or removal still owes; how many were sent.
    Safe to run again, and by two workers at once."""
    event = (
        AssignmentEvent.objects.select_related("course", "assignment").filter(pk=event_id).first()
    )
    if event is None or event.action not in TEMPLATES:
        return 0
    owed = list(
        event.emails.filter(sent_at__isnull=True, learner__is_active=True)
        .exclude(learner__email="")
        .select_related("learner__profile")
        .order_by("learner_id")
    )
    if not owed:
        return 0
    kept = _kept_by(event, [row.learner_id for row in owed])
    connection = mail.get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Could not connect to send %d assignment-change emails: %s", len(owed), exc)
        return 0
    sent = 0
    try:
        for row in owed:
            if not _claim(row):
                continue
            try:
                _message(event, row.learner, kept.get(row.learner_id, []), connection).send()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning(
                    "Could not send the assignment-change email of user %s (event %s): %s",
                    row.learner_id,
                    event.pk,
                    exc,
                )
                AssignmentChangeEmail.objects.filter(pk=row.pk).update(sent_at=None)
            else:
                sent += 1
    finally:
        connection.close()
    return sent
