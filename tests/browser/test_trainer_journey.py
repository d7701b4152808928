"""A trainer assigns a course; the learner sees it and progresses; the dashboard shows it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.models import Quiz
from tests.browser.conftest import (
    answer_quiz,
    has_sideways_scroll,
    log_in,
    serious_axe_violations,
    start_quiz,
)
from training.models import Team
from training.roles import ensure_trainers_group


@pytest.fixture
def demo_team(transactional_db, learner, trainer):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    return team


def test_trainer_assigns_learner_progresses_dashboard_shows_it(
    browser, live_server, learner, trainer, demo_team, sample_course
):
    due = timezone.localdate() + datetime.timedelta(days=5)
    trainer_page = browser.new_context().new_page()
    log_in(trainer_page, live_server, trainer.username)
    trainer_page.get_by_role("link", name="Trainer").click()
    expect(trainer_page.get_by_role("heading", level=1)).to_have_text("Trainer dashboard")
    # content/ holds a second course (first by title): show the sample course.
    trainer_page.locator("#f-course").select_option(label="Who is your customer?")
    trainer_page.get_by_role("button", name="Show").click()
    trainer_page.get_by_role("link", name="Assign this course").click()
    trainer_page.get_by_label("Team").select_option(label="Front Desk")
    trainer_page.get_by_label("Due date").fill(due.isoformat())
    trainer_page.get_by_label("Note").fill("Please finish before the team meeting.")
    trainer_page.get_by_role("button", name="Assign").click()
    expect(
        trainer_page.get_by_text("Assigned “Who is your customer?” to Front Desk.")
    ).to_be_visible()
    expect(trainer_page.get_by_text(f"due {due.day} {due:%b %Y}")).to_be_visible()

    learner_page = browser.new_context().new_page()
    log_in(learner_page, live_server, learner.username)
    card = learner_page.locator("article").filter(has_text="Who is your customer?")
    expect(card.locator(".due-label")).to_have_text("Due in 5 days")
    expect(card).to_contain_text("Please finish before the team meeting.")
    card.get_by_role("link", name=re.compile("^Start")).click()
    learner_page.get_by_role("link", name="Take the quiz").click()
    start_quiz(learner_page)
    answer_quiz(learner_page, Quiz.objects.get(lesson__slug="what-is-a-customer"))
    learner_page.get_by_role("button", name="Submit answers").click()
    expect(learner_page.get_by_text("Passed", exact=True)).to_be_visible()

    trainer_page.reload()
    row = trainer_page.get_by_role("row").filter(has_text="Alice Learner")
    expect(row).to_contain_text("14% In Progress")
    expect(row.get_by_role("cell").nth(1)).to_contain_text("Done")
    expect(trainer_page.locator("#count-in-progress")).to_have_text("1")


@pytest.mark.parametrize(
    "setup",
    [
        {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
        {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    ],
    ids=["desktop-light", "phone-dark"],
)
def test_trainer_pages_are_accessible(
    browser, live_server, learner, trainer, demo_team, sample_course, setup
):
    from training.services import assign_course

    assign_course(
        by=trainer,
        course=sample_course,
        team=demo_team,
        due_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    page = browser.new_context(**setup).new_page()
    log_in(page, live_server, trainer.username)
    problems = {}
    for name, url in {
        "dashboard": "/trainer/",
        "assign": f"/trainer/courses/{sample_course.slug}/assign/",
        "learner": f"/trainer/learners/{learner.pk}/",
        "catalogue": "/catalogue/",
    }.items():
        page.goto(live_server.url + url)
        problems[name] = serious_axe_violations(page)
        if has_sideways_scroll(page):
            # On a phone the dashboard's table becomes one card per learner.
            problems[name].append("the page scrolls sideways")
    failing = [f"{name}: {found}" for name, found in problems.items() if found]
    assert not failing, "\n".join(failing)
