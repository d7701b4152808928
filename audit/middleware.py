"""Remembers the request for the audit log's events (audit.context): who acts and
from which address. Reads nothing itself: the user is looked up only if an event is
written."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import begin_request, end_request


class AuditContextMiddleware:
    """After AuthenticationMiddleware (settings.MIDDLEWARE): ``request.user`` is set
    by the time a view writes an event."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = begin_request(request)
        try:
            return self.get_response(request)
        finally:
            end_request(token)
