"""A learner works through the sample course in a real browser."""

import re

from playwright.sync_api import expect

from lessons.models import LessonProgress
from tests.browser.conftest import log_in


def test_learner_completes_a_lesson_and_continues_after_logging_in_again(
    page, live_server, learner, sample_course
):
    log_in(page, live_server, learner.username)
    page.get_by_role("link", name="Who is your customer?", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is your customer?")
    page.get_by_role("link", name="Start the course").click()
    expect(page.locator("#lesson-status")).to_have_text("Lesson 1 of 7 · In Progress")

    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 7 · In Progress")
    expect(page.get_by_text("14% Complete")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Course progress")).to_have_attribute(
        "aria-valuenow", "14"
    )

    page.get_by_role("button", name=re.compile("^Log out")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    log_in(page, live_server, learner.username)
    expect(page.get_by_text("14% Complete")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Continue")).click()
    expect(page).to_have_url(re.compile("/lessons/external-customers/$"))
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 7 · In Progress")


def test_finishing_the_last_lesson_shows_course_complete(page, live_server, learner, sample_course):
    from lessons.services import complete_lesson

    *earlier, last = sample_course.lessons.all()
    for lesson in earlier:
        complete_lesson(learner, lesson)
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + last.get_absolute_url())
    expect(page.locator("#lesson-status")).to_have_text("Lesson 7 of 7 · In Progress")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Course complete")
    expect(page.get_by_text("100% Complete")).to_be_visible()


def test_keyboard_alone_marks_a_lesson_complete(page, live_server, learner, sample_course):
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + sample_course.lessons.first().get_absolute_url())
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    button = page.get_by_role("button", name="Mark complete")
    for _ in range(60):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 7 · In Progress")


def test_double_click_on_mark_complete_records_one_completion(
    page, live_server, learner, sample_course
):
    log_in(page, live_server, learner.username)
    first = sample_course.lessons.first()
    page.goto(live_server.url + first.get_absolute_url())
    page.get_by_role("button", name="Mark complete").dblclick()
    expect(page.locator("#lesson-status")).to_have_text("Lesson 2 of 7 · In Progress")
    assert LessonProgress.objects.filter(learner=learner, lesson=first).count() == 1
    assert LessonProgress.objects.filter(learner=learner, state="completed").count() == 1
