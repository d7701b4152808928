"""The lesson player in a browser: the outline beside the lesson on a desktop, behind a
button on a phone (with or without JavaScript), Previous/Next with the lessons' titles."""

import re

from playwright.sync_api import expect

from progress.services import record_lesson_completion
from tests.browser.conftest import log_in

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}}


def test_the_outline_stays_beside_the_lesson_on_a_desktop(
    browser, live_server, learner, sample_course
):
    lessons = list(sample_course.lessons.published())
    record_lesson_completion(learner, lessons[0])
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + lessons[3].get_absolute_url())  # a long lesson, with a table
    outline = page.get_by_role("navigation", name="Course outline")
    expect(outline).to_be_visible()
    article = page.locator("article").bounding_box()
    box = outline.bounding_box()
    assert box["x"] >= article["x"] + article["width"], "the outline is not beside the lesson"
    current = outline.locator("[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(lessons[3].title)
    expect(outline.get_by_role("link", name=re.compile(lessons[0].title))).to_contain_text(
        "Completed"
    )
    expect(outline).to_contain_text("Final assessment")
    page.mouse.wheel(0, 3000)
    page.wait_for_function("() => window.scrollY > 500")
    expect(outline).to_be_in_viewport()  # sticky


def test_previous_and_next_name_the_lessons(browser, live_server, learner, sample_course):
    lessons = list(sample_course.lessons.published())
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + lessons[1].get_absolute_url())
    steps = page.get_by_role("navigation", name="Previous and next lesson")
    expect(steps.locator("[rel=prev]")).to_have_text(f"‹ Previous {lessons[0].title}")
    steps.locator("[rel=next]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[2].title)


def test_a_long_title_is_cut_short_on_a_phone(browser, live_server, learner, sample_course):
    lesson = sample_course.lessons.published()[1]
    following = sample_course.lessons.published()[2]
    following.title = "A much longer lesson title than any phone has room for in one line"
    following.save()
    page = browser.new_context(**PHONE).new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + lesson.get_absolute_url())
    title = page.locator("[rel=next] .lesson-step-title")
    expect(title).to_be_visible()
    assert title.evaluate("(el) => el.scrollWidth > el.clientWidth")  # ends in "…"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_outline_is_behind_a_button_on_a_phone(browser, live_server, learner, sample_course):
    for javascript in (True, False):
        context = browser.new_context(**PHONE, java_script_enabled=javascript)
        page = context.new_page()
        log_in(page, live_server, learner.username)
        page.goto(live_server.url + sample_course.lessons.published()[1].get_absolute_url())
        outline = page.get_by_role("navigation", name="Course outline")
        expect(outline).to_be_hidden()
        page.locator("summary", has_text="Course outline").click()
        expect(outline).to_be_visible()
        expect(outline.locator("[aria-current=page]")).to_be_visible()
        context.close()
