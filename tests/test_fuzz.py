"""No 500 from any request (issue 9): malformed input to every endpoint, for every role.

Hypothesis draws forms for every POST endpoint and query strings for every GET page
(the URL patterns of the resolver, with real arguments): huge and unicode digits,
negative numbers, floats, NUL and other control characters, long strings (up to
5,000 characters), repeated keys, empty values, invalid UTF-8, keys such as
``question-99999999999999999999``, often on top of a valid form so that they reach
deep code. Every answer must be below 500, and a streamed one (the CSV) must
stream to its end. The client turns a view's exception into a 500 response
(``raise_request_exception=False``), as a production server would.

Size: 4 roles x (GET_EXAMPLES + POST_EXAMPLES) = 5,200 requests a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

import pytest
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.urls import get_resolver, include, path, reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lessons.models import CourseCompletion
from progress.services import record_lesson_completion
from quizzes.drafts import TOKEN_FIELD, sign_attempt
from quizzes.services import open_attempt, quiz_status
from tests.conftest import PASSWORD
from tests.factories import answer_sheet, make_course, make_quiz, take_quiz
from training.services import assign_course

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "learner", "trainer", "admin_user"]
# One request per example: 4 x (700 + 600) = 5,200 requests, about 40 s on SQLite and
# 50 s on PostgreSQL on the development machine (most of it in the pages, not Hypothesis).
GET_EXAMPLES = 700
POST_EXAMPLES = 600
FUZZ = settings(
    max_examples=GET_EXAMPLES,
    deadline=None,
    # The fixtures' rows are shared by the examples on purpose (one site, many requests).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no .hypothesis/ folder in the repository
    print_blob=True,  # a failure prints the line that replays it
)


# Values ---------------------------------------------------------------------------

ODD_NUMBERS = [
    "²", "١", "٣", "١٢٣", "９", "-1", "-0", "0", "00", "1.5", "1e3", "NaN", "inf", " 1",
    "1 ", "+1", "0x1f", "1_000", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999",
]  # fmt: skip
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\t", "\r\n", "\x7f", "\u2028"]
# Bytes that are not UTF-8 (a lone continuation byte, an encoded surrogate, an overlong
# slash, beyond U+10FFFF, a cut sequence): the nearest HTTP gets to a lone surrogate.
ODD_UTF8 = [
    b"\xff", b"a\xffb", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82",
]  # fmt: skip
# The names each view reads: a request's keys are drawn from its view's names half the
# time, so malformed values reach the code that parses them.
FIELDS = {
    "training:dashboard": ["team", "course", "state", "sort", "q", "page"],
    "training:export": ["team", "course", "state", "sort", "q"],
    "training:assign": [
        "team", "learners", "lessons", "due_date", "note", "require_fresh_completion",
        "confirm_past_due", "confirm_overlap",
    ],
    "training:assignment": ["due_date", "note", "lessons", "confirm_past_due"],
    "training:analytics": ["team", "course", "quiz", "attempts"],
    "search": ["q"],
    "quizzes:take": ["attempt", "draft_token"],
    "quizzes:save": ["attempt", "draft_token"],
    "login": ["username", "password", "next"],
    "admin:login": ["username", "password", "next"],
    "verify_certificate": ["code"],
    "accounts:profile": ["first_name", "last_name", "email", "language"],
    "accounts:language": ["language", "next"],
    "password_reset": ["email"],
    "password_change": ["old_password", "new_password1", "new_password2"],
    "password_reset_confirm": ["new_password1", "new_password2"],
    "admin:auth_user_import": ["file", "deactivate_missing", "invite", "check"],
}  # fmt: skip
ADMIN_FIELDS = [
    "action", "_selected_action", "index", "select_across", "post", "q", "p", "o", "e", "all",
    "id__exact", "id__in", "id__gt", "_changelist_filters", "_popup", "_to_field",
]  # fmt: skip
ANY_FIELDS = sorted({name for names in FIELDS.values() for name in names} | set(ADMIN_FIELDS))

huge_digits = st.one_of(
    st.integers(min_value=2**63, max_value=10**60).map(str),
    st.integers(min_value=20, max_value=5000).map(lambda n: "9" * n),
)
with_control = st.tuples(st.text(max_size=8), st.sampled_from(CONTROL), st.text(max_size=8)).map(
    "".join
)
long_text = st.tuples(
    st.sampled_from(["a", "9", "é", "١", " ", "ab ", "\x00"]),
    st.integers(min_value=500, max_value=5000),
).map(lambda pair: pair[0] * (pair[1] // len(pair[0])))  # at most 5,000 characters
Value = str | bytes


def values(real: list[str]) -> st.SearchStrategy[Value]:
    return st.one_of(
        st.sampled_from(real),  # ids, slugs and choices of this site
        st.sampled_from(ODD_NUMBERS),
        huge_digits,
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats().map(str),
        st.text(max_size=30),  # any code point but surrogates
        with_control,
        st.text(max_size=10).map(lambda text: f"{text}\x00{text}"),  # PostgreSQL's nemesis
        long_text,
        st.sampled_from(ODD_UTF8),
        st.just(""),
    )


def keys(fields: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(fields),
        st.one_of(
            st.sampled_from(ANY_FIELDS),
            st.sampled_from(ODD_NUMBERS).map("question-".__add__),
            huge_digits.map("question-".__add__),
            st.text(max_size=15),
            with_control,
        ),
    )


def fuzzed_pairs(fields: list[str], real_values: list[str]):
    # A list, not a dict: keys repeat.
    return st.lists(st.tuples(keys(fields), values(real_values)), max_size=8)


def urlencode_raw(pairs: list[tuple[str, Value]]) -> str:
    def quoted(text: Value) -> str:
        return quote_from_bytes(text if isinstance(text, bytes) else text.encode(), safe="")

    return "&".join(f"{quoted(key)}={quoted(value)}" for key, value in pairs)


# The site: real objects for every URL --------------------------------------------


@dataclass
class Endpoint:
    name: str
    # A URL, or a function of the user for one that changes (their open attempt).
    url: str | Callable[[object], str]
    # The valid part of a request, given the user: fuzzed pairs go on top of it.
    base: Callable[[object], list[tuple[str, Value]]] = lambda user: []

    def url_for(self, user) -> str:
        return self.url if isinstance(self.url, str) else self.url(user)


@dataclass
class Site:
    users: dict[str, object]
    pages: list[Endpoint]
    posts: list[Endpoint]
    question_keys: list[str] = field(default_factory=list)
    real_values: list[str] = field(default_factory=list)

    def fields(self, endpoint: Endpoint) -> list[str]:
        """The names ``endpoint``'s view reads (the quiz's: its questions too)."""
        if endpoint.name.startswith("admin:") and endpoint.name != "admin:login":
            return ADMIN_FIELDS
        fields = FIELDS.get(endpoint.name, ANY_FIELDS)
        return fields + self.question_keys if endpoint.name.startswith("quizzes:") else fields


@pytest.fixture
def site(learner, trainer, team, admin_user, course) -> Site:
    (assignment,) = assign_course(by=trainer, course=course, team=team)
    first = course.lessons.order_by("position").first()
    quiz = make_quiz(lesson=course.lessons.order_by("position").last())
    questions = list(quiz.questions.all())
    result = take_quiz(learner, quiz, correct=1)  # a result page to open
    finished = make_course(lessons=1)
    record_lesson_completion(learner, finished.lessons.get())  # completes it: a certificate
    code = CourseCompletion.objects.get(learner=learner, course=finished).certificate.code
    # The admin actions act on these, so the fuzz never retires what the pages show.
    spare = make_course(lessons=1)
    spare_quiz = make_quiz(lesson=spare.lessons.get())

    def own_attempt(user):
        """The user's open attempt (learners' for anonymous: the signed-out save)."""
        owner = user if user.is_authenticated else learner
        return open_attempt(owner, quiz, quiz_status(owner, quiz).used)

    def quiz_sheet(user) -> list[tuple[str, Value]]:
        attempt = own_attempt(user)
        sheet = [(TOKEN_FIELD, sign_attempt(attempt))]
        for key, value in answer_sheet(quiz, attempt, correct=2).items():
            sheet += [(key, item) for item in (value if isinstance(value, list) else [value])]
        return sheet

    def admin_action(action: str, pk: int) -> Callable:
        return lambda user: [("action", action), ("_selected_action", str(pk)), ("index", "0")]

    def login(username: str) -> Callable:
        return lambda user: [("username", username), ("password", PASSWORD), ("next", "/")]

    take = reverse("quizzes:take", args=[quiz.pk])

    def dashboard_query(user) -> list[tuple[str, Value]]:
        return [("team", str(team.pk)), ("course", course.slug)]

    dashboard = reverse("training:dashboard")
    pages = [
        Endpoint("courses:home", reverse("courses:home")),
        Endpoint("courses:my_learning", reverse("courses:my_learning")),
        Endpoint("courses:catalogue", reverse("courses:catalogue")),
        Endpoint("courses:detail", course.get_absolute_url()),
        Endpoint("courses:continue", reverse("courses:continue", args=[course.slug])),
        Endpoint("courses:complete", reverse("courses:complete", args=[course.slug])),
        Endpoint("training:dashboard", dashboard, dashboard_query),
        Endpoint("training:export", reverse("training:export"), dashboard_query),
        Endpoint("training:learner", reverse("training:learner", args=[learner.pk])),
        Endpoint("training:assign", reverse("training:assign", args=[course.slug])),
        Endpoint("training:assignment", reverse("training:assignment", args=[assignment.pk])),
        Endpoint(
            "training:remove_assignment",
            reverse("training:remove_assignment", args=[assignment.pk]),
        ),
        Endpoint("training:analytics", reverse("training:analytics"), dashboard_query),
        Endpoint("search", reverse("search"), lambda user: [("q", "customer")]),
        Endpoint("courses:media", reverse("courses:media", args=[course.slug, "a.png"])),
        Endpoint("lessons:detail", first.get_absolute_url()),
        Endpoint("quizzes:take", take),
        Endpoint("quizzes:result", result.get_absolute_url()),
        Endpoint("quizzes:my_results", reverse("quizzes:my_results")),
        Endpoint("login", reverse("login"), lambda user: [("next", "/catalogue/")]),
        Endpoint("logout", reverse("logout")),
        Endpoint("preview_lesson", reverse("preview_lesson", args=[first.pk])),
        Endpoint("preview_course", reverse("preview_course", args=[course.pk])),
        Endpoint("certificate", reverse("certificate", args=[code])),
        Endpoint("certificate_pdf", reverse("certificate_pdf", args=[code])),
        Endpoint("verify_certificate", reverse("verify_certificate", args=[code])),
        Endpoint("verify_certificate", reverse("verify_certificate"), lambda u: [("code", code)]),
        # Accounts (issue 10): profile and Django's password pages; a reset link that is
        # not valid (a valid one is spent by its first use).
        Endpoint("accounts:profile", reverse("accounts:profile")),
        Endpoint("accounts:language", reverse("accounts:language")),
        Endpoint("password_change", reverse("password_change")),
        Endpoint("password_change_done", reverse("password_change_done")),
        Endpoint("password_reset", reverse("password_reset")),
        Endpoint("password_reset_done", reverse("password_reset_done")),
        Endpoint("password_reset_confirm", reverse("password_reset_confirm", args=["MQ", "x-y"])),
        Endpoint("password_reset_complete", reverse("password_reset_complete")),
        Endpoint("admin:auth_user_import", reverse("admin:auth_user_import")),
        Endpoint("healthz", reverse("healthz")),
        # Single sign-on is off here (404); tests/test_sso.py fuzzes it switched on.
        Endpoint("openid_connect_login", reverse("openid_connect_login", args=["sso"])),
        Endpoint("openid_connect_callback", reverse("openid_connect_callback", args=["sso"])),
        Endpoint("admin:index", reverse("admin:index")),
        Endpoint("admin:quizzes_quiz_add", reverse("admin:quizzes_quiz_add")),
        Endpoint("admin:quizzes_quiz_change", reverse("admin:quizzes_quiz_change", args=[quiz.pk])),
        *(
            Endpoint(name, reverse(name))
            for name in (
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
                for model in admin.site._registry
            )
        ),
    ]
    posts = [
        Endpoint("lessons:start", reverse("lessons:start", args=[course.slug, first.slug])),
        Endpoint("lessons:complete", reverse("lessons:complete", args=[course.slug, first.slug])),
        Endpoint("quizzes:start", reverse("quizzes:start", args=[quiz.pk])),
        Endpoint("quizzes:close", reverse("quizzes:close", args=[quiz.pk])),
        Endpoint("quizzes:take", take, quiz_sheet),
        Endpoint(
            "quizzes:save",
            lambda user: reverse("quizzes:save", args=[own_attempt(user).pk]),
            quiz_sheet,
        ),
        Endpoint("courses:start_again", reverse("courses:start_again", args=[course.slug])),
        Endpoint("openid_connect_login", reverse("openid_connect_login", args=["sso"])),
        Endpoint(
            "training:assign",
            reverse("training:assign", args=[course.slug]),
            lambda user: [("team", str(team.pk)), ("due_date", "2031-01-31"), ("note", "Hi")],
        ),
        Endpoint(
            "training:assignment",
            reverse("training:assignment", args=[assignment.pk]),
            lambda user: [("due_date", "2031-02-28"), ("note", "Before the audit")],
        ),
        # Last of the trainer's posts: it removes what the one above changes.
        Endpoint(
            "training:remove_assignment",
            reverse("training:remove_assignment", args=[assignment.pk]),
        ),
        Endpoint("login", reverse("login"), login(learner.username)),
        Endpoint("logout", reverse("logout")),
        Endpoint("admin:login", reverse("admin:login"), login(admin_user.username)),
        Endpoint(
            "accounts:profile",
            reverse("accounts:profile"),
            lambda user: [("first_name", "A"), ("last_name", "B"), ("email", "a@example.com")],
        ),
        Endpoint(
            "accounts:language",
            reverse("accounts:language"),
            lambda user: [("language", "de"), ("next", "/my-learning/")],
        ),
        Endpoint("password_reset", reverse("password_reset"), lambda u: [("email", learner.email)]),
        Endpoint(
            "password_change",
            reverse("password_change"),
            lambda user: [("new_password1", "x y z 12345"), ("new_password2", "x y z 12345")],
        ),
        Endpoint(
            "password_reset_confirm",
            reverse("password_reset_confirm", args=["MQ", "set-password"]),
            lambda user: [("new_password1", "x y z 12345"), ("new_password2", "x y z 12345")],
        ),
        Endpoint(
            "admin:auth_user_import",
            reverse("admin:auth_user_import"),
            lambda user: [("deactivate_missing", "on"), ("check", "Check")],
        ),
        Endpoint(
            "admin:courses_course_changelist",
            reverse("admin:courses_course_changelist"),
            admin_action("publish", spare.pk),
        ),
        Endpoint(
            "admin:quizzes_quiz_changelist",
            reverse("admin:quizzes_quiz_changelist"),
            admin_action("retire", spare_quiz.pk),
        ),
    ]
    return Site(
        users={
            "anonymous": AnonymousUser(),
            "learner": learner,
            "trainer": trainer,
            "admin_user": admin_user,
        },
        pages=pages,
        posts=posts,
        question_keys=[f"question-{question.pk}" for question in questions],
        real_values=[
            str(pk)
            for pk in (
                learner.pk,
                team.pk,
                course.pk,
                first.pk,
                quiz.pk,
                result.pk,
                spare.pk,
                *(choice.pk for question in questions for choice in question.choices.all()),
            )
        ]  # fmt: skip
        + [course.slug, code, "overdue", "progress", "publish", "retire", "delete_selected"],
    )


# Requests --------------------------------------------------------------------------


def client_for(site: Site, role: str) -> Client:
    # A new client each time: an example may have logged out or in as someone else.
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(site.users[role])
    return client


def assert_below_500(response, what: str) -> None:
    """The answer is not a server error, and a streamed one streams to its end (an
    exception there would break a download half-way under a real server)."""
    if response.streaming:
        # The client closes the response when the stream ends (closing it twice would
        # close the test's database connection).
        b"".join(response.streaming_content)
    assert response.status_code < 500, f"{response.status_code} for {what}"


def draw_items(data, site: Site, endpoint: Endpoint, user) -> list[tuple[str, Value]]:
    """Fuzzed pairs alone, on top of the endpoint's valid request, or on top of it
    with one of its values replaced (an answer, the selected row, the team...)."""
    # Replacing a value of a valid request reaches deepest: half of all requests.
    how = data.draw(st.sampled_from(["replace", "replace", "alone", "on top"]), label="how")
    items = [] if how == "alone" else endpoint.base(user)
    if how == "replace" and items:
        index = data.draw(st.integers(min_value=0, max_value=len(items) - 1), label="field")
        items[index] = (items[index][0], data.draw(values(site.real_values), label="value"))
    return items + data.draw(fuzzed_pairs(site.fields(endpoint), site.real_values), label="pairs")


@pytest.mark.parametrize("role", ROLES)
@FUZZ
@given(data=st.data())
def test_no_page_answers_a_malformed_query_string_with_a_server_error(site, role, data):
    client, user = client_for(site, role), site.users[role]
    endpoint = data.draw(st.sampled_from(site.pages), label="page")
    items = draw_items(data, site, endpoint, user)
    response = client.get(f"{endpoint.url_for(user)}?{urlencode_raw(items)}")
    event(f"{endpoint.name}: {response.status_code}")  # --hypothesis-show-statistics
    assert_below_500(response, f"GET {endpoint.name} as {role}: {items!r}")


@pytest.mark.parametrize("role", ROLES)
@settings(FUZZ, max_examples=POST_EXAMPLES)
@given(data=st.data())
def test_no_form_answers_a_malformed_post_with_a_server_error(site, role, data):
    client, user = client_for(site, role), site.users[role]
    endpoint = data.draw(st.sampled_from(site.posts), label="endpoint")
    items = draw_items(data, site, endpoint, user)
    if data.draw(st.booleans(), label="multipart"):
        form: dict[str, list[Value]] = {}
        for key, value in items:
            form.setdefault(key, []).append(value)
        response = client.post(endpoint.url_for(user), form)  # the client encodes multipart
    else:
        response = client.post(
            endpoint.url_for(user),
            urlencode_raw(items),
            content_type="application/x-www-form-urlencoded",
        )
    event(f"{endpoint.name}: {response.status_code}")  # --hypothesis-show-statistics
    assert_below_500(response, f"POST {endpoint.name} as {role}: {items!r}")


# The fuzz itself --------------------------------------------------------------------


def _url_names() -> set[str]:
    """Every named URL of the site outside the admin."""
    resolver = get_resolver()
    names = {name for name in resolver.reverse_dict if isinstance(name, str)}
    for namespace in ("courses", "lessons", "quizzes", "accounts"):
        _prefix, included = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{n}" for n in included.reverse_dict if isinstance(n, str)}
    return names


def test_the_fuzz_reaches_every_url_and_every_admin_changelist(site):
    reached = {endpoint.name for endpoint in site.pages + site.posts}
    assert _url_names() <= reached, _url_names() - reached
    changelists = {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
    }
    assert changelists <= reached


# The site's LoginRequiredMiddleware would send these to a login page this URLconf lacks.
@login_not_required
def _fine(request):
    return HttpResponse("fine")


@login_not_required
def _raises(request):
    raise RuntimeError("a deliberately broken view")


@login_not_required
def _raises_while_streaming(request):
    def rows():
        yield "learner\n"
        raise RuntimeError("a deliberately broken stream")

    return StreamingHttpResponse(rows())


@login_not_required
def _bad_request(request):
    raise BadRequest("refused")


urlpatterns = [
    path("broken/", _raises),
    path("broken-stream/", _raises_while_streaming),
    path("bad/", _bad_request),
    path("fine/", _fine),
    path("", include("config.urls")),  # the error pages link to the site's pages
]


@pytest.mark.urls(__name__)
def test_the_fuzz_check_fails_on_a_view_that_raises():
    client = Client(raise_request_exception=False)
    assert_below_500(client.get("/fine/"), "a working view")
    assert_below_500(client.get("/bad/"), "a 400")
    with pytest.raises(AssertionError, match="500 for"):
        assert_below_500(client.get("/broken/"), "a broken view")
    with pytest.raises(RuntimeError, match="broken stream"):
        assert_below_500(client.get("/broken-stream/"), "a broken stream")
