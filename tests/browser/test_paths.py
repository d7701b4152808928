"""A learning path in a real browser (issue 23): the learner's path page part-way through
("Course 2 of 4": one course done, the next in progress, one locked by a
prerequisite, one expired), My learning with the assigned path, and a completed path
with its certificate. At 390 px and 1280 px, light and dark; no serious axe-core
violation, nothing scrolls sideways; screenshots under /tmp/shots/paths/."""

import datetime
from pathlib import Path as FilePath

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import CourseRequirement
from lessons.models import CourseCompletion
from lessons.services import start_lesson
from paths.models import Path, PathCertificate, PathCourse
from progress.services import record_lesson_completion
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import make_course, make_user
from training.models import Team
from training.paths import assign_path
from training.roles import ensure_trainers_group

SHOTS = FilePath("/tmp/shots/paths")
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
    if page.locator("h1").count() != 1:
        problems.append(f"{page.url} has {page.locator('h1').count()} h1 elements")
    return problems


def finish(learner, course) -> None:
    for lesson in course.lessons.order_by("position"):
        record_lesson_completion(learner, lesson)


@pytest.fixture
def path_world(transactional_db, learner, trainer):
    """Four courses in a path assigned to the learner's team, due in ten days."""
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.trainers.add(trainer)
    team.members.add(learner)
    titles = [
        "Welcome to the company",
        "Till training: opening, closing and everything in between",
        "Cash handling",
        "Data protection at the counter",
    ]
    courses = [make_course(lessons=3, title=title) for title in titles]
    CourseRequirement.objects.create(course=courses[2], required=courses[1])
    path = Path.objects.create(
        slug="shop-floor-onboarding",
        title="Shop floor onboarding",
        description="Everything a new colleague needs in their first two weeks at the till.",
        introduction_markdown="Take the courses **in order**: each builds on the one before.",
        published_at=timezone.now(),
    )
    for position, course in enumerate(courses, start=1):
        PathCourse.objects.create(path=path, course=course, position=position)
    assign_path(
        by=trainer,
        path=path,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        note="Please finish before your first late shift.",
    )
    finish(learner, courses[0])
    start_lesson(learner, courses[1].lessons.order_by("position").first())
    # The last course was done long ago: its completion has expired.
    finish(learner, courses[3])
    CourseCompletion.objects.filter(course=courses[3]).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=2)
    )
    return path, courses


@pytest.mark.parametrize("setup", SETUPS)
def test_a_path_part_way_through(browser, live_server, learner, path_world, setup):
    path, courses = path_world
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, learner.username)
    page.goto(f"{live_server.url}/paths/{path.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Shop floor onboarding")
    expect(page.locator("#path-position")).to_contain_text("Course 2 of 4")
    items = page.locator("#path-courses > li")
    expect(items).to_have_count(4)
    expect(items.nth(1)).to_contain_text("In Progress")
    expect(items.nth(1).get_by_role("link", name="Continue")).to_be_visible()
    expect(items.nth(2)).to_contain_text("Unlocks after")
    expect(items.nth(3)).to_contain_text("Expired")
    expect(page.locator("#path-due")).to_contain_text("Due in 10 days")
    shot(page, "path", setup)
    assert check_page(page) == []
    page.goto(f"{live_server.url}/my-learning/")
    expect(page.locator(".path-position")).to_contain_text("Course 2 of 4")
    shot(page, "my-learning", setup)
    assert check_page(page) == []


@pytest.mark.parametrize("setup", SETUPS)
def test_a_completed_path_and_its_certificate(browser, live_server, path_world, setup):
    path, courses = path_world
    learner = make_user("kira", first_name="Kira", last_name="Tanaka-Oyelaran", password="pw")
    for course in courses:
        finish(learner, course)
    certificate = PathCertificate.objects.get(completion__learner=learner)
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, learner.username, "pw")
    page.goto(f"{live_server.url}/paths/{path.slug}/")
    expect(page.locator("#path-position")).to_contain_text("Path completed on")
    shot(page, "path-complete", setup)
    assert check_page(page) == []
    page.locator("#path-certificate").get_by_role("link").click()
    expect(page.locator(".certificate-course")).to_have_text("Shop floor onboarding")
    shot(page, "certificate", setup)
    assert check_page(page) == []
    page.goto(f"{live_server.url}/paths/verify/{certificate.code}/")
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    shot(page, "verify", setup)
    assert check_page(page) == []


@pytest.mark.parametrize("setup", SETUPS)
def test_the_trainers_paths_page(browser, live_server, trainer, path_world, setup):
    path, _courses = path_world
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, trainer.username)
    page.goto(f"{live_server.url}/trainer/paths/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning paths")
    expect(page.get_by_text("Front Desk · due")).to_be_visible()
    shot(page, "trainer-paths", setup)
    assert check_page(page) == []
    page.get_by_role("link", name="Assign this path").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shop floor onboarding")
    shot(page, "assign-path", setup)
    assert check_page(page) == []
