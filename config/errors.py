"""The site's own page for 405 Method Not Allowed.

Django has handlers for 400, 403, 404 and 500 but none for 405: ``require_POST``
and class-based views answer a wrong method with an empty ``HttpResponseNotAllowed``,
a blank page. This middleware gives such a response the site's page (templates/405.html)
and keeps its ``Allow`` header. A 405 that already has a body is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class MethodNotAllowedPage:
    """Place it after AuthenticationMiddleware and MessageMiddleware: the page has the
    site's navigation, which reads the user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = HttpResponse(render_to_string("405.html", request=request), status=405)
        page["Allow"] = response.get("Allow", "")
        return page
