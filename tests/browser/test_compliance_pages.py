"""Compliance in a real browser (issue 23): the trainer's compliance matrix, and an
expired certificate with its public check. At 390 px and 1280 px, light and dark; no
serious axe-core violation, nothing scrolls sideways (the matrix scrolls inside its
own frame on a desktop and becomes one card per person on a phone); screenshots
under /tmp/shots/compliance/."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import CourseCompletion
from progress.services import record_lesson_completion
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import make_course, make_user
from training.models import Assignment, Team
from training.roles import ensure_trainers_group

SHOTS = Path("/tmp/shots/compliance")
SETUPS = {
    f"{width}-{scheme}": {"viewport": {"width": width, "height": 844}, "color_scheme": scheme}
    for width in (390, 1280)
    for scheme in ("light", "dark")
}


def shot(page, name: str, setup: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{setup}.png"), full_page=True)


def check_page(page) -> list[str]:
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append(f"{page.url} scrolls sideways")
    return problems


def finish(learner, course, days_ago: int) -> CourseCompletion:
    for lesson in course.lessons.order_by("position"):
        record_lesson_completion(learner, lesson)
    completion = CourseCompletion.objects.get(learner=learner, course=course, superseded_at=None)
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    CourseCompletion.objects.filter(pk=completion.pk).update(
        completed_at=moment,
        valid_until=(moment + datetime.timedelta(days=365)).date()
        if course.valid_for_months
        else None,
    )
    completion.refresh_from_db()
    return completion


@pytest.fixture
def team_with_records(transactional_db, learner, second_learner, trainer):
    """Three courses, five people: compliant, expired, overdue, due, exempt."""
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.trainers.add(trainer)
    people = [learner, second_learner] + [
        make_user(f"p{n}", first_name=name, last_name="Example")
        for n, name in enumerate(["Chandra", "Dmitri", "Emeka"])
    ]
    team.members.add(*people)
    today = timezone.localdate()
    courses = []
    for title in ("Data protection", "Fire safety", "Anti-harassment"):
        course = make_course(lessons=1, title=title)
        course.valid_for_months = 12
        course.save()
        courses.append(course)
        Assignment.objects.create(
            course=course, team=team, due_date=today + datetime.timedelta(days=20)
        )
    finish(people[0], courses[0], days_ago=30)
    finish(people[1], courses[0], days_ago=400)  # expired
    finish(people[2], courses[1], days_ago=10)
    Assignment.objects.filter(course=courses[2]).update(due_date=today - datetime.timedelta(days=5))
    from compliance.services import grant_exemption

    grant_exemption(trainer, people[4], courses[1], reason="Certified by the fire brigade")
    return team, people, courses


@pytest.mark.parametrize("setup", SETUPS)
def test_the_compliance_matrix(browser, live_server, trainer, team_with_records, setup):
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, trainer.username)
    page.goto(f"{live_server.url}/trainer/compliance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance")
    expect(page.locator(".compliance-expired").first).to_be_visible()
    expect(page.locator(".compliance-exempt").first).to_be_visible()
    assert page.locator("tbody tr").count() == 5
    shot(page, "matrix", setup)
    assert check_page(page) == []
    page.get_by_label("Show", exact=True).select_option("overdue")
    page.get_by_role("button", name="Show").click()
    assert page.locator("tbody tr").count() == 5  # everyone: anti-harassment is overdue
    shot(page, "matrix-overdue", setup)


@pytest.mark.parametrize("setup", SETUPS)
def test_an_expired_certificate(browser, live_server, learner, team_with_records, setup):
    _team, people, courses = team_with_records
    certificate = CourseCompletion.objects.get(learner=people[1], course=courses[0]).certificate
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, people[1].username)
    page.goto(f"{live_server.url}/certificates/{certificate.code}/")
    expect(page.locator(".certificate-expired")).to_contain_text("Expired on")
    shot(page, "certificate-expired", setup)
    assert check_page(page) == []
    page.goto(f"{live_server.url}/verify/{certificate.code}/")
    expect(page.get_by_role("heading", name="Expired")).to_be_visible()
    shot(page, "verify-expired", setup)
    assert check_page(page) == []


@pytest.mark.parametrize("setup", SETUPS)
def test_the_reports_and_the_digest_settings(
    browser, live_server, trainer, team_with_records, setup
):
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, trainer.username)
    page.goto(f"{live_server.url}/trainer/compliance/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance over time")
    assert page.locator("svg.chart").count() == 3
    page.get_by_text("The numbers, per team").click()
    shot(page, "reports", setup)
    assert check_page(page) == []
    page.goto(f"{live_server.url}/trainer/compliance/digest/")
    page.get_by_label("On").select_option("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your digest settings are saved.")).to_be_visible()
    shot(page, "digest", setup)
    assert check_page(page) == []


@pytest.mark.parametrize("setup", SETUPS)
def test_assigning_a_course_that_comes_back(
    browser, live_server, trainer, team_with_records, setup
):
    _team, _people, courses = team_with_records
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, trainer.username)
    page.goto(f"{live_server.url}/trainer/courses/{courses[0].slug}/assign/")
    expect(page.get_by_label("Comes back")).to_have_value("after_completion")
    shot(page, "assign", setup)
    assert check_page(page) == []
