"""Search and the public check of a certificate. The lesson page and Mark complete
ask the course-progress rule, so they are progress's (progress/views.py)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.http import parse_text
from lessons.certificates import find_certificate, normalise_code
from lessons.search import MAX_QUERY_LENGTH, search_lessons


def search(request: HttpRequest) -> HttpResponse:
    """Every lesson the learner may see, by title and text (lessons/search.py)."""
    query = parse_text(request.GET.get("q", ""), name="Search", max_length=MAX_QUERY_LENGTH)
    results = search_lessons(request.user, query) if query else None
    return render(
        request,
        "lessons/search.html",
        {"query": query, "results": results, "max_length": MAX_QUERY_LENGTH},
    )


# Certificates ----------------------------------------------------------------


@login_not_required
def verify_certificate(request: HttpRequest, code: str = "") -> HttpResponse:
    """Public: anyone holding a certificate's code (an auditor, an employer) checks it.
    Shows only what the certificate itself says, and whether it still stands."""
    typed = request.GET.get("code", "").strip()
    if typed:  # the form on this page
        if normalised := normalise_code(typed):
            return redirect("verify_certificate", normalised)
        code = typed
    certificate = find_certificate(code) if code else None
    response = render(
        request,
        "lessons/verify.html",
        {"certificate": certificate, "code": code},
        status=404 if code and certificate is None else 200,
    )
    # Names of real people: keep these pages out of search engines.
    response["X-Robots-Tag"] = "noindex"
    return response
