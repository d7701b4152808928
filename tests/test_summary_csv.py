"""The trainer's "Summary" CSV: one row per learner and course, every value the
dashboard's (course state and percent, due rule, best final score, completion, last
activity); English whatever the trainer's language; safe from CSV injection; a fixed
number of queries per course, whatever the number of learners."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from lessons.services import start_lesson
from progress.services import record_lesson_completion
from tests.factories import make_course, make_quiz, make_user, take_quiz
from tests.test_queries import warm_caches
from training.dashboard import SUMMARY_HEADER, build_dashboard
from training.models import Team
from training.services import assign_course

pytestmark = pytest.mark.django_db

HEADER = [
    "learner",
    "username",
    "email",
    "teams",
    "course",
    "state",
    "percent",
    "completed on",
    "best final score",
    "due date",
    "overdue",
    "last activity",
]


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def summary_url(team, **extra) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"team": team.pk, **extra}.items())
    return reverse("training:summary") + "?" + query


def read(response) -> tuple[list[str], dict[tuple[str, str], dict[str, str]]]:
    """The header, and each row as a dict keyed by (username, course)."""
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content).decode("utf-8")
    header, *rows = csv.reader(io.StringIO(body))
    return header, {(row[1], row[4]): dict(zip(header, row, strict=True)) for row in rows}


@pytest.fixture
def trainer_client(client, trainer, team):
    client.force_login(trainer)
    return client


@pytest.fixture
def kira(team):
    kira = make_user("kira", first_name="Kira", last_name="Jones")
    team.members.add(kira)
    return kira


@pytest.fixture
def course_with_final(course):
    final = make_quiz(course=course, max_attempts=0)
    return course, final


@pytest.fixture
def everyone(team, trainer, learner, course_with_final):
    """One learner in each state of the course, assigned to the team."""
    course, final = course_with_final
    lessons = list(course.lessons.all())
    people = {
        state: make_user(state, first_name=state.title(), last_name="Learner")
        for state in ("notstarted", "started", "awaiting", "done")
    }
    team.members.add(*people.values())
    assign_course(by=trainer, course=course, team=team, due_date=days(5))
    start_lesson(people["started"], lessons[0])
    for lesson in lessons:
        record_lesson_completion(people["awaiting"], lesson)
        record_lesson_completion(people["done"], lesson)
    take_quiz(people["awaiting"], final, correct=1)  # failed: still awaiting the final
    take_quiz(people["done"], final, correct=3)
    take_quiz(people["done"], final, correct=True)
    return people


def test_the_header_is_english_and_fixed(trainer_client, team, everyone):
    header, _rows = read(trainer_client.get(summary_url(team)))
    assert header == HEADER == SUMMARY_HEADER


def test_a_learner_in_each_state(trainer_client, team, course, everyone):
    _header, rows = read(trainer_client.get(summary_url(team)))
    by_state = {key[0]: row for key, row in rows.items() if key[1] == course.title}
    assert {name: row["state"] for name, row in by_state.items()} == {
        "alice": "Not started",
        "notstarted": "Not started",
        "started": "In Progress",
        "awaiting": "Awaiting final",
        "done": "Completed",
    }
    done, awaiting = by_state["done"], by_state["awaiting"]
    assert (done["percent"], done["completed on"], done["best final score"]) == (
        "100",
        timezone.localdate().isoformat(),
        "100",
    )
    assert awaiting["completed on"] == "" and awaiting["best final score"] == "25"
    assert by_state["notstarted"]["last activity"] == ""
    started = datetime.datetime.fromisoformat(by_state["started"]["last activity"])
    assert started.tzinfo is not None and started.date() == timezone.localdate()


def test_every_value_is_the_dashboards(trainer_client, team, course, everyone):
    _header, rows = read(trainer_client.get(summary_url(team)))
    for row in build_dashboard(team, course).rows:
        line = rows[(row.learner.username, course.title)]
        assert line["state"] == row.state.label
        assert line["percent"] == str(row.percent)
        assert line["due date"] == row.due.due_date.isoformat() == days(5).isoformat()
        assert line["overdue"] == ("yes" if row.overdue else "no")
        assert line["best final score"] == ("" if row.final_best is None else str(row.final_best))


def test_the_due_rule_decides_due_date_and_overdue(trainer_client, trainer, team, course, kira):
    assign_course(by=trainer, course=course, team=team, due_date=days(10))
    assign_course(by=trainer, course=course, learners=[kira], due_date=days(-2))
    _header, rows = read(trainer_client.get(summary_url(team)))
    kiras, alices = rows[("kira", course.title)], rows[("alice", course.title)]
    assert (kiras["due date"], kiras["overdue"]) == (days(-2).isoformat(), "yes")
    assert (alices["due date"], alices["overdue"]) == (days(10).isoformat(), "no")


def test_one_row_per_learner_and_course_assigned_here(
    trainer_client, trainer, team, learner, course, kira
):
    other = make_course(lessons=2, title="Another course")
    make_course(lessons=1, title="Not assigned here")
    assign_course(by=trainer, course=course, team=team)
    assign_course(by=trainer, course=other, learners=[kira], due_date=days(3))
    _header, rows = read(trainer_client.get(summary_url(team)))
    assert sorted(rows) == [
        ("alice", course.title),
        ("kira", "Another course"),
        ("kira", course.title),
    ]
    assert rows[("kira", "Another course")]["teams"] == "Support"


def test_teams_lists_the_trainers_teams_of_each_learner(
    trainer_client, trainer, team, learner, course
):
    second = Team.objects.create(name="Evening shift")
    second.trainers.add(trainer)
    second.members.add(learner)
    Team.objects.create(name="Someone else's team").members.add(learner)
    assign_course(by=trainer, course=course, team=team)
    _header, rows = read(trainer_client.get(summary_url(team)))
    assert rows[("alice", course.title)]["teams"] == "Evening shift; Support"


def test_the_dashboards_filters_apply(trainer_client, team, course, everyone):
    _header, rows = read(trainer_client.get(summary_url(team, state="completed")))
    assert list(rows) == [("done", course.title)]
    _header, rows = read(trainer_client.get(summary_url(team, q="awaiting")))
    assert list(rows) == [("awaiting", course.title)]


def test_values_are_safe_from_csv_injection(trainer_client, trainer, team, learner):
    course = make_course(lessons=1, title='=HYPERLINK("http://evil")')
    learner.first_name, learner.last_name, learner.email = "+cmd", "|calc", "-x@example.com"
    learner.save()
    team.name = "@SUM(A1)"
    team.save()
    assign_course(by=trainer, course=course, team=team)
    _header, rows = read(trainer_client.get(summary_url(team)))
    (row,) = rows.values()
    assert row["learner"] == "'+cmd |calc"
    assert row["email"] == "'-x@example.com"
    assert row["teams"] == "'@SUM(A1)"
    assert row["course"] == '\'=HYPERLINK("http://evil")'


def test_english_for_a_german_trainer(trainer_client, trainer, team, course, everyone):
    Profile.objects.create(user=trainer, language="de")
    response = trainer_client.get(summary_url(team), HTTP_ACCEPT_LANGUAGE="de")
    header, rows = read(response)
    assert header == HEADER
    assert rows[("done", course.title)]["state"] == "Completed"
    assert response["Content-Disposition"].startswith('attachment; filename="support-summary-')


def test_the_dashboard_links_it_next_to_the_export(trainer_client, team, course, everyone):
    page = trainer_client.get(reverse("training:dashboard") + f"?team={team.pk}").content.decode()
    export = page.index(reverse("training:export"))
    assert page.index(reverse("training:summary") + f"?team={team.pk}", export) > export


def test_nothing_assigned_is_404(trainer_client, team, course):
    assert trainer_client.get(summary_url(team)).status_code == 404


@pytest.mark.parametrize("who", ["learner", "other_trainer"])
def test_nobody_else_may_download_it(client, team, other_team, course, learner, trainer, who):
    assign_course(by=trainer, course=course, team=team)
    client.force_login(learner if who == "learner" else other_team.trainers.get())
    assert client.get(summary_url(team)).status_code == 404


def count(client, url: str) -> int:
    warm_caches(client)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_learners(trainer_client, trainer, team, course_with_final):
    course, final = course_with_final
    assign_course(by=trainer, course=course, team=team, due_date=days(1))

    def add(n: int) -> None:
        people = [make_user() for _ in range(n)]
        team.members.add(*people)
        for person in people[::2]:
            record_lesson_completion(person, course.lessons.first())

    add(3)
    few = count(trainer_client, summary_url(team))
    add(40)
    assert count(trainer_client, summary_url(team)) == few
    # session, user, two permission reads, teams, courses, the dashboard's default
    # course, the courses assigned here; per course: learners, their lesson rows,
    # their scores (a course with quizzes), assignments, memberships (lessons and
    # quizzes come from progress.structure, cached); team names
    assert few <= 14, few


def test_queries_grow_by_a_few_per_course_only(trainer_client, trainer, team, course):
    assign_course(by=trainer, course=course, team=team)
    one = count(trainer_client, summary_url(team))
    assign_course(by=trainer, course=make_course(lessons=4), team=team)
    # learners, their lesson rows, assignments, memberships (no quizzes: no scores)
    assert count(trainer_client, summary_url(team)) == one + 4
