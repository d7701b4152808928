"""Certificates: who may see one, finding one by its code, revoking, the PDF.

A certificate is issued with its completion by ``progress.services.record_course_completion``.
Every page, the PDF and the admin ask the functions here, so "who may see a
certificate" and "what revoking means" are decided once.

Language: a certificate (its page's certificate and its PDF) is in its learner's
language, whoever opens it (:func:`certificate_language`): the language the learner
chose on their profile; without a choice, the language of the page, which is the
learner's own browser's when they look themselves (a trainer or an admin then gets
it in theirs: there is nothing else of the learner's to go by). The course's title
is its translation into that language where there is one (the rule of
courses.translations.shown), else the title as issued. The public verification
page is in its visitor's language and shows the title as issued.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses.models import CourseTranslation
from courses.translations import LOCALISED, content_language, localise
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


def find_certificate(typed_code: str, *related: str) -> Certificate | None:
    """The certificate with this code (with its completion, and ``related``), for
    the public verification page; one query, none for something that is not a code."""
    code = normalise_code(typed_code)
    if code is None:
        return None
    return Certificate.objects.select_related("completion", *related).filter(code=code).first()


def certificate_language(certificate: Certificate) -> str:
    """The language the certificate is shown in: its learner's own choice of
    language, else the active one (see the module's docstring)."""
    profile = getattr(certificate.completion.learner, "profile", None)
    chosen = getattr(profile, "language", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language() or settings.LANGUAGE_CODE


def in_learners_language(*certificates: Certificate) -> list[Certificate]:
    """The certificates as their learners read them: ``language``
    (:func:`certificate_language`) set on each, and ``course_title`` replaced by the
    course's title in that language where the course has one (one query per language
    other than the default). Each is marked as localised
    (courses.translations.localise): it can no longer be saved."""
    by_language: dict[str, list[Certificate]] = {}
    for certificate in certificates:
        certificate.language = certificate_language(certificate)
        by_language.setdefault(certificate.language, []).append(certificate)
    for language, group in by_language.items():
        titles: dict[int, str] = {}
        if (content := content_language(language)) is not None:
            course_ids = {certificate.completion.course_id for certificate in group}
            titles = dict(
                CourseTranslation.objects.filter(
                    course_id__in=course_ids, language=content
                ).values_list("course_id", "title")
            )
        for certificate in group:
            title = titles.get(certificate.completion.course_id)
            localise(certificate, language, course_title=title)
    return list(certificates)


def certificates_of(learner) -> list[Certificate]:
    """Every certificate of the learner, earlier runs' included, newest first, each
    in the learner's language (:func:`in_learners_language`)."""
    return in_learners_language(
        *Certificate.objects.filter(completion__learner=learner)
        .select_related("completion", "completion__learner__profile")
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
    """The certificate as a printable PDF, from the same template as its page, in
    its learner's language (:func:`in_learners_language`), whoever asks for it."""
    # Imported here: WeasyPrint loads Pango when imported, which only PDFs need.
    from weasyprint import CSS, HTML

    if not getattr(certificate, LOCALISED, None):
        (certificate,) = in_learners_language(certificate)
    with translation.override(certificate.language):
        html = render_to_string(
            "lessons/certificate_pdf.html",
            {"certificate": certificate, "verify_url": verification_url(certificate)},
        )
    with open(finders.find(PDF_STYLESHEET), encoding="utf-8") as stylesheet:
        css = CSS(string=stylesheet.read())
    # The document refers to no image, font or stylesheet (the stylesheet is passed
    # in), so rendering fetches nothing: no file or URL can be pulled into the PDF.
    return HTML(string=html).write_pdf(stylesheets=[css])
