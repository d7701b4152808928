"""Every page of the player: no serious axe-core violation, no sideways scrolling on a
phone, in light and dark mode."""

import pytest

from lessons.services import start_lesson
from progress.services import record_lesson_completion
from quizzes.models import Quiz
from tests.browser.conftest import (
    answer_quiz,
    has_sideways_scroll,
    log_in,
    serious_axe_violations,
    start_quiz,
)

SETUPS = {
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
}


@pytest.mark.parametrize("setup", SETUPS)
def test_pages_are_accessible_and_fit(browser, live_server, learner, sample_course, setup):
    lessons = list(sample_course.lessons.all())
    record_lesson_completion(learner, lessons[0])
    start_lesson(learner, lessons[1])
    context = browser.new_context(**SETUPS[setup])
    page = context.new_page()
    problems = {}

    page.goto(f"{live_server.url}/accounts/login/")
    problems["login"] = serious_axe_violations(page)
    log_in(page, live_server, learner.username)
    theme = page.evaluate("() => document.documentElement.dataset.bsTheme")
    assert theme == SETUPS[setup]["color_scheme"]

    urls = {
        "my learning": "/",
        "course": sample_course.get_absolute_url(),
        "lesson with a table": lessons[3].get_absolute_url(),
        "completed lesson": lessons[0].get_absolute_url(),
        "not found": "/courses/no-such-course/",
    }
    for name, url in urls.items():
        page.goto(live_server.url + url)
        problems[name] = serious_axe_violations(page)
        if has_sideways_scroll(page):
            problems[name].append("the page scrolls sideways")

    quiz = Quiz.objects.get(lesson=lessons[1])
    page.goto(live_server.url + quiz.get_absolute_url())
    problems["quiz intro"] = serious_axe_violations(page)
    start_quiz(page)
    problems["quiz"] = serious_axe_violations(page)
    answer_quiz(page, quiz, correct=False)
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/quizzes/attempts/*/")
    for name in ("quiz result", "my results"):
        if name == "my results":
            page.goto(live_server.url + "/results/")
        problems[name] = serious_axe_violations(page)
        if has_sideways_scroll(page):
            problems[name].append("the page scrolls sideways")

    for lesson in lessons[1:]:
        record_lesson_completion(learner, lesson)
    final = Quiz.objects.get(course=sample_course)
    page.goto(live_server.url + final.get_absolute_url())
    start_quiz(page)
    answer_quiz(page, final)
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/quizzes/attempts/*/")
    page.goto(live_server.url + f"/courses/{sample_course.slug}/complete/")
    assert page.get_by_role("heading", level=1).text_content() == "Course complete"
    problems["course complete"] = serious_axe_violations(page)
    context.close()

    failing = [f"{name}: {found}" for name, found in problems.items() if found]
    assert not failing, "\n".join(failing)
