"""Login throttling: how django-axes names who is trying to log in, and unlocking.

Axes counts failed logins per (login name, IP address) in the database
(settings: AXES_*). These functions are the project's answers to its questions:
which login name (any case, username or email, counts as typed but lowercased,
so ``Alice`` and ``alice`` share one counter), which address (REMOTE_ADDR, or the
client's address from X-Forwarded-For behind a known number of proxies), and how
long a lockout lasts.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

# AccessAttempt.username's length: longer input is cut, never an error.
IDENTIFIER_MAX_LENGTH = 255


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a locked-out login name and address stay refused (AXES_COOLOFF_TIME)."""
    return timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)


def normalise_identifier(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().lower()[:IDENTIFIER_MAX_LENGTH] or None


def login_identifier(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The login name the counters are kept under (AXES_USERNAME_CALLABLE).

    What the person typed, lowercased: failures are counted under it, and a
    successful login (whose credentials hold the account's real username) clears
    the counter of what was typed, so logging in by email clears the email's."""
    typed = None
    if request is not None and request.method == "POST":
        typed = request.POST.get("username")
    if typed is None and credentials:
        typed = credentials.get("username")
    return normalise_identifier(typed if isinstance(typed, str) else None)


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (AXES_CLIENT_IP_CALLABLE).

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so with N of them the client is the N-th entry from the
    right; anything further left was written by the client and is ignored. A
    header that is missing, too short or not an address falls back to
    REMOTE_ADDR (the nearest proxy: a shared counter, never a forged one)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(hops) >= count and (client := _valid_ip(hops[-count])):
            return client
    return remote


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page shown instead of the login form's answer while locked out
    (AXES_LOCKOUT_CALLABLE): the site's layout, the limit and the wait, a 429."""
    context = {
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "minutes": settings.LOGIN_COOLOFF_MINUTES,
        "login_name": login_identifier(request, credentials),
    }
    return render(request, "accounts/locked_out.html", context, status=429)


def identifiers_of(user) -> list[str]:
    """The login names a person may be counted under: username, and email."""
    return [name for name in {user.get_username().lower(), (user.email or "").lower()} if name]


def locked_out_attempts() -> QuerySet[AccessAttempt]:
    """The counters that refuse logins right now."""
    since = timezone.now() - cool_off()
    return AccessAttempt.objects.filter(
        attempt_time__gte=since, failures_since_start__gte=get_failure_limit(None, None)
    )


def unlock(user) -> int:
    """Clear every failed-login counter of this person (username and email, every
    address), so they may log in at once. Returns how many counters were cleared."""
    return sum(reset(username=identifier) for identifier in identifiers_of(user))
