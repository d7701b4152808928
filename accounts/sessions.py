"""How long a sign-in lasts: until a spell of inactivity, shorter for staff.

A learner on a shared or forgotten computer should not stay signed in for days
(Django's default is two weeks from the last save). Each signed-in request
notes when the person was last seen, at most once every few minutes so that
reading lessons does not write the session on every page; a request after a
longer silence than the person's limit signs them out first, and the login
page brings them back where they were (a quiz's answers are kept, see
quizzes/drafts.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN = "_last_seen"


def idle_limit(user) -> int:
    """Seconds of inactivity after which this person is signed out."""
    if user.is_staff or user.is_superuser:
        return settings.STAFF_SESSION_IDLE_SECONDS
    return settings.SESSION_IDLE_SECONDS


def refresh_interval(limit: int) -> int:
    """How stale "last seen" may get before it is written again: a tenth of the
    limit, at most five minutes, so the limit is honoured within a few percent."""
    return max(1, min(300, limit // 10))


def note_sign_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """Signing in counts as activity; noted in the session being written anyway, so
    the first page after it writes nothing more."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class IdleSessionMiddleware:
    """Sign out after ``idle_limit`` seconds without a request. Place it after
    MessageMiddleware (it leaves a message); LoginRequiredMiddleware checks in
    process_view, which runs after every middleware's __call__."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            limit = idle_limit(user)
            last_seen = request.session.get(LAST_SEEN)
            if isinstance(last_seen, int) and now - last_seen > limit:
                logout(request)  # flushes the session; the request goes on signed out
                messages.info(request, "You were signed out after a period of inactivity.")
            elif not isinstance(last_seen, int) or now - last_seen >= refresh_interval(limit):
                request.session[LAST_SEEN] = now
        return self.get_response(request)
