"""One JSON line per request on the ``requests`` logger (configured in settings.LOGGING).

    {"time": "2026-11-24T17:02:03.412Z", "method": "GET", "path": "/courses/x/",
     "status": 200, "duration_ms": 41.7, "user_id": 12, "request_id": "5f0c..."}

The request id is the ``X-Request-ID`` the proxy sent (so its log and ours join up),
or a new one; it is sent back in the response's ``X-Request-ID`` and kept on
``request.request_id``. The path leaves out the query string (search terms, tokens).
The duration is until the response is handed to the server: a streamed CSV goes on
after it (gunicorn's access log has the full time).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

logger = logging.getLogger("requests")

HEADER = "X-Request-ID"
# What proxies send (nginx's $request_id, UUIDs, trace ids); anything else is replaced,
# so a client cannot put arbitrary text into the logs.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")


def request_id(given: str | None) -> str:
    if given and VALID_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, if the request has already looked the user up: the
    log line never costs a query of its own (a static file, a health check)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestLog:
    """Outermost middleware: it times and logs every response, the early refusals of
    the middleware below it included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request.request_id = request_id(request.headers.get(HEADER))
        response = self.get_response(request)
        response.headers.setdefault(HEADER, request.request_id)
        if logger.isEnabledFor(logging.INFO):
            line = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user_id(request),
                "request_id": request.request_id,
            }
            logger.info(json.dumps(line))
        return response
