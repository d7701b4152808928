"""A certificate's own page and its PDF: for the learner it belongs to, a trainer who
follows them, and staff who may read certificates. Who follows whom is this app's
rule, so the pages live here; issuing, revoking and the public check live in lessons."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lessons.certificates import (
    certificate_pdf,
    find_certificate,
    in_learners_language,
    verification_url,
)
from lessons.models import Certificate
from training.roles import follows_learner


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
    return follows_learner(user, learner_id)


def certificate_for(user, code: str) -> Certificate | None:
    """The certificate with this code if ``user`` may see it, in its learner's
    language (:func:`in_learners_language`), else None: the view answers 404 as for
    an unknown code (the public check is the verify page)."""
    # The learner's profile comes in the same query: it holds their language.
    certificate = find_certificate(code, "completion__learner__profile")
    if certificate is None or not can_view_certificate(user, certificate):
        return None
    return in_learners_language(certificate)[0]


def certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_for(request.user, code)
    if certificate is None:
        raise Http404("No such certificate.")
    return render(
        request,
        "lessons/certificate.html",
        {"certificate": certificate, "verify_url": verification_url(certificate)},
    )


def certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_for(request.user, code)
    if certificate is None:
        raise Http404("No such certificate.")
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    return response
