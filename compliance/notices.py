"""The emails compliance training owes, sent after the records that owe them commit.

- A learner whose recurring assignment came back (a training.Renewal): "renew by …".
  The renewal row is the outbox: claimed by setting ``emailed_at`` with a conditional
  UPDATE (a second run finds it claimed), released if sending fails.
- A trainer whose learners' completions lapsed (expired with no newer one): one email
  listing them; each (completion, trainer) claimed as a LapseNotice first.
"""

from __future__ import annotations

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from common.language import language_for_user
from lessons.models import CourseCompletion
from training.models import LapseNotice, Renewal
from training.recertification import lapsed_completions
from training.roles import trainers_of

log = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _render(user, name: str, context: dict) -> tuple[str, str]:
    with translation.override(language_for_user(user)):
        subject = " ".join(
            render_to_string(f"compliance/email/{name}_subject.txt", context).split()
        )
        body = render_to_string(f"compliance/email/{name}.txt", context)
    return subject, body


def _send(user, name: str, context: dict) -> bool:
    subject, body = _render(user, name, context)
    try:
        EmailMessage(subject, body, to=[user.email]).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Could not send the %s email of user %s: %s", name, user.pk, exc)
        return False
    return True


def send_renewal_emails() -> int:
    """Email each learner whose renewal is not yet emailed; how many were sent."""
    sent = 0
    owed = Renewal.objects.filter(emailed_at__isnull=True).select_related(
        "learner__profile", "assignment__course", "renews"
    )
    for renewal in owed.order_by("pk"):
        learner = renewal.learner
        if not learner.email or not learner.is_active:
            continue
        claimed = Renewal.objects.filter(pk=renewal.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:  # another run has it
            continue
        course = renewal.assignment.course
        context = {
            "name": learner.first_name or learner.get_username(),
            "course": course.title,
            "due": renewal.due_date,
            "valid_until": renewal.renews.valid_until,
            "url": absolute_url(reverse("courses:detail", args=[course.slug])),
        }
        if _send(learner, "renewal", context):
            sent += 1
        else:
            Renewal.objects.filter(pk=renewal.pk).update(emailed_at=None)
    return sent


def _lapses_by_trainer(today: datetime.date) -> dict:
    by_trainer: dict = {}
    trainers: dict[int, list] = {}
    for completion in lapsed_completions(today):
        if completion.learner_id not in trainers:
            trainers[completion.learner_id] = trainers_of(completion.learner_id)
        for trainer in trainers[completion.learner_id]:
            by_trainer.setdefault(trainer, []).append(completion)
    return by_trainer


def _claim_lapses(trainer, completions: list[CourseCompletion]) -> list[CourseCompletion]:
    """Record the notices not recorded yet; the completions claimed by this run."""
    claimed = []
    for completion in completions:
        try:
            with transaction.atomic():
                LapseNotice.objects.create(completion=completion, trainer=trainer)
        except IntegrityError:
            continue  # told before, or by another run
        claimed.append(completion)
    return claimed


def send_lapse_emails(today: datetime.date) -> int:
    """Tell each trainer whose learners' completions lapsed, once per completion."""
    sent = 0
    for trainer, completions in _lapses_by_trainer(today).items():
        if not trainer.email:
            continue
        told = set(
            LapseNotice.objects.filter(trainer=trainer, completion__in=completions).values_list(
                "completion_id", flat=True
            )
        )
        new = _claim_lapses(trainer, [c for c in completions if c.pk not in told])
        if not new:
            continue
        context = {
            "name": trainer.first_name or trainer.get_username(),
            "lapses": [
                {
                    "learner": c.learner.get_full_name() or c.learner.get_username(),
                    "course": c.course.title,
                    "expired": c.valid_until + datetime.timedelta(days=1),  # type: ignore[operator]
                }
                for c in new
            ],
            "url": absolute_url(reverse("training:dashboard")),
        }
        if _send(trainer, "lapsed", context):
            sent += 1
        else:
            LapseNotice.objects.filter(trainer=trainer, completion__in=new).delete()
    return sent
