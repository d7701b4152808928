"""Who is acting and from where, for the events written while a request (or a
command) runs.

``AuditContextMiddleware`` (audit.middleware) puts the request in a ContextVar; the
user is read only when an event is written, so a page that writes nothing costs no
query here. Without a request the actor is what :func:`acting_as` named, else the
management command being run (``manage.py import_content``), else ``system``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from accounts.throttling import client_ip

SYSTEM = "system"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Party:
    """A person (or a process) as the log names them: an id, if any, and a name."""

    id: int | None
    name: str


@dataclass(frozen=True)
class Origin:
    """The request being served: its user (read lazily) and client address."""

    request: HttpRequest
    ip: str


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)
_acting: ContextVar[Party | None] = ContextVar("audit_acting", default=None)


def person(user: Any) -> Party:
    """A user as the log names them: full name, else username."""
    name = user.get_full_name().strip() or user.get_username()
    return Party(id=user.pk, name=name[:300])


def begin_request(request: HttpRequest) -> object:
    """Remember the request; returns the token :func:`end_request` takes."""
    return _origin.set(Origin(request=request, ip=client_ip(request) or ""))


def end_request(token: Any) -> None:
    _origin.reset(token)


@contextmanager
def acting_as(name: str, user_id: int | None = None) -> Iterator[None]:
    """Name the actor of the events written inside (a scheduled job, a script)."""
    token = _acting.set(Party(id=user_id, name=name[:300]))
    try:
        yield
    finally:
        _acting.reset(token)


def command_name(argv: list[str] | None = None) -> str:
    """``manage.py <command>`` when this process is a management command, else system."""
    argv = sys.argv if argv is None else argv
    if len(argv) >= 2 and os.path.basename(argv[0]) in {"manage.py", "django-admin"}:
        return f"manage.py {argv[1]}"[:300]
    return SYSTEM


def current_actor() -> Party:
    """Who is acting now: the request's user, the name given to :func:`acting_as`,
    or the command (or system)."""
    origin = _origin.get()
    if origin is not None:
        user = getattr(origin.request, "user", None)
        if user is not None and user.is_authenticated:
            return person(user)
        return Party(id=None, name=ANONYMOUS)
    return _acting.get() or Party(id=None, name=command_name())


def current_ip() -> str:
    origin = _origin.get()
    return origin.ip if origin is not None else ""


def in_admin() -> bool:
    """Whether the request being served is one of the Django admin's."""
    origin = _origin.get()
    match = getattr(origin.request, "resolver_match", None) if origin is not None else None
    return match is not None and "admin" in match.namespaces
