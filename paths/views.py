"""The public check of a path certificate (no login): anyone holding its code sees what
the certificate says and whether it still stands, nothing else. Mounted in the
``paths`` namespace by training/urls.py's ``path_patterns``."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lessons.certificates import normalise_code
from paths.certificates import find_path_certificate


@login_not_required
def verify_path_certificate(request: HttpRequest, code: str) -> HttpResponse:
    typed = request.GET.get("code", "").strip()
    if typed:  # the page's form: another code
        if normalised := normalise_code(typed):
            return redirect("paths:verify", normalised)
        code = typed
    certificate = find_path_certificate(code)
    response = render(
        request,
        "paths/verify.html",
        {"certificate": certificate, "code": code},
        status=200 if certificate is not None else 404,
    )
    # Names of real people: keep these pages out of search engines.
    response["X-Robots-Tag"] = "noindex"
    return response
