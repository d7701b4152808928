"""The trainer's pages on a 390 px phone: nothing scrolls sideways.

A realistic team: long names and email addresses, lessons with quiz scores,
an individual assignment beside the team's. Add a page to TRAINER_PAGES (a
name and a function of the fixtures giving its path) to check it too.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lessons.services import start_lesson
from progress.services import record_lesson_completion
from quizzes.models import Quiz
from tests.browser.conftest import log_in
from tests.factories import make_graded_attempt, make_user
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course

PHONE = {"viewport": {"width": 390, "height": 844}}


@pytest.fixture
def busy_team(transactional_db, learner, trainer, sample_course):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Customer Experience and Front Desk (North-West region)")
    team.trainers.add(trainer)
    members = [learner] + [
        make_user(
            f"member{n}",
            first_name="Maximiliana-Josefina",
            last_name=f"Wolfeschlegelsteinhausen-Bergerdorff {n}",
            email=f"maximiliana.josefina.wolfeschlegelsteinhausen.{n}@front-desk.example.com",
        )
        for n in range(6)
    ]
    team.members.add(*members)
    today = timezone.localdate()
    assign_course(
        by=trainer,
        course=sample_course,
        team=team,
        due_date=today + datetime.timedelta(days=7),
        note="Please finish before the quarterly review of the front desk procedures.",
    )
    assign_course(
        by=trainer,
        course=sample_course,
        learners=[members[1]],
        due_date=today - datetime.timedelta(days=3),
        note="Catch up before your first shift.",
    )
    # Some progress: lessons started, done, and a quiz tried (a score in a cell).
    for member in members[::2]:
        start_lesson(member, sample_course.lessons.published().first())
    for lesson in sample_course.lessons.published():
        quiz = Quiz.objects.published().filter(lesson=lesson).first()
        if quiz is None:
            record_lesson_completion(members[2], lesson)
        else:
            make_graded_attempt(members[2], quiz, score=3, max_score=4)
    return team


def _dashboard(team, course, learner):
    return reverse("training:dashboard") + f"?team={team.pk}&course={course.slug}"


def _dashboard_individual(team, course, learner):
    return reverse("training:dashboard") + f"?team=individual&course={course.slug}"


def _learner(team, course, learner):
    return reverse("training:learner", args=[team.members.order_by("pk")[1].pk])


def _assign(team, course, learner):
    return reverse("training:assign", args=[course.slug])


TRAINER_PAGES = {
    "dashboard": _dashboard,
    "dashboard, assigned individually": _dashboard_individual,
    "learner page": _learner,
    "assign page": _assign,
}


@pytest.mark.parametrize("name", list(TRAINER_PAGES))
def test_trainer_page_fits_a_390px_phone(
    browser, live_server, trainer, learner, busy_team, sample_course, name
):
    page = browser.new_context(**PHONE).new_page()
    log_in(page, live_server, trainer.username)
    response = page.goto(live_server.url + TRAINER_PAGES[name](busy_team, sample_course, learner))
    assert response.status == 200
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width}px wide at 390px"
