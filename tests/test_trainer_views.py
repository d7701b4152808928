"""The trainer's pages: who may see them, the dashboard, the CSV export, assigning."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.services import start_lesson
from progress.services import record_lesson_completion
from quizzes.models import Attempt
from tests.factories import make_course, make_quiz, make_user
from tests.test_queries import warm_caches
from training.dashboard import neutralise
from training.models import Assignment, Team
from training.services import assign_course

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def assigned(trainer, team, course):
    (assignment,) = assign_course(
        by=trainer, course=course, team=team, due_date=timezone.localdate() + datetime.timedelta(3)
    )
    return assignment


def urls(team, course, learner):
    query = f"?team={team.pk}&course={course.slug}"
    return {
        "dashboard": reverse("training:dashboard") + query,
        "export": reverse("training:export") + query,
        "learner": reverse("training:learner", args=[learner.pk]),
        "assign": reverse("training:assign", args=[course.slug]),
    }


@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", {"dashboard": 302, "export": 302, "learner": 302, "assign": 302}),
        ("learner", {"dashboard": 404, "export": 404, "learner": 404, "assign": 404}),
        ("second_learner", {"dashboard": 404, "export": 404, "learner": 404, "assign": 404}),
        ("trainer", {"dashboard": 200, "export": 200, "learner": 200, "assign": 200}),
        ("other_trainer", {"dashboard": 404, "export": 404, "learner": 404, "assign": 200}),
        ("admin_user", {"dashboard": 200, "export": 200, "learner": 200, "assign": 200}),
    ],
)
def test_who_may_see_trainer_pages(
    request, client, team, other_team, course, learner, assigned, role, expected
):
    if role == "other_trainer":
        client.force_login(other_team.trainers.get())
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    got = {name: client.get(url).status_code for name, url in urls(team, course, learner).items()}
    assert got == expected


def test_dashboard_shows_states_scores_and_counts(client, trainer, team, course, learner, assigned):
    quiz = make_quiz(lesson=course.lessons.first())
    Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=1,
        submitted_at=timezone.now(),
        score=3,
        max_score=4,
        percent=75,
        passed=False,
    )
    start_lesson(learner, course.lessons.first())
    idle = make_user("ivan", first_name="Ivan", last_name="Idle")
    team.members.add(idle)
    client.force_login(trainer)
    page = text(client.get(urls(team, course, learner)["dashboard"]))
    assert 'id="count-assigned">2<' in page
    assert 'id="count-in-progress">1<' in page and 'id="count-not-started">1<' in page
    assert "Alice Learner" in page and "Ivan Idle" in page
    # A lesson quiz tried and failed: "Not passed" with the best score.
    assert "Not passed 75%" in page.replace('</span><span class="d-block small">', " ")


def test_overdue_filter_search_and_sort(client, trainer, team, course, learner):
    assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    done = make_user("dora", first_name="Dora", last_name="Done")
    team.members.add(done)
    for lesson in course.lessons.all():
        record_lesson_completion(done, lesson)
    client.force_login(trainer)
    base = urls(team, course, learner)["dashboard"]
    overdue = text(client.get(base + "&state=overdue"))
    assert "Alice Learner" in overdue and "Dora Done" not in overdue
    assert 'id="count-overdue">1<' in overdue
    searched = text(client.get(base + "&q=dora"))
    assert "Dora Done" in searched and "Alice Learner" not in searched
    by_progress = text(client.get(base + "&sort=progress"))
    assert by_progress.index("Dora Done") < by_progress.index("Alice Learner")


def test_dashboard_paginates_by_fifty(client, trainer, team, course, assigned):
    team.members.add(*[make_user(f"m{n:03}", last_name=f"M{n:03}") for n in range(60)])
    client.force_login(trainer)
    base = urls(team, course, trainer)["dashboard"]
    first, second = text(client.get(base)), text(client.get(base + "&page=2"))
    assert "Learners 1–50 of 61" in first and "Page 1 of 2" in first
    assert "Learners 51–61 of 61" in second


def test_another_trainers_team_is_404(client, trainer, team, other_team, course):
    client.force_login(trainer)
    url = reverse("training:dashboard") + f"?team={other_team.pk}&course={course.slug}"
    assert client.get(url).status_code == 404
    assert client.get(reverse("training:dashboard") + "?team=abc").status_code == 404


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def test_csv_has_one_row_per_learner_and_lesson(client, trainer, team, course, learner, assigned):
    make_quiz(course=course)
    record_lesson_completion(learner, course.lessons.first())
    client.force_login(trainer)
    response = client.get(urls(team, course, learner)["export"])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == [
        "learner",
        "email",
        "team",
        "course",
        "state",
        "lesson",
        "lesson state",
        "started",
        "completed",
        "best score",
        "attempts",
        "due date",
        "overdue",
        "course completed",
        "certificate",
    ]
    assert len(rows) == 4  # 3 lessons + the final assessment
    first = rows[0]
    assert first[:7] == [
        "Alice Learner",
        "alice@example.com",
        "Support",
        course.title,
        "In Progress",  # the course
        "Lesson title 1",
        "Completed",  # the lesson
    ]
    assert datetime.datetime.fromisoformat(first[8]).date() == timezone.localdate()
    assert first[11] == assigned.due_date.isoformat() and first[12] == "no"
    assert rows[3][5] == "Final assessment"


def test_csv_neutralises_formulas(client, trainer, team, course, learner, assigned):
    learner.first_name, learner.last_name = '=HYPERLINK("x")', ""
    learner.save()
    client.force_login(trainer)
    _header, first, *_ = read_csv(client.get(urls(team, course, learner)["export"]))
    assert first[0] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@sum", "'@sum"),
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
    ],
)
def test_neutralise(value, safe):
    assert neutralise(value) == safe


def test_learner_page_lists_assignments_and_answers(
    client, trainer, team, course, learner, assigned
):
    quiz = make_quiz(lesson=course.lessons.first())
    attempt = Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=1,
        submitted_at=timezone.now(),
        score=1,
        max_score=4,
        percent=25,
        passed=False,
    )
    attempt.answers.create(
        question=quiz.questions.first(),
        position=1,
        is_correct=False,
        prompt="Pick the colleague.",
        given="Nobody",
        expected="The colleague",
    )
    client.force_login(trainer)
    page = text(client.get(urls(team, course, learner)["learner"]))
    assert course.title in page and "Due in 3 days" in page
    assert "1 / 4 (25%)" in page and "Answer: <strong>Nobody</strong>" in page


def test_assign_form_creates_an_assignment(client, trainer, team, course):
    client.force_login(trainer)
    response = client.post(
        urls(team, course, trainer)["assign"],
        {
            "team": team.pk,
            "due_date": "2026-12-24",
            "note": "Before Christmas",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.team, assignment.due_date.isoformat(), assignment.assigned_by) == (
        team,
        "2026-12-24",
        trainer,
    )


def test_assigning_twice_shows_a_message(client, trainer, team, course, assigned):
    client.force_login(trainer)
    response = client.post(urls(team, course, trainer)["assign"], {"team": team.pk}, follow=True)
    assert "is already assigned to Support" in text(response)
    assert Assignment.objects.count() == 1


def test_tampered_team_is_a_form_error_not_a_500(client, trainer, team, other_team, course):
    client.force_login(trainer)
    response = client.post(urls(team, course, trainer)["assign"], {"team": other_team.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Assignment.objects.exists()


def test_my_learning_lists_assignments_first_with_due_state(
    client, trainer, team, course, learner, assigned
):
    other = make_course(lessons=2, title="Another course")
    start_lesson(learner, other.lessons.first())
    client.force_login(learner)
    page = text(client.get(reverse("courses:my_learning")))
    assert page.index("Assigned to you") < page.index(course.title) < page.index("In progress")
    assert page.index("In progress") < page.index("Another course")
    assert "Due in 3 days" in page


# Query counts ----------------------------------------------------------------------


def team_of(size: int, course):
    team = Team.objects.create(name=f"Team of {size}")
    learners = [make_user(f"t{size}-{n}", last_name=f"L{n}") for n in range(size)]
    team.members.add(*learners)
    for learner in learners[::2]:
        record_lesson_completion(learner, course.lessons.first())
    Assignment.objects.create(course=course, team=team, due_date=timezone.localdate())
    return team


def count(client, url) -> int:
    warm_caches(client)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured)


def test_trainer_pages_do_not_grow_with_team_size(client, admin_user):
    course = make_course(lessons=7)
    make_quiz(course=course)
    for lesson in course.lessons.all():
        make_quiz(lesson=lesson)
    client.force_login(admin_user)
    counts = {}
    for size in (5, 500):
        team = team_of(size, course)
        query = f"?team={team.pk}&course={course.slug}"
        counts[size] = (
            count(client, reverse("training:dashboard") + query),
            count(client, reverse("training:export") + query),
            count(client, reverse("training:learner", args=[team.members.first().pk])),
        )
    assert counts[5] == counts[500]
    dashboard, export, learner_page = counts[5]
    # A handful each: session, user, teams, courses, the course's lessons and quizzes,
    # the learners with their counts, the assignments covering them (with their
    # lessons), memberships, then the page's cells in two queries; the learner page
    # also lists completions and certificates, and reads the courses and the
    # learner's progress in them apart (progress.rules.courses_with_next_step).
    assert dashboard <= 12 and export <= 12 and learner_page <= 13, counts


def test_my_learning_does_not_grow_with_assignments(client, learner, trainer, team):
    client.force_login(learner)
    counts = []
    for _ in range(2):
        for _ in range(5):
            assign_course(by=trainer, course=make_course(lessons=3), team=team)
        counts.append(count(client, reverse("courses:my_learning")))
    assert counts[0] == counts[1] <= 12, counts  # 12: with assigned learning paths
