"""The weekly compliance digest: each trainer is emailed, on the weekday they chose
(Monday unless they said otherwise; they may switch it off), who lapsed in the last
seven days, who is overdue or expired now, and the compliance rate of the people they
follow. Sent by ``run_scheduled`` on that weekday or, if no run happened that day,
on the next run that week; each week's digest once (DigestSent, claimed before it is
sent and released if sending fails)."""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.language import language_for_user
from compliance.matrix import CellState, all_rows, people_in_order, required_courses
from compliance.models import DigestChoice, DigestSent, Weekday
from lessons.models import CourseCompletion
from training.roles import can_follow, learners_followed_by

User = get_user_model()
LISTED = 50  # names in the email; the rest are counted


@dataclass
class Digest:
    lapsed: list[tuple[str, str, datetime.date]] = field(default_factory=list)
    overdue: list[tuple[str, str, str]] = field(default_factory=list)  # name, course, state
    required: int = 0
    compliant: int = 0

    @property
    def rate(self) -> int | None:
        return round(100 * self.compliant / self.required) if self.required else None


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def recipients() -> list:
    """Trainers (the Trainers group, active, with an email address) and anyone else
    who asked for the digest and may follow learners."""
    trainers = User.objects.filter(
        Q(groups__permissions__codename="view_dashboard") | Q(digest_choice__enabled=True),
        is_active=True,
    ).exclude(email="")
    return [user for user in trainers.distinct().order_by("pk") if can_follow(user)]


def due_today(trainer, today: datetime.date, choices: dict[int, DigestChoice]) -> bool:
    choice = choices.get(trainer.pk)
    enabled = choice.enabled if choice else True
    weekday = choice.weekday if choice else Weekday.MONDAY
    return enabled and today.weekday() >= weekday


def build_digest(trainer, today: datetime.date) -> Digest:
    """What the trainer's digest says today (reads their people in chunks)."""
    people = learners_followed_by(trainer)
    courses = required_courses(people)
    digest = Digest()
    for row in all_rows(people_in_order(people, "name"), courses, today):
        for course, cell in zip(courses, row.cells, strict=True):
            if cell.state in (CellState.OVERDUE, CellState.EXPIRED):
                digest.overdue.append((full_name(row.person), course.title, str(cell.state.label)))
            digest.required += cell.required
            digest.compliant += cell.required and cell.state == CellState.COMPLIANT
    newer = CourseCompletion.objects.filter(
        learner=OuterRef("learner"),
        course=OuterRef("course"),
        completed_at__gt=OuterRef("completed_at"),
    )
    lapsed = (
        CourseCompletion.objects.filter(
            learner__in=people.values("pk"),
            course__in=courses,
            valid_until__gte=today - datetime.timedelta(days=7),
            valid_until__lt=today,
        )
        .exclude(Exists(newer))
        .select_related("learner", "course")
        .order_by("valid_until", "pk")
    )
    digest.lapsed = [
        (full_name(c.learner), c.course.title, c.valid_until + datetime.timedelta(days=1))  # type: ignore[operator,misc]
        for c in lapsed
    ]
    return digest


def full_name(person) -> str:
    return person.get_full_name() or person.get_username()


def _message(trainer, digest: Digest) -> EmailMessage:
    context = {
        "name": trainer.first_name or trainer.get_username(),
        "digest": digest,
        "overdue": digest.overdue[:LISTED],
        "more": max(len(digest.overdue) - LISTED, 0),
        "url": settings.SITE_URL.rstrip("/") + reverse("compliance:matrix"),
        "settings_url": settings.SITE_URL.rstrip("/") + reverse("compliance:digest"),
    }
    with translation.override(language_for_user(trainer)):
        subject = " ".join(render_to_string("compliance/email/digest_subject.txt", context).split())
        body = render_to_string("compliance/email/digest.txt", context)
    return EmailMessage(subject, body, to=[trainer.email])


def _claim(trainer, week: datetime.date) -> DigestSent | None:
    try:
        with transaction.atomic():
            return DigestSent.objects.create(trainer=trainer, week_of=week)
    except IntegrityError:
        return None


def send_digests(today: datetime.date) -> int:
    """Send the digests owed today; how many were sent."""
    week = week_of(today)
    sent_already = set(DigestSent.objects.filter(week_of=week).values_list("trainer_id", flat=True))
    choices = {c.trainer_id: c for c in DigestChoice.objects.all()}
    sent = 0
    for trainer in recipients():
        if trainer.pk in sent_already or not due_today(trainer, today, choices):
            continue
        digest = build_digest(trainer, today)
        record = _claim(trainer, week)
        if record is None:
            continue
        try:
            _message(trainer, digest).send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            logging.getLogger(__name__).warning(
                "Could not send the digest of user %s: %s", trainer.pk, exc
            )
            record.delete()
            continue
        sent += 1
    return sent


@transaction.atomic
def choose_digest(trainer, *, enabled: bool, weekday: int) -> DigestChoice:
    """The use case behind the digest settings page."""
    choice, _ = DigestChoice.objects.update_or_create(
        trainer=trainer, defaults={"enabled": enabled, "weekday": Weekday(weekday)}
    )
    return choice
