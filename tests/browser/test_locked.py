"""Prerequisites in a real browser (issue 23), with the sample content: "Customer
service check-up" requires "Who is your customer?", and its third lesson requires its
first. A locked course and a locked lesson say what unlocks them, link to it, and
open once it is done. At 390 px and 1280 px, light and dark; no serious axe-core
violation, nothing scrolls sideways; screenshots under /tmp/shots/locked/."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Course
from lessons.models import CourseCompletion
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course

SHOTS = Path("/tmp/shots/locked")
SETUPS = {
    f"{width}-{scheme}": {"viewport": {"width": width, "height": 844}, "color_scheme": scheme}
    for width in (390, 1280)
    for scheme in ("light", "dark")
}
CHECK_UP = "customer-service-check-up"


@pytest.fixture
def check_up(transactional_db, sample_course, learner, trainer):
    """The follow-up course, assigned to the learner's team; the learner has not done
    the sample course yet."""
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    course = Course.objects.get(slug=CHECK_UP)
    due = timezone.localdate() + datetime.timedelta(days=30)
    assign_course(by=trainer, course=course, team=team, due_date=due)
    return course


def shot(page, name: str, setup: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{setup}.png"), full_page=True)


def check_page(page) -> list[str]:
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append(f"{page.url} scrolls sideways")
    return problems


@pytest.mark.parametrize("setup", SETUPS)
def test_a_locked_course_says_what_unlocks_it(
    browser, live_server, learner, sample_course, check_up, setup
):
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, learner.username)
    page.goto(f"{live_server.url}/my-learning/")
    card = page.locator("article", has=page.locator(f"#course-{CHECK_UP}"))
    expect(card).to_contain_text("Locked")
    expect(card).to_contain_text("Unlocks after “Who is your customer?”")
    problems = check_page(page)
    shot(page, "my-learning", setup)

    card.get_by_role("link", name="See what unlocks it").click()
    page.wait_for_url(f"**{check_up.get_absolute_url()}")
    locked = page.locator("#locked")
    expect(locked).to_contain_text("This course is locked")
    expect(locked).to_contain_text("Finish “Who is your customer?” first.")
    expect(page.get_by_role("link", name="Start the course")).to_have_count(0)
    problems += check_page(page)
    shot(page, "course-page", setup)

    # Its lessons refuse to open, with the same explanation.
    response = page.goto(f"{live_server.url}{check_up.lessons.first().get_absolute_url()}")
    assert response.status == 403
    expect(page.locator("#locked")).to_contain_text("This course is locked")
    expect(page.locator(".lesson-body")).to_have_count(0)
    problems += check_page(page)
    shot(page, "lesson-of-locked-course", setup)

    # The link leads to the course that unlocks it.
    page.locator("#locked").get_by_role("link", name="Who is your customer?").click()
    page.wait_for_url(f"**{sample_course.get_absolute_url()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("setup", SETUPS)
def test_a_locked_lesson_opens_once_the_lesson_it_requires_is_done(
    browser, live_server, learner, sample_course, check_up, setup
):
    CourseCompletion.objects.create(
        learner=learner, course=sample_course, completed_at=timezone.now()
    )
    first, _second, third = check_up.lessons.order_by("position")
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, learner.username)
    page.goto(f"{live_server.url}{check_up.get_absolute_url()}")
    expect(page.locator("#locked")).to_have_count(0)
    expect(page.locator(".list-group-item").nth(2)).to_contain_text("Unlocks after lesson 1")
    problems = check_page(page)
    shot(page, "course-page-lesson-locked", setup)

    response = page.goto(f"{live_server.url}{third.get_absolute_url()}")
    assert response.status == 403
    locked = page.locator("#locked")
    expect(locked).to_contain_text("This lesson is locked")
    expect(locked).to_contain_text("Finish lesson 1, “Map your customers”, first.")
    problems += check_page(page)
    shot(page, "locked-lesson", setup)

    locked.get_by_role("link", name="Map your customers").click()
    page.wait_for_url(f"**{first.get_absolute_url()}")
    page.get_by_role("button", name="Mark complete").click()
    page.wait_for_url(lambda url: "/lessons/keep-your-promises/" in url)
    response = page.goto(f"{live_server.url}{third.get_absolute_url()}")
    assert response.status == 200
    expect(page.locator("#locked")).to_have_count(0)
    expect(page.locator(".lesson-body")).to_contain_text("Service travels.")
    # The lesson page posts its start in the background (lesson-start.js): let it
    # finish before the test's database is emptied (on PostgreSQL a request still
    # writing while the tables are truncated is a deadlock at teardown).
    page.wait_for_load_state("networkidle")
    page.context.close()
    assert not problems, "\n".join(problems)
