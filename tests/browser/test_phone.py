"""The learner's pages on a 390 px phone: a menu button instead of two rows of links,
nothing scrolls sideways, My results stacks its rows instead of cutting columns off."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lessons.models import Certificate
from lessons.services import start_lesson
from progress.services import record_lesson_completion
from quizzes.models import Attempt, Quiz
from tests.browser.conftest import log_in, start_quiz
from tests.factories import make_graded_attempt, take_quiz

PHONE = {"viewport": {"width": 390, "height": 844}}


@pytest.fixture
def learner_with_history(transactional_db, learner, second_learner, sample_course):
    """The learner finished the sample course (a certificate, quiz results); the
    second learner is half way, with a failed quiz."""
    for lesson in sample_course.lessons.published():
        quiz = Quiz.objects.published().filter(lesson=lesson).first()
        if quiz is None:
            record_lesson_completion(learner, lesson)
        else:
            make_graded_attempt(learner, quiz, score=1, max_score=5)
            take_quiz(learner, quiz)
    take_quiz(learner, Quiz.objects.get(course=sample_course))
    lessons = list(sample_course.lessons.published())
    start_lesson(second_learner, lessons[0])
    make_graded_attempt(second_learner, Quiz.objects.get(lesson=lessons[0]), score=2, max_score=5)
    return learner


def _pages(course, learner) -> dict[str, str]:
    lesson = course.lessons.published().get(slug="internal-customers")
    quiz = Quiz.objects.get(lesson=lesson)
    attempt = Attempt.objects.filter(learner=learner, quiz=quiz).order_by("-number").first()
    certificate = Certificate.objects.get(completion__learner=learner)
    return {
        "my learning": reverse("courses:my_learning"),
        "catalogue": reverse("courses:catalogue"),
        "course page": course.get_absolute_url(),
        "lesson page": lesson.get_absolute_url(),
        "quiz page": reverse("quizzes:take", args=[quiz.pk]),  # its intro: Start
        "quiz questions": reverse("quizzes:take", args=[quiz.pk]),  # after Start
        "quiz result": reverse("quizzes:result", args=[attempt.pk]),
        "my results": reverse("quizzes:my_results"),
        "profile": reverse("accounts:profile"),
        "certificate page": certificate.get_absolute_url(),
    }


PAGES = [
    "my learning",
    "catalogue",
    "course page",
    "lesson page",
    "quiz page",
    "quiz questions",
    "quiz result",
    "my results",
    "profile",
    "certificate page",
]


@pytest.mark.parametrize("name", PAGES)
def test_learner_page_fits_a_390px_phone(
    browser, live_server, learner_with_history, sample_course, name
):
    page = browser.new_context(**PHONE).new_page()
    log_in(page, live_server, learner_with_history.username)
    url = _pages(sample_course, learner_with_history)[name]
    assert page.goto(live_server.url + url).status == 200
    if name == "quiz questions":
        start_quiz(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width}px wide at 390px"


def test_the_navigation_folds_into_a_menu_button(browser, live_server, learner):
    page = browser.new_context(**PHONE).new_page()
    log_in(page, live_server, learner.username)
    header = page.locator("header nav").bounding_box()
    assert header["height"] < 70, f"the navigation is {header['height']}px high"
    my_results = page.get_by_role("link", name="My results")
    expect(my_results).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    my_results.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My results")


def test_without_javascript_the_menu_is_shown(browser, live_server, learner):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, learner.username)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.get_by_role("link", name="My results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My results")


def test_my_results_shows_every_column_on_a_phone(
    browser, live_server, learner_with_history, sample_course
):
    page = browser.new_context(**PHONE).new_page()
    log_in(page, live_server, learner_with_history.username)
    page.goto(live_server.url + reverse("quizzes:my_results"))
    for badge in page.locator("td[data-label='Result'] .badge").all():
        box = badge.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Each value has its column's name beside it (the header row is out of sight).
    expect(page.locator("tbody tr").first).to_have_accessible_name(
        re.compile("Best 100% Latest 100% .* Attempts .* Result Passed")
    )
