"""Refuse input no page of ours could have sent, before any view or database sees it.

Runs on every request, early (before sessions: a malformed request never
touches the database), so it is kept cheap: one regular-expression scan of the
path, the query string's keys and values, the form's (urlencoded or multipart)
and the cookies. It also gives the 400 of ``common.http.MalformedInput``,
raised by views, its message.

It is also the first to read a POST's form, and refuses one it cannot read (a
charset other than UTF-8 for an urlencoded form, an unknown charset, a multipart
body cut short or without a boundary, too many fields, too large): Django raises
for these when the form is read, and its 400 handler's CSRF check read the form
again, so a UTF-16 form with a CSRF cookie got no response at all (issue 21).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from itertools import chain

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from common.http import CONTROL_CHARACTERS, MalformedInput, bad_request, parse_id

# The admin's changelist posts the ticked rows as ``_selected_action`` ids and runs
# ``pk__in`` on them: "²" or "1.5" raise ValueError, and a 20-digit id OverflowError
# on SQLite, when the action's queryset is read. The admin is Django's; its edge is ours.
ADMIN_SELECTED = "_selected_action"
# The admin's change view looks up the field an empty ``?_to_field=`` names (it checks
# the value only when it is not empty): FieldDoesNotExist, a 500. Found by the fuzz.
ADMIN_TO_FIELD = "_to_field"


class RefuseMalformedInput:
    """400 with a short message for control characters (NUL and other C0 characters
    but tab, LF and CR) anywhere in the path, parameters or cookies, for admin
    action ids that are not ids, and for the admin's empty ``_to_field``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            problem = _problem(request)
        except MalformedInput as exc:
            problem = str(exc)
        if problem:
            # Before sessions: the browser's language (cookie, Accept-Language) only.
            with translation.override(translation.get_language_from_request(request)):
                return bad_request(request, problem)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, MalformedInput):
            return bad_request(request, str(exception))
        # Django 5.2 range-checks integers for exact/gt/lt lookups but not for ``__in``:
        # on SQLite an out-of-range id in a form of the admin (a many-to-many field,
        # ``?id__in=``) reaches the driver. Our own forms and views parse ids first
        # (common.http.parse_id); this covers the code we do not own.
        if isinstance(exception, OverflowError) and "SQLite INTEGER" in str(exception):
            return bad_request(request, gettext_lazy("A number is too large."))
        return None


def _problem(request: HttpRequest) -> str | Promise:
    """What is wrong with the request, or "" when nothing is."""
    if CONTROL_CHARACTERS.search(request.path):
        return gettext_lazy("The address contains control characters.")
    if _has_control_characters(request.GET):
        return gettext_lazy("The query string contains control characters.")
    if request.COOKIES and _has_control_characters_in(chain(*request.COOKIES.items())):
        return gettext_lazy("A cookie contains control characters.")
    if request.path.startswith("/admin/") and "" in request.GET.getlist(ADMIN_TO_FIELD):
        return gettext_lazy("The _to_field parameter is empty.")
    if request.method == "POST":
        # Parses an urlencoded or multipart body (files go to request.FILES, unread
        # here); a form that cannot be read is refused.
        if unreadable := _read_form(request):
            return unreadable
        if _has_control_characters(request.POST):
            return gettext_lazy("The form contains control characters.")
        for value in request.POST.getlist(ADMIN_SELECTED):
            parse_id(value, ADMIN_SELECTED)
        if request.path.startswith("/admin/") and "" in request.POST.getlist(ADMIN_TO_FIELD):
            return gettext_lazy("The _to_field parameter is empty.")
    return ""


URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _read_form(request: HttpRequest) -> str | Promise:
    """Reads the POST's form into request.POST and request.FILES; what keeps it from
    being read, or "". A form that cannot be read is left empty, so that nothing
    reading request.POST later (CSRF, an error page) tries again."""
    charset = request.content_params.get("charset")
    if charset is not None:
        try:
            # Unknown ("x-nonsense"), or no text encoding ("zlib", "base64"), which
            # Django ignores or fails on (a 500 for a multipart form). Not b"": an
            # empty input is decoded without looking the codec up.
            str(b"a", charset, "replace")
        except LookupError:
            request._mark_post_parse_error()
            return gettext_lazy("The form names a character set this site does not know.")
        if request.content_type == URLENCODED:
            if codecs.lookup(charset).name != "utf-8":
                # HTML forms are UTF-8 by definition; Django refuses any other.
                request._mark_post_parse_error()
                return gettext_lazy("Forms must be sent in UTF-8.")
            request.encoding = "utf-8"  # "utf8", "UTF_8": Django accepts "utf-8" only
    end = _watch_for_the_end(request)
    try:
        request.POST  # noqa: B018 (reads the form)
        if end is not None and not end.seen:
            request.close()  # the files of the parts read so far
            raise MultiPartParserError("The multipart body ends before its last boundary.")
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
        request._mark_post_parse_error()
        if isinstance(exc, RequestDataTooBig):
            return gettext_lazy("The form is too large.")
        return gettext_lazy("The form has too many fields.")
    except (BadRequest, MultiPartParserError, UnreadablePostError):
        request._mark_post_parse_error()
        return gettext_lazy("The form could not be read.")
    return ""


class _EndOfMultipart:
    """The request's body stream, watched for the multipart close delimiter
    (``--boundary--``) as Django's parser reads it: without it the body was cut
    short, and Django would keep the fields it had read and drop the last part."""

    def __init__(self, stream, boundary: str):
        self._stream = stream
        self._delimiter = f"--{boundary}--".encode("ascii", "replace")
        self._tail = b""  # the end of what was read, for a delimiter across two reads
        self.seen = False

    def _watch(self, data: bytes) -> bytes:
        if not self.seen and data:
            window = self._tail + data
            self.seen = self._delimiter in window
            self._tail = window[-(len(self._delimiter) - 1) :]
        return data

    def read(self, *args) -> bytes:
        return self._watch(self._stream.read(*args))

    def readline(self, *args) -> bytes:
        return self._watch(self._stream.readline(*args))

    def close(self) -> None:
        self._stream.close()


def _watch_for_the_end(request: HttpRequest) -> _EndOfMultipart | None:
    """Watches a multipart body not read yet (uploads stream through, never held in
    memory whole). Swaps the request's private ``_stream``, which HttpRequest.read()
    reads from, as it has since Django 1.x."""
    boundary = request.content_params.get("boundary")
    if request.content_type != MULTIPART or not boundary or request._read_started:
        return None
    request._stream = _EndOfMultipart(request._stream, boundary)
    return request._stream


def _has_control_characters(data: QueryDict) -> bool:
    return bool(data) and _has_control_characters_in(
        chain.from_iterable((key, *values) for key, values in data.lists())
    )


def _has_control_characters_in(texts: Iterable[str]) -> bool:
    # One scan over everything joined by LF (itself allowed) instead of one per value.
    return CONTROL_CHARACTERS.search("\n".join(texts)) is not None
