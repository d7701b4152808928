"""What trainers and admins do in compliance: grant and revoke exemptions. One
transaction each, one domain error (ExemptionError); the audit app records both."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.models import Exemption
from courses.models import Course
from training.roles import follows_learner

MAX_REASON = 1000


class ExemptionError(Exception):
    """Why an exemption cannot be granted or revoked, in words for the person asking."""


@transaction.atomic
def grant_exemption(
    by,
    learner,
    course: Course,
    *,
    reason: str,
    starts_on: datetime.date | None = None,
    until: datetime.date | None = None,
) -> Exemption:
    if not (by.is_superuser or follows_learner(by, learner.pk)):
        raise ExemptionError(_("You can only exempt learners you follow."))
    reason = reason.strip()
    if not reason:
        raise ExemptionError(_("Say why: an exemption needs a reason."))
    if len(reason) > MAX_REASON:
        raise ExemptionError(_("The reason is too long (at most 1,000 characters)."))
    starts_on = starts_on or timezone.localdate()
    if until is not None and until < starts_on:
        raise ExemptionError(_("An exemption cannot end before it starts."))
    return Exemption.objects.create(
        learner=learner,
        course=course,
        reason=reason,
        starts_on=starts_on,
        until=until,
        granted_by=by,
    )


@transaction.atomic
def revoke_exemption(by, exemption: Exemption) -> Exemption:
    locked = Exemption.objects.select_for_update().get(pk=exemption.pk)
    if not (by.is_superuser or follows_learner(by, locked.learner_id)):
        raise ExemptionError(_("You can only change exemptions of learners you follow."))
    if locked.revoked_on is not None:
        raise ExemptionError(_("This exemption was already revoked."))
    locked.revoked_on = timezone.localdate()
    locked.save(update_fields=["revoked_on"])
    return locked
