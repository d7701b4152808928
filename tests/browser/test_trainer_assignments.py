"""A trainer changes an assignment (a past date: a warning, then a confirmation), sees
it in the history, removes it after the confirmation page; the learner's progress stays."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import LessonProgress
from progress.services import record_lesson_completion
from tests.browser.conftest import has_sideways_scroll, serious_axe_violations
from tests.conftest import PASSWORD
from training.models import Assignment, Team
from training.roles import ensure_trainers_group
from training.services import assign_course


@pytest.fixture
def assigned(transactional_db, learner, trainer, sample_course):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    record_lesson_completion(learner, sample_course.lessons.order_by("position").first())
    (assignment,) = assign_course(
        by=trainer,
        course=sample_course,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    return assignment


def log_in_as_trainer(page, live_server, username: str) -> None:
    """The login form; a trainer lands on their dashboard (home is by role)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/trainer/")


def problems_on(page) -> list[str]:
    found = serious_axe_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})
    if has_sideways_scroll(page):
        found.append("scrolls sideways at 390px")
    found += serious_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    return found


def test_trainer_changes_then_removes_an_assignment(
    browser, live_server, learner, trainer, assigned
):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in_as_trainer(page, live_server, trainer.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Trainer dashboard")

    page.get_by_role("link", name="Change assignment").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "“Who is your customer?” for Front Desk"
    )
    assert problems_on(page) == []

    past = timezone.localdate() - datetime.timedelta(days=2)
    page.get_by_label("Due date").fill(past.isoformat())
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#change-warnings")).to_contain_text("is in the past")
    assert Assignment.objects.get().due_date != past  # not yet
    assert problems_on(page) == []
    page.get_by_label("Yes, the date is in the past").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    history = page.locator("#assignment-log")
    expect(history.locator("li").first).to_contain_text("Changed by Tara Trainer")
    expect(history.locator("li").first).to_contain_text(f"→ {past.day} {past:%b %Y}")

    page.get_by_role("link", name="Remove this assignment…").click()
    expect(page.get_by_text("Progress and scores are kept")).to_be_visible()
    assert problems_on(page) == []
    page.get_by_role("button", name="Remove the assignment").click()
    page.wait_for_url("**/trainer/?*")
    expect(page.get_by_text("Their progress and scores are kept.")).to_be_visible()
    expect(page.locator("#assignment-summary")).to_contain_text("not assigned to this team")

    assert not Assignment.objects.exists()
    assert LessonProgress.objects.filter(learner=learner, state="completed").count() == 1
    page.goto(f"{live_server.url}/trainer/learners/{learner.pk}/")
    expect(page.get_by_text("Nothing is assigned.")).to_be_visible()
