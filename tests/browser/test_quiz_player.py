"""The quiz rules in a real browser: answers hidden until passed, question pools, and
timed quizzes (the countdown, and grading when time is up)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.models import Attempt
from tests.browser.conftest import answer_quiz, log_in, serious_axe_violations, start_quiz
from tests.factories import make_course, make_quiz


@pytest.fixture
def course(transactional_db):
    return make_course(lessons=2)


@pytest.fixture
def page(browser, live_server, learner):
    page = browser.new_context().new_page()
    log_in(page, live_server, learner.username)
    return page


def submit(page) -> None:
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/quizzes/attempts/*/")


def test_a_failed_attempt_hides_the_answers_until_the_quiz_is_passed(page, live_server, course):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=3, show_answers="after_pass")
    page.goto(live_server.url + quiz.get_absolute_url())
    assert serious_axe_violations(page) == []  # the intro
    start_quiz(page)
    assert serious_axe_violations(page) == []
    answer_quiz(page, quiz, correct=False)
    submit(page)
    failed_result = page.url
    expect(page.get_by_text("Score: 0 / 4 (0%)")).to_be_visible()
    expect(page.get_by_text("The correct answers are shown once you pass.")).to_be_visible()
    expect(page.get_by_text(re.compile("Correct answer"))).to_have_count(0)
    expect(page.get_by_text("Why:")).to_have_count(0)
    assert serious_axe_violations(page) == []

    page.get_by_role("link", name="Try again (2 of 3 attempts left)").click()
    expect(page.get_by_role("button", name="Start attempt 2")).to_be_visible()
    start_quiz(page)
    answer_quiz(page, quiz, correct=True)
    submit(page)
    expect(page.get_by_text("Score: 4 / 4 (100%)")).to_be_visible()
    page.goto(failed_result)
    expect(page.get_by_text("Correct answer: internal customer")).to_be_visible()
    expect(page.get_by_text("Why:").first).to_be_visible()


def test_a_pooled_quiz_shows_three_of_five_and_scores_out_of_three(page, live_server, course):
    questions = [
        {
            "type": "single",
            "prompt": f"Pool question {n}?",
            "choices": [("Yes", True), ("No", False)],
        }
        for n in range(1, 6)
    ]
    quiz = make_quiz(lesson=course.lessons.first(), questions=questions, draw=3)
    page.goto(live_server.url + quiz.get_absolute_url())
    start_quiz(page)
    expect(page.locator("fieldset")).to_have_count(3)
    expect(page.get_by_text("3 questions drawn at random")).to_be_visible()
    for fieldset in page.locator("fieldset").all():
        fieldset.get_by_label("Yes").check()
    submit(page)
    expect(page.get_by_text("Score: 3 / 3 (100%)")).to_be_visible()


def test_a_timed_quiz_shows_the_time_left_and_grades_the_saved_answers(page, live_server, course):
    quiz = make_quiz(lesson=course.lessons.first(), time_limit=20)
    page.goto(live_server.url + quiz.get_absolute_url())
    expect(page.get_by_text("Time limit: 20 minutes.")).to_be_visible()
    assert not Attempt.objects.filter(quiz=quiz).exists()  # the clock starts at Start
    start_quiz(page)
    attempt = Attempt.objects.get(quiz=quiz)
    ends = timezone.localtime(attempt.deadline).strftime("%H:%M")
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"Time left: (20|19) minutes"))
    expect(timer).to_contain_text(f"ends at {ends}")
    assert serious_axe_violations(page) == []

    single, multiple = quiz.questions.order_by("position")[:2]
    page.locator(f"#choice-{single.choices.get(is_correct=True).pk}").check()
    for choice in multiple.choices.filter(is_correct=True):
        page.locator(f"#choice-{choice.pk}").check()
    expect(page.get_by_text("Answers saved", exact=True)).to_be_visible()
    # The deadline passes while the learner is away; the page is opened again.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    page.goto(live_server.url + quiz.get_absolute_url())
    expect(page.get_by_text("Time is up.", exact=True)).to_be_visible()
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="See your result").click()
    page.wait_for_url(f"**/quizzes/attempts/{attempt.pk}/")
    expect(
        page.get_by_text("Time is up: the answers saved by the deadline were graded.")
    ).to_be_visible()
    expect(page.get_by_text("Score: 2 / 4 (50%)")).to_be_visible()
    assert serious_axe_violations(page) == []


def test_the_countdown_submits_when_time_runs_out(page, live_server, course):
    quiz = make_quiz(lesson=course.lessons.first(), time_limit=20)
    page.goto(live_server.url + quiz.get_absolute_url())
    start_quiz(page)
    attempt = Attempt.objects.get(quiz=quiz)
    # Three seconds left when the page is opened again.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.goto(live_server.url + quiz.get_absolute_url())
    expect(page.get_by_role("timer")).to_contain_text("second")
    page.locator(
        f"#choice-{quiz.questions.get(type='single').choices.get(is_correct=True).pk}"
    ).check()
    page.wait_for_url(f"**/quizzes/attempts/{attempt.pk}/", timeout=15_000)
    expect(page.get_by_text("Score: 1 / 4 (25%)")).to_be_visible()
    expect(page.get_by_text("The time limit was reached")).to_be_visible()
