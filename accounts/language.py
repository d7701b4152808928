"""Which language a request is served in: one function decides, every page and email asks.

A signed-in person's own choice (``Profile.language``) is copied into their session
when they sign in or change it, so no page pays a query for it. Without a choice,
Django's rules apply: the language cookie set by the switcher, then the browser's
Accept-Language, then ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from common.language import supported

SESSION_KEY = "language"


def language_for_request(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    chosen = supported(session.get(SESSION_KEY)) if session is not None else None
    return chosen or translation.get_language_from_request(request)


def choose_language(request: HttpRequest, code: str) -> str:
    """Make ``code`` the language of this person (their profile, when signed in) and of
    this browser (the session and the cookie ``remember_language_cookie`` sets).
    An empty code means "follow the browser". Returns the code kept."""
    from accounts.models import Profile

    code = supported(code) or ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        with transaction.atomic():
            Profile.objects.update_or_create(user=user, defaults={"language": code})
        # Signed-in pages read the session, not the profile: no query per page.
        if code:
            request.session[SESSION_KEY] = code
        else:
            request.session.pop(SESSION_KEY, None)
    # Anonymous visitors get the cookie only: no session row for choosing a language.
    translation.activate(code or translation.get_language_from_request(request))
    request.LANGUAGE_CODE = translation.get_language()
    return code


def remember_language_cookie(response: HttpResponse, code: str) -> None:
    """The choice outlives the session (the login page after signing out speaks it)."""
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")


def restore_language(sender, request: HttpRequest, user, **kwargs) -> None:
    """On sign-in, the person's own choice replaces whatever the browser said."""
    if request is None or not hasattr(request, "session"):
        return
    profile = getattr(user, "profile", None)
    code = supported(getattr(profile, "language", None))
    if code:
        request.session[SESSION_KEY] = code
    else:
        request.session.pop(SESSION_KEY, None)


class UserLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without URL prefixes, choosing by language_for_request."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(language_for_request(request))
        request.LANGUAGE_CODE = translation.get_language()
