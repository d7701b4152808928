"""A form the server cannot read gets a 400 with a short message and one log line
(issue 21, point 5).

Before: an urlencoded POST in UTF-16 with a CSRF cookie got no response at all: the
400 handler's CSRF check read the form again, failed again, and so on until the
exception escaped (about 22 KB of chained tracebacks, no access-log line). An unknown
charset passed unnoticed, a truncated multipart body was half read, the other parse
errors were 400s with a traceback each, and ``charset=zlib`` was a 500. Now
config.middleware.RefuseMalformedInput reads the form first (before sessions and CSRF)
and refuses what it cannot read.
"""

import http.client
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.test_production import free_port, start_gunicorn

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
CSRF_COOKIE = "a" * 32  # any well-formed cookie: the crash needed one
URLENCODED = "application/x-www-form-urlencoded"

NOT_UTF8 = "Forms must be sent in UTF-8."
UNKNOWN_CHARSET = "The form names a character set this site does not know."
UNREADABLE = "The form could not be read."
TOO_MANY_FIELDS = "The form has too many fields."
TOO_LARGE = "The form is too large."


def multipart(*parts: tuple[str, bytes], boundary: str = "BOUND", end: bytes = b"--\r\n") -> bytes:
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in parts
    )
    return body + f"--{boundary}".encode() + end


COMPLETE = multipart(("username", b"alice"), ("password", b"secret"))
# Cut inside the last value: Django kept "alice" and dropped the rest without a word.
TRUNCATED = COMPLETE[: COMPLETE.index(b"secret") + 3]

# name: (content type, body, the message shown)
UNREADABLE_BODIES = {
    "utf-16": (f"{URLENCODED}; charset=utf-16", "username=a&password=b".encode("utf-16"), NOT_UTF8),
    "latin-1": (f"{URLENCODED}; charset=iso-8859-1", b"username=J%E9r%F4me", NOT_UTF8),
    "unknown charset": (f"{URLENCODED}; charset=x-nonsense", b"username=a", UNKNOWN_CHARSET),
    "unknown multipart charset": (
        "multipart/form-data; boundary=BOUND; charset=x-nonsense",
        COMPLETE,
        UNKNOWN_CHARSET,
    ),
    # A codec, but not of text: was a 500 (LookupError) for a multipart form.
    "zlib": ("multipart/form-data; boundary=BOUND; charset=zlib", COMPLETE, UNKNOWN_CHARSET),
    "truncated multipart": ("multipart/form-data; boundary=BOUND", TRUNCATED, UNREADABLE),
    "multipart without its end": (
        "multipart/form-data; boundary=BOUND",
        COMPLETE[: -len(b"--BOUND--\r\n")],
        UNREADABLE,
    ),
    "multipart without a boundary": ("multipart/form-data", COMPLETE, UNREADABLE),
    "too many fields": (
        URLENCODED,
        "&".join(f"f{i}=1" for i in range(1001)).encode(),
        TOO_MANY_FIELDS,
    ),
    "too large": (URLENCODED, b"a=" + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, TOO_LARGE),
}


def csrf_client() -> Client:
    """A client that checks CSRF as browsers meet it, with a CSRF cookie: the 400
    handler's own CSRF check is what read the form again."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_COOKIE
    return client


def send(client: Client, url: str, name: str, **extra):
    """POSTs one of the bodies above as it is: ``client.post`` would re-encode a body
    into the charset its content type names (and fail on an unknown one)."""
    content_type, body, _ = UNREADABLE_BODIES[name]
    return client.generic("POST", url, body, content_type=content_type, **extra)


def logged(caplog) -> list[logging.LogRecord]:
    # The request log ("requests") does not propagate: these are the warnings and errors.
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", UNREADABLE_BODIES)
def test_an_unreadable_form_gets_400_with_a_message_and_one_log_line(caplog, name):
    message = UNREADABLE_BODIES[name][2]
    response = send(csrf_client(), reverse("login"), name)
    assert response.status_code == 400
    assert message in response.content.decode()
    [record] = logged(caplog)
    assert record.getMessage() == f"Bad request: {message}"
    assert record.exc_info is None


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/admin/login/", "/no/such/page/", "/healthz", "/courses/"]
)
def test_a_utf16_form_gets_400_on_every_url(caplog, url):
    response = send(csrf_client(), url, "utf-16")
    assert response.status_code == 400
    assert NOT_UTF8 in response.content.decode()
    assert len(logged(caplog)) == 1


def test_a_utf16_form_gets_400_for_a_signed_in_learner(learner, caplog):
    client = csrf_client()
    client.force_login(learner)
    response = send(client, reverse("courses:my_learning"), "utf-16")
    assert response.status_code == 400
    assert len(logged(caplog)) == 1


# What is still read -----------------------------------------------------------------


@pytest.mark.parametrize("charset", ["", "; charset=utf-8", "; charset=UTF-8", "; charset=utf8"])
def test_an_urlencoded_form_in_utf8_signs_in(learner, charset):
    body = f"username=alice&password={PASSWORD.replace(' ', '+')}"
    response = Client().post(reverse("login"), body, content_type=URLENCODED + charset)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "body",
    [
        multipart(("username", b"alice"), ("password", PASSWORD.encode())),
        # An epilogue after the end is allowed (RFC 2046).
        multipart(("username", b"alice"), ("password", PASSWORD.encode()), end=b"--\r\nbye\r\n"),
    ],
    ids=["plain", "epilogue"],
)
def test_a_complete_multipart_form_signs_in(learner, body):
    response = Client().post(
        reverse("login"), body, content_type="multipart/form-data; boundary=BOUND"
    )
    assert response.status_code == 302


def test_a_multipart_form_in_latin1_is_read(learner):
    """Multipart parts are decoded with the form's charset: a known one is fine."""
    body = multipart(("username", b"alice"), ("password", PASSWORD.encode("latin-1")))
    response = Client().post(
        reverse("login"), body, content_type="multipart/form-data; boundary=BOUND; charset=latin-1"
    )
    assert response.status_code == 302


def test_a_file_larger_than_the_form_limit_is_not_read_into_memory(learner):
    """The end-of-form check watches the stream: an upload bigger than
    DATA_UPLOAD_MAX_MEMORY_SIZE is no "too large" form."""
    body = multipart(("username", b"alice"), ("password", PASSWORD.encode()))
    upload = (
        b'--BOUND\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        + b"\r\n"
    )
    response = Client().post(
        reverse("login"), upload + body, content_type="multipart/form-data; boundary=BOUND"
    )
    assert response.status_code == 302


# A real server ------------------------------------------------------------------------


def post(port: int, content_type: str, body: bytes) -> int | None:
    """The status, or None when the server closed the connection without answering."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/accounts/login/",
            body,
            {"Content-Type": content_type, "Cookie": f"csrftoken={CSRF_COOKIE}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return None
    finally:
        connection.close()


def wait_for_lines(out, start: int, count: int) -> list[str]:
    """The lines written after ``start``, once there are ``count`` of them (gunicorn
    writes its access line after the response is sent) or after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        out.seek(start)
        lines = out.read().splitlines()
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def wait_until_up(server: subprocess.Popen, port: int, out) -> None:
    """Until /healthz answered and its access line is written (so it falls in no
    request's lines below)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        out.seek(0)
        if '"gunicorn.access"' in out.read():
            return
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_unreadable_forms_with_400_and_one_log_line(tmp_path):
    """gunicorn with gunicorn.conf.py, on the test database: each refusal is one
    warning line plus the two request lines (the app's and gunicorn's access log)."""
    port = free_port()
    server, out = start_gunicorn(port, tmp_path)
    seen = {}
    try:
        wait_until_up(server, port, out)
        for name in ("utf-16", "unknown charset", "truncated multipart"):
            content_type, body, message = UNREADABLE_BODIES[name]
            start = out.seek(0, os.SEEK_END)
            status = post(port, content_type, body)
            seen[name] = (status, message, wait_for_lines(out, start, 3))
    finally:
        server.terminate()
        server.wait(timeout=30)
    out.seek(0)
    everything = out.read()
    assert seen, everything
    for name, (status, message, lines) in seen.items():
        assert status == 400, (name, everything)
        assert len(lines) == 3, (name, lines)
        warnings = [line for line in lines if not line.startswith("{")]
        assert warnings == [f"Bad request: {message}"], (name, lines)
        requests = [json.loads(line) for line in lines if line.startswith("{")]
        assert [(line["path"], line["status"]) for line in requests] == [
            ("/accounts/login/", 400),
            ("/accounts/login/", 400),
        ], name
    assert "Traceback" not in everything
