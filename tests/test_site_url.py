"""Links from the address people use (issue 20): `make run PORT=8101` left SITE_URL at
:8000, so the certificate's "Check it at …" and every email's link were dead.

The Makefile's run, dev and serve recipes are run for real, with their Python (the
PY variable) replaced by a stub that records the environment make gives it; for
`make run` the stub starts the real `manage.py runserver` the recipe names, on a
free port and the test database, and the test reads the certificate page and a
password-reset email (the console backend `make run` sets, in the server's output).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from lessons.models import Certificate
from progress.services import complete_lesson
from tests.conftest import PASSWORD
from tests.factories import make_course

BASE_DIR = Path(settings.BASE_DIR)
PYTHON = BASE_DIR / ".venv" / "bin" / "python"
# Stands in for $(PY): records its arguments and the environment's SITE_URL, stops
# `make serve` at `check --deploy` (before gunicorn), and for `runserver` starts the
# real one. What differs from the recipe, and why: no autoreloader (one process to
# stop), and no manifest storage (collectstatic did not run).
STUB = """#!{python}
import json, os, sys
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "SITE_URL": os.environ.get("SITE_URL")}}) + "\\n")
if sys.argv[1:3] == ["manage.py", "check"]:
    sys.exit(3)
if sys.argv[1:3] == ["manage.py", "runserver"]:
    env = {{k: v for k, v in os.environ.items() if k != "DJANGO_STATIC_MANIFEST"}}
    python = os.environ["REAL_PYTHON"]
    os.execve(python, [python, *sys.argv[1:], "--noreload"], env)
"""
# Prerequisites the recipes would install (make test and make setup do): not remade here.
OLD = ["-o", ".venv/.installed", "-o", "node_modules/.installed"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def stub(tmp_path) -> Path:
    path = tmp_path / "python"
    path.write_text(STUB.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def make_env(tmp_path, **extra: str) -> dict[str, str]:
    """This process's environment without the site's settings (make sets them)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SITE_URL", "MAKE", "MFLAGS"))
    }
    return {**clean, "STUB_LOG": str(tmp_path / "calls.jsonl"), **extra}


def recorded(tmp_path) -> list[dict]:
    log = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def run_make(target: str, stub: Path, env: dict, *variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", *OLD, target, f"PY={stub}", *variables],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("target", ["dev", "serve"])
def test_make_gives_its_commands_the_address_it_serves(tmp_path, stub, target):
    result = run_make(target, stub, make_env(tmp_path), "PORT=8123")
    calls = recorded(tmp_path)
    assert calls, result.stderr
    assert {call["SITE_URL"] for call in calls} == {"http://127.0.0.1:8123"}
    if target == "serve":  # stopped by the stub at check --deploy, before gunicorn
        assert calls[-1]["argv"] == ["manage.py", "check", "--deploy"]


def test_a_site_url_in_the_environment_wins(tmp_path, stub):
    env = make_env(tmp_path, SITE_URL="https://learn.example.com")
    run_make("dev", stub, env, "PORT=8123")
    assert {call["SITE_URL"] for call in recorded(tmp_path)} == {"https://learn.example.com"}


def test_every_interface_links_to_this_machine(tmp_path, stub):
    run_make("dev", stub, make_env(tmp_path), "HOST=0.0.0.0", "PORT=8124")
    assert {call["SITE_URL"] for call in recorded(tmp_path)} == {"http://127.0.0.1:8124"}


# The live check --------------------------------------------------------------------


class Browser:
    """Just enough of a browser: cookies, and the CSRF token from a form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.read().decode()

    def submit(self, path: str, fields: dict[str, str]) -> str:
        form = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=20) as response:
            return response.read().decode()


def wait_until_up(server: subprocess.Popen, base: str, output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"make run stopped ({server.returncode}):\n{output.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"make run did not answer in 60 s:\n{output.read_text()}")


def wait_for(pattern: str, output: Path) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if found := re.search(pattern, output.read_text()):
            return found.group(0)
        time.sleep(0.2)
    pytest.fail(f"no {pattern!r} in the server's output:\n{output.read_text()}")


@pytest.mark.django_db(transaction=True)
def test_make_run_on_another_port_links_to_that_port(tmp_path, stub, learner):
    course = make_course(lessons=1, title="Serving customers")
    complete_lesson(learner, course.lessons.get())
    certificate = Certificate.objects.get(completion__learner=learner)
    # The server hashes passwords as the site does, not with the tests' fast hasher.
    learner.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt")
    learner.save(update_fields=["password"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = make_env(tmp_path, DATABASE_URL=database_url(), REAL_PYTHON=str(PYTHON))
    output = tmp_path / "server.out"
    with output.open("w") as out:
        server = subprocess.Popen(
            ["make", "-s", *OLD, "run", f"PY={stub}", f"PORT={port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, the stub's runserver: one group to stop
        )
    try:
        wait_until_up(server, base, output)
        browser = Browser(base)
        login = {"username": learner.username, "password": PASSWORD}
        browser.submit(reverse("login"), login)
        page = browser.get(certificate.get_absolute_url())
        check = base + reverse("verify_certificate", args=[certificate.code])
        assert f'href="{check}">{check}</a>' in page  # "Check it at …"
        Browser(base).submit(reverse("password_reset"), {"email": learner.email})
        link = wait_for(r"https?://\S+/reset/\S+", output)
        assert link.startswith(f"{base}/"), link
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    assert {call["SITE_URL"] for call in recorded(tmp_path)} == {base}
