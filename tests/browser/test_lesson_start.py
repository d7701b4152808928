"""The lesson page records its start with a POST once it has loaded (issue 22: GETs
write nothing). In a real browser a lesson not started becomes In Progress, in the
database and on the page (its status line, its line in the outline, a first lesson's
course); without JavaScript nothing is recorded until the lesson is completed.
At 390 px and 1280 px, light and dark; screenshots under /tmp/shots/b/."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lessons.models import LessonProgress, ProgressState
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import make_course

SHOTS = Path("/tmp/shots/b")
SETUPS = {
    f"{width}-{scheme}": {"viewport": {"width": width, "height": 844}, "color_scheme": scheme}
    for width in (390, 1280)
    for scheme in ("light", "dark")
}


@pytest.fixture
def plain_course(transactional_db):
    return make_course(lessons=3, title="Plain course")


def is_start(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/start/")


@pytest.mark.parametrize("setup", SETUPS)
def test_opening_a_lesson_records_its_start(browser, live_server, learner, plain_course, setup):
    second = plain_course.lessons.get(position=2)
    page = browser.new_context(**SETUPS[setup]).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    log_in(page, live_server, learner.username)
    with page.expect_response(is_start) as started:
        page.goto(live_server.url + second.get_absolute_url())
    assert started.value.status == 204
    # What the page says once the start is recorded: the lesson, its line in the
    # outline (on the page twice), and the course, whose first lesson this is.
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 3 · In Progress")
    expect(page.locator("#course-progress .badge")).to_have_text("In Progress")
    current = page.locator(".outline-current")
    expect(current).to_have_count(2)
    for index in range(2):
        expect(current.nth(index)).to_have_class(re.compile(r"\boutline-in_progress\b"))
        expect(current.nth(index).locator(".outline-state")).to_have_text("In Progress")
    progress = LessonProgress.objects.get(learner=learner)
    assert (progress.lesson_id, progress.state) == (second.pk, ProgressState.IN_PROGRESS)
    page.screenshot(path=str(SHOTS / f"lesson-started-{setup}.png"), full_page=True)
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the page scrolls sideways")
    assert not problems + errors, "\n".join(problems + errors)

    # The server says the same from what is recorded, and posts nothing more.
    page.reload()
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 3 · In Progress")
    expect(page.locator("#lesson-start")).to_have_count(0)
    page.goto(live_server.url + reverse("courses:continue", args=[plain_course.slug]))
    expect(page).to_have_url(live_server.url + second.get_absolute_url())
    assert LessonProgress.objects.filter(learner=learner).count() == 1


def test_without_javascript_the_first_completion_records_the_start(
    browser, live_server, learner, plain_course
):
    first = plain_course.lessons.get(position=1)
    page = browser.new_context(java_script_enabled=False).new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + first.get_absolute_url())
    expect(page.locator("#lesson-status")).to_have_text("Lesson 1 of 3 · Not started")
    assert not LessonProgress.objects.exists()
    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 3 · Not started")
    progress = LessonProgress.objects.get(learner=learner)
    assert (progress.lesson_id, progress.state) == (first.pk, ProgressState.COMPLETED)
    assert progress.started_at == progress.completed_at
