"""The training record's page and PDF (audit.record): for the learner themself, a
trainer who follows them, and superusers; 404 for anyone else, as for no such
person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from audit.record import TrainingRecord, may_see_record, training_record

PDF_STYLESHEET = "audit/training-record-pdf.css"


def _learner_or_404(request: HttpRequest, user_id: int) -> Any:
    if not may_see_record(request.user, user_id):
        raise Http404("No such training record.")
    learner = get_user_model().objects.filter(pk=user_id).first()
    if learner is None:
        raise Http404("No such training record.")
    return learner


def training_record_page(request: HttpRequest, user_id: int) -> HttpResponse:
    record = training_record(_learner_or_404(request, user_id))
    return render(request, "audit/training_record.html", {"record": record})


def record_pdf(record: TrainingRecord) -> bytes:
    """The record as a printable PDF, from the page's own body template."""
    # Imported here: WeasyPrint loads Pango when imported, which only PDFs need.
    from weasyprint import CSS, HTML

    html = render_to_string("audit/training_record_pdf.html", {"record": record})
    with open(finders.find(PDF_STYLESHEET), encoding="utf-8") as stylesheet:  # type: ignore[arg-type]
        css = CSS(string=stylesheet.read())
    # Nothing is fetched: the document refers to no image, font or stylesheet.
    return HTML(string=html).write_pdf(stylesheets=[css])


def training_record_download(request: HttpRequest, user_id: int) -> HttpResponse:
    record = training_record(_learner_or_404(request, user_id))
    response = HttpResponse(record_pdf(record), content_type="application/pdf")
    name = slugify(record.learner.get_username()) or str(record.learner.pk)
    filename = f"training-record-{name}-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
