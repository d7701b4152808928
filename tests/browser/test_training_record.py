"""The training record page (audit/) in Chromium: at 390 px and 1280 px, light and
dark, no serious axe-core violation and no sideways scrolling; without JavaScript
the audit log's list still opens. Screenshots go to RECORD_SHOTS (outside the
repository) to be looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from progress.services import record_lesson_completion
from quizzes.models import Quiz
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import take_quiz

SHOTS = Path(os.environ.get("RECORD_SHOTS", "/tmp/shots/record"))
SETUPS = {
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
}


@pytest.fixture
def record_url(learner, sample_course) -> str:
    """The learner has passed the sample course and so has a record."""
    lessons = list(sample_course.lessons.order_by("position"))
    for lesson in lessons:
        quiz = Quiz.objects.filter(lesson=lesson).first()
        if quiz is not None:
            take_quiz(learner, quiz)
        else:
            record_lesson_completion(learner, lesson)
    take_quiz(learner, Quiz.objects.get(course=sample_course))
    return reverse("audit:training_record", args=[learner.pk])


@pytest.mark.parametrize("setup", SETUPS)
def test_the_record_is_accessible_and_fits(browser, live_server, learner, record_url, setup):
    context = browser.new_context(**SETUPS[setup])
    page = context.new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + record_url)
    page.locator(".record-events summary").click()  # open the log, as someone reading it
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the page scrolls sideways")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{setup}.png"), full_page=True)
    context.close()
    assert not problems, problems


def test_without_javascript_the_log_still_opens(browser, live_server, learner, record_url):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + record_url)
    log = page.locator(".record-events ol")
    assert not log.is_visible()
    page.locator(".record-events summary").click()
    assert log.is_visible()
    assert page.get_by_role("heading", level=1).count() == 1
    context.close()
