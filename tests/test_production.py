"""A production setup that holds (issue 10): security headers on every kind of page and
nothing inline for the Content-Security-Policy to block, the site's own error pages
(405 included), settings that are safe by default, `check --deploy`, /healthz, the
JSON request log, gunicorn.conf.py and `seed_demo --demo`."""

import datetime
import json
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponseNotAllowed
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

import config.health
from config.errors import MethodNotAllowedPage
from config.request_log import user_id
from config.urls import urlpatterns as site_urlpatterns
from lessons.models import Certificate
from progress.services import complete_lesson
from tests.factories import make_course, make_quiz, make_user, take_quiz
from training.services import assign_course

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

BASE_DIR = Path(settings.BASE_DIR)


@login_not_required
def broken_view(request):
    raise RuntimeError("a bug")


# The site's URLs plus one view that fails, for the 500 page.
urlpatterns = [*site_urlpatterns, path("tests/broken/", broken_view)]

POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    # Lesson videos (issue 12): the two allow-listed players, nothing else.
    "frame-src https://www.youtube-nocookie.com https://player.vimeo.com; "
    "base-uri 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]


# Every kind of page ---------------------------------------------------------------


@pytest.fixture
def site(course, learner, trainer, team, admin_user):
    """A learner with an attempt, an assignment and a certificate; returns a function
    giving, for a kind of page, (who asks, the request, the expected status)."""
    quiz = make_quiz(lesson=course.lessons.last())
    attempt = take_quiz(learner, quiz)
    assign_course(
        by=trainer, course=course, team=team, due_date=timezone.localdate() + datetime.timedelta(3)
    )
    finished = make_course(lessons=1, title="Finished")
    complete_lesson(learner, finished.lessons.get())
    code = Certificate.objects.get(completion__learner=learner).code
    staff = make_user("stan", is_staff=True)  # staff without permissions
    lesson = course.lessons.first()
    query = f"?team={team.pk}&course={course.slug}"
    kinds = {
        # learner pages
        "my learning": ("learner", "get", reverse("courses:my_learning"), 200),
        "catalogue": ("learner", "get", reverse("courses:catalogue"), 200),
        "course": ("learner", "get", course.get_absolute_url(), 200),
        "lesson": ("learner", "get", lesson.get_absolute_url(), 200),
        "quiz": ("learner", "get", reverse("quizzes:take", args=[quiz.pk]), 200),
        "quiz result": ("learner", "get", attempt.get_absolute_url(), 200),
        "my results": ("learner", "get", reverse("quizzes:my_results"), 200),
        "course complete": (
            "learner",
            "get",
            reverse("courses:complete", args=[finished.slug]),
            200,
        ),
        "certificate": ("learner", "get", reverse("certificate", args=[code]), 200),
        "certificate PDF": ("learner", "get", reverse("certificate_pdf", args=[code]), 200),
        "profile": ("learner", "get", reverse("accounts:profile"), 200),
        # trainer pages
        "dashboard": ("trainer", "get", reverse("training:dashboard") + query, 200),
        "CSV": ("trainer", "get", reverse("training:export") + query, 200),
        "trainer's learner page": (
            "trainer",
            "get",
            reverse("training:learner", args=[learner.pk]),
            200,
        ),
        "assign": ("trainer", "get", reverse("training:assign", args=[course.slug]), 200),
        # admin and staff
        "admin": ("admin_user", "get", reverse("admin:index"), 200),
        "admin lesson": (
            "admin_user",
            "get",
            reverse("admin:lessons_lesson_change", args=[lesson.pk]),
            200,
        ),
        "preview": ("admin_user", "get", reverse("preview_lesson", args=[lesson.pk]), 200),
        # no login
        "login": (None, "get", reverse("login"), 200),
        "admin login": (None, "get", reverse("admin:login"), 200),
        "verify": (None, "get", reverse("verify_certificate"), 200),
        "verify a code": (None, "get", reverse("verify_certificate", args=[code]), 200),
        "health": (None, "get", reverse("healthz"), 200),
        # error pages
        "400": ("learner", "get", reverse("courses:catalogue") + "?q=%00", 400),
        "403": (staff, "get", reverse("admin:lessons_certificate_revoke", args=[1]), 403),
        "403 CSRF": ("csrf", "post", reverse("login"), 403),
        "404": ("learner", "get", "/courses/no-such-course/", 404),
        "405": ("learner", "get", reverse("logout"), 405),
        "500": (None, "get", "/tests/broken/", 500),
    }
    return kinds


HTML_KINDS = [
    "my learning",
    "catalogue",
    "course",
    "lesson",
    "quiz",
    "quiz result",
    "my results",
    "course complete",
    "certificate",
    "profile",
    "dashboard",
    "trainer's learner page",
    "assign",
    "admin",
    "admin lesson",
    "preview",
    "login",
    "admin login",
    "verify",
    "verify a code",
    "400",
    "403",
    "403 CSRF",
    "404",
    "405",
    "500",
]
OTHER_KINDS = ["certificate PDF", "CSV", "health"]


def fetch(request, site, kind: str):
    who, method, url, status = site[kind]
    client = Client(enforce_csrf_checks=who == "csrf", raise_request_exception=False)
    if isinstance(who, str) and who != "csrf":
        client.force_login(request.getfixturevalue(who))
    elif who is not None and who != "csrf":
        client.force_login(who)
    response = getattr(client, method)(url)
    assert response.status_code == status, (kind, url)
    return response


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("kind", HTML_KINDS + OTHER_KINDS)
def test_every_kind_of_page_sends_the_security_headers(request, site, kind):
    response = fetch(request, site, kind)
    body(response)  # a streamed CSV to its end
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (kind, name)
    permissions = response.headers["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in permissions, kind


class InlineCode(HTMLParser):
    """What a Content-Security-Policy without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "style" in values:
            self.found.append(f'<{tag} style="{values["style"]}">')
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in values:
            self.found.append("<script> without src")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:>")


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_no_page_has_an_inline_script_or_style(request, site, kind):
    parser = InlineCode()
    parser.feed(body(fetch(request, site, kind)).decode())
    assert parser.found == [], kind


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere():
    from config.headers import policy_header

    policy = policy_header(settings.SECURE_CSP)
    assert "unsafe" not in policy
    assert "default-src 'self'" in policy
    assert "*" not in policy


def test_lesson_image_hosts_are_allowed_images_only():
    env = {"DJANGO_LESSON_IMAGE_HOSTS": "img.example.com"}
    csp = settings_with(env, "SECURE_CSP")["SECURE_CSP"]
    assert csp["img-src"] == ["'self'", "data:", "https://img.example.com"]
    assert csp["default-src"] == ["'self'"]


# Error pages -------------------------------------------------------------------


def test_a_wrong_method_gets_the_sites_405_page_with_its_allow_header(
    learner_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = learner_client.get(reverse("logout"))
    assert response.status_code == 405
    assert "405.html" in [template.name for template in response.templates]
    assert response["Allow"] == "POST, OPTIONS"
    assert "cannot be opened this way" in response.content.decode()
    # The navigation is there: the page has the user.
    assert "Log out" in response.content.decode()


def test_a_put_to_a_post_only_address_gets_the_405_page(learner_client, course):
    lesson = course.lessons.first()
    response = learner_client.put(reverse("lessons:complete", args=[course.slug, lesson.slug]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "cannot be opened this way" in response.content.decode()


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    own = HttpResponseNotAllowed(["POST"], content=b'{"error": "POST only"}')
    response = MethodNotAllowedPage(lambda request: own)(rf.get("/"))
    assert response is own


def test_a_missing_page_is_the_sites_404_not_djangos(learner_client):
    response = learner_client.get("/courses/no-such-course/")
    assert "404.html" in [template.name for template in response.templates]
    assert "Page not found" in response.content.decode()


def test_a_failed_csrf_check_gets_the_sites_page(django_assert_max_num_queries):
    with django_assert_max_num_queries(0):  # rendered without the request
        response = Client(enforce_csrf_checks=True).post(reverse("login"))
    assert response.status_code == 403
    assert "403_csrf.html" in [template.name for template in response.templates]
    assert "This form has expired" in response.content.decode()


def test_a_500_is_the_sites_static_page():
    response = Client(raise_request_exception=False).get("/tests/broken/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


# Settings: safe by default -----------------------------------------------------

SETTINGS_SCRIPT = """
import json, sys
import config.settings as s
print(json.dumps({name: getattr(s, name, None) for name in sys.argv[1:]}, default=str))
"""


def settings_with(env: dict, *names: str) -> dict:
    """The named settings as config/settings.py computes them in a fresh process with
    only ``env`` set (and the database URL, PATH)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_SCRIPT, *names],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_debug_is_off_unless_asked_for():
    assert settings_with({}, "DEBUG") == {"DEBUG": False}
    assert settings_with({"DJANGO_DEBUG": "true"}, "DEBUG") == {"DEBUG": True}


def test_without_a_secret_key_each_process_gets_a_random_one():
    first, second = (settings_with({}, "SECRET_KEY")["SECRET_KEY"] for _ in range(2))
    assert first != second
    assert len(first) >= 50
    assert settings_with({"DJANGO_SECRET_KEY": "k" * 50}, "SECRET_KEY")["SECRET_KEY"] == "k" * 50


HTTPS_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def test_over_plain_http_nothing_redirects_to_https():
    assert settings_with({}, *HTTPS_SETTINGS) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
    }


def test_an_https_site_url_turns_on_redirects_hsts_and_secure_cookies():
    assert settings_with({"SITE_URL": "https://learn.example.com"}, *HTTPS_SETTINGS) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_each_https_setting_can_be_set_on_its_own():
    env = {
        "SITE_URL": "https://learn.example.com",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_HSTS_SECONDS": "3600",
        "DJANGO_BEHIND_PROXY": "true",
    }
    found = settings_with(
        env, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"
    )
    assert found == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_report_only_sends_the_same_policy_without_enforcing_it():
    found = settings_with(
        {"DJANGO_CSP_REPORT_ONLY": "true"}, "SECURE_CSP", "SECURE_CSP_REPORT_ONLY"
    )
    assert found["SECURE_CSP"] == {}
    assert found["SECURE_CSP_REPORT_ONLY"]["default-src"] == ["'self'"]


def test_hashed_static_files_only_when_asked_for():
    # The tests and `make dev` never run collectstatic; make run and make serve do.
    storage = settings_with({}, "STORAGES")["STORAGES"]["staticfiles"]["BACKEND"]
    assert storage == "whitenoise.storage.CompressedStaticFilesStorage"
    env = {"DJANGO_STATIC_MANIFEST": "true"}
    storage = settings_with(env, "STORAGES")["STORAGES"]["staticfiles"]["BACKEND"]
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x7Qp" * 10,
    "DJANGO_ALLOWED_HOSTS": "learn.example.com",
    "SITE_URL": "https://learn.example.com",
    "DJANGO_BEHIND_PROXY": "true",
}


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_production_environment():
    result = deploy_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_for_a_site_served_over_plain_http():
    result = deploy_check({**PRODUCTION_ENV, "SITE_URL": "http://learn.example.com"})
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr, check


# /healthz ----------------------------------------------------------------------


@pytest.fixture
def fresh_health(monkeypatch):
    """This process has not yet seen the migrations applied."""
    monkeypatch.setattr(config.health, "_migrated", False)


def test_healthz_answers_200_when_everything_works(
    client, fresh_health, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok"},
    }
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies  # no session


def test_healthz_checks_migrations_once_per_process(
    client, fresh_health, django_assert_num_queries
):
    client.get("/healthz")
    with django_assert_num_queries(1):  # SELECT 1
        assert client.get("/healthz").status_code == 200


def test_healthz_needs_no_login_even_when_signed_in(learner_client):
    assert learner_client.get("/healthz").status_code == 200


class Broken:
    """Stands in for the database connection or the cache: every use fails."""

    def __getattr__(self, name):
        raise ConnectionError("down")


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch, fresh_health):
    monkeypatch.setattr(config.health, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"]["database"] == "failing: ConnectionError"
    assert response.json()["checks"]["cache"] == "ok"


def test_healthz_is_503_when_migrations_are_not_applied(client, monkeypatch, fresh_health):
    monkeypatch.setattr(
        config.health.MigrationExecutor, "migration_plan", lambda self, targets: [("m", False)]
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "failing: 1 migrations not applied",
        "cache": "ok",
    }
    assert config.health._migrated is False  # asks again next time


def test_healthz_is_503_when_the_cache_is_down(client, monkeypatch):
    monkeypatch.setattr(config.health, "cache", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing: ConnectionError"


def test_healthz_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("login")).status_code == 301


# The request log ----------------------------------------------------------------


@pytest.fixture
def request_log():
    """The JSON lines the ``requests`` logger writes, parsed."""
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(record.getMessage()))

    handler = Collect()
    logger = logging.getLogger("requests")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_each_request_writes_one_json_line(learner_client, learner, request_log):
    response = learner_client.get(reverse("courses:catalogue") + "?q=private+words")
    (line,) = request_log
    assert set(line) == {"time", "method", "path", "status", "duration_ms", "user_id", "request_id"}
    assert line["method"] == "GET"
    assert line["path"] == reverse("courses:catalogue")  # no query string
    assert line["status"] == 200
    assert line["user_id"] == learner.pk
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert response["X-Request-ID"] == line["request_id"]


def test_the_proxys_request_id_is_kept(client, request_log):
    response = client.get(reverse("login"), headers={"X-Request-ID": "nginx-7f3a9c"})
    assert request_log[0]["request_id"] == "nginx-7f3a9c"
    assert response["X-Request-ID"] == "nginx-7f3a9c"


@pytest.mark.parametrize("given", ['"}, {"admin": true', "x" * 129, "a b", ""])
def test_a_request_id_that_is_not_an_id_is_replaced(client, request_log, given):
    client.get(reverse("login"), headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", request_log[0]["request_id"])


def test_requests_refused_early_are_logged_too(client, request_log):
    client.get(reverse("login") + "?next=%01")
    assert request_log[0]["status"] == 400
    assert request_log[0]["user_id"] is None


def test_the_log_line_never_looks_the_user_up_itself(rf):
    request = rf.get("/")
    request.user = SimpleLazyObject(lambda: pytest.fail("the user was looked up"))
    assert user_id(request) is None


def test_the_request_log_is_on_stdout_in_production_settings():
    config_ = settings.LOGGING
    assert config_["loggers"]["requests"]["handlers"] == ["requests"]
    assert config_["handlers"]["requests"]["stream"] == "ext://sys.stdout"
    assert config_["loggers"]["requests"]["propagate"] is False


# gunicorn.conf.py --------------------------------------------------------------


def gunicorn_conf(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    conf = gunicorn_conf(monkeypatch)
    assert conf["workers"] == min(2 * os.cpu_count() + 1, 12)
    assert conf["threads"] == 2
    assert conf["timeout"] == 30
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["wsgi_app"] == "config.wsgi:application"


def test_gunicorn_reads_the_environment(monkeypatch):
    conf = gunicorn_conf(
        monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="4", HOST="0.0.0.0", PORT="9000"
    )
    assert (conf["workers"], conf["threads"], conf["bind"]) == (3, 4, ["0.0.0.0:9000"])


def test_gunicorn_refuses_to_start_without_a_secret_key(monkeypatch):
    conf = gunicorn_conf(monkeypatch)
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    with pytest.raises(SystemExit, match="DJANGO_SECRET_KEY"):
        conf["on_starting"](None)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 50)
    conf["on_starting"](None)  # starts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_gunicorn(port: int, tmp_path: Path):
    """gunicorn with gunicorn.conf.py on the test database, one worker, on ``port``;
    its output goes to ``tmp_path / "out"``. Returns the process and that file."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL"))}
    env = {
        **clean,
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": "k" * 50,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    out = (tmp_path / "out").open("w+")
    server = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn")],
        cwd=BASE_DIR,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    return server, out


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_site_and_logs_json(tmp_path):
    """A real gunicorn with gunicorn.conf.py, on the test database."""
    port = free_port()
    server, out = start_gunicorn(port, tmp_path)
    try:
        answer = None
        deadline = time.monotonic() + 60
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    answer = (r.status, json.loads(r.read()), r.headers["X-Request-ID"])
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out.seek(0)
    output = out.read()
    assert answer is not None, output
    status, health, request_id = answer
    assert (status, health["status"]) == (200, "ok")
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "gunicorn.access"]
    app = [line for line in lines if "logger" not in line]
    assert [line["request_id"] for line in access] == [request_id]
    assert [(line["path"], line["status"]) for line in access] == [("/healthz", 200)]
    assert [line["request_id"] for line in app] == [request_id]


# seed_demo ---------------------------------------------------------------------


def test_seed_demo_runs_with_debug_off_when_asked_for_a_demo(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--demo", stdout=StringIO())
    assert get_user_model().objects.get(username="learner").check_password("demo")
