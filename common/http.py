"""Small HTTP helpers: views that change something, and strict parsing of input.

Parsing at the edge: a number or a choice from a query string, a form or a URL is
read by one helper each, before it reaches the ORM. Anything our pages could not
have sent raises ``MalformedInput``, a ``BadRequest``: the request gets a 400 with
the helper's message (``config.middleware`` shows it with ``bad_request``), never a 500 from deep in
the database driver.
"""

import re
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.log import log_response

View = Callable[..., HttpResponse]

# Ids are BigAutoFields: 64-bit signed in PostgreSQL (bigint) and SQLite (INTEGER).
MAX_ID = 2**63 - 1
# Enough for a team of five million at 50 learners a page.
MAX_PAGE = 100_000
# C0 control characters but tab, LF and CR: no form or URL of ours sends them, and
# PostgreSQL refuses NUL in text (a stored one also breaks dumpdata/loaddata).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class MalformedInput(BadRequest):
    """A parameter no page of ours could have sent: a 400 with this message."""


def parse_int(value: str, *, name: str, lowest: int, highest: int) -> int:
    """``value`` as an int in [lowest, highest], or MalformedInput.

    Only ASCII digits: ``str.isdigit()`` is also true for "²" and "١", which
    ``int()`` refuses, and ``int()`` itself accepts " 7", "1_000" and "٣". The
    length is checked first, so a 5,000-digit string is never converted.
    """
    if (
        not isinstance(value, str)
        or not value.isascii()
        or not value.isdigit()
        or len(value) > len(str(highest))
        or not lowest <= int(value) <= highest
    ):
        raise MalformedInput(f"{name}: expected a whole number from {lowest} to {highest}.")
    return int(value)


def parse_id(value: str, name: str = "id") -> int:
    """A database id (1 to 2**63 - 1) from a form, query string or URL."""
    return parse_int(value, name=name, lowest=1, highest=MAX_ID)


def parse_page(value: str) -> int:
    """A page number; empty means the first page. A page past the last one is left to
    the paginator (it shows the last page: a bookmark after a team shrank)."""
    return parse_int(value, name="page", lowest=1, highest=MAX_PAGE) if value else 1


def parse_choice(value: str, choices: Collection[str], *, name: str) -> str:
    """One of ``choices`` (the values our select offers), or MalformedInput."""
    if value not in choices:
        raise MalformedInput(f"{name}: not one of the offered choices.")
    return value


def parse_text(value: str, *, name: str, max_length: int) -> str:
    """Typed text, stripped: at most ``max_length`` characters and no control characters."""
    text = value.strip()
    if len(text) > max_length:
        raise MalformedInput(f"{name}: at most {max_length} characters.")
    if CONTROL_CHARACTERS.search(text):
        raise MalformedInput(f"{name}: contains control characters.")
    return text


def post_only(page: Callable[..., Any], message: str = "") -> Callable[[View], View]:
    """POST only; a GET goes to ``page`` (with ``message``, if given) instead of a 405.

    A learner lands on a POST-only URL with a GET when their session ended before
    they pressed the button: the login page sends them back to its ``next=`` URL
    with a GET. A blank "405" loses them; the page the button is on lets them press
    it again. ``page(request, *args, **kwargs)`` gets the view's arguments and
    returns a URL or a model with ``get_absolute_url`` (it may raise Http404).
    Other methods still get a 405: no browser navigation uses them.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["POST"])
            target = page(request, *args, **kwargs)
            if message and request.method == "GET":
                messages.info(request, message)
            response: HttpResponse = redirect(target)
            return response

        return wrapper

    return decorator


def bad_request(request: HttpRequest, reason: str | Promise) -> HttpResponse:
    """The site's 400 page with ``reason``, rendered without the request: no session,
    no user, no database. A lazy ``reason`` is shown translated and logged in English."""
    response = HttpResponseBadRequest(render_to_string("400.html", {"reason": reason}))
    with translation.override(None):
        logged = str(reason)
    log_response(f"Bad request: {logged}", request=request, response=response)
    return response
