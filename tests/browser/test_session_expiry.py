"""A session that ends in the middle of a quiz loses no answers, in a real browser."""

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt, Quiz
from tests.browser.conftest import answer_quiz, log_in, start_quiz
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_answers_saved_as_you_go_survive_the_end_of_the_session(
    page, live_server, learner, sample_course
):
    quiz = Quiz.objects.get(lesson__slug="what-is-a-customer")
    single = quiz.questions.get(key="web-editor-customers")
    right_choice = single.choices.get(is_correct=True)
    short = quiz.questions.get(key="community-library-visitor")
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + quiz.get_absolute_url())
    start_quiz(page)

    page.locator(f"#choice-{right_choice.pk}").check()
    page.locator(f"#answer-{short.pk}").fill("grey area")
    status = page.locator("#autosave-status")
    expect(status).to_have_text("Answers saved")
    expect(status).to_have_attribute("aria-live", "polite")
    attempt = Attempt.objects.get(learner=learner, quiz=quiz)
    assert attempt.saved_answers == {
        str(single.pk): [str(right_choice.pk)],
        str(short.pk): ["grey area"],
    }

    # The session ends (expiry, a restart); the CSRF cookie stays, as it does then.
    page.context.clear_cookies(name="sessionid")
    assert [c["name"] for c in page.context.cookies()] == ["csrftoken"]
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(
        page.get_by_text("You were signed out. Your answers are saved: sign in to submit them.")
    ).to_be_visible()
    assert not Attempt.objects.filter(learner=learner, submitted_at__isnull=False).exists()
    page.get_by_label("Username").fill(learner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(live_server.url + quiz.get_absolute_url())
    expect(page.get_by_text("Attempt 1 ·")).to_be_visible()
    expect(page.locator(f"#choice-{right_choice.pk}")).to_be_checked()
    expect(page.locator(f"#answer-{short.pk}")).to_have_value("grey area")

    answer_quiz(page, quiz)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Score: 5 / 5 (100%)")).to_be_visible()
    assert Attempt.objects.get(learner=learner, quiz=quiz).passed is True
