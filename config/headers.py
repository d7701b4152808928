"""Security headers Django 5.2 does not send itself: Content-Security-Policy and
Permissions-Policy. (SecurityMiddleware sends Referrer-Policy, X-Content-Type-Options,
Cross-Origin-Opener-Policy and HSTS; XFrameOptionsMiddleware sends X-Frame-Options,
and this middleware adds it to the early refusals that never reach that one.)

A dozen lines rather than django-csp: our policy is one fixed string (no page has
an inline script or style, so no nonces or per-view policies), and the setting has
the shape of Django 6's ``SECURE_CSP`` (a dict of directive -> sources), so moving
to Django 6 means deleting this middleware, not rewriting the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP = "Content-Security-Policy"
CSP_REPORT_ONLY = "Content-Security-Policy-Report-Only"
PERMISSIONS_POLICY = "Permissions-Policy"
X_FRAME_OPTIONS = "X-Frame-Options"


def policy_header(policy: Mapping[str, Iterable[str]]) -> str:
    """``{"default-src": ["'self'"], "img-src": ["'self'", "data:"]}`` ->
    ``default-src 'self'; img-src 'self' data:``."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def permissions_header(denied: Iterable[str]) -> str:
    """Every feature named switched off for the page and anything it embeds."""
    return ", ".join(f"{feature}=()" for feature in denied)


class SecurityHeaders:
    """Adds the headers to every response that has not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        # Built once per process: the settings do not change while it runs.
        self.headers = {
            name: value
            for name, value in [
                (CSP, policy_header(settings.SECURE_CSP)),
                (CSP_REPORT_ONLY, policy_header(settings.SECURE_CSP_REPORT_ONLY)),
                (PERMISSIONS_POLICY, permissions_header(settings.PERMISSIONS_POLICY_DENY)),
            ]
            if value
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        # XFrameOptionsMiddleware, further in, has not seen a request that
        # RefuseMalformedInput (also further in) answered with a 400.
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault(X_FRAME_OPTIONS, settings.X_FRAME_OPTIONS)
        return response
