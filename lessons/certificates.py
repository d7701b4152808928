"""Certificates: who may see one, finding one by its code, revoking, the PDF.

A certificate is issued with its completion by ``lessons.services.record_course_completion``.
Every page, the PDF and the admin ask the functions here, so "who may see a
certificate" and "what revoking means" are decided once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lessons.models import CODE_ALPHABET, Certificate

PDF_STYLESHEET = "css/certificate-pdf.css"
CODE_LENGTH = 12
# Crockford's base32 reads I and L as 1 and O as 0: a code copied from paper by
# hand still verifies (the alphabet has none of those letters, so nothing clashes).
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})


class CertificateError(Exception):
    """Why a certificate cannot be revoked; the admin shows it as a message."""


def normalise_code(typed: str) -> str | None:
    """The code as stored (``7KQ2-M9XD-4HPA``) from what someone typed: any case,
    with or without dashes and spaces. None when it cannot be a code at all."""
    chars = "".join(typed.upper().split()).replace("-", "").translate(_MISREAD)
    if len(chars) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def find_certificate(typed_code: str) -> Certificate | None:
    """The certificate with this code (with its completion), for the public
    verification page; one query, none for something that is not a code."""
    code = normalise_code(typed_code)
    if code is None:
        return None
    return Certificate.objects.select_related("completion").filter(code=code).first()


def can_view_certificate(user, certificate: Certificate) -> bool:
    """The learner it belongs to; a trainer who follows that learner (as on the
    trainer's learner page; superusers follow everyone); staff who may read
    certificates in the admin."""
    if not user.is_authenticated:
        return False
    learner_id = certificate.completion.learner_id
    if user.pk == learner_id:
        return True
    if user.is_staff and (
        user.has_perm("lessons.view_certificate") or user.has_perm("lessons.change_certificate")
    ):
        return True
    # Who follows whom is the training app's rule; that app sits above this one.
    from training.roles import follows_learner

    return follows_learner(user, learner_id)


def certificate_for(user, code: str) -> Certificate | None:
    """The certificate with this code if ``user`` may see it, else None: the view
    answers 404 as for an unknown code (the public check is the verify page)."""
    certificate = find_certificate(code)
    if certificate is None or not can_view_certificate(user, certificate):
        return None
    return certificate


def certificates_of(learner) -> QuerySet[Certificate]:
    """Every certificate of the learner, earlier runs' included, newest first."""
    return (
        Certificate.objects.filter(completion__learner=learner)
        .select_related("completion")
        .order_by("-completion__completed_at", "-pk")
    )


def verification_url(certificate: Certificate) -> str:
    """The public address printed on the certificate (absolute: it is read on paper)."""
    return settings.SITE_URL + reverse("verify_certificate", args=[certificate.code])


@transaction.atomic
def revoke_certificate(certificate: Certificate, *, by, reason: str) -> Certificate:
    """Revoke the certificate, keeping it: it then verifies as revoked. Only for
    users with ``lessons.change_certificate``; a reason is required (it stays
    internal: the verification page shows only that and when)."""
    if not by.has_perm("lessons.change_certificate"):
        raise CertificateError(_("You cannot revoke certificates."))
    reason = reason.strip()
    if not reason:
        raise CertificateError(_("Give a reason for revoking the certificate."))
    # The row lock makes two admins revoking at once record one revocation.
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise CertificateError(_("This certificate is already revoked."))
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = (
        locked.revoked_at,
        locked.revoked_reason,
        by,
    )
    return locked


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a printable PDF, from the same template as its page."""
    # Imported here: WeasyPrint loads Pango when imported, which only PDFs need.
    from weasyprint import CSS, HTML

    html = render_to_string(
        "lessons/certificate_pdf.html",
        {"certificate": certificate, "verify_url": verification_url(certificate)},
    )
    with open(finders.find(PDF_STYLESHEET), encoding="utf-8") as stylesheet:
        css = CSS(string=stylesheet.read())
    # The document refers to no image, font or stylesheet (the stylesheet is passed
    # in), so rendering fetches nothing: no file or URL can be pulled into the PDF.
    return HTML(string=html).write_pdf(stylesheets=[css])
