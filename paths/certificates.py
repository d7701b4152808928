"""Path certificates: finding one by its code, revoking, the PDF.

The same scheme as a course certificate's (lessons.certificates): a code of twelve
characters in Crockford's base32 (read back by lessons.certificates.normalise_code,
so a code copied by hand still verifies), a page and a PDF from one template in the
learner's language, and a public check that shows only what the certificate says.
A path has no translations: its title is shown as issued.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lessons.certificates import PDF_STYLESHEET, CertificateError, normalise_code
from paths.models import PathCertificate


def find_path_certificate(typed_code: str, *related: str) -> PathCertificate | None:
    """The path certificate with this code (with its completion and ``related``): one
    query, none for something that is not a code."""
    code = normalise_code(typed_code)
    if code is None:
        return None
    return PathCertificate.objects.select_related("completion", *related).filter(code=code).first()


def path_certificate_language(certificate: PathCertificate) -> str:
    """Its learner's own choice of language, else the active one (as a course
    certificate's: lessons.certificates.certificate_language)."""
    profile = getattr(certificate.completion.learner, "profile", None)
    chosen = getattr(profile, "language", "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language() or settings.LANGUAGE_CODE


def path_verification_url(certificate: PathCertificate) -> str:
    """The public address printed on the certificate (absolute: it is read on paper)."""
    return settings.SITE_URL + reverse("paths:verify", args=[certificate.code])


def path_certificate_context(certificate: PathCertificate) -> dict:
    """What the certificate's template shows: it, the courses it covered, the address."""
    return {
        "certificate": certificate,
        "courses": certificate.completion.courses,
        "verify_url": path_verification_url(certificate),
        "certificate_language": path_certificate_language(certificate),
    }


@transaction.atomic
def revoke_path_certificate(certificate: PathCertificate, *, by, reason: str) -> PathCertificate:
    """Revoke the certificate, keeping it: it then verifies as revoked. Only for users
    with ``paths.change_pathcertificate``; a reason is required."""
    if not by.has_perm("paths.change_pathcertificate"):
        raise CertificateError(_("You cannot revoke certificates."))
    reason = reason.strip()
    if not reason:
        raise CertificateError(_("Give a reason for revoking the certificate."))
    locked = PathCertificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise CertificateError(_("This certificate is already revoked."))
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    certificate.revoked_at, certificate.revoked_reason = locked.revoked_at, locked.revoked_reason
    return locked


def path_certificate_pdf(certificate: PathCertificate) -> bytes:
    """The certificate as a printable PDF, from the template of its page, in its
    learner's language, with the course certificate's stylesheet."""
    # Imported here: WeasyPrint loads Pango when imported, which only PDFs need.
    from weasyprint import CSS, HTML

    context = path_certificate_context(certificate)
    with translation.override(context["certificate_language"]):
        html = render_to_string("paths/certificate_pdf.html", context)
    found = finders.find(PDF_STYLESHEET)
    if not isinstance(found, str):
        raise FileNotFoundError(PDF_STYLESHEET)
    with open(found, encoding="utf-8") as stylesheet:
        css = CSS(string=stylesheet.read())
    # Nothing is fetched while rendering: the document names no image, font or file.
    return HTML(string=html).write_pdf(stylesheets=[css])
