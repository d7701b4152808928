"""Targeted regressions for issue 9, "No 500 from any request": one cause per test.

tests/test_fuzz.py looks for new causes; these pin the ones seen in production:
unicode and huge digits, NUL bytes (PostgreSQL refuses them, and a stored one broke
dumpdata/loaddata), 20-digit ids on SQLite, ``Quiz.__str__``, the attempt race and
the error pages.
"""

import re
from io import StringIO

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import get_resolver, include, path, reverse
from django.utils import timezone

from common.http import MAX_ID, MalformedInput, parse_id, parse_page
from courses.models import Course
from quizzes.models import Answer, Attempt, Quiz
from quizzes.services import TamperedAnswers, open_attempt, questions_for, read_answer_sheet
from tests.factories import answer_sheet, as_post, make_quiz, make_user
from training.models import Assignment, Team
from training.services import assign_course

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # 20 digits: more than a 64-bit integer holds


def h1_count(response) -> int:
    return len(re.findall(r"<h1[\s>]", response.content.decode()))


@pytest.fixture
def quiz(course):
    return make_quiz(lesson=course.lessons.first(), max_attempts=3)


@pytest.fixture
def attempt(learner, quiz):
    return open_attempt(learner, quiz, used=0)


@pytest.fixture
def trainer_client(client, trainer, team, course):
    assign_course(by=trainer, course=course, team=team)
    client.force_login(trainer)
    return client


def dashboard_url(team, course, query: str = "") -> str:
    return f"{reverse('training:dashboard')}?team={team.pk}&course={course.slug}{query}"


# Parsing at the edge ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "١",
        "٣",
        "９",
        "-1",
        "1.5",
        " 1",
        "1 ",
        "+1",
        "1_000",
        "0x1f",
        "0",
        "",
        HUGE,
        "9" * 5000,
    ],
)
def test_parse_id_refuses_anything_but_ascii_digits_in_the_id_range(value):
    with pytest.raises(MalformedInput, match="expected a whole number from 1 to"):
        parse_id(value)


def test_parse_id_accepts_ids_up_to_the_largest_bigint():
    assert parse_id("1") == 1
    assert parse_id("007") == 7
    assert parse_id(str(MAX_ID)) == 2**63 - 1
    with pytest.raises(MalformedInput):
        parse_id(str(MAX_ID + 1))


def test_parse_page_takes_empty_as_the_first_page_and_bounds_the_rest():
    assert parse_page("") == 1
    assert parse_page("3") == 3
    with pytest.raises(MalformedInput):
        parse_page("100001")


# The quiz -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١", "٣", HUGE, "9" * 5000])
def test_a_quiz_attempt_that_is_not_an_id_gets_400(learner_client, quiz, attempt, value):
    data = {**answer_sheet(quiz, attempt), "attempt": value}
    response = learner_client.post(reverse("quizzes:take", args=[quiz.pk]), data)
    assert response.status_code == 400
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "key", ["question-²", "question-١٢", f"question-{HUGE}", "question-" + "9" * 5000]
)
def test_an_answer_sheet_naming_no_real_question_is_tampered(quiz, attempt, key):
    data = as_post({**answer_sheet(quiz, attempt), key: "1"})
    with pytest.raises(TamperedAnswers, match="is not a question of this quiz"):
        read_answer_sheet(questions_for(quiz, attempt), data)


@pytest.mark.parametrize("choice", ["²", "١", "٣", HUGE, "-1", "1.5", ""])
def test_a_choice_that_is_not_an_id_is_tampered(quiz, attempt, choice):
    single = quiz.questions.get(type="single")
    data = as_post({**answer_sheet(quiz, attempt), f"question-{single.pk}": choice})
    with pytest.raises(TamperedAnswers, match="A choice is not a number"):
        read_answer_sheet(questions_for(quiz, attempt), data)


def test_a_short_answer_with_a_control_character_is_tampered_even_without_the_middleware(
    quiz, attempt
):
    short = quiz.questions.get(type="short")
    data = as_post({**answer_sheet(quiz, attempt), f"question-{short.pk}": "internal\x00customer"})
    with pytest.raises(TamperedAnswers, match="control characters"):
        read_answer_sheet(questions_for(quiz, attempt), data)


def test_a_nul_in_a_short_answer_gets_400_and_nothing_is_stored(learner_client, quiz, attempt):
    short = quiz.questions.get(type="short")
    data = {**answer_sheet(quiz, attempt), f"question-{short.pk}": "internal\x00customer"}
    response = learner_client.post(reverse("quizzes:take", args=[quiz.pk]), data)
    assert response.status_code == 400
    assert not Answer.objects.exists()
    assert Attempt.objects.get().submitted_at is None


def test_a_nul_in_saved_answers_gets_400_and_nothing_is_saved(learner_client, quiz, attempt):
    short = quiz.questions.get(type="short")
    response = learner_client.post(
        reverse("quizzes:save", args=[attempt.pk]), {f"question-{short.pk}": "a\x00b"}
    )
    assert response.status_code == 400
    assert Attempt.objects.get().saved_answers == {}


# The trainer's dashboard and CSV -----------------------------------------------------


def test_a_nul_in_the_dashboard_search_gets_400(trainer_client, team, course):
    response = trainer_client.get(dashboard_url(team, course, "&q=dora%00"))
    assert response.status_code == 400
    assert "The query string contains control characters." in response.content.decode()


def test_a_nul_in_the_csv_search_gets_400_before_anything_streams(trainer_client, team, course):
    export = reverse("training:export")
    response = trainer_client.get(f"{export}?team={team.pk}&course={course.slug}&q=a%00")
    assert response.status_code == 400
    assert not response.streaming


def test_the_csv_streams_to_its_end_for_an_odd_but_allowed_search(trainer_client, team, course):
    export = reverse("training:export")
    query = "&q=Alice%09%C3%A9%D9%A1"  # a tab, "é" and an Arabic-Indic one
    response = trainer_client.get(f"{export}?team={team.pk}&course={course.slug}{query}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"learner,email,team")


@pytest.mark.parametrize(
    "query",
    [
        "&state=nope",
        "&sort=nope",
        "&page=%C2%B2",
        "&page=0",
        "&page=100001",
        "&page=1.5",
        f"&page={HUGE}",
        "&q=" + "a" * 101,
    ],
)
def test_a_dashboard_parameter_its_form_does_not_offer_gets_400(
    trainer_client, team, course, query
):
    response = trainer_client.get(dashboard_url(team, course, query))
    assert response.status_code == 400
    assert h1_count(response) == 1


@pytest.mark.parametrize("value", ["%D9%A1", "%C2%B2", HUGE, "9" * 5000, "-1"])
def test_a_dashboard_team_that_is_not_an_id_is_no_such_team(trainer_client, course, value):
    url = f"{reverse('training:dashboard')}?team={value}&course={course.slug}"
    assert trainer_client.get(url).status_code == 404


def test_empty_dashboard_parameters_are_the_defaults(trainer_client):
    url = reverse("training:dashboard") + "?team=&course=&state=&sort=&q=&page="
    assert trainer_client.get(url).status_code == 200


def test_a_dashboard_page_past_the_last_shows_the_last(trainer_client, team, course):
    assert trainer_client.get(dashboard_url(team, course, "&page=99")).status_code == 200


# Control characters, refused at the edge ----------------------------------------------


@pytest.mark.parametrize("char", ["%00", "%01", "%08", "%0B", "%0C", "%1B", "%1F"])
def test_a_control_character_in_a_query_string_gets_400_with_a_message(client, char):
    response = client.get(f"{reverse('login')}?next=/{char}")
    assert response.status_code == 400
    assert "The query string contains control characters." in response.content.decode()
    assert h1_count(response) == 1


def test_tab_cr_and_lf_are_not_refused(client):
    assert client.get(f"{reverse('login')}?next=/%09%0D%0A").status_code == 200


@pytest.mark.parametrize("where", ["key", "value"])
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_nul_in_a_form_gets_400_before_the_view(learner_client, quiz, attempt, where, encoding):
    pair = ("note\x00", "x") if where == "key" else ("note", "x\x00")
    url = reverse("quizzes:take", args=[quiz.pk])
    if encoding == "multipart":
        response = learner_client.post(url, {pair[0]: pair[1]})
    else:
        body = "note%00=x" if where == "key" else "note=x%00"
        response = learner_client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "The form contains control characters." in response.content.decode()


def test_a_nul_in_the_path_gets_400(learner_client):
    assert learner_client.get("/certificates/ab%00cd/").status_code == 400


def test_a_nul_in_a_cookie_gets_400_before_the_session_is_read(django_assert_num_queries):
    client = Client()
    # An escaped NUL in a quoted cookie: Django's cookie parser unescapes it, and the
    # session's database lookup then failed on PostgreSQL.
    client.cookies["sessionid"] = "abcdefghij\x00klmnop"
    with django_assert_num_queries(0):
        response = client.get(reverse("login"))
    assert response.status_code == 400


def test_no_nul_reaches_the_database(learner_client, quiz, attempt, trainer, team, course):
    """A stored NUL broke moving SQLite data to PostgreSQL (dumpdata/loaddata)."""
    short = quiz.questions.get(type="short")
    take = reverse("quizzes:take", args=[quiz.pk])
    learner_client.post(take, {**answer_sheet(quiz, attempt), f"question-{short.pk}": "a\x00"})
    learner_client.post(
        reverse("quizzes:save", args=[attempt.pk]), {f"question-{short.pk}": "\x00"}
    )
    learner_client.force_login(trainer)
    learner_client.post(
        reverse("training:assign", args=[course.slug]), {"team": team.pk, "note": "\x00"}
    )
    out = StringIO()
    call_command("dumpdata", stdout=out)
    assert "\\u0000" not in out.getvalue()


# Huge ids: forms, the admin and URLs ---------------------------------------------------


@pytest.mark.parametrize("field", ["learners", "lessons"])
def test_a_huge_id_in_the_assign_forms_choices_is_a_form_error(trainer_client, team, course, field):
    data = {"team": team.pk, field: HUGE} if field == "lessons" else {field: HUGE}
    Assignment.objects.all().delete()
    response = trainer_client.post(reverse("training:assign", args=[course.slug]), data)
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("selected", [HUGE, "²", "1.5", "course-1", ""])
def test_an_admin_action_on_rows_that_are_not_ids_gets_400(client, admin_user, course, selected):
    client.force_login(admin_user)
    Course.objects.filter(pk=course.pk).update(published_at=None)
    response = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish", "_selected_action": [str(course.pk), selected], "index": "0"},
    )
    assert response.status_code == 400
    assert Course.objects.get(pk=course.pk).published_at is None


def test_a_huge_id_in_an_admin_many_to_many_field_is_no_server_error(client, admin_user, learner):
    # SQLite: Django 5.2 leaves ``pk__in`` unbounded, the middleware answers the driver's
    # OverflowError with a 400; PostgreSQL: the field's own "not a valid value" error.
    team = Team.objects.create(name="T")
    team.members.add(learner)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:training_team_change", args=[team.pk]), {"name": "T", "members": HUGE}
    )
    assert response.status_code in (200, 400)
    assert list(team.members.all()) == [learner]


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_empty_to_field_in_the_admin_is_a_400(client, admin_user, course, method):
    # Django's change view looks up the field an empty _to_field names: a 500.
    client.force_login(admin_user)
    url = reverse("admin:courses_course_change", args=[course.pk])
    response = getattr(client, method)(
        f"{url}?_to_field=" if method == "get" else url,
        {} if method == "get" else {"_to_field": ""},
    )
    assert response.status_code == 400
    assert b"_to_field" in response.content


@pytest.mark.parametrize("digits", [26, 5000])
@pytest.mark.parametrize(
    "name", ["quizzes:take", "quizzes:result", "quizzes:save", "training:learner",
             "preview_lesson", "preview_course"],
)  # fmt: skip
def test_a_huge_id_in_a_url_is_a_404(client, admin_user, name, digits):
    client.force_login(admin_user)  # a superuser: past every permission check
    url = reverse(name, args=[1]).replace("/1/", f"/{'9' * digits}/")
    assert client.get(url).status_code == 404


# Quiz.__str__ ----------------------------------------------------------------------


def test_a_quiz_with_neither_lesson_nor_course_has_a_name():
    assert str(Quiz()) == "Quiz (unattached)"


def test_the_admins_quiz_forms_answer_for_a_quiz_with_neither(client, admin_user):
    client.force_login(admin_user)
    add = reverse("admin:quizzes_quiz_add")
    assert client.get(add).status_code == 200
    response = client.post(add, {"pass_mark": "80", "max_attempts": "0"})
    assert response.status_code == 200  # shown back with the constraint's error
    assert not Quiz.objects.exists()


# Error pages ---------------------------------------------------------------------------


@login_not_required
def _broken(request):
    raise RuntimeError("a deliberately broken view")


urlpatterns = [path("broken/", _broken), path("", include("config.urls"))]


def test_the_500_page_is_static_and_branded(rf, django_db_blocker):
    handler = get_resolver().resolve_error_handler(500)
    with django_db_blocker.block():  # any query would raise
        response = handler(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert h1_count(response) == 1
    assert "Course Player" in html
    assert 'href="/static/css/app.css"' in html


@pytest.mark.urls(__name__)
def test_a_broken_view_gets_the_branded_500_page(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_403_page_is_branded(client):
    # Staff without any permission: the admin refuses its change lists with a 403.
    client.force_login(make_user("sam", is_staff=True))
    response = client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == 403
    assert h1_count(response) == 1
    assert "You cannot open this page" in response.content.decode()
    assert "Course Player" in response.content.decode()


def test_a_views_bad_request_gets_the_branded_400_page(learner_client, quiz, attempt):
    data = {**answer_sheet(quiz, attempt), "attempt": "²"}
    response = learner_client.post(reverse("quizzes:take", args=[quiz.pk]), data)
    assert response.status_code == 400
    assert h1_count(response) == 1
    assert "That request could not be accepted" in response.content.decode()
    assert "attempt: expected a whole number" in response.content.decode()


# The attempt race --------------------------------------------------------------------


class RacingRequests:
    """Plays the other requests of the race at the database level, between the steps
    of ``open_attempt``: after its first look finds no open attempt, another tab opens
    attempt 1 (so creating ours collides); right after the collision, before it
    reads again, that tab submits attempt 1 (or leaves it open)."""

    def __init__(self, learner, quiz, rival_submits: bool):
        self.learner, self.quiz, self.rival_submits = learner, quiz, rival_submits
        self.step = "first look"
        self.rival = None

    def __call__(self, execute, sql, params, many, context):
        on_attempts = '"quizzes_attempt"' in sql
        if self.step == "first look" and on_attempts and sql.startswith("SELECT"):
            result = execute(sql, params, many, context)
            self.step = "rival opens"
            self.rival = Attempt.objects.create(learner=self.learner, quiz=self.quiz, number=1)
            self.step = "our insert"
            return result
        if self.step == "our insert" and on_attempts and sql.startswith("INSERT"):
            try:
                return execute(sql, params, many, context)
            except IntegrityError:
                self.step = "collided"
                raise
        if self.step == "collided" and on_attempts and sql.startswith("SELECT"):
            self.step = "done"
            if self.rival_submits:
                Attempt.objects.filter(pk=self.rival.pk).update(
                    submitted_at=timezone.now(), score=0, max_score=4, percent=0, passed=False
                )
        return execute(sql, params, many, context)


@pytest.mark.parametrize(
    "max_attempts, rival_submits, expected",
    [
        (2, True, "the next attempt"),
        (1, True, "no attempt left"),
        (2, False, "the rival's open attempt"),
    ],
)
def test_opening_an_attempt_while_another_request_submits_it_never_fails(
    learner, course, max_attempts, rival_submits, expected
):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=max_attempts)
    race = RacingRequests(learner, quiz, rival_submits)
    with connection.execute_wrapper(race):
        attempt = open_attempt(learner, quiz, used=0)
    assert race.step == "done", "the race was not played"
    if expected == "the next attempt":
        assert (attempt.number, attempt.is_submitted) == (2, False)
    elif expected == "no attempt left":
        assert attempt is None
    else:
        assert attempt == race.rival
