"""Login throttling: django-axes per name and address, and this module's rules
across names and across addresses.

Axes counts failed logins per (login name, IP address) in the database
(settings: AXES_*). These functions are the project's answers to its questions:
which login name (any case, username or email, counts as typed but lowercased,
so ``Alice`` and ``alice`` share one counter), which address (REMOTE_ADDR, or the
client's address from X-Forwarded-For behind a known number of proxies), and how
long a lockout lasts.

Two more rules see what a per-pair count cannot (SprayThrottleBackend, after
axes' backend): failed logins from one address across every name (one password
tried against many accounts: password spraying) and failed logins as one name
across every address. Each is counted over the last LOGIN_COOLOFF_MINUTES
(LoginFailure rows, one per failure whose password was checked); past its
"slow" limit a rule lets one checked attempt through per LOGIN_SLOW_SECONDS,
and at its "lock" limit it refuses every password login for the cool-off
(a LoginLock row). Refused attempts are refused before the password is
checked, right password or not (else the answer would tell a sprayer which
password is right), and are not counted by either rule or by axes, so people
who retry too soon do not push their office into a lock. IPv6 addresses count
per /64 network (what one customer line usually gets). Signing in by the
emailed password link or by single sign-on does not go through these checks.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timezone import now

from accounts.models import LoginFailure, LoginLock

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
    """The page shown instead of the login form's answer while locked out or slowed
    down (AXES_LOCKOUT_CALLABLE, for axes' refusals and this module's): the site's
    layout, which rule, the limit and the wait, a 429 with Retry-After."""
    context = {
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "minutes": settings.LOGIN_COOLOFF_MINUTES,
        "login_name": login_identifier(request, credentials),
    }
    refusal: Refusal | None = getattr(request, "login_throttle", None)
    if refusal is not None:
        context["throttle"] = refusal
        context["failure_limit"] = refusal.limit
        context["login_name"] = refusal.key if refusal.rule == LoginLock.NAME else None
    response = render(request, "accounts/locked_out.html", context, status=429)
    retry_after = refusal.seconds if refusal else settings.LOGIN_COOLOFF_MINUTES * 60
    response["Retry-After"] = str(retry_after)
    return response


def identifiers_of(user) -> list[str]:
    """The login names a person may be counted under: username, and email."""
    return [name for name in {user.get_username().lower(), (user.email or "").lower()} if name]


def locked_out_attempts() -> QuerySet[AccessAttempt]:
    """The counters that refuse logins right now."""
    since = timezone.now() - cool_off()
    return AccessAttempt.objects.filter(
        attempt_time__gte=since, failures_since_start__gte=get_failure_limit(None, None)
    )


def locked_out_names() -> set[str]:
    """The login names refused right now: by axes (from some address) or everywhere."""
    names = set(locked_out_attempts().values_list("username", flat=True))
    names |= set(
        LoginLock.objects.filter(rule=LoginLock.NAME, until__gt=now()).values_list("key", flat=True)
    )
    return names


def unlock(user) -> int:
    """Clear every failed-login counter and lock of this person's login names
    (username and email, every address), so they may log in at once. Returns how
    many counters and locks were cleared (their individual failures are forgotten
    too). Their addresses' counts are left alone: other people share them."""
    identifiers = identifiers_of(user)
    cleared = sum(reset(username=identifier) for identifier in identifiers)
    cleared += LoginLock.objects.filter(rule=LoginLock.NAME, key__in=identifiers).delete()[0]
    LoginFailure.objects.filter(name__in=identifiers).delete()
    return cleared


# Across names and across addresses ------------------------------------------------------


def address_key(address: str | None) -> str:
    """What the address rule counts under: an IPv4 address as it is, an IPv6 address
    as its /64 network (one customer line gets a whole /64), "" when unknown."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True)
class Refusal:
    """Why a password login is refused before its password is checked."""

    rule: str  # LoginLock.ADDRESS or LoginLock.NAME
    key: str  # the address (or IPv6 /64) or the login name
    locked: bool  # locked for the cool-off; else slowed down
    limit: int  # the limit that was reached
    seconds: int  # until an attempt is let through again

    @property
    def minutes(self) -> int:
        return math.ceil(self.seconds / 60)


def _limits(rule: str) -> tuple[int, int]:
    """(slow after, lock after) failures for a rule; 0 turns that step off."""
    if rule == LoginLock.ADDRESS:
        return settings.LOGIN_ADDRESS_SLOW_AFTER, settings.LOGIN_ADDRESS_LOCK_AFTER
    return settings.LOGIN_NAME_SLOW_AFTER, settings.LOGIN_NAME_LOCK_AFTER


def _recent_failures(keys: dict[str, str], at: datetime) -> dict[str, tuple[int, datetime | None]]:
    """rule -> (failures in the window, the latest one's time), for each rule's key."""
    field = {LoginLock.ADDRESS: "address", LoginLock.NAME: "name"}
    aggregates = {}
    for rule, key in keys.items():
        match = Q(**{field[rule]: key})
        aggregates[f"{rule}_count"] = Count("pk", filter=match)
        aggregates[f"{rule}_last"] = Max("at", filter=match)
    either = Q()
    for rule, key in keys.items():
        either |= Q(**{field[rule]: key})
    found = LoginFailure.objects.filter(either, at__gt=at - cool_off()).aggregate(**aggregates)
    return {rule: (found[f"{rule}_count"], found[f"{rule}_last"]) for rule in keys}


def _keys(name: str, address: str) -> dict[str, str]:
    return {
        rule: key for rule, key in ((LoginLock.ADDRESS, address), (LoginLock.NAME, name)) if key
    }


def refusal_for(name: str, address: str, at: datetime) -> tuple[Refusal | None, dict[str, int]]:
    """Whether a password login as ``name`` from ``address`` (an address_key) is to be
    refused at ``at``, and why: a lock first, else the longest slow-down. Also each
    rule's failures in the window so far (two queries in all)."""
    keys = _keys(name, address)
    if not keys:
        return None, {}
    either = Q()
    for rule, key in keys.items():
        either |= Q(rule=rule, key=key)
    for lock in sorted(LoginLock.objects.filter(either, until__gt=at), key=lambda lock: lock.rule):
        seconds = math.ceil((lock.until - at).total_seconds())
        limit = _limits(lock.rule)[1] or lock.failures
        return Refusal(lock.rule, lock.key, True, limit, seconds), {}
    slowed, counts = [], {}
    for rule, (count, last) in _recent_failures(keys, at).items():
        counts[rule] = count
        slow_after = _limits(rule)[0]
        if slow_after and count >= slow_after and last is not None:
            wait = settings.LOGIN_SLOW_SECONDS - (at - last).total_seconds()
            if wait > 0:
                slowed.append(Refusal(rule, keys[rule], False, slow_after, seconds=math.ceil(wait)))
    return max(slowed, key=lambda refusal: refusal.seconds, default=None), counts


@dataclass(frozen=True)
class _Checked:
    name: str
    address: str
    at: datetime
    counts: dict[str, int]  # each rule's failures in the window before this attempt


class SprayThrottleBackend:
    """In AUTHENTICATION_BACKENDS right after axes' backend: refuses a password login
    (PermissionDenied, before any password is checked) while its address or its login
    name is slowed down or locked, and marks the others as checked, so that a failure
    among them is recorded (record_failure). Logs nobody in itself, and has no
    get_user(), so nothing picks it to log someone in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or password is None:
            return None
        name = login_identifier(request, {"username": username}) or ""
        address = address_key(client_ip(request))
        at = now()
        refusal, counts = refusal_for(name, address, at)
        if refusal is not None:
            # axes' middleware turns the refusal into lockout_response's page, and
            # axes does not count it (not_counted_by_axes).
            request.login_throttle = refusal
            request.axes_locked_out = True
            raise PermissionDenied("Too many failed logins; this attempt was not checked.")
        request.login_throttle_checked = _Checked(name, address, at, counts)
        return None


def not_counted_by_axes(request: HttpRequest, credentials: dict | None) -> bool:
    """AXES_WHITELIST_CALLABLE: an attempt SprayThrottleBackend refused unchecked is not
    a failure for axes either (for axes it is "whitelisted": not counted). Before
    that backend runs, nothing is whitelisted."""
    return getattr(request, "login_throttle", None) is not None


def record_failure(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    """user_login_failed: record a failed login whose password was checked, forget
    those older than the window, and lock the address or the name that reached its
    lock limit with it."""
    checked: _Checked | None = getattr(request, "login_throttle_checked", None)
    if checked is None:
        return  # refused unchecked (by any rule), or not a password login
    at = checked.at
    LoginFailure.objects.filter(at__lte=at - cool_off()).delete()
    LoginFailure.objects.create(at=at, address=checked.address, name=checked.name)
    for rule, key in _keys(checked.name, checked.address).items():
        count = checked.counts.get(rule, 0) + 1
        lock_after = _limits(rule)[1]
        if lock_after and count >= lock_after:
            _lock(rule, key, count, at)


def _lock(rule: str, key: str, failures: int, at: datetime) -> None:
    values = {"failures": failures, "locked_at": at, "until": at + cool_off()}
    try:
        with transaction.atomic():
            LoginLock.objects.update_or_create(rule=rule, key=key, defaults=values)
    except IntegrityError:
        pass  # locked at the same moment by another request: locked either way
    LoginLock.objects.filter(until__lte=at).delete()


# What the admin sees and lifts ----------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """One current lock or slow-down, as the admin's Sign-in page lists it."""

    rule: str  # "address", "name" or "pair" (axes: one name from one address)
    key: str  # the address, or the login name
    address: str  # the pair's address; "" otherwise
    locked: bool
    failures: int
    latest: datetime
    until: datetime


def current_throttles() -> list[Throttle]:
    """Every lock and slow-down in force now: locks first, then the most failures."""
    at = now()
    window_start = at - cool_off()
    found: list[Throttle] = []
    locked: set[tuple[str, str]] = set()
    for lock in LoginLock.objects.filter(until__gt=at):
        locked.add((lock.rule, lock.key))
        found.append(
            Throttle(lock.rule, lock.key, "", True, lock.failures, lock.locked_at, lock.until)
        )
    recent = LoginFailure.objects.filter(at__gt=window_start)
    for rule, field in ((LoginLock.ADDRESS, "address"), (LoginLock.NAME, "name")):
        slow_after = _limits(rule)[0]
        if not slow_after:
            continue
        rows = (
            recent.exclude(**{field: ""})
            .values(field)
            .annotate(failures=Count("pk"), latest=Max("at"))
            .filter(failures__gte=slow_after)
        )
        for row in rows:
            if (rule, row[field]) not in locked:
                until = row["latest"] + timedelta(seconds=settings.LOGIN_SLOW_SECONDS)
                found.append(
                    Throttle(rule, row[field], "", False, row["failures"], row["latest"], until)
                )
    pairs = (
        AccessAttempt.objects.filter(attempt_time__gte=window_start)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        .filter(failures__gte=get_failure_limit(None, None))
    )
    for row in pairs:
        found.append(
            Throttle(
                "pair",
                row["username"] or "",
                row["ip_address"] or "",
                True,
                row["failures"],
                row["latest"],
                row["latest"] + cool_off(),
            )
        )
    return sorted(found, key=lambda t: (not t.locked, -t.failures, t.rule, t.key, t.address))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def liftable(rule: str, key: str, address: str = "") -> bool:
    """Whether a Lift request names something lift() can look for: a known rule, a
    key without control characters (PostgreSQL refuses NUL), and for ``pair`` an
    IP address (axes keeps it in an address column)."""
    if rule not in ("address", "name", "pair") or not key or _CONTROL.search(key + address):
        return False
    if len(key) > IDENTIFIER_MAX_LENGTH:
        return False
    return rule != "pair" or _valid_ip(address) is not None


def lift(rule: str, key: str, address: str = "") -> int:
    """Lift a lock or slow-down: forget the failures it counts (and its lock).
    ``pair``: axes' count of one login name from one address. Returns how many
    records were removed (0: there was nothing to lift)."""
    if rule == LoginLock.ADDRESS:
        locks = LoginLock.objects.filter(rule=rule, key=key).delete()[0]
        return locks + LoginFailure.objects.filter(address=key).delete()[0]
    if rule == LoginLock.NAME:
        locks = LoginLock.objects.filter(rule=rule, key=key).delete()[0]
        return locks + LoginFailure.objects.filter(name=key).delete()[0]
    if rule == "pair":
        return AccessAttempt.objects.filter(username=key, ip_address=address or None).delete()[0]
    raise ValueError(f"unknown rule {rule!r}")
